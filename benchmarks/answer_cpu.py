"""CPU per answer, in one process, by part: what `citebot ask -` spends on each question.

The corpus and questions of `batch_bench.py` (the eval set's articles replicated to about
the passages asked for); each checkout builds its index once, then answers the questions
in one pass, as `citebot ask -` does (after `Engine.open`, `prepare` and `gc.freeze()`),
timing each answer's CPU (`time.thread_time`, which a loaded machine swells less than
wall time) and its parts: reading the question, its terms, BM25, re-ranking, excerpts.

    python benchmarks/answer_cpu.py --passages 100000 --baseline <checkout> --repeat 3

With `--baseline`, the two checkouts take turns, a fresh process each pass.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from batch_bench import make_corpus  # noqa: E402

#: The engine's methods timed, by the name of the part they do.
PARTS = {
    "read": ("reader", "read"),
    "terms": ("Engine", "_understand"),
    "bm25": ("index", "top_k"),
    "rerank": ("Engine", "_rerank"),
    "local": ("Engine", "_local_weights"),
    "results": ("Engine", "_results"),
}


def worker(corpus: Path, data: Path, questions: Path) -> None:
    """One pass of the questions; prints each answer's CPU milliseconds and its parts'."""
    from bot.answer import Engine
    from bot.errors import QuestionError
    from bot.settings import Settings

    engine = Engine.open(Settings(corpus_dir=corpus, data_dir=data))
    engine.prepare()
    gc.freeze()
    spent: dict[str, float] = {}

    def timed(owner: Any, name: str, part: str) -> None:
        method = getattr(owner, name)

        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                spent[part] = spent.get(part, 0.0) + (time.thread_time() - started) * 1000

        setattr(owner, name, wrapper)

    owners = {"Engine": Engine, "reader": type(engine.reader), "index": type(engine.index)}
    for part, (owner, name) in PARTS.items():
        timed(owners[owner], name, part)
    rows = []
    for question in questions.read_text().splitlines():
        spent.clear()
        started = time.thread_time()
        try:
            engine.answer(question)
        except QuestionError:
            continue
        rows.append({"total": (time.thread_time() - started) * 1000, **spent})
    print(json.dumps(rows))


def one_pass(checkout: Path, corpus: Path, data: Path, questions: Path) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    command = [sys.executable, __file__, "--worker", str(corpus), str(data), str(questions)]
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return list(json.loads(run.stdout.splitlines()[-1]))


def summary(rows: list[dict], part: str) -> str:
    values = sorted(row.get(part, 0.0) for row in rows)
    n = len(values)
    return (
        f"mean {statistics.fmean(values):.2f} p50 {values[n // 2]:.2f} "
        f"p90 {values[int(n * 0.9)]:.2f} p99 {values[int(n * 0.99)]:.2f} ms"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*(Path(arg) for arg in sys.argv[2:5]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--baseline", type=Path, help="another checkout, run in turns")
    parser.add_argument("--repeat", type=int, default=3, help="passes of each checkout")
    args = parser.parse_args()
    checkouts = {"this": REPO}
    if args.baseline:
        checkouts["baseline"] = args.baseline.resolve()
    with tempfile.TemporaryDirectory(prefix="citebot-cpu-") as scratch:
        root = Path(scratch)
        questions = make_corpus(root / "corpus", args.passages)[: args.questions]
        (root / "questions.txt").write_text("\n".join(questions) + "\n")
        for turn in range(args.repeat):
            for name, checkout in checkouts.items():
                rows = one_pass(checkout, root / "corpus", root / name, root / "questions.txt")
                load = os.getloadavg()[0]
                print(f"[{name}] pass {turn + 1} (load {load:.1f}), {len(rows)} answers:")
                for part in ("total", *PARTS):
                    print(f"  {part:8} {summary(rows, part)}")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
