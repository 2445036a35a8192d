"""Saved spellers correct exactly as freshly made ones do, and the library's is made
again when the library (so its vocabulary) changes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot import chat
from bot.answer import Engine
from bot.chat import QuestionReader
from bot.settings import Settings
from bot.spellers import MappedDeletes, SortedWords

WORDS = (
    "deployment configuration authentication middleware dependency database migration "
    "container endpoint request response serializer validation template scheduler "
    "repository permission transaction websocket streaming pagination"
).split()


def vocabulary() -> dict[str, int]:
    """A library vocabulary: frequent technical words, some rarer ones, some seen once."""
    counts = {word: 50 - 2 * i for i, word in enumerate(WORDS)}
    counts.update({"founded": 8, "found": 6, "zorblat": 1, "kilometres": 30})
    return counts


def typos(words: list[str], seed: int = 3) -> list[str]:
    """Each word with one slip: a letter dropped, replaced, or two swapped."""
    rng = random.Random(seed)
    slipped = []
    for word in words:
        i = rng.randrange(len(word) - 1)
        slipped += [
            word[:i] + word[i + 1 :],
            word[:i] + rng.choice("aeiourst") + word[i + 1 :],
            word[:i] + word[i + 1] + word[i] + word[i + 2 :],
        ]
    return [*slipped, "teh", "recieve", "becuase", "foundd", "zorblst", "kilometers", "wich"]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache folder for the English speller, made empty for this test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(chat, "_english_cache", None)
    return tmp_path / "cache" / "citebot"


def test_saved_spellers_correct_as_made_ones_do(tmp_path: Path, cache: Path) -> None:
    made = QuestionReader(vocabulary())
    made._spellers = (*chat._english_built(), chat._library_speller(vocabulary()))
    asked = typos(WORDS)
    expected = [made.read(word).text() for word in asked]
    assert "deployment" in expected and "the" in expected  # typos were corrected

    folder = tmp_path / "speller"
    for saving in (True, False):  # the process that makes and saves them, then one that maps
        chat._english_cache = None
        reader = QuestionReader(vocabulary(), saved=folder)
        assert [reader.read(word).text() for word in asked] == expected
        english_words, english, library = reader._tables()
        assert saving or isinstance(library._deletes, MappedDeletes)
        assert saving or isinstance(english._deletes, MappedDeletes)
        assert saving or isinstance(english_words, SortedWords)
        assert folder.is_dir() and any(cache.iterdir())


def test_a_speller_saved_for_another_vocabulary_is_not_used(tmp_path: Path, cache: Path) -> None:
    folder = tmp_path / "speller"
    QuestionReader({"zorblat": 5}, saved=folder).make_spellers()
    grown = {**vocabulary(), "zorblat": 5}
    reader = QuestionReader(grown, saved=folder)
    assert reader.read("deploymnt").text() == "deployment"
    # What was saved now is the grown library's speller, which the next process maps.
    mapped = QuestionReader(grown, saved=folder)
    assert mapped.read("deploymnt").text() == "deployment"
    assert isinstance(mapped._tables()[2]._deletes, MappedDeletes)


def test_an_unwritable_folder_leaves_the_made_speller_in_use(tmp_path: Path, cache: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    reader = QuestionReader(vocabulary(), saved=blocked / "speller")
    assert reader.read("deploymnt").text() == "deployment"


def article(name: str, word: str, times: int) -> str:
    filler = " ".join(f"The {word} needs care." for _ in range(times))
    return f"# {name}\n\nThis page explains the {word}. {filler}\n"


def test_the_library_speller_is_made_again_when_the_library_changes(
    tmp_path: Path, cache: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "one.md").write_text(article("Scheduler", "scheduler", 4))
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    spellers = settings.data_dir / "spellers"

    engine = Engine.open(settings)
    assert engine.reader.read("how does the schedler work").text() == (
        "how does the scheduler work"
    )
    first = {p.name for p in spellers.iterdir()}
    assert len(first) == 1

    (corpus / "two.md").write_text(article("Serializer", "serializer", 4))
    grown = Engine.open(settings)  # read beside the saved index: its words join the speller's
    assert grown.reader.read("how does the serialzer work").text() == (
        "how does the serializer work"
    )
    engine = Engine.open(settings, incremental=False)  # built in full: a speller of its own
    assert engine.reader.read("how does the serialzer work").text() == (
        "how does the serializer work"
    )
    second = {p.name for p in spellers.iterdir() if not p.name.startswith(".")}
    assert len(second) == 1 and second != first  # the old library's speller retired

    again = Engine.open(settings)  # unchanged library: the saved speller is mapped
    assert again.reader.read("the serialzer").text() == "the serializer"
    assert isinstance(again.reader._tables()[2]._deletes, MappedDeletes)


def test_a_damaged_saved_speller_is_made_again(tmp_path: Path, cache: Path) -> None:
    folder = tmp_path / "speller"
    QuestionReader(vocabulary(), saved=folder).make_spellers()
    (folder / "members.npy").write_bytes(b"not an array")
    reader = QuestionReader(vocabulary(), saved=folder)
    assert reader.read("deploymnt").text() == "deployment"
    mapped = QuestionReader(vocabulary(), saved=folder)  # saved again, whole
    assert isinstance(mapped._tables()[2]._deletes, MappedDeletes)
