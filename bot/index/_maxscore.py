"""MaxScore: the top k of a query reading as few postings as exactness allows.

The terms without a dense column are read whole, rarest first; after each, the
k-th best exact score of the best candidates is a lower bound of the final k-th
best. Once the upper bounds of the terms not read add up to less than that, only
the candidates can make the top k, and the other terms are looked up for them alone.
"""

from __future__ import annotations

import numpy as np

from bot.index._scoring import contributions
from bot.index._selection import Hit, best, kth_largest, top_positions

#: A term is looked up by binary search for the candidates when its postings are at
#: least this many times longer than the candidate list; otherwise it is read whole.
_PROBE_RATIO = 12
#: A term's contributions are worked out for all its postings at once unless fewer
#: than 1/_FEW of them are asked for.
_FEW = 8
#: Relative margin on pruning decisions: sums taken in another order may differ in
#: the last bits, and pruning must never drop a document that could tie.
_SLACK = 1e-9
#: Candidates up to this many are all scored exactly to set the pruning threshold;
#: above, those with the best partial scores (_THRESHOLD_SAMPLE of them).
_EXACT_ALL = 4096
_THRESHOLD_SAMPLE = 1024


class CodedColumn:
    """A frequent term's contributions to every document, worked out from its dense
    column of pair codes where read: for statistics other than the index's own (a
    union's), whose contributions the index does not keep worked out."""

    __slots__ = ("codes", "idf", "unit")

    def __init__(self, codes: np.ndarray, idf: float, unit: np.ndarray) -> None:
        self.codes = codes
        self.idf = idf
        self.unit = unit

    def __getitem__(self, where: np.ndarray | slice) -> np.ndarray:
        return contributions(self.idf, self.codes[where], self.unit)


class Term:
    """One query term: postings (possibly restricted to a range) with the pair code of
    each (`_scoring`), its idf, upper bound and, for a frequent term, its dense column
    of contributions (same coordinates; worked out or `CodedColumn`); `unit` is the
    factor of each pair code."""

    __slots__ = ("ids", "codes", "idf", "count", "bound", "df", "unit", "column", "_weights")

    def __init__(
        self,
        ids: np.ndarray,
        codes: np.ndarray,
        idf: float,
        count: int,
        bound: float,
        unit: np.ndarray,
        column: np.ndarray | CodedColumn | None = None,
    ) -> None:
        self.ids = ids
        self.codes = codes
        self.idf = idf
        self.count = count
        self.bound = bound
        self.df = ids.shape[0]
        self.unit = unit
        self.column = column
        self._weights: np.ndarray | None = None

    def contributions(self, selection: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The term's contributions (times its count) to its postings, or to a selection
        of them: all are worked out once for the query unless a few are asked for."""
        weights = self._weights
        if weights is None:
            if isinstance(selection, np.ndarray) and selection.shape[0] * _FEW < self.df:
                w = contributions(self.idf, self.codes[selection], self.unit)
                return w * self.count if self.count != 1 else w
            weights = contributions(self.idf, self.codes, self.unit)
            if self.count != 1:
                weights *= self.count
            self._weights = weights
        return weights[selection]

    def add_all(self, scores: np.ndarray) -> None:
        np.add.at(scores, self.ids, self.contributions())

    def of(self, docs: np.ndarray) -> np.ndarray:
        """The term's contribution to each of `docs` (sorted), 0 where absent."""
        if self.column is not None:
            values: np.ndarray = self.column[docs]
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


def search(
    terms: list[Term], k: int, scores: np.ndarray, negative: bool, lo: int, hi: int
) -> list[Hit]:
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
            return best(every, scores[every], k)
        if len(terms) == 1:
            term = terms[0]
            return best(term.ids, term.contributions(), k)
        return _max_score(terms, k, scores, touched, lo, hi)
    finally:
        total_touched = sum(ids.shape[0] for ids in touched)
        if total_touched * 4 > width:
            scores.fill(0.0)
        else:
            for ids in touched:
                scores[ids] = 0.0


def _max_score(
    terms: list[Term], k: int, scores: np.ndarray, touched: list[np.ndarray], lo: int, hi: int
) -> list[Hit]:
    """`search` for two terms or more, none with a negative idf; `touched` collects the
    ids written in `scores`."""
    width = scores.shape[0]
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
            return best(every, scores[every], k)
        return _add_dense_whole(dense, k, scores, bool(touched), lo, hi)
    assert candidates is not None  # stopping early needs candidates
    remaining = sorted(sparse[read:] + dense, key=lambda t: -t.bound)
    return _finish(candidates, remaining, k, scores, touched, rest[read], threshold)


def _add_dense_whole(
    dense: list[Term], k: int, scores: np.ndarray, partial: bool, lo: int, hi: int
) -> list[Hit]:
    """Top k when pruning never stopped: the dense columns added whole over the range
    (to the partial scores in `scores` when `partial`)."""
    total: np.ndarray | None = scores[lo:hi].copy() if partial else None
    for term in dense:
        assert term.column is not None  # dense terms carry their column
        part = term.column[lo:hi]
        if term.count != 1:
            part = part * term.count
        total = part.copy() if total is None else np.add(total, part, out=total)
    assert total is not None  # there is at least one dense term here
    hits = best(None, total, k)
    return [Hit(doc + lo, score) for doc, score in hits] if lo else hits


def _finish(
    candidates: np.ndarray,
    remaining: list[Term],
    k: int,
    scores: np.ndarray,
    touched: list[np.ndarray],
    bound_left: float,
    threshold: float,
) -> list[Hit]:
    """Only candidates can make the top k: finish their scores with the `remaining`
    terms, dropping on the way those that cannot reach the threshold even with every
    term left."""
    floor = threshold * (1 - _SLACK)
    candidates = candidates[scores[candidates] + bound_left >= floor]
    for term in remaining:
        if term.add_to(scores, candidates):
            touched.append(term.ids)
        bound_left -= term.bound
        partial = scores[candidates]
        if candidates.shape[0] > k and candidates.shape[0] <= _EXACT_ALL:
            floor = max(floor, kth_largest(partial, k) * (1 - _SLACK))
        if bound_left > 0:
            candidates = candidates[partial + bound_left >= floor]
    return best(candidates, scores[candidates], k)


def _exact_kth(candidates: np.ndarray, scores: np.ndarray, others: list[Term], k: int) -> float:
    """A lower bound of the final k-th best score: the k-th best exact score among
    the candidates (or those with the best partial scores; `scores` holds partial
    scores, `others` are the terms not yet in them)."""
    partial = scores[candidates]
    n = partial.shape[0]
    if n > _EXACT_ALL:
        chosen = top_positions(partial, max(_THRESHOLD_SAMPLE, 4 * k))
        docs, exact = candidates[chosen], partial[chosen]
    else:
        docs, exact = candidates, partial
    for term in others:
        exact = exact + term.of(docs)
    return kth_largest(exact, k)


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
