"""Files → articles → passages.

Every article keeps a cleaned text whose paragraphs are separated by a blank line;
passages are character ranges of that text, so an excerpt is always a verbatim
slice of what the article says and can be cited by paragraph number.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from bot.errors import CorpusError, SkipFile
from bot.synonyms import SYNONYMS_FILE
from bot.text import sentence_spans, word_count

if TYPE_CHECKING:
    # numpy is imported where passage tables are made: a page read in a child process
    # (`bot.corpus_edit.parse_in_child`) never needs it, and importing it was a third of
    # that child's CPU.
    import numpy as np

log = logging.getLogger(__name__)

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdx"})
TEXT_SUFFIXES = frozenset({".txt"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl"})
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
#: Largest article: a file of one article, or one JSONL line. A JSONL file may be of any size.
MAX_ARTICLE_BYTES = 20 * 1024 * 1024
MAX_FILE_BYTES = MAX_ARTICLE_BYTES  # what an upload may weigh (one file, read whole)
#: Default for the whole library (CITEBOT_MAX_CORPUS_MB): articles past it are skipped.
MAX_CORPUS_BYTES = 4096 * 1024 * 1024


#: Paragraph kinds: prose, a heading, a line that leads into the text that answers it
#: ("Q: …", a short paragraph all in bold), a fenced code block (kept line by line),
#: a table row.
TEXT, HEADING, LEAD, CODE, ROW = "text", "heading", "lead", "code", "row"


@dataclass(frozen=True)
class Paragraph:
    number: int  # 1-based, as cited: ¶number
    start: int
    end: int
    kind: str = TEXT
    section: int = 0  # index into Article.sections


@dataclass(frozen=True)
class Section:
    """Where a paragraph stands in the article's headings, and how to link to it."""

    path: tuple[str, ...] = ()  # heading texts from the outermost in, the title excluded
    anchor: str | None = None  # the heading's id on the page (without "#")

    @property
    def label(self) -> str:
        """The path as people read it: "Help Channels › How long does a post stay active?"."""
        return " › ".join(self.path)


@dataclass(frozen=True)
class Block:
    """One paragraph as a parser found it, before the article's text is laid out."""

    text: str
    kind: str = TEXT
    level: int = 0  # heading level (1-6)
    anchor: str | None = None  # an explicit id for a heading


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
    sections: tuple[Section, ...] = (Section(),)
    description: str | None = None  # front matter description/summary: searched like the title

    def section_of(self, paragraph_number: int) -> Section:
        """The section a (1-based) paragraph belongs to."""
        return self.sections[self.paragraphs[paragraph_number - 1].section]

    def anchor(self, paragraph_number: int, style: str = "github") -> str | None:
        """The id of the heading above a paragraph on the rendered page: the heading's
        own id when it has one, else its slug by `style` ("github" or "python-markdown")."""
        return self._anchors(style)[self.paragraphs[paragraph_number - 1].section]

    def _anchors(self, style: str) -> tuple[str | None, ...]:
        """Every section's anchor, in page order (repeated headings numbered: setup,
        setup-1; setup_1 for Python-Markdown), worked out once an article and style."""
        # Kept on the instance (a frozen dataclass still has a __dict__): hashing an
        # article for a shared cache would read its whole text every time.
        cache: dict[str, tuple[str | None, ...]] = self.__dict__.setdefault("_anchor_cache", {})
        if style not in cache:
            cache[style] = self._work_out_anchors(style)
        return cache[style]

    def _work_out_anchors(self, style: str) -> tuple[str | None, ...]:
        slug = _SLUGIFIERS.get(style, _github_slug)
        anchors: list[str | None] = [None]
        seen: dict[str, int] = {}
        for section in self.sections[1:]:
            if section.anchor:
                anchors.append(section.anchor)
                continue
            wanted = slug(section.path[-1])
            repeats = seen.get(wanted, 0)
            seen[wanted] = repeats + 1
            if repeats == 0:
                anchors.append(wanted or None)
            else:
                anchors.append(f"{wanted}{'_' if style == 'python-markdown' else '-'}{repeats}")
        return tuple(anchors)


def _plain_heading(text: str) -> str:
    """A heading's text as the slug rules see it: code spans without their backticks."""
    return re.sub(r"`+ ?([^`]*?) ?`+", r"\1", text)


def _github_slug(text: str) -> str:
    """GitHub's heading ids (github-slugger): lower case, punctuation dropped, each
    space a hyphen; letters of every script kept."""
    text = _plain_heading(text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _python_markdown_slug(text: str) -> str:
    """Python-Markdown's toc ids (markdown.extensions.toc.slugify): ASCII only, runs
    of spaces and hyphens become one hyphen."""
    text = unicodedata.normalize("NFKD", _plain_heading(text))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


_SLUGIFIERS: dict[str, Callable[[str], str]] = {
    "github": _github_slug,
    "python-markdown": _python_markdown_slug,
}
ANCHOR_STYLES = tuple(_SLUGIFIERS)


@dataclass(frozen=True)
class Passage:
    """A searchable slice of one article: text[start:end], paragraphs first..last."""

    article: int  # index into the article list
    start: int
    end: int
    first_paragraph: int
    last_paragraph: int


#: The columns of a saved passage table, in Passage's field order.
PASSAGE_COLUMNS = ("article", "start", "end", "first_paragraph", "last_paragraph")


class PassageTable(Sequence[Passage]):
    """Passages held as one integer table, a row each (`PASSAGE_COLUMNS`): a million
    load memory-mapped in a blink, and each `Passage` is made when first read."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table
        self._made: dict[int, Passage] = {}

    def __len__(self) -> int:
        return int(self.table.shape[0])

    @overload
    def __getitem__(self, number: int) -> Passage: ...

    @overload
    def __getitem__(self, number: slice) -> list[Passage]: ...

    def __getitem__(self, number: int | slice) -> Passage | list[Passage]:
        try:
            return self._made[number]  # type: ignore[index]
        except (KeyError, TypeError):  # not made yet, or a slice
            return self._make(number)

    def _make(self, number: int | slice) -> Passage | list[Passage]:
        if isinstance(number, slice):
            return [Passage(*row) for row in self.table[number].tolist()]
        number = int(number)
        if number < 0:
            number += len(self)
        made = self._made.get(number)
        if made is None:
            if not 0 <= number < len(self):
                raise IndexError("passage number out of range")
            made = self._made[number] = Passage(*self.table[number].tolist())
        return made

    def __iter__(self) -> Iterator[Passage]:
        for row in self.table.tolist():
            yield Passage(*row)


def article_ranges(passages: Sequence[Passage]) -> dict[int, tuple[int, int]]:
    """Each article's passages as [first, end): passages of one article are contiguous."""
    if isinstance(passages, PassageTable):
        import numpy as np

        column = np.asarray(passages.table[:, 0])
        if column.shape[0] == 0:
            return {}
        cuts = np.flatnonzero(column[1:] != column[:-1]) + 1
        firsts = np.concatenate(([0], cuts)).tolist()
        ends = np.concatenate((cuts, [column.shape[0]])).tolist()
        return {
            article: (first, end)
            for article, first, end in zip(column[firsts].tolist(), firsts, ends, strict=True)
        }
    ranges: dict[int, tuple[int, int]] = {}
    for number, passage in enumerate(passages):
        first, _ = ranges.get(passage.article, (number, number))
        ranges[passage.article] = (first, number + 1)
    return ranges


@dataclass
class Corpus:
    articles: Sequence[Article]
    warnings: list[str] = field(default_factory=list)

    def ids(self) -> list[str]:
        """Every article's id, in order (a saved library answers without making articles)."""
        return [article.article_id for article in self.articles]

    def titles(self) -> list[str]:
        """Every article's title, in order."""
        return [article.title for article in self.articles]

    def sources(self) -> list[str]:
        """Every article's source (its file, and line for JSONL), in order."""
        return [article.source for article in self.articles]

    def urls(self) -> list[str | None]:
        """Every article's url (None without one), in order."""
        return [article.url for article in self.articles]

    def text_lengths(self) -> np.ndarray:
        """Every article's text length in characters, in order."""
        import numpy as np

        return np.array([len(article.text) for article in self.articles], dtype=np.int64)

    def fingerprint(self) -> str:
        """Changes whenever anything an index is built from changes."""
        digest = hashlib.sha256()
        for article in self.articles:
            parts = [article.article_id, article.title, article.text, article.description or ""]
            parts += [section.label for section in article.sections]
            parts += [f"{p.kind}:{p.section}" for p in article.paragraphs]
            for part in parts:
                digest.update(part.encode())
                digest.update(b"\0")
        return digest.hexdigest()


#: How many times a passage's section path (its headings) counts toward its index terms,
#: as the title counts once. Measured on the two docs sets (benchmarks/docsets, formal
#: questions, answer in excerpt 1 / top 3 of 112): 0 → 48/65, 1 → 48/67, 2 → 47/68;
#: SQuAD has no headings, so it cannot tell them apart.
SECTION_WEIGHT = 1


def context_text(article: Article) -> str:
    """What counts toward every passage of an article besides its own text: the title
    and the front matter's description."""
    return f"{article.title}\n{article.description}" if article.description else article.title


# --- loading ---------------------------------------------------------------------------


def load_corpus(
    folder: Path,
    *,
    on_warning: Callable[[str], None] | None = None,
    allowed_roots: Sequence[Path] = (),
    max_bytes: int = MAX_CORPUS_BYTES,
    progress: Callable[[int, int], None] | None = None,
) -> Corpus:
    """Load every usable article below `folder`; skip the rest with one warning each.

    Only files whose real path is inside `folder` (or one of `allowed_roots`) and not
    hidden are read: a link to `../.env` or `/etc` in a checked-out corpus is skipped.
    JSONL files are read a line at a time, so a bulk export of any size loads without
    holding its text twice; each article may weigh MAX_ARTICLE_BYTES, and the articles
    loaded together `max_bytes` (the rest are skipped, with a warning). `progress` hears
    (bytes read, bytes in all the files) as files are read.
    """
    folder = Path(folder)
    if folder.is_file():
        raise CorpusError(
            f"{folder} is a file, not a folder: the corpus is a folder of articles "
            "(set CITEBOT_CORPUS_DIR or --corpus to the folder that holds it)"
        )
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
    roots = _roots(folder, allowed_roots)
    paths = list(_walk(folder, warn, roots))
    total = sum(_size(path) for path in paths) if progress else 0
    budget = _Budget(max_bytes)
    done = 0
    for path in paths:
        relative = path.relative_to(folder).as_posix()
        if progress:
            progress(done, total)
            done += _size(path)
        for article in _read_path(path, relative, roots, warn, budget):
            key = text_key(article.text)
            if key in seen_text:
                warn(f"skipped {article.source}: same text as {seen_text[key]} (loaded once)")
                continue
            seen_text[key] = article.source
            articles.append(article)
    if progress:
        progress(total, total)
    articles = unique_ids(articles)
    articles.sort(key=lambda a: a.article_id)
    return Corpus(articles=articles, warnings=warnings)


def load_files(
    folder: Path,
    relatives: Sequence[str],
    *,
    on_warning: Callable[[str], None],
    allowed_roots: Sequence[Path] = (),
    max_bytes: int = MAX_CORPUS_BYTES,
) -> list[Article]:
    """The articles of a few files below `folder` (paths relative to it), each read as
    `load_corpus` reads it: what an update of a library already loaded reads again.

    Unlike `load_corpus`, ids are not made unique and repeated texts are not dropped:
    the caller checks them against the library.
    """
    roots = _roots(Path(folder), allowed_roots)
    budget = _Budget(max_bytes)
    articles: list[Article] = []
    for relative in relatives:
        articles += _read_path(Path(folder) / relative, relative, roots, on_warning, budget)
    return articles


def _read_path(
    path: Path, relative: str, roots: tuple[Path, ...], warn: Callable[[str], None], budget: _Budget
) -> list[Article]:
    """The articles of one file, or none with a warning saying why."""
    problem = _confinement_problem(path, roots)  # again: a link may have changed since
    if problem is None and budget.spent_at is not None:
        problem = budget.message()
    if problem is not None:
        warn(f"skipped {relative}: {problem}")
        return []
    try:
        return list(_load_file(path, relative, warn, budget))
    except SkipFile as exc:
        warn(f"skipped {relative}: {exc}")
    except OSError as exc:
        warn(f"skipped {relative}: cannot read it ({exc.strerror or exc})")
    return []


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _Budget:
    """The bytes the whole library may still take in (CITEBOT_MAX_CORPUS_MB)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.spent_at: str | None = None  # where the budget ran out

    def take(self, size: int, where: str) -> bool:
        """Whether an article of `size` bytes still fits; once one does not, none does."""
        if self.spent_at is None and self.used + size > self.limit:
            self.spent_at = where
        if self.spent_at is not None:
            return False
        self.used += size
        return True

    def message(self) -> str:
        return (
            f"the library reached its limit of {self.limit // (1024 * 1024)} MB at "
            f"{self.spent_at} (raise CITEBOT_MAX_CORPUS_MB to load more)"
        )


def corpus_signature(
    folder: Path, allowed_roots: Sequence[Path] = ()
) -> tuple[tuple[str, int, int], ...]:
    """Path, size and modification time of every file the loader would read, and the synonyms.

    Cheap (stat only): a running bot compares it to tell whether a rebuild would see
    anything new.
    """
    signature = []
    # The synonyms file is no article, but a change to it changes the library's answers.
    synonyms = Path(folder) / SYNONYMS_FILE
    roots = _roots(Path(folder), allowed_roots)
    for path in [synonyms, *_walk(Path(folder), lambda message: None, roots)]:
        try:
            stat = path.stat()
        except OSError:
            try:  # a link to nothing: the read names it in a warning, so it must count
                stat = path.lstat()
            except OSError:
                continue
        signature.append((path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def _roots(folder: Path, allowed_roots: Sequence[Path]) -> tuple[Path, ...]:
    """The real folders whose files may be read: the corpus first, then the extra ones."""
    return tuple(Path(os.path.realpath(root)) for root in (folder, *allowed_roots))


def _confinement_problem(path: Path, roots: tuple[Path, ...]) -> str | None:
    """Why `path` must not be read (it resolves outside the roots, or to a hidden entry)."""
    real = Path(os.path.realpath(path))
    for root in roots:
        if real == root or root in real.parents:
            if any(part.startswith(".") for part in real.relative_to(root).parts):
                return "it links to a hidden file or folder"
            return None
    return "it links outside the corpus folder"


def _walk(folder: Path, warn: Callable[[str], None], roots: tuple[Path, ...]) -> Iterator[Path]:
    """Files below `folder` in a stable order; hidden entries and link loops are passed over.

    A link is followed only when its target is inside one of `roots` and not hidden.
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
            kind, warning = _classify(entry, folder, roots)
            if warning is not None:
                warn(warning)
            elif kind == "dir":
                subfolders.append(Path(entry.path))
            else:
                yield Path(entry.path)
        stack.extend(reversed(subfolders))


def _classify(
    entry: os.DirEntry[str], folder: Path, roots: tuple[Path, ...]
) -> tuple[str, str | None]:
    """Whether the walk enters ("dir") or reads ("file") an entry, or the warning skipping it."""
    path = Path(entry.path)
    shown = path.relative_to(folder).as_posix()
    try:
        is_dir = entry.is_dir()
    except OSError:
        is_dir = False
    if entry.is_symlink() and (problem := _confinement_problem(path, roots)) is not None:
        return "skip", f"skipped {shown}{'/' if is_dir else ''}: {problem}"
    if is_dir:
        return "dir", None
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return "skip", (
            f"skipped {shown}: unknown file type '{path.suffix or '(none)'}' "
            "(use .md, .markdown, .mdx, .txt, .html, .htm or .jsonl)"
        )
    if not _is_regular_or_dangling(entry):
        # A pipe or device named like an article would block or never end.
        return "skip", f"skipped {shown}: not a regular file"
    return "file", None


def _is_regular_or_dangling(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file() or (entry.is_symlink() and not os.path.exists(entry.path))
    except OSError:
        return True  # let the read report the error


def _load_file(
    path: Path, relative: str, warn: Callable[[str], None], budget: _Budget
) -> Iterator[Article]:
    size = path.stat().st_size
    if size == 0:
        raise SkipFile("the file is empty")
    if path.suffix.lower() in JSONL_SUFFIXES:
        yield from _stream_jsonl(path, relative, warn, budget)
        return
    if size > MAX_ARTICLE_BYTES:
        raise SkipFile(f"the file is larger than {MAX_ARTICLE_BYTES // (1024 * 1024)} MB")
    if not budget.take(size, relative):
        raise SkipFile(budget.message())
    yield from parse_articles(read_limited(path, MAX_ARTICLE_BYTES), relative, warn)


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


def read_limited(path: Path, limit: int) -> bytes:
    """The file's bytes, or SkipFile once more than `limit` arrive (a file still growing)."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise SkipFile(f"the file is larger than {limit // (1024 * 1024)} MB")
    return data


#: Byte order marks that name an encoding; UTF-32's come first (FF FE 00 00 starts with UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes) -> str:
    """A file's text: UTF-16 or UTF-32 when a BOM says so, UTF-8 otherwise; SkipFile if not.

    Line ends become "\n" whatever they were ("\r\n", or a bare "\r" from old Mac
    files), and a NUL anywhere marks a binary file.
    """
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8-sig")
    if encoding == "utf-8-sig" and (nul := data.find(b"\0")) >= 0:
        raise SkipFile(f"binary file, not text (a NUL byte at offset {nul})")
    try:
        raw = data.decode(encoding)
    except UnicodeDecodeError as exc:
        shown = "UTF-8" if encoding == "utf-8-sig" else encoding.upper()
        raise SkipFile(f"not {shown} text (bad byte at offset {exc.start})") from None
    if (nul := raw.find("\0")) >= 0:
        raise SkipFile(f"binary file, not text (a NUL character at position {nul})")
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def parse_articles(
    data: bytes, relative: str, warn: Callable[[str], None] | None = None
) -> Iterator[Article]:
    """The articles in a file's bytes, read by its extension; SkipFile says why not.

    Shared by the corpus loader and by articles added from Discord, so an upload is
    accepted exactly when the same file dropped into the corpus folder would load.
    """
    if not data:
        raise SkipFile("the file is empty")
    raw = decode_text(data)
    if not raw.strip():
        raise SkipFile("the file has no text")
    path = Path(relative)
    suffix = path.suffix.lower()
    article_id = _article_id(relative)
    if suffix in MARKDOWN_SUFFIXES:
        yield _markdown_article(raw, article_id, relative, path, warn, mdx=suffix == ".mdx")
    elif suffix in TEXT_SUFFIXES:
        yield _text_article(raw, article_id, relative, path)
    elif suffix in HTML_SUFFIXES:
        yield _html_article(raw, article_id, relative, path)
    elif suffix in JSONL_SUFFIXES:
        yield from _jsonl_articles(raw, article_id, relative, warn or (lambda message: None))
    else:
        raise SkipFile(f"unknown file type '{suffix or '(none)'}'")


def text_key(text: str) -> str:
    """What two texts repeating each other share (whitespace aside): one is loaded once."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def unique_ids(articles: list[Article], taken: Collection[str] = ()) -> list[Article]:
    """Articles whose ids collide (`a.md`, `a.txt`) keep their extension in the id.

    An id is the path without its extension while that names one article; when several
    share it, each of them is named by its path with the extension (`a.md`, `a.txt`,
    `batch.jsonl/1`), and a clash left after that (names differing only in case) by a
    number, in the order of their paths, so the same files give the same ids every time.
    `taken`: ids other articles of the library hold already (an update's).
    """
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(article.article_id, []).append(article)
    taken = {article_id for article_id, group in groups.items() if len(group) == 1} | set(taken)
    renamed: dict[int, Article] = {}
    for group in groups.values():
        if len(group) == 1:
            continue
        for article in sorted(group, key=lambda a: (a.source, a.article_id)):
            base = _id_with_extension(article)
            candidate, number = base, 2
            while candidate in taken:
                candidate, number = f"{base}~{number}", number + 1
            taken.add(candidate)
            renamed[id(article)] = dataclasses.replace(article, article_id=candidate)
    return [renamed.get(id(article), article) for article in articles]


def natural_ids(article_id: str, source: str) -> tuple[str, ...]:
    """The id an article loaded as `article_id` from `source` has before `unique_ids`
    (two, when its JSONL record's own id may end as a clash's number does)."""
    file_part, _, line = source.rpartition(":")
    if not (file_part.lower().endswith(tuple(JSONL_SUFFIXES)) and line.isdigit()):
        return (_article_id(source),)
    natural = _article_id(file_part)
    renamed = _article_id(file_part + ".x").removesuffix(".x")
    if article_id.startswith(natural + "/") or not article_id.startswith(renamed + "/"):
        return (article_id,)
    suffix = article_id[len(renamed) + 1 :]
    unnumbered = re.sub(r"~\d+$", "", suffix)
    return tuple(dict.fromkeys((f"{natural}/{unnumbered}", f"{natural}/{suffix}")))


def _id_with_extension(article: Article) -> str:
    file_part, _, line = article.source.rpartition(":")
    if file_part.lower().endswith(tuple(JSONL_SUFFIXES)) and line.isdigit():
        suffix = article.article_id.rsplit("/", 1)[-1]
        return f"{_article_id(file_part + '.x').removesuffix('.x')}/{suffix}"
    return re.sub(r"\s+", "-", article.source.strip().lower())


def _article_id(relative: str) -> str:
    """Stable across restarts: the path without its extension, in lower case."""
    stem = relative.rsplit(".", 1)[0] if "." in relative.rsplit("/", 1)[-1] else relative
    return re.sub(r"\s+", "-", stem.strip().lower())


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


#: Code blocks that a documentation site draws as a picture: no reader sees their text.
DIAGRAM_LANGUAGES = frozenset({"mermaid", "plantuml", "dot", "graphviz", "d2"})

#: Code blocks of a terminal session. Documentation sites colour their output with HTML
#: (FastAPI's `<font color="#4E9A06">uv run fastapi</font>`, drawn by termynal), so
#: the reader sees the text, not the tags.
TERMINAL_LANGUAGES = frozenset(
    {"console", "shell", "sh", "bash", "zsh", "fish", "shell-session", "shellsession",
     "sh-session", "terminal", "powershell", "pwsh", "ps1", "doscon", "bat", "cmd"}
)  # fmt: skip
#: HTML's inline presentation tags: what colours or styles a terminal's output on a page.
#: Other names in angle brackets are a command's placeholders (`crewai create <name>`).
_STYLE_TAGS = r"font|span|b|i|u|em|strong|small|big|s|strike|mark|kbd|samp|code|tt|sub|sup|a"
_STYLE_TAG = re.compile(rf"</?(?:{_STYLE_TAGS})(?:\s[^<>]*)?>|<br\s*/?>", re.I)
#: What a page's colouring of a terminal writes: `<font color=…>`, `<span style=…>`.
_COLOURING = re.compile(r"<(?:font|span)\s[^<>]*\b(?:color|style)\s*=", re.I)
_ANY_TAG = re.compile(r"</?([A-Za-z][\w-]*)(?:\s[^<>]*)?/?>")
_STYLE_NAMES = frozenset(_STYLE_TAGS.split("|")) | {"br"}


def terminal_text(code: str) -> str:
    """A terminal block as a reader sees it: when a page colours it with HTML (`<font
    color=…>`, `<span style=…>`, and no tags but style tags), the style tags (`<b>`,
    `<u>` too) go and entities (`&apos;`) are decoded. Otherwise it is left as it is:
    `echo $((a < b))`, `create <name>`, and the page that `curl` prints, `<b>` and
    `&amp;` included."""
    if not _COLOURING.search(code) or any(
        tag.group(1).lower() not in _STYLE_NAMES for tag in _ANY_TAG.finditer(code)
    ):
        return code
    import html

    return html.unescape(_STYLE_TAG.sub("", code))


#: Marks a code block's language on its first line, for `_fenced`.
FENCE_INFO = "\0info:"


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


def _markdown_article(
    raw: str,
    article_id: str,
    relative: str,
    path: Path,
    warn: Callable[[str], None] | None = None,
    *,
    mdx: bool = False,
) -> Article:
    meta, body = _front_matter(raw)
    blocks, first_heading = markdown_blocks(body, mdx=mdx, warn=warn, where=relative)
    title = _meta_str(meta, "title") or first_heading or _title_from_path(path)
    if (
        first_heading
        and blocks
        and blocks[0].kind == HEADING
        and blocks[0].level == 1
        and title == first_heading
    ):
        blocks = blocks[1:]  # the H1 is the title, not a paragraph
    return _make_article(
        article_id,
        title,
        blocks,
        relative,
        url=_meta_url(meta),
        author=_meta_str(meta, "author"),
        date=_meta_str(meta, "date"),
        description=_meta_str(meta, "description") or _meta_str(meta, "summary"),
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
        raise SkipFile(f"malformed front matter ({_yaml_problem(exc)})") from None
    if metadata is None:
        return {}, body
    if not isinstance(metadata, dict):
        raise SkipFile("malformed front matter (it must be key: value pairs)")
    return metadata, body


def _yaml_problem(exc: Exception) -> str:
    """What YAML found wrong and on which line of the file, whole words in one line."""
    problem, mark = getattr(exc, "problem", None), getattr(exc, "problem_mark", None)
    if problem and mark is not None:  # the front matter's first line is the file's '---' line
        return f"{problem}, line {mark.line + 1}, column {mark.column + 1}"
    reason = " ".join(str(exc).split())
    return reason if len(reason) <= 120 else reason[:120].rsplit(" ", 1)[0] + "…"


def _meta_str(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = _CONTROL.sub("", str(value).replace("\0", "")).strip()  # YAML can spell "\e"
    return text or None


def _meta_url(meta: dict[str, Any]) -> str | None:
    url = _meta_str(meta, "url")
    if url and re.match(r"https?://\S+$", url):
        return url
    return None


def markdown_paragraphs(body: str) -> tuple[list[str], str | None]:
    """Paragraph texts with Markdown syntax removed, and the first H1 heading if any."""
    blocks, first_heading = markdown_blocks(body)
    return [block.text for block in blocks], first_heading


#: Deeper nesting than markdown-it-py allows is flattened first (its parser stops at the
#: limit and drops the rest without a word; the limit keeps its recursion off the stack limit).
MAX_NESTING = 40


def markdown_blocks(
    body: str,
    *,
    mdx: bool = False,
    warn: Callable[[str], None] | None = None,
    where: str = "",
) -> tuple[list[Block], str | None]:
    """The blocks of a Markdown (or MDX) body, and its first H1 heading if any.

    markdown-it-py (CommonMark, with tables) parses the syntax so that emphasis, links,
    code, lists and tables are read the way a Markdown viewer reads them. Before that,
    markup that only a site generator understands is taken out of the way (see
    `_prepare_markdown`), so the text it wraps is read as text.
    """
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable("table")
    if mdx:
        parser.disable("code")  # MDX has no indented code blocks
    prepared = _prepare_markdown(body, mdx=mdx)
    tokens = parser.parse(prepared)
    if tokens and max(t.level for t in tokens) >= MAX_NESTING - 1:
        if warn is not None:
            warn(
                f"{where}: lists or quotes nested deeper than Markdown readers go; "
                "read flattened so no text is lost"
            )
        prepared = "\n".join(_NESTING.sub("", line) for line in prepared.split("\n"))
        tokens = parser.parse(prepared)
    return _blocks_from_tokens(tokens)


_NESTING = re.compile(r"^[\s>]+")


def _blocks_from_tokens(tokens: list[Any]) -> tuple[list[Block], str | None]:
    reader = _TokenReader(tokens)
    for position, token in enumerate(tokens):
        handle = reader.handlers.get(token.type)
        if handle is not None:
            handle(token, position)
    return reader.blocks, reader.first_heading


class _TokenReader:
    """Blocks from markdown-it tokens: one small handler per token type."""

    def __init__(self, tokens: list[Any]) -> None:
        self.tokens = tokens
        self.blocks: list[Block] = []
        self.first_heading: str | None = None
        self.heading_level = 0
        self.pending_anchor: str | None = None  # an id seen alone, for the next heading
        self.table: list[list[str]] | None = None
        self.header: list[str] = []
        self.lists: list[list[int] | None] = []  # per open list: [next number], None: bullets
        self.item_marker = ""  # "- " or "2. ": for the first paragraph of a list item
        self.handlers: dict[str, Callable[[Any, int], None]] = {
            "bullet_list_open": self.list_open,
            "ordered_list_open": self.list_open,
            "bullet_list_close": self.list_close,
            "ordered_list_close": self.list_close,
            "list_item_open": self.item_open,
            "list_item_close": self.item_close,
            "heading_open": self.heading_open,
            "heading_close": self.heading_close,
            "table_open": self.table_open,
            "tr_open": self.row_open,
            "thead_close": self.head_close,
            "table_close": self.table_close,
            "inline": self.inline,
            "fence": self.code,
            "code_block": self.code,
            "html_block": self.html,
        }

    def list_open(self, token: Any, position: int) -> None:
        """A list starts: bulleted, or numbered from its first number."""
        if token.type == "ordered_list_open":
            # markdown-it records "start" only when it is not 1; a list may start at 0.
            self.lists.append([int(token.attrs.get("start", 1))])
        else:
            self.lists.append(None)

    def list_close(self, token: Any, position: int) -> None:
        """A list ends."""
        if self.lists:
            self.lists.pop()

    def item_close(self, token: Any, position: int) -> None:
        """A list item ends: a marker it never showed (an empty item, an image alone)
        must not land on the paragraph after the list."""
        self.item_marker = ""

    def item_open(self, token: Any, position: int) -> None:
        """A list item starts: its first paragraph shows the bullet or number a reader sees."""
        counter = self.lists[-1] if self.lists else None
        if counter is None:
            self.item_marker = "- "
        else:
            self.item_marker = f"{counter[0]}{token.markup or '.'} "
            counter[0] += 1

    def heading_open(self, token: Any, position: int) -> None:
        """A heading starts: its text is the next inline token."""
        self.heading_level = int(token.tag[1])
        self.item_marker = ""

    def heading_close(self, token: Any, position: int) -> None:
        """A heading ends."""
        self.heading_level = 0

    def table_open(self, token: Any, position: int) -> None:
        """A table starts: rows of cells are collected until it ends."""
        self.table, self.header = [], []
        self.item_marker = ""

    def row_open(self, token: Any, position: int) -> None:
        """A table row starts."""
        if self.table is not None:
            self.table.append([])

    def head_close(self, token: Any, position: int) -> None:
        """The header row is the column names."""
        if self.table:
            self.header = self.table.pop()

    def table_close(self, token: Any, position: int) -> None:
        """A table ends: one block per row, each cell with its column name."""
        if self.table is not None:
            self.blocks.extend(Block(row, ROW) for row in _table_rows(self.header, self.table))
            self.table = None

    def inline(self, token: Any, position: int) -> None:
        """The text of a table cell, a heading or a paragraph."""
        text = _inline_text(token.children or [])
        if self.table is not None:
            if self.table:
                self.table[-1].append(" ".join(text.split()))
        elif self.heading_level:
            self.heading(text)
        elif text.strip():
            kind = _paragraph_kind(text, self.tokens, position)
            self.blocks.append(Block(self.item_marker + text.lstrip(), kind))
            self.item_marker = ""
        else:
            self.pending_anchor = _inline_anchor(token.children or []) or self.pending_anchor

    def heading(self, text: str) -> None:
        """A heading block, with its explicit id or the anchor just before it."""
        text, anchor = _heading_anchor(text)
        anchor = anchor or self.pending_anchor
        self.pending_anchor = None
        if text.strip():
            self.blocks.append(Block(text, HEADING, self.heading_level, anchor))
            if self.heading_level == 1 and self.first_heading is None:
                self.first_heading = " ".join(text.split())

    def code(self, token: Any, position: int) -> None:
        """A code block, with its language when it names one."""
        info = (token.info or "").split()
        language = info[0] if info and re.fullmatch(r"[\w+#.-]+", info[0]) else ""
        self.item_marker = ""
        if token.content.strip() and language.casefold() not in DIAGRAM_LANGUAGES:
            content = token.content
            if language.casefold() in TERMINAL_LANGUAGES:
                content = terminal_text(content)
            self.blocks.append(Block(f"{FENCE_INFO}{language}\n{content}", CODE))

    def html(self, token: Any, position: int) -> None:
        """Raw HTML: its visible text, or the id of an anchor for the next heading."""
        self.item_marker = ""
        texts, anchor = _html_block_text(token.content)
        if texts:
            self.blocks.extend(Block(text) for text in texts)
        elif anchor:
            self.pending_anchor = anchor


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


def _inline_anchor(children: list[Any]) -> str | None:
    """The id of a text-less inline anchor such as `<a id="setup"></a>`."""
    for child in children:
        if child.type == "html_inline":
            match = re.search(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""", child.content)
            if match:
                return match.group(1)
    return None


def _paragraph_kind(text: str, tokens: list[Any], position: int) -> str:
    """A question line ("Q: …") or a short paragraph all in bold (a question, an
    accordion's title) leads into the text that answers it."""
    stripped = text.strip()
    if _LEAD_LINE.match(stripped):
        return LEAD
    children = [c for c in tokens[position].children or [] if c.type != "text" or c.content]
    if (
        (stripped.endswith("?") or len(stripped.split()) <= 12)
        and len(stripped.split()) <= 25
        and children
        and children[0].type == "strong_open"
        and children[-1].type == "strong_close"
    ):
        return LEAD
    return TEXT


_HEADING_ID = re.compile(r"\s*\{:?\s*#([\w:.-]+)[^{}]*\}\s*$")


def _heading_anchor(text: str) -> tuple[str, str | None]:
    """A heading's text and its explicit id (`## Setup {#setup}`), if it has one."""
    match = _HEADING_ID.search(text)
    if match is None:
        return text, None
    return text[: match.start()], match.group(1)


#: Site-generator markup that no reader sees: kramdown attribute lists (`{: .note }`),
#: Liquid/Jinja tags (`{% … %}`, `{{ … }}`) and MDX comments (`{/* … */}`).
_GENERATOR_MARKUP = re.compile(
    r"\{:[^{}\n]*\}|\{%.*?%\}|\{\{.*?\}\}|\{/\*.*?\*/\}|\{\*.*?\*\}|\{!.*?!\}", re.S
)


def _inline_text(children: list[Any], *, tables: bool = True) -> str:
    parts: list[str] = []
    table_from: int | None = None  # where an inline <table> being read opened
    for position, child in enumerate(children):
        if table_from is not None:
            if child.type == "html_inline" and _TABLE_END.match(child.content):
                table = children[table_from : position + 1]
                parts.append(_html_table_text("".join(map(_inline_html, table))))
                table_from = None
        elif child.type == "text":
            parts.append(_GENERATOR_MARKUP.sub("", child.content))
        elif child.type == "code_inline":
            parts.append(_code_span(child.content))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif tables and child.type == "html_inline" and _TABLE_START.match(child.content):
            table_from = position
        elif child.type == "html_inline":
            parts.append(_tag_text(child.content))
        # Images (their alt text is not read on the page), other raw HTML and link targets
        # are left out; link text is a text token and stays.
    if table_from is not None:
        # A <table> never closed: what follows it is read as text, not lost in the table.
        parts.append(_inline_text(children[table_from:], tables=False))
    return "".join(parts)


_TABLE_START = re.compile(r"<table\b", re.I)
_TABLE_END = re.compile(r"</table\s*>", re.I)
_SUMMARY_END = re.compile(r"</summary\s*>", re.I)
_CODE_TAG = re.compile(r"</?code\s*>", re.I)
_BREAKING_TAG = re.compile(r"</?(?:br|p|div|li|ul|ol|dl|dt|dd|tr|td|th|details|h[1-6]|hr)\b", re.I)


def _tag_text(tag: str) -> str:
    """What an inline HTML tag shows in the text around it."""
    if _CODE_TAG.fullmatch(tag.strip()):
        return "`"  # <code>x</code> reads as `x`
    if _SUMMARY_END.match(tag):
        return ": "
    if _BREAKING_TAG.match(tag):
        return " "  # cells and lines do not run into each other
    return ""


def _inline_html(child: Any) -> str:
    """An inline token as HTML, to read an HTML table written inside Markdown."""
    import html

    if child.type == "html_inline":
        return str(child.content)
    if child.type == "text":
        return html.escape(child.content)
    if child.type == "code_inline":
        return f"<code>{html.escape(child.content)}</code>"
    return " " if child.type in ("softbreak", "hardbreak") else ""


def _html_table_text(markup: str) -> str:
    """An HTML table inside a paragraph or a cell: its rows as `_table_rows` reads them."""
    import lxml.html
    from lxml import etree

    try:
        fragment = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    rows = [
        [_html_inline(cell) for cell in row if cell.tag in ("td", "th")]
        for row in fragment.iter("tr")
    ]
    header: list[str] = []
    if rows and all(cell.tag == "th" for cell in next(fragment.iter("tr"))):
        header = rows.pop(0)
    read = _table_rows(header, rows)
    return " ".join(row if row.endswith((".", "!", "?")) else row + "." for row in read)


def _code_span(code: str) -> str:
    """Inline code as Markdown writes it, so it still reads as code."""
    code = " ".join(code.split())
    if not code:
        return ""
    if "`" not in code:
        return f"`{code}`"
    return f"`` {code} ``"


#: Where a raw HTML block breaks into paragraphs (a list item, the text after a list).
_ITEM_BREAK = "\u2029"


def _html_block_text(html: str) -> tuple[list[str], str | None]:
    """The paragraphs a reader sees in a raw HTML block (comments, scripts and tags left
    out; a list item apart, with its marker), and the id of a text-less anchor such as
    `<a id="setup"></a>`."""
    import lxml.html
    from lxml import etree

    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return [], None
    for element in list(fragment.iter(etree.Comment, "script", "style", "template")):
        if element.getparent() is not None:
            element.drop_tree()
    for listing in list(fragment.iter("ol", "ul")):
        items = [child for child in listing if child.tag == "li"]
        markers = (
            _ordered_list_markers(listing, items) if listing.tag == "ol" else ["-"] * len(items)
        )
        for item, marker in zip(items, markers, strict=True):
            shown = f"{marker} " if _item_key(_own_text(item)) else ""
            item.text = f"{_ITEM_BREAK}{shown}{item.text or ''}"
        listing.tail = _ITEM_BREAK + (listing.tail or "")
    texts = [
        _GENERATOR_MARKUP.sub("", " ".join(piece.split())).strip()
        for piece in fragment.text_content().split(_ITEM_BREAK)
    ]
    texts = [text for text in texts if text]
    anchor = None
    if not texts:
        for element in fragment.iter():
            ident = element.get("id") or element.get("name")
            if ident:
                anchor = ident
                break
    return texts, anchor


_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})")
#: A line holding nothing but HTML tags or comments: CommonMark would start an HTML block
#: there and swallow the lines after it (a heading, a paragraph) as raw HTML.
_TAGS_ONLY = re.compile(r"^[ \t]*(?:<!--.*?-->|</?[A-Za-z][\w.:-]*(?:\s[^<>]*)?/?>[ \t]*)+$")
_GENERATOR_LINE = re.compile(r"^[ \t]*(?:\{:[^{}]*\}|\{%.*%\}|\{\*.*\*\}|\{!.*!\})[ \t]*$")
#: Admonition markers: `/// note | Title` … `///` (pymdownx blocks; `////` around nested
#: ones, such as tabs holding a note), `:::tip Title` … `:::`
#: (Docusaurus), `!!! note "Title"` with an indented body (Python-Markdown, MkDocs).
_BLOCK_MARKER = re.compile(
    r"^[ \t]*(?:/{3,}|:{3,})[ \t]*(?P<kind>[\w-]+)?[ \t]*(?:\|[ \t]*(?P<title>.*?))?[ \t]*$"
)
_DOCUSAURUS_TITLE = re.compile(r"^[ \t]*:{3,}[ \t]*[\w-]+[ \t]+(?P<title>[^|].*?)[ \t]*$")
_ADMONITION = re.compile(r"^(?:!!!|\?\?\?\+?)[ \t]*[\w-]+(?:[ \t]+\"(?P<title>[^\"]*)\")?[ \t]*$")
_COMPONENT = re.compile(
    r"""<(/?)([A-Z][\w.]*)
    ((?:\s+[^\s=<>/"'{}]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|\{(?:[^{}]|\{[^{}]*\})*\}|[^\s>"'{}]+))?)*)
    \s*(/?)>""",
    re.X | re.S,
)
_TAG_START = re.compile(r"^[ \t]*<([A-Za-z][\w.-]*)(?:\s|$)")
_TITLE_ATTRIBUTE = re.compile(r"""\btitle\s*=\s*(?:"([^"]*)"|'([^']*)'|\{["'`]([^"'`]*)["'`]\})""")
_MODULE_LINE = re.compile(r"^(?:import|export)\s")


def _tag_end(text: str, start: int) -> int | None:
    """Just past the ">" that closes the tag opened at text[start] ("<"), or None.

    A ">" inside an attribute's quotes or inside a `{…}` expression (which may nest
    braces and hold strings and template literals, as JSX event handlers do) does not
    close the tag.
    """
    depth, quote, i = 0, "", start + 1
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'`" and (depth or char != "`"):
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        elif char == ">" and not depth:
            return i + 1
        i += 1
    return None


def _prepare_markdown(body: str, *, mdx: bool) -> str:
    """Take site-generator markup out of the way of the Markdown parser.

    Outside code fences: attribute-list and template-tag lines go; a line of bare HTML
    tags is set apart by blank lines so it cannot swallow its neighbours; admonition
    markers go (their titles stay). In MDX, `import`/`export` statements and
    self-closing components go, component tags (`<Note>`, `<Accordion title="…">`,
    `<Tab>` …) become paragraph breaks (a `title` becomes a paragraph of its own) and
    the content they wrap is un-indented, so it is read as the Markdown it is.
    """
    return _Preparer(body, mdx=mdx).run()


class _Preparer:
    """The line-by-line state of `_prepare_markdown`."""

    def __init__(self, body: str, *, mdx: bool) -> None:
        self.lines = body.replace("\r\n", "\n").split("\n")
        self.mdx = mdx
        self.out: list[str] = []
        self.position = 0
        self.fence: str | None = None
        self.dedent: list[int | None] = []  # content indent per open component (None: unseen)
        self.in_module = False  # inside a multi-line MDX import/export
        self.in_admonition = False  # inside the indented body of a `!!! note` admonition

    def run(self) -> str:
        """The prepared body."""
        while self.position < len(self.lines):
            line = self.unindented(self.lines[self.position])
            self.position += 1
            if self.code(line):
                continue
            if self.mdx:
                line_or_none = self.mdx_line(line)
                if line_or_none is None:
                    continue
                line = line_or_none
            self.markup_line(line)
        return "\n".join(self.out)

    def unindented(self, line: str) -> str:
        """The line without the indentation of the admonition or component around it."""
        if self.in_admonition and line.strip():
            if line.startswith(("    ", "\t")):
                line = line[1:] if line.startswith("\t") else line[4:]
            else:
                self.in_admonition = False
        if self.mdx and self.dedent:
            head = len(line) - len(line.lstrip(" \t"))
            if self.dedent[-1] is None and line.strip():
                self.dedent[-1] = head
            line = line[min(self.dedent[-1] or 0, head) :]
        return line

    def code(self, line: str) -> bool:
        """Keep a code fence's lines as they are; True when the line was one."""
        if self.fence is not None:
            self.out.append(line)
            stripped = line.strip()
            if stripped.startswith(self.fence) and not stripped.strip(self.fence[0]):
                self.fence = None
            return True
        opening = _FENCE_OPEN.match(line)
        if opening:
            self.fence = opening.group(1)
            self.out.append(line)
            return True
        return False

    def mdx_line(self, line: str) -> str | None:
        """An MDX line without its module statements and components (None: nothing left)."""
        if self.in_module:
            self.in_module = bool(line.strip())
            return None
        if _MODULE_LINE.match(line):
            self.in_module = bool(line.strip()) and not line.rstrip().endswith(";")
            return None
        opening = _TAG_START.match(line)
        if opening and _tag_end(line, opening.start(1) - 1) is None:
            line = self.whole_tag(line, opening.start(1) - 1)
            end = _tag_end(line, opening.start(1) - 1)
            if end is not None and (opening.group(1)[0].islower() or not _COMPONENT.search(line)):
                # A tag over several lines whose attributes hold code (styles, handlers):
                # no reader sees them. What follows its ">" is kept.
                line = line[: opening.start(1) - 1] + line[end:]
                if not line.strip():
                    return None
        line = _MDX_COMMENT.sub("", line)
        line = _JSX_STRING.sub(
            lambda m: m.group("code") or m.group("a") or m.group("b") or "", line
        )
        wrapped = _HTML_WRAPPED.match(line)
        if wrapped and wrapped.group("inner").strip() and wrapped.group(1) not in _UNSEEN:
            # `<center>**Scores**</center>`: in MDX, the Markdown inside an HTML tag is read.
            line = wrapped.group("inner")
        rest = _COMPONENT.sub("", line)
        if _COMPONENT.search(line) and not rest.strip():
            self.components(line)
            return None
        return rest

    def whole_tag(self, line: str, start: int) -> str:
        """An opening tag written over several lines, read up to its ">" outside braces,
        quotes and template literals (200 lines at most; otherwise the line as it is)."""
        joined, end = line, self.position
        while _tag_end(joined, start) is None:
            if end >= min(len(self.lines), self.position + 200):
                return line
            joined += "\n" + self.lines[end]
            end += 1
        self.position = end
        return joined

    def components(self, line: str) -> None:
        """A line of component tags: paragraph breaks, titles kept as bold lead lines."""
        self.out.append("")
        for tag in _COMPONENT.finditer(line):
            closing, self_closing = tag.group(1), tag.group(4)
            if self_closing:
                continue
            if closing:
                if self.dedent:
                    self.dedent.pop()
                continue
            title = _TITLE_ATTRIBUTE.search(tag.group(3))
            text = title.group(title.lastindex or 1).strip() if title else ""
            if text:
                self.out.extend([f"**{text}**", ""])
            self.dedent.append(None)
        self.out.append("")

    def markup_line(self, line: str) -> None:
        """A line outside code, without the markup only a site generator reads."""
        if _GENERATOR_LINE.match(line):
            return
        marker = (
            _BLOCK_MARKER.match(line) or _DOCUSAURUS_TITLE.match(line) or _ADMONITION.match(line)
        )
        if marker:
            # The marker goes; a title stays, as a bold line leading into the block. A tab's
            # title ("Python 3.10+") only labels a variant of the code: as a lead line it cut
            # FastAPI's pages into passages apart from the text they belong to.
            lead = (marker.group("title") or "").strip()
            if marker.groupdict().get("kind") == "tab":
                lead = ""
            self.out.extend(["", f"**{lead}**", ""] if lead else [""])
            self.in_admonition = self.in_admonition or line.startswith(("!!!", "???"))
        elif _TAGS_ONLY.match(line):
            self.out.extend(["", line, ""])
        else:
            self.out.append(line)


_MDX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.S)
#: A JSX string expression (`{" "}`, which formatters put between components): its text.
#: Inline code is matched first, so that it is kept as it is.
_JSX_STRING = re.compile(
    r"""(?P<code>`+[^`]*`+)|\{\s*(?:"(?P<a>[^"\\{}]*)"|'(?P<b>[^'\\{}]*)')\s*\}"""
)
#: Elements whose content no reader sees: left for the HTML reader, which drops them.
_UNSEEN = frozenset({"script", "style", "template"})
#: A line of Markdown wrapped in one lowercase HTML element.
_HTML_WRAPPED = re.compile(r"^[ \t]*<([a-z][\w-]*)(?:\s[^<>]*)?>(?P<inner>[^<>]*)</\1>[ \t]*$")


def _html_article(raw: str, article_id: str, relative: str, path: Path) -> Article:
    """Main text and metadata by trafilatura, which strips navigation and footers."""
    import trafilatura

    document = trafilatura.bare_extraction(
        raw,
        config=_extraction_config(),
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_formatting=True,
        favor_recall=True,
        # Dates from the page's metadata only: a year in the body is not a publication date.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if document is None:
        raise SkipFile("no main text found in the HTML")
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    body = getattr(document, "body", None)
    if body is not None and len(body):
        page = _page_tree(raw)
        blocks = _html_blocks(body, _heading_ids(page), _list_numbers(page))
    else:
        text = data.get("text") or ""
        blocks = [Block(line) for line in text.splitlines() if line.strip()]
    if not blocks:
        raise SkipFile("no main text found in the HTML")
    title = data.get("title") or _title_from_path(path)
    if len(blocks) > 1 and " ".join(blocks[0].text.split()) == " ".join(title.split()):
        blocks = blocks[1:]  # the page's heading repeats its title
    url = data.get("url")
    if not (isinstance(url, str) and re.match(r"https?://\S+$", url)):
        url = None
    description = data.get("description")
    return _make_article(
        article_id,
        title,
        blocks,
        relative,
        url=url,
        author=data.get("author"),
        date=data.get("date"),
        description=description if isinstance(description, str) else None,
    )


@lru_cache(maxsize=1)
def _extraction_config() -> Any:
    """trafilatura's settings, but a short page's main text is kept: below 250 characters
    it would fall back to the whole page's text (menus in, headings flattened)."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    return config


_PERMALINK = re.compile(r"[\s¶#§🔗]+$")


def _heading_key(text: str) -> str:
    return " ".join(_PERMALINK.sub("", text).split()).casefold()


def _page_tree(raw: str) -> Any | None:
    """The page as lxml reads it, for what trafilatura's cleaned tree leaves out."""
    import lxml.html
    from lxml import etree

    try:
        return lxml.html.document_fromstring(raw)
    except (etree.ParserError, ValueError):
        return None


def _heading_ids(root: Any | None) -> dict[str, str]:
    """Heading text → its id on the page (on the heading, an anchor in it, or its section)."""
    if root is None:
        return {}
    ids: dict[str, str] = {}
    for heading in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        ident = heading.get("id")
        if not ident:
            inner = heading.xpath(".//*[@id or @name]")
            ident = inner[0].get("id") or inner[0].get("name") if inner else None
        parent = heading.getparent()
        if not ident and parent is not None and parent.tag == "section":
            ident = parent.get("id")
        key = _heading_key(heading.text_content())
        if ident and key and key not in ids:
            ids[key] = ident
    return ids


def _list_numbers(root: Any | None) -> dict[tuple[str, ...], list[str]]:
    """The numbers a reader sees on each numbered list of the page, by its items' words:
    trafilatura's tree drops `start`, `reversed`, `type` and `value`."""
    if root is None:
        return {}
    numbers: dict[tuple[str, ...], list[str]] = {}
    for ordered in root.iter("ol"):
        items = [child for child in ordered if child.tag == "li"]
        key = tuple(_item_key(_own_text(item)) for item in items)
        numbers.setdefault(key, _ordered_list_markers(ordered, items))
    return numbers


def _ordered_list_markers(ordered: Any, items: list[Any]) -> list[str]:
    """The markers of an HTML `<ol>`'s items as a browser draws them ("3.", "c.", "iv.")."""
    step = -1 if ordered.get("reversed") is not None else 1
    start = _html_int(ordered.get("start"))
    number = start if start is not None else (len(items) if step < 0 else 1)
    style = (ordered.get("type") or "1").strip()
    markers = []
    for item in items:
        value = _html_int(item.get("value"))
        number = value if value is not None else number
        markers.append(f"{_list_number(number, style)}.")
        number += step
    return markers


def _html_int(value: str | None) -> int | None:
    """An HTML integer attribute, or None when it is missing or not a number."""
    match = re.match(r"\s*([+-]?\d{1,9})", value or "")
    return int(match.group(1)) if match else None


_ROMAN = tuple(
    zip(
        (1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1),
        "m cm d cd c xc l xl x ix v iv i".split(),
        strict=True,
    )
)


def _list_number(number: int, style: str) -> str:
    """`number` in an `<ol type=…>` style: 1, a, A, i or I (decimal where letters can't)."""
    if style in ("a", "A") and number > 0:
        letters = ""
        while number:
            number, rest = divmod(number - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters.upper() if style == "A" else letters
    if style in ("i", "I") and 0 < number < 4000:
        roman = ""
        for value, digits in _ROMAN:
            while number >= value:
                roman, number = roman + digits, number - value
        return roman.upper() if style == "I" else roman
    return str(number)


def _own_text(item: Any) -> str:
    """A list item's text without the lists nested in it."""
    parts = [item.text or ""]
    for child in item:
        if child.tag not in ("ol", "ul") and isinstance(child.tag, str):
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def _item_key(text: str) -> str:
    """Words alone, to match a list item of the page to trafilatura's copy of it."""
    return " ".join(re.findall(r"\w+", text)).casefold()


def _html_blocks(
    body: Any, ids: dict[str, str], numbers: dict[tuple[str, ...], list[str]]
) -> list[Block]:
    """Blocks of trafilatura's cleaned tree: headings, paragraphs, lists, code, tables."""
    blocks: list[Block] = []
    for element in body:
        tag = element.tag
        if tag == "head":
            text = _PERMALINK.sub("", _html_inline(element))
            rend = element.get("rend") or ""
            level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
            blocks.append(Block(text, HEADING, level, ids.get(_heading_key(text))))
        elif tag == "code":
            blocks.append(Block(FENCE_INFO + "\n" + "".join(element.itertext()), CODE))
        elif tag == "list":
            blocks.extend(_html_list(element, numbers))
        elif tag == "table":
            rows = [
                [_html_inline(cell) for cell in row.iter("cell")] for row in element.iter("row")
            ]
            head = [
                _html_inline(cell)
                for row in element.iter("row")
                for cell in row.iter("cell")
                if cell.get("role") == "head"
            ]
            if head and rows and len(rows[0]) == len(head):
                rows = rows[1:]
            blocks.extend(Block(row, ROW) for row in _table_rows(head, rows))
        elif tag != "graphic":
            text = _html_inline(element)
            blocks.append(Block(text, LEAD if _LEAD_LINE.match(text.strip()) else TEXT))
    return blocks


def _html_list(element: Any, numbers: dict[tuple[str, ...], list[str]]) -> list[Block]:
    """One block per list item, with the bullet or number a reader sees (the page's own
    numbering when it has one); nested lists after their item (each item once)."""
    blocks: list[Block] = []
    items = element.findall("item")
    texts = [_html_inline(item) for item in items]
    markers = ["-"] * len(items)
    if element.get("rend") == "ol":
        page = numbers.get(tuple(_item_key(text) for text in texts))
        markers = page or [f"{number}." for number in range(1, len(items) + 1)]
    for item, text, marker in zip(items, texts, markers, strict=True):
        if text:
            blocks.append(Block(f"{marker} {text}"))
        for inner in item.findall("list"):
            blocks.extend(_html_list(inner, numbers))
    return blocks


def _html_inline(element: Any) -> str:
    """An element's text, inline code in backticks (nested lists left to `_html_list`)."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "list":
            pass
        elif child.tag == "code":
            parts.append(_code_span("".join(child.itertext())))
        elif child.tag == "lb":
            parts.append(" ")
        else:
            parts.append(_html_inline(child))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


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


# --- passages --------------------------------------------------------------------------


def split_passages(
    article: Article, article_index: int, *, min_words: int = 40, max_words: int = 150
) -> list[Passage]:
    """Paragraph-based passages: short paragraphs merged, long ones split into windows.

    Windows of a long paragraph end at sentence boundaries and overlap by one
    sentence, so an answer that straddles a boundary is still whole in one passage;
    a sentence longer than a window is cut at word boundaries, so no passage runs
    past `max_words` (plus the heading or question line that leads into it). A code
    block stays whole up to CODE_WINDOWS windows, since a slice of code reads badly.
    A heading starts a passage of its own section, and a heading or a question
    line ("Q: …") never ends a passage: it stays with the text that answers it.
    """
    units: list[tuple[int, int, int, bool]] = []  # (start, end, paragraph number, leads)
    for paragraph in article.paragraphs:
        text = article.text[paragraph.start : paragraph.end]
        leads = paragraph.kind in (HEADING, LEAD) and word_count(text) <= max_words // 2
        limit = max_words * CODE_WINDOWS if paragraph.kind == CODE else max_words
        if word_count(text) <= limit:
            units.append((paragraph.start, paragraph.end, paragraph.number, leads))
            continue
        for start, end in _windows(article.text, paragraph.start, paragraph.end, max_words):
            units.append((start, end, paragraph.number, False))

    def section(unit: tuple[int, int, int, bool]) -> int:
        return article.paragraphs[unit[2] - 1].section

    passages: list[Passage] = []
    current: list[tuple[int, int, int, bool]] = []
    words = 0
    for unit in units:
        unit_words = word_count(article.text[unit[0] : unit[1]])
        same_paragraph_window = current and current[-1][2] == unit[2]
        answered = current and not all(u[3] for u in current)
        if current and (
            (unit[3] and answered)  # a heading or question line opens a new passage
            or (answered and section(unit) != section(current[-1]))
            or (
                not current[-1][3]
                and (words >= min_words or words + unit_words > max_words or same_paragraph_window)
            )
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
            and section(current[0]) == article.paragraphs[passages[-1].last_paragraph - 1].section
            and not current[0][3]
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


#: How many windows' worth of words a code block may hold and still be one passage.
CODE_WINDOWS = 4


def _passage(article_index: int, units: list[tuple[int, int, int, bool]]) -> Passage:
    return Passage(article_index, units[0][0], units[-1][1], units[0][2], units[-1][2])


def _windows(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    sentences: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, start, end):
        if word_count(text[s:e]) > max_words:
            sentences.extend(_word_chunks(text, s, e, max_words))
        else:
            sentences.append((s, e))
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


_WORD = re.compile(r"\S+")


def _word_chunks(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """text[start:end] in pieces of at most half a window of words, cut between words
    (at a line end where the piece's second half has one, so code keeps whole lines)."""
    size = max(1, max_words // 2)  # windows of two pieces overlap by one, as sentences do
    chunks: list[tuple[int, int]] = []
    piece: list[tuple[int, int]] = []
    for match in _WORD.finditer(text, start, end):
        piece.append((match.start(), match.end()))
        if len(piece) <= size:
            continue
        # The piece is full: end it at its last line break in the second half, if any.
        cut = size - 1
        for k in range(size - 1, size // 2, -1):
            if "\n" in text[piece[k][1] : piece[k + 1][0]]:
                cut = k
                break
        chunks.append((piece[0][0], piece[cut][1]))
        piece = piece[cut + 1 :]
    if piece:
        chunks.append((piece[0][0], piece[-1][1]))
    return chunks
