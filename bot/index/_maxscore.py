"""MaxScore: the top k of a query reading as few postings as exactness allows.

The terms without a dense column are read whole, rarest first; after each, the
k-th best exact score of the best candidates is a lower bound of the final k-th
best. Once the upper bounds of the terms not read add up to less than that, only
the candidates can make the top k, and the other terms are looked up for them alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

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
#: A term's contributions to documents are read through a zero buffer (written, read,
#: cleared) rather than by binary search when the documents are at least 1/_SPREAD
#: of its postings: three passes over memory instead of a search per document.
_SPREAD = 3


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

    def of(self, docs: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
        """The term's contribution to each of `docs` (sorted), 0 where absent; `scratch`
        is an all-zero buffer as wide as the scores (left all zero), if there is one."""
        if self.column is not None:
            values: np.ndarray = self.column[docs]
            return values * self.count if self.count != 1 else values
        if scratch is not None and self.df and docs.shape[0] * _SPREAD >= self.df:
            scratch[self.ids] = self.contributions()
            values = scratch[docs]
            scratch[self.ids] = 0.0
            return values
        out = np.zeros(docs.shape[0], dtype=np.float64)
        if self.df == 0 or docs.shape[0] == 0:
            return out
        where = self.ids.searchsorted(docs)
        np.minimum(where, self.df - 1, out=where)
        hit = self.ids[where] == docs
        out[hit] = self.contributions(where[hit])
        return out

    def add_to(
        self, scores: np.ndarray, docs: np.ndarray, scratch: np.ndarray | None = None
    ) -> bool:
        """Add the term's contribution to `docs` (sorted) in `scores`, looking the
        documents up, or adding the whole term when that is cheaper (returns True:
        other documents were written too)."""
        if self.column is not None or docs.shape[0] * _PROBE_RATIO < self.df:
            scores[docs] += self.of(docs, scratch)
            return False
        self.add_all(scores)
        return True


class Spare(NamedTuple):
    """Two more all-zero buffers as wide as the scores, which a search leaves all zero:
    one to read a term's contributions through (`Term.of`), one to sum the terms
    without a dense column in whole (`_Work.whole`)."""

    spread: np.ndarray
    whole: np.ndarray


@dataclass
class _Work:
    """What one search writes in, and what it wrote (to zero it again)."""

    scores: np.ndarray
    spare: Spare | None
    touched: list[np.ndarray] = field(default_factory=list)  # ids written in `scores`
    sparse: list[Term] = field(default_factory=list)  # the terms without a dense column
    summed: list[np.ndarray] = field(default_factory=list)  # ids written in `spare.whole`

    @property
    def spread(self) -> np.ndarray | None:
        return None if self.spare is None else self.spare.spread

    def whole(self) -> np.ndarray:
        """`spare.whole` holding the sum of the `sparse` terms' contributions to every
        document, added when first asked for: what bounding the k-th best score reads
        (a candidate's exact score, with the dense columns), once a query."""
        assert self.spare is not None  # only searches with spare buffers ask
        whole = self.spare.whole
        if not self.summed:
            for term in self.sparse:
                term.add_all(whole)
                self.summed.append(term.ids)
        return whole

    def clear(self) -> None:
        """Leave the buffers all zero again."""
        _zero(self.scores, self.touched)
        if self.spare is not None:
            _zero(self.spare.whole, self.summed)


def _zero(buffer: np.ndarray, written: list[np.ndarray]) -> None:
    """Zero `buffer` where `written` (id arrays) say it was written, or whole if that is less work."""
    if sum(ids.shape[0] for ids in written) * 4 > buffer.shape[0]:
        buffer.fill(0.0)
    else:
        for ids in written:
            buffer[ids] = 0.0


def search(
    terms: list[Term],
    k: int,
    scores: np.ndarray,
    negative: bool,
    lo: int,
    hi: int,
    spare: Spare | None = None,
) -> list[Hit]:
    """Top k (doc, score) over `terms`, accumulating in `scores` (zero; left zero);
    `spare` buffers, if given, save looking the same documents up again.

    Documents are positions in `scores`; only [lo, hi) may hold matches.

    MaxScore with the essential terms chosen by cost: the terms without a dense
    column are read whole, in order of increasing document frequency. After each,
    the candidates (documents holding a term read so far) are scored exactly (all
    of them, or those with the best partial scores): read from the sum of every
    term added once in a spare buffer, or looked up in the other terms without one;
    their k-th best score ``theta`` is a lower bound of the final k-th best. A document holding none of the terms read scores at most the sum of the
    upper bounds of the others; once that sum is below ``theta`` only candidates
    can make the top k, and the other terms are looked up for those candidates
    that can still reach ``theta``. If that never happens, the dense columns are
    added whole (a vector add each) and the top k taken over the range.
    """
    work = _Work(scores, spare)
    try:
        if negative:
            # A negative idf (only when the average idf is negative, in tiny or
            # degenerate corpora) breaks the bounds pruning relies on: add everything.
            for term in terms:
                term.add_all(scores)
                work.touched.append(term.ids)
            every = _union(work.touched, scores.shape[0])
            return best(every, scores[every], k)
        if len(terms) == 1:
            term = terms[0]
            return best(term.ids, term.contributions(), k)
        return _max_score(terms, k, work, lo, hi)
    finally:
        work.clear()


def _max_score(terms: list[Term], k: int, work: _Work, lo: int, hi: int) -> list[Hit]:
    """`search` for two terms or more, none with a negative idf."""
    scores, touched = work.scores, work.touched
    width = scores.shape[0]
    sparse = sorted((t for t in terms if t.column is None), key=lambda t: (t.df, -t.bound))
    work.sparse = sparse
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
        threshold = max(threshold, _exact_kth(candidates, work, others, k))
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
    return _finish(candidates, remaining, k, work, rest[read], threshold)


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
    work: _Work,
    bound_left: float,
    threshold: float,
) -> list[Hit]:
    """Only candidates can make the top k: finish their scores with the `remaining`
    terms, dropping on the way those that cannot reach the threshold even with every
    term left."""
    scores = work.scores
    floor = threshold * (1 - _SLACK)
    candidates = candidates[scores[candidates] + bound_left >= floor]
    for term in remaining:
        if term.add_to(scores, candidates, work.spread):
            work.touched.append(term.ids)
        bound_left -= term.bound
        partial = scores[candidates]
        if candidates.shape[0] > k and candidates.shape[0] <= _EXACT_ALL:
            floor = max(floor, kth_largest(partial, k) * (1 - _SLACK))
        if bound_left > 0:
            candidates = candidates[partial + bound_left >= floor]
    return best(candidates, scores[candidates], k)


def _exact_kth(candidates: np.ndarray, work: _Work, others: list[Term], k: int) -> float:
    """A lower bound of the final k-th best score: the k-th best exact score among
    the candidates (or those with the best partial scores; `work.scores` holds partial
    scores, `others` are the terms not yet in them)."""
    partial = work.scores[candidates]
    n = partial.shape[0]
    if n > _EXACT_ALL:
        chosen = top_positions(partial, max(_THRESHOLD_SAMPLE, 4 * k))
        docs, exact = candidates[chosen], partial[chosen]
    else:
        docs, exact = candidates, partial
    if work.spare is None:
        for term in others:
            exact = exact + term.of(docs)
        return kth_largest(exact, k)
    # Read where every term without a column was added once (`_Work.whole`), the
    # columns looked up: not each candidate looked up in each term left at every step.
    exact = work.whole()[docs]
    for term in others:
        if term.column is not None:
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
    return distinct(np.concatenate(lists))


def distinct(ids: np.ndarray) -> np.ndarray:
    """The distinct `ids`, ascending: by sorting, which for a few thousand ids is many
    times quicker than `np.unique` (numpy 2 gathers them in a hash table first)."""
    ids = np.sort(ids)
    if ids.shape[0] < 2:
        return ids
    first = np.empty(ids.shape[0], dtype=bool)
    first[0] = True
    np.not_equal(ids[1:], ids[:-1], out=first[1:])
    return ids[first]
