"""Plain text files: paragraphs apart by blank lines, clear headings read as headings,
a short first line as the title."""

from __future__ import annotations

import re
from pathlib import Path

from bot.corpus._layout import _LEAD_LINE, _make_article, _title_from_path
from bot.corpus._model import HEADING, LEAD, TEXT, Article, Block


def _split_paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")) if p.strip()]


_ATX_LINE = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"^(.+)\n(=+|-+)[ \t]*$")


def _text_blocks(paragraphs: list[str]) -> list[str | Block]:
    """Plain text paragraphs, with clear headings ("# Setup", or a line underlined
    with === or ---) read as headings."""
    blocks: list[str | Block] = []
    for paragraph in paragraphs:
        stripped = paragraph.strip()
        atx = _ATX_LINE.match(stripped) if "\n" not in stripped else None
        setext = _SETEXT.match(stripped)
        if atx:
            blocks.append(Block(atx.group(2), HEADING, len(atx.group(1))))
        elif setext and "\n" not in setext.group(1).strip():
            level = 1 if setext.group(2).startswith("=") else 2
            blocks.append(Block(setext.group(1), HEADING, level))
        else:
            blocks.append(Block(paragraph, LEAD if _LEAD_LINE.match(stripped) else TEXT))
    return blocks


def _text_article(raw: str, article_id: str, relative: str, path: Path) -> Article:
    paragraphs = _split_paragraphs(raw)
    first_lines = paragraphs[0].strip().splitlines()
    title = _title_from_path(path)
    if len(first_lines) == 1 and len(paragraphs) > 1 and _looks_like_title(first_lines[0]):
        title = first_lines[0].strip().lstrip("#").strip()
        paragraphs = paragraphs[1:]
    return _make_article(article_id, title, _text_blocks(paragraphs), relative)


def _looks_like_title(line: str) -> bool:
    line = line.strip()
    return (
        0 < len(line) <= 120 and len(line.split()) <= 16 and not line.endswith((".", ",", ";", ":"))
    )
