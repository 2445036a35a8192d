"""What a library grown from its base costs that a full build does not: start-up and spellers.

Nothing of an update is saved: a process that starts on a folder changed since the last
full build reads the saved base and parses the changed files again, and a library with
new words builds its spellers in memory at its first typo (a full build's are saved by
the first process that meets one, then mapped). For a corpus of about `--passages`
(the eval set's articles replicated, as `batch_bench.py` does), built once by `citebot
index`, each figure is taken in a fresh process, best of `--repeat`:

* opening the engine (`Engine.open` + `prepare`, what the bot does before it answers) and
  the wall time of one `citebot ask`, with the folder as built, then with `--share` of
  its passages added as a new JSONL file (grown at start), then with as many changed in
  an existing file (its articles taken out and read again);
* the first question with a typo, and a second one, on the library as built (spellers
  mapped) and on the grown library (spellers built in memory).

    python benchmarks/grown_bench.py --passages 100000 --share 0.01
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from batch_bench import EVAL, make_corpus  # noqa: E402
from support import run_citebot, subprocess_env  # noqa: E402

QUESTION = "When was the University of Notre Dame founded?"
TYPOS = ("When was the univeristy of Notre Dame foundded?", "Who desgined the Notre Dame doome?")

#: Run in a fresh process: open the engine, then ask the typo questions, timing each.
PROBE = """
import json, sys, time
from pathlib import Path
from bot.answer import Engine
from bot.incremental import changed_passages
from bot.settings import Settings
corpus, data, typos = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
started, started_cpu = time.perf_counter(), time.process_time()
engine = Engine.open(Settings(corpus_dir=Path(corpus), data_dir=Path(data)), on_warning=print)
opened, open_cpu = time.perf_counter(), time.process_time() - started_cpu
engine.prepare()
prepared = time.perf_counter()
times, cpu = [], []
for typo in typos:
    began, began_cpu = time.perf_counter(), time.process_time()
    engine.answer(typo)
    times.append(time.perf_counter() - began)
    cpu.append(time.process_time() - began_cpu)
print(json.dumps({"open": opened - started, "prepare": prepared - opened, "typos": times,
                  "typos_cpu": cpu, "open_cpu": open_cpu,
                  "changed": changed_passages(engine), "passages": engine.passage_count}))
"""


def probe(corpus: Path, data: Path, repeat: int) -> dict:
    """The fastest of `repeat` fresh processes opening the engine and asking the typos."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, str(corpus), str(data), json.dumps(TYPOS)],
            env=subprocess_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda run: run["open"] + run["prepare"])
    best["first_typo"] = min(run["typos"][0] for run in runs)
    best["second_typo"] = min(run["typos"][1] for run in runs)
    best["first_typo_cpu"] = min(run["typos_cpu"][0] for run in runs)
    best["open_cpu"] = min(run["open_cpu"] for run in runs)
    return best


def ask_wall(corpus: Path, data: Path, repeat: int) -> float:
    """The fastest wall time of `citebot ask QUESTION` (start-up included)."""
    folders = ("--corpus", str(corpus), "--data-dir", str(data))
    walls = []
    for _ in range(repeat):
        started = time.perf_counter()
        run_citebot("ask", QUESTION, *folders, cwd=corpus.parent, check=True, timeout=None)
        walls.append(time.perf_counter() - started)
    return min(walls)


def extra_file(path: Path, passages: int, marker: str) -> None:
    """A JSONL file of the eval set's articles, tagged by `marker`, about `passages` long."""
    data = json.loads(EVAL.read_text())["data"]
    written = 0
    with open(path, "w") as out:
        for number, article in enumerate(data):
            if written >= passages:
                break
            text = "\n\n".join(f"{p['context']} ({marker})" for p in article["paragraphs"])
            title = f"{article['title'].replace('_', ' ')} ({marker})"
            out.write(json.dumps({"id": number, "title": title, "text": text}) + "\n")
            written += len(article["paragraphs"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="grown-bench-"))
    corpus, data = root / "corpus", root / "data"
    make_corpus(corpus, args.passages)
    folders = ("--corpus", str(corpus), "--data-dir", str(data))
    started = time.perf_counter()
    built = run_citebot("index", *folders, cwd=root, check=True, timeout=None)
    print(f"citebot index: {time.perf_counter() - started:.1f} s; {built.stdout.strip()}")
    # Spellers saved by a first typo on the library as built, as a bot's first one does.
    run_citebot("ask", TYPOS[0], *folders, cwd=root, check=True, timeout=None)
    rows = [("as built", probe(corpus, data, args.repeat), ask_wall(corpus, data, args.repeat))]
    added = corpus / "zz-added.jsonl"
    extra_file(added, int(args.passages * args.share), "zqxadded")
    rows.append((f"{args.share:.0%} added", probe(corpus, data, args.repeat), 0.0))
    rows[-1] = (rows[-1][0], rows[-1][1], ask_wall(corpus, data, args.repeat))
    added.unlink()
    changed = corpus / "copy-0000.jsonl"
    lines = changed.read_text().splitlines(keepends=True)
    kept, passages, cut = [], 0, int(args.passages * args.share)
    for line in lines:  # the first articles' text changed, about `share` of the passages
        record = json.loads(line)
        if passages < cut:
            passages += record["text"].count("\n\n") + 1
            record["text"] += " (changed)"
        kept.append(json.dumps(record) + "\n")
    changed.write_text("".join(kept))
    probed = probe(corpus, data, args.repeat)
    rows.append((f"{args.share:.0%} changed", probed, ask_wall(corpus, data, args.repeat)))
    print()
    print(
        "| library | passages changed | open + prepare (open's CPU) | first typo question "
        "(CPU) | second | `citebot ask` wall |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, run, wall in rows:
        print(
            f"| {name} | {run['changed']:,} of {run['passages']:,} | "
            f"{run['open']:.2f} + {run['prepare']:.2f} s ({run['open_cpu']:.2f} s) | "
            f"{run['first_typo'] * 1000:.0f} ms ({run['first_typo_cpu'] * 1000:.0f} ms) | "
            f"{run['second_typo'] * 1000:.0f} ms | {wall:.2f} s |"
        )


if __name__ == "__main__":
    main()
