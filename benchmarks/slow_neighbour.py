"""How long a quick question waits when a slow one was asked just before it.

Builds the bundled corpus plus one article that is a single huge paragraph with no
sentence end (the issue's "one huge paragraph"), asks a question that touches it and,
a moment later, a quick question, through the bot's real `Asker`. Prints the quick
question's reply time with the bot's search lanes and with one lane (searches strictly
in turns, as before bot/lanes.py).

    python benchmarks/slow_neighbour.py               # 2 MB paragraph
    python benchmarks/slow_neighbour.py --mb 20
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

from bot.answer import Engine
from bot.asking import Asker
from bot.lanes import SearchLanes
from bot.live import LiveEngine
from bot.settings import Settings
from bot.store import Store

REPO = Path(__file__).resolve().parent.parent


async def one_round(asker: Asker, slow_question: str) -> tuple[float, float]:
    started = time.perf_counter()
    slow = asyncio.create_task(asker.answer(slow_question, user_id=1, source="dm"))
    await asyncio.sleep(0.01)
    quick_started = time.perf_counter()
    await asker.answer("who founded DeepSeek?", user_id=2, source="dm")
    quick = time.perf_counter() - quick_started
    await slow
    return quick, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(REPO / "corpus", corpus)
        words = ["zebrafish", "stripes", "migration", "savanna", "grazing", "herd", "water"]
        count = int(options.mb * 1024 * 1024 / 8)
        paragraph = " ".join(words[i % len(words)] + str(i % 97) for i in range(count))
        (corpus / "huge.txt").write_text("Huge\n\n" + paragraph)
        settings = Settings(corpus_dir=corpus, data_dir=Path(tmp) / "data", cooldown_rate=1000)
        opened = time.perf_counter()
        engine = Engine.open(settings)
        print(
            f"corpus: {engine.passage_count} passages, opened in {time.perf_counter() - opened:.1f} s"
        )
        store = Store.open(settings.data_dir)
        for label, lanes in [("search lanes (bot default)", None), ("one lane (before)", 1)]:
            asker = Asker(settings, LiveEngine(settings, engine), store)
            if lanes is not None:
                asker._search = SearchLanes(lanes=lanes)
            for _ in range(options.rounds):
                quick, total = asyncio.run(one_round(asker, "zebrafish stripes savanna herd"))
                print(
                    f"{label}: quick question {quick * 1000:.0f} ms, slow one {total * 1000:.0f} ms"
                )
        store.close()


if __name__ == "__main__":
    main()
