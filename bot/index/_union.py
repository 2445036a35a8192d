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

The work of a query is linear in the postings of its terms (no MaxScore pruning): a
server library is searched beside the shared one, the shared index alone is used
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
from bot.index._scoring import term_contributions
from bot.index._selection import Hit, best

#: The terms of shared documents by id (no longer read: the shared index stores frequencies).
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
        held: dict[str, tuple[list[int], list[int]]] = {}
        lengths: list[int] = []
        for number, doc in enumerate(docs):
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


class UnionIndex:
    """The shared index and a small one searched as one collection (shared documents first)."""

    def __init__(
        self, shared: BM25Index, small: SmallIndex, shared_terms: TermsOf | None = None
    ) -> None:
        self.shared = shared
        self.small = small
        del shared_terms  # kept in the signature for callers written before frequencies were stored
        self.k1, self.b, self.epsilon = shared.k1, shared.b, shared.epsilon
        self._shared_len = shared.arrays()["doc_len"]
        shared_total = int(self._shared_len.astype(np.int64).sum())
        self.n_shared = shared.n_docs
        self.n_docs = shared.n_docs + small.n_docs
        self.avgdl = (shared_total + small.total_tokens) / self.n_docs if self.n_docs else 0.0
        self._new_terms = [t for t in small.vocabulary if shared.term_id(t) is None]
        self.vocabulary_size = shared.vocabulary_size + len(self._new_terms)
        self._average_idf: float | None = None
        self._lock = threading.Lock()

    # --- statistics ----------------------------------------------------------------------

    def doc_freq(self, term: str) -> int:
        """How many documents of the union hold `term`."""
        return self.shared.doc_freq(term) + self.small.doc_freq(term)

    def postings(self, term: str) -> np.ndarray:
        """Ids of the documents holding `term`, ascending (the small index's after the shared)."""
        shared = self.shared.postings(term)
        held = self.small.postings.get(term)
        if held is None:
            return shared
        return np.concatenate((shared.astype(np.int64), held[0] + self.n_shared))

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
        for term, (ids, _) in self.small.postings.items():
            tid = self.shared.term_id(term)
            if tid is not None:
                df[tid] += ids.shape[0]
        frequencies = df.tolist() + [self.small.doc_freq(t) for t in self._new_terms]
        n = self.n_docs
        total = 0.0
        for f in frequencies:
            total += math.log(n - f + 0.5) - math.log(f + 0.5)
        return total / len(frequencies) if frequencies else 0.0

    # --- scoring -------------------------------------------------------------------------

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """Every document's score, as ``BM25Okapi(shared + small).get_scores(query)``."""
        return self._scores(query, 0, self.n_docs)

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
        hits = best(None, self._scores(query, start, end), k)
        return [Hit(doc + start, score) for doc, score in hits]

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
        if start < self.n_shared:
            ids, tf = self.shared.frequencies(term)
            lo, hi = np.searchsorted(ids, (start, min(end, self.n_shared)))
            if hi > lo:
                ids = ids[lo:hi]
                values = term_contributions(
                    np.float64(idf), tf[lo:hi], self._shared_len[ids], self.k1, self.b, self.avgdl
                )
                parts.append((ids.astype(np.int64) - start, values))
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
