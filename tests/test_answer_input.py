"""Whatever people type, the answering API answers (or refuses politely) and never crashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer import Answer, Engine
from bot.errors import QuestionError
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return Engine.open(
        Settings(corpus_dir=REPO / "corpus", data_dir=tmp_path_factory.mktemp("data"))
    )


def ask_safely(engine: Engine, question: str) -> Answer | None:
    try:
        answer = engine.answer(question)
    except QuestionError as exc:
        assert str(exc)  # a message a person can read
        return None
    for result in answer.results:
        article = engine.article(result.article_id)
        assert article is not None
        assert result.excerpt.strip("…") in article.text
        assert len(result.excerpt) <= 400
    return answer


NASTY = [
    "",
    "   \t\n  ",
    "DeepSeek " * 700,  # 6,000+ characters
    "the of and to is what",
    "?!?!... --- ;;;",
    "🤖🔥💯 who founded deepseek 🚀",
    "who\u200bfounded\u200b deep\u200dseek\ufeff",
    "\u202emoc.kees-peed\u202c who founded DeepSeek",
    "**bold** `code` ```py\nprint(1)\n``` > quote ||spoiler|| __under__",
    "@everyone @here <@123456789012345678> <@&987654321098765432> who founded DeepSeek",
    "https://example.org/?q=H100&x=<script>alert(1)</script>",
    "深度求索的创始人是谁？",
    "من أسس ديب سيك؟",
    "Кто основал DeepSeek?",
    "who founded\x00 DeepSeek\x00",
    "\x00\x00\x00",
]
#: Nothing in these could find a passage: they are asked for a question, not answered.
NOTHING_TO_SEARCH = {"", "   \t\n  ", "the of and to is what", "?!?!... --- ;;;", "\x00\x00\x00"}


@pytest.mark.parametrize("question", NASTY)
def test_awkward_questions_get_an_answer_or_a_polite_refusal(engine: Engine, question: str) -> None:
    answer = ask_safely(engine, question)
    if question not in NOTHING_TO_SEARCH and answer is None:
        pytest.fail(f"refused a question that has words to search: {question!r}")
    if question in NOTHING_TO_SEARCH:
        with pytest.raises(QuestionError, match="Please ask a question"):
            engine.answer(question)


def test_question_wrapped_in_noise_still_finds_the_founder(engine: Engine) -> None:
    for question in NASTY[5:7] + NASTY[14:15]:
        answer = engine.answer(question)
        assert answer.found, question
        assert "Liang Wenfeng" in " ".join(r.excerpt for r in answer.results), question


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=600))
def test_any_text_is_safe_to_ask(engine: Engine, question: str) -> None:
    ask_safely(engine, question)


def test_a_typo_of_a_stop_word_alone_is_asked_for_a_question(engine: Engine) -> None:
    # "teh" is read as "the": no word left that could find a passage.
    with pytest.raises(QuestionError, match="no word to search for"):
        engine.answer("teh")
    # A typo read as a word the articles could hold is searched.
    assert engine.answer("who foundd DeepSeek").found
