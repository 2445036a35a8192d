"""English word tables saved once as sorted arrays, so a process reads only the words it asks.

wordfreq's frequencies and lemminflect's lemma and inflection tables take 0.4 s to load
in every process, most of a one-question `citebot ask`. What a lookup in them returns
is saved once per machine and package versions (in the user's cache folder) as sorted,
memory-mapped arrays: a word costs a binary search and the pages it touches. The first
process builds them from the packages, exactly as their own lookups answer; a folder
that cannot be written or read leaves the packages' own lookups in use.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path

import numpy as np

from bot.atomic import staged_folder

log = logging.getLogger(__name__)

TABLES_FORMAT = 1


def cache_root() -> Path:
    """Where tables that depend only on installed packages are kept: the user's cache."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "citebot"


class WordTable:
    """Words (sorted, as UTF-8) and a value each, memory-mapped; `get` is a binary search."""

    def __init__(self, folder: Path) -> None:
        self._keys = np.load(folder / "keys.npy", mmap_mode="r", allow_pickle=False)
        self._values = np.load(folder / "values.npy", mmap_mode="r", allow_pickle=False)
        if self._keys.ndim != 1 or self._keys.shape[:1] != self._values.shape[:1]:
            raise ValueError("keys and values disagree")

    def get(self, word: str) -> bytes | float | None:
        """The value saved for `word`, or None."""
        key = word.encode("utf-8")
        at = int(np.searchsorted(self._keys, key))
        if at < self._keys.shape[0] and self._keys[at] == key:
            value = self._values[at]
            return bytes(value) if isinstance(value, bytes | np.bytes_) else float(value)
        return None

    @staticmethod
    def save(folder: Path, entries: Iterable[tuple[str, bytes | float]]) -> None:
        """Save `entries` (word, value) as a table in `folder`, atomically."""
        pairs = sorted((word.encode("utf-8"), value) for word, value in entries)
        with staged_folder(folder, keep_existing=True) as staging:
            np.save(staging / "keys.npy", np.array([k for k, _ in pairs], dtype=np.bytes_))
            values = [v for _, v in pairs]
            kind = np.bytes_ if values and isinstance(values[0], bytes) else np.float64
            np.save(staging / "values.npy", np.array(values, dtype=kind))


class LazyTable:
    """A table opened (or built, then saved) on first use; `fallback` when neither works."""

    def __init__(
        self,
        name: str,
        packages: tuple[str, ...],
        entries: Callable[[], Iterable[tuple[str, bytes | float]]],
    ) -> None:
        self._name = name
        self._packages = packages
        self._entries = entries
        self._lock = threading.Lock()
        self._table: WordTable | dict[str, bytes | float] | None = None

    def get(self, word: str) -> bytes | float | None:
        """The value for `word`, or None."""
        table = self._table or self._open()
        return table.get(word)

    def _folder(self) -> Path | None:
        try:
            versions = "-".join(f"{p}{version(p)}" for p in self._packages)
            return cache_root() / f"{self._name}-{versions}-{TABLES_FORMAT}"
        except RuntimeError:  # no home folder to keep a cache in
            return None

    def _open(self) -> WordTable | dict[str, bytes | float]:
        with self._lock:
            if self._table is None:
                folder = self._folder()
                self._table = self._mapped(folder) or self._built(folder)
            return self._table

    @staticmethod
    def _mapped(folder: Path | None) -> WordTable | None:
        try:
            return WordTable(folder) if folder is not None else None
        except (OSError, ValueError):
            return None

    def _built(self, folder: Path | None) -> dict[str, bytes | float]:
        """The table from the package itself, saved in `folder` for the next process."""
        entries = dict(self._entries())
        if folder is not None:
            try:
                WordTable.save(folder, entries.items())
            except OSError as exc:
                log.info("word table %s not saved (%s)", folder, exc.strerror or exc)
        return entries


def _frequencies() -> Iterable[tuple[str, float]]:
    from wordfreq import get_frequency_dict

    return get_frequency_dict("en", wordlist="best").items()


def _lemmas() -> Iterable[tuple[str, bytes]]:
    """Every word lemminflect has lemmas for, with `getAllLemmas`'s answer as JSON."""
    from lemminflect import getAllLemmas
    from lemminflect.core.Lemmatizer import Lemmatizer

    lemmatizer = Lemmatizer()
    words = {w.lower() for w in lemmatizer._getLemmaDict()} | {
        w.lower() for w in lemmatizer._getOverridesDict()
    }
    return ((w, json.dumps(getAllLemmas(w)).encode()) for w in words)


def _inflections() -> Iterable[tuple[str, bytes]]:
    """Every lemma lemminflect can inflect, with `getAllInflections`'s answer as JSON."""
    from lemminflect import getAllInflections
    from lemminflect.core.Inflections import Inflections

    inflections = Inflections()
    words = {w.lower() for w in inflections._getInflDict()} | {
        w.lower() for w in inflections._getOverridesDict()
    }
    return ((w, json.dumps(getAllInflections(w)).encode()) for w in words)


FREQUENCIES = LazyTable("wordfreq-en-best", ("wordfreq",), _frequencies)
LEMMAS = LazyTable("lemmas", ("lemminflect",), _lemmas)
INFLECTIONS = LazyTable("inflections", ("lemminflect",), _inflections)


def frequency(word: str) -> float:
    """wordfreq's frequency of `word` in English ("best" list), 0.0 when unknown."""
    value = FREQUENCIES.get(word)
    return float(value) if isinstance(value, float) else 0.0


def lemmas(word: str) -> dict[str, list[str]]:
    """lemminflect's `getAllLemmas(word)` for a lower-case word: lemmas by part of speech."""
    value = LEMMAS.get(word)
    return json.loads(value) if isinstance(value, bytes) else {}


def inflections(lemma: str) -> dict[str, list[str]]:
    """lemminflect's `getAllInflections(lemma)` for a lower-case lemma: forms by tag."""
    value = INFLECTIONS.get(lemma)
    return json.loads(value) if isinstance(value, bytes) else {}


# wordfreq's estimates for numbers (wordfreq 3.x, `wordfreq/numbers.py`, Apache-2.0): a
# run of digits is looked up as zeros ("2000" as "0000"), then given its share of them.
_DIGIT_FREQS = (0.009, 0.300, 0.175, 0.124, 0.096, 0.078, 0.066, 0.057, 0.050, 0.045)
_YEAR_LOG_PEAK = -1.9185
_NOT_YEAR_PROB = 0.1
_REFERENCE_YEAR = 2019
_PLATEAU_WIDTH = 20
#: One token to wordfreq's tokenizer: ASCII letters and digits, and numbers written with
#: points or commas ("6.5", "1,000", "2.5m").
_ONE_TOKEN = re.compile(r"(?:[0-9a-z]|(?<=[0-9])[.,](?=[0-9]))+")
#: What wordfreq looks up as zeros (its MULTI_DIGIT_RE), and the runs given a share.
_NUMBER = re.compile(r"[0-9][0-9.,]+")
_DIGIT_RUN = re.compile(r"[0-9]+")


def zipf_frequency(word: str) -> float | None:
    """wordfreq's `zipf_frequency(word, "en", wordlist="best")` from the saved table, for a
    word of ASCII letters and digits ("2000", "1970s", "$6.5m"): answered without importing
    wordfreq (0.15-0.6 s a process); None for any other word (ask wordfreq)."""
    token = word.lower().removeprefix("$")  # a currency sign is no part of the token
    if not _ONE_TOKEN.fullmatch(token):
        return None
    minimum = 10**0.0 / 1e9  # zipf 0, as wordfreq turns it into a frequency
    smashed = _NUMBER.sub(lambda number: _DIGIT_RUN.sub(_zeros, number.group()), token)
    value = FREQUENCIES.get(smashed)
    if not isinstance(value, float):
        frequency = minimum
    else:
        if smashed != token:
            for number in _NUMBER.findall(token):
                for run in _DIGIT_RUN.findall(number):
                    value *= _year_share(run) if len(run) == 4 else _benford_share(run)
        frequency = 1.0 / (0.0 + 1.0 / value)
        unrounded = max(frequency, minimum)
        frequency = round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)
    return round(math.log(frequency, 10) + 9, 2)


def _zeros(run: re.Match[str]) -> str:
    return "0" * len(run.group())


def _benford_share(digits: str) -> float:
    """A digit run's share of the runs of its length (Benford's law, as wordfreq has it)."""
    return float(_DIGIT_FREQS[int(digits[0])] / 10 ** (len(digits) - 1))


def _year_share(digits: str) -> float:
    """A four-digit run's share of the four-digit runs, most of which are years."""
    year = int(digits)
    if year <= _REFERENCE_YEAR:
        year_log = _YEAR_LOG_PEAK - 0.0083 * (_REFERENCE_YEAR - year)
    elif year <= _REFERENCE_YEAR + _PLATEAU_WIDTH:
        year_log = _YEAR_LOG_PEAK
    else:
        year_log = _YEAR_LOG_PEAK - 0.2 * (year - (_REFERENCE_YEAR + _PLATEAU_WIDTH))
    return float(10.0**year_log) + _NOT_YEAR_PROB * _benford_share(digits)
