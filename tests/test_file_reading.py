"""Reading article files: the size limit holds while reading; encodings, line ends and NULs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.corpus import MAX_FILE_BYTES, load_corpus

TEXT = "Zebra notes\n\nZebras live in herds on the savanna.\n\nTheir stripes are unique."


def load(folder: Path) -> tuple[dict[str, str], list[str]]:
    warnings: list[str] = []
    articles = load_corpus(folder, on_warning=warnings.append).articles
    return {a.article_id: a.text for a in articles}, warnings


def test_a_file_that_grew_past_the_limit_after_listing_is_skipped(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grown = corpus / "growing.txt"
    with open(grown, "wb") as handle:
        handle.write(b"word " * ((MAX_FILE_BYTES + 5 * 1024 * 1024) // 5))
    real_stat = Path.stat

    def stat_when_listed(self: Path, *, follow_symlinks: bool = True) -> os.stat_result:
        result = real_stat(self, follow_symlinks=follow_symlinks)
        if self.name != "growing.txt":
            return result
        fields = list(result)
        fields[6] = 1024  # st_size: 1 kB when the folder was listed, 25 MB when it is read
        return os.stat_result(fields)

    monkeypatch.setattr(Path, "stat", stat_when_listed)
    texts, warnings = load(corpus)
    assert list(texts) == ["good"]
    assert warnings == ["skipped growing.txt: the file is larger than 20 MB"]


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]
)
def test_utf16_and_utf32_files_with_a_bom_are_read(corpus: Path, encoding: str) -> None:
    # Python's utf-16 and utf-32 codecs write a BOM themselves; the -le/-be ones do not.
    bom = "" if encoding in ("utf-16", "utf-32") else "\ufeff"
    data = (bom + TEXT).encode(encoding)
    (corpus / "zebras.txt").write_bytes(data)
    texts, warnings = load(corpus)
    assert warnings == []
    assert texts["zebras"] == "Zebras live in herds on the savanna.\n\nTheir stripes are unique."


def test_bare_carriage_returns_end_lines(corpus: Path) -> None:
    (corpus / "old-mac.txt").write_bytes(TEXT.replace("\n", "\r").encode())
    texts, warnings = load(corpus)
    assert warnings == []
    assert texts["old-mac"] == "Zebras live in herds on the savanna.\n\nTheir stripes are unique."


def test_a_nul_anywhere_skips_the_file_with_a_warning(corpus: Path) -> None:
    (corpus / "late-nul.txt").write_bytes(("x" * 20_000).encode() + b"\0" + b" more text")
    texts, warnings = load(corpus)
    assert list(texts) == ["good"]
    assert warnings == ["skipped late-nul.txt: binary file, not text (a NUL byte at offset 20000)"]


def test_terminal_escape_sequences_never_reach_the_text(tmp_path: Path) -> None:
    # A page added from the web could hold them; quoted to a terminal they recolour it or
    # retitle its window. JSON escapes them in its strings, so they survive decoding.
    (tmp_path / "page.md").write_text(
        "# Colours\x1b[31m\n\nRed \x1b[31malert\x1b[0m text.\x1b]0;owned\x07 Bell\x9b2J done.\n",
        encoding="utf-8",
    )
    (tmp_path / "feed.jsonl").write_text(
        '{"title": "Feed \\u001b[1m", "text": "Bold \\u001b[1mnews\\u001b[0m here."}\n',
        encoding="utf-8",
    )
    corpus = load_corpus(tmp_path)
    for article in corpus.articles:
        for shown in (article.title, article.text):
            assert not any(ord(c) < 32 and c not in "\t\n" or 0x7F <= ord(c) <= 0x9F for c in shown)
    texts = {a.title: a.text for a in corpus.articles}
    assert "Red [31malert[0m text." in texts["Colours[31m"]
    assert texts["Feed [1m"] == "Bold [1mnews[0m here."
