"""BM25 over a saved shared index plus a small in-memory one, scored as one collection.

A server's own articles must be answerable the moment they are added, without
rebuilding the shared index, and ranked as ``rank_bm25.BM25Okapi`` would rank the
union of both collections. Its scores depend on collection statistics (N, the
average length, each term's document frequency, the average idf over the whole
vocabulary), so a shared document's stored score is not its score in the union.

`UnionIndex` therefore scores a query from the union's statistics: N and the total
length are summed, a term's df is the sum of its two dfs, and the average idf runs
over the union vocabulary in rank-bm25's own order (the shared vocabulary by first
appearance, then the server's new terms), all computed with rank-bm25's operations.
The shared index stores each posting's term frequency, so a shared document's
contribution is worked out again from it with the union's statistics. Contributions
are added per document in query order, as rank-bm25 adds them, so scores match it
to the last bit or so (tests/test_union_index.py checks 1e-12 relative on random
collections).

The same machinery keeps the shared library current between full builds
(`bot.incremental`): articles added to the corpus since the shared index was built
are the small index, and the passages of articles removed or changed since are
`Removed` from it: their lengths and document frequencies (counted again from their
terms) are taken out of the statistics, and they are never returned. Ids are then
those of the library without them (the shared index's remaining documents in order,
then the small index's), so a caller never sees a hole.

The top k prunes as the shared index's own search does (MaxScore), on the union's
statistics: the shared postings' (tf, dl) pair codes are read with the union's idf and
a table of the pairs' factors under the union's average length, so its bounds and its
k-th best are the union's, exact whatever the ties (hundreds of identical passages in
a library of copies). The small index's few documents are scored whole beside it. A
search restricted to a range, `get_scores`, and a top k past more than
`_ASK_PAST_REMOVED` removed documents are linear in the postings of the query's terms.
A server library is searched beside the shared one, the shared index alone is used
where a server has no articles of its own.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol

import numpy as np

from bot.index._bm25 import BM25Index
from bot.index._maxscore import CodedColumn, Term
from bot.index._scoring import contributions, term_contributions, unit_table
from bot.index._selection import Hit, best

#: Removed shared documents the pruned top k asks for beyond k (it drops them after);
#: with more, every posting of the query's terms is scored.
_ASK_PAST_REMOVED = 2000
#: Relative margin on a rescaled bound: the rescaling rounds (a few ulps), pruning
#: must never drop a document that could tie.
_BOUND_MARGIN = 1e-12

#: The terms of shared documents by id, as the index analysed them: `Removed.of` counts the
#: removed documents' terms again (the index is by term, so a document's terms are not in it).
TermsOf = Callable[[Sequence[int]], Iterator[list[str]]]


class SearchIndex(Protocol):
    """What the answering engine reads of an index: statistics, postings, the top k."""

    @property
    def n_docs(self) -> int: ...

    @property
    def vocabulary_size(self) -> int: ...

    def doc_freq(self, term: str) -> int: ...

    def postings(self, term: str) -> np.ndarray: ...

    def idf(self, term: str) -> float | None: ...

    def get_scores(self, query: Sequence[str]) -> np.ndarray: ...

    def top_k(
        self, query: Sequence[str], k: int, *, doc_range: tuple[int, int] | None = None
    ) -> list[Hit]: ...


class SmallIndex:
    """Term frequencies of a few documents, kept as they are (a server's library)."""

    def __init__(self, docs: Iterable[Sequence[str]]) -> None:
        #: The documents' terms, kept: a server's library joins them to its own (`joined`).
        self.docs = [list(doc) for doc in docs]
        held: dict[str, tuple[list[int], list[int]]] = {}
        lengths: list[int] = []
        for number, doc in enumerate(self.docs):
            for term, count in Counter(doc).items():
                ids, counts = held.setdefault(term, ([], []))
                ids.append(number)
                counts.append(count)
            lengths.append(len(doc))
        #: Terms in order of first appearance, as rank-bm25's dictionary holds them.
        self.vocabulary = list(held)
        self.postings = {
            term: (np.array(ids, dtype=np.int64), np.array(counts, dtype=np.int64))
            for term, (ids, counts) in held.items()
        }
        self.doc_len = np.array(lengths, dtype=np.int64)
        self.n_docs = len(lengths)
        self.total_tokens = int(sum(lengths))

    def doc_freq(self, term: str) -> int:
        """How many of these documents hold `term`."""
        held = self.postings.get(term)
        return 0 if held is None else int(held[0].shape[0])


class Removed:
    """Documents of the shared index that are no longer in the library, and what they held."""

    def __init__(self, ids: np.ndarray, doc_freq: dict[str, int], tokens: int) -> None:
        self.ids = ids  # ascending, distinct
        self.doc_freq = doc_freq  # per term: how many of them hold it
        self.tokens = tokens  # their total length

    @classmethod
    def none(cls) -> Removed:
        """Nothing removed."""
        return cls(np.zeros(0, dtype=np.int64), {}, 0)

    @classmethod
    def of(cls, shared: BM25Index, ids: Iterable[int], terms_of: TermsOf) -> Removed:
        """The documents `ids` of `shared`, their terms counted again by `terms_of`.

        ValueError when a document's terms are not as many as the index counted: they
        were not analysed as the index was, and the statistics would be wrong.
        """
        unique = np.unique(np.fromiter(ids, dtype=np.int64))
        if unique.size and not (0 <= unique[0] and unique[-1] < shared.n_docs):
            raise ValueError("a removed document is not in the index")
        lengths = shared.arrays()["doc_len"][unique].astype(np.int64)
        counts: Counter[str] = Counter()
        for number, doc in enumerate(terms_of(unique.tolist())):
            if len(doc) != lengths[number]:
                raise ValueError("a removed document's terms do not match the index")
            counts.update(set(doc))
        return cls(unique, dict(counts), int(lengths.sum()))


class UnionIndex:
    """The shared index (less its `removed` documents) and a small one searched as one
    collection, the shared documents first."""

    def __init__(
        self,
        shared: BM25Index,
        small: SmallIndex,
        removed: Removed | None = None,
    ) -> None:
        self.shared = shared
        self.small = small
        self.removed = removed or Removed.none()
        self.k1, self.b, self.epsilon = shared.k1, shared.b, shared.epsilon
        self._shared_len = shared.arrays()["doc_len"]
        shared_total = int(self._shared_len.astype(np.int64).sum())
        dead = self.removed.ids
        #: Documents of the shared index, removed ones included (ids inside the union).
        self.n_shared = shared.n_docs
        self._n_live = shared.n_docs - int(dead.shape[0])
        self.n_docs = self._n_live + small.n_docs
        total = shared_total - self.removed.tokens + small.total_tokens
        self.avgdl = total / self.n_docs if self.n_docs else 0.0
        self._alive: np.ndarray | None = None
        self._rank: np.ndarray | None = None
        if dead.shape[0]:
            self._alive = np.ones(shared.n_docs, dtype=bool)
            self._alive[dead] = False
            # The id in the library of each shared document (its alive predecessors).
            self._rank = np.cumsum(self._alive, dtype=np.int64) - 1
        self._new_terms = [t for t in small.vocabulary if shared.term_id(t) is None]
        vanished = [
            t
            for t, count in self.removed.doc_freq.items()
            if count == shared.doc_freq(t) and small.doc_freq(t) == 0
        ]
        self.vocabulary_size = shared.vocabulary_size + len(self._new_terms) - len(vanished)
        self._average_idf: float | None = None
        self._lock = threading.Lock()
        arrays = shared.arrays()
        self._max_weight = arrays["max_weight"]
        #: Each (tf, dl) pair's factor under the union's average length, by pair code.
        pair_tf, pair_len = arrays["pair_tf"], arrays["pair_len"]
        if not self.avgdl:  # nothing left but empty documents: no factor is read
            pair_tf, pair_len = pair_tf[:0], pair_len[:0]
        self._unit = unit_table(pair_tf, pair_len, self.k1, self.b, self.avgdl)
        own = shared.unit_factors()
        #: The most any pair's factor grew from the shared index's (its length norms
        #: shrink as the average length grows): bounds scale by it.
        self._growth = 1.0
        if self._unit.shape[0] > 1:
            self._growth = max(1.0, float(np.max(self._unit[1:] / own[1:])))

    def joined(self, docs: Iterable[Sequence[str]]) -> UnionIndex:
        """This collection with `docs` after its own (a server's articles beside a shared
        library that has grown since its index was built)."""
        small = SmallIndex([*self.small.docs, *docs])
        return UnionIndex(self.shared, small, self.removed)

    # --- statistics ----------------------------------------------------------------------

    def doc_freq(self, term: str) -> int:
        """How many documents of the union hold `term`."""
        shared = self.shared.doc_freq(term) - self.removed.doc_freq.get(term, 0)
        return shared + self.small.doc_freq(term)

    def postings(self, term: str) -> np.ndarray:
        """Ids of the documents holding `term`, ascending (the small index's after the shared)."""
        shared = self.shared.postings(term)
        if self._alive is not None and self._rank is not None:
            shared = self._rank[shared[self._alive[shared]]]
        held = self.small.postings.get(term)
        if held is None:
            return shared
        return np.concatenate((shared.astype(np.int64), held[0] + self._n_live))

    def idf(self, term: str) -> float | None:
        """rank-bm25's idf of `term` over the union (after the epsilon floor), None if unknown."""
        df = self.doc_freq(term)
        if df == 0:
            return None
        value = math.log(self.n_docs - df + 0.5) - math.log(df + 0.5)
        return self.epsilon * self.average_idf() if value < 0 else value

    def average_idf(self) -> float:
        """The mean raw idf over the union vocabulary, summed in rank-bm25's order (once)."""
        if self._average_idf is None:
            with self._lock:
                if self._average_idf is None:
                    self._average_idf = self._work_out_average_idf()
        return self._average_idf

    def _work_out_average_idf(self) -> float:
        """rank-bm25's mean idf, bit for bit: a Python loop over the whole shared vocabulary.

        It cannot be worked out once per shared index: every term's idf depends on the
        union's document count (the server's passages) and some on the server's counts,
        and rank-bm25 sums them one by one in vocabulary order, so the loop runs once per
        server engine (on its first question that needs it, and again after an edit).
        """
        df = np.diff(self.shared.arrays()["offsets"]).astype(np.int64)
        for term, count in self.removed.doc_freq.items():
            tid = self.shared.term_id(term)
            if tid is not None:
                df[tid] -= count
        for term, (ids, _) in self.small.postings.items():
            tid = self.shared.term_id(term)
            if tid is not None:
                df[tid] += ids.shape[0]
        if self.removed.doc_freq:
            df = df[df > 0]  # a term only removed documents held is in the library no more
        frequencies = df.tolist() + [self.small.doc_freq(t) for t in self._new_terms]
        n = self.n_docs
        total = 0.0
        for f in frequencies:
            total += math.log(n - f + 0.5) - math.log(f + 0.5)
        return total / len(frequencies) if frequencies else 0.0

    # --- scoring -------------------------------------------------------------------------

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """Every document's score, as ``BM25Okapi(shared + small).get_scores(query)``."""
        scores = self._scores(query, 0, self.n_shared + self.small.n_docs)
        if self._alive is None:
            return scores
        return np.concatenate((scores[: self.n_shared][self._alive], scores[self.n_shared :]))

    def top_k(
        self, query: Sequence[str], k: int, *, doc_range: tuple[int, int] | None = None
    ) -> list[Hit]:
        """The best `k` documents scoring above 0, best first, ties by index; `doc_range` =
        (start, end) keeps documents start <= i < end."""
        start, end = 0, self.n_docs
        if doc_range is not None:
            start, end = max(0, int(doc_range[0])), min(self.n_docs, int(doc_range[1]))
        if k <= 0 or end <= start:
            return []
        if doc_range is None:
            hits = self._top_k_pruned(query, k)
            if hits is not None:
                return hits
        # Scored by their ids inside the union (removed documents among them), which
        # the library's ids map to and from.
        first, last = self._inside(start), self._inside(end - 1) + 1
        scores = self._scores(query, first, last)
        dead = self.removed.ids
        if dead.shape[0]:
            lo, hi = np.searchsorted(dead, (first, last))
            scores[dead[lo:hi] - first] = 0.0  # never returned (best keeps scores above 0)
        return [Hit(self._outside(doc + first), score) for doc, score in best(None, scores, k)]

    def _top_k_pruned(self, query: Sequence[str], k: int) -> list[Hit] | None:
        """The top k found with the shared index's pruned search (MaxScore) run on the
        union's statistics, the small index's documents scored whole beside it; None
        when too many shared documents were removed to ask past them.

        A shared posting's union contribution is the union's idf times the factor of
        its (tf, dl) pair under the union's average length (`_unit`): the index's pair
        codes are read as they are, so the pruning sees the union's exact scores and
        its bounds (`_bound`) are the union's too. Removed documents are among the
        shared ones searched, so their number is asked for beyond k and they are
        dropped. Identical passages (ties) need nothing particular: the search's own
        k-th best is exact.
        """
        removed = int(self.removed.ids.shape[0])
        if removed > _ASK_PAST_REMOVED or not self.avgdl:
            return None
        counts = Counter(query)
        terms: list[Term] = []
        negative = False
        for term, count in counts.items():
            idf = self.idf(term)
            tid, ids, codes = self.shared.coded_postings(term)
            if idf is None or idf == 0 or not ids.shape[0]:
                continue  # in no shared document, or adds exactly 0 to each
            negative |= idf < 0  # the search then adds every term whole, bounds unused
            dense = self.shared.dense_codes(tid)
            column = None if dense is None else CodedColumn(dense, idf, self._unit)
            bound = self._bound(term, tid, idf, codes) * count if idf > 0 else 0.0
            terms.append(Term(ids, codes, idf, count, bound, self._unit, column))
        found = self.shared.search(terms, k + removed, negative) if terms else []
        docs = np.array(sorted(doc for doc, _ in found), dtype=np.int64)
        if self._alive is not None and docs.shape[0]:
            docs = docs[self._alive[docs]]
        shared = dict(found)
        scores = np.array([shared[doc] for doc in docs.tolist()], dtype=np.float64)
        small = self._scores(query, self.n_shared, self.n_shared + self.small.n_docs)
        ids = np.concatenate((docs, np.arange(small.shape[0], dtype=np.int64) + self.n_shared))
        hits = best(ids, np.concatenate((scores, small)), k)
        return [Hit(self._outside(doc), score) for doc, score in hits]

    def _bound(self, term: str, tid: int, idf: float, codes: np.ndarray) -> float:
        """The largest union contribution of `term` (id `tid` in the shared index, union
        `idf` > 0) to a shared document, or a little more: its largest shared one
        rescaled (the idf's ratio, the factors' largest growth), else worked out."""
        shared_idf = self.shared.idf(term)
        if shared_idf is not None and shared_idf > 0:
            scale = idf / shared_idf * self._growth * (1 + _BOUND_MARGIN)
            return float(self._max_weight[tid]) * scale
        # The shared weights' maximum says nothing here (idf 0 or negative there).
        return idf * float(self._unit.take(codes).max())

    def _inside(self, number: int) -> int:
        """The id inside the union of the library's document `number`."""
        if self._rank is None:
            return number
        if number < self._n_live:
            return int(np.searchsorted(self._rank, number))
        return number + self.n_shared - self._n_live

    def _outside(self, inside: int) -> int:
        """The library's id of the union's document `inside` (never a removed one)."""
        if self._rank is None:
            return inside
        if inside < self.n_shared:
            return int(self._rank[inside])
        return inside - self.n_shared + self._n_live

    def _scores(self, query: Sequence[str], start: int, end: int) -> np.ndarray:
        """Scores of documents start..end-1, each term added in query order as rank-bm25 does."""
        scores = np.zeros(end - start, dtype=np.float64)
        parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        for term in query:
            if term not in parts:
                idf = self.idf(term)
                parts[term] = [] if idf is None else self._term_parts(term, idf, start, end)
            for positions, values in parts[term]:
                scores[positions] += values
        return scores

    def _term_parts(
        self, term: str, idf: float, start: int, end: int
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """(positions from `start`, union contributions) of `term` in each index."""
        parts = []
        if start < self.n_shared and self.avgdl:
            _, ids, codes = self.shared.coded_postings(term)
            lo, hi = np.searchsorted(ids, (start, min(end, self.n_shared)))
            if hi > lo:
                values = contributions(idf, codes[lo:hi], self._unit)
                parts.append((ids[lo:hi].astype(np.int64) - start, values))
        held = self.small.postings.get(term)
        if held is not None and end > self.n_shared:
            ids = held[0] + self.n_shared
            lo, hi = np.searchsorted(ids, (start, end))
            if hi > lo:
                tf = held[1][lo:hi]
                local = held[0][lo:hi]
                values = term_contributions(
                    np.float64(idf), tf, self.small.doc_len[local], self.k1, self.b, self.avgdl
                )
                parts.append((ids[lo:hi] - start, values))
        return parts
