"""Word forms that stems miss meet across question and article."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import library_of

from bot.answer import Engine
from bot.word_forms import relatives


@pytest.mark.parametrize(
    ("word", "kin"),
    [
        ("founded", {"founder", "founders", "founding"}),
        ("founder", {"founded", "found"}),
        ("built", {"build", "builder", "building"}),
        ("invented", {"inventor", "invention"}),
        ("invention", {"invented", "inventor"}),
        ("wrote", {"write", "written", "writer"}),
    ],
)
def test_relatives_cover_derivations_and_irregular_forms(word: str, kin: set[str]) -> None:
    assert kin <= relatives(word)


def test_relatives_leave_out_the_word_itself_short_words_and_numbers() -> None:
    assert "founded" not in relatives("founded")
    assert relatives("is") == frozenset()
    assert relatives("h100") == frozenset()


def test_adjective_lemmas_do_not_stray() -> None:
    # "better" is a form of "good" only as an adjective: widening it would match "good".
    assert "good" not in relatives("better")


@pytest.fixture
def library(tmp_path: Path) -> Engine:
    harmonica = (
        "# The glass harmonica\n\n"
        "Benjamin Franklin was the inventor of the glass harmonica, a set of spinning "
        "glass bowls played with wet fingers.\n\n"
        "The builder of the first workshop instrument was a London glassblower named "
        "Charles James, who cut each bowl by hand.\n\n"
        "Mozart and Beethoven both wrote pieces for the instrument before it fell out "
        "of fashion in the early nineteenth century.\n"
    )
    return library_of(tmp_path, {"harmonica.md": harmonica})


def test_question_in_one_form_finds_the_article_in_another(library: Engine) -> None:
    answer = library.answer("Who invented the glass harmonica?")
    assert answer.found
    assert "Benjamin Franklin" in answer.results[0].excerpt


def test_irregular_verb_meets_its_agent_noun(library: Engine) -> None:
    answer = library.answer("Who built the first workshop instrument?")
    assert answer.found
    assert "Charles James" in answer.results[0].excerpt


def test_other_forms_are_highlighted_like_the_question_words(library: Engine) -> None:
    top = library.answer("Who invented the glass harmonica?").results[0]
    shown = {top.excerpt[s:e].casefold() for s, e in top.highlights}
    assert "inventor" in shown
