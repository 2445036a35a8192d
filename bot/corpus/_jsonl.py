"""JSONL files: an article a line ({"title", "text", …}), a bulk export of any size
read a line at a time, each line within the limits."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

from bot.corpus._ids import _article_id
from bot.corpus._layout import _make_article
from bot.corpus._model import Article
from bot.corpus._plain import _split_paragraphs
from bot.corpus._reading import _BOMS, MAX_ARTICLE_BYTES, MAX_CORPUS_BYTES, _Budget
from bot.errors import SkipFile


def _stream_jsonl(
    path: Path, relative: str, warn: Callable[[str], None], budget: _Budget
) -> Iterator[Article]:
    """A JSONL file's articles, a line at a time: lines over MAX_ARTICLE_BYTES and lines
    past the library's budget are skipped with a warning, the rest of the file still read."""
    article_id = _article_id(relative)
    with path.open("rb") as handle:
        head = handle.read(4)
    encoding = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    lines = _numbered(_lines(path, encoding))
    with contextlib.closing(lines):
        yield from _jsonl_lines(lines, article_id, relative, warn, budget)


def _jsonl_lines(
    lines: Iterable[tuple[int, str, str | None]],
    article_id: str,
    relative: str,
    warn: Callable[[str], None],
    budget: _Budget,
) -> Iterator[Article]:
    """The articles of numbered JSONL lines (with why a line cannot be read, if so)."""
    loaded = 0
    for line_number, line, problem in lines:
        where = f"{relative}:{line_number}"
        if problem is not None:
            warn(f"skipped {where}: {problem}")
            continue
        if not line.strip():
            continue
        if not budget.take(len(line), where):
            warn(f"skipped {relative} from line {line_number}: {budget.message()}")
            break
        try:
            yield _jsonl_article(line, line_number, article_id, where)
            loaded += 1
        except json.JSONDecodeError as exc:
            warn(f"skipped {where}: malformed JSON ({exc.msg})")
        except SkipFile as exc:
            warn(f"skipped {where}: {exc}")
    if loaded == 0:
        raise SkipFile("no usable JSON lines")


def _numbered(
    lines: Iterator[bytes | str | None],
) -> Generator[tuple[int, str, str | None], None, None]:
    """Decoded lines with their numbers and why one cannot be read (None when it can);
    a bare "\r" ends a line as "\n" does."""
    number = 0
    for line in lines:
        try:
            if line is None:
                raise SkipFile(f"the line is larger than {MAX_ARTICLE_BYTES // 2**20} MB")
            text = _decoded_line(line)
        except SkipFile as exc:
            number += 1
            yield number, "", str(exc)
            continue
        for piece in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:-1]:
            number += 1
            binary = "binary data, not text (a NUL character)" if "\0" in piece else None
            yield number, piece, binary


def _lines(path: Path, encoding: str | None) -> Iterator[bytes | str | None]:
    """A file's lines, each at most MAX_ARTICLE_BYTES (None in place of a longer one):
    bytes for UTF-8, text for a file a UTF-16 or UTF-32 BOM names."""
    limit = MAX_ARTICLE_BYTES
    if encoding is None:
        with path.open("rb") as handle:
            yield from _limited_lines(handle, limit, b"\n")
        return
    with path.open(encoding=encoding, newline="") as text:
        try:
            yield from _limited_lines(text, limit, "\n")
        except UnicodeDecodeError as exc:
            raise SkipFile(f"not {encoding.upper()} text ({exc.reason})") from None


def _limited_lines(handle: Any, limit: int, end: Any) -> Iterator[Any]:
    """Lines of at most `limit` units; a longer one is read past and given as None."""
    while line := handle.readline(limit + 1):
        if len(line) > limit and not line.endswith(end):
            while (rest := handle.readline(limit)) and not rest.endswith(end):
                pass
            yield None
        else:
            yield line


def _decoded_line(line: bytes | str) -> str:
    """One JSONL line as text, ending in "\n"; SkipFile when it is not UTF-8."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SkipFile(f"not UTF-8 text (bad byte at offset {exc.start} of the line)") from None
    return line if line.endswith("\n") else line + "\n"


def _jsonl_articles(
    raw: str, article_id: str, relative: str, warn: Callable[[str], None]
) -> Iterator[Article]:
    lines = ((number, line, None) for number, line in enumerate(raw.splitlines(), start=1))
    yield from _jsonl_lines(lines, article_id, relative, warn, _Budget(MAX_CORPUS_BYTES))


def _jsonl_article(line: str, line_number: int, article_id: str, where: str) -> Article:
    """The article one JSONL line holds; SkipFile (or a JSON error) says why not."""
    record = json.loads(line)
    if not isinstance(record, dict):
        raise SkipFile("each line must be a JSON object")
    title = record.get("title")
    text = record.get("text")
    if not isinstance(title, str) or not title.strip():
        raise SkipFile('missing "title"')
    if not isinstance(text, str) or not text.strip():
        raise SkipFile('missing "text"')
    url = record.get("url")
    if url is not None and not (isinstance(url, str) and re.match(r"https?://\S+$", url)):
        url = None
    key = record.get("id")
    suffix = (
        _article_id(str(key))
        if isinstance(key, str | int) and str(key).strip()
        else str(line_number)
    )
    return _make_article(
        f"{article_id}/{suffix}",
        title,
        _split_paragraphs(text),
        where,
        url=url,
        author=record.get("author") if isinstance(record.get("author"), str) else None,
        date=record.get("date") if isinstance(record.get("date"), str) else None,
    )
