"""Chat-style questions: what a help-channel message is read as before it is searched."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.chat import CODE, CONTEXT, ERROR, PROSE, QuestionReader, ReadQuestion, count_words
from bot.text import Analyzer

LIBRARY = """
Help channels: a help post stays active for 30 minutes after the last message.
The guild owner can mention a role. Permissions are set per channel, and the guild
settings decide who may mention everyone. Install the package with pip, then set the
environment variable before you run the bot. The message content intent must be
enabled in the developer portal. A frobnicator turns widgets; the frobnicator is
configured in settings. Zorblat and zorblit are two kinds of widgets. Tokenz is our
product name, and tokens are secret.
"""


@pytest.fixture(scope="module")
def reader() -> QuestionReader:
    return QuestionReader.from_texts([LIBRARY] * 3)


def prose(read: ReadQuestion) -> str:
    return " ".join(text for text, factor in read.parts if factor == PROSE)


def test_greetings_and_thanks_are_removed(reader: QuestionReader) -> None:
    read = reader.read("hey guys, how long does a help post stay active? thx in advance!!")
    assert read.text() == "how long does a help post stay active?"
    assert reader.read("hi all what are permissions? thanks!!").text() == "what are permissions?"


@pytest.mark.parametrize(
    "filler",
    [
        "lol",
        "idk",
        "pls help",
        "any ideas?",
        "sorry if dumb question",
        "tbh",
        "thank you so much",
        "tho",
    ],
)
def test_chat_filler_is_removed(reader: QuestionReader, filler: str) -> None:
    read = reader.read(f"{filler} how do i set permissions for a channel {filler}")
    assert re.findall(r"\w+", read.text()) == "how do i set permissions for a channel".split()


@pytest.mark.parametrize(
    "message", ["hey guys thx", "any ideas?", "pls help", "hi all lol", "<@1> 👋"]
)
def test_filler_only_question_has_no_parts(reader: QuestionReader, message: str) -> None:
    read = reader.read(message)
    assert read.parts == ()
    assert read.text() == ""


def test_chat_time_words_carry_no_extra_weight(reader: QuestionReader) -> None:
    # "rn" is "now", not "right now": "right" would be searched as a word of the question.
    assert reader.read("the bot is down rn").text() == "the bot is down now"


def test_a_trailing_anyone_is_filler(reader: QuestionReader) -> None:
    assert reader.read("how do i set permissions, anyone?").text() == "how do i set permissions"
    # Asking whether anyone did something is a question, and stays.
    assert reader.read("anyone deployed the bot on a vps?").text() == (
        "anyone deployed the bot on a vps?"
    )


def test_the_sentence_that_asks_outweighs_the_ones_setting_the_scene(
    reader: QuestionReader,
) -> None:
    read = reader.read("my bot is in 40 guilds now lol. how do i set permissions per channel?")
    assert read.parts == (
        ("my bot is in 40 guilds now.", CONTEXT),
        ("how do i set permissions per channel?", PROSE),
    )
    assert CONTEXT < PROSE
    # A sentence that opens with a question word asks, with or without its "?".
    read = reader.read("the bot is set up. where do i put the token")
    assert read.parts[-1] == ("where do i put the token", PROSE)


def test_a_question_that_points_back_leaves_the_scene_its_full_weight() -> None:
    # "how do i write one" names nothing: what is wanted is in the sentence before it.
    analyzer = Analyzer()
    reader = QuestionReader.from_texts(
        [LIBRARY] * 3, term_of=lambda word: " ".join(analyzer.terms(word))
    )
    scene = "i want to log how long each request takes, like a timing middleware."
    assert reader.read(f"{scene} how do i write one").parts == (
        (f"{scene} how do i write one", PROSE),
    )
    # A question that names what it wants still outweighs the scene.
    read = reader.read(f"{scene} how do i write a middleware function?")
    assert read.parts == (
        (scene, CONTEXT),
        ("how do i write a middleware function?", PROSE),
    )


@pytest.mark.parametrize(
    "message",
    [
        "how do i set permissions per channel?",  # one sentence
        "what is a guild? how do i set permissions?",  # every sentence asks
        "the bot does not start. the token is set.",  # none asks: all of it is the question
    ],
)
def test_a_message_that_only_asks_or_only_tells_is_prose(
    reader: QuestionReader, message: str
) -> None:
    assert reader.read(message).parts == ((message, PROSE),)


def test_filler_word_the_library_uses_is_kept() -> None:
    reader = QuestionReader({"lol": 12, "champions": 5})
    assert reader.read("which lol champions are strong").text() == "which lol champions are strong"


def test_contractions_without_apostrophes_are_expanded(reader: QuestionReader) -> None:
    read = reader.read(
        "thats odd, whats wrong, im sure theres a role but it doesnt work and i cant"
    )
    assert read.text() == (
        "that is odd, what is wrong, i am sure there is a role but it does not work and i can not"
    )
    assert reader.read("ive tried, youre right, it wont start, isnt it").text() == (
        "i have tried, you are right, it will not start, is not it"
    )
    assert reader.read("i dont know why the role doesnt show").text() == (
        "i do not know why the role does not show"
    )


def test_words_that_are_also_contractions_stay(reader: QuestionReader) -> None:
    question = "its settings were fine, well, the shell said hell no"
    assert reader.read(question).text() == question


def test_typo_is_corrected_toward_the_library_vocabulary(reader: QuestionReader) -> None:
    read = reader.read("how do i set permisions for teh guild ownr")
    assert read.text() == "how do i set permissions for the guild owner"
    assert ("permisions", "permissions") in read.corrections
    assert ("ownr", "owner") in read.corrections
    assert reader.read("Permisions per channel?").text() == "Permissions per channel?"


def test_common_english_typos_and_chat_spellings_are_corrected(reader: QuestionReader) -> None:
    read = reader.read("wat is teh help channel")
    assert read.text() == "what is the help channel"
    assert ("teh", "the") in read.corrections


def test_long_word_is_corrected_at_distance_two_short_word_only_at_one(
    reader: QuestionReader,
) -> None:
    # "frobnixatir" is two edits from the library's "frobnicator" (11 letters).
    assert "frobnicator" in reader.read("what does the frobnixatir do").text()
    # "zorbqut" is two edits from "zorblat", too many for a 7-letter word.
    assert reader.read("what is zorbqut").text() == "what is zorbqut"


def test_ambiguous_typo_is_left_alone(reader: QuestionReader) -> None:
    # One edit from both "zorblat" and "zorblit", seen as often: no confident choice.
    read = reader.read("what is a zorblt")
    assert read.text() == "what is a zorblt"
    assert read.corrections == ()


def test_real_english_and_library_words_are_never_corrected(reader: QuestionReader) -> None:
    # "build" is one edit from the library's "guild"; "tokenz" is the library's own word.
    read = reader.read("can i build tokenz")
    assert read.text() == "can i build tokenz"
    assert read.corrections == ()


def test_a_vowel_spelled_as_heard_is_a_typo() -> None:
    reader = QuestionReader({"deepseek": 30, "founder": 5})
    assert reader.read("who made deepseak").text() == "who made deepseek"
    # A consonant far from the right key is not a slip: another name, left alone.
    assert reader.read("who made deepmeek").text() == "who made deepmeek"


def test_corrections_searched_alike_are_one_choice() -> None:
    # "foundd" is one edit from "founded" and from "found": both are searched as "found".
    stems = {"founded": "found", "found": "found", "fund": "fund"}
    reader = QuestionReader(
        {"founded": 8, "found": 6, "fund": 6}, term_of=lambda word: stems.get(word, word)
    )
    assert reader.read("who foundd it").text() == "who founded it"
    # Without the stems the two are as likely: no confident choice.
    assert QuestionReader({"founded": 8, "found": 6}).read("who foundd it").text() == (
        "who foundd it"
    )


def test_a_word_english_uses_often_is_never_corrected() -> None:
    # "kilometers" is missing from symspellpy's dictionary, but wordfreq knows it well.
    reader = QuestionReader({"kilometres": 30})
    assert reader.read("how many kilometers").text() == "how many kilometers"


def test_word_seen_once_in_the_library_is_no_correction_target() -> None:
    reader = QuestionReader({"zorblat": 1, "widgets": 4})
    assert reader.read("what is zorblst").text() == "what is zorblst"
    assert QuestionReader({"zorblat": 2}).read("zorblst").text() == "zorblat"


def test_a_far_key_makes_a_different_name_not_a_typo() -> None:
    reader = QuestionReader({"uvicorn": 40, "server": 40})
    # g and u are far apart on a keyboard: gunicorn is another server, not a typo.
    assert reader.read("how many gunicorn workers").text() == "how many gunicorn workers"
    # o and i are neighbours; a missed letter is a typo too.
    assert reader.read("run uvocorn on the servr").text() == "run uvicorn on the server"


def test_parts_of_file_and_package_names_are_not_corrected(reader: QuestionReader) -> None:
    question = "load settings from a .env file with pydantic-settings"
    assert reader.read(question).text() == question


def test_known_callback_keeps_words_the_vocabulary_missed() -> None:
    reader = QuestionReader({"permissions": 9}, known=lambda word: word == "permisions")
    assert reader.read("permisions").text() == "permisions"


def test_copies_for_larger_libraries_share_one_set_of_spellers() -> None:
    # Two servers' readers, copied before any typo was met: a speller each would be ~80 MB.
    shared = QuestionReader.from_texts([LIBRARY] * 3)
    first = shared.knowing(lambda word: word == "otters")
    second = shared.knowing(lambda word: word == "ferries")
    assert first.read("set permisions").text() == "set permissions"
    assert second.read("the ownr").text() == "the owner"
    assert first._tables()[2] is shared._tables()[2]
    assert second._tables()[2] is shared._tables()[2]
    assert first.knowing(lambda word: False)._tables() is shared._tables()


def test_acronyms_and_mixed_case_names_are_not_corrected(reader: QuestionReader) -> None:
    assert reader.read("is OWNR or gUild a thing").text() == "is OWNR or gUild a thing"


def test_traceback_paths_are_noise_and_error_line_is_strong(reader: QuestionReader) -> None:
    read = reader.read(
        "my bot crashes on start\n"
        "Traceback (most recent call last):\n"
        '  File "/home/me/bot/main.py", line 12, in <module>\n'
        "    client.run(TOKEN)\n"
        '  File "/usr/lib/python3.11/site-packages/discord/client.py", line 860, in run\n'
        "    asyncio.run(runner())\n"
        "discord.errors.LoginFailure: Improper token has been passed.\n"
    )
    assert read.parts[0] == ("my bot crashes on start", PROSE)
    assert ("discord.errors.LoginFailure: Improper token has been passed.", ERROR) in read.parts
    assert ERROR > PROSE > CODE
    everything = read.text()
    for noise in (
        "Traceback",
        "most recent",
        "File",
        "main.py",
        "/home",
        "line",
        "860",
        "<module>",
    ):
        assert noise not in everything
    code = [text for text, factor in read.parts if factor == CODE]
    assert code and "client.run" in code[0]


def test_error_message_loses_its_paths(reader: QuestionReader) -> None:
    read = reader.read(
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "FileNotFoundError: [Errno 2] No such file or directory: '/home/me/config.json'\n"
    )
    assert read.parts == (("FileNotFoundError: [Errno 2] No such file or directory", ERROR),)


def test_error_line_alone_is_strong(reader: QuestionReader) -> None:
    read = reader.read("KeyError: 'token'\nwhen i run the bot")
    assert read.parts == (("KeyError: 'token'", ERROR), ("when i run the bot", PROSE))


def test_error_message_lines_under_the_error_line_are_strong(reader: QuestionReader) -> None:
    # pydantic prints the reason on the line under its error line: it is what went wrong,
    # not pasted code; its [type=…] details and the "visit <url>" pointer are not.
    read = reader.read(
        "```\n"
        "pydantic_core._pydantic_core.ValidationError: 1 validation error for Crew\n"
        "  Value error, Attribute `manager_llm` or `manager_agent` is required when using"
        " hierarchical process. [type=value_error, input_value={'agents': []}, input_type=dict]\n"
        "    For further information visit https://errors.pydantic.dev/2.5/v/value_error\n"
        "```\n"
        "what does it want from me"
    )
    (error,) = [text for text, factor in read.parts if factor == ERROR]
    assert error.startswith("pydantic_core._pydantic_core.ValidationError: 1 validation error")
    assert "manager_llm or manager_agent is required when using hierarchical process." in error
    assert not {"type", "input_value", "visit", "https"} & set(re.findall(r"\w+", error))
    assert read.parts[-1] == ("what does it want from me", PROSE)


def test_code_under_an_error_line_stays_weak(reader: QuestionReader) -> None:
    read = reader.read(
        "```\nRuntimeError: Form data requires python-multipart\n    x = load(path)\n```\n"
        "KeyError: 'token'\nwhen i run the bot"
    )
    assert read.parts == (
        ("RuntimeError: Form data requires python-multipart", ERROR),
        ("load path", CODE),
        ("KeyError: 'token'", ERROR),
        ("when i run the bot", PROSE),
    )


def test_javascript_error_and_stack_frames(reader: QuestionReader) -> None:
    read = reader.read(
        "Uncaught TypeError: client.login is not a function\n"
        "    at Object.<anonymous> (/home/u/bot/index.js:10:5)\n"
        "    at Module._compile (node:internal/modules/cjs/loader:1105:14)\n"
        "why does login fail"
    )
    assert read.parts == (
        ("TypeError: client.login is not a function", ERROR),
        ("why does login fail", PROSE),
    )


def test_pasted_code_identifiers_are_weak(reader: QuestionReader) -> None:
    read = reader.read(
        "```py\n"
        "@bot.command()\n"
        "async def ping_pong(ctx):\n"
        '    await ctx.send("pong")\n'
        "```\n"
        "why does my ping command not reply"
    )
    assert read.parts[-1] == ("why does my ping command not reply", PROSE)
    (code,) = [text for text, factor in read.parts if factor == CODE]
    assert {"bot.command", "ping_pong", "ctx.send", "pong"} <= set(code.split())
    assert not {"async", "def", "await"} & set(code.split())


def test_code_lines_without_a_fence_are_weak(reader: QuestionReader) -> None:
    read = reader.read(
        "how do i get the message content intent\n"
        "from discord.ext import commands\n"
        "intents = discord.Intents.default()\n"
        "myBot = commands.Bot(command_prefix='!', intents=intents)\n"
    )
    assert read.parts[0] == ("how do i get the message content intent", PROSE)
    code = " ".join(text for text, factor in read.parts if factor == CODE)
    assert {"discord.ext", "commands", "discord.Intents.default", "myBot"} <= set(code.split())


def test_prose_that_looks_a_little_like_code_stays_prose(reader: QuestionReader) -> None:
    question = "if i restart the bot (like twice) does the help post stay active?"
    assert reader.read(question).parts == ((question, PROSE),)


def test_code_comment_is_read_as_prose(reader: QuestionReader) -> None:
    read = reader.read("```\nbot.run(token)  # this never starts\n```")
    assert ("this never starts", PROSE) in read.parts
    assert ("bot.run token", CODE) in read.parts


def test_inline_name_stays_in_the_sentence_snippet_is_code(reader: QuestionReader) -> None:
    read = reader.read("im using `bot.run()` and `await ctx.send(embed=e)` fails")
    assert read.parts[0] == ("ctx.send embed", CODE)
    assert read.parts[1] == ("i am using bot.run() and fails", PROSE)


def test_discord_mentions_emoji_and_urls_are_stripped(reader: QuestionReader) -> None:
    read = reader.read(
        "<@123> <@!456> <@&789> in <#42> how do i mention a role 😭🙏 <:pepe:1234> "
        "<a:dance:99> :sob: :) see https://example.org/docs?x=1 and www.example.com/a"
    )
    assert read.text() == "in how do i mention a role see and"


def test_a_bare_address_is_what_is_asked_about(reader: QuestionReader) -> None:
    # A link to a page is a reference and goes; an address with no page is the subject.
    read = reader.read("are http://localhost and http://localhost:8080/ the same origin?")
    assert read.text() == "are localhost and localhost 8080 the same origin?"
    read = reader.read("my api on http://127.0.0.1:8000 says 404, see https://example.org/faq")
    assert read.text() == "my api on 127.0.0.1 8000 says 404, see"


def test_from_texts_counts_casefolded_words() -> None:
    counts = count_words(["The Guild, the guild!", "GUILD owners 42"])
    assert counts["guild"] == 3
    assert counts["the"] == 2
    assert "42" not in counts


def test_count_words_samples_past_its_budget_and_weights_the_sample() -> None:
    texts = ["alpha beta"] * 1000
    counts = count_words(texts, budget=100)
    # Every text is the same, so the weighted sample still counts about 1000 of each.
    assert 900 <= counts["alpha"] <= 1100
    assert counts["alpha"] == counts["beta"]


def test_read_gives_the_same_answer_from_many_threads(reader: QuestionReader) -> None:
    questions = ["wat is teh guild ownr", "thats permisions lol", "hey guys thx"] * 50
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(reader.read, questions))
    assert together == [reader.read(q) for q in questions]


def test_a_letter_more_than_a_short_or_stop_word_is_no_typo_of_it(
    reader: QuestionReader,
) -> None:
    # "anda" is one letter more than "and": more often a name or another language's word.
    for question in ("what is anda", "how does ona work"):
        read = reader.read(question)
        assert read.text() == question
        assert read.corrections == ()
    # The same slip made inside a short word is still corrected.
    assert ("teh", "the") in reader.read("wat is teh help channel").corrections
