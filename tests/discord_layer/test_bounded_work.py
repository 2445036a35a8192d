"""Bounded work per question: one slow search holds no one else; Show passage is capped."""

from __future__ import annotations

import asyncio
import dataclasses
import threading

import pytest
import simcord
from support import a_result

from bot import render
from bot.client import CitebotBot
from bot.render import _text as render_text

QUESTION = "who founded DeepSeek?"


async def test_a_quick_question_is_answered_while_a_slow_search_is_still_running(
    env: simcord.Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot: CitebotBot = env.bot  # type: ignore[assignment]
    engine = bot.engine
    real_answer = engine.answer
    slow_started, release = threading.Event(), threading.Event()

    def answer(question: str, **kwargs):  # type: ignore[no-untyped-def]
        if question == "the slow one":  # stands in for a search over a 20 MB paragraph
            slow_started.set()
            release.wait(30)
        return real_answer(question, **kwargs)

    monkeypatch.setattr(engine, "answer", answer)
    slow = asyncio.create_task(bot.asker.answer("the slow one", user_id=1, source="dm"))
    assert await asyncio.to_thread(slow_started.wait, 10)
    try:
        quick = await asyncio.wait_for(
            bot.asker.answer(QUESTION, user_id=2, source="dm"), timeout=20
        )
        assert quick.answer.found
        assert not slow.done()  # answered while the slow search was still running
    finally:
        release.set()
    assert (await slow).answer is not None


async def test_show_passage_is_rendered_off_the_event_loop(
    env: simcord.Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    asked = await alice.slash(channel, "ask", question=QUESTION)
    loop_thread = threading.current_thread()
    rendered_in: list[threading.Thread] = []
    real = render.render_passages

    def spy(results):  # type: ignore[no-untyped-def]
        rendered_in.append(threading.current_thread())
        return real(results)

    monkeypatch.setattr(render, "render_passages", spy)
    result = await alice.click(asked.response, label="Show passage")

    assert result.ephemeral and "Liang Wenfeng" in result.response.embeds[0].description
    assert rendered_in and all(thread is not loop_thread for thread in rendered_in)


def test_show_passage_of_a_huge_passage_escapes_only_what_fits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    huge = "word*with_markdown " * 1_000_000  # 19 MB, no sentence end
    result = a_result(huge[:400], passage=huge, title="Huge")
    rendered: list[int] = []
    real_markdown = render_text.article_markdown

    def counting_markdown(text: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        rendered.append(len(text))
        return real_markdown(text, *args, **kwargs)

    monkeypatch.setattr(render_text, "article_markdown", counting_markdown)
    shown = render.render_passages([result, dataclasses.replace(result, rank=2)])

    assert sum(rendered) < 40 * render.DESCRIPTION_LIMIT  # not 19 MB, and not 25 times over
    for embed in shown.embeds:
        assert len(embed.description) <= render.DESCRIPTION_LIMIT
        assert embed.description.startswith("word\\*with\\_markdown word")
