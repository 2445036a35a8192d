"""BM25Index: rank-bm25's scores exactly, fast top-k (saving and loading: test_index_format)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi
from support import zipf_corpus, zipf_queries

from bot.index import BM25Index

WORDS = [f"w{i}" for i in range(40)]


def expected_top_k(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    order = np.argsort(-scores, kind="stable")
    return [(int(i), float(scores[i])) for i in order if scores[i] > 0][:k]


def assert_same_top_k(got: list[tuple[int, float]], expected: list[tuple[int, float]]) -> None:
    """Equal lists, except that documents may swap among scores equal within 1e-6."""
    assert len(got) == len(expected)
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-9)
    for (doc, score), (want_doc, want_score) in zip(got, expected, strict=True):
        if doc != want_doc:
            assert abs(score - want_score) <= 1e-6 * max(1.0, abs(want_score))
    assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)


# --- exactness against rank-bm25 --------------------------------------------------------

corpora = st.lists(st.lists(st.sampled_from(WORDS[:12]), max_size=15), min_size=1, max_size=30)
queries = st.lists(st.sampled_from(WORDS[:14]), max_size=8)


@settings(max_examples=150, deadline=None)
@given(docs=corpora, query=queries, k=st.integers(1, 12))
def test_scores_and_top_k_match_rank_bm25_on_random_corpora(docs, query, k):
    if not any(docs):
        return  # rank-bm25 itself cannot index a corpus without a single word
    reference = BM25Okapi(docs)
    index = BM25Index.build(iter(docs))
    expected = reference.get_scores(query)
    got = index.get_scores(query)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=0)
    assert_same_top_k(index.top_k(query, k), expected_top_k(expected, k))


@pytest.mark.parametrize(
    ("k1", "b", "epsilon"), [(1.5, 0.75, 0.25), (1.2, 0.3, 0.5), (2.0, 1.0, 0.1)]
)
def test_scores_match_rank_bm25_for_other_parameters(k1, b, epsilon):
    docs, weights = zipf_corpus(seed=3, n_docs=400, vocabulary=300)
    reference = BM25Okapi(docs, k1=k1, b=b, epsilon=epsilon)
    index = BM25Index.build(iter(docs), k1=k1, b=b, epsilon=epsilon)
    for query in zipf_queries(4, weights, 30):
        expected = reference.get_scores(query)
        np.testing.assert_allclose(index.get_scores(query), expected, rtol=1e-9, atol=0)
        assert_same_top_k(index.top_k(query, 10), expected_top_k(expected, 10))


def test_pruned_top_k_matches_exhaustive_ranking_on_a_zipf_corpus(zipf_index):
    docs, weights, reference, index = zipf_index
    for k in (1, 3, 10, 50):
        for query in zipf_queries(k, weights, 60):
            expected = reference.get_scores(query)
            np.testing.assert_allclose(index.get_scores(query), expected, rtol=1e-9, atol=0)
            assert_same_top_k(index.top_k(query, k), expected_top_k(expected, k))


def test_scores_are_rank_bm25s_bit_for_bit(zipf_index):
    # Contributions are worked out from stored pair codes with rank-bm25's own operations.
    _, weights, reference, index = zipf_index
    for query in zipf_queries(29, weights, 80):
        np.testing.assert_array_equal(index.get_scores(query), reference.get_scores(query))


def test_frequencies_beyond_a_byte_keep_scores_exact_saved_and_loaded(tmp_path):
    docs, weights = zipf_corpus(seed=9, n_docs=300, vocabulary=80)
    docs[5] = docs[5] + ["t3"] * 300  # more than a byte holds
    docs[17] = ["t1"] * 70_000 + ["t50"]  # more than two bytes hold
    docs[40] = docs[40] + ["t3"] * 255  # exactly the largest byte
    reference = BM25Okapi(docs)
    built = BM25Index.build(iter(docs))
    built.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    for index in (built, loaded):
        ids, tf = index.frequencies("t1")
        assert int(tf[ids.tolist().index(17)]) == 70_000
        ids, tf = index.frequencies("t3")
        assert int(tf[ids.tolist().index(5)]) == docs[5].count("t3") > 300
        for query in [["t3"], ["t1", "t3"], ["t50", "t1", "t1"]] + zipf_queries(2, weights, 30):
            expected = reference.get_scores(query)
            np.testing.assert_array_equal(index.get_scores(query), expected)
            assert_same_top_k(index.top_k(query, 5), expected_top_k(expected, 5))


def test_more_pairs_than_two_bytes_number_get_wider_codes_and_stay_exact(tmp_path):
    # Each document of length L holds terms occurring 1, 2, ..., m times: m (tf, L) pairs
    # of its own, over 65,535 in all, so pair codes take 4 bytes instead of 2.
    docs = []
    for length in range(800, 2300):
        doc, tf = [], 1
        while len(doc) + tf <= length:
            doc += [f"x{tf}"] * tf
            tf += 1
        docs.append(doc + ["rest"] * (length - len(doc)))
    reference = BM25Okapi(docs)
    index = BM25Index.build(iter(docs))
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert loaded.arrays()["codes"].dtype == np.uint32
    assert loaded.arrays()["pair_tf"].shape[0] >= 1 << 16
    for query in (["x1"], ["x40", "rest"], ["x60", "x2", "x2"], ["rest", "x7", "x63"]):
        expected = reference.get_scores(query)
        for searched in (index, loaded):
            np.testing.assert_array_equal(searched.get_scores(query), expected)
            assert_same_top_k(searched.top_k(query, 5), expected_top_k(expected, 5))


@pytest.mark.parametrize(("k1", "b"), [(1.5, 1.0), (0.0, 0.75)])
def test_a_zero_length_normaliser_leaves_absent_terms_at_zero(k1, b):
    # b = 1 gives an empty document a length normaliser of 0, k1 = 0 every document:
    # where a term is absent it must add 0, not rank-bm25's 0/0 (nan).
    docs = [[], ["a", "b"], [], ["b", "b", "c"], [], ["a", "c", "c"], ["b"], []]
    reference = BM25Okapi(docs, k1=k1, b=b)
    index = BM25Index.build(iter(docs), k1=k1, b=b)
    for query in (["a", "b"], ["b", "c"], ["c", "a", "b"], ["b", "b", "a"]):
        with np.errstate(invalid="ignore"):
            theirs = reference.get_scores(query)
        ours = index.get_scores(query)
        defined = ~np.isnan(theirs)
        np.testing.assert_array_equal(ours[defined], theirs[defined])
        assert not np.isnan(ours).any()
        assert_same_top_k(index.top_k(query, 3), expected_top_k(ours, 3))


def test_idf_and_doc_freq_match_rank_bm25(zipf_index):
    docs, _, reference, index = zipf_index
    assert index.n_docs == len(docs)
    assert index.vocabulary_size == len(reference.idf)
    doc_sets = [set(d) for d in docs]
    for term, idf in list(reference.idf.items())[:300]:
        assert index.idf(term) == idf  # same operations, same order: bit for bit
        assert index.doc_freq(term) == sum(term in d for d in doc_sets)
    assert index.idf("never-seen") is None
    assert index.doc_freq("never-seen") == 0


def test_term_in_every_document_gets_the_epsilon_floor_of_the_average_idf():
    docs = [["common", "a"], ["common", "b"], ["common", "c", "c"], ["common"]]
    reference = BM25Okapi(docs)
    index = BM25Index.build(iter(docs))
    assert index.idf("common") == pytest.approx(reference.idf["common"], rel=1e-12)
    assert index.idf("common") == pytest.approx(0.25 * reference.average_idf, rel=1e-12)
    np.testing.assert_allclose(index.get_scores(["common"]), reference.get_scores(["common"]))
    assert [d for d, _ in index.top_k(["common"], 4)] == [3, 0, 1, 2]


def test_negative_average_idf_gives_negative_scores_that_top_k_leaves_out():
    docs = [["x", "y"], ["x", "y"], ["x", "y", "z"]]
    reference = BM25Okapi(docs)
    assert reference.average_idf < 0  # the floor itself is negative
    index = BM25Index.build(iter(docs))
    for query in (["x"], ["x", "z"], ["z"], ["z", "z", "x"]):
        expected = reference.get_scores(query)
        np.testing.assert_allclose(index.get_scores(query), expected, rtol=1e-9)
        assert_same_top_k(index.top_k(query, 3), expected_top_k(expected, 3))


def test_repeated_query_terms_count_again_and_unknown_terms_add_nothing():
    docs, weights = zipf_corpus(seed=5, n_docs=200, vocabulary=100)
    reference = BM25Okapi(docs)
    index = BM25Index.build(iter(docs))
    query = ["t5", "t5", "t40", "unknown", "t5", "t1", "t1"]
    expected = reference.get_scores(query)
    np.testing.assert_allclose(index.get_scores(query), expected, rtol=1e-9)
    assert_same_top_k(index.top_k(query, 7), expected_top_k(expected, 7))
    np.testing.assert_array_equal(index.get_scores(["unknown"]), np.zeros(200))
    assert index.top_k(["unknown", "other"], 5) == []


def test_empty_query_scores_zero_and_finds_nothing(zipf_index):
    _, _, _, index = zipf_index
    np.testing.assert_array_equal(index.get_scores([]), np.zeros(index.n_docs))
    assert index.top_k([], 10) == []
    assert index.top_k(["t1"], 0) == []


def test_empty_documents_and_a_single_document_corpus():
    docs = [[], ["a", "b"], [], ["b", "b", "c"], []]
    reference = BM25Okapi(docs)
    index = BM25Index.build(iter(docs))
    for query in (["a"], ["b"], ["c", "a"], ["b", "b"]):
        np.testing.assert_allclose(index.get_scores(query), reference.get_scores(query))
    single = BM25Index.build(iter([["only", "one", "one"]]))
    one = BM25Okapi([["only", "one", "one"]])
    np.testing.assert_allclose(single.get_scores(["one", "only"]), one.get_scores(["one", "only"]))
    # In a corpus of one document every term is in every document: negative idf,
    # floored at a negative epsilon * average idf, so nothing scores above zero.
    assert one.get_scores(["one"])[0] < 0
    assert single.top_k(["one"], 3) == []


def test_corpus_without_words_builds_an_index_that_finds_nothing():
    index = BM25Index.build(iter([[], []]))
    assert (index.n_docs, index.vocabulary_size) == (2, 0)
    assert index.top_k(["a"], 3) == []
    np.testing.assert_array_equal(index.get_scores(["a"]), np.zeros(2))
    empty = BM25Index.build(iter([]))
    assert empty.n_docs == 0 and empty.top_k(["a"], 3) == []


def test_build_streams_documents_once_and_reports_progress(monkeypatch):
    monkeypatch.setattr("bot.index._bm25.PROGRESS_EVERY", 100)
    seen: list[int] = []
    consumed = 0

    def documents():
        nonlocal consumed
        for i in range(250):
            consumed += 1
            yield ["w", f"d{i % 7}"]

    index = BM25Index.build(documents(), progress=seen.append)
    assert consumed == 250 and index.n_docs == 250
    assert seen == [100, 200, 250]


def test_ties_are_broken_by_document_index():
    filler = [[f"f{i}", f"g{i}"] for i in range(8)]
    docs = filler[:2] + [["a", "x"]] + filler[2:5] + [["a", "y"]] + filler[5:] + [["a", "z"]]
    index = BM25Index.build(iter(docs))
    hits = index.top_k(["a"], 2)
    assert [doc for doc, _ in hits] == [2, 6]
    assert hits[0][1] == hits[1][1] > 0
    assert [doc for doc, _ in index.top_k(["a", "z"], 3)] == [10, 2, 6]


def test_top_k_is_exact_on_a_corpus_large_enough_for_sampled_cuts():
    # 70,000 short documents: frequent terms take the dense-column path and the
    # top-k cut over the whole range is bounded by a strided sample first.
    rng = np.random.default_rng(17)
    vocabulary = 300
    weights = 1.0 / np.arange(1, vocabulary + 1) ** 1.1
    weights /= weights.sum()
    tokens = rng.choice(vocabulary, size=70_000 * 3, p=weights).reshape(70_000, 3)
    docs = [[f"t{t}" for t in row] for row in tokens.tolist()]
    reference = BM25Okapi(docs)
    index = BM25Index.build(iter(docs))
    for query in (["t0"], ["t0", "t1"], ["t1", "t2", "t3"], ["t0", "t250"], ["t5", "t5", "t40"]):
        expected = reference.get_scores(query)
        for k in (1, 10, 100):
            assert_same_top_k(index.top_k(query, k), expected_top_k(expected, k))
        got = index.top_k(query, 10, doc_range=(1000, 69_000))
        want = [(1000 + d, s) for d, s in expected_top_k(expected[1000:69_000], 10)]
        assert_same_top_k(got, want)


def test_top_positions_matches_a_stable_sort_with_many_ties():
    from bot.index._selection import top_positions as _top_positions

    rng = np.random.default_rng(3)
    for n, distinct in ((200_000, 50), (100_000, 100_000), (70_000, 3), (1000, 10)):
        values = rng.integers(0, distinct, size=n).astype(np.float64)
        for k in (1, 7, 100):
            got = _top_positions(values, k)
            want = np.argsort(-values, kind="stable")[:k]
            assert sorted(got.tolist()) == sorted(want.tolist())


# --- doc_range ------------------------------------------------------------------------


@pytest.mark.parametrize("doc_range", [(0, 3000), (100, 220), (2990, 3000), (0, 1), (500, 2900)])
def test_doc_range_restricts_the_search_to_those_documents(zipf_index, doc_range):
    _, weights, reference, index = zipf_index
    start, end = doc_range
    for query in zipf_queries(11, weights, 40):
        scores = reference.get_scores(query)
        expected = [(start + d, s) for d, s in expected_top_k(scores[start:end], 5)]
        got = index.top_k(query, 5, doc_range=doc_range)
        assert all(start <= d < end for d, _ in got)
        assert_same_top_k(got, expected)


def test_empty_or_out_of_bounds_doc_range_finds_nothing(zipf_index):
    _, _, _, index = zipf_index
    assert index.top_k(["t1", "t2"], 5, doc_range=(10, 10)) == []
    assert index.top_k(["t1", "t2"], 5, doc_range=(5000, 6000)) == []
    assert index.top_k(["t1"], 5, doc_range=(-5, 3)) == index.top_k(["t1"], 5, doc_range=(0, 3))


# --- concurrency ----------------------------------------------------------------------


def test_concurrent_searches_return_what_a_single_thread_returns(zipf_index):
    _, weights, _, index = zipf_index
    queries_ = zipf_queries(21, weights, 80)
    expected = [index.top_k(q, 10) for q in queries_]
    failures: list[str] = []

    def worker(offset: int) -> None:
        for round_ in range(3):
            for i in range(len(queries_)):
                j = (i + offset + round_) % len(queries_)
                if index.top_k(queries_[j], 10) != expected[j]:
                    failures.append(f"query {j}")

    threads = [threading.Thread(target=worker, args=(n * 7,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# --- saving and loading -----------------------------------------------------------------


def test_postings_list_the_documents_holding_a_term_in_order() -> None:
    docs = [["a", "b"], ["b"], ["c", "b", "b"], [], ["a"]]
    index = BM25Index.build(docs)
    assert index.postings("b").tolist() == [0, 1, 2]
    assert index.postings("a").tolist() == [0, 4]
    assert index.postings("unknown").tolist() == []
    assert all(index.postings(t).shape[0] == index.doc_freq(t) for t in "abc")
