"""The index on disk: what a saved folder holds, loading it back, refusing damaged ones."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support import zipf_queries

from bot.index import BM25Index, IndexLoadError, is_memory_mapped


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
    for array_ in (loaded._doc_ids, loaded._codes, loaded._offsets, loaded._pair_tf, loaded._dense):
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
        "codes.npy",
        "pair_tf.npy",
        "pair_len.npy",
        "offsets.npy",
        "dense.npy",
    } <= names
    meta = json.loads((path / "meta.json").read_text())
    assert meta["version"] == 3 and meta["n_docs"] == index.n_docs
    # A posting takes its document id and a 2-byte pair code, no float64 weight.
    assert np.load(path / "codes.npy", mmap_mode="r").dtype == np.uint16
    assert "weights.npy" not in names
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
    "file",
    ["doc_ids.npy", "codes.npy", "pair_tf.npy", "offsets.npy", "meta.json", "vocabulary.json"],
)
def test_missing_file_raises_index_load_error(saved, file):
    path, _ = saved
    (path / file).unlink()
    with pytest.raises(IndexLoadError):
        BM25Index.load(path)


@pytest.mark.parametrize(
    "file", ["doc_ids.npy", "codes.npy", "idf.npy", "pair_len.npy", "dense.npy", "vocabulary.json"]
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
        lambda p: _edit_meta(p, code_dtype="<u4"),
        lambda p: _edit_meta(p, code_dtype="<f8"),
        lambda p: _edit_meta(p, n_pairs=3),
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
        "code-type",
        "code-not-integers",
        "n-pairs",
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
        raise KeyboardInterrupt  # killed while writing the pair codes

    real_save = np.save

    def save_until_codes(handle, data, **kwargs):
        if Path(handle.name).name == "codes.npy":
            crash()
        real_save(handle, data, **kwargs)

    monkeypatch.setattr("bot.index._format.np.save", save_until_codes)
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
