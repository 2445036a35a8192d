"""A library per server, below Discord: where its files live, what it searches, how it scores."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from bot import corpus_edit, library
from bot.answer import Engine
from bot.corpus import Corpus, load_corpus, parse_articles
from bot.errors import CorpusEditError
from bot.index import passage_terms, split_corpus
from bot.library import Libraries
from bot.names import closest, match_article
from bot.settings import Settings
from bot.snapshot import SavedCorpus

SHARED = {
    "otters.md": "# Sea otters\n\nSea otters float on their backs and crack shellfish open on "
    "stones they carry in a pouch of loose skin under the forearm.\n\nA raft of otters holds "
    "paws while sleeping so the current does not drift them apart.",
    "tides.md": "# Tides\n\nThe moon's pull raises two bulges of water on opposite sides of the "
    "earth, so most coasts see two high tides a day.\n\nSpring tides come at new and full moon.",
    "added/lighthouse.md": "# The old lighthouse\n\nThe old lighthouse on Varna point was lit "
    "with whale oil until 1871, when a paraffin lamp replaced it.",
}
SERVER_NOTE = (
    "# Harbour ferry\n\nThe harbour ferry leaves Port Varna at seven every morning and returns "
    "from Lindqvist Island at six in the evening; otters are often seen from its deck.\n"
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    for name, text in SHARED.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    return Settings(corpus_dir=corpus, data_dir=tmp_path / "data", passage_min_words=5)


@pytest.fixture
def shared(settings: Settings) -> Engine:
    return Engine.open(settings)


def add_to_server(settings: Settings, guild_id: int, name: str, text: str) -> Path:
    folder = library.library_dir(settings.data_dir, guild_id)
    [added] = corpus_edit.save_upload(
        folder, name, text.encode(), [], into=library.OWN_FOLDER, room=None
    )
    return added.path


def test_a_servers_article_is_searched_with_the_shared_ones_in_that_server_only(
    settings: Settings, shared: Engine
):
    libraries = Libraries(settings)
    add_to_server(settings, 1, "ferry.md", SERVER_NOTE)

    first = libraries.library(shared, 1)
    other = libraries.library(shared, 2)

    assert [a.article_id for a in first.own] == ["server/ferry"]
    assert first.owns("server/ferry") and not first.owns("otters")
    answer = first.engine.answer("When does the harbour ferry leave Port Varna?")
    assert answer.found and answer.results[0].article_id == "server/ferry"
    assert first.engine.answer("How do sea otters open shellfish?").results[0].article_id == (
        "otters"
    )
    assert other.engine is shared and other.own == ()
    assert all(r.article_id != "server/ferry" for r in other.engine.answer("harbour ferry").results)
    assert libraries.library(shared, None).engine is shared


def test_scores_over_shared_and_server_passages_match_bm25okapi_on_their_union(
    settings: Settings, shared: Engine
):
    add_to_server(settings, 1, "ferry.md", SERVER_NOTE)
    add_to_server(settings, 1, "otter-notes.md", "# Otter notes\n\n" + "otters sleep. " * 30)
    joined = Libraries(settings).library(shared, 1).engine
    server = load_corpus(library.library_dir(settings.data_dir, 1))
    server_passages = split_corpus(server, settings)
    docs = list(passage_terms(shared.articles, shared.passages, shared.analyzer))
    docs += list(passage_terms(server.articles, server_passages, shared.analyzer))
    reference = BM25Okapi(docs, k1=settings.k1, b=settings.b, epsilon=settings.epsilon)

    assert joined.index.n_docs == len(docs) == len(joined.passages)
    for question in (
        "harbour ferry Varna",
        "otters otters sleep",
        "tides moon lighthouse",
        "lighthouse whale oil ferry deck otters",
    ):
        query = shared.analyzer.terms(question)
        ours, theirs = joined.index.get_scores(query), np.asarray(reference.get_scores(query))
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
        expected = sorted(
            (i for i in range(len(docs)) if theirs[i] > 0), key=lambda i: (-theirs[i], i)
        )
        assert [hit.doc for hit in joined.index.top_k(query, 5)] == expected[:5]


def test_an_added_article_answers_at_once_and_the_shared_index_is_not_rebuilt(
    settings: Settings, shared: Engine
):
    libraries = Libraries(settings)
    before = libraries.library(shared, 1)
    saved = sorted((settings.data_dir / "index").rglob("*"))
    stamps = [p.stat().st_mtime_ns for p in saved]

    add_to_server(settings, 1, "ferry.md", SERVER_NOTE)
    after = libraries.library(shared, 1)

    assert before.engine is shared and after.engine is not shared
    assert after.engine.answer("When does the ferry leave Port Varna?").found
    assert sorted((settings.data_dir / "index").rglob("*")) == saved
    assert [p.stat().st_mtime_ns for p in saved] == stamps
    assert libraries.library(shared, 1) is after  # unchanged files: nothing read again


def test_articles_already_in_corpus_added_stay_shared_where_they_are(
    settings: Settings, shared: Engine
):
    old = settings.corpus_dir / "added" / "lighthouse.md"
    text = old.read_text(encoding="utf-8")
    libraries = Libraries(settings)

    in_server = libraries.library(shared, 1)
    add_to_server(settings, 2, "ferry.md", SERVER_NOTE)
    in_other = libraries.library(shared, 2)

    assert shared.article("added/lighthouse") is not None
    for held in (in_server, in_other, libraries.library(shared, None)):
        assert not held.owns("added/lighthouse")
        answer = held.engine.answer("When was the old lighthouse lit with whale oil?")
        assert answer.found and answer.results[0].article_id == "added/lighthouse"
    assert old.read_text(encoding="utf-8") == text
    assert not (settings.data_dir / "servers" / "1").exists()


def test_a_server_article_whose_id_the_shared_library_holds_gets_its_own(
    settings: Settings, shared: Engine, tmp_path: Path
):
    (settings.corpus_dir / "server").mkdir()
    (settings.corpus_dir / "server" / "ferry.md").write_text("# Old ferry\n\nA shared note.")
    shared = Engine.open(settings)
    add_to_server(settings, 1, "ferry.md", SERVER_NOTE)

    held = Libraries(settings).library(shared, 1)

    assert [a.article_id for a in held.own] == ["server/ferry-2"]
    assert held.engine.article("server/ferry").title == "Old ferry"  # type: ignore[union-attr]


def test_a_servers_count_reads_the_files_new_since_and_gives_up_when_one_goes(
    settings: Settings, shared: Engine
):
    first = add_to_server(
        settings, 1, "ferry.md", "# Old ferry\n\nThe ferry crossed at dawn each day."
    )
    count = library.OwnCount(
        Libraries(settings).library(shared, 1), library.library_dir(settings.data_dir, 1)
    )
    lines = (
        '{"title": "Mill", "text": "The mill ground oats."}\n'
        '{"title": "Weir", "text": "The weir held the river back."}\n'
    )
    (first.parent / "both.jsonl").write_text(lines, encoding="utf-8")

    assert count.update()
    assert count.count == 3  # a JSONL file holds two
    [new] = parse_articles(b"# Weir\n\nThe weir held the river back.", "w.md", print)
    assert [a.title for a in count.repeats(new) if a.text == new.text] == ["Weir"]

    first.unlink()
    assert not count.update()  # a removed file: only the library built again knows


def test_a_full_server_is_told_how_many_it_holds():
    library.check_room(3, 0, 3)
    with pytest.raises(CorpusEditError) as refused:
        library.check_room(3, 1, 3)

    assert str(refused.value) == (
        "this server has 3 of the 3 articles it may add; remove one with `/citebot remove` first"
    )
    with pytest.raises(CorpusEditError, match="keeps no articles for single servers"):
        library.check_room(0, 1, 0)


def test_the_url_template_of_the_corpus_gives_a_servers_article_no_address(
    settings: Settings, shared: Engine
):
    settings = settings.with_overrides(url_template="https://docs.example/{path}")
    shared = Engine.open(settings)
    add_to_server(settings, 1, "ferry.md", SERVER_NOTE)

    joined = Libraries(settings).library(shared, 1).engine
    answer = joined.answer("When does the harbour ferry leave Port Varna?")

    assert answer.results[0].article_id == "server/ferry" and answer.results[0].url is None
    otters = joined.article("otters")
    assert otters is not None and joined.article_url(otters) == "https://docs.example/otters"
    assert len(joined.passages) == len(shared.passages) + 1
    assert joined.passages[-1].article == len(joined.articles) - 1
    assert list(joined.passages[: len(shared.passages)]) == list(shared.passages)


def test_libraries_built_on_a_replaced_shared_engine_are_let_go(settings: Settings, shared: Engine):
    libraries = Libraries(settings)
    for guild in (1, 2):
        add_to_server(settings, guild, "ferry.md", SERVER_NOTE)
        libraries.library(shared, guild)
    rebuilt = Engine.open(settings)

    fresh = libraries.library(rebuilt, 1)

    assert fresh.engine.articles[0] is rebuilt.articles[0]
    assert [engine for engine, _, _ in libraries._built.values()] == [rebuilt]


def test_listing_a_servers_articles_makes_no_shared_article_of_a_saved_library(
    settings: Settings, shared: Engine
):
    saved = Engine.open(settings)  # the second start reads the library saved by the first
    assert isinstance(saved.corpus, SavedCorpus)
    add_to_server(settings, 1, "ferry.md", SERVER_NOTE)
    engine = Libraries(settings).library(saved, 1).engine

    def made() -> list[str]:
        return [a.article_id for a in saved.corpus.saved._made if a is not None]  # type: ignore[attr-defined]

    assert made() == []
    assert [a.article_id for a in engine.find_articles("ferry")] == ["server/ferry"]
    assert [a.article_id for a in engine.find_articles("tides")] == ["tides"]
    assert made() == ["tides"]
    assert engine.corpus.ids() == [*shared.corpus.ids(), "server/ferry"]
    assert engine.corpus.titles()[-1] == "Harbour ferry"
    assert list(engine.corpus.text_lengths()) == [len(a.text) for a in engine.articles]
    assert engine.article("server/ferry") is engine.articles[-1]


def test_naming_an_article_of_a_saved_library_makes_only_the_article_named(
    settings: Settings, shared: Engine
):
    saved = Engine.open(settings)
    assert isinstance(saved.corpus, SavedCorpus)
    add_to_server(settings, 1, "ferry.md", SERVER_NOTE)
    engine = Libraries(settings).library(saved, 1).engine

    def made() -> list[str]:
        return [a.article_id for a in saved.corpus.saved._made if a is not None]  # type: ignore[attr-defined]

    assert (
        match_article(engine.corpus, "harbor fery", by_id=engine.article).article
        is (engine.articles[-1])
    )
    assert made() == []
    guess = match_article(engine.corpus, "Tide", by_id=engine.article)
    assert guess.article is not None and guess.article.article_id == "tides"
    assert [a.article_id for a in closest(engine.corpus, "sea oters", limit=1)] == ["otters"]
    assert sorted(made()) == ["otters", "tides"]


def test_a_renamed_server_article_never_takes_another_server_articles_id(settings: Settings):
    (settings.corpus_dir / "server").mkdir()
    (settings.corpus_dir / "server" / "ferry.md").write_text("# Old ferry\n\nA shared note.")
    shared = Engine.open(settings)
    add_to_server(settings, 1, "ferry.md", SERVER_NOTE)
    add_to_server(settings, 1, "ferry-2.md", "# Night ferry\n\nThe night ferry sails at ten.\n")

    held = Libraries(settings).library(shared, 1)

    ids = [a.article_id for a in held.own]
    assert sorted(ids) == ["server/ferry-2", "server/ferry-3"]
    assert held.engine.article("server/ferry-2").title == "Night ferry"  # type: ignore[union-attr]
    for article in held.own:
        assert held.engine.article(article.article_id) is article


def test_a_server_library_being_built_holds_up_no_other_servers_questions(
    settings: Settings, shared: Engine, monkeypatch: pytest.MonkeyPatch
):
    libraries = Libraries(settings)
    add_to_server(settings, 2, "ferry.md", SERVER_NOTE)
    kept = libraries.library(shared, 2)
    add_to_server(settings, 1, "ferry.md", SERVER_NOTE)
    reading, go_on = threading.Event(), threading.Event()

    def slow_load(folder: Path, **kwargs: Any) -> Corpus:
        reading.set()
        go_on.wait()
        return load_corpus(folder, **kwargs)

    monkeypatch.setattr(library, "load_corpus", slow_load)
    with ThreadPoolExecutor(3) as pool:
        building = pool.submit(libraries.library, shared, 1)
        assert reading.wait(30)
        waiting = pool.submit(libraries.library, shared, 1)  # the same server: waits, one build
        asked = pool.submit(libraries.library, shared, 2)
        try:
            assert asked.result(timeout=30) is kept
        finally:
            go_on.set()
        assert building.result() is waiting.result()
    assert [a.article_id for a in building.result().own] == ["server/ferry"]


def test_a_server_engine_reads_the_shared_lookups_without_copying_them(
    settings: Settings, shared: Engine
):
    add_to_server(settings, 1, "ferry.md", SERVER_NOTE)
    add_to_server(settings, 1, "otter-notes.md", "# Otter notes\n\n" + "otters sleep. " * 300)
    engine = Libraries(settings).library(shared, 1).engine

    # ~10 MB at 100k shared articles, per server engine, if they were copied.
    assert shared._by_id in engine._by_id.maps  # type: ignore[attr-defined]
    assert shared._article_ranges in engine._article_ranges.maps  # type: ignore[attr-defined]
    for article in engine.articles:
        assert engine.article(article.article_id) is article
    assert engine.passage_count_of("tides") == shared.passage_count_of("tides") > 0
    assert engine.passage_count_of("server/otter-notes") > 1
    counts = [engine.passage_count_of(a.article_id) for a in engine.articles]
    assert sum(counts) == engine.passage_count
    answer = engine.answer("otters sleep", article_id="server/otter-notes")
    assert answer.found and {r.article_id for r in answer.results} == {"server/otter-notes"}
