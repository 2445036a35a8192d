"""The shared index plus a server's small one score as rank-bm25's BM25Okapi over the union."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from bot.index import BM25Index, SmallIndex, UnionIndex

RELATIVE = 1e-12


def _collection(rng: random.Random, n_docs: int, words: Sequence[str]) -> list[list[str]]:
    # Zipf-like draws: some words in most documents (negative idf), many rare ones.
    weights = [1 / (rank + 1) for rank in range(len(words))]
    return [rng.choices(words, weights, k=rng.randint(1, 40)) for _ in range(n_docs)]


def _union(shared: list[list[str]], small: list[list[str]], **params: float) -> UnionIndex:
    index = BM25Index.build(shared, **params)

    def terms_of(ids: Sequence[int]):
        return (list(shared[i]) for i in ids)

    return UnionIndex(index, SmallIndex(small), terms_of)


def _assert_close(ours: np.ndarray, theirs: np.ndarray) -> None:
    theirs = np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape
    scale = np.maximum(np.abs(theirs), 1e-300)
    worst = float(np.max(np.abs(ours - theirs) / scale)) if ours.size else 0.0
    assert worst <= RELATIVE, worst


@pytest.mark.parametrize("seed", range(12))
def test_scores_over_shared_and_server_match_bm25okapi_on_the_union(seed: int):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(rng.randint(5, 300))]
    shared = _collection(rng, rng.randint(1, 400), words)
    extra = words + [f"new{i}" for i in range(20)]  # the server brings words of its own
    small = _collection(rng, rng.randint(1, 30), extra)
    union = _union(shared, small)
    reference = BM25Okapi(shared + small)

    for _ in range(20):
        query = rng.choices(extra + ["absent"], k=rng.randint(1, 8))  # repeats count twice
        _assert_close(union.get_scores(query), reference.get_scores(query))
    assert union.average_idf() == pytest.approx(reference.average_idf, rel=RELATIVE)
    for word in reference.idf:
        assert union.idf(word) == pytest.approx(reference.idf.get(word), rel=RELATIVE)


@pytest.mark.parametrize(
    ("k1", "b", "epsilon"), [(0.5, 0.75, 0.25), (1.2, 0.0, 0.5), (2.0, 1.0, 0.0)]
)
def test_other_bm25_parameters_stay_exact(k1: float, b: float, epsilon: float):
    rng = random.Random(7)
    words = [f"w{i}" for i in range(60)]
    shared, small = _collection(rng, 150, words), _collection(rng, 12, words)
    union = _union(shared, small, k1=k1, b=b, epsilon=epsilon)
    reference = BM25Okapi(shared + small, k1=k1, b=b, epsilon=epsilon)
    for _ in range(30):
        query = rng.choices(words, k=rng.randint(1, 6))
        _assert_close(union.get_scores(query), reference.get_scores(query))


def test_a_term_whose_shared_idf_is_zero_is_counted_again_and_stays_exact():
    # "half" is in exactly half the shared documents: its shared idf is 0, so its stored
    # weights are all 0 and say nothing of how often it occurs.
    shared = [["half", "half", "a"], ["b", "c"], ["half", "d"], ["e"]]
    small = [["half", "f", "f"], ["g"]]
    union = _union(shared, small)
    assert union.shared.idf("half") == 0.0
    reference = BM25Okapi(shared + small)
    for query in (["half"], ["half", "f"], ["a", "half", "half"]):
        _assert_close(union.get_scores(query), reference.get_scores(query))


def test_top_k_ranks_the_union_as_bm25okapi_does_with_ties_by_position():
    rng = random.Random(3)
    words = [f"w{i}" for i in range(40)]
    shared, small = _collection(rng, 300, words), _collection(rng, 20, words)
    union = _union(shared, small)
    reference = BM25Okapi(shared + small)
    for _ in range(20):
        query = rng.choices(words, k=3)
        scores = np.asarray(reference.get_scores(query))
        order = sorted(
            (i for i in range(len(scores)) if scores[i] > 0), key=lambda i: (-scores[i], i)
        )
        hits = union.top_k(query, 10)
        assert [h.doc for h in hits] == order[:10]


def test_a_passage_range_reaches_into_the_server_part_and_postings_are_numbered_on():
    shared = [["alpha", "beta"], ["beta"], ["gamma"]]
    small = [["alpha"], ["delta", "alpha"]]
    union = _union(shared, small)
    assert union.postings("alpha").tolist() == [0, 3, 4]
    assert union.doc_freq("alpha") == 3
    assert union.n_docs == 5
    hits = union.top_k(["alpha", "delta"], 5, doc_range=(3, 5))
    assert [h.doc for h in hits] == [4, 3]
    assert union.top_k(["alpha"], 5, doc_range=(0, 1))[0].doc == 0
