from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from support import watch_until_indexed

from bot.live import LiveEngine
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    return Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")


async def test_reload_swaps_in_new_articles(settings: Settings) -> None:
    live = LiveEngine(settings)
    assert (await live.reload()).ok
    assert not live.engine.answer("What colour are zebra stripes?").found
    (settings.corpus_dir / "zebras.md").write_text("# Zebras\n\nZebra stripes are black and white.")
    result = await live.reload()
    assert result.ok and result.articles == 10
    assert (
        "black and white" in live.engine.answer("What colour are zebra stripes?").results[0].excerpt
    )


async def test_failed_rebuild_keeps_the_old_index_and_says_why(settings: Settings) -> None:
    live = LiveEngine(settings)
    await live.reload()
    before = live.engine
    shutil.rmtree(settings.corpus_dir)
    settings.corpus_dir.mkdir()
    result = await live.reload()
    assert not result.ok
    assert result.error is not None and "no usable articles" in result.error
    assert live.engine is before
    assert live.engine.answer("Who founded DeepSeek?").found


async def test_questions_in_flight_during_a_reload_all_finish(settings: Settings) -> None:
    live = LiveEngine(settings)
    await live.reload()

    async def ask(n: int) -> bool:
        engine = live.engine  # what a handler captures when the question arrives
        answer = await asyncio.to_thread(engine.answer, "Who founded DeepSeek?")
        return answer.found

    (settings.corpus_dir / "extra.md").write_text("# Extra\n\nAn extra article about llamas.")
    results = await asyncio.gather(
        *(ask(n) for n in range(20)), live.reload(), *(ask(n) for n in range(20, 40))
    )
    answers, reload = results[:20] + results[21:], results[20]
    assert all(answers)
    assert reload.ok and reload.articles == 10


async def test_watcher_picks_up_a_new_file(settings: Settings) -> None:
    live = LiveEngine(settings)
    await live.reload()
    okapi = "# Okapis\n\nThe okapi is a giraffid from the Congo."
    assert await watch_until_indexed(live, settings.corpus_dir / "okapi.md", okapi, "okapi")
    assert live.engine.answer("What is an okapi?").found


async def test_watcher_reload_is_skipped_when_no_file_changed(settings: Settings) -> None:
    live = LiveEngine(settings)
    await live.reload()
    built = live.engine
    # What the watcher asks for after `/citebot add` has already indexed the new file.
    await live.reload(only_if_changed=True)
    assert live.engine is built
    (settings.corpus_dir / "tapirs.md").write_text("# Tapirs\n\nTapirs have short trunks.")
    await live.reload(only_if_changed=True)
    assert live.engine is not built
    assert live.engine.article("tapirs") is not None


async def test_a_changed_synonyms_file_is_reloaded_with_the_corpus(settings: Settings) -> None:
    (settings.corpus_dir / "okapi.md").write_text(
        "# Okapis\n\nKeepers feed the okapi fig leaves twice a day.", encoding="utf-8"
    )
    live = LiveEngine(settings)
    await live.reload()
    question = "what do okapis eat"

    def highlighted() -> set[str]:
        [top] = live.engine.answer(question, k=1).results
        return {top.excerpt[s:e].casefold() for s, e in top.highlights}

    assert "feed" not in highlighted()
    synonyms = settings.corpus_dir / "synonyms.txt"
    synonyms.write_text("eat, feed\n", encoding="utf-8")
    # The watcher's reload: only a change rebuilds, and the synonyms file is one.
    await live.reload(only_if_changed=True)
    assert "feed" in highlighted()
    synonyms.write_text("# none for now\n", encoding="utf-8")
    await live.reload(only_if_changed=True)
    assert "feed" not in highlighted()
    assert live.engine.article("synonyms") is None


async def test_an_added_article_answers_at_once_and_the_merge_builds_it_in(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import incremental
    from bot.index import BM25Index, UnionIndex

    monkeypatch.setattr(incremental, "MERGE_SHARE", 0.0)  # merge after any change
    monkeypatch.setattr(incremental, "MERGE_FLOOR", 0)
    live = LiveEngine(settings)
    await live.reload()
    (settings.corpus_dir / "zebras.md").write_text("# Zebras\n\nZebra stripes are black and white.")
    assert (await live.reload()).ok
    grown = live.engine
    assert isinstance(grown.index, UnionIndex)  # searched beside the index, not rebuilt
    assert grown.answer("What colour are zebra stripes?").results[0].article_id == "zebras"

    await live.merging()
    merged = live.engine
    assert merged is not grown and isinstance(merged.index, BM25Index)
    assert merged.answer("What colour are zebra stripes?").results[0].article_id == "zebras"
    assert len(merged.articles) == len(grown.articles)
    await live.close()


async def test_closing_ends_a_merge_under_way(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import incremental

    monkeypatch.setattr(incremental, "MERGE_SHARE", 0.0)
    monkeypatch.setattr(incremental, "MERGE_FLOOR", 0)
    live = LiveEngine(settings)
    await live.reload()
    (settings.corpus_dir / "zebras.md").write_text("# Zebras\n\nZebra stripes are black and white.")
    await live.reload()
    await live.close()
    assert live.engine.answer("What colour are zebra stripes?").found
    await live.merging()  # ended, not left running


async def test_a_merge_another_process_has_under_way_is_not_repeated_but_loaded_once_saved(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shards (or a bot and a hand-run `citebot index`) sharing a data folder build the
    library in full once: the one that finds another full build under way leaves it to
    that one, and loads the library it saved when told of it."""
    from bot import incremental
    from bot.answer import Engine
    from bot.index import BM25Index, UnionIndex

    monkeypatch.setattr(incremental, "MERGE_SHARE", 0.0)
    monkeypatch.setattr(incremental, "MERGE_FLOOR", 0)
    live = LiveEngine(settings)
    await live.reload()
    with incremental.full_build_lock(settings) as held:  # the other process's merge
        assert held
        (settings.corpus_dir / "zebras.md").write_text(
            "# Zebras\n\nZebra stripes are black and white."
        )
        assert (await live.reload()).ok
        await live.merging()
        assert isinstance(live.engine.index, UnionIndex)  # not built here as well
        await asyncio.to_thread(Engine.open, settings, incremental=False)  # the other's save
    # The other process's announcement: nothing changed in the folder, but the library did.
    assert (await live.reload(only_if_changed=True, announce=False)).ok
    assert isinstance(live.engine.index, BM25Index)
    assert live.engine.answer("What colour are zebra stripes?").results[0].article_id == "zebras"
    await live.close()
