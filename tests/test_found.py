"""The "not found" decision: evidence from library weights and English at large."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bot.answer import Engine
from bot.found import (
    MAX_SIZE,
    THRESHOLD,
    UNKNOWN_AT_MOST,
    answers,
    confidence,
    evidence,
    informativeness,
)
from bot.settings import Settings

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_e0b9468542a9bc2d.txt"


def test_informativeness_orders_words_by_how_much_they_name_a_subject() -> None:
    assert informativeness("the") < informativeness("guys") < informativeness("walrus")
    assert informativeness("Walrus") == informativeness("walrus")
    assert informativeness("qwxzvbnt") == 1.0  # never seen in English
    assert 0.0 <= informativeness("the") < 0.1


def test_numbers_are_as_common_as_english_writes_them() -> None:
    # wordfreq keeps "0000" for every four-digit number: "2000" is no never-seen word.
    assert informativeness("the") < informativeness("2000") < 0.6
    assert informativeness("2000") < informativeness("404") < informativeness("walrus")


def test_evidence_by_hand() -> None:
    weights = {"walrus": 4.0, "operat": 2.0, "zork": 6.0}
    informative = {"walrus": 0.6, "operat": 0.4, "zork": 1.0}
    found = evidence(
        weights,
        informative,
        known=frozenset({"walrus", "operat"}),
        matched=frozenset({"walrus"}),
        best_sentence=0.3,
        local_best=0.2,
        bm25=5.0,
        passages=10,
    )
    assert found.coverage == pytest.approx(4 / 12)
    assert found.known_coverage == pytest.approx(4 / 6)
    # "zork", which the library lacks, counts at most UNKNOWN_AT_MOST (0.5) of its 1.0.
    assert found.informative_coverage == pytest.approx(0.6 / 1.5)
    assert found.missed_informative == pytest.approx(0.5)
    assert found.missed_total == pytest.approx(0.4 + 0.5)
    assert found.unknown_share == pytest.approx(0.5 / 1.5)
    assert found.concepts == 3


def test_a_passage_holding_every_informative_word_answers() -> None:
    weights = {"walrus": 4.0, "tusk": 3.0}
    informative = {"walrus": 0.6, "tusk": 0.6}
    full = evidence(weights, informative, frozenset(weights), frozenset(weights), 1.0, 1.0, 9.0, 50)
    none = evidence(weights, informative, frozenset(weights), frozenset(), 0.0, 0.0, 0.0, 50)
    assert answers(full)
    assert not answers(none)


@pytest.fixture(scope="module")
def seed_library(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    assert SEED.is_file(), f"the seed article is missing: {SEED}"
    corpus = tmp_path_factory.mktemp("seed")
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    return Engine.open(Settings(corpus_dir=corpus, data_dir=tmp_path_factory.mktemp("data")))


def test_one_article_library_answers_who_founded_its_subject(seed_library: Engine) -> None:
    # "DeepSeek" is in every passage, and "founded" is "founder" in the article.
    answer = seed_library.answer("Who founded DeepSeek?")
    assert answer.found
    assert "Liang Wenfeng" in answer.results[0].excerpt


@pytest.mark.parametrize("question", ["who foundd deepseek", "who founded deepseak"])
def test_one_article_library_answers_through_a_typo(seed_library: Engine, question: str) -> None:
    # "foundd" is one slip from both "found" and "founded" (searched alike); "deepseak"
    # spells a vowel as heard.
    answer = seed_library.answer(question)
    assert answer.found
    assert "Liang Wenfeng" in answer.results[0].excerpt


def test_a_word_nobody_has_seen_does_not_block_the_answer(seed_library: Engine) -> None:
    # "xyzzyq" is in neither the library nor English at large: no evidence either way.
    answer = seed_library.answer("who founded deepseek xyzzyq")
    assert answer.found
    assert "Liang Wenfeng" in answer.results[0].excerpt


def test_a_word_the_library_lacks_counts_as_a_middling_word() -> None:
    weights = {"walrus": 4.0, "xyzzyq": 6.0}
    informative = {"walrus": 0.6, "xyzzyq": 1.0}
    found = evidence(
        weights, informative, frozenset({"walrus"}), frozenset({"walrus"}), 1.0, 1.0, 9.0, 50
    )
    assert found.informative_coverage == pytest.approx(0.6 / (0.6 + UNKNOWN_AT_MOST))
    assert found.unknown_share == pytest.approx(UNKNOWN_AT_MOST / (0.6 + UNKNOWN_AT_MOST))
    assert found.missed_informative == pytest.approx(UNKNOWN_AT_MOST)


def test_one_article_library_answers_what_its_founder_did_before(seed_library: Engine) -> None:
    answer = seed_library.answer("What was Liang's job before DeepSeek?")
    assert answer.found
    assert "hedge fund" in answer.results[0].excerpt


@pytest.mark.parametrize(
    "question",
    [
        "What does the walrus operator do in Python?",
        "How do I bake sourdough bread?",
        "What is the capital of Peru?",
    ],
)
def test_one_article_library_refuses_what_it_does_not_cover(
    seed_library: Engine, question: str
) -> None:
    answer = seed_library.answer(question)
    assert not answer.found
    assert not answer.results


def test_a_library_larger_than_any_in_the_fit_is_read_as_the_largest() -> None:
    # Extrapolating the size terms to a million passages would refuse answerable questions.
    def at(passages: int) -> float:
        weights = {"walrus": 4.0, "tusk": 3.0}
        informative = {"walrus": 0.6, "tusk": 0.6}
        known = frozenset(weights)
        return confidence(evidence(weights, informative, known, known, 1.0, 1.0, 9.0, passages))

    assert at(1_000_000) == at(100_000) == at(round(math.exp(MAX_SIZE)) + 1)
    assert at(1_000_000) > THRESHOLD
