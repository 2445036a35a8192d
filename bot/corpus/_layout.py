"""Blocks, as a reader of any file type finds them, laid out as an article: paragraphs
apart by a blank line, code fenced, table rows and inline code written as text, and
control characters dropped."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from bot.corpus._model import CODE, HEADING, Article, Block, Paragraph, Section
from bot.errors import SkipFile


def _title_from_path(path: Path) -> str:
    name = re.sub(r"[-_]+", " ", path.stem).strip()
    return name[:1].upper() + name[1:] if name else path.name


#: Control characters (but tab and line ends): no reader sees them, and an escape sequence
#: quoted to a terminal could recolour it or retitle its window.
#: NUL is left to the code blocks' own marker (`FENCE_INFO`); a file holding one is skipped.
_CONTROL = re.compile(r"[\x01-\x08\x0b-\x1f\x7f-\x9f]")


def _make_article(
    article_id: str,
    title: str,
    blocks: Sequence[str | Block],
    source: str,
    *,
    url: str | None = None,
    author: str | None = None,
    date: str | None = None,
    description: str | None = None,
) -> Article:
    """Lay blocks out as the article's text: paragraphs apart by a blank line, code
    blocks fenced with their line breaks, everything else on one line."""
    texts: list[str] = []
    kinds: list[str] = []
    section_of: list[int] = []
    sections: list[Section] = [Section()]
    stack: list[tuple[int, str]] = []  # (level, heading) of the open headings
    for block in blocks:
        if isinstance(block, str):
            block = Block(block)
        if block.kind == CODE:
            text = _fenced(_CONTROL.sub("", block.text))
        else:
            text = " ".join(_CONTROL.sub("", block.text).replace("\0", "").split())
        if not text:
            continue
        if block.kind == HEADING:
            level = block.level or 1
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            sections.append(Section(tuple(h for _, h in stack), block.anchor))
        texts.append(text)
        kinds.append(block.kind)
        section_of.append(len(sections) - 1)
    if not any(kind != HEADING for kind in kinds):
        raise SkipFile("no text left after removing markup")
    spans: list[Paragraph] = []
    offset = 0
    for number, (text, kind, section) in enumerate(
        zip(texts, kinds, section_of, strict=True), start=1
    ):
        spans.append(Paragraph(number, offset, offset + len(text), kind, section))
        offset += len(text) + 2
    return Article(
        article_id=article_id,
        title=" ".join(_CONTROL.sub("", title).split()) or article_id,
        text="\n\n".join(texts),
        paragraphs=tuple(spans),
        url=url or None,
        author=author or None,
        date=date or None,
        source=source,
        sections=tuple(sections),
        description=" ".join(description.split()) if description else None,
    )


def _fenced(code: str) -> str:
    """A code block as Markdown shows it: fenced, its lines kept, blank edges dropped."""
    lines = [line.rstrip() for line in code.replace("\r\n", "\n").split("\n")]
    info = ""
    if lines and lines[0].startswith(FENCE_INFO):
        info = lines.pop(0)[len(FENCE_INFO) :]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return ""
    body = "\n".join(lines)
    fence = "```"
    while fence in body:
        fence += "`"
    return f"{fence}{info}\n{body}\n{fence}"


#: Marks a code block's language on its first line, for `_fenced`.
FENCE_INFO = "\0info:"


def _table_rows(header: list[str], rows: list[list[str]]) -> list[str]:
    """Each row as "Header: cell; Header: cell", so it reads (and ranks) as text."""
    out = []
    for row in rows:
        cells = []
        for column, cell in enumerate(row):
            if not cell:
                continue
            name = header[column] if column < len(header) else ""
            cells.append(f"{name}: {cell}" if name else cell)
        if cells:
            out.append("; ".join(cells))
    return out


_LEAD_LINE = re.compile(r"^(?:\*\*|__)?\s*(?:Q|Question)\s*\d*\s*[:.)]\s*\S", re.I)


def _code_span(code: str) -> str:
    """Inline code as Markdown writes it, so it still reads as code."""
    code = " ".join(code.split())
    if not code:
        return ""
    if "`" not in code:
        return f"`{code}`"
    return f"`` {code} ``"
