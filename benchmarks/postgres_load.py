"""Two shard processes answering a crowd at once, their store in PostgreSQL vs SQLite.

Starts the Discord emulator (tests/emulator) with the guild on shard 2 of 4, and two
`citebot run` processes with an event-loop stall probe (benchmarks/_monitored_launch.py):
A on shards 0,1 (it gets the DMs), B on shards 2,3 (it gets the guild's /ask). USERS new
users each send PER_USER questions at the same moment, half by /ask (to B) and half by
DM (to A), so both processes answer at once. Reports, per backend:

- reply: question dispatched -> its reply received, p50 / p99 / max (emulator's clock)
- stall: the longest either process's event loop was held while the questions were in
  flight (a 10 ms sleep's worst lateness): every database call must run off the loop

SQLite: both processes share one data dir and its WAL store (one host, as the README
describes), each with its own in-memory cooldown. PostgreSQL: a throwaway server
(tests/pg_server.py, a free port of 127.0.0.1), each process its own data dir, the
cooldown taken in the database. The cooldown is set high (1000 a minute) so every
question is answered and the figures compare the same work.

    python benchmarks/postgres_load.py                 # 50 users x 4 = 200, 3 rounds each
    python benchmarks/postgres_load.py --rounds 5 --backends postgresql
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from emulator import DiscordEmulator  # noqa: E402
from emulator.crowd import BUNDLED_QUESTIONS, all_replies, ask_crowd  # noqa: E402
from pg_server import running_postgres  # noqa: E402

QUESTIONS = [
    q
    for q in BUNDLED_QUESTIONS
    if q not in ("how should I phrase a question?", "how are slash commands registered?")
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


@contextmanager
def two_bots(
    emulator: DiscordEmulator, work: Path, url: str | None
) -> Iterator[tuple[list[Path], list[subprocess.Popen[bytes]]]]:
    """Processes A (shards 0,1) and B (2,3); yields their stall logs and the processes;
    stops them at the end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEBOT_")}
    env.update(
        PYTHONPATH=str(REPO),
        EMULATOR_API_BASE=emulator.api_base,
        EMULATOR_GATEWAY=emulator.gateway_url,
        DISCORD_TOKEN=emulator.token,
        CITEBOT_CORPUS_DIR=str(REPO / "corpus"),
        CITEBOT_SHARD_COUNT="4",
        CITEBOT_COOLDOWN_RATE="1000",
        CITEBOT_WATCH_CORPUS="0",
        CITEBOT_LOG_LEVEL="INFO",
    )
    if url is not None:
        env["CITEBOT_DATABASE_URL"] = url
        # Every host hashes users with one key (each process has its own data dir here).
        env["CITEBOT_USER_KEY"] = "a-long-random-key-shared-by-every-host"
    processes: list[subprocess.Popen[bytes]] = []
    stall_logs: list[Path] = []
    try:
        for name, shards in (("A", "0,1"), ("B", "2,3")):
            data = work / (f"data-{name}" if url is not None else "data")
            stall_log = work / f"stalls-{name}.log"
            stall_logs.append(stall_log)
            with (work / f"{name}.log").open("w") as log:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, str(REPO / "benchmarks" / "_monitored_launch.py"), "run"],
                        env=env
                        | {
                            "CITEBOT_SHARD_IDS": shards,
                            "CITEBOT_DATA_DIR": str(data),
                            "STALL_LOG": str(stall_log),
                        },
                        cwd=work,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        yield stall_logs, processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


async def measure(backend: str, url: str | None, args: argparse.Namespace) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix=f"citebot-{backend}-"))
    emulator = DiscordEmulator(guild_shard=(2, 4), max_concurrency=4).start()
    lines = []
    try:
        with two_bots(emulator, work, url) as (stall_logs, processes):
            await emulator.wait_until(
                lambda: (
                    (len(emulator.identifies) == 4 and emulator.commands)
                    or any(p.poll() is not None for p in processes)
                ),
                timeout=300,
            )
            if any(p.poll() is not None for p in processes):
                for name in ("A", "B"):
                    print(f"--- {name}.log\n" + (work / f"{name}.log").read_text()[-2000:])
                raise SystemExit(f"{backend}: a bot process stopped at start")
            await asyncio.sleep(2.0)  # let both settle (guilds, first heartbeats)
            for round_number in range(1, args.rounds + 1):
                window_start = time.time()
                questions = await ask_crowd(
                    emulator, users=args.users, per_user=args.per_user, questions=QUESTIONS
                )
                replies = await all_replies(emulator, questions, timeout=600)
                window_end = time.time()
                stalls = [
                    float(late)
                    for log in stall_logs
                    for when, late in (line.split() for line in log.read_text().splitlines())
                    if window_start <= float(when) <= window_end + 0.05
                ]
                kinds = Counter(r.kind for r in replies)
                ms = [r.seconds * 1000 for r in replies]
                ways = Counter(r.question.way for r in replies)
                lines.append(
                    f"| {backend} | {round_number} | {len(replies)} ({ways['slash']} /ask to B, "
                    f"{ways['dm']} DMs to A) | {kinds['answer']} | "
                    f"{percentile(ms, 50):.0f} | {percentile(ms, 99):.0f} | {max(ms):.0f} | "
                    f"{max(stalls, default=0) * 1000:.1f} |"
                )
                print(lines[-1], flush=True)
                await asyncio.sleep(1.0)
    finally:
        emulator.stop()
        shutil.rmtree(work, ignore_errors=True)
    return lines


async def run(args: argparse.Namespace) -> int:
    print(
        "| store | round | questions at once | answered | reply p50 ms | reply p99 ms | "
        "max ms | longest loop stall ms |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    if "sqlite" in args.backends:
        await measure("SQLite", None, args)
    if "postgresql" in args.backends:
        with running_postgres() as server:
            await measure("PostgreSQL", server.create_database(), args)
    print(f"\nPython {sys.version.split()[0]}, {os.cpu_count()} cores")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
