"""The views: the buttons under an answer (paging, passages, feedback) and their timeout."""

from __future__ import annotations

import simcord

from bot.client import CitebotBot
from bot.views import VIEW_TIMEOUT

QUESTION = "who founded DeepSeek?"


def buttons(message: simcord.ResponseMessage) -> dict[str, bool]:
    """Button label (or emoji) -> disabled."""
    return {
        (c.get("label") or c["emoji"]["name"]): bool(c.get("disabled"))
        for row in message.components
        for c in row["components"]
    }


def emoji_button(message: simcord.ResponseMessage, emoji: str) -> str:
    """The custom id of the button showing `emoji` (the vote buttons have no label)."""
    return next(
        c["custom_id"]
        for row in message.components
        for c in row["components"]
        if c.get("emoji", {}).get("name") == emoji
    )


async def asked_in_channel(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    bob = guild.add_member(env.create_user("bob"))
    result = await alice.slash(channel, "ask", question=QUESTION)
    return channel, alice, bob, result.response


async def test_more_results_shows_the_next_page_to_the_asker(env: simcord.Env):
    channel, alice, bob, answer = await asked_in_channel(env)
    first_page = answer.embeds[0].description
    assert answer.embeds[0].footer.text.endswith("page 1/3")

    await alice.click(answer, label="More results")

    answer = simcord.ResponseMessage(env, env.backend.get_message(channel.id, answer.id))
    assert answer.embeds[0].footer.text.endswith("page 2/3")
    assert answer.embeds[0].description != first_page
    assert "`[3]`" in answer.embeds[0].description  # ranks continue across pages

    await alice.click(answer, label="More results")

    answer = simcord.ResponseMessage(env, env.backend.get_message(channel.id, answer.id))
    assert answer.embeds[0].footer.text.endswith("page 3/3")
    assert buttons(answer)["More results"] is True  # nothing more to show


async def test_only_the_asker_can_page(env: simcord.Env):
    channel, alice, bob, answer = await asked_in_channel(env)

    result = await bob.click(answer, label="More results")

    assert result.ephemeral
    assert result.response.content == "Only the person who asked can page through these results."
    answer = simcord.ResponseMessage(env, env.backend.get_message(channel.id, answer.id))
    assert answer.embeds[0].footer.text.endswith("page 1/3")


async def test_show_passage_sends_the_full_passages_privately(env: simcord.Env):
    channel, alice, bob, answer = await asked_in_channel(env)
    bot: CitebotBot = env.bot  # type: ignore[assignment]
    expected = bot.engine.answer(QUESTION, k=2).results

    result = await bob.click(answer, label="Show passage")

    assert result.ephemeral
    embeds = result.response.embeds
    # Each passage is cited whole (its heading's paragraph too), where the answer's citation
    # names the excerpt's paragraphs alone: "Who founded DeepSeek — ¶13–14" against "¶14".
    assert [r.passage_paragraphs for r in expected][0] == (13, 14)
    assert [r.paragraphs for r in expected][0] == (14, 14)
    assert [e.title for e in embeds] == [
        f"[{r.rank}] {r.title}{f' › {r.section}' if r.section else ''} — "
        f"¶{r.passage_paragraphs[0]}–{r.passage_paragraphs[1]}"
        for r in expected
    ]
    assert "Liang Wenfeng" in embeds[0].description
    assert "hedge fund" in embeds[0].description


async def test_feedback_keeps_one_vote_per_user_per_answer(env: simcord.Env):
    channel, alice, bob, answer = await asked_in_channel(env)
    bot: CitebotBot = env.bot  # type: ignore[assignment]
    answer_id = bot.store.database.query("SELECT MAX(id) FROM questions")[0][0]

    first = await alice.click(answer, custom_id=emoji_button(answer, "👍"))
    again = await alice.click(answer, custom_id=emoji_button(answer, "👍"))
    bobs = await bob.click(answer, custom_id=emoji_button(answer, "👎"))

    assert first.ephemeral and first.response.content == "Thanks for the feedback 👍"
    assert again.response.content == "You already voted 👍 on this answer."
    assert bobs.response.content == "Thanks for the feedback 👎"
    counts = bot.store.feedback(answer_id)
    assert (counts.up, counts.down) == (1, 1)

    changed = await alice.click(answer, custom_id=emoji_button(answer, "👎"))

    assert changed.response.content == "Changed your vote to 👎"
    counts = bot.store.feedback(answer_id)
    assert (counts.up, counts.down) == (0, 2)


async def test_answer_buttons_do_not_time_out(env: simcord.Env):
    channel, alice, bob, answer = await asked_in_channel(env)

    await env.advance_time(VIEW_TIMEOUT + 1)

    answer = simcord.ResponseMessage(env, env.backend.get_message(channel.id, answer.id))
    assert not any(buttons(answer).values())
    await alice.click(answer, label="More results")
    answer = simcord.ResponseMessage(env, env.backend.get_message(channel.id, answer.id))
    assert answer.embeds[0].footer.text.endswith("page 2/3")


async def test_dm_answer_buttons_work_later_too(env: simcord.Env):
    bob = env.create_user("bob")
    await bob.send_dm(QUESTION)
    reply = bob.dm_channel.last_message

    result = await bob.click(reply, label="More results")
    assert result.acknowledged
    assert bob.dm_channel.last_message.embeds[0].footer.text.endswith("page 2/3")

    await env.advance_time(VIEW_TIMEOUT + 1)

    reply = bob.dm_channel.last_message
    await bob.click(reply, label="More results")
    assert bob.dm_channel.last_message.embeds[0].footer.text.endswith("page 3/3")
