"""BM25 search over pre-tokenised passages, fast at a million passages.

The package's public face is below; the work is in private modules: `_bm25` builds
the index and scores (`BM25Index`), `_maxscore` finds the top k, `_scoring` works
out contributions, `_selection` picks the best of a score array (`Hit`), `_format`
saves and loads the files, `_cache` keeps one built index per corpus and settings
under the data dir, and `_union` searches the shared index and a server's small one as one collection.

Scores are exactly those of ``rank_bm25.BM25Okapi`` (same idf, same epsilon floor
over the average idf of the whole vocabulary, same length normalisation), but the
work of a query follows the postings of its terms instead of the corpus size:

* The index is an inverted file in CSC layout: for each term, the ids of the
  documents holding it (ascending ``int32``) and, side by side, the code of the
  posting's (term frequency, document length) pair (``uint16``, or ``uint32`` when
  a corpus holds more pairs). A table gives each pair's factor, worked out with the
  very operations rank-bm25 uses (`_scoring`), and a contribution is ``idf`` times
  it, so the values are bit for bit the ones it adds: 6 bytes a posting instead of
  12 with stored float64 contributions.
* Terms in at least a quarter of the documents also get a dense column of their
  pair codes (0 where absent, 2 bytes a document); a query works out a column's
  contributions once and keeps them (within a memory budget), so looking a document
  up in them is one array access and adding one whole a vector add.
* ``top_k`` accumulates contributions only for documents the query touches, and
  prunes exactly (MaxScore, essential terms chosen by cost): the terms without a
  dense column are read whole from the rarest up; after each, the k-th best exact
  score of the best candidates (looked up in the other terms) is a lower bound
  ``theta`` of the final k-th best. Once the sum of the upper bounds (largest
  contributions) of the terms not read is below ``theta``, no document outside
  the candidates can enter the top k, so the frequent terms are only looked up
  for the candidates still able to reach it (binary search in sorted postings, or
  the dense column). The top k is taken among those candidates only.
* A saved index is a folder of ``.npy`` arrays, memory-mapped on load (no copy),
  plus ``meta.json`` and ``vocabulary.json``; saving writes a temporary folder
  beside the target and renames it into place.

Reads are thread-safe: the arrays are never written after build or load, the dense
columns' contributions are kept under a lock, and the per-query score buffer is
private to each thread.
"""

from __future__ import annotations

from bot.errors import IndexLoadError
from bot.index._bm25 import BM25Index
from bot.index._cache import (
    SAVE_FAILED,
    cache_key,
    index_passages,
    load_cached,
    load_or_build,
    passage_table,
    passage_terms,
    retire_others,
    save_cached,
    split_corpus,
)
from bot.index._format import is_memory_mapped
from bot.index._maxscore import distinct
from bot.index._selection import Hit
from bot.index._union import Removed, SearchIndex, SmallIndex, UnionIndex

__all__ = [
    "SAVE_FAILED",
    "BM25Index",
    "Hit",
    "IndexLoadError",
    "cache_key",
    "distinct",
    "index_passages",
    "is_memory_mapped",
    "load_cached",
    "load_or_build",
    "passage_terms",
    "save_cached",
    "split_corpus",
    "Removed",
    "SearchIndex",
    "SmallIndex",
    "UnionIndex",
    "retire_others",
    "passage_table",
]
