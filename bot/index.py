"""BM25 search over pre-tokenised passages, fast at a million passages.

Scores are exactly those of ``rank_bm25.BM25Okapi`` (same idf, same epsilon floor
over the average idf of the whole vocabulary, same length normalisation), but the
work of a query follows the postings of its terms instead of the corpus size:

* The index is an inverted file in CSC layout: for each term, the ids of the
  documents holding it (ascending ``int32``) and, side by side, the term's full
  precomputed contribution to each of those documents' scores (``float64``,
  computed with the very operations rank-bm25 uses, so the values are bit for bit
  the ones it adds).
* ``top_k`` accumulates contributions only for documents the query touches, and
  prunes exactly (MaxScore): terms are taken by decreasing upper bound (their
  largest contribution); once the k-th best partial score beats the sum of the
  upper bounds of the terms not yet read, no document outside the current
  candidates can enter the top k, so the remaining (frequent, low-idf) terms are
  only looked up for the candidates still able to reach the top k, by binary
  search in their sorted postings.
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

import numpy as np

try:  # The lead turns this into a CitebotError; until bot/errors.py exists, a plain Exception.
    from bot.errors import CitebotError as _ErrorBase
except ImportError:  # pragma: no cover - only before bot/errors.py exists
    _ErrorBase = Exception  # type: ignore[misc,assignment]

__all__ = ["BM25Index", "IndexLoadError"]

FORMAT = "citebot-bm25"
VERSION = 1
META_FILE = "meta.json"
VOCABULARY_FILE = "vocabulary.json"
#: name -> dtype of every array file of a saved index.
ARRAY_FILES = {
    "offsets": np.dtype("<i8"),  # n_terms + 1: postings of term t are [offsets[t], offsets[t+1])
    "doc_ids": np.dtype("<i4"),  # n_postings, ascending within a term
    "weights": np.dtype("<f8"),  # n_postings: the term's whole contribution to that document
    "idf": np.dtype("<f8"),  # n_terms, after the epsilon floor
    "max_weight": np.dtype("<f8"),  # n_terms: largest contribution of the term (its upper bound)
    "doc_len": np.dtype("<i4"),  # n_docs
}
PROGRESS_EVERY = 10_000
#: Postings converted to weights per step while building (bounds temporary memory).
_WEIGHT_CHUNK = 1 << 22
#: A term is looked up by binary search for the candidates when its postings are at
#: least this many times longer than the candidate list; otherwise it is read whole.
_PROBE_RATIO = 16
#: Ranges at most this wide get a fresh score buffer instead of the per-thread one.
_SMALL_RANGE = 1 << 16


class IndexLoadError(_ErrorBase):
    """A saved index is missing, incomplete, corrupt or of another version."""


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
        return cls(
            vocabulary=vocabulary,
            offsets=offsets,
            doc_ids=doc_ids,
            weights=weights,
            idf=idf,
            max_weight=max_weight,
            doc_len=lengths,
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
            terms.append(
                _Term(ids, self._weights[lo:hi], count, float(self._max_weight[tid]) * count)
            )
        if not terms:
            return []

        width = end - start
        if width <= _SMALL_RANGE and width < self.n_docs:
            return _search(terms, k, np.zeros(width, dtype=np.float64), start, negative)
        buffer = self._buffer()
        try:
            return _search(terms, k, buffer, 0, negative)
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
    """One query term's postings (possibly restricted to a range) and upper bound."""

    __slots__ = ("ids", "weights", "count", "bound")

    def __init__(self, ids: np.ndarray, weights: np.ndarray, count: int, bound: float) -> None:
        self.ids = ids
        self.weights = weights
        self.count = count
        self.bound = bound

    def contributions(self, selection: np.ndarray | slice = slice(None)) -> np.ndarray:
        w = self.weights[selection]
        return w * self.count if self.count != 1 else w


def _search(
    terms: list[_Term], k: int, scores: np.ndarray, base: int, negative: bool
) -> list[tuple[int, float]]:
    """Top k over `terms`, accumulating in `scores` (all zero; left all zero).

    `scores[i]` holds document `base + i`.
    """
    touched: list[np.ndarray] = []  # local ids written in `scores`, to zero them again
    try:
        if negative:
            # A negative idf (only when the average idf is negative, in tiny or
            # degenerate corpora) breaks the bounds MaxScore relies on: add everything.
            for term in terms:
                ids = term.ids - base if base else term.ids
                scores[ids] += term.contributions()
                touched.append(ids)
            candidates = _union(touched, scores.shape[0])
            return _best(candidates, scores[candidates], k, base)

        terms.sort(key=lambda t: (-t.bound, t.ids.shape[0]))
        bounds = [t.bound for t in terms]
        rest = [0.0] * (len(terms) + 1)  # rest[i]: sum of the bounds of terms[i:]
        for i in range(len(terms) - 1, -1, -1):
            rest[i] = rest[i + 1] + bounds[i]

        # Essential terms: read whole, until no document outside them can make the top k.
        threshold = 0.0
        candidates: np.ndarray | None = None
        read = 0
        while read < len(terms):
            term = terms[read]
            ids = term.ids - base if base else term.ids
            scores[ids] += term.contributions()
            touched.append(ids)
            read += 1
            if read == len(terms):
                break
            # Partial scores are at most the sum of the bounds read so far: only
            # look for the k-th best when that could beat what is left.
            if rest[0] - rest[read] <= rest[read]:
                continue
            candidates = _union(touched, scores.shape[0])
            if candidates.shape[0] < k:
                continue
            partial = scores[candidates]
            threshold = _kth_largest(partial, k)
            if threshold > rest[read]:
                break
        if candidates is None or read == len(terms):
            candidates = _union(touched, scores.shape[0])

        # Non-essential terms: only the candidates that can still reach the k-th
        # best score need them; binary search their (sorted) postings.
        for i in range(read, len(terms)):
            partial = scores[candidates]
            slack = 1e-12 * abs(threshold)  # keep borderline ties: float sums differ in order
            keep = partial + rest[i] >= threshold - slack
            candidates = candidates[keep]
            term = terms[i]
            ids = term.ids - base if base else term.ids
            if candidates.shape[0] * _PROBE_RATIO < ids.shape[0]:
                where = np.searchsorted(ids, candidates)
                np.minimum(where, ids.shape[0] - 1, out=where)
                hit = ids[where] == candidates
                scores[candidates[hit]] += term.contributions(where[hit])
            else:
                scores[ids] += term.contributions()
                touched.append(ids)
            if candidates.shape[0] > k:
                threshold = max(threshold, _kth_largest(scores[candidates], k))
        return _best(candidates, scores[candidates], k, base)
    finally:
        total = sum(ids.shape[0] for ids in touched)
        if total * 4 > scores.shape[0]:
            scores.fill(0.0)
        else:
            for ids in touched:
                scores[ids] = 0.0


def _union(lists: list[np.ndarray], width: int) -> np.ndarray:
    """Sorted distinct ids of several ascending id arrays."""
    if len(lists) == 1:
        return lists[0]
    total = sum(ids.shape[0] for ids in lists)
    if total * 8 >= width:
        mark = np.zeros(width, dtype=bool)
        for ids in lists:
            mark[ids] = True
        return np.flatnonzero(mark)
    return np.unique(np.concatenate(lists))


def _kth_largest(values: np.ndarray, k: int) -> float:
    n = values.shape[0]
    return float(np.partition(values, n - k)[n - k])


def _best(
    candidates: np.ndarray, scores: np.ndarray, k: int, base: int
) -> list[tuple[int, float]]:
    """(base + doc, score) of the k best positive scores, ties by doc ascending."""
    positive = scores > 0
    if not positive.all():
        candidates, scores = candidates[positive], scores[positive]
    n = scores.shape[0]
    if n > k:
        kth = np.partition(scores, n - k)[n - k]
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)[: k - above.shape[0]]  # lowest doc ids first
        chosen = np.concatenate((above, tied))
        candidates, scores = candidates[chosen], scores[chosen]
    order = np.lexsort((candidates, -scores))
    docs = (candidates[order] + base).tolist()
    return list(zip(docs, scores[order].tolist(), strict=True))


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
    base = array_
    while base is not None:
        if isinstance(base, mmap.mmap):
            return True
        base = getattr(base, "base", None)
    return False
