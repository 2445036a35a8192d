"""Article ids are unique and stable: what citations, `--article` and pickers name."""

from __future__ import annotations

from pathlib import Path

from bot.corpus import load_corpus
from bot.corpus_edit import article_from_page, save_page_article, save_upload


def ids(folder: Path) -> list[str]:
    return [a.article_id for a in load_corpus(folder).articles]


def test_files_that_differ_only_by_extension_get_distinct_ids(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A in Markdown\n\nThe Markdown file about apples.")
    (tmp_path / "a.txt").write_text("A in text\n\nThe text file about apricots.")
    (tmp_path / "a.html").write_text(
        "<html><head><title>A in HTML</title></head><body><p>The HTML file about avocados.</p>"
        "</body></html>"
    )
    (tmp_path / "b.md").write_text("# B\n\nAn only file keeps its short id.")
    assert ids(tmp_path) == ["a.html", "a.md", "a.txt", "b"]
    assert ids(tmp_path) == ["a.html", "a.md", "a.txt", "b"]  # the same on every load


def test_a_jsonl_line_and_a_file_of_the_same_name_get_distinct_ids(tmp_path: Path) -> None:
    (tmp_path / "batch.jsonl").write_text(
        '{"title": "One", "text": "The first line of a batch."}\n'
    )
    (tmp_path / "batch").mkdir()
    (tmp_path / "batch" / "1.md").write_text("# One again\n\nA file that looks like line one.")
    found = ids(tmp_path)
    assert len(found) == len(set(found)) == 2


def test_ids_differing_only_by_case_are_made_distinct(tmp_path: Path) -> None:
    (tmp_path / "Notes.md").write_text("# Notes\n\nUpper case notes on pears.")
    (tmp_path / "notes.md").write_text("# notes\n\nLower case notes on plums.")
    found = ids(tmp_path)
    assert len(found) == len(set(found)) == 2


def test_an_added_page_and_an_upload_with_the_same_name_never_collide(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    page = "<html><head><title>Report</title></head><body><p>The yearly report on owls.</p></body></html>"
    added = save_page_article(
        corpus, article_from_page(page, "text/html", "https://example.org/report"), existing=[]
    )
    [upload] = save_upload(
        corpus, "report.txt", b"Report\n\nThe monthly report on bats.", existing=[]
    )
    assert added.article.article_id != upload.article.article_id
    assert sorted(ids(corpus)) == sorted([added.article.article_id, upload.article.article_id])
