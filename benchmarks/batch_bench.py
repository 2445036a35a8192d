"""End to end: `citebot ask -` in batch over real-looking articles, questions per second.

The eval set's Wikipedia articles are replicated (each copy's paragraphs tagged so the
loader does not drop them as duplicates) until the corpus holds about the passages
asked for; 1,000 of the set's questions are then asked through the real CLI in a
subprocess, batch mode, index loaded once: in one process, then with `--jobs N`
(N processes forked after loading), side by side.

    python benchmarks/batch_bench.py --passages 100000 --questions 1000 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support import run_citebot  # noqa: E402

EVAL = REPO.parent / "shared" / "eval" / "squad-dev-v1.1-public.json"


def make_corpus(folder: Path, passages: int) -> list[str]:
    data = json.loads(EVAL.read_text())["data"]
    paragraphs_per_copy = sum(len(a["paragraphs"]) for a in data)
    copies = max(1, round(passages / paragraphs_per_copy))
    folder.mkdir(parents=True, exist_ok=True)
    for copy in range(copies):
        with open(folder / f"copy-{copy:04d}.jsonl", "w") as out:
            for number, article in enumerate(data):
                text = "\n\n".join(f"{p['context']} (copy {copy})" for p in article["paragraphs"])
                title = f"{article['title'].replace('_', ' ')} ({copy})"
                out.write(json.dumps({"id": number, "title": title, "text": text}) + "\n")
    return [qa["question"] for a in data for p in a["paragraphs"] for qa in p["qas"]]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the second run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="citebot-batch-") as scratch:
        root = Path(scratch)
        questions = make_corpus(root / "corpus", args.passages)[: args.questions]
        started = time.perf_counter()
        index = run_citebot("index", cwd=root, check=True, timeout=None)
        build_s = time.perf_counter() - started
        stdin = "\n".join(questions) + "\n"
        started = time.perf_counter()
        run_citebot("ask", "-", cwd=root, stdin="", check=True, timeout=None)
        startup_s = time.perf_counter() - started
        runs = {}
        for jobs in (1, args.jobs):
            started = time.perf_counter()
            run = run_citebot(
                "ask", "-", "--jobs", str(jobs), cwd=root, stdin=stdin, check=True, timeout=None
            )
            runs[jobs] = (
                time.perf_counter() - started,
                [json.loads(line) for line in run.stdout.splitlines()],
            )
    print(f"corpus: {index.stdout.strip()}")
    print(f"cold build (citebot index): {build_s:.1f} s")
    print(f"start-up with the saved index, no questions: {startup_s:.2f} s")
    for jobs, (batch_s, answers) in runs.items():
        per_question = sorted(a["elapsed_ms"] for a in answers)
        print(
            f"--jobs {jobs}: {len(answers)} questions in {batch_s:.2f} s wall = "
            f"{len(answers) / batch_s:.0f} questions/s "
            f"({len(answers) / max(batch_s - startup_s, 1e-9):.0f}/s after start-up); "
            f"per question p50 {per_question[len(per_question) // 2]:.2f} ms, "
            f"p99 {per_question[int(len(per_question) * 0.99)]:.2f} ms; "
            f"found {sum(a['found'] for a in answers)}"
        )
    one, many = runs[1][0], runs[args.jobs][0]
    print(f"--jobs {args.jobs} against one process: {one / many:.2f}x the questions per second")


if __name__ == "__main__":
    main()
