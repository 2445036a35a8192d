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
a new base. The grown library holds what a full read would load (`_Changes`): the
unchanged files an id clash or a repeated text reaches are read again with the
changed ones. A change this cannot follow exactly (the synonyms file, a library at
its size limit) or changes past `GROWTH_LIMIT` fall back to the full build, as
before; `full_build_lock` keeps processes sharing a data folder to one full build at
a time.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.chat import count_words
from bot.corpus import (
    Article,
    Corpus,
    Passage,
    PassageTable,
    load_files,
    natural_ids,
    text_key,
    unique_ids,
)
from bot.index import (
    BM25Index,
    Removed,
    SearchIndex,
    SmallIndex,
    UnionIndex,
    passage_terms,
    split_corpus,
)
from bot.index._cache import passage_table
from bot.settings import Settings
from bot.snapshot import (
    UNUSABLE,
    Files,
    Library,
    SavedCorpus,
    library_key,
    load_library,
    saved_base,
)
from bot.synonyms import SYNONYMS_FILE
from bot.text import Analyzer

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
#: The exit status of a merge child that found another full build under way: it builds
#: nothing, and its bot picks up the library the other one saves.
MERGE_BUSY = 75
#: Passages past which an article's repeats are looked for among every article.
REPEAT_CANDIDATES = 5_000
#: The rarest terms of a text whose holders a repeat of it is looked for among.
_RAREST = 3
#: The words at each end of two texts compared before the texts themselves.
_END_WORDS = 16
#: The words of a text whose rarest terms its repeats are looked for by.
_FIRST_WORDS = 300
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
    _parsed: dict[tuple[str, int, int], tuple[list[Article], list[str]]] = field(
        default_factory=dict, repr=False
    )
    _names: dict[str, list[int]] | None = field(default=None, repr=False)
    _keys: dict[int, str] = field(default_factory=dict, repr=False)

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
                warnings: list[str] = []
                found = load_files(
                    settings.corpus_dir,
                    [entry[0]],
                    on_warning=warnings.append,
                    allowed_roots=settings.corpus_extra_roots,
                    max_bytes=settings.max_corpus_mb * 1024 * 1024,
                )
                parsed = self._parsed[entry] = (found, warnings)
            articles += parsed[0]
            for message in parsed[1]:
                warn(message)
        return articles

    def named(self, name: str) -> list[int]:
        """The numbers of the articles whose id is `name`, or was before a clash renamed it."""
        if self._names is None:
            names: dict[str, list[int]] = {}
            for number, (article_id, source) in enumerate(
                zip(self.corpus.ids(), self.corpus.sources(), strict=True)
            ):
                for each in dict.fromkeys((article_id, *natural_ids(article_id, source))):
                    names.setdefault(each, []).append(number)
            self._names = names
        return self._names.get(name, [])

    def same_text(self, article: Article, analyzer: Analyzer) -> list[int]:
        """The numbers of the articles whose text is `article`'s (whitespace aside): among
        those holding its text's rarest terms, as a repeated text holds all its terms."""
        found = holders(article, self.index, PassageTable(self.table()), analyzer)
        numbers = range(len(self.corpus.articles)) if found is None else found
        key, ends = text_key(article.text), _ends(article.text)
        return [n for n in numbers if self._text_key(n, ends) == key]

    def _text_key(self, number: int, ends: tuple[list[str], list[str]]) -> str | None:
        """The `text_key` of an article's text (worked out once), or None when its first
        and last words are not `ends` (then neither is its text)."""
        key = self._keys.get(number)
        if key is None:
            corpus = self.corpus
            saved = corpus.saved if isinstance(corpus, SavedCorpus) else None
            text = saved.text(number) if saved is not None else corpus.articles[number].text
            if _ends(text) != ends:
                return None
            key = self._keys[number] = text_key(text)
        return key

    def copies(self) -> list[tuple[str, str]]:
        """(source, source of the text it repeats) for each article a full read skipped."""
        found = (_COPY.fullmatch(message) for message in self.corpus.warnings)
        return [(match[1], match[2]) for match in found if match]


#: The warning of a full read skipping a repeated text (`load_corpus`).
_COPY = re.compile(r"skipped (.+): same text as (.+) \(loaded once\)")


def holders(
    article: Article, index: SearchIndex, passages: Sequence[Passage], analyzer: Analyzer
) -> list[int] | None:
    """The numbers of the articles holding the rarest terms of `article`'s text, as any
    article repeating it does; None when that is too many to read (compare them all).
    The terms of its first words are enough, and cost no analysis of a long text."""
    first_words = " ".join(article.text.split(None, _FIRST_WORDS)[:_FIRST_WORDS])
    terms = sorted(set(analyzer.terms(first_words)), key=index.doc_freq)
    table = passages.table if isinstance(passages, PassageTable) else None
    found: set[int] | None = None
    for term in terms[:_RAREST]:
        holding = index.postings(term)
        if holding.shape[0] > REPEAT_CANDIDATES:
            break
        numbers = (
            table[holding, 0].tolist()
            if table is not None
            else [passages[number].article for number in holding.tolist()]
        )
        found = set(numbers) if found is None else found & set(numbers)
    return None if found is None else sorted(found)


def _ends(text: str) -> tuple[list[str], list[str]]:
    """A text's first and last few words: what two texts equal but for spaces share."""
    return text.split(None, _END_WORDS)[:_END_WORDS], text.rsplit(None, _END_WORDS)[-_END_WORDS:]


def _file_of(source: str) -> str:
    """The file an article's source names (a JSONL line's source is `file:line`)."""
    file_part, _, line = source.rpartition(":")
    return file_part if file_part.lower().endswith(".jsonl") and line.isdigit() else source


def _synonyms_changed(before: Files, now: Files) -> bool:
    """Whether the synonyms file differs (by size or time) between two listings."""

    def stat(files: Files) -> tuple[int, int] | None:
        return next(((size, mtime) for path, size, mtime in files if path == SYNONYMS_FILE), None)

    return stat(before) != stat(now)


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
    if _synonyms_changed(base.files, files):
        return None  # the synonyms shape every answer: read again with everything
    before = {path: (size, mtime) for path, size, mtime in base.files}
    now = {path: (size, mtime) for path, size, mtime in files}
    if sum(size for size, _ in now.values()) > settings.max_corpus_mb * 1024 * 1024 or any(
        _AT_LIMIT in message for message in base.corpus.warnings
    ):
        return None  # which files fit depends on their order: a full read decides
    gone = {path for path in before if now.get(path) != before[path]}
    changes = _Changes(base, engine.analyzer, settings, files)
    reread = changes.settle(gone, {path for path in now if before.get(path) != now[path]})
    removed, added, warnings = changes.removed, changes.added, changes.warnings
    if len(removed) == len(base.corpus.articles) and not added:
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
    read_again = tuple(f"skipped {path}{end}" for path in gone | reread for end in (":", " "))
    kept_warnings = [m for m in base.corpus.warnings if not m.startswith(read_again)]
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


class _Changes:
    """Which of the base's articles leave and which are read anew, so that the library
    grown from the base holds what a full read of the files would load: the same
    articles (a text repeated is loaded once, from the file read first) under the same
    ids (a clash renamed as `unique_ids` renames it)."""

    def __init__(self, base: Base, analyzer: Analyzer, settings: Settings, files: Files) -> None:
        self.base, self.analyzer, self.settings = base, analyzer, settings
        self.now = {path: (size, mtime) for path, size, mtime in files}
        #: Each file's place in the order a full read reads them.
        self.order = {path: number for number, (path, _, _) in enumerate(files)}
        self.removed: list[int] = []
        self.added: list[Article] = []
        self.warnings: list[str] = []
        self._repeats: dict[int, list[int]] = {}

    def _repeated(self, article: Article) -> list[int]:
        """The base's articles with `article`'s text (looked for once an article)."""
        found = self._repeats.get(id(article))
        if found is None:
            found = self._repeats[id(article)] = self.base.same_text(article, self.analyzer)
        return found

    def settle(self, gone: set[str], reread: set[str]) -> set[str]:
        """Read `reread` (the files added or changed) and whatever else their change
        reaches, until nothing more is reached; returns the files read."""
        reread = {path for path in reread if path in self.now}
        while True:
            leaving = gone | reread
            removed = {n for path in leaving for n in self.base.articles_of(path)}
            entries = [
                (path, *self.now[path]) for path in sorted(reread, key=self.order.__getitem__)
            ]
            warnings: list[str] = []
            read = self.base.read(entries, self.settings, warnings.append)
            reached = self._reached(leaving, removed, read) - reread
            if not reached:
                break
            reread |= reached
        self.removed = sorted(removed)
        self.added, skipped = self._loaded_once(read, removed)
        self.warnings = warnings + skipped
        return reread

    def _reached(self, leaving: set[str], removed: set[int], read: list[Article]) -> set[str]:
        """The unchanged files a full read would now load otherwise: those sharing an id
        with an article read or leaving, those holding a text an article read comes
        before, and those skipped as repeating an article that leaves."""
        base = self.base
        ids, sources = base.corpus.ids(), base.corpus.sources()
        names = {article.article_id for article in read}
        for number in removed:
            names.update((ids[number], *natural_ids(ids[number], sources[number])))
        numbers = {n for name in names for n in base.named(name)}
        for article in read:
            place = self.order[_file_of(article.source)]
            numbers.update(
                n
                for n in self._repeated(article)
                if self.order.get(_file_of(sources[n]), -1) > place
            )
        reached = {_file_of(sources[n]) for n in numbers - removed}
        for copy, original in base.copies():
            if _file_of(original) in leaving:
                reached.add(_file_of(copy))
        return {path for path in reached if path in self.now}

    def _loaded_once(
        self, read: list[Article], removed: set[int]
    ) -> tuple[list[Article], list[str]]:
        """The articles read, each text once (as a full read keeps the first) and none
        repeating an article kept, under the ids a full read gives; and what was skipped."""
        base = self.base
        sources = base.corpus.sources()
        first: dict[str, str] = {}
        loaded: list[Article] = []
        skipped: list[str] = []
        for article in read:
            key = text_key(article.text)
            kept = [n for n in self._repeated(article) if n not in removed]
            original = first.get(key) or (sources[kept[0]] if kept else None)
            if original is not None:
                skipped.append(f"skipped {article.source}: same text as {original} (loaded once)")
                continue
            first[key] = article.source
            loaded.append(article)
        ids = base.corpus.ids()
        taken = {ids[n] for n in range(len(ids)) if n not in removed}
        return sorted(unique_ids(loaded, taken), key=lambda a: a.article_id), skipped


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
    if _synonyms_changed(saved_files, files):
        return None  # built in full; not made first, which would warn of its lines twice
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


@contextlib.contextmanager
def full_build_lock(
    settings: Settings, *, waiting: Callable[[], None] | None = None
) -> Iterator[bool]:
    """Held while the library is built in full (a bot's merge, `citebot index`), so that
    processes sharing a data folder (shards, a bot and a hand-run index) build it once,
    not once each. Yields whether it is held: False when another process holds it,
    unless `waiting` is given (called, then the lock waited for). The lock ends with
    its process, so a crashed build never leaves it taken. A data folder that cannot be
    written has no lock: the build goes ahead (its save is what reports the folder)."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(settings.data_dir / "index.lock", "a+b")  # noqa: SIM115 - closed below
    except OSError:
        yield True
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is None:
                yield False
                return
            waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield True


def saved_key(settings: Settings) -> str | None:
    """The key of the library saved in full for these settings, None when there is none."""
    found = saved_base(settings)
    return found[0] if found is not None else None


def newer_base_saved(engine: Engine | None, settings: Settings, saved: str | None) -> bool:
    """Whether the library saved as `saved` (`saved_key`) is a full build other than
    `engine`'s base (another process's merge, `citebot index`): the library is then
    opened from it again."""
    if engine is None or engine.base is None or saved is None:
        return False
    return saved != library_key(settings, engine.base.files)


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
    """The child's side of the merge: build and save in full, at a low priority, unless
    another process is building already (exit status `MERGE_BUSY`)."""
    from bot.answer import Engine

    settings = pickle.loads(sys.stdin.buffer.read())
    os.nice(10)  # the bot's questions come first
    with full_build_lock(settings) as held:
        if not held:
            sys.exit(MERGE_BUSY)
        # The same files saved meanwhile by another process are loaded, not built again.
        Engine.open(settings, on_warning=lambda message: None, incremental=False)
