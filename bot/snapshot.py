"""The library saved beside its index, so a start with unchanged files parses none of them.

Starting used to read and parse every corpus file again, only to find the saved
index still fit: 1.3 s at 100k passages, 17 s at a million. What a start needs (the
articles' metadata, their text, paragraphs and sections, the index's key, the
library's word counts for the chat reader, the loader's warnings) is saved here once
the index is, under a key of what the loader would read: every file's path, size and
modification time, the synonyms file, the settings that shape passages and terms, and
the code's versions. An unchanged key loads it memory-mapped and makes an `Article`
only when one is read; any change misses and the files are parsed as before. A saved
library that fails to load is rebuilt with a warning, never half used. Saves are
atomic (a staging folder renamed into place), as the index's are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, overload

import numpy as np

from bot import __version__, chat
from bot import corpus as corpus_module
from bot.atomic import staged_folder
from bot.corpus import (
    CODE,
    HEADING,
    LEAD,
    ROW,
    SECTION_WEIGHT,
    TEXT,
    Article,
    Corpus,
    Paragraph,
    Passage,
    Section,
    corpus_signature,
)
from bot.errors import IndexLoadError
from bot.index import BM25Index, load_cached, retire_others
from bot.settings import Settings
from bot.text import Analyzer

log = logging.getLogger(__name__)

#: Bumped whenever what is saved here changes shape.
LIBRARY_FORMAT = 1
KINDS = (TEXT, HEADING, LEAD, CODE, ROW)
_KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
#: Whatever a saved library fails with: each means "parse the files again".
UNUSABLE = (IndexLoadError, OSError, ValueError, KeyError, TypeError, IndexError)
#: The corpus files as `corpus_signature` lists them: (path, size, modification time).
Files = tuple[tuple[str, int, int], ...]


def library_key(settings: Settings, files: Files | None = None) -> str:
    """What a saved library depends on: the files as the loader would find them (path,
    size, modification time; `files` when already listed), the settings that shape it,
    the code. Stat only: cheap."""
    digest = hashlib.sha256(library_basis(settings).encode())
    if files is None:
        files = corpus_signature(settings.corpus_dir, settings.corpus_extra_roots)
    digest.update(repr(files).encode())
    return digest.hexdigest()[:24]


def library_basis(settings: Settings) -> str:
    """What a saved library depends on besides the files: a library saved under the same
    basis can be brought up to date file by file (`bot.incremental`)."""
    digest = hashlib.sha256()
    folder = settings.corpus_dir
    roots = [os.path.realpath(root) for root in (folder, *settings.corpus_extra_roots)]
    fields = settings.index_fingerprint_fields()
    versions = [LIBRARY_FORMAT, __version__, SECTION_WEIGHT, Analyzer.VERSION]
    limits = settings.max_corpus_mb
    digest.update(json.dumps([roots, fields, versions, limits], default=str).encode())
    # The code that parses and counts, too: a changed parser never meets an old save, even
    # between releases (a few kB read, well under a millisecond).
    for module in (corpus_module, chat, sys.modules[__name__]):
        for path in _source_files(module):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def _source_files(module: ModuleType) -> list[Path]:
    """A module's source file, or every module of a package (`bot.corpus` is one): a
    change to any of them changes what a saved library depends on."""
    path = Path(str(module.__file__))
    if hasattr(module, "__path__"):
        return sorted(path.parent.glob("*.py"))
    return [path]


class SavedArticles(Sequence[Article]):
    """A saved library's articles, each made from the memory-mapped files when first read."""

    def __init__(self, folder: Path, count: int) -> None:
        self._meta: list[list[Any]] = json.loads((folder / "articles.json").read_text())
        self._text = np.load(folder / "text.npy", mmap_mode="r", allow_pickle=False)
        self._text_at = np.load(folder / "text_offsets.npy", allow_pickle=False)
        self._paragraphs = np.load(folder / "paragraphs.npy", mmap_mode="r", allow_pickle=False)
        self._paragraphs_at = np.load(folder / "paragraph_offsets.npy", allow_pickle=False)
        self.lengths = np.load(folder / "text_lengths.npy", allow_pickle=False)
        if not (
            len(self._meta) == count
            and self._text_at.shape == self._paragraphs_at.shape == (count + 1,)
            and self.lengths.shape == (count,)
            and self._text.ndim == 1
            and self._text_at[-1] == self._text.shape[0]
            and self._paragraphs.ndim == 2
            and self._paragraphs.shape[1] == 5
            and self._paragraphs_at[-1] == self._paragraphs.shape[0]
        ):
            raise IndexLoadError("saved articles do not add up")
        self._made: list[Article | None] = [None] * count

    def __len__(self) -> int:
        return len(self._meta)

    @overload
    def __getitem__(self, number: int) -> Article: ...

    @overload
    def __getitem__(self, number: slice) -> list[Article]: ...

    def __getitem__(self, number: int | slice) -> Article | list[Article]:
        if isinstance(number, slice):
            return [self[i] for i in range(*number.indices(len(self)))]
        made = self._made[number]
        if made is None:
            made = self._made[number] = self._make(number % len(self))
        return made

    def __iter__(self) -> Iterator[Article]:
        for number in range(len(self)):
            yield self[number]

    def ids(self) -> list[str]:
        """Every article's id, without making the articles."""
        return [str(meta[0]) for meta in self._meta]

    def titles(self) -> list[str]:
        """Every article's title, without making the articles."""
        return [str(meta[1]) for meta in self._meta]

    def sources(self) -> list[str]:
        """Every article's source (its file), without making the articles."""
        return [str(meta[5]) for meta in self._meta]

    def urls(self) -> list[str | None]:
        """Every article's url, without making the articles."""
        return [meta[2] for meta in self._meta]

    def text(self, number: int) -> str:
        """One article's text, without making (and keeping) the article."""
        made = self._made[number]
        if made is not None:
            return made.text
        start, end = int(self._text_at[number]), int(self._text_at[number + 1])
        return str(self._text[start:end].tobytes(), "utf-8")

    def _make(self, number: int) -> Article:
        article_id, title, url, author, date, source, description, sections = self._meta[number]
        start, end = int(self._text_at[number]), int(self._text_at[number + 1])
        first, last = int(self._paragraphs_at[number]), int(self._paragraphs_at[number + 1])
        text = self._text[start:end].tobytes().decode("utf-8")
        if len(text) != self.lengths[number]:
            raise IndexLoadError(f"saved text of {article_id} has the wrong length")
        paragraphs = tuple(
            Paragraph(n, s, e, KINDS[k], section)
            for n, s, e, k, section in self._paragraphs[first:last].tolist()
        )
        sections_made = tuple(Section(tuple(path), anchor) for path, anchor in sections)
        return Article(
            article_id,
            title,
            text,
            paragraphs,
            url,
            author,
            date,
            source,
            sections_made,
            description,
        )


class SavedCorpus(Corpus):
    """A corpus read back from a saved library: ids and lengths without making articles."""

    saved: SavedArticles

    def __init__(self, articles: SavedArticles, warnings: list[str]) -> None:
        super().__init__(articles, warnings)
        self.saved = articles

    def ids(self) -> list[str]:
        """Every article's id, read from the saved metadata."""
        return self.saved.ids()

    def titles(self) -> list[str]:
        """Every article's title, read from the saved metadata."""
        return self.saved.titles()

    def sources(self) -> list[str]:
        """Every article's source, read from the saved metadata."""
        return self.saved.sources()

    def urls(self) -> list[str | None]:
        """Every article's url, read from the saved metadata."""
        return self.saved.urls()

    def text_lengths(self) -> np.ndarray:
        """Every article's text length, as saved."""
        lengths: np.ndarray = self.saved.lengths
        return lengths


class Library:
    """What a start needs, loaded: the corpus, its passages and index, its word counts."""

    def __init__(
        self,
        corpus: Corpus,
        passages: Sequence[Passage],
        index: BM25Index,
        vocabulary: Mapping[str, int],
        index_key: str = "",
    ) -> None:
        self.corpus = corpus
        self.passages = passages
        self.index = index
        self.vocabulary = vocabulary
        #: The key the index is saved under (what saved tables beside it depend on).
        self.index_key = index_key


def load_library(settings: Settings, key: str) -> Library | None:
    """The library saved under `key`, or None when there is none.

    Raises one of `UNUSABLE` when what is saved cannot be trusted.
    """
    folder = settings.data_dir / "library" / key
    if not folder.is_dir():
        return None
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("key") != key or meta.get("format") != LIBRARY_FORMAT:
        raise IndexLoadError("it was saved for other files or another version")
    articles = SavedArticles(folder, int(meta["articles"]))
    corpus = SavedCorpus(articles, [str(w) for w in meta["warnings"]])
    index_key = str(meta["index"])
    passages, index = load_cached(
        settings.data_dir / "index" / index_key, corpus, index_key, text_lengths=articles.lengths
    )
    vocabulary = json.loads((folder / "vocabulary.json").read_text())
    if not isinstance(vocabulary, dict):
        raise IndexLoadError("saved word counts are not a table")
    return Library(corpus, passages, index, vocabulary, index_key)


def save_library(
    settings: Settings,
    key: str,
    corpus: Corpus,
    index_key: str,
    vocabulary: Mapping[str, int],
    files: Files = (),
) -> None:
    """Save what a start needs under `key`, in one rename, and retire other saved libraries."""
    root = settings.data_dir / "library"
    articles = corpus.articles
    # Another process saving the same key first wins: the same files give the same library.
    with staged_folder(root / key, keep_existing=True) as staging:
        # Written a text at a time: a library of gigabytes is never held twice over.
        sizes = [len(article.text.encode("utf-8")) for article in articles]
        text_at = np.zeros(len(articles) + 1, dtype=np.int64)
        np.cumsum(sizes, out=text_at[1:])
        with open(staging / "text.npy", "wb") as out:
            header = {"descr": "|u1", "fortran_order": False, "shape": (int(text_at[-1]),)}
            np.lib.format.write_array_header_1_0(out, header)
            for article in articles:
                out.write(article.text.encode("utf-8"))
        np.save(staging / "text_offsets.npy", text_at)
        np.save(staging / "text_lengths.npy", corpus.text_lengths())
        counts = [len(article.paragraphs) for article in articles]
        rows = np.fromiter(
            (
                value
                for article in articles
                for p in article.paragraphs
                for value in (p.number, p.start, p.end, _KIND_CODE[p.kind], p.section)
            ),
            dtype=np.int64,
            count=5 * sum(counts),
        )
        paragraphs_at = np.zeros(len(articles) + 1, dtype=np.int64)
        np.cumsum(counts, out=paragraphs_at[1:])
        np.save(staging / "paragraphs.npy", rows.reshape(-1, 5))
        np.save(staging / "paragraph_offsets.npy", paragraphs_at)
        meta = [
            [
                a.article_id,
                a.title,
                a.url,
                a.author,
                a.date,
                a.source,
                a.description,
                [[list(s.path), s.anchor] for s in a.sections],
            ]
            for a in articles
        ]
        (staging / "articles.json").write_text(json.dumps(meta, ensure_ascii=False))
        (staging / "vocabulary.json").write_text(json.dumps(vocabulary, ensure_ascii=False))
        (staging / "meta.json").write_text(
            json.dumps(
                {
                    "key": key,
                    "format": LIBRARY_FORMAT,
                    "index": index_key,
                    "articles": len(articles),
                    "warnings": corpus.warnings,
                    "basis": library_basis(settings),
                    "files": files,
                }
            )
        )
    retire_others(root, keep=key)


def saved_base(settings: Settings) -> tuple[str, Files] | None:
    """The key and files of a library saved for other files with the same basis (settings,
    code), which `bot.incremental` can bring up to date; None when there is none."""
    basis = library_basis(settings)
    root = settings.data_dir / "library"
    try:
        folders = [f for f in root.iterdir() if not f.name.startswith(".")]
    except OSError:
        return None
    for folder in folders:
        try:
            meta = json.loads((folder / "meta.json").read_text())
            if meta.get("basis") == basis and meta.get("format") == LIBRARY_FORMAT:
                files = tuple((str(p), int(size), int(mtime)) for p, size, mtime in meta["files"])
                return folder.name, files
        except (*UNUSABLE, json.JSONDecodeError):
            continue
    return None


def discard_library(settings: Settings, key: str) -> None:
    """Remove a saved library that could not be used."""
    shutil.rmtree(settings.data_dir / "library" / key, ignore_errors=True)


def open_library(
    settings: Settings,
    build: Callable[[], tuple[Library, str]],
    *,
    warn: Callable[[str], None],
) -> Library:
    """The saved library when the files are unchanged, else `build()`'s, saved for next time.

    `build` parses the files and loads or builds the index; it returns the library and
    the index's key.
    """
    # Listed before any parse: a file changed meanwhile misses next time.
    files = corpus_signature(settings.corpus_dir, settings.corpus_extra_roots)
    key = library_key(settings, files)
    try:
        saved = load_library(settings, key)
    except UNUSABLE as exc:
        warn(
            f"saved library in {settings.data_dir / 'library' / key} is unusable ({exc}); "
            "reading the files again"
        )
        discard_library(settings, key)
        saved = None
    if saved is not None:
        for message in saved.corpus.warnings:
            warn(message)  # the files skipped are still skipped: say so as a parse would
        return saved
    library, index_key = build()
    try:
        save_library(settings, key, library.corpus, index_key, library.vocabulary, files)
    except OSError as exc:
        # Only the next start is slower; a data dir that cannot be written is reported
        # once already, by the index's own save.
        log.info("could not save the library for a quick start (%s)", exc.strerror or exc)
    return library
