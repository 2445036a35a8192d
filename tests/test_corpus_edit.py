from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.corpus import load_corpus, markdown_paragraphs
from bot.corpus_edit import (
    article_from_page,
    escape_markdown_paragraph,
    remove_article,
    save_page_article,
    save_upload,
)
from bot.errors import CorpusEditError, DuplicateArticle

PAGE = """<html><head><title>Zebra facts</title>
<link rel="canonical" href="https://example.org/zebras"></head><body><nav>Home</nav>
<article><h1>Zebra facts</h1><p>Zebras have *black* and white stripes &amp; live in Africa.</p>
<p>1. Each zebra's pattern of stripes is unique, like a fingerprint.</p></article></body></html>"""


def test_fetched_page_is_saved_as_markdown_that_loads_back_verbatim(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    article = article_from_page(PAGE, "text/html", "https://example.org/zebras?ref=x")
    added = save_page_article(corpus, article, existing=[])
    assert added.path.parent == corpus / "added"
    assert added.path.suffix == ".md"
    [loaded] = load_corpus(corpus).articles
    assert loaded.title == "Zebra facts"
    assert loaded.url == "https://example.org/zebras?ref=x"  # the URL the admin gave
    assert loaded.text == article.text
    assert "Zebras have *black* and white stripes & live in Africa." in loaded.text


DOCS_PAGE = """<html><head><title>Git guide</title></head><body><nav>Home</nav><article>
<h1>Git guide</h1><p>Git keeps every version of your files, so nothing committed is lost.</p>
<h2 id="undo">Undoing *changes*</h2><p>Check the file out again to discard what you changed.</p>
<pre><code># Discard changes
$ git checkout -- path/to/file.py

# Discard ALL
$ git checkout -- .</code></pre>
<h3>Everything</h3><p>Use a dot for the whole tree.</p></article></body></html>"""


def test_a_fetched_page_keeps_its_headings_and_code_when_saved(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    article = article_from_page(DOCS_PAGE, "text/html", "https://example.org/git")
    save_page_article(corpus, article, existing=[])
    [loaded] = load_corpus(corpus).articles
    assert loaded.text == article.text
    assert "# Discard changes\n$ git checkout -- path/to/file.py\n\n# Discard ALL" in loaded.text
    assert (
        [s.label for s in loaded.sections]
        == [s.label for s in article.sections]
        == [
            "",
            "Undoing *changes*",
            "Undoing *changes* › Everything",
        ]
    )
    assert loaded.sections[1].anchor == "undo"


def test_page_without_canonical_link_keeps_the_fetched_url(tmp_path: Path) -> None:
    page = PAGE.replace('<link rel="canonical" href="https://example.org/zebras">', "")
    article = article_from_page(page, "text/html", "https://example.org/fetched")
    assert article.url == "https://example.org/fetched"


def test_a_pages_canonical_link_never_replaces_the_url_the_admin_gave() -> None:
    page = PAGE.replace("https://example.org/zebras", "https://phish.example/login")
    article = article_from_page(page, "text/html", "https://example.org/zebras")
    assert article.url == "https://example.org/zebras"


def test_same_url_or_same_text_is_reported_and_kept_once(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    article = article_from_page(PAGE, "text/html", "https://example.org/zebras")
    save_page_article(corpus, article, existing=[])
    existing = load_corpus(corpus).articles
    with pytest.raises(DuplicateArticle, match="has that URL"):
        save_page_article(corpus, article, existing=existing)
    other_url = article_from_page(
        PAGE.replace("example.org/zebras", "example.net/z"), "text/html", "x"
    )
    with pytest.raises(DuplicateArticle, match="same text"):
        save_page_article(corpus, other_url, existing=existing)
    assert len(load_corpus(corpus).articles) == 1


def test_uploaded_files_are_saved_as_they_are(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    [md] = save_upload(
        corpus, "Chip Rules.md", b"# Chip rules\n\nThe H100 is restricted.", existing=[]
    )
    assert md.path == corpus / "added" / "chip-rules.md"
    assert md.article.article_id == "added/chip-rules"
    lines = [json.dumps({"title": f"T{i}", "text": f"Body number {i}."}) for i in range(3)]
    batch = save_upload(corpus, "batch.jsonl", "\n".join(lines).encode(), existing=[])
    assert [a.article.title for a in batch] == ["T0", "T1", "T2"]
    assert len(load_corpus(corpus).articles) == 4


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("photo.png", b"\x89PNG", "only .md"),
        ("big.txt", b"word " * (450 * 1024), "larger than 2 MB"),
        ("binary.md", b"\x00\x01\x02", "binary"),
        ("bad.md", b"---\ntitle: [x\n---\nbody", "malformed front matter"),
    ],
)
def test_unusable_upload_is_refused_with_the_reason(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    with pytest.raises(CorpusEditError, match=message):
        save_upload(tmp_path / "corpus", name, data, existing=[])
    assert not (tmp_path / "corpus" / "added" / name).exists()


def test_removed_article_goes_to_the_trash_and_nothing_is_lost(tmp_path: Path) -> None:
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "a.md").write_text("# A\n\nAlpha text.")
    (corpus / "b.md").write_text("# B\n\nBeta text.")
    article = next(a for a in load_corpus(corpus).articles if a.article_id == "sub/a")
    removed = remove_article(corpus, data, article)
    assert [a.article_id for a in load_corpus(corpus).articles] == ["b"]
    assert removed.trashed_to.read_text() == "# A\n\nAlpha text."
    assert data / "trash" in removed.trashed_to.parents


def test_removing_one_jsonl_article_keeps_the_other_lines(tmp_path: Path) -> None:
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    lines = [json.dumps({"title": f"T{i}", "text": f"Body number {i}."}) for i in range(3)]
    (corpus / "batch.jsonl").write_text("\n".join(lines) + "\n")
    middle = load_corpus(corpus).articles[1]
    removed = remove_article(corpus, data, middle)
    assert [a.title for a in load_corpus(corpus).articles] == ["T0", "T2"]
    assert removed.trashed_to.read_text().count("\n") == 3


@given(
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
    )
)
def test_escaped_paragraph_reads_back_as_the_same_text(text: str) -> None:
    paragraph = " ".join(text.split())
    if not paragraph:
        return
    parsed, _ = markdown_paragraphs(escape_markdown_paragraph(paragraph))
    assert parsed == [paragraph]
