"""BM25Index: rank-bm25's scores exactly, fast top-k, safe save and load."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from bot.index import BM25Index, IndexLoadError, is_memory_mapped

WORDS = [f"w{i}" for i in range(40)]


def zipf_corpus(seed: int, n_docs: int, vocabulary: int = 2000, lo: int = 5, hi: int = 40):
    """Documents whose words follow a Zipf law, like real text (a few very common words)."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, vocabulary + 1) ** 1.1
    weights /= weights.sum()
    lengths = rng.integers(lo, hi + 1, size=n_docs)
    tokens = rng.choice(vocabulary, size=int(lengths.sum()), p=weights)
    docs, at = [], 0
    for length in lengths:
        docs.append([f"t{t}" for t in tokens[at : at + length]])
        at += length
    return docs, weights


def zipf_queries(seed: int, weights: np.ndarray, count: int, lo: int = 1, hi: int = 8):
    rng = np.random.default_rng(seed)
    return [
        [f"t{t}" for t in rng.choice(len(weights), size=int(rng.integers(lo, hi + 1)), p=weights)]
        for _ in range(count)
    ]


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


@pytest.fixture(scope="module")
def zipf_index():
    docs, weights = zipf_corpus(seed=7, n_docs=3000)
    return docs, weights, BM25Okapi(docs), BM25Index.build(iter(docs))


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


@pytest.fixture
def saved(tmp_path: Path, zipf_index) -> tuple[Path, BM25Index]:
    _, _, _, index = zipf_index
    path = tmp_path / "bm25"
    index.save(path)
    return path, index


def test_save_and_load_round_trip_gives_identical_scores(saved, zipf_index):
    path, index = saved
    _, weights, _, _ = zipf_index
    loaded = BM25Index.load(path)
    assert (loaded.n_docs, loaded.vocabulary_size) == (index.n_docs, index.vocabulary_size)
    assert (loaded.k1, loaded.b, loaded.epsilon) == (index.k1, index.b, index.epsilon)
    for query in zipf_queries(13, weights, 40):
        np.testing.assert_array_equal(loaded.get_scores(query), index.get_scores(query))
        assert loaded.top_k(query, 10) == index.top_k(query, 10)
        assert loaded.top_k(query, 3, doc_range=(40, 900)) == index.top_k(
            query, 3, doc_range=(40, 900)
        )
    assert loaded.idf("t3") == index.idf("t3") and loaded.doc_freq("t3") == index.doc_freq("t3")


def test_loaded_arrays_are_memory_mapped_not_copied(saved):
    path, _ = saved
    loaded = BM25Index.load(path)
    for array_ in (loaded._doc_ids, loaded._weights, loaded._offsets, loaded._doc_len):
        assert not array_.flags.owndata
        assert not array_.flags.writeable
        assert is_memory_mapped(array_)


def test_saved_index_is_npy_arrays_and_json_metadata(saved):
    path, index = saved
    names = {p.name for p in path.iterdir()}
    assert {
        "meta.json",
        "vocabulary.json",
        "doc_ids.npy",
        "weights.npy",
        "offsets.npy",
        "dense.npy",
    } <= names
    meta = json.loads((path / "meta.json").read_text())
    assert meta["version"] == 2 and meta["n_docs"] == index.n_docs
    assert (meta["k1"], meta["b"], meta["epsilon"]) == (1.5, 0.75, 0.25)
    assert meta["avgdl"] == pytest.approx(index.avgdl)


def test_saving_over_an_existing_index_replaces_it(tmp_path: Path):
    path = tmp_path / "bm25"
    BM25Index.build(iter([["old", "words"]])).save(path)
    BM25Index.build(iter([["new"], ["words", "new"]])).save(path)
    loaded = BM25Index.load(path)
    assert loaded.n_docs == 2 and loaded.idf("old") is None
    assert [p.name for p in tmp_path.iterdir()] == ["bm25"]  # nothing left beside it


def test_missing_index_raises_index_load_error(tmp_path: Path):
    with pytest.raises(IndexLoadError):
        BM25Index.load(tmp_path / "nothing-here")


@pytest.mark.parametrize(
    "file", ["doc_ids.npy", "weights.npy", "offsets.npy", "meta.json", "vocabulary.json"]
)
def test_missing_file_raises_index_load_error(saved, file):
    path, _ = saved
    (path / file).unlink()
    with pytest.raises(IndexLoadError):
        BM25Index.load(path)


@pytest.mark.parametrize(
    "file", ["doc_ids.npy", "weights.npy", "idf.npy", "dense.npy", "vocabulary.json"]
)
def test_truncated_file_raises_index_load_error(saved, file):
    path, _ = saved
    data = (path / file).read_bytes()
    (path / file).write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexLoadError):
        BM25Index.load(path)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: (p / "meta.json").write_text("{not json"),
        lambda p: (p / "meta.json").write_text("[]"),
        lambda p: _overwrite_keeping_size(p / "vocabulary.json", b"\xff"),
        lambda p: _overwrite_keeping_size(p / "doc_ids.npy", b"garbage!"),
        lambda p: _edit_meta(p, n_terms=5),
        lambda p: _edit_meta(p, n_postings=7),
        lambda p: _edit_meta(p, format="something-else"),
        lambda p: _edit_meta(p, n_dense=0),
    ],
    ids=[
        "meta-not-json",
        "meta-not-object",
        "vocabulary-bytes",
        "npy-header",
        "n-terms",
        "n-postings",
        "format",
        "n-dense",
    ],
)
def test_corrupt_index_raises_index_load_error(saved, damage):
    path, _ = saved
    damage(path)
    with pytest.raises(IndexLoadError):
        BM25Index.load(path)


def test_index_of_another_version_raises_index_load_error(saved):
    path, _ = saved
    _edit_meta(path, version=999)
    with pytest.raises(IndexLoadError, match="version"):
        BM25Index.load(path)


def test_interrupted_save_leaves_the_previous_index_loadable(tmp_path: Path, monkeypatch):
    path = tmp_path / "bm25"
    BM25Index.build(iter([["old"]])).save(path)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # killed while writing the weights

    real_save = np.save

    def save_until_weights(handle, data, **kwargs):
        if Path(handle.name).name == "weights.npy":
            crash()
        real_save(handle, data, **kwargs)

    monkeypatch.setattr("bot.index._format.np.save", save_until_weights)
    with pytest.raises(KeyboardInterrupt):
        BM25Index.build(iter([["new"], ["new", "words"]])).save(path)
    monkeypatch.undo()
    loaded = BM25Index.load(path)
    assert loaded.n_docs == 1 and loaded.idf("old") is not None


def test_temporary_folder_left_by_a_killed_save_is_never_loaded(tmp_path: Path, saved):
    path, index = saved
    # A process killed mid-save leaves its staging folder beside the target, half written.
    staging = path.parent / f".{path.name}.tmp-deadbeef"
    staging.mkdir()
    (staging / "meta.json").write_text((path / "meta.json").read_text())
    (staging / "doc_ids.npy").write_bytes((path / "doc_ids.npy").read_bytes()[:100])
    assert BM25Index.load(path).n_docs == index.n_docs
    with pytest.raises(IndexLoadError):
        BM25Index.load(staging)
    # And with no index saved yet, the staging folder does not stand in for one.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / ".bm25.tmp-0123").mkdir()
    with pytest.raises(IndexLoadError):
        BM25Index.load(fresh / "bm25")


def test_index_load_error_is_a_citebot_error():
    from bot.errors import CitebotError

    assert issubclass(IndexLoadError, CitebotError)


def _edit_meta(path: Path, **changes) -> None:
    meta = json.loads((path / "meta.json").read_text())
    meta.update(changes)
    (path / "meta.json").write_text(json.dumps(meta))


def _overwrite_keeping_size(file: Path, pattern: bytes) -> None:
    size = file.stat().st_size
    file.write_bytes((pattern * (size // len(pattern) + 1))[:size])


def test_postings_list_the_documents_holding_a_term_in_order() -> None:
    docs = [["a", "b"], ["b"], ["c", "b", "b"], [], ["a"]]
    index = BM25Index.build(docs)
    assert index.postings("b").tolist() == [0, 1, 2]
    assert index.postings("a").tolist() == [0, 4]
    assert index.postings("unknown").tolist() == []
    assert all(index.postings(t).shape[0] == index.doc_freq(t) for t in "abc")
