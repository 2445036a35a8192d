"""The on-disk format of a BM25 index: a folder of ``.npy`` arrays, memory-mapped on load.

Beside the arrays, ``meta.json`` holds the parameters, the shapes and the byte size
of every file, and ``vocabulary.json`` the terms in id order; loading checks all of
them, so a truncated or foreign folder is refused rather than half read.
"""

from __future__ import annotations

import json
import mmap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.atomic import staged_folder
from bot.errors import IndexLoadError

if TYPE_CHECKING:
    from bot.index._bm25 import BM25Index

FORMAT = "citebot-bm25"
#: 3: (tf, length) pair codes instead of float64 contributions.
VERSION = 3
META_FILE = "meta.json"
VOCABULARY_FILE = "vocabulary.json"
#: Pair codes are saved as the first of these that numbers every pair (and 0).
CODE_DTYPES = (np.dtype("<u2"), np.dtype("<u4"))
#: name -> dtype of every array file of a saved index (None: one of `CODE_DTYPES`,
#: the same for both, recorded in meta.json).
ARRAY_FILES: dict[str, np.dtype[Any] | None] = {
    "offsets": np.dtype("<i8"),  # n_terms + 1: postings of term t are [offsets[t], offsets[t+1])
    "doc_ids": np.dtype("<i4"),  # n_postings, ascending within a term
    "codes": None,  # n_postings: code of the (tf, length) pair of the term in that document
    "idf": np.dtype("<f8"),  # n_terms, after the epsilon floor
    "max_weight": np.dtype("<f8"),  # n_terms: largest contribution of the term (its upper bound)
    "doc_len": np.dtype("<i4"),  # n_docs
    "pair_tf": np.dtype("<u4"),  # n_pairs: term frequency of the pair of code i + 1
    "pair_len": np.dtype("<i4"),  # n_pairs: document length of the pair of code i + 1
    "dense_terms": np.dtype("<i4"),  # n_dense: the terms in at least 1/4 of the documents
    "dense": None,  # (n_dense, n_docs): their pair code in every document (0: absent)
}


def save(index: BM25Index, path: Path) -> None:
    """Write `index` to the folder `path`, replacing whatever is there in one rename."""
    arrays = index.arrays()
    code_dtype = arrays["codes"].dtype.newbyteorder("<")
    with staged_folder(path) as staging:
        files = {}
        for name, data in arrays.items():
            target = staging / f"{name}.npy"
            dtype = ARRAY_FILES[name] or code_dtype
            with open(target, "wb") as handle:
                np.save(handle, np.asarray(data, dtype=dtype), allow_pickle=False)
            files[name] = {"shape": list(data.shape), "bytes": target.stat().st_size}
        (staging / VOCABULARY_FILE).write_text(json.dumps(index.vocabulary), encoding="utf-8")
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "k1": index.k1,
            "b": index.b,
            "epsilon": index.epsilon,
            "n_docs": index.n_docs,
            "n_terms": index.vocabulary_size,
            "n_postings": int(arrays["doc_ids"].shape[0]),
            "n_dense": int(arrays["dense_terms"].shape[0]),
            "n_pairs": int(arrays["pair_tf"].shape[0]),
            "code_dtype": code_dtype.str,
            "avgdl": index.avgdl,
            "average_idf": index.average_idf,
            "vocabulary_bytes": (staging / VOCABULARY_FILE).stat().st_size,
            "files": files,
        }
        (staging / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")


def read(path: Path) -> dict[str, Any]:
    """The `BM25Index` constructor's arguments from a saved folder, arrays memory-mapped.

    Raises IndexLoadError if anything is missing, truncated, inconsistent or of
    another format version.
    """
    try:
        meta = _read_meta(path)
        arrays = _read_arrays(path, meta)
        vocabulary = _read_vocabulary(path, meta)
        return {
            "vocabulary": vocabulary,
            "k1": float(meta["k1"]),
            "b": float(meta["b"]),
            "epsilon": float(meta["epsilon"]),
            "avgdl": float(meta["avgdl"]),
            "average_idf": float(meta["average_idf"]),
            **arrays,
        }
    except IndexLoadError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, OverflowError) as exc:
        raise IndexLoadError(f"cannot load the index in {path}: {exc}") from exc


def _read_meta(path: Path) -> dict[str, Any]:
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
    return meta


def _read_arrays(path: Path, meta: dict[str, Any]) -> dict[str, np.ndarray]:
    n_docs, n_terms, n_postings = (
        int(meta["n_docs"]),
        int(meta["n_terms"]),
        int(meta["n_postings"]),
    )
    expected = {
        "offsets": (n_terms + 1,),
        "doc_ids": (n_postings,),
        "codes": (n_postings,),
        "idf": (n_terms,),
        "max_weight": (n_terms,),
        "doc_len": (n_docs,),
        "pair_tf": (int(meta["n_pairs"]),),
        "pair_len": (int(meta["n_pairs"]),),
        "dense_terms": (int(meta["n_dense"]),),
        "dense": (int(meta["n_dense"]), n_docs),
    }
    code_dtype = np.dtype(str(meta["code_dtype"]))
    if code_dtype not in CODE_DTYPES:
        raise IndexLoadError(f"{path}: pair codes of an unknown type {code_dtype}")
    arrays: dict[str, np.ndarray] = {}
    for name, fixed in ARRAY_FILES.items():
        dtype = fixed or code_dtype
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
    dense_terms = arrays["dense_terms"]
    if dense_terms.shape[0] and not (
        0 <= int(dense_terms.min()) and int(dense_terms.max()) < n_terms
    ):
        raise IndexLoadError(f"{path}: dense columns name unknown terms")
    return arrays


def _read_vocabulary(path: Path, meta: dict[str, Any]) -> list[str]:
    n_terms = int(meta["n_terms"])
    vocabulary_file = path / VOCABULARY_FILE
    if vocabulary_file.stat().st_size != int(meta["vocabulary_bytes"]):
        raise IndexLoadError(f"{vocabulary_file} has the wrong size")
    try:
        vocabulary = json.loads(vocabulary_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise IndexLoadError(f"{vocabulary_file} is not valid JSON: {exc}") from exc
    if not isinstance(vocabulary, list) or len(vocabulary) != n_terms:
        raise IndexLoadError(f"{vocabulary_file} does not list {n_terms} terms")
    if len(set(vocabulary)) != n_terms:
        raise IndexLoadError(f"{vocabulary_file} lists a term twice")
    return vocabulary


def is_memory_mapped(array_: np.ndarray) -> bool:
    """True when `array_` is a view on a memory map (used by tests and diagnostics)."""
    base: Any = array_
    while base is not None:
        if isinstance(base, mmap.mmap):
            return True
        base = getattr(base, "base", None)
    return False
