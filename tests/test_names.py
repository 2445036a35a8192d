"""Naming an article: exact ids win, near misses are used only when confident."""

from __future__ import annotations

import shutil
from pathlib import Path

from support import run_citebot

from bot.corpus import Article
from bot.names import match_article

REPO = Path(__file__).resolve().parent.parent


def article(article_id: str, title: str) -> Article:
    return Article(article_id=article_id, title=title, text="", paragraphs=())


LIBRARY = [
    article("release-2023", "Release notes 2023"),
    article("release-2024", "Release notes 2024"),
    article("walrus", "The walrus and its tusks"),
    article("The walrus and its tusk", "Something else entirely"),
]


def test_an_exact_id_wins_over_a_title_that_is_nearly_it():
    assert match_article(LIBRARY, "The walrus and its tusk").article is LIBRARY[3]


def test_a_confident_near_miss_is_used_and_marked_as_a_guess():
    match = match_article(LIBRARY[:3], "the walrsu and its tusks")

    assert match.article is LIBRARY[2] and match.guessed
    # Beside an id that is nearly the same text, it is no longer a confident guess.
    both = match_article(LIBRARY, "the walrsu and its tusks")
    assert both.article is None and set(both.suggestions[:2]) == {LIBRARY[2], LIBRARY[3]}


def test_an_exact_title_or_the_one_title_containing_the_text_is_no_guess():
    assert match_article(LIBRARY, "release notes 2023").article is LIBRARY[0]
    exact = match_article(LIBRARY, "2024")
    assert exact.article is LIBRARY[1] and not exact.guessed


def test_a_near_miss_close_to_two_titles_is_not_guessed_but_both_are_suggested():
    match = match_article(LIBRARY, "relase notes")

    assert match.article is None
    assert set(match.suggestions[:2]) == {LIBRARY[0], LIBRARY[1]}
    assert len(match.suggestions) <= 3


def test_text_contained_in_several_titles_lists_them():
    match = match_article(LIBRARY, "release notes")

    assert match.article is None and match.ambiguous
    assert set(match.suggestions) == {LIBRARY[0], LIBRARY[1]}


def test_nothing_like_any_title_suggests_nothing():
    match = match_article(LIBRARY, "qqqq zzzz")

    assert match.article is None and match.suggestions == ()


def test_cli_article_near_miss_is_used_and_said(tmp_path: Path):
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")

    run = run_citebot("ask", "who founded it?", "--article", "deepsek rise", cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert "using article 'deepseek-rise' (DeepSeek's rise), the closest to 'deepsek rise'" in (
        run.stderr
    )
    assert "Liang Wenfeng" in run.stdout

    missed = run_citebot("ask", "what is it?", "--article", "bm52", cwd=tmp_path)

    assert missed.returncode == 2
    assert missed.stderr.strip() == (
        "citebot: no article with the id 'bm52'; did you mean 'bm25-search' "
        "(How BM25 ranking works)? (see `citebot articles`)"
    )
