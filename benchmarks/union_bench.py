"""Answers on a grown library (searched beside its index) against the same library's
base, interleaved question by question so both see the same load.

The eval set's articles are replicated to about `--passages` passages (as
`batch_bench.py` does; with `--distinct` every copy of a paragraph after the first
loses a tenth of its words, as in `add_bench.py`) and `citebot index` builds them,
or `--root` names a folder whose `corpus/` is built already. Two engines are opened:
the base, and the same library with `add_bench`'s 10-paragraph article added
(`bot.incremental`: searched beside the index, a `UnionIndex`). Each question is then
asked of both in turn, 300 questions, `--rounds` times:

* answers through `Engine.answer` (what the bot does), base and grown;
* the index's top k of the question's search (what `Engine.answer` asks for): the
  base's pruned search, the union's pruned search (MaxScore on the union's
  statistics), and the union scoring every posting of the query's terms (its path
  when it cannot prune; asked for with a range of the whole library).

    python benchmarks/union_bench.py --passages 1M [--distinct] [--root DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from add_bench import ARTICLE, make_distinct_corpus  # noqa: E402
from batch_bench import EVAL, make_corpus  # noqa: E402
from bm25_bench import percentile  # noqa: E402
from import_bench import index as timed_index  # noqa: E402
from startup_bench import parse_size  # noqa: E402


def engines(root: Path):
    """The library's engine as built, and with the article added beside its index."""
    os.chdir(root)
    from bot.answer import Engine
    from bot.settings import Settings

    settings = Settings.from_env()
    base = Engine.open(settings)
    added = root / "corpus" / "okapi-zebras.md"
    added.write_text(ARTICLE)
    try:
        grown = Engine.open(settings)
    finally:
        added.unlink()
    return base, grown


def searches(engine, questions: list[str]) -> list[tuple[list[str], int]]:
    """The (terms, k) of each top k the engine asks its index for while answering."""
    index, asked = engine.index, []
    real = index.top_k

    def spy(query, k, *, doc_range=None):
        if doc_range is None:
            asked.append((list(query), k))
        return real(query, k, doc_range=doc_range)

    index.top_k = spy
    try:
        for question in questions:
            engine.answer(question)
    finally:
        del index.top_k
    return asked


def interleaved(calls: dict[str, Callable[[int], object]], n: int, rounds: int) -> dict:
    """p50/p99 in ms of each call over items 0..n-1, the calls taking turns per item."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for item in range(n):
            for name, call in calls.items():
                started = time.perf_counter()
                call(item)
                times[name].append((time.perf_counter() - started) * 1000)
    return {
        name: {"p50": percentile(t, 50), "p99": percentile(t, 99), "n": len(t)}
        for name, t in times.items()
    }


def run(root: Path, questions: list[str], rounds: int) -> dict:
    base, grown = engines(root)
    asked = searches(grown, questions)
    everything = (0, grown.index.n_docs)
    answers = interleaved(
        {
            "base": lambda i: base.answer(questions[i]),
            "grown": lambda i: grown.answer(questions[i]),
        },
        len(questions),
        rounds,
    )
    top_k = interleaved(
        {
            "base": lambda i: base.index.top_k(*asked[i]),
            "union pruned": lambda i: grown.index.top_k(*asked[i]),
            "union every posting": lambda i: grown.index.top_k(*asked[i], doc_range=everything),
        },
        len(asked),
        rounds,
    )
    return {"passages": base.passage_count, "answers": answers, "top_k": top_k}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passages", default="100k", help="about this many passages: 100k, 1M")
    parser.add_argument("--distinct", action="store_true", help="copies of a paragraph differ")
    parser.add_argument("--root", type=Path, help="a folder whose corpus/ is built already")
    parser.add_argument("--rounds", type=int, default=2, help="times each question is asked")
    args = parser.parse_args()
    make = make_distinct_corpus if args.distinct else make_corpus
    if args.root is not None:
        root = args.root.resolve()
        data = json.loads(EVAL.read_text())["data"]
        questions = [qa["question"] for a in data for p in a["paragraphs"] for qa in p["qas"]]
        result = run(root, questions[:300], args.rounds)
    else:
        with tempfile.TemporaryDirectory(prefix="citebot-union-") as scratch:
            root = Path(scratch)
            questions = make(root / "corpus", parse_size(args.passages))[:300]
            timed_index(root)
            result = run(root, questions, args.rounds)
    print(json.dumps(result), file=sys.stderr)
    print(f"{result['passages']:,} passages{' (distinct copies)' if args.distinct else ''}")
    print("| what | p50 | p99 | n |")
    print("|---|---:|---:|---:|")
    for part in ("answers", "top_k"):
        for name, s in result[part].items():
            print(f"| {part}: {name} | {s['p50']:.2f} ms | {s['p99']:.2f} ms | {s['n']} |")


if __name__ == "__main__":
    main()
