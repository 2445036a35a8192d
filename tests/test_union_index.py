"""The shared index plus a server's small one score as rank-bm25's BM25Okapi over the union."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from bot.index import BM25Index, Removed, SmallIndex, UnionIndex

RELATIVE = 1e-12


def _collection(rng: random.Random, n_docs: int, words: Sequence[str]) -> list[list[str]]:
    # Zipf-like draws: some words in most documents (negative idf), many rare ones.
    weights = [1 / (rank + 1) for rank in range(len(words))]
    return [rng.choices(words, weights, k=rng.randint(1, 40)) for _ in range(n_docs)]


def _union(shared: list[list[str]], small: list[list[str]], **params: float) -> UnionIndex:
    return UnionIndex(BM25Index.build(shared, **params), SmallIndex(small))


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


def _removing(
    shared: list[list[str]], small: list[list[str]], removed: Sequence[int]
) -> UnionIndex:
    index = BM25Index.build(shared)

    def terms_of(ids: Sequence[int]):
        return (list(shared[i]) for i in ids)

    return UnionIndex(index, SmallIndex(small), Removed.of(index, removed, terms_of))


@pytest.mark.parametrize("seed", range(10))
def test_removed_shared_documents_leave_the_collection_as_if_never_indexed(seed: int):
    # The shared library after articles were removed and added since its index was built.
    rng = random.Random(100 + seed)
    words = [f"w{i}" for i in range(rng.randint(5, 200))]
    shared = _collection(rng, rng.randint(2, 300), words)
    removed = sorted(rng.sample(range(len(shared)), rng.randint(1, len(shared) - 1)))
    small = _collection(rng, rng.randint(0, 20), words + ["new"])
    union = _removing(shared, small, removed)
    kept = [doc for number, doc in enumerate(shared) if number not in set(removed)]
    reference = BM25Okapi(kept + small)

    assert union.n_docs == len(kept) + len(small)
    assert union.vocabulary_size == len(reference.idf)
    for _ in range(20):
        query = rng.choices(words + ["new", "absent"], k=rng.randint(1, 8))
        _assert_close(union.get_scores(query), reference.get_scores(query))
        want = reference.get_scores(query)
        top = union.top_k(query, 5)
        assert [score for _, score in top] == pytest.approx(
            sorted((s for s in want if s > 0), reverse=True)[:5], rel=RELATIVE
        )
        assert all(want[doc] == pytest.approx(score, rel=RELATIVE) for doc, score in top)
    for word in set(words):
        held = [n for n, doc in enumerate(kept + small) if word in doc]
        assert union.postings(word).tolist() == held
        assert union.doc_freq(word) == len(held)
    assert union.average_idf() == pytest.approx(reference.average_idf, rel=RELATIVE)


def test_a_range_search_maps_the_library_ids_around_removed_documents():
    shared = [["a", "x"], ["a"], ["b", "a"], ["a", "a", "c"], ["d"], ["a", "e"]]
    union = _removing(shared, [["a", "f"]], [1, 4])
    reference = BM25Okapi([shared[0], shared[2], shared[3], shared[5], ["a", "f"]])
    want = reference.get_scores(["a", "x", "c", "f"])
    for start, end in ((0, 5), (1, 3), (2, 5), (4, 5), (3, 4)):
        hits = union.top_k(["a", "x", "c", "f"], 10, doc_range=(start, end))
        assert sorted(doc for doc, _ in hits) == [d for d in range(start, end) if want[d] > 0]
        for doc, score in hits:
            assert score == pytest.approx(want[doc], rel=RELATIVE)


def test_removed_terms_that_do_not_match_the_index_are_refused():
    index = BM25Index.build([["a", "b"], ["c"]])
    with pytest.raises(ValueError, match="do not match"):
        Removed.of(index, [0], lambda ids: iter([["a"]]))


def test_a_server_joins_a_shared_library_that_changed_since_its_index():
    shared = [["a", "b"], ["b", "c"], ["c", "d", "d"], ["e"]]
    union = _removing(shared, [["f", "a"]], [2]).joined([["g", "b", "b"]])
    reference = BM25Okapi([shared[0], shared[1], shared[3], ["f", "a"], ["g", "b", "b"]])
    for query in (["b"], ["d", "a"], ["g", "f", "c"]):
        _assert_close(union.get_scores(query), reference.get_scores(query))


@pytest.mark.parametrize("seed", range(8))
def test_the_top_k_found_from_the_shared_index_own_top_k_is_the_exact_one(seed: int):
    # Many shared documents, a few added and removed: the bounded search answers, exactly.
    rng = random.Random(500 + seed)
    words = [f"w{i}" for i in range(400)]
    shared = _collection(rng, 2000, words)
    removed = sorted(rng.sample(range(len(shared)), 30))
    small = _collection(rng, 15, words + ["new"])
    union = _removing(shared, small, removed)
    kept = [doc for number, doc in enumerate(shared) if number not in set(removed)]
    reference = BM25Okapi(kept + small)
    bounded = 0
    for _ in range(30):
        query = rng.choices(words[50:] + ["new"], k=rng.randint(1, 5))
        scores = reference.get_scores(query)
        order = sorted(range(len(scores)), key=lambda d: (-scores[d], d))
        expected = [d for d in order if scores[d] > 0][:10]
        found = union._top_k_pruned(query, 10)
        bounded += found is not None
        for hits in (union.top_k(query, 10), found or union.top_k(query, 10)):
            assert [doc for doc, _ in hits] == expected
            assert [s for _, s in hits] == pytest.approx(
                [scores[d] for d in expected], rel=RELATIVE
            )
    assert bounded > 0


@pytest.mark.parametrize("seed", range(4))
def test_hundreds_of_identical_passages_are_ranked_exactly_by_the_pruned_search(seed: int):
    # A library holding each passage many times (copies of the same articles): the top k
    # is all ties, ordered by position, and the pruned search still answers alone.
    rng = random.Random(900 + seed)
    words = [f"w{i}" for i in range(120)]
    originals = _collection(rng, 40, words)
    shared = [list(doc) for _ in range(60) for doc in originals]
    small = _collection(rng, 6, words + ["new"])
    union = _removing(shared, small, sorted(rng.sample(range(len(shared)), 25)))
    kept = [doc for number, doc in enumerate(shared) if number not in set(union.removed.ids)]
    reference = BM25Okapi(kept + small)
    for _ in range(15):
        query = rng.choices(words[20:] + ["new"], k=rng.randint(1, 5))
        scores = reference.get_scores(query)
        expected = sorted(
            (d for d in range(len(scores)) if scores[d] > 0), key=lambda d: (-scores[d], d)
        )
        found = union._top_k_pruned(query, 30)
        assert found is not None
        assert [doc for doc, _ in found] == expected[:30]
        assert [s for _, s in found] == pytest.approx(
            [scores[d] for d in expected[:30]], rel=RELATIVE
        )


@pytest.mark.parametrize(("long_server", "b"), [(True, 0.75), (True, 1.0), (False, 0.75)])
def test_a_term_bound_is_at_least_its_every_union_contribution(long_server: bool, b: float):
    # The pruning is exact only if no shared document's union contribution exceeds its
    # term's bound: long server documents raise the average length (and every factor),
    # "half" has idf 0 in the shared index and "most" a negative one there.
    rng = random.Random(11)
    words = [f"w{i}" for i in range(50)]
    shared = [[*doc, "most"] for doc in _collection(rng, 200, words)]
    shared = [[*doc, "half"] if n % 2 else doc for n, doc in enumerate(shared)]
    shared[0] = shared[0] * 3
    length = 400 if long_server else 2
    small = [rng.choices(words, k=length) for _ in range(30)]
    union = _union(shared, small, b=b)
    assert union.shared.idf("half") == 0.0
    for term in [*words, "half", "most"]:
        idf = union.idf(term)
        tid, ids, codes = union.shared.coded_postings(term)
        if idf is None or idf <= 0:
            continue
        contributions = union.get_scores([term])[: len(shared)]
        assert union._bound(term, tid, idf, codes) >= contributions.max()
