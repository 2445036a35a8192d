"""The saved word tables answer exactly as wordfreq and lemminflect do, and a cache
folder that cannot be written leaves their own lookups in use."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from lemminflect import getAllInflections, getAllLemmas
from wordfreq import get_frequency_dict, zipf_frequency

from bot import word_tables
from bot.word_forms import _is_verb

WORDS = [
    *list(get_frequency_dict("en", wordlist="best"))[:3000:7],
    "founded",
    "founder",
    "built",
    "runner",
    "invention",
    "be",
    "can",
    "deepseek",
    "okapis",
    "zzzqx",
    "",
]


def fresh(table: word_tables.LazyTable) -> word_tables.LazyTable:
    return word_tables.LazyTable(table._name, table._packages, table._entries)


def as_json(value: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    return {key: list(forms) for key, forms in value.items()}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "citebot"


def test_saved_tables_answer_as_the_packages_do(cache: Path) -> None:
    frequencies = get_frequency_dict("en", wordlist="best")
    for build in (True, False):  # the process that builds them, then one that maps them
        lemmas = fresh(word_tables.LEMMAS)
        inflections = fresh(word_tables.INFLECTIONS)
        freq = fresh(word_tables.FREQUENCIES)
        for word in WORDS:
            saved_lemmas = lemmas.get(word)
            saved_forms = inflections.get(word)
            assert (json.loads(saved_lemmas) if saved_lemmas else {}) == as_json(getAllLemmas(word))
            assert (json.loads(saved_forms) if saved_forms else {}) == as_json(
                getAllInflections(word)
            )
            assert (freq.get(word) or 0.0) == frequencies.get(word, 0.0)
        assert build or isinstance(lemmas._table, word_tables.WordTable)
    assert sorted(p.name.split("-")[0] for p in cache.iterdir()) == [
        "inflections",
        "lemmas",
        "wordfreq",
    ]


def test_verbs_are_told_as_lemminflect_tells_them() -> None:
    for word in WORDS:
        assert _is_verb(word) == bool(getAllInflections(word, upos="VERB")), word


def test_unwritable_cache_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-folder"))
    freq = fresh(word_tables.FREQUENCIES)
    assert freq.get("the") == get_frequency_dict("en", wordlist="best")["the"]
    assert isinstance(freq._table, dict)


def words_with_digits() -> list[str]:
    """Words with digits as people write them: the eval set's, and numbers of every size."""
    squad = Path(__file__).resolve().parent.parent.parent / "shared/eval/squad-dev-v1.1-public.json"
    found = set(re.findall(r"\$?\w*\d(?:[.,]?\w)*", squad.read_text(encoding="utf-8")))
    rng = random.Random(5)
    numbers = {str(n) for n in range(0, 3000)} | {str(rng.randrange(10**12)) for _ in range(500)}
    return sorted(found | numbers | {"007", "0", "2045", "2100", "3D", "ABC1", "x86_64", "٣"})


def test_numbers_frequencies_are_wordfreqs_without_it(cache: Path) -> None:
    words = words_with_digits()
    answered = 0
    for word in words:
        saved = word_tables.zipf_frequency(word)
        if saved is not None:
            answered += 1
            assert saved == zipf_frequency(word, "en", wordlist="best"), word
    for word in ("1970s", "6.5", "1,000", "$2.5m"):
        assert word_tables.zipf_frequency(word) is not None
    assert word_tables.zipf_frequency("x86_64") is None  # wordfreq's tokenizer decides
    assert answered > 0.99 * len(words)
