"""A library per server: each server's own articles, searched beside the shared corpus.

The operator's corpus folder is the shared library every server and every DM
searches. Articles a server's admins add live in the data dir, never in the corpus
folder, so the corpus watcher, `citebot index` and other servers never see them:

    <data dir>/servers/<guild id>/library/server/<name>.md   the server's articles
    <data dir>/servers/<guild id>/trash/<time>/...            what its admins removed

Their ids read ``server/<name>``. A server's library is read when a question from
that server comes in and its files changed (a stat of its few files per question),
and searched with the shared index as one collection (`bot.index.UnionIndex`:
scores are rank-bm25's over shared + server), so an added article answers at once
and the shared index is never rebuilt for it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.answer import Engine
from bot.corpus import Article, Corpus, corpus_signature, load_corpus, load_files
from bot.errors import CorpusEditError, CorpusError
from bot.index import BM25Index, SmallIndex, UnionIndex, passage_terms, split_corpus
from bot.settings import Settings
from bot.synonyms import SYNONYMS_FILE

log = logging.getLogger(__name__)

SERVERS_FOLDER = "servers"
LIBRARY_FOLDER = "library"
TRASH_FOLDER = "trash"
#: The folder of a server's library its articles are saved in: their ids read "server/…".
OWN_FOLDER = "server"
#: What an answer from the shared library alone says (a DM, or where only a user installed me).
SHARED_ONLY = (
    "Searched the shared library only: a server's own articles are searched in that server."
)
#: A folder's files as `corpus_signature` gives them (path, size, modification time).
Signature = tuple[tuple[str, int, int], ...]
#: Server libraries kept built in memory (the least recently asked is dropped first).
KEPT = 64


def server_dir(data_dir: Path, guild_id: int) -> Path:
    """Everything Citebot keeps of one server's articles (its library and its trash)."""
    return Path(data_dir) / SERVERS_FOLDER / str(int(guild_id))


def library_dir(data_dir: Path, guild_id: int) -> Path:
    """The folder read as the server's own corpus."""
    return server_dir(data_dir, guild_id) / LIBRARY_FOLDER


@dataclass(frozen=True)
class ServerLibrary:
    """What one server searches: the shared articles and its own, and which are its own."""

    guild_id: int | None
    engine: Engine
    own: tuple[Article, ...] = ()
    #: The server's files as they were read (`corpus_signature`): what `OwnCount` counts from.
    signature: Signature = ()

    def owns(self, article_id: str) -> bool:
        """Whether the article is this server's own (not the shared library's)."""
        return any(a.article_id == article_id for a in self.own)

    @property
    def shared_only(self) -> bool:
        """Whether only the shared library is searched (a DM, or a server with no articles)."""
        return self.guild_id is None


def check_room(held: int, adding: int, limit: int) -> None:
    """CorpusEditError when `adding` more articles to the `held` ones would pass the server's limit."""
    if limit == 0:
        raise CorpusEditError(
            "this bot keeps no articles for single servers; ask its owner to add it to the "
            "shared library"
        )
    if held + adding > limit:
        raise CorpusEditError(
            f"this server has {held} of the {limit} articles it may add"
            + (f" and this would add {adding}" if adding > 1 else "")
            + "; remove one with `/citebot remove` first"
        )


class OwnCount:
    """A server's articles counted again and again while pages are added (a sitemap import):
    from its library as last built and the files new since, so that a count reads a page
    or two, not the whole library and its index."""

    def __init__(self, held: ServerLibrary, folder: Path) -> None:
        self.folder = folder
        self.count = len(held.own)
        self._signature = set(held.signature)
        self._repeats = held.engine.repeats
        #: The articles of the files new since `held` was built.
        self._since: list[Article] = []

    def update(self) -> bool:
        """Count the files new since the last count (blocking: stats the folder, reads them);
        False when a file went or changed: only building the library again tells then."""
        current = set(corpus_signature(self.folder)) if self.folder.is_dir() else set()
        if not self._signature <= current:
            return False
        new = sorted(path for path, _, _ in current - self._signature if path != SYNONYMS_FILE)
        articles = load_files(
            self.folder,
            new,
            on_warning=lambda message: log.warning("%s: %s", self.folder, message),
        )
        self._since += articles
        self.count += len(articles)
        self._signature = current
        return True

    def repeats(self, article: Article) -> list[Article]:
        """The articles `article` could repeat (`corpus_edit.Existing`), those new included."""
        return [*self._repeats(article), *self._since]


class Libraries:
    """The server libraries built so far, rebuilt when a server's files or the shared engine change."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._built: OrderedDict[int, tuple[Engine, Signature, ServerLibrary]] = OrderedDict()
        self._lock = threading.Lock()
        # One lock per server being built: a build (reading up to its limit of files and
        # indexing them) holds up only questions from that server, never another's.
        self._building: weakref.WeakValueDictionary[int, threading.Lock] = (
            weakref.WeakValueDictionary()
        )

    def library(self, shared: Engine, guild_id: int | None) -> ServerLibrary:
        """The library a question from `guild_id` searches (None: a DM, the shared one alone).

        Blocking (reads the server's folder when it changed): run it off the event loop.
        """
        if guild_id is None:
            return ServerLibrary(None, shared)
        folder = library_dir(self.settings.data_dir, guild_id)
        signature = tuple(corpus_signature(folder)) if folder.is_dir() else ()
        with self._lock:
            built = self._kept(shared, guild_id, signature)
            if built is not None:
                return built
            building = self._building.setdefault(guild_id, threading.Lock())
        with building:
            with self._lock:  # built by the question this one waited for?
                built = self._kept(shared, guild_id, signature)
            if built is not None:
                return built
            library = self._build(shared, guild_id, folder, signature)
            with self._lock:
                # Libraries joined to an engine that was since replaced would keep it in memory.
                for stale in [
                    g for g, (engine, _, _) in self._built.items() if engine is not shared
                ]:
                    del self._built[stale]
                self._built[guild_id] = (shared, signature, library)
                while len(self._built) > KEPT:
                    self._built.popitem(last=False)
            return library

    def _kept(self, shared: Engine, guild_id: int, signature: Signature) -> ServerLibrary | None:
        """The library built before, if nothing it was built from changed (under the lock)."""
        built = self._built.get(guild_id)
        if built is None or built[0] is not shared or built[1] != signature:
            return None
        self._built.move_to_end(guild_id)
        return built[2]

    def _build(
        self, shared: Engine, guild_id: int, folder: Path, signature: Signature
    ) -> ServerLibrary:
        if not signature:
            return ServerLibrary(guild_id, shared)
        unread = ServerLibrary(guild_id, shared, signature=signature)
        try:
            corpus = load_corpus(
                folder, on_warning=lambda message: log.warning("server %d: %s", guild_id, message)
            )
        except CorpusError as exc:
            log.warning("server %d: its library cannot be read: %s", guild_id, exc)
            return unread
        if not corpus.articles:
            return unread
        engine = join(shared, corpus, self.settings)
        own = tuple(engine.articles[len(shared.articles) :])
        return ServerLibrary(guild_id, engine, own, signature)


def join(shared: Engine, corpus: Corpus, settings: Settings) -> Engine:
    """An engine over the shared articles and `corpus`, scored as one collection."""
    corpus = Corpus(_distinct_ids(shared, corpus.articles), list(corpus.warnings))
    passages = split_corpus(corpus, settings)
    docs = passage_terms(corpus.articles, passages, shared.analyzer)
    if isinstance(shared.index, UnionIndex):  # the shared library grew since its index
        return shared.extended(corpus, passages, shared.index.joined(docs))
    if not isinstance(shared.index, BM25Index):
        raise CorpusError("a server library can only be searched beside a built shared index")
    return shared.extended(corpus, passages, UnionIndex(shared.index, SmallIndex(docs)))


def _distinct_ids(shared: Engine, articles: Sequence[Article]) -> list[Article]:
    """The server's articles, one renamed (`-2`, `-3`…) where the shared library has its id;
    never to an id another of the server's articles has or was given."""
    used = {article.article_id for article in articles}
    distinct = []
    for article in articles:
        wanted, number = article.article_id, 2
        candidate = wanted
        while shared.article(candidate) is not None or (candidate != wanted and candidate in used):
            candidate, number = f"{wanted}-{number}", number + 1
        if candidate != wanted:
            article = dataclasses.replace(article, article_id=candidate)
            used.add(candidate)
        distinct.append(article)
    return distinct
