"""A folder of files read as articles: the walk (hidden entries, link loops and links
out of the corpus passed over), the library's byte budget, one warning a skipped file,
each file read by its type, and the signature that tells a running bot what changed."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from bot.corpus._html import _html_article
from bot.corpus._ids import _article_id, text_key, unique_ids
from bot.corpus._jsonl import _jsonl_articles, _stream_jsonl
from bot.corpus._markdown import _markdown_article
from bot.corpus._model import Article, Corpus
from bot.corpus._plain import _text_article
from bot.corpus._reading import (
    HTML_SUFFIXES,
    JSONL_SUFFIXES,
    MARKDOWN_SUFFIXES,
    MAX_ARTICLE_BYTES,
    MAX_CORPUS_BYTES,
    SUPPORTED_SUFFIXES,
    TEXT_SUFFIXES,
    _Budget,
    decode_text,
    read_limited,
)
from bot.errors import CorpusError, SkipFile
from bot.synonyms import SYNONYMS_FILE

log = logging.getLogger(__name__)


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
