from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.corpus import load_corpus, split_passages
from bot.errors import CorpusError


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_markdown_front_matter_gives_title_url_author_and_date(tmp_path: Path) -> None:
    write(
        tmp_path,
        "rise.md",
        "---\ntitle: DeepSeek's rise\nurl: https://example.org/rise\nauthor: Ann\ndate: 2025-01-27\n---\n"
        "# Heading one\n\nDeepSeek was **founded** by [Liang Wenfeng](https://x.y) in `2023`.\n\n"
        "- first item\n- second *item*\n",
    )
    [article] = load_corpus(tmp_path).articles
    assert article.article_id == "rise"
    assert article.title == "DeepSeek's rise"
    assert article.url == "https://example.org/rise"
    assert (article.author, article.date) == ("Ann", "2025-01-27")
    assert article.text.split("\n\n") == [
        "Heading one",
        "DeepSeek was founded by Liang Wenfeng in `2023`.",  # inline code stays code
        "- first item",  # a list item keeps the bullet a reader sees
        "- second item",
    ]


def test_markdown_list_markers_stay_on_their_items(tmp_path: Path) -> None:
    # An item with no text of its own (empty, or an image alone) shows no bullet, and
    # the paragraph after the list is no item; a list may count from 0.
    write(
        tmp_path,
        "steps.md",
        "# Steps\n\n- ![diagram](flow.png)\n\nThe flow is drawn above.\n\n-\n\nAfter an empty item.\n\n"
        "0. Zeroth step\n1. First step\n",
    )
    [article] = load_corpus(tmp_path).articles
    assert article.text.split("\n\n") == [
        "The flow is drawn above.",
        "After an empty item.",
        "0. Zeroth step",
        "1. First step",
    ]


def test_markdown_without_front_matter_takes_title_from_its_h1(tmp_path: Path) -> None:
    write(tmp_path, "notes/plain.markdown", "# Chip rules\n\nExport controls began in 2022.\n")
    [article] = load_corpus(tmp_path).articles
    assert article.article_id == "notes/plain"
    assert article.title == "Chip rules"
    assert article.text == "Export controls began in 2022."
    assert article.url is None


def test_text_file_title_from_first_line_or_file_name(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.txt",
        "A short history\n\nLuhn worked at IBM.\nHe indexed words.\n\nSalton built SMART.",
    )
    write(
        tmp_path,
        "b_notes.txt",
        "This first line is a sentence that ends with a period.\n\nMore text.",
    )
    a, b = load_corpus(tmp_path).articles
    assert a.title == "A short history"
    assert a.text == "Luhn worked at IBM. He indexed words.\n\nSalton built SMART."
    assert b.title == "B notes"
    assert b.text.startswith("This first line is a sentence")


def test_html_main_text_title_and_canonical_url(tmp_path: Path) -> None:
    body = " ".join(["GPUs run many simple calculations in parallel, which suits training."] * 3)
    write(
        tmp_path,
        "gpu.html",
        f"""<html><head><title>GPU basics</title>
        <link rel="canonical" href="https://example.org/gpu"></head>
        <body><nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
        <article><h1>GPU basics</h1><p>{body}</p><p>The H100 has fast memory for large models.</p></article>
        <footer>Copyright 2025 Example Corp. All rights reserved.</footer></body></html>""",
    )
    [article] = load_corpus(tmp_path).articles
    assert article.title == "GPU basics"
    assert article.url == "https://example.org/gpu"
    assert "H100 has fast memory" in article.text
    assert "All rights reserved" not in article.text
    assert "About us" not in article.text


def test_jsonl_gives_one_article_per_line_and_skips_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"title": "One", "text": "First article text.", "url": "https://example.org/1"}),
        "{not json",
        json.dumps({"title": "Missing text"}),
        json.dumps(
            {"id": "three", "title": "Three", "text": "Third article.\n\nSecond paragraph."}
        ),
    ]
    write(tmp_path, "batch.jsonl", "\n".join(lines) + "\n")
    warnings: list[str] = []
    corpus = load_corpus(tmp_path, on_warning=warnings.append)
    assert [(a.article_id, a.title) for a in corpus.articles] == [
        ("batch/1", "One"),
        ("batch/three", "Three"),
    ]
    assert corpus.articles[1].text == "Third article.\n\nSecond paragraph."
    assert any("batch.jsonl:2" in w and "malformed JSON" in w for w in warnings)
    assert any("batch.jsonl:3" in w and '"text"' in w for w in warnings)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
        ("latin1.txt", "Caf\xe9 prices".encode("latin-1"), "not UTF-8"),
        ("empty.md", b"", "empty"),
        ("blank.txt", b"   \n\n  ", "no text"),
        ("bad-front.md", "---\ntitle: [unclosed\n---\nBody text here.", "malformed front matter"),
        ("list-front.md", "---\n- a\n- b\n---\nBody text here.", "malformed front matter"),
        ("bad.jsonl", "{broken\n", "no usable JSON lines"),
        ("slides.pptx", b"PK\x03\x04", "unknown file type"),
    ],
)
def test_unusable_file_is_skipped_with_a_warning_naming_it_and_the_rest_loads(
    tmp_path: Path, name: str, content: bytes | str, reason: str
) -> None:
    write(tmp_path, "good.md", "# Good\n\nThis article loads fine.")
    write(tmp_path, name, content)
    warnings: list[str] = []
    corpus = load_corpus(tmp_path, on_warning=warnings.append)
    assert [a.article_id for a in corpus.articles] == ["good"]
    assert len([w for w in warnings if name in w]) >= 1
    assert any(name in w and reason in w for w in warnings), warnings


def test_same_text_twice_loads_once_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "# A\n\nThe very same words.")
    write(tmp_path, "copy/a.md", "# A\n\nThe very same words.")
    warnings: list[str] = []
    corpus = load_corpus(tmp_path, on_warning=warnings.append)
    assert [a.article_id for a in corpus.articles] == ["a"]
    assert any("copy/a.md" in w and "same text as a.md" in w for w in warnings)


def test_article_ids_are_stable_across_loads(bundled_corpus: Path) -> None:
    first = [a.article_id for a in load_corpus(bundled_corpus).articles]
    second = [a.article_id for a in load_corpus(bundled_corpus).articles]
    assert first == second
    assert "deepseek-rise" in first


def test_missing_corpus_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="corpus folder not found"):
        load_corpus(tmp_path / "nowhere")


def test_folder_link_loop_is_passed_over(tmp_path: Path) -> None:
    write(tmp_path, "sub/a.md", "# A\n\nSome words.")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    warnings: list[str] = []
    corpus = load_corpus(tmp_path, on_warning=warnings.append)
    assert [a.article_id for a in corpus.articles] == ["sub/a"]
    assert any("loop" in w for w in warnings)


def test_passage_offsets_reproduce_the_article_text_exactly(bundled_corpus: Path) -> None:
    corpus = load_corpus(bundled_corpus)
    for number, article in enumerate(corpus.articles):
        passages = split_passages(article, number, min_words=40, max_words=150)
        assert passages, article.article_id
        covered = set()
        for passage in passages:
            text = article.text[passage.start : passage.end]
            assert text == text.strip() and text
            first = article.paragraphs[passage.first_paragraph - 1]
            last = article.paragraphs[passage.last_paragraph - 1]
            assert first.start <= passage.start < passage.end <= last.end
            covered.update(range(passage.first_paragraph, passage.last_paragraph + 1))
        assert covered == {p.number for p in article.paragraphs}
        for paragraph in article.paragraphs:
            assert article.text[paragraph.start : paragraph.end].strip()


def test_short_paragraphs_merge_and_long_ones_split_into_overlapping_windows(
    tmp_path: Path,
) -> None:
    short = "\n\n".join(f"Short paragraph number {i} here." for i in range(6))
    long = " ".join(f"Sentence {i} says something about chips and rules today." for i in range(40))
    write(tmp_path, "a.md", f"# A\n\n{short}\n\n{long}")
    [article] = load_corpus(tmp_path).articles
    passages = split_passages(article, 0, min_words=20, max_words=60)
    merged = [p for p in passages if p.first_paragraph != p.last_paragraph]
    assert merged, "short paragraphs should be merged"
    windows = [p for p in passages if p.first_paragraph == p.last_paragraph == 7]
    assert len(windows) >= 5
    for p in windows:
        assert len(article.text[p.start : p.end].split()) <= 60
    for before, after in zip(windows, windows[1:], strict=False):
        assert after.start < before.end, "consecutive windows overlap by a sentence"


def test_synonyms_file_at_the_root_is_not_an_article_but_counts_as_a_change(
    tmp_path: Path,
) -> None:
    from bot.corpus import corpus_signature

    write(tmp_path, "synonyms.txt", "server, guild\n")
    write(tmp_path, "guides/synonyms.txt", "A guide that happens to be called synonyms.\n")
    write(tmp_path, "intro.txt", "Intro\n\nServers are called guilds in the API.\n")
    corpus = load_corpus(tmp_path)
    assert sorted(a.source for a in corpus.articles) == ["guides/synonyms.txt", "intro.txt"]
    assert not any("synonyms" in warning for warning in corpus.warnings)
    before = corpus_signature(tmp_path)
    assert "synonyms.txt" in [path for path, _, _ in before]
    write(tmp_path, "synonyms.txt", "server, guild\nping, mention\n")
    assert corpus_signature(tmp_path) != before


@pytest.mark.parametrize(
    "question", ["Who founded DeepSeek?", "who founded deepseek the chinese startup"]
)
def test_bundled_user_guide_does_not_answer_the_other_articles_questions(
    tmp_path: Path, bundled_corpus: Path, question: str
) -> None:
    from bot.answer import Engine
    from bot.settings import Settings

    engine = Engine.open(Settings(corpus_dir=bundled_corpus, data_dir=tmp_path / "data"))
    answer = engine.answer(question)

    assert answer.found
    assert answer.results[0].article_id == "deepseek-rise"
    assert "citebot-user-guide" not in {r.article_id for r in answer.results}


def test_a_short_html_page_keeps_its_main_text_and_headings_not_its_menu(tmp_path: Path) -> None:
    write(
        tmp_path,
        "page.html",
        "<html><head><title>Widgets</title></head><body><nav>menu</nav><main>"
        '<h2 id="setup">Setup</h2><p>Install the widget with the installer first.</p>'
        "</main></body></html>",
    )

    [article] = load_corpus(tmp_path).articles

    assert article.text == "Setup\n\nInstall the widget with the installer first."
    assert [s.path for s in article.sections if s.path] == [("Setup",)]


def test_malformed_front_matter_is_said_in_whole_words_with_its_line(tmp_path: Path) -> None:
    write(tmp_path, "bad.md", "---\ntitle: [a, b\nauthor: x\n---\n\nBody text here.\n")
    write(tmp_path, "good.md", "# Good\n\nBody text here.\n")
    warnings: list[str] = []

    load_corpus(tmp_path, on_warning=warnings.append)

    assert warnings == [
        "skipped bad.md: malformed front matter "
        "(did not find expected ',' or ']', line 3, column 7)"
    ]


def test_front_matter_values_carry_no_control_characters(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.md",
        '---\ntitle: "Red \\e[31m title"\nurl: "https://example.org/\\e]0;pwned\\a"\n'
        'author: "Ann\\x9b31m"\n---\n\nThe walrus text.\n',
    )

    [article] = load_corpus(tmp_path).articles

    for value in (article.title, article.url, article.author):
        assert value is not None
        assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in value), repr(value)
