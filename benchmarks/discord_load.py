"""Many users asking `citebot run` at once, through the Discord emulator over real sockets.

Starts the emulator (tests/emulator), runs the real `citebot run` in a subprocess with
an event-loop stall probe (benchmarks/_monitored_launch.py), has USERS new users each
send PER_USER questions at the same moment (half by /ask, half by DM) and reports:

- reply:  question dispatched -> its reply received (the answer, or "try again in N s"),
          p50 / p99 / max, from the emulator's clock
- stall:  the longest the bot's event loop was held (a 10 ms sleep's worst lateness)
          while the questions were in flight; all search must run off the loop
- whether every question was answered or told to cool down per its user's limit
  (the bot's defaults: 5 a minute per user)

    python benchmarks/discord_load.py                          # 50 users x 4, bundled corpus
    python benchmarks/discord_load.py --per-user 6             # 1 cooldown per user expected
    python benchmarks/discord_load.py --passages 100000        # + ~100k generated passages
    python benchmarks/discord_load.py --passages 1000000 --per-user 1   # 50 at once over 1M

Generated corpora (JSONL, Zipf-distributed English and made-up words, with the bundled
articles in them so the questions have real answers) and their saved indexes are kept
in benchmarks/.cache/ (gitignored): the first run builds, later runs load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "benchmarks" / ".cache"
sys.path.insert(0, str(REPO / "tests"))

from emulator import DiscordEmulator  # noqa: E402
from emulator.crowd import (  # noqa: E402
    BUNDLED_QUESTIONS,
    all_replies,
    ask_crowd,
    cooldowns_per_user,
)

QUESTIONS = [
    q
    for q in BUNDLED_QUESTIONS
    if q not in ("how should I phrase a question?", "how are slash commands registered?")
]
ARTICLES_PER_FILE = 2_500  # ~10 MB of JSONL: under the corpus reader's 20 MB a file
PARAGRAPHS_PER_ARTICLE = 8


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


# --- a large corpus through the real pipeline -------------------------------------------


def vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    """The bundled corpus's words, most frequent first, then made-up words up to `size`."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "corpus").glob("*.md")))
    counts = Counter(re.findall(r"[a-z]{2,}", text.lower()))
    words = [w for w, _ in counts.most_common()]
    syllables = [a + b for a in "bdfgklmnprstvz" for b in "aeiou"]
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(syllables, size=int(rng.integers(2, 5))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def generate_corpus(passages: int, target: Path, seed: int = 11) -> None:
    """About `passages` passages of Zipf(1.1) text in JSONL files, plus the bundled articles."""
    rng = np.random.default_rng(seed)
    words = np.array(vocabulary(50_000, rng))
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    weights = ranks**-1.1
    weights /= weights.sum()
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted((REPO / "corpus").iterdir()):
        if path.is_file():
            shutil.copy(path, target / path.name)
    articles = max(1, passages // PARAGRAPHS_PER_ARTICLE)
    started = time.perf_counter()
    for first in range(0, articles, ARTICLES_PER_FILE):
        count = min(ARTICLES_PER_FILE, articles - first)
        sentences = count * PARAGRAPHS_PER_ARTICLE * 5
        lengths = rng.integers(8, 21, size=sentences)
        drawn = words[rng.choice(len(words), size=int(lengths.sum()), p=weights)]
        cuts = np.cumsum(lengths)[:-1]
        texts = [" ".join(s) for s in np.split(drawn, cuts)]
        lines = []
        for a in range(count):
            base = a * PARAGRAPHS_PER_ARTICLE * 5
            paragraphs = [
                " ".join(t.capitalize() + "." for t in texts[base + p * 5 : base + p * 5 + 5])
                for p in range(PARAGRAPHS_PER_ARTICLE)
            ]
            number = first + a
            title = " ".join(texts[base].split()[:4]).title()
            lines.append(
                json.dumps(
                    {
                        "id": f"synthetic-{number:07d}",
                        "title": f"{title} ({number})",
                        "text": "\n\n".join(paragraphs),
                    }
                )
            )
        (target / f"synthetic-{first // ARTICLES_PER_FILE:04d}.jsonl").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )
        done = first + count
        print(
            f"\r  generated {done:,}/{articles:,} articles ({time.perf_counter() - started:.0f} s)",
            end="",
            flush=True,
        )
    print()


def corpus_for(passages: int) -> tuple[Path, Path]:
    """(corpus folder, data folder) for `passages` generated passages (0: bundled only)."""
    if passages == 0:
        data = Path(tempfile.mkdtemp(prefix="citebot-load-"))
        return REPO / "corpus", data
    folder = CACHE / f"load-{passages}"
    corpus, data = folder / "corpus", folder / "data"
    if not (folder / "corpus.done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating a corpus of ~{passages:,} passages in {corpus}")
        generate_corpus(passages, corpus)
        (folder / "corpus.done").write_text("ok\n")
    data.mkdir(parents=True, exist_ok=True)
    (data / "citebot.sqlite3").unlink(missing_ok=True)  # a fresh question log each run
    return corpus, data


# --- the run -----------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> int:
    corpus, data = corpus_for(args.passages)
    emulator = DiscordEmulator().start()
    stall_log = data / "stalls.log"
    bot_log = data / "bot.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEBOT_")}
    env.update(
        PYTHONPATH=str(REPO),
        EMULATOR_API_BASE=emulator.api_base,
        EMULATOR_GATEWAY=emulator.gateway_url,
        STALL_LOG=str(stall_log),
        DISCORD_TOKEN=emulator.token,
        CITEBOT_CORPUS_DIR=str(corpus),
        CITEBOT_DATA_DIR=str(data),
        CITEBOT_LOG_LEVEL="INFO",
    )
    started = time.perf_counter()
    with bot_log.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "benchmarks" / "_monitored_launch.py"), "run"],
            env=env,
            cwd=data,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        await emulator.wait_until(
            lambda: emulator.commands or process.poll() is not None, timeout=args.start_timeout
        )
        if process.poll() is not None:
            print(bot_log.read_text()[-3000:])
            return 1
        ready = time.perf_counter() - started
        loaded = re.search(
            r"answering from ([\d,]+) articles \(([\d,]+) passages\)", bot_log.read_text()
        )
        await asyncio.sleep(1.0)  # let start-up settle before measuring
        window_start = time.time()
        questions = await ask_crowd(
            emulator, users=args.users, per_user=args.per_user, questions=QUESTIONS
        )
        replies = await all_replies(emulator, questions, timeout=args.reply_timeout)
        window_end = time.time()
        stalls = [
            float(late)
            for when, late in (line.split() for line in stall_log.read_text().splitlines())
            if window_start <= float(when) <= window_end + 0.05
        ]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        emulator.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    kinds = Counter(r.kind for r in replies)
    cooled = cooldowns_per_user(replies)
    expected_cooldowns = max(0, args.per_user - 5)
    held = kinds["other"] == 0 and set(cooled.values()) == {expected_cooldowns}
    ms = [r.seconds * 1000 for r in replies]
    answer_ms = [r.seconds * 1000 for r in replies if r.kind == "answer"]
    print(
        f"corpus: {corpus} — {loaded.group(1) if loaded else '?'} articles, "
        f"{loaded.group(2) if loaded else '?'} passages; bot ready after {ready:.1f} s "
        f"(index {'built' if 'index ready' in bot_log.read_text() else 'built or loaded'}), "
        f"bot peak RSS {peak_rss:,.0f} MB"
    )
    print(
        f"{args.users} users x {args.per_user} questions at once = {len(replies)}: "
        f"{kinds['answer']} answered, {kinds['cooldown']} told to cool down, "
        f"{kinds['other']} other; cooldowns per user {sorted(set(cooled.values()))} "
        f"(expected {expected_cooldowns}) -> {'held' if held else 'DID NOT HOLD'}"
    )
    print(
        f"reply   p50={percentile(ms, 50):8.1f} ms  p99={percentile(ms, 99):8.1f} ms  "
        f"max={max(ms):8.1f} ms  mean={statistics.fmean(ms):8.1f} ms"
    )
    if answer_ms and len(answer_ms) != len(ms):
        print(
            f"answers p50={percentile(answer_ms, 50):8.1f} ms  "
            f"p99={percentile(answer_ms, 99):8.1f} ms"
        )
    print(
        f"longest event-loop stall while answering: {max(stalls, default=0) * 1000:.1f} ms "
        f"({len(stalls)} wake-ups late by >1 ms; target < 50 ms)"
    )
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    if args.passages == 0:
        shutil.rmtree(data, ignore_errors=True)
    return 0 if held else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=4)
    parser.add_argument(
        "--passages", type=int, default=0, help="generated passages added (0: bundled corpus)"
    )
    parser.add_argument("--start-timeout", type=float, default=3600)
    parser.add_argument("--reply-timeout", type=float, default=600)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
