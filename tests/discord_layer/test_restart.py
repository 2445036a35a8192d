"""An answer's buttons after the bot restarts: a new bot, the same data folder, old messages."""

from __future__ import annotations

from pathlib import Path

import simcord

from bot.answer import Engine
from bot.client import CitebotBot, create_bot
from bot.settings import Settings
from bot.views import AnswerKey, article_id_of
from discord_layer.test_views import QUESTION, asked_in_channel, buttons, emoji_button


def reread(env: simcord.Env, channel: simcord.ChannelHandle, message_id: int):
    return simcord.ResponseMessage(env, env.backend.get_message(channel.id, message_id))


async def restart(env: simcord.Env, settings: Settings, engine: Engine) -> CitebotBot:
    """Tear the bot down and start a fresh one over the same data folder."""
    await env.restart_bot(create_bot(settings, engine=engine))
    bot: CitebotBot = env.bot  # type: ignore[assignment]
    assert bot.asker.recall(1) is None  # nothing of the old bot's memory is left
    return bot


async def test_paging_passages_and_votes_work_after_a_restart(
    env: simcord.Env, settings: Settings, engine: Engine
):
    channel, alice, bob, answer = await asked_in_channel(env)
    first = await alice.click(answer, custom_id=emoji_button(answer, "👍"))
    assert first.response.content == "Thanks for the feedback 👍"

    bot = await restart(env, settings, engine)

    await alice.click(answer, label="More results")
    answer = reread(env, channel, answer.id)
    assert answer.embeds[0].footer.text.endswith("page 2/3")
    assert "`[3]`" in answer.embeds[0].description
    passages = await bob.click(answer, label="Show passage")
    expected = bot.engine.answer(QUESTION, k=6).results[2:4]
    assert [e.title.split(" ", 1)[0] for e in passages.response.embeds] == [
        f"[{r.rank}]" for r in expected
    ]
    assert passages.ephemeral
    again = await alice.click(answer, custom_id=emoji_button(answer, "👍"))
    assert again.response.content == "You already voted 👍 on this answer."
    answer_id = bot.store.database.query("SELECT MAX(id) FROM questions")[0][0]
    assert bot.asker.recall(answer_id) is not None  # asked again once, then kept
    counts = bot.store.feedback(answer_id)
    assert (counts.up, counts.down) == (1, 0)
    refused = await bob.click(answer, label="More results")
    assert refused.response.content == "Only the person who asked can page through these results."


async def test_an_answer_about_one_article_stays_about_it_after_a_restart(
    env: simcord.Env, settings: Settings, engine: Engine
):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    asked = await alice.slash(
        channel, "ask", question="what can I ask?", article="citebot-user-guide"
    )
    answer = asked.response
    assert "Searched 1 article in" in answer.embeds[0].footer.text

    await restart(env, settings, engine)

    await alice.click(answer, label="More results")
    answer = reread(env, channel, answer.id)
    assert answer.embeds[0].footer.text.startswith("Searched 1 article in")
    assert "page 2/" in answer.embeds[0].footer.text
    assert "DeepSeek's rise" not in answer.embeds[0].description
    assert not buttons(answer)["Show passage"]


def test_a_long_article_id_travels_as_a_hash_within_the_custom_id_limit(engine: Engine):
    long_id = "a/" * 60 + "page"
    key = AnswerKey.make(
        answer_id=123456789, asker_id=10**19, page=2, per_page=10, article_id=long_id
    )

    assert all(len(key.custom_id(action)) <= 100 for action in ("more", "passage", "share"))
    assert key.article != long_id
    assert article_id_of([long_id, "other"], key.article) == long_id
    short = AnswerKey.make(answer_id=1, asker_id=2, page=0, per_page=3, article_id="x")
    assert article_id_of(["x"], short.article) == "x"


async def test_an_answer_whose_article_is_gone_says_to_ask_again(
    env: simcord.Env, settings: Settings, tmp_path: Path
):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    asked = await alice.slash(
        channel, "ask", question="what can I ask?", article="citebot-user-guide"
    )
    other = tmp_path / "other"
    other.mkdir()
    (other / "tides.md").write_text("# Tides\n\nThe moon pulls the sea.\n")
    moved = settings.with_overrides(corpus_dir=other)
    await env.restart_bot(create_bot(moved, engine=Engine.open(moved)))

    result = await alice.click(asked.response, label="More results")

    assert result.ephemeral
    assert result.response.content == "I can't find that answer any more: please ask again."
