"""The index cache: where a corpus's built index lives on disk, and when it may be trusted.

An index is saved under a fingerprint of the corpus text and the settings that
shape it, so a restart loads it in a blink and any change rebuilds it. A saved
index that fails to load or does not match its corpus is rebuilt with a warning,
never used. Saves go to a temporary folder that is renamed into place, so a
crash mid-save leaves the old index, never half of a new one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from bot import __version__
from bot.atomic import staged_folder
from bot.corpus import (
    PASSAGE_COLUMNS,
    SECTION_WEIGHT,
    Article,
    Corpus,
    Passage,
    PassageTable,
    context_text,
    split_passages,
)
from bot.errors import IndexLoadError
from bot.index._bm25 import BM25Index
from bot.settings import Settings
from bot.text import Analyzer

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: passages follow headings; section paths in the terms; 3: BM25 stores tf
#: Staging folders older than this were left by a process that died mid-save.
STALE_SECONDS = 3600


def cache_key(corpus: Corpus, settings: Settings) -> str:
    """What the saved index depends on: the corpus text, the settings that shape it, the code."""
    digest = hashlib.sha256()
    digest.update(corpus.fingerprint().encode())
    digest.update(json.dumps(settings.index_fingerprint_fields(), sort_keys=True).encode())
    digest.update(f"{FORMAT_VERSION}:{__version__}:{SECTION_WEIGHT}:{Analyzer.VERSION}".encode())
    return digest.hexdigest()[:24]


#: How a failed save is reported (a warning: the index built in memory still answers).
SAVE_FAILED = "could not save the index"


def load_or_build(
    corpus: Corpus,
    analyzer: Analyzer,
    settings: Settings,
    *,
    progress: Callable[[int, int], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    key: str | None = None,
    text_terms: TextTerms | None = None,
) -> tuple[Sequence[Passage], BM25Index]:
    """The saved index for this corpus and settings, built and saved first if needed.

    `key`, when the caller has worked out `cache_key` already, saves hashing the corpus
    again; `text_terms`, see `passage_terms`.
    """
    warn = on_warning or (lambda message: log.warning("%s", message))
    root = settings.data_dir / "index"
    key = key or cache_key(corpus, settings)
    folder = root / key
    if folder.exists():
        try:
            return load_cached(folder, corpus, key)
        except (IndexLoadError, OSError, ValueError, KeyError) as exc:
            warn(f"saved index in {folder} is unusable ({exc}); rebuilding it")
            shutil.rmtree(folder, ignore_errors=True)
    passages, index = index_passages(
        corpus, analyzer, settings, progress=progress, text_terms=text_terms
    )
    try:
        save_cached(root, key, passages, index)
    except OSError as exc:
        warn(f"{SAVE_FAILED} in {root} ({exc.strerror or exc}); it will be rebuilt next time")
    return passages, index


def index_passages(
    corpus: Corpus,
    analyzer: Analyzer,
    settings: Settings,
    *,
    progress: Callable[[int, int], None] | None = None,
    text_terms: TextTerms | None = None,
) -> tuple[list[Passage], BM25Index]:
    """Split the corpus into passages and build their BM25 index, in memory (nothing saved)."""
    passages = split_corpus(corpus, settings)
    total = len(passages)
    index = BM25Index.build(
        passage_terms(corpus.articles, passages, analyzer, text_terms),
        k1=settings.k1,
        b=settings.b,
        epsilon=settings.epsilon,
        progress=(lambda done: progress(done, total)) if progress else None,
    )
    if progress:
        progress(total, total)
    return passages, index


def split_corpus(corpus: Corpus, settings: Settings) -> list[Passage]:
    """Every article's passages, article by article (what the index numbers)."""
    passages: list[Passage] = []
    for number, article in enumerate(corpus.articles):
        passages.extend(
            split_passages(
                article,
                number,
                min_words=settings.passage_min_words,
                max_words=settings.passage_max_words,
            )
        )
    return passages


#: What the terms of a passage's own text are: the article's text and the passage in,
#: `analyzer.terms` of the passage's text out (`bot.analysis` keeps its sentences on the way).
TextTerms = Callable[[str, Passage], list[str]]


def passage_terms(
    articles: Sequence[Article],
    passages: Iterable[Passage],
    analyzer: Analyzer,
    text_terms: TextTerms | None = None,
) -> Iterator[list[str]]:
    """Each passage's index terms: its text's, its title's and its headings'.

    The title (and the description) counts once toward each of its passages: a
    question naming the article's subject finds it, without the title outweighing
    the passage text. The headings above a passage count as the title does.
    Passages come article by article: each article's title and headings are analysed
    once, not once a passage.
    """
    title_terms: dict[int, list[str]] = {}
    heading_terms: dict[tuple[str, ...], list[str]] = {}
    for passage in passages:
        article = articles[passage.article]
        if passage.article not in title_terms:
            title_terms = {passage.article: analyzer.terms(context_text(article))}
            heading_terms = {}
        path = article.section_of(passage.last_paragraph).path
        if path not in heading_terms:
            heading_terms[path] = analyzer.terms(" ".join(path)) * SECTION_WEIGHT
        text = (
            text_terms(article.text, passage)
            if text_terms is not None
            else analyzer.terms(article.text[passage.start : passage.end])
        )
        yield title_terms[passage.article] + heading_terms[path] + text


def passage_table(passages: Sequence[Passage]) -> np.ndarray:
    """Passages as one int64 table, a row each (`PASSAGE_COLUMNS`)."""
    if isinstance(passages, PassageTable):
        return np.asarray(passages.table, dtype=np.int64)
    return np.array(
        [[getattr(p, c) for c in PASSAGE_COLUMNS] for p in passages], dtype=np.int64
    ).reshape(len(passages), len(PASSAGE_COLUMNS))


def save_cached(root: Path, key: str, passages: Sequence[Passage], index: BM25Index) -> None:
    """Save `passages` and `index` as `root/key` in one rename, then retire other keys."""
    with staged_folder(root / key, keep_existing=True) as staging:
        # Another process saving the same key first wins: theirs is as good as ours.
        index.save(staging / "bm25")
        np.save(staging / "passages.npy", passage_table(passages))
        (staging / "meta.json").write_text(
            json.dumps({"fingerprint": key, "format": FORMAT_VERSION, "passages": len(passages)})
        )
    retire_others(root, keep=key)


def retire_others(root: Path, *, keep: str) -> None:
    """Retire other indexes: renamed out of sight first, so a crash mid-delete never
    leaves a half-deleted index under a name that could be loaded."""
    now = time.time()
    for old in root.iterdir():
        if old.name == keep:
            continue
        if old.name.startswith("."):
            # Another process's staging folder, unless it was abandoned long ago.
            with contextlib.suppress(OSError):
                if now - old.stat().st_mtime > STALE_SECONDS:
                    shutil.rmtree(old, ignore_errors=True)
            continue
        retired = root / f".old-{old.name}-{os.getpid()}"
        try:
            os.replace(old, retired)
        except OSError:
            continue
        shutil.rmtree(retired, ignore_errors=True)


def load_cached(
    folder: Path, corpus: Corpus, key: str, *, text_lengths: np.ndarray | None = None
) -> tuple[PassageTable, BM25Index]:
    """The passages and index saved in `folder`, checked against `corpus` and `key`.

    The passage table stays memory-mapped; the checks run over it whole. `text_lengths`
    (each article's length in characters) saves working them out from `corpus`.
    """
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("fingerprint") != key or meta.get("format") != FORMAT_VERSION:
        raise IndexLoadError("it was built for another corpus or version")
    table = np.load(folder / "passages.npy", mmap_mode="r", allow_pickle=False)
    if (
        table.ndim != 2
        or table.shape != (meta["passages"], len(PASSAGE_COLUMNS))
        or table.dtype != np.int64
    ):
        raise IndexLoadError("passage table has the wrong shape")
    index = BM25Index.load(folder / "bm25")
    if index.n_docs != len(table):
        raise IndexLoadError("index and passage table disagree")
    lengths = corpus.text_lengths() if text_lengths is None else text_lengths
    articles, starts, ends = table[:, 0], table[:, 1], table[:, 2]
    if len(table) and not (0 <= articles.min() and articles.max() < len(lengths)):
        raise IndexLoadError("passage points at a missing article")
    if len(table) and not (
        (starts >= 0).all() and (starts < ends).all() and (ends <= lengths[articles]).all()
    ):
        raise IndexLoadError("passage offsets fall outside their article")
    return PassageTable(table), index
