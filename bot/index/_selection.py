"""Top-k selection: the k best documents of a score array, best first, ties by document."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: Size of the strided sample that bounds a top-k cut in long score arrays.
_SAMPLE_FOR_CUT = 8192


class Hit(NamedTuple):
    """One document found by a search: its position in the index and its BM25 score."""

    doc: int
    score: float


def kth_largest(values: np.ndarray, k: int) -> float:
    """The k-th largest of `values` (k <= len(values))."""
    n = values.shape[0]
    return float(np.partition(values, n - k)[n - k])


def top_positions(values: np.ndarray, k: int) -> np.ndarray:
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


def best(candidates: np.ndarray | None, scores: np.ndarray, k: int) -> list[Hit]:
    """(doc, score) of the k best positive scores, best first, ties by doc ascending.

    `candidates` are ascending doc ids aligned with `scores` (None: doc = position).
    """
    chosen = top_positions(scores, k)
    values = scores[chosen]
    docs = chosen if candidates is None else candidates[chosen]
    positive = values > 0
    if not positive.all():
        docs, values = docs[positive], values[positive]
    order = np.lexsort((docs, -values))
    return [
        Hit(doc, score)
        for doc, score in zip(docs[order].tolist(), values[order].tolist(), strict=True)
    ]
