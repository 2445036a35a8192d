"""symspellpy spellers saved as sorted arrays, so a process maps them instead of building them.

Building the chat reader's spellers (symspellpy's table of every word's deletes) took
0.3-1.3 s of CPU in every process that met a possible typo: a `citebot ask -` batch
paid it before its first such question, each `--jobs` worker again without a fork
after it. The table is saved once (the library's beside the index, under its key;
English's in the user's cache) and memory-mapped: a lookup reads only the deletes it
asks for, by binary search, and gets the very lists, in the very order, that
symspellpy's own table holds, so suggestions are the same.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.atomic import staged_folder

if TYPE_CHECKING:
    from symspellpy import SymSpell

log = logging.getLogger(__name__)

#: Changes when what is saved, or how, changes: older folders are then not read.
SPELLER_FORMAT = 1
_FILES = ("deletes", "starts", "members", "words", "counts")


def speller_version() -> str:
    """symspellpy's version, part of every saved speller's name (its table may change)."""
    return version("symspellpy")


class SortedWords:
    """A set of words held as a sorted, memory-mapped array: `in` is a binary search."""

    def __init__(self, words: np.ndarray) -> None:
        self._words = words

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        key = word.encode("utf-8")
        at = int(np.searchsorted(self._words, key))
        return at < self._words.shape[0] and bytes(self._words[at]) == key

    def __len__(self) -> int:
        return int(self._words.shape[0])

    def __iter__(self) -> Iterator[str]:
        return (bytes(word).decode("utf-8") for word in self._words)


class MappedDeletes:
    """symspellpy's deletes table (delete -> words, in insertion order), read from arrays."""

    def __init__(
        self, deletes: np.ndarray, starts: np.ndarray, members: np.ndarray, words: list[str]
    ) -> None:
        self._deletes = deletes
        self._starts = starts
        self._members = members
        self._words = words

    def _at(self, key: str) -> int:
        encoded = key.encode("utf-8")
        at = int(np.searchsorted(self._deletes, encoded))
        if at < self._deletes.shape[0] and bytes(self._deletes[at]) == encoded:
            return at
        return -1

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._at(key) >= 0

    def __getitem__(self, key: str) -> list[str]:
        at = self._at(key)
        if at < 0:
            raise KeyError(key)
        members = self._members[int(self._starts[at]) : int(self._starts[at + 1])]
        return [self._words[int(i)] for i in members]

    def __len__(self) -> int:
        return int(self._deletes.shape[0])


def save_speller(folder: Path, speller: SymSpell, *, check: str = "") -> None:
    """Save `speller`'s words, counts and deletes in `folder`, atomically.

    `check` is kept beside them and must match when the speller is loaded (for example
    the size of the vocabulary it was made from).
    """
    words = list(speller.words)
    number = {word: i for i, word in enumerate(words)}
    deletes = sorted((key.encode("utf-8"), key) for key in speller.deletes)
    starts = np.zeros(len(deletes) + 1, dtype=np.int64)
    members: list[int] = []
    for i, (_, key) in enumerate(deletes):
        members.extend(number[word] for word in speller.deletes[key])
        starts[i + 1] = len(members)
    arrays = {
        "deletes": np.array([encoded for encoded, _ in deletes], dtype=np.bytes_),
        "starts": starts,
        "members": np.array(members, dtype=np.int32),
        "words": np.array([word.encode("utf-8") for word in words], dtype=np.bytes_),
        "counts": np.array([speller.words[word] for word in words], dtype=np.int64),
    }
    meta = {
        "format": SPELLER_FORMAT,
        "max_dictionary_edit_distance": speller._max_dictionary_edit_distance,
        "prefix_length": speller._prefix_length,
        "max_length": speller._max_length,
        "check": check,
    }
    # Replacing: what is there may be a speller for another vocabulary (another `check`).
    with staged_folder(folder) as staging:
        for name in _FILES:
            np.save(staging / f"{name}.npy", arrays[name], allow_pickle=False)
        (staging / "meta.json").write_text(json.dumps(meta))


def load_speller(folder: Path, *, check: str = "") -> SymSpell | None:
    """The speller saved in `folder` with `check`, its deletes memory-mapped; None if
    there is none, or it is not whole or not ours."""
    from symspellpy import SymSpell

    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("format") != SPELLER_FORMAT or meta.get("check") != check:
            return None
        arrays = {
            name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            for name in _FILES
        }
        words = [bytes(word).decode("utf-8") for word in arrays["words"]]
        counts = np.asarray(arrays["counts"]).tolist()
        if (
            len(counts) != len(words)
            or arrays["starts"].shape[0] != arrays["deletes"].shape[0] + 1
            or int(arrays["starts"][-1]) != arrays["members"].shape[0]
            or (arrays["members"].shape[0] and int(np.max(arrays["members"])) >= len(words))
        ):
            raise ValueError("the arrays do not add up")
        speller = SymSpell(
            max_dictionary_edit_distance=int(meta["max_dictionary_edit_distance"]),
            prefix_length=int(meta["prefix_length"]),
        )
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        if (folder / "meta.json").exists():
            log.info("saved speller %s not used (%s)", folder, exc)
        return None
    speller._words = dict(zip(words, counts, strict=True))
    speller._deletes = MappedDeletes(arrays["deletes"], arrays["starts"], arrays["members"], words)
    speller._max_length = int(meta["max_length"])
    return speller


def save_words(folder: Path, words: list[str]) -> None:
    """Save a set of words as a sorted array in `folder` (see `load_words`)."""
    encoded = sorted({word.encode("utf-8") for word in words})
    with staged_folder(folder, keep_existing=True) as staging:
        np.save(staging / "words.npy", np.array(encoded, dtype=np.bytes_), allow_pickle=False)


def load_words(folder: Path) -> SortedWords | None:
    """The words `save_words` saved in `folder`, memory-mapped; None if absent or unreadable."""
    try:
        words = np.load(folder / "words.npy", mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    return SortedWords(words) if words.ndim == 1 else None
