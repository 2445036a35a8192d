"""BM25 search over pre-tokenised passages, fast at a million passages.

Scores are exactly those of ``rank_bm25.BM25Okapi`` (same idf, same epsilon floor
over the average idf of the whole vocabulary, same length normalisation), but the
work of a query follows the postings of its terms instead of the corpus size:

* The index is an inverted file in CSC layout: for each term, the ids of the
  documents holding it (ascending ``int32``) and, side by side, the term's full
  precomputed contribution to each of those documents' scores (``float64``,
  computed with the very operations rank-bm25 uses, so the values are bit for bit
  the ones it adds).
* Terms in at least a quarter of the documents also get a dense column of their
  contributions (0 where absent), so looking a document up in them is one array
  access and adding one whole is a vector add.
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

Reads are thread-safe: the arrays are never written after build or load, and the
per-query score buffer is private to each thread.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import shutil
import threading
import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import IndexLoadError

__all__ = ["BM25Index", "IndexLoadError"]

FORMAT = "citebot-bm25"
VERSION = 2
META_FILE = "meta.json"
VOCABULARY_FILE = "vocabulary.json"
#: name -> dtype of every array file of a saved index.
ARRAY_FILES: dict[str, np.dtype[Any]] = {
    "offsets": np.dtype("<i8"),  # n_terms + 1: postings of term t are [offsets[t], offsets[t+1])
    "doc_ids": np.dtype("<i4"),  # n_postings, ascending within a term
    "weights": np.dtype("<f8"),  # n_postings: the term's whole contribution to that document
    "idf": np.dtype("<f8"),  # n_terms, after the epsilon floor
    "max_weight": np.dtype("<f8"),  # n_terms: largest contribution of the term (its upper bound)
    "doc_len": np.dtype("<i4"),  # n_docs
    "dense_terms": np.dtype("<i4"),  # n_dense: the terms in at least 1/4 of the documents
    "dense": np.dtype("<f8"),  # (n_dense, n_docs): their contribution to every document
}
PROGRESS_EVERY = 10_000
#: Postings converted to weights per step while building (bounds temporary memory).
_WEIGHT_CHUNK = 1 << 22
#: A term is looked up by binary search for the candidates when its postings are at
#: least this many times longer than the candidate list; otherwise it is read whole.
_PROBE_RATIO = 12
#: Relative margin on pruning decisions: sums taken in another order may differ in
#: the last bits, and pruning must never drop a document that could tie.
_SLACK = 1e-9
#: Ranges at most this wide get a fresh score buffer instead of the per-thread one.
_SMALL_RANGE = 1 << 16
#: Terms in at least 1/_DENSE_DIVISOR of the documents also get a dense column of
#: contributions (0 where absent): looking a candidate up is then one array access,
#: and adding the whole term a vector add. At 1/4 a column takes at most 8/3 the
#: space of the term's postings.
_DENSE_DIVISOR = 4
#: Candidates up to this many are all scored exactly to set the pruning threshold;
#: above, those with the best partial scores (_THRESHOLD_SAMPLE of them).
_EXACT_ALL = 4096
_THRESHOLD_SAMPLE = 1024
#: Size of the strided sample that bounds a top-k cut in long score arrays.
_SAMPLE_FOR_CUT = 8192


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
        weights: np.ndarray,
        idf: np.ndarray,
        max_weight: np.ndarray,
        doc_len: np.ndarray,
        dense_terms: np.ndarray,
        dense: np.ndarray,
        k1: float,
        b: float,
        epsilon: float,
        avgdl: float,
        average_idf: float,
    ) -> None:
        self._vocabulary = vocabulary
        self._term_ids = {term: i for i, term in enumerate(vocabulary)}
        self._offsets = offsets
        self._doc_ids = doc_ids
        self._weights = weights
        self._idf = idf
        self._max_weight = max_weight
        self._doc_len = doc_len
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
        self._local = threading.local()

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

        vocab: dict[str, int] = {}
        lookup = vocab.get
        term_ids = array("i")  # per document, its distinct terms in order of first use
        counts = array("i")  # ... and how often each occurs in it
        distinct = array("i")  # per document: how many distinct terms
        doc_len = array("i")
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

        n_docs = n_done
        n_terms = len(vocab)
        vocabulary = list(vocab)  # dicts keep insertion order: index = term id
        del vocab, lookup
        avgdl = total_tokens / n_docs if n_docs else 0.0

        terms = np.frombuffer(term_ids, dtype=np.int32)
        df = np.bincount(terms, minlength=n_terms).astype(np.int64)
        offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=offsets[1:])

        # idf exactly as rank-bm25 computes it: math.log, summed in vocabulary order
        # (first appearance, like its dict), floored at epsilon * average idf.
        idf_list = [math.log(n_docs - f + 0.5) - math.log(f + 0.5) for f in df.tolist()]
        idf_sum = 0.0
        for value in idf_list:
            idf_sum += value
        average_idf = idf_sum / n_terms if n_terms else 0.0
        floor = epsilon * average_idf
        idf = np.array([floor if v < 0 else v for v in idf_list], dtype=np.float64)
        del idf_list

        # Sort postings by term (stable: documents stay ascending within a term).
        order = np.argsort(terms, kind="stable")
        del terms
        term_ids = array("i")  # release the build buffer
        docs_of = np.repeat(
            np.arange(n_docs, dtype=np.int32), np.frombuffer(distinct, dtype=np.int32)
        )
        del distinct
        doc_ids = docs_of[order]
        del docs_of
        tf = np.frombuffer(counts, dtype=np.int32)[order]
        del order
        counts = array("i")
        del counts

        lengths = np.frombuffer(doc_len, dtype=np.int32).copy()
        del doc_len
        weights = np.empty(doc_ids.shape[0], dtype=np.float64)
        for lo in range(0, weights.shape[0], _WEIGHT_CHUNK):
            hi = min(lo + _WEIGHT_CHUNK, weights.shape[0])
            term_of = np.searchsorted(offsets, np.arange(lo, hi), side="right") - 1
            weights[lo:hi] = _contributions(
                idf[term_of], tf[lo:hi], lengths[doc_ids[lo:hi]], k1, b, avgdl
            )
        del tf
        if n_terms:
            max_weight = np.maximum.reduceat(weights, offsets[:-1])
        else:
            max_weight = np.zeros(0, dtype=np.float64)
        dense_terms = np.flatnonzero(df * _DENSE_DIVISOR >= max(n_docs, 1)).astype(np.int32)
        dense = np.zeros((dense_terms.shape[0], n_docs), dtype=np.float64)
        for row, tid in enumerate(dense_terms.tolist()):
            lo, hi = offsets[tid], offsets[tid + 1]
            dense[row, doc_ids[lo:hi]] = weights[lo:hi]
        return cls(
            vocabulary=vocabulary,
            offsets=offsets,
            doc_ids=doc_ids,
            weights=weights,
            idf=idf,
            max_weight=max_weight,
            doc_len=lengths,
            dense_terms=dense_terms,
            dense=dense,
            k1=k1,
            b=b,
            epsilon=epsilon,
            avgdl=avgdl,
            average_idf=average_idf,
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
            scores[self._doc_ids[lo:hi]] += self._weights[lo:hi]
        return scores

    def top_k(
        self, query: Sequence[str], k: int, *, doc_range: tuple[int, int] | None = None
    ) -> list[tuple[int, float]]:
        """The best `k` documents as (doc index, score), best first, ties by index.

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

        # Distinct known terms with their multiplicity; a repeated term counts again.
        multiplicity: dict[int, int] = {}
        for term in query:
            tid = self._term_ids.get(term)
            if tid is not None:
                multiplicity[tid] = multiplicity.get(tid, 0) + 1
        terms: list[_Term] = []
        negative = False
        whole = start == 0 and end == self.n_docs
        width = end - start
        local = not whole and width <= _SMALL_RANGE
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
            column = None
            if row is not None:
                column = self._dense[row, start:end] if local else self._dense[row]
            terms.append(_Term(ids, self._weights[lo:hi], count, bound, column))
        if not terms:
            return []

        if local:
            buffer = np.zeros(width, dtype=np.float64)
            hits = _search(terms, k, buffer, negative, 0, width)
            return [(doc + start, score) for doc, score in hits]
        buffer = self._buffer()
        try:
            return _search(terms, k, buffer, negative, start, end)
        except BaseException:
            self._local.buffer = None  # possibly dirty: the next query allocates afresh
            raise

    def _buffer(self) -> np.ndarray:
        """This thread's all-zero score buffer (queries leave it all zero again)."""
        buffer = getattr(self._local, "buffer", None)
        if buffer is None:
            buffer = self._local.buffer = np.zeros(self.n_docs, dtype=np.float64)
        return buffer

    # --- persistence ---------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the index to the folder `path`, replacing it atomically.

        Everything is written and flushed to a temporary folder beside `path`, which
        is then renamed to `path`: a crash leaves either the old index or the new
        one, never a mix (at worst a stray ``.<name>.tmp-*`` folder).
        """
        path = Path(path)
        parent = path.parent
        parent.mkdir(parents=True, exist_ok=True)
        staging = parent / f".{path.name}.tmp-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            arrays = {
                "offsets": self._offsets,
                "doc_ids": self._doc_ids,
                "weights": self._weights,
                "idf": self._idf,
                "max_weight": self._max_weight,
                "doc_len": self._doc_len,
                "dense_terms": self._dense_terms,
                "dense": self._dense,
            }
            files = {}
            for name, data in arrays.items():
                target = staging / f"{name}.npy"
                with open(target, "wb") as handle:
                    np.save(handle, np.asarray(data, dtype=ARRAY_FILES[name]), allow_pickle=False)
                    handle.flush()
                    os.fsync(handle.fileno())
                files[name] = {"shape": list(data.shape), "bytes": target.stat().st_size}
            _write_synced(staging / VOCABULARY_FILE, json.dumps(self._vocabulary))
            meta = {
                "format": FORMAT,
                "version": VERSION,
                "k1": self.k1,
                "b": self.b,
                "epsilon": self.epsilon,
                "n_docs": self.n_docs,
                "n_terms": self.vocabulary_size,
                "n_postings": int(self._doc_ids.shape[0]),
                "n_dense": int(self._dense_terms.shape[0]),
                "avgdl": self.avgdl,
                "average_idf": self.average_idf,
                "vocabulary_bytes": (staging / VOCABULARY_FILE).stat().st_size,
                "files": files,
            }
            _write_synced(staging / META_FILE, json.dumps(meta, indent=1))
            _fsync_path(staging)
            if path.exists() or path.is_symlink():
                retired = parent / f".{path.name}.old-{uuid.uuid4().hex}"
                os.rename(path, retired)
                os.rename(staging, path)
                shutil.rmtree(retired, ignore_errors=True)
            else:
                os.rename(staging, path)
            _fsync_path(parent)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    @classmethod
    def load(cls, path: Path) -> BM25Index:
        """Open a saved index; arrays are memory-mapped read-only, not copied.

        Raises IndexLoadError if anything is missing, truncated, inconsistent or of
        another format version.
        """
        path = Path(path)
        try:
            return cls._load(path)
        except IndexLoadError:
            raise
        except (OSError, ValueError, KeyError, TypeError, EOFError, OverflowError) as exc:
            raise IndexLoadError(f"cannot load the index in {path}: {exc}") from exc

    @classmethod
    def _load(cls, path: Path) -> BM25Index:
        if not path.is_dir():
            raise IndexLoadError(f"no saved index in {path}")
        try:
            meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise IndexLoadError(f"{path / META_FILE} is not valid JSON: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise IndexLoadError(f"{path} does not hold a Citebot BM25 index")
        if meta.get("version") != VERSION:
            raise IndexLoadError(
                f"{path} holds index version {meta.get('version')!r}, expected {VERSION}"
            )
        n_docs, n_terms, n_postings = (
            int(meta["n_docs"]),
            int(meta["n_terms"]),
            int(meta["n_postings"]),
        )
        expected = {
            "offsets": (n_terms + 1,),
            "doc_ids": (n_postings,),
            "weights": (n_postings,),
            "idf": (n_terms,),
            "max_weight": (n_terms,),
            "doc_len": (n_docs,),
            "dense_terms": (int(meta["n_dense"]),),
            "dense": (int(meta["n_dense"]), n_docs),
        }
        arrays: dict[str, np.ndarray] = {}
        for name, dtype in ARRAY_FILES.items():
            file = path / f"{name}.npy"
            recorded = meta["files"][name]
            size = file.stat().st_size
            if size != int(recorded["bytes"]):
                raise IndexLoadError(f"{file} has {size} bytes, expected {recorded['bytes']}")
            data = np.load(file, mmap_mode="r", allow_pickle=False)
            if data.dtype != dtype or data.shape != expected[name]:
                raise IndexLoadError(
                    f"{file} holds {data.dtype}{data.shape}, expected {dtype}{expected[name]}"
                )
            arrays[name] = data.view(np.ndarray)  # plain view on the map: cheaper slicing
        offsets = arrays["offsets"]
        if offsets[0] != 0 or offsets[-1] != n_postings:
            raise IndexLoadError(f"{path}: postings offsets are inconsistent")
        dense_terms = arrays["dense_terms"]
        if dense_terms.shape[0] and not (
            0 <= int(dense_terms.min()) and int(dense_terms.max()) < n_terms
        ):
            raise IndexLoadError(f"{path}: dense columns name unknown terms")
        vocabulary_file = path / VOCABULARY_FILE
        if vocabulary_file.stat().st_size != int(meta["vocabulary_bytes"]):
            raise IndexLoadError(f"{vocabulary_file} has the wrong size")
        try:
            vocabulary = json.loads(vocabulary_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise IndexLoadError(f"{vocabulary_file} is not valid JSON: {exc}") from exc
        if not isinstance(vocabulary, list) or len(vocabulary) != n_terms:
            raise IndexLoadError(f"{vocabulary_file} does not list {n_terms} terms")
        index = cls(
            vocabulary=vocabulary,
            k1=float(meta["k1"]),
            b=float(meta["b"]),
            epsilon=float(meta["epsilon"]),
            avgdl=float(meta["avgdl"]),
            average_idf=float(meta["average_idf"]),
            **arrays,
        )
        if len(index._term_ids) != n_terms:
            raise IndexLoadError(f"{vocabulary_file} lists a term twice")
        return index


class _Term:
    """One query term: postings (possibly restricted to a range), upper bound and,
    for a frequent term, its dense column of contributions (same coordinates)."""

    __slots__ = ("ids", "weights", "count", "bound", "df", "column")

    def __init__(
        self,
        ids: np.ndarray,
        weights: np.ndarray,
        count: int,
        bound: float,
        column: np.ndarray | None = None,
    ) -> None:
        self.ids = ids
        self.weights = weights
        self.count = count
        self.bound = bound
        self.df = ids.shape[0]
        self.column = column

    def contributions(self, selection: np.ndarray | slice = slice(None)) -> np.ndarray:
        w = self.weights[selection]
        return w * self.count if self.count != 1 else w

    def add_all(self, scores: np.ndarray) -> None:
        np.add.at(scores, self.ids, self.contributions())

    def of(self, docs: np.ndarray) -> np.ndarray:
        """The term's contribution to each of `docs` (sorted), 0 where absent."""
        if self.column is not None:
            values = self.column[docs]
            return values * self.count if self.count != 1 else values
        out = np.zeros(docs.shape[0], dtype=np.float64)
        if self.df == 0 or docs.shape[0] == 0:
            return out
        where = self.ids.searchsorted(docs)
        np.minimum(where, self.df - 1, out=where)
        hit = self.ids[where] == docs
        out[hit] = self.contributions(where[hit])
        return out

    def add_to(self, scores: np.ndarray, docs: np.ndarray) -> bool:
        """Add the term's contribution to `docs` (sorted) in `scores`, looking the
        documents up, or adding the whole term when that is cheaper (returns True:
        other documents were written too)."""
        if self.column is not None or docs.shape[0] * _PROBE_RATIO < self.df:
            scores[docs] += self.of(docs)
            return False
        self.add_all(scores)
        return True


def _search(
    terms: list[_Term], k: int, scores: np.ndarray, negative: bool, lo: int, hi: int
) -> list[tuple[int, float]]:
    """Top k (doc, score) over `terms`, accumulating in `scores` (zero; left zero).

    Documents are positions in `scores`; only [lo, hi) may hold matches.

    MaxScore with the essential terms chosen by cost: the terms without a dense
    column are read whole, in order of increasing document frequency. After each,
    the candidates (documents holding a term read so far) are scored exactly (all
    of them, or those with the best partial scores) by looking them up in the
    other terms; their k-th best score ``theta`` is a lower bound of the final k-th
    best. A document holding none of the terms read scores at most the sum of the
    upper bounds of the others; once that sum is below ``theta`` only candidates
    can make the top k, and the other terms are looked up for those candidates
    that can still reach ``theta``. If that never happens, the dense columns are
    added whole (a vector add each) and the top k taken over the range.
    """
    touched: list[np.ndarray] = []  # ids written in `scores`, to zero them again
    width = scores.shape[0]
    try:
        if negative:
            # A negative idf (only when the average idf is negative, in tiny or
            # degenerate corpora) breaks the bounds pruning relies on: add everything.
            for term in terms:
                term.add_all(scores)
                touched.append(term.ids)
            every = _union(touched, width)
            return _best(every, scores[every], k)
        if len(terms) == 1:
            term = terms[0]
            return _best(term.ids, term.contributions(), k)

        sparse = sorted((t for t in terms if t.column is None), key=lambda t: (t.df, -t.bound))
        dense = [t for t in terms if t.column is not None]
        m = len(sparse)
        rest = [0.0] * (m + 1)  # rest[i]: sum of the bounds of sparse[i:] and all dense
        rest[m] = sum(t.bound for t in dense)
        for i in range(m - 1, -1, -1):
            rest[i] = rest[i + 1] + sparse[i].bound

        threshold = 0.0
        read = 0
        candidates: np.ndarray | None = None
        stopped = False
        while read < m:
            term = sparse[read]
            term.add_all(scores)
            touched.append(term.ids)
            read += 1
            if read == m and not dense:
                break
            candidates = _union(touched, width)
            if candidates.shape[0] < k:
                continue
            others = sparse[read:] + dense
            threshold = max(threshold, _exact_kth(candidates, scores, others, k))
            if threshold > rest[read] * (1 + _SLACK):
                stopped = True
                break
        if not stopped:
            if not dense:
                every = _union(touched, width)
                return _best(every, scores[every], k)
            # Dense terms everywhere: add their columns whole over the range.
            total: np.ndarray | None = scores[lo:hi].copy() if touched else None
            for term in dense:
                assert term.column is not None  # dense terms carry their column
                part = term.column[lo:hi]
                if term.count != 1:
                    part = part * term.count
                total = part.copy() if total is None else np.add(total, part, out=total)
            assert total is not None  # there is at least one dense term here
            hits = _best(None, total, k)
            return [(doc + lo, score) for doc, score in hits] if lo else hits

        # Only candidates can make the top k: finish their scores, dropping on the
        # way those that cannot reach the threshold even with every term left.
        remaining = sorted(sparse[read:] + dense, key=lambda t: -t.bound)
        bound_left = rest[read]
        floor = threshold * (1 - _SLACK)
        assert candidates is not None  # stopping early needs candidates
        candidates = candidates[scores[candidates] + bound_left >= floor]
        for term in remaining:
            if term.add_to(scores, candidates):
                touched.append(term.ids)
            bound_left -= term.bound
            partial = scores[candidates]
            if candidates.shape[0] > k and candidates.shape[0] <= _EXACT_ALL:
                floor = max(floor, _kth_largest(partial, k) * (1 - _SLACK))
            if bound_left > 0:
                candidates = candidates[partial + bound_left >= floor]
        return _best(candidates, scores[candidates], k)
    finally:
        total_touched = sum(ids.shape[0] for ids in touched)
        if total_touched * 4 > width:
            scores.fill(0.0)
        else:
            for ids in touched:
                scores[ids] = 0.0


def _exact_kth(candidates: np.ndarray, scores: np.ndarray, others: list[_Term], k: int) -> float:
    """A lower bound of the final k-th best score: the k-th best exact score among
    the candidates (or those with the best partial scores; `scores` holds partial
    scores, `others` are the terms not yet in them)."""
    partial = scores[candidates]
    n = partial.shape[0]
    if n > _EXACT_ALL:
        chosen = _top_positions(partial, max(_THRESHOLD_SAMPLE, 4 * k))
        docs, exact = candidates[chosen], partial[chosen]
    else:
        docs, exact = candidates, partial
    for term in others:
        exact = exact + term.of(docs)
    return _kth_largest(exact, k)


def _union(lists: list[np.ndarray], width: int) -> np.ndarray:
    """Sorted distinct ids of several ascending id arrays (int32)."""
    if len(lists) == 1:
        return lists[0]
    total = sum(ids.shape[0] for ids in lists)
    if total * 8 >= width:
        mark = np.zeros(width, dtype=bool)
        for ids in lists:
            mark[ids] = True
        return np.flatnonzero(mark).astype(np.int32)
    merged = np.concatenate(lists)
    merged.sort()
    if merged.shape[0] < 2:
        return merged
    first = np.empty(merged.shape[0], dtype=bool)
    first[0] = True
    np.not_equal(merged[1:], merged[:-1], out=first[1:])
    return merged[first]


def _kth_largest(values: np.ndarray, k: int) -> float:
    n = values.shape[0]
    return float(np.partition(values, n - k)[n - k])


def _top_positions(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest values (ties: lowest positions), in no order."""
    n = values.shape[0]
    if n <= k:
        return np.arange(n)
    pool = None
    if n > 8 * _SAMPLE_FOR_CUT and k < _SAMPLE_FOR_CUT // 4:
        # The k-th largest of a strided sample is reached by k real values: every
        # value of the top k is at least that cut. Partition only what passes it.
        sample = values[:: n // _SAMPLE_FOR_CUT]
        cut = np.partition(sample, sample.shape[0] - k)[sample.shape[0] - k]
        pool = np.flatnonzero(values >= cut)
        values = values[pool]
        n = pool.shape[0]
        if n <= k:
            return pool
    kth = np.partition(values, n - k)[n - k]
    above = np.flatnonzero(values > kth)
    tied = np.flatnonzero(values == kth)[: k - above.shape[0]]
    chosen = np.concatenate((above, tied))
    return chosen if pool is None else pool[chosen]


def _best(candidates: np.ndarray | None, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(doc, score) of the k best positive scores, best first, ties by doc ascending.

    `candidates` are ascending doc ids aligned with `scores` (None: doc = position).
    """
    chosen = _top_positions(scores, k)
    values = scores[chosen]
    docs = chosen if candidates is None else candidates[chosen]
    positive = values > 0
    if not positive.all():
        docs, values = docs[positive], values[positive]
    order = np.lexsort((docs, -values))
    return list(zip(docs[order].tolist(), values[order].tolist(), strict=True))


def _contributions(
    idf: np.ndarray, tf: np.ndarray, doc_len: np.ndarray, k1: float, b: float, avgdl: float
) -> np.ndarray:
    """idf * tf*(k1+1) / (tf + k1*(1 - b + b*dl/avgdl)), operation for operation as rank-bm25."""
    tf = tf.astype(np.int64)
    doc_len = doc_len.astype(np.int64)
    return idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_len / avgdl)))


def _write_synced(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_path(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def is_memory_mapped(array_: np.ndarray) -> bool:
    """True when `array_` is a view on a memory map (used by tests and diagnostics)."""
    base: Any = array_
    while base is not None:
        if isinstance(base, mmap.mmap):
            return True
        base = getattr(base, "base", None)
    return False
