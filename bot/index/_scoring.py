"""rank-bm25's term contributions, from small codes instead of stored float64 values.

rank-bm25 adds ``idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)))`` for
each query term. The factor after ``idf`` depends only on the term's frequency tf in
the document and the document's length dl, and a corpus holds few distinct
(tf, dl) pairs (a few thousand where it holds tens of millions of postings). So each
posting stores the number of its pair (a ``uint16``, mostly), the index keeps the
pairs, and a table of their factors, worked out with rank-bm25's very operations,
gives a contribution as ``idf * unit[code]``: bit for bit the value rank-bm25 adds,
for 2 bytes a posting instead of 8, and cheaper to read than to compute.

Code 0 stands for "absent" (factor 0), so a dense column of codes needs no mask.
"""

from __future__ import annotations

import numpy as np

#: (tf, dl) pairs are numbered through a presence table of (max tf + 1) * (max dl + 1)
#: flags when it is at most this long; beyond (absurd frequencies or lengths) by sorting.
_DIRECT_PAIRS = 1 << 24


def length_norms(doc_len: np.ndarray, k1: float, b: float, avgdl: float) -> np.ndarray:
    """Each document's ``k1 * (1 - b + b * dl / avgdl)``, operation for operation as rank-bm25."""
    return k1 * (1 - b + b * doc_len.astype(np.int64) / avgdl)


def term_contributions(
    idf: np.ndarray | float, tf: np.ndarray, doc_len: np.ndarray, k1: float, b: float, avgdl: float
) -> np.ndarray:
    """idf * tf*(k1+1) / (tf + k1*(1 - b + b*dl/avgdl)), operation for operation as rank-bm25."""
    return idf * unit_factors(tf, doc_len, k1, b, avgdl)


def unit_factors(
    tf: np.ndarray, doc_len: np.ndarray, k1: float, b: float, avgdl: float
) -> np.ndarray:
    """tf*(k1+1) / (tf + k1*(1 - b + b*dl/avgdl)): what rank-bm25 multiplies idf by."""
    counts = tf.astype(np.int64)
    factors: np.ndarray = counts * (k1 + 1) / (counts + length_norms(doc_len, k1, b, avgdl))
    return factors


def unit_table(
    pair_tf: np.ndarray, pair_len: np.ndarray, k1: float, b: float, avgdl: float
) -> np.ndarray:
    """The factor of each (tf, dl) pair, by code: 0 for code 0 (absent), then the pairs'."""
    table = np.zeros(pair_tf.shape[0] + 1, dtype=np.float64)
    if pair_tf.shape[0]:
        table[1:] = unit_factors(pair_tf, pair_len, k1, b, avgdl)
    return table


def contributions(idf: float, codes: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """A term's contributions where it has these pair codes: ``idf * unit[code]``."""
    value = unit.take(codes)
    value *= idf  # IEEE multiplication commutes: rank-bm25's idf * factor
    return value


def code_type(n_pairs: int) -> type[np.unsignedinteger]:
    """The smallest unsigned type numbering `n_pairs` pairs and code 0."""
    return np.uint16 if n_pairs < 1 << 16 else np.uint32


class PairCoder:
    """Numbers the distinct (tf, dl) pairs of a corpus's postings, seen in chunks.

    `see` every chunk first, then `encode` them (in any order); `pairs` lists the pairs
    by code - 1, ascending by tf then dl.
    """

    def __init__(self, max_tf: int, max_len: int) -> None:
        self._width = max_len + 1
        size = (max_tf + 1) * self._width
        self._present: np.ndarray | None = (
            np.zeros(size, dtype=bool) if size <= _DIRECT_PAIRS else None
        )
        self._seen: list[np.ndarray] = []
        self._keys = np.zeros(0, dtype=np.int64)
        self._rank: np.ndarray | None = None

    def _key(self, tf: np.ndarray, dl: np.ndarray) -> np.ndarray:
        key: np.ndarray = tf.astype(np.int64) * self._width + dl
        return key

    def see(self, tf: np.ndarray, dl: np.ndarray) -> None:
        """Note the pairs of one chunk of postings (their tf and their document's length)."""
        key = self._key(tf, dl)
        if self._present is not None:
            self._present[key] = True
        else:
            self._seen.append(np.unique(key))

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(tf, dl) of every distinct pair seen, by code - 1 (call once, after `see`)."""
        if self._present is not None:
            self._keys = np.flatnonzero(self._present).astype(np.int64)
            self._rank = np.cumsum(self._present, dtype=np.int32)  # code of each key
            self._present = None
        else:
            self._keys = np.unique(np.concatenate(self._seen)) if self._seen else self._keys
            self._seen = []
        tf, dl = np.divmod(self._keys, self._width)
        return tf.astype(np.uint32), dl.astype(np.int32)

    def encode(self, tf: np.ndarray, dl: np.ndarray, dtype: type[np.unsignedinteger]) -> np.ndarray:
        """The codes of one chunk's pairs (1 and up), once `pairs` has been called."""
        key = self._key(tf, dl)
        codes: np.ndarray
        if self._rank is not None:
            codes = self._rank[key]
        else:
            codes = np.searchsorted(self._keys, key) + 1
        return codes.astype(dtype)
