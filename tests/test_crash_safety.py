"""kill -9 at random moments while the index is saved: the next start never sees half an index."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from support import citebot_command, run_citebot, subprocess_env

REPO = Path(__file__).resolve().parent.parent
KILLS = 20

SAVE_LOOP = """
import sys
from pathlib import Path
from bot.corpus import load_corpus
from bot.index import index_passages, save_cached
from bot.settings import Settings
from bot.text import Analyzer
settings = Settings(corpus_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[2]))
corpus = load_corpus(settings.corpus_dir)
passages, index = index_passages(corpus, Analyzer(), settings)
save_cached(settings.data_dir / 'index', 'b' * 24, passages, index)
print('ready', flush=True)  # one whole index exists before any kill can land
n = 0
while True:  # save after save, alternating names, until killed
    save_cached(settings.data_dir / 'index', 'ab'[n % 2] * 24, passages, index)
    n += 1
"""


def test_kill_during_saves_leaves_only_complete_indexes(tmp_path: Path) -> None:
    from bot.corpus import load_corpus
    from bot.index import load_cached

    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    corpus = load_corpus(tmp_path / "corpus")
    rng = random.Random(7)
    for attempt in range(KILLS):
        process = subprocess.Popen(
            [sys.executable, "-c", SAVE_LOOP, str(tmp_path / "corpus"), str(tmp_path / "data")],
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.005, 0.25))  # the child is in the middle of some save
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        root = tmp_path / "data" / "index"
        visible = [p for p in root.iterdir() if not p.name.startswith(".")]
        assert len(visible) >= 1, f"attempt {attempt}: no index left at all"
        for folder in visible:
            passages, index = load_cached(
                folder, corpus, folder.name
            )  # raises if anything is half-written
            assert index.n_docs == len(passages) > 0


def test_index_save_killed_at_random_moments_never_leaves_a_broken_index(tmp_path: Path) -> None:
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    env = subprocess_env()
    rng = random.Random(20261129)
    # How long a whole `citebot index` takes here, so kills land across all of it.
    started = time.perf_counter()
    run_citebot("index", cwd=tmp_path, check=True)
    full = time.perf_counter() - started

    for attempt in range(KILLS // 4):
        # A changed corpus each time, so every run has a new index to build and save.
        (tmp_path / "corpus" / f"note-{attempt}.md").write_text(
            f"# Note {attempt}\n\nNote number {attempt} about okapis."
        )
        process = subprocess.Popen(
            citebot_command("index"),
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0, full * 1.1))
        process.send_signal(signal.SIGKILL)
        process.wait()

        run = run_citebot("ask", "Who founded DeepSeek?", cwd=tmp_path, timeout=60)
        assert run.returncode == 0, run.stderr
        assert "unusable" not in run.stderr, (
            f"attempt {attempt}: a half-written index was found: {run.stderr}"
        )
        assert "Liang Wenfeng" in run.stdout

    visible = [
        p.name for p in (tmp_path / ".citebot" / "index").iterdir() if not p.name.startswith(".")
    ]
    assert len(visible) == 1


async def test_cli_index_and_a_running_bot_never_corrupt_each_others_index(tmp_path: Path) -> None:
    import asyncio

    from bot.live import LiveEngine
    from bot.settings import Settings

    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    settings = Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / ".citebot")
    live = LiveEngine(settings)
    assert (await live.reload()).ok
    env = subprocess_env()
    for round_number in range(3):
        # The corpus changes, then the CLI and the bot rebuild the same index at once.
        (tmp_path / "corpus" / f"round-{round_number}.md").write_text(
            f"# Round {round_number}\n\nRound {round_number} brought aardvarks."
        )
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "index",
                cwd=tmp_path,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(2)
        ]
        results = await asyncio.gather(
            live.reload(), live.reload(), *(p.communicate() for p in processes)
        )
        assert all(r.ok and not r.warnings for r in results[:2])
        for process, (_, stderr) in zip(processes, results[2:], strict=True):
            assert process.returncode == 0, stderr.decode()
            assert b"unusable" not in stderr and b"warning" not in stderr.lower()
        assert live.engine.article(f"round-{round_number}") is not None
    visible = [p for p in (tmp_path / ".citebot" / "index").iterdir() if not p.name.startswith(".")]
    assert len(visible) == 1
