"""A follow-up in a thread leans toward the articles cited there (`Engine.answer(prefer_articles=)`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer import Engine
from bot.settings import Settings

FOLLOW_UP = "When was it introduced?"  # after "What is CUDA?"
CITED = "notes/gpu-basics"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    data = tmp_path_factory.mktemp("data")
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    return Engine.open(Settings(corpus_dir=corpus, data_dir=data))


def test_the_lean_ranks_the_cited_article_first_for_a_vague_follow_up(engine: Engine) -> None:
    first = engine.answer("What is CUDA?")
    assert first.results[0].article_id == CITED

    alone = engine.answer(FOLLOW_UP)
    leaned = engine.answer(FOLLOW_UP, prefer_articles=[CITED])

    assert not alone.results or alone.results[0].article_id != CITED
    assert leaned.found
    assert leaned.results[0].article_id == CITED
    assert "2006" in leaned.results[0].excerpt


def test_no_lean_or_an_unknown_article_changes_nothing(engine: Engine) -> None:
    alone = engine.answer(FOLLOW_UP)
    for leaned in (
        engine.answer(FOLLOW_UP, prefer_articles=[CITED], lean=0.0),
        engine.answer(FOLLOW_UP, prefer_articles=["no-such-article"]),
    ):
        assert [(r.article_id, r.paragraphs) for r in leaned.results] == [
            (r.article_id, r.paragraphs) for r in alone.results
        ]


def test_a_question_limited_to_one_article_ignores_the_lean(engine: Engine) -> None:
    limited = engine.answer(
        "Who founded DeepSeek?", article_id="deepseek-rise", prefer_articles=[CITED]
    )
    assert {r.article_id for r in limited.results} == {"deepseek-rise"}
