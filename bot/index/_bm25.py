"""The BM25 index: built once from token lists, then read-only (statistics, scores, top k).

Scores are exactly those of ``rank_bm25.BM25Okapi``: each posting holds the code of
its (term frequency, document length) pair, and its contribution is ``idf`` times
that pair's factor, worked out with the very operations rank-bm25 uses (`_scoring`),
so the values are bit for bit the ones it adds.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from bot.index import _format
from bot.index._maxscore import Spare, Term, search
from bot.index._scoring import PairCoder, code_type, contributions, unit_table
from bot.index._selection import Hit

PROGRESS_EVERY = 10_000
#: Postings converted to weights per step while building (bounds temporary memory).
_WEIGHT_CHUNK = 1 << 22
#: Ranges at most this wide get a fresh score buffer instead of the per-thread one.
_SMALL_RANGE = 1 << 16
#: Terms in at least 1/_DENSE_DIVISOR of the documents also get a dense column of
#: their pair codes (0 where absent). At 1/4 a column takes at most 2/3 the space of
#: the term's postings (2 bytes a document against 6 a posting).
_DENSE_DIVISOR = 4
#: A dense column's contributions (float64) are kept in memory once a query has
#: worked them out, up to this many bytes in all (8 MB a column at a million
#: documents): looking a candidate up is then one array access, and adding the whole
#: term one vector add. Beyond it, each query works out the columns it reads.
_COLUMN_CACHE_BYTES = 1 << 28


class BM25Index:
    """An immutable BM25 (Okapi, rank-bm25 flavour) index over tokenised documents."""

    n_docs: int
    vocabulary_size: int

    def __init__(
        self,
        *,
        vocabulary: list[str],
        offsets: np.ndarray,
        doc_ids: np.ndarray,
        codes: np.ndarray,
        idf: np.ndarray,
        max_weight: np.ndarray,
        doc_len: np.ndarray,
        pair_tf: np.ndarray,
        pair_len: np.ndarray,
        dense_terms: np.ndarray,
        dense: np.ndarray,
        k1: float,
        b: float,
        epsilon: float,
        avgdl: float,
        average_idf: float,
    ) -> None:
        self.vocabulary = vocabulary
        self._term_ids = {term: i for i, term in enumerate(vocabulary)}
        self._offsets = offsets
        self._doc_ids = doc_ids
        self._codes = codes
        self._idf = idf
        self._max_weight = max_weight
        self._doc_len = doc_len
        self._pair_tf = pair_tf
        self._pair_len = pair_len
        self._dense_terms = dense_terms
        self._dense = dense
        self._dense_row = {int(t): row for row, t in enumerate(dense_terms.tolist())}
        self.k1 = float(k1)
        self.b = float(b)
        self.epsilon = float(epsilon)
        self.avgdl = float(avgdl)
        self.average_idf = float(average_idf)
        self.n_docs = int(doc_len.shape[0])
        self.vocabulary_size = len(vocabulary)
        #: Factor of each pair code (0: absent): a contribution is idf * unit[code].
        self._unit = unit_table(pair_tf, pair_len, self.k1, self.b, self.avgdl)
        self._local = threading.local()
        self._columns: dict[int, np.ndarray] = {}  # dense row -> its contributions
        self._column_bytes = 0
        self._columns_lock = threading.Lock()

    # --- building ----------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        docs: Iterable[Sequence[str]],
        *,
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
        progress: Callable[[int], None] | None = None,
    ) -> BM25Index:
        """Index `docs` (token lists), reading them once, one at a time.

        Only compact arrays are kept per document (term ids and counts), never the
        token lists. `progress(n_done)` is called every few thousand documents and
        once at the end.
        """
        if not (math.isfinite(k1) and k1 >= 0):
            raise ValueError(f"k1 must be a finite number >= 0, not {k1!r}")
        if not (math.isfinite(b) and 0 <= b <= 1):
            raise ValueError(f"b must be between 0 and 1, not {b!r}")
        if not math.isfinite(epsilon):
            raise ValueError(f"epsilon must be a finite number, not {epsilon!r}")
        counted = _Counted.read(docs, progress)
        n_docs, n_terms = counted.n_docs, len(counted.vocabulary)
        avgdl = counted.total_tokens / n_docs if n_docs else 0.0

        terms = np.frombuffer(counted.term_ids, dtype=np.int32)
        df = np.bincount(terms, minlength=n_terms).astype(np.int64)
        offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=offsets[1:])
        idf, average_idf = _rank_bm25_idf(df, n_docs, epsilon)

        # Sort postings by term (stable: documents stay ascending within a term).
        order = np.argsort(terms, kind="stable")
        del terms
        counted.term_ids = array("i")  # release the build buffer
        docs_of = np.repeat(
            np.arange(n_docs, dtype=np.int32), np.frombuffer(counted.distinct, dtype=np.int32)
        )
        counted.distinct = array("i")
        doc_ids = docs_of[order]
        del docs_of
        tf = np.frombuffer(counted.counts, dtype=np.int32)[order]
        del order
        counted.counts = array("i")

        lengths = np.frombuffer(counted.doc_len, dtype=np.int32).copy()
        counted.doc_len = array("i")
        coded = _code_postings(offsets, doc_ids, tf, lengths, idf, k1, b, avgdl)
        del tf
        codes, pair_tf, pair_len, max_weight = coded
        dense_terms = np.flatnonzero(df * _DENSE_DIVISOR >= max(n_docs, 1)).astype(np.int32)
        dense = np.zeros((dense_terms.shape[0], n_docs), dtype=codes.dtype)
        for row, tid in enumerate(dense_terms.tolist()):
            lo, hi = offsets[tid], offsets[tid + 1]
            dense[row, doc_ids[lo:hi]] = codes[lo:hi]
        parameters = {
            "k1": k1,
            "b": b,
            "epsilon": epsilon,
            "avgdl": avgdl,
            "average_idf": average_idf,
        }
        return cls(
            vocabulary=counted.vocabulary,
            offsets=offsets,
            doc_ids=doc_ids,
            codes=codes,
            idf=idf,
            max_weight=max_weight,
            doc_len=lengths,
            pair_tf=pair_tf,
            pair_len=pair_len,
            dense_terms=dense_terms,
            dense=dense,
            **parameters,
        )

    # --- statistics ----------------------------------------------------------------------

    def idf(self, term: str) -> float | None:
        """rank-bm25's idf of `term` (after the epsilon floor), None for an unknown term."""
        tid = self._term_ids.get(term)
        return None if tid is None else float(self._idf[tid])

    def postings(self, term: str) -> np.ndarray:
        """Ids of the documents holding `term`, ascending (a read-only view, no copy)."""
        tid = self._term_ids.get(term)
        if tid is None:
            return self._doc_ids[:0]
        return self._doc_ids[int(self._offsets[tid]) : int(self._offsets[tid + 1])]

    def term_id(self, term: str) -> int | None:
        """The term's position in `vocabulary` (first appearance in the corpus), None if unknown."""
        return self._term_ids.get(term)

    def _postings(self, term: str) -> tuple[int, np.ndarray, np.ndarray]:
        """The term's id (-1 if unknown), documents (ascending) and pair codes (views)."""
        tid = self._term_ids.get(term)
        if tid is None:
            return -1, self._doc_ids[:0], self._codes[:0]
        lo, hi = int(self._offsets[tid]), int(self._offsets[tid + 1])
        return tid, self._doc_ids[lo:hi], self._codes[lo:hi]

    def coded_postings(self, term: str) -> tuple[int, np.ndarray, np.ndarray]:
        """The term's id (-1 if unknown), documents (ascending) and pair codes (`pair_tf`
        and `pair_len` by code - 1): what scoring it with other statistics needs."""
        return self._postings(term)

    def unit_factors(self) -> np.ndarray:
        """The factor of each pair code (0: absent): a contribution is idf * factor[code]."""
        return self._unit

    def dense_codes(self, tid: int) -> np.ndarray | None:
        """The pair code of term `tid` in every document (0: absent) for a frequent term, else None."""
        row = self._dense_row.get(tid)
        return None if row is None else self._dense[row]

    def frequencies(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The documents holding `term` (ascending, a read-only view) and how often it
        occurs in each (unsigned integers, 1 or more)."""
        _, ids, codes = self._postings(term)
        return ids, self._pair_tf[codes.astype(np.intp) - 1]

    def contributions(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The documents holding `term` (ascending, a read-only view) and the term's score in each."""
        tid, ids, codes = self._postings(term)
        idf = float(self._idf[tid]) if tid >= 0 else 0.0
        return ids, contributions(idf, codes, self._unit)

    def doc_freq(self, term: str) -> int:
        """How many documents hold `term` (0 if unknown)."""
        tid = self._term_ids.get(term)
        if tid is None:
            return 0
        return int(self._offsets[tid + 1] - self._offsets[tid])

    # --- scoring -------------------------------------------------------------------------

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """Every document's score, as ``BM25Okapi.get_scores(query)`` returns it."""
        scores = np.zeros(self.n_docs, dtype=np.float64)
        for term in query:
            tid = self._term_ids.get(term)
            if tid is None:
                continue
            lo, hi = int(self._offsets[tid]), int(self._offsets[tid + 1])
            scores[self._doc_ids[lo:hi]] += contributions(
                float(self._idf[tid]), self._codes[lo:hi], self._unit
            )
        return scores

    def top_k(
        self, query: Sequence[str], k: int, *, doc_range: tuple[int, int] | None = None
    ) -> list[Hit]:
        """The best `k` documents, best first, ties by index.

        Only documents scoring above 0 are returned. `doc_range` = (start, end)
        restricts the search to documents start <= i < end.
        """
        if k <= 0:
            return []
        start, end = 0, self.n_docs
        if doc_range is not None:
            start, end = max(0, int(doc_range[0])), min(self.n_docs, int(doc_range[1]))
        if end <= start:
            return []
        width = end - start
        # A narrow range is searched in a buffer of its own, in positions from `start`.
        local = not (start == 0 and end == self.n_docs) and width <= _SMALL_RANGE
        terms, negative = self._query_terms(query, start, end, local=local)
        if not terms:
            return []
        if local:
            buffer = np.zeros(width, dtype=np.float64)
            hits = search(terms, k, buffer, negative, 0, width)
            return [Hit(doc + start, score) for doc, score in hits]
        return self.search(terms, k, negative, start, end)

    def search(
        self, terms: list[Term], k: int, negative: bool, start: int = 0, end: int | None = None
    ) -> list[Hit]:
        """The top k of `terms` over this index's documents start <= i < end, in this
        thread's score buffer: `top_k`'s search, also for terms weighted with other
        statistics (a union's idf and length norms)."""
        buffer = self._buffer()
        spare = Spare(self._buffer("spread"), self._buffer("whole"))
        try:
            return search(
                terms, k, buffer, negative, start, self.n_docs if end is None else end, spare
            )
        except BaseException:
            # Possibly dirty: the next query allocates afresh.
            self._local.buffer = self._local.spread = self._local.whole = None
            raise

    def _query_terms(
        self, query: Sequence[str], start: int, end: int, *, local: bool
    ) -> tuple[list[Term], bool]:
        """The query's known terms restricted to [start, end), and whether any idf is
        negative. A repeated term counts again; with `local`, ids count from `start`."""
        multiplicity: dict[int, int] = {}
        for term in query:
            tid = self._term_ids.get(term)
            if tid is not None:
                multiplicity[tid] = multiplicity.get(tid, 0) + 1
        terms: list[Term] = []
        negative = False
        whole = start == 0 and end == self.n_docs
        for tid, count in multiplicity.items():
            idf = self._idf[tid]
            if idf == 0:
                continue  # adds exactly 0 everywhere
            negative |= bool(idf < 0)
            lo, hi = int(self._offsets[tid]), int(self._offsets[tid + 1])
            ids = self._doc_ids[lo:hi]
            if not whole:
                a, z = np.searchsorted(ids, (start, end))
                lo, hi = lo + int(a), lo + int(z)
                if lo == hi:
                    continue
                ids = self._doc_ids[lo:hi]
                if local:
                    ids = ids - np.int32(start)  # positions in a buffer of the range alone
            bound = float(self._max_weight[tid]) * count
            row = self._dense_row.get(tid)
            column = None if row is None else self._column(row, float(idf), start, end, local)
            terms.append(
                Term(ids, self._codes[lo:hi], float(idf), count, bound, self._unit, column)
            )
        return terms, negative

    def _column(self, row: int, idf: float, start: int, end: int, local: bool) -> np.ndarray:
        """A dense term's contributions to every document, or with `local` to [start, end)
        from `start` on (kept in memory for the next queries, within the budget)."""
        column = self._columns.get(row)
        if column is None:
            if local:
                return contributions(idf, self._dense[row, start:end], self._unit)
            column = contributions(idf, self._dense[row], self._unit)
            column.flags.writeable = False
            with self._columns_lock:
                if row not in self._columns and (
                    self._column_bytes + column.nbytes <= _COLUMN_CACHE_BYTES
                ):
                    self._columns[row] = column
                    self._column_bytes += column.nbytes
        return column[start:end] if local else column

    def _buffer(self, name: str = "buffer") -> np.ndarray:
        """One of this thread's all-zero buffers as wide as the index, the score buffer
        or a `Spare` one (queries leave them all zero again)."""
        buffer: np.ndarray | None = getattr(self._local, name, None)
        if buffer is None:
            buffer = np.zeros(self.n_docs, dtype=np.float64)
            setattr(self._local, name, buffer)
        return buffer

    # --- persistence ---------------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays a saved index holds, by file name (see `_format.ARRAY_FILES`)."""
        return {
            "offsets": self._offsets,
            "doc_ids": self._doc_ids,
            "codes": self._codes,
            "idf": self._idf,
            "max_weight": self._max_weight,
            "doc_len": self._doc_len,
            "pair_tf": self._pair_tf,
            "pair_len": self._pair_len,
            "dense_terms": self._dense_terms,
            "dense": self._dense,
        }

    def save(self, path: Path) -> None:
        """Write the index to the folder `path`, replacing it atomically.

        Everything is written and flushed to a temporary folder beside `path`, which
        is then renamed to `path`: a crash leaves either the old index or the new
        one, never a mix (at worst a stray ``.<name>.tmp-*`` folder).
        """
        _format.save(self, Path(path))

    @classmethod
    def load(cls, path: Path) -> BM25Index:
        """Open a saved index; arrays are memory-mapped read-only, not copied.

        Raises IndexLoadError if anything is missing, truncated, inconsistent or of
        another format version.
        """
        return cls(**_format.read(Path(path)))


class _Counted:
    """What one pass over the documents keeps: per document its distinct term ids and
    their counts, as compact arrays, never the token lists."""

    def __init__(self) -> None:
        self.vocabulary: list[str] = []
        self.term_ids = array("i")  # per document, its distinct terms in order of first use
        self.counts = array("i")  # ... and how often each occurs in it
        self.distinct = array("i")  # per document: how many distinct terms
        self.doc_len = array("i")
        self.total_tokens = 0
        self.n_docs = 0

    @classmethod
    def read(
        cls, docs: Iterable[Sequence[str]], progress: Callable[[int], None] | None
    ) -> _Counted:
        """Count every document of `docs`, reporting progress every few thousand."""
        counted = cls()
        vocab: dict[str, int] = {}
        lookup = vocab.get
        term_ids, counts, distinct, doc_len = (
            counted.term_ids,
            counted.counts,
            counted.distinct,
            counted.doc_len,
        )
        total_tokens = 0
        n_done = 0
        for doc in docs:
            frequencies = Counter(doc)
            keys = list(frequencies)
            ids = list(map(lookup, keys))
            if None in ids:
                for i, term in enumerate(keys):
                    if ids[i] is None:
                        ids[i] = vocab[term] = len(vocab)
            term_ids.extend(ids)  # type: ignore[arg-type]
            counts.extend(frequencies.values())
            distinct.append(len(keys))
            length = len(doc)
            doc_len.append(length)
            total_tokens += length
            n_done += 1
            if progress is not None and n_done % PROGRESS_EVERY == 0:
                progress(n_done)
        if progress is not None and n_done % PROGRESS_EVERY:
            progress(n_done)
        counted.vocabulary = list(vocab)  # dicts keep insertion order: index = term id
        counted.total_tokens = total_tokens
        counted.n_docs = n_done
        return counted


def _rank_bm25_idf(df: np.ndarray, n_docs: int, epsilon: float) -> tuple[np.ndarray, float]:
    """idf exactly as rank-bm25 computes it: math.log, summed in vocabulary order (first
    appearance, like its dict), floored at epsilon * average idf; and that average."""
    idf_list = [math.log(n_docs - f + 0.5) - math.log(f + 0.5) for f in df.tolist()]
    idf_sum = 0.0
    for value in idf_list:
        idf_sum += value
    n_terms = len(idf_list)
    average_idf = idf_sum / n_terms if n_terms else 0.0
    floor = epsilon * average_idf
    return np.array([floor if v < 0 else v for v in idf_list], dtype=np.float64), average_idf


def _code_postings(
    offsets: np.ndarray,
    doc_ids: np.ndarray,
    tf: np.ndarray,
    lengths: np.ndarray,
    idf: np.ndarray,
    k1: float,
    b: float,
    avgdl: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each posting's (tf, dl) pair code, the pairs (tf, dl) by code - 1, and each term's
    largest contribution (its upper bound for pruning), a few million postings at a
    time so the build never holds them all as float64 or int64."""
    n_postings, n_terms = int(offsets[-1]), offsets.shape[0] - 1
    chunks = [
        (lo, min(lo + _WEIGHT_CHUNK, n_postings)) for lo in range(0, n_postings, _WEIGHT_CHUNK)
    ]
    coder = PairCoder(int(tf.max(initial=0)), int(lengths.max(initial=0)))
    for lo, hi in chunks:
        coder.see(tf[lo:hi], lengths[doc_ids[lo:hi]])
    pair_tf, pair_len = coder.pairs()
    unit = unit_table(pair_tf, pair_len, k1, b, avgdl)
    codes = np.empty(n_postings, dtype=code_type(pair_tf.shape[0]))
    bound = np.full(n_terms, -np.inf, dtype=np.float64)
    for lo, hi in chunks:
        codes[lo:hi] = coder.encode(tf[lo:hi], lengths[doc_ids[lo:hi]], codes.dtype.type)
        term_of = np.searchsorted(offsets, np.arange(lo, hi), side="right") - 1
        weights = idf[term_of] * unit.take(codes[lo:hi])
        # Postings are sorted by term: one maximum per run of a term in this chunk.
        starts = np.flatnonzero(np.diff(term_of, prepend=-1))
        np.maximum.at(bound, term_of[starts], np.maximum.reduceat(weights, starts))
    return codes, pair_tf, pair_len, bound
