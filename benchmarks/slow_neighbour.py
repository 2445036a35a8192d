"""How long a quick question waits when a slow one was asked just before it.

Before passages were capped, a question touching a 19.9 MB paragraph searched for 7 s, and
with searches taking turns on one thread a simple question asked at the same moment
waited those 7 s too. Passages are capped now, so this stands a search that burns
`--slow` seconds of pure-Python CPU (holding the GIL, as a search does) in for it, asks it
through the bot's real `Asker` over the bundled corpus and, 10 ms later, a quick question;
it prints the quick question's reply time with the bot's search lanes and with one lane
(searches strictly in turns, as before bot/lanes.py).

    python benchmarks/slow_neighbour.py               # a 2 s search
    python benchmarks/slow_neighbour.py --slow 7
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.answer import Answer, Engine
from bot.asking import Asker
from bot.lanes import SearchLanes
from bot.live import LiveEngine
from bot.settings import Settings
from bot.store import Store

REPO = Path(__file__).resolve().parent.parent
SLOW = "the slow question"


async def one_round(asker: Asker) -> tuple[float, float]:
    started = time.perf_counter()
    slow = asyncio.create_task(asker.answer(SLOW, user_id=1, source="dm"))
    await asyncio.sleep(0.01)
    quick_started = time.perf_counter()
    await asker.answer("who founded DeepSeek?", user_id=2, source="dm")
    quick = time.perf_counter() - quick_started
    await slow
    return quick, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=float, default=2.0, help="seconds the slow search takes")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(REPO / "corpus", corpus)
        settings = Settings(corpus_dir=corpus, data_dir=Path(tmp) / "data", cooldown_rate=1000)
        engine = Engine.open(settings)
        real_answer = engine.answer

        def answer(question: str, **kwargs: Any) -> Answer:
            if question == SLOW:
                deadline = time.perf_counter() + options.slow
                while time.perf_counter() < deadline:  # pure Python: holds the GIL
                    sum(range(1000))
                question = "export controls"
            return real_answer(question, **kwargs)

        engine.answer = answer  # type: ignore[method-assign]
        store = Store.open(settings.data_dir)
        for label, lanes in [("search lanes (bot default)", None), ("one lane (before)", 1)]:
            asker = Asker(settings, LiveEngine(settings, engine), store)
            if lanes is not None:
                asker._search = SearchLanes(lanes=lanes)
            for _ in range(options.rounds):
                quick, total = asyncio.run(one_round(asker))
                print(
                    f"{label}: quick question {quick * 1000:,.0f} ms "
                    f"(slow one {total * 1000:,.0f} ms)"
                )
        store.close()


if __name__ == "__main__":
    main()
