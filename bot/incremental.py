"""The shared library kept current file by file, without rebuilding its index.

Adding one article used to rebuild everything: 36-45 s and 1.25 GB at a million
passages. Now the library last built in full (its index saved, its files listed) is
the *base*, and what changed in the corpus folder since is read alone: a file added
or changed is parsed and its passages indexed in a small index; the articles of a
file removed or changed are taken out of the base, their passages' terms analysed
again so their lengths and document frequencies leave the statistics. Both are
searched as one collection (`bot.index.UnionIndex`), so scores stay exactly
rank-bm25's BM25Okapi over the library as it now is. The work is in proportion to
the files changed, not the library.

Nothing of an update is saved: at start, the saved base is brought up to the files
again (a few files parsed), and a full build (`citebot index --full`, or the bot's
merge in the background once the changes grow past `MERGE_SHARE` of the base) makes
a new base. A change this cannot follow exactly (the synonyms file, an id the
library has already, a library at its size limit) or changes past `GROWTH_LIMIT`
fall back to the full build, as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.chat import count_words
from bot.corpus import Article, Corpus, Passage, PassageTable, load_files
from bot.index import BM25Index, Removed, SmallIndex, UnionIndex, passage_terms, split_corpus
from bot.index._cache import passage_table
from bot.settings import Settings
from bot.snapshot import UNUSABLE, Files, Library, library_key, load_library, saved_base
from bot.synonyms import SYNONYMS_FILE

if TYPE_CHECKING:
    from bot.answer import Engine

log = logging.getLogger(__name__)

#: Changes of more passages than this share of the base (and than `GROWTH_FLOOR`) are
#: built in full: the small index is built in Python, and searched without pruning.
GROWTH_LIMIT = 0.25
GROWTH_FLOOR = 20_000
#: A running bot merges (builds in full, in a child process) once the passages changed
#: since its base pass this share of it and `MERGE_FLOOR`; `citebot index --full` merges
#: at any time.
MERGE_SHARE = 0.02
MERGE_FLOOR = 2_000
#: The warning a library at its size limit was loaded with: its files must be read in order.
_AT_LIMIT = "reached its limit"


@dataclass
class Base:
    """A library as a full build left it, and the files it was read from."""

    corpus: Corpus
    passages: Sequence[Passage]
    index: BM25Index
    files: Files
    _table: np.ndarray | None = field(default=None, repr=False)
    _of_file: dict[str, list[int]] | None = field(default=None, repr=False)
    _parsed: dict[tuple[str, int, int], list[Article]] = field(default_factory=dict, repr=False)

    def table(self) -> np.ndarray:
        """The passages as one table (worked out once: a freshly built library holds a list)."""
        if self._table is None:
            self._table = passage_table(self.passages)
        return self._table

    def articles_of(self, path: str) -> list[int]:
        """The numbers of the articles read from the file `path` (relative to the corpus)."""
        if self._of_file is None:
            of_file: dict[str, list[int]] = {}
            for number, source in enumerate(self.corpus.sources()):
                of_file.setdefault(_file_of(source), []).append(number)
            self._of_file = of_file
        return self._of_file.get(path, [])

    def read(
        self, files: Sequence[tuple[str, int, int]], settings: Settings, warn: Callable[[str], None]
    ) -> list[Article]:
        """The articles of `files` (path, size, time), each file parsed once while it is unchanged."""
        articles: list[Article] = []
        for entry in files:
            parsed = self._parsed.get(entry)
            if parsed is None:
                parsed = load_files(
                    settings.corpus_dir,
                    [entry[0]],
                    on_warning=warn,
                    allowed_roots=settings.corpus_extra_roots,
                    max_bytes=settings.max_corpus_mb * 1024 * 1024,
                )
                self._parsed[entry] = parsed
            articles += parsed
        return articles


def _file_of(source: str) -> str:
    """The file an article's source names (a JSONL line's source is `file:line`)."""
    file_part, _, line = source.rpartition(":")
    return file_part if file_part.lower().endswith(".jsonl") and line.isdigit() else source


def grow(
    engine: Engine,
    settings: Settings,
    files: Files,
    *,
    on_warning: Callable[[str], None] | None = None,
) -> Engine | None:
    """`engine`'s library brought up to the corpus `files` from its base, or None when
    it must be built in full. Blocking (parses the changed files): off the event loop."""
    base = engine.base
    if base is None:
        return None
    warn = on_warning or (lambda message: log.warning("%s", message))
    before = {path: (size, mtime) for path, size, mtime in base.files}
    now = {path: (size, mtime) for path, size, mtime in files}
    if before.get(SYNONYMS_FILE) != now.get(SYNONYMS_FILE):
        return None  # the synonyms shape every answer: read again with everything
    if sum(size for size, _ in now.values()) > settings.max_corpus_mb * 1024 * 1024 or any(
        _AT_LIMIT in message for message in base.corpus.warnings
    ):
        return None  # which files fit depends on their order: a full read decides
    gone = [path for path in before if now.get(path) != before[path]]
    new = [(path, *now[path]) for path in now if before.get(path) != now[path]]
    removed = sorted({n for path in gone for n in base.articles_of(path)})
    warnings: list[str] = []
    added = sorted(base.read(new, settings, warnings.append), key=lambda a: a.article_id)
    if not _fits(base, removed, added) or len(removed) == len(base.corpus.articles) and not added:
        return None  # (an empty library is refused by the full read, with its reason)
    passages = split_corpus(Corpus(added), settings)
    table = base.table()
    alive = np.ones(len(base.corpus.articles), dtype=bool)
    alive[removed] = False
    kept = alive[table[:, 0]]
    removed_passages = np.flatnonzero(~kept)
    if removed_passages.shape[0] + len(passages) > max(
        GROWTH_FLOOR, GROWTH_LIMIT * base.index.n_docs
    ):
        return None
    renumber = np.cumsum(alive) - 1
    rows = table[kept]
    rows[:, 0] = renumber[rows[:, 0]]
    more = passage_table(passages)
    more[:, 0] += int(alive.sum())
    analyzer = engine.analyzer

    def base_terms(ids: Sequence[int]) -> Iterator[list[str]]:
        return passage_terms(base.corpus.articles, (base.passages[i] for i in ids), analyzer)

    try:
        gone_stats = Removed.of(base.index, removed_passages, base_terms)
    except ValueError as exc:  # analysed otherwise than the index was: never guess
        log.warning("cannot update the index file by file (%s); rebuilding it", exc)
        return None
    small = SmallIndex(passage_terms(added, passages, analyzer))
    gone_files = {f"skipped {path}" for path in gone}
    kept_warnings = [m for m in base.corpus.warnings if not m.startswith(tuple(gone_files))]
    corpus = _Grown(base.corpus, np.flatnonzero(alive), added, kept_warnings + warnings)
    for message in corpus.warnings:
        warn(message)
    grown = engine.over(
        corpus,
        PassageTable(np.concatenate((rows, more))),
        UnionIndex(base.index, small, gone_stats),
        same_numbers=removed_passages.shape[0] == 0,
        new_words=count_words(article.text for article in added),
    )
    grown.base = base
    return grown


def _fits(base: Base, removed: list[int], added: list[Article]) -> bool:
    """Whether the added articles are read as a full load would read them: ids the
    library does not hold (or that load_corpus would rename), texts not loaded twice."""
    ids = [article.article_id for article in added]
    if len(set(ids)) != len(ids):
        return False
    texts = {hashlib.sha256(" ".join(a.text.split()).encode()).digest() for a in added}
    if len(texts) != len(added):
        return False
    if not ids:
        return True
    held = set(base.corpus.ids())
    gone = {base.corpus.ids()[n] for n in removed} if removed else set()
    return not any(article_id in held and article_id not in gone for article_id in ids)


def changed_passages(engine: Engine) -> int:
    """How many passages the engine's library has changed since its base (0: it is the base)."""
    index = engine.index
    if not isinstance(index, UnionIndex) or engine.base is None:
        return 0
    return int(index.removed.ids.shape[0]) + index.small.n_docs


def open_grown(
    settings: Settings,
    files: Files,
    make: Callable[[Library, Files], Engine],
    *,
    on_warning: Callable[[str], None] | None = None,
) -> Engine | None:
    """At start: the library saved for other files, brought up to `files`; None when the
    library saved for these very files is there (loaded whole) or nothing can be grown."""
    if (settings.data_dir / "library" / library_key(settings, files)).is_dir():
        return None
    found = saved_base(settings)
    if found is None:
        return None
    key, saved_files = found
    try:
        library = load_library(settings, key)
    except UNUSABLE as exc:
        log.info("the saved library cannot be brought up to date (%s)", exc)
        return None
    if library is None:
        return None
    return grow(make(library, saved_files), settings, files, on_warning=on_warning)


class _Grown(Corpus):
    """The base's articles still in the library, then those added: ids, titles and lengths
    come from the base's (a saved library gives them without making its articles)."""

    def __init__(
        self, base: Corpus, kept: np.ndarray, added: list[Article], warnings: list[str]
    ) -> None:
        super().__init__(_Picked(base.articles, kept, added), warnings)
        self._base, self._kept, self._added = base, kept.tolist(), added

    def ids(self) -> list[str]:
        """Every article's id, the base's first."""
        ids = self._base.ids()
        return [ids[n] for n in self._kept] + [a.article_id for a in self._added]

    def titles(self) -> list[str]:
        """Every article's title, the base's first."""
        titles = self._base.titles()
        return [titles[n] for n in self._kept] + [a.title for a in self._added]

    def sources(self) -> list[str]:
        """Every article's source, the base's first."""
        sources = self._base.sources()
        return [sources[n] for n in self._kept] + [a.source for a in self._added]

    def urls(self) -> list[str | None]:
        """Every article's url, the base's first."""
        urls = self._base.urls()
        return [urls[n] for n in self._kept] + [a.url for a in self._added]

    def text_lengths(self) -> np.ndarray:
        """Every article's text length, the base's first."""
        added = np.array([len(a.text) for a in self._added], dtype=np.int64)
        return np.concatenate((self._base.text_lengths()[self._kept], added))


class _Picked(Sequence[Article]):
    """Some of the base's articles (by number, in order), then the added ones; none copied."""

    def __init__(self, base: Sequence[Article], kept: np.ndarray, added: list[Article]) -> None:
        self._base, self._kept, self._added = base, kept, added

    def __len__(self) -> int:
        return int(self._kept.shape[0]) + len(self._added)

    def __getitem__(self, number: Any) -> Any:
        numbers = range(len(self))[number]  # IndexError out of range; negatives from the end
        if isinstance(numbers, range):
            return [self[n] for n in numbers]
        split = int(self._kept.shape[0])
        if numbers < split:
            return self._base[int(self._kept[numbers])]
        return self._added[numbers - split]


# --- the merge: a full build in a child process -----------------------------------------


def merge_command() -> tuple[list[str], dict[str, str]]:
    """The command (and environment) of a child that builds the library in full and saves it."""
    package_root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return [sys.executable, "-c", "from bot.incremental import _merge_child; _merge_child()"], env


def merge_job(settings: Settings) -> bytes:
    """What `merge_command`'s child reads on its stdin."""
    return pickle.dumps(settings)


def _merge_child() -> None:
    """The child's side of the merge: build and save in full, at a low priority."""
    _yield_to_questions()
    from bot.answer import Engine

    settings = pickle.loads(sys.stdin.buffer.read())
    Engine.open(settings, on_warning=lambda message: None, incremental=False)


def _yield_to_questions() -> None:
    """Run this process only on CPU time nothing else wants (Linux's SCHED_IDLE, which
    needs no privilege), else at nice 10: the bot's questions come first (at nice 10
    alone, a build sharing a core with a question still takes about a tenth of it)."""
    os.nice(10)
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux: nice 10 alone
        pass
