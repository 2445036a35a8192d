"""Reply latency of `citebot run` through the Discord emulator, over real sockets.

Starts the emulator (tests/emulator), runs the real `citebot run` in a subprocess
pointed at it, asks N questions one after another by /ask and N by DM, and reports,
from the emulator's clock:

- ack:    INTERACTION_CREATE sent -> deferral received (Discord's 3 s deadline)
- answer: INTERACTION_CREATE sent -> answer received (followup with the excerpts)
- dm:     MESSAGE_CREATE sent -> reply received

    python benchmarks/discord_latency.py            # 100 questions, bundled corpus
    python benchmarks/discord_latency.py -n 300 --corpus path/to/articles
    python benchmarks/discord_latency.py --synthetic 5000   # a larger, generated corpus
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from emulator import DiscordEmulator  # noqa: E402
from emulator.crowd import BUNDLED_QUESTIONS  # noqa: E402

QUESTIONS = list(BUNDLED_QUESTIONS)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{name:<7} n={len(ms):<4} p50={percentile(ms, 50):7.1f} ms"
        f"  p99={percentile(ms, 99):7.1f} ms  mean={statistics.fmean(ms):7.1f} ms"
        f"  max={max(ms):7.1f} ms"
    )


def synthetic_corpus(count: int, target: Path, seed: int = 7) -> Path:
    """`count` Markdown articles whose paragraphs remix the bundled corpus's sentences."""
    rng = random.Random(seed)
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "corpus").glob("*.md")))
    text = re.sub(r"(?s)^---.*?---", " ", text)
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 5]
    target.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        paragraphs = [" ".join(rng.sample(sentences, 4)) for _ in range(rng.randint(4, 12))]
        body = "\n\n".join(paragraphs)
        (target / f"article-{number:05d}.md").write_text(
            f"---\ntitle: Synthetic article {number}\n---\n\n{body}\n", encoding="utf-8"
        )
    return target


def new_requests(emulator: DiscordEmulator, method: str, path: str, before: int):
    """A check for `wait_until`: the matching requests after the first `before`."""
    return lambda: emulator.requests_matching(method, path)[before:]


async def measure(emulator: DiscordEmulator, count: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"ack": [], "answer": [], "dm": []}
    asker = emulator.create_user("asker")
    for number in range(count):
        question = QUESTIONS[number % len(QUESTIONS)]
        before = len(emulator.requests_matching("POST", "/webhooks/*"))
        payload = await asyncio.to_thread(emulator.slash, asker, "ask", question=question)
        followups = await emulator.wait_until(new_requests(emulator, "POST", "/webhooks/*", before))
        record = emulator.interactions[payload["token"]]
        assert record.acknowledged_at is not None
        results["ack"].append(record.acknowledged_at - record.sent_at)
        results["answer"].append(followups[0].at - record.sent_at)
        footer = followups[0].json["embeds"][0]["footer"]["text"]
    print(f"last /ask answer: {footer!r}")
    dm_user = emulator.create_user("dm-asker")
    channel = emulator.dm_channel_of(dm_user)
    for number in range(count):
        question = QUESTIONS[number % len(QUESTIONS)]
        before = len(emulator.requests_matching("POST", f"/channels/{channel}/messages"))
        message = await asyncio.to_thread(emulator.send_dm, dm_user, question)
        replies = await emulator.wait_until(
            new_requests(emulator, "POST", f"/channels/{channel}/messages", before)
        )
        results["dm"].append(replies[0].at - emulator.sent_at[int(message["id"])])
    return results


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "-n", "--questions", type=int, default=100, help="questions per way of asking"
    )
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--synthetic", type=int, metavar="N", help="generate N articles instead")
    args = parser.parse_args()

    emulator = DiscordEmulator().start()
    data_dir = Path(tempfile.mkdtemp(prefix="citebot-latency-"))
    if args.synthetic:
        args.corpus = synthetic_corpus(args.synthetic, data_dir / "corpus")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEBOT_")}
    env.update(
        PYTHONPATH=str(REPO),
        EMULATOR_API_BASE=emulator.api_base,
        EMULATOR_GATEWAY=emulator.gateway_url,
        DISCORD_TOKEN=emulator.token,
        CITEBOT_CORPUS_DIR=str(args.corpus.resolve()),
        CITEBOT_DATA_DIR=str(data_dir),
        CITEBOT_COOLDOWN_RATE="1000",
        CITEBOT_LOG_LEVEL="WARNING",
    )
    process = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "emulator" / "launch.py"), "run"],
        env=env,
        cwd=data_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        started = time.perf_counter()
        await emulator.wait_until(lambda: emulator.identifies and emulator.commands, timeout=300)
        print(f"bot connected after {time.perf_counter() - started:.2f} s (index built or loaded)")
        await asyncio.sleep(0.5)
        results = await measure(emulator, args.questions)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        emulator.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"{args.questions} questions each, corpus {args.corpus}, Python {sys.version.split()[0]}")
    for name, values in results.items():
        print(summary(name, values))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
