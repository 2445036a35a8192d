"""Files → articles → passages.

Every article keeps a cleaned text whose paragraphs are separated by a blank line;
passages are character ranges of that text, so an excerpt is always a verbatim
slice of what the article says and can be cited by paragraph number.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import CorpusError, SkipFile
from bot.synonyms import SYNONYMS_FILE
from bot.text import sentence_spans, word_count

log = logging.getLogger(__name__)

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = frozenset({".txt"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl"})
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Paragraph:
    number: int  # 1-based, as cited: ¶number
    start: int
    end: int


@dataclass(frozen=True)
class Article:
    article_id: str
    title: str
    text: str
    paragraphs: tuple[Paragraph, ...]
    url: str | None = None
    author: str | None = None
    date: str | None = None
    source: str = ""  # path relative to the corpus folder (with ":line" for JSONL)


@dataclass(frozen=True)
class Passage:
    """A searchable slice of one article: text[start:end], paragraphs first..last."""

    article: int  # index into the article list
    start: int
    end: int
    first_paragraph: int
    last_paragraph: int


@dataclass
class Corpus:
    articles: list[Article]
    warnings: list[str] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Changes whenever anything an index is built from changes."""
        digest = hashlib.sha256()
        for article in self.articles:
            for part in (article.article_id, article.title, article.text):
                digest.update(part.encode())
                digest.update(b"\0")
        return digest.hexdigest()


# --- loading ---------------------------------------------------------------------------


def load_corpus(folder: Path, *, on_warning: Callable[[str], None] | None = None) -> Corpus:
    """Load every usable article below `folder`; skip the rest with one warning each."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder} (set CITEBOT_CORPUS_DIR or --corpus)")
    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(message)
        if on_warning is not None:
            on_warning(message)
        else:
            log.warning("%s", message)

    articles: list[Article] = []
    seen_text: dict[str, str] = {}
    for path in _walk(folder, warn):
        relative = path.relative_to(folder).as_posix()
        try:
            loaded = list(_load_file(path, relative, warn))
        except SkipFile as exc:
            warn(f"skipped {relative}: {exc}")
            continue
        except OSError as exc:
            warn(f"skipped {relative}: cannot read it ({exc.strerror or exc})")
            continue
        for article in loaded:
            key = hashlib.sha256(" ".join(article.text.split()).encode()).hexdigest()
            if key in seen_text:
                warn(f"skipped {article.source}: same text as {seen_text[key]} (loaded once)")
                continue
            seen_text[key] = article.source
            articles.append(article)
    articles.sort(key=lambda a: a.article_id)
    return Corpus(articles=articles, warnings=warnings)


def corpus_signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Path, size and modification time of every file the loader would read, and the synonyms.

    Cheap (stat only): a running bot compares it to tell whether a rebuild would see
    anything new.
    """
    signature = []
    # The synonyms file is no article, but a change to it changes the library's answers.
    synonyms = Path(folder) / SYNONYMS_FILE
    for path in [synonyms, *_walk(Path(folder), lambda message: None)]:
        try:
            stat = path.stat()
        except OSError:
            continue
        signature.append((path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def _walk(folder: Path, warn: Callable[[str], None]) -> Iterator[Path]:
    """Files below `folder` in a stable order; hidden entries and link loops are passed over.

    Iterative (a stack, not recursion), so no nesting depth can exhaust Python's stack.
    """
    seen_dirs: set[tuple[int, int]] = set()
    stack = [folder]
    while stack:
        current = stack.pop()
        relative = current.relative_to(folder).as_posix()
        try:
            stat = current.stat()
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            warn(f"skipped {relative}/: cannot read the folder ({exc.strerror or exc})")
            continue
        key = (stat.st_dev, stat.st_ino)
        if key in seen_dirs:
            warn(f"skipped {relative}/: folder link loop")
            continue
        seen_dirs.add(key)
        subfolders: list[Path] = []
        for entry in entries:
            if entry.name.startswith(".") or (current == folder and entry.name == SYNONYMS_FILE):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                subfolders.append(path)
                continue
            if path.suffix.lower() in SUPPORTED_SUFFIXES and not _is_regular_or_dangling(entry):
                # A pipe or device named like an article would block or never end.
                warn(f"skipped {path.relative_to(folder).as_posix()}: not a regular file")
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                warn(
                    f"skipped {path.relative_to(folder).as_posix()}: unknown file type "
                    f"'{path.suffix or '(none)'}' (use .md, .markdown, .txt, .html, .htm or .jsonl)"
                )
                continue
            yield path
        stack.extend(reversed(subfolders))


def _is_regular_or_dangling(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file() or (entry.is_symlink() and not os.path.exists(entry.path))
    except OSError:
        return True  # let the read report the error


def _load_file(path: Path, relative: str, warn: Callable[[str], None]) -> Iterator[Article]:
    size = path.stat().st_size
    if size == 0:
        raise SkipFile("the file is empty")
    if size > MAX_FILE_BYTES:
        raise SkipFile(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    yield from parse_articles(path.read_bytes(), relative, warn)


def parse_articles(
    data: bytes, relative: str, warn: Callable[[str], None] | None = None
) -> Iterator[Article]:
    """The articles in a file's bytes, read by its extension; SkipFile says why not.

    Shared by the corpus loader and by articles added from Discord, so an upload is
    accepted exactly when the same file dropped into the corpus folder would load.
    """
    if not data:
        raise SkipFile("the file is empty")
    if b"\0" in data[:8192]:
        raise SkipFile("binary file, not text")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SkipFile(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    if not raw.strip():
        raise SkipFile("the file has no text")
    path = Path(relative)
    suffix = path.suffix.lower()
    article_id = _article_id(relative)
    if suffix in MARKDOWN_SUFFIXES:
        yield _markdown_article(raw, article_id, relative, path)
    elif suffix in TEXT_SUFFIXES:
        yield _text_article(raw, article_id, relative, path)
    elif suffix in HTML_SUFFIXES:
        yield _html_article(raw, article_id, relative, path)
    elif suffix in JSONL_SUFFIXES:
        yield from _jsonl_articles(raw, article_id, relative, warn or (lambda message: None))
    else:
        raise SkipFile(f"unknown file type '{suffix or '(none)'}'")


def _article_id(relative: str) -> str:
    """Stable across restarts: the path without its extension, in lower case."""
    stem = relative.rsplit(".", 1)[0] if "." in relative.rsplit("/", 1)[-1] else relative
    return re.sub(r"\s+", "-", stem.strip().lower())


def _title_from_path(path: Path) -> str:
    name = re.sub(r"[-_]+", " ", path.stem).strip()
    return name[:1].upper() + name[1:] if name else path.name


def _make_article(
    article_id: str,
    title: str,
    paragraphs: list[str],
    source: str,
    *,
    url: str | None = None,
    author: str | None = None,
    date: str | None = None,
) -> Article:
    cleaned = [" ".join(p.split()) for p in paragraphs]
    cleaned = [p for p in cleaned if p]
    if not cleaned:
        raise SkipFile("no text left after removing markup")
    spans: list[Paragraph] = []
    offset = 0
    for number, paragraph in enumerate(cleaned, start=1):
        spans.append(Paragraph(number, offset, offset + len(paragraph)))
        offset += len(paragraph) + 2
    return Article(
        article_id=article_id,
        title=" ".join(title.split()) or article_id,
        text="\n\n".join(cleaned),
        paragraphs=tuple(spans),
        url=url or None,
        author=author or None,
        date=date or None,
        source=source,
    )


def _split_paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")) if p.strip()]


def _text_article(raw: str, article_id: str, relative: str, path: Path) -> Article:
    paragraphs = _split_paragraphs(raw)
    first_lines = paragraphs[0].strip().splitlines()
    title = _title_from_path(path)
    if len(first_lines) == 1 and len(paragraphs) > 1 and _looks_like_title(first_lines[0]):
        title = first_lines[0].strip().lstrip("#").strip()
        paragraphs = paragraphs[1:]
    return _make_article(article_id, title, paragraphs, relative)


def _looks_like_title(line: str) -> bool:
    line = line.strip()
    return (
        0 < len(line) <= 120 and len(line.split()) <= 16 and not line.endswith((".", ",", ";", ":"))
    )


def _markdown_article(raw: str, article_id: str, relative: str, path: Path) -> Article:
    meta, body = _front_matter(raw)
    paragraphs, first_heading = markdown_paragraphs(body)
    title = _meta_str(meta, "title") or first_heading or _title_from_path(path)
    if first_heading and paragraphs and paragraphs[0] == first_heading and title == first_heading:
        paragraphs = paragraphs[1:]  # the H1 is the title, not a paragraph
    return _make_article(
        article_id,
        title,
        paragraphs,
        relative,
        url=_meta_url(meta),
        author=_meta_str(meta, "author"),
        date=_meta_str(meta, "date"),
    )


def _front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """YAML front matter via python-frontmatter; malformed front matter skips the file."""
    if not raw.lstrip("\ufeff").startswith("---"):
        return {}, raw
    import yaml
    from frontmatter.default_handlers import YAMLHandler

    handler = YAMLHandler()
    try:
        front, body = handler.split(raw.lstrip("\ufeff"))
    except ValueError:
        raise SkipFile("malformed front matter (no closing '---' line)") from None
    try:
        metadata = handler.load(front)
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())[:120]
        raise SkipFile(f"malformed front matter ({reason})") from None
    if metadata is None:
        return {}, body
    if not isinstance(metadata, dict):
        raise SkipFile("malformed front matter (it must be key: value pairs)")
    return metadata, body


def _meta_str(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = str(value).strip()
    return text or None


def _meta_url(meta: dict[str, Any]) -> str | None:
    url = _meta_str(meta, "url")
    if url and re.match(r"https?://\S+$", url):
        return url
    return None


def markdown_paragraphs(body: str) -> tuple[list[str], str | None]:
    """Paragraph texts with Markdown syntax removed, and the first H1 heading if any.

    markdown-it-py (CommonMark) parses the syntax so that emphasis, links, code
    spans and lists are read the way a Markdown viewer reads them.
    """
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(body)
    paragraphs: list[str] = []
    first_heading: str | None = None
    in_h1 = False
    for token in tokens:
        if token.type == "heading_open":
            in_h1 = token.tag == "h1"
        elif token.type == "inline":
            text = _inline_text(token.children or [])
            if text.strip():
                paragraphs.append(text)
                if in_h1 and first_heading is None:
                    first_heading = " ".join(text.split())
            in_h1 = False
        elif token.type in ("fence", "code_block") and token.content.strip():
            paragraphs.append(token.content)
    return paragraphs, first_heading


def _inline_text(children: list[Any]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
        elif child.type == "html_inline":
            continue
    return "".join(parts)


def _html_article(raw: str, article_id: str, relative: str, path: Path) -> Article:
    """Main text and metadata by trafilatura, which strips navigation and footers."""
    import trafilatura

    document = trafilatura.bare_extraction(
        raw,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_recall=True,
        # Dates from the page's metadata only: a year in the body is not a publication date.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if document is None:
        raise SkipFile("no main text found in the HTML")
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = data.get("text") or ""
    paragraphs = [line for line in text.splitlines() if line.strip()]
    if not paragraphs:
        raise SkipFile("no main text found in the HTML")
    title = data.get("title") or _title_from_path(path)
    if len(paragraphs) > 1 and " ".join(paragraphs[0].split()) == " ".join(title.split()):
        paragraphs = paragraphs[1:]  # the page's heading repeats its title
    url = data.get("url")
    if not (isinstance(url, str) and re.match(r"https?://\S+$", url)):
        url = None
    return _make_article(
        article_id,
        title,
        paragraphs,
        relative,
        url=url,
        author=data.get("author"),
        date=data.get("date"),
    )


def _jsonl_articles(
    raw: str, article_id: str, relative: str, warn: Callable[[str], None]
) -> Iterator[Article]:
    loaded = 0
    for line_number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{relative}:{line_number}"
        try:
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
            yield _make_article(
                f"{article_id}/{suffix}",
                title,
                _split_paragraphs(text),
                where,
                url=url,
                author=record.get("author") if isinstance(record.get("author"), str) else None,
                date=record.get("date") if isinstance(record.get("date"), str) else None,
            )
            loaded += 1
        except json.JSONDecodeError as exc:
            warn(f"skipped {where}: malformed JSON ({exc.msg})")
        except SkipFile as exc:
            warn(f"skipped {where}: {exc}")
    if loaded == 0:
        raise SkipFile("no usable JSON lines")


# --- passages --------------------------------------------------------------------------


def split_passages(
    article: Article, article_index: int, *, min_words: int = 40, max_words: int = 150
) -> list[Passage]:
    """Paragraph-based passages: short paragraphs merged, long ones split into windows.

    Windows of a long paragraph end at sentence boundaries and overlap by one
    sentence, so an answer that straddles a boundary is still whole in one passage.
    """
    units: list[tuple[int, int, int]] = []  # (start, end, paragraph number)
    for paragraph in article.paragraphs:
        text = article.text[paragraph.start : paragraph.end]
        if word_count(text) <= max_words:
            units.append((paragraph.start, paragraph.end, paragraph.number))
            continue
        for start, end in _windows(article.text, paragraph.start, paragraph.end, max_words):
            units.append((start, end, paragraph.number))

    passages: list[Passage] = []
    current: list[tuple[int, int, int]] = []
    words = 0
    for unit in units:
        unit_words = word_count(article.text[unit[0] : unit[1]])
        same_paragraph_window = current and current[-1][2] == unit[2]
        if current and (
            words >= min_words or words + unit_words > max_words or same_paragraph_window
        ):
            passages.append(_passage(article_index, current))
            current, words = [], 0
        current.append(unit)
        words += unit_words
    if current:
        # A short tail joins the passage before it when both fit in one window.
        if (
            passages
            and words < min_words
            and passages[-1].last_paragraph != current[0][2]
            and word_count(article.text[passages[-1].start : current[-1][1]]) <= max_words
        ):
            last = passages.pop()
            passages.append(
                Passage(
                    article_index, last.start, current[-1][1], last.first_paragraph, current[-1][2]
                )
            )
        else:
            passages.append(_passage(article_index, current))
    return passages


def _passage(article_index: int, units: list[tuple[int, int, int]]) -> Passage:
    return Passage(article_index, units[0][0], units[-1][1], units[0][2], units[-1][2])


def _windows(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    sentences = sentence_spans(text, start, end)
    counts = [word_count(text[s:e]) for s, e in sentences]
    windows: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        j = i
        total = counts[i]
        while j + 1 < len(sentences) and total + counts[j + 1] <= max_words:
            j += 1
            total += counts[j]
        windows.append((sentences[i][0], sentences[j][1]))
        if j + 1 >= len(sentences):
            break
        i = j if j > i else j + 1  # overlap by one sentence when the window has several
    return windows
