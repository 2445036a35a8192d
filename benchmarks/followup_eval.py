"""Follow-ups in a thread: answer@1 of the second question of each pair, with and without the lean.

Usage: python benchmarks/followup_eval.py [--pairs benchmarks/followups.jsonl] [--corpus corpus]
       [--per-page 3] [--lean 0.5] [--show-misses]

Each line of the pairs file holds a first question, a follow-up that leans on it ("Who founded
DeepSeek?" then "What did he do before?") and the follow-up's expected answer phrases. The
first question is asked as `/ask` asks it (`per_page` results); the articles its answer cites
are what the thread remembers (`bot.threads`). The follow-up is then asked alone, and again
with `Engine.answer(prefer_articles=those articles)`. answer@1: an expected phrase (SQuAD-
normalised) is in the first excerpt; a "not found" answer counts as a miss.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bot.answer import FOLLOW_UP_LEAN, Engine
from bot.evaluate import contains_answer
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def load_pairs(path: Path) -> list[dict[str, object]]:
    """The question pairs, one JSON object a line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=ROOT / "benchmarks" / "followups.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--per-page", type=int, default=3)
    parser.add_argument("--lean", type=float, default=FOLLOW_UP_LEAN)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)
    pairs = load_pairs(args.pairs)
    with tempfile.TemporaryDirectory() as data:
        engine = Engine.open(Settings(corpus_dir=args.corpus, data_dir=Path(data)))
        counts = {"first@1": 0, "alone@1": 0, "lean@1": 0, "alone found": 0, "lean found": 0}
        for pair in pairs:
            expected = list(pair["expected"])  # type: ignore[call-overload]
            first = engine.answer(str(pair["first"]), k=args.per_page)
            cited = list(dict.fromkeys(r.article_id for r in first.results))
            counts["first@1"] += bool(first.results)
            alone = engine.answer(str(pair["followup"]), k=args.per_page)
            leaned = engine.answer(
                str(pair["followup"]), k=args.per_page, prefer_articles=cited, lean=args.lean
            )
            for name, answer in (("alone", alone), ("lean", leaned)):
                hit = bool(answer.results) and contains_answer(answer.results[0].excerpt, expected)
                counts[f"{name}@1"] += hit
                counts[f"{name} found"] += answer.found
                if args.show_misses and not hit:
                    top = answer.results[0].article_id if answer.results else "not found"
                    print(f"  miss ({name}): {pair['followup']!r} after {pair['first']!r} → {top}")
    n = len(pairs)
    print(f"{n} pairs over {args.corpus} (per_page {args.per_page}, lean {args.lean})")
    print(f"first question found:          {counts['first@1'] / n:6.1%}")
    print(
        f"follow-up answer@1, alone:     {counts['alone@1'] / n:6.1%}"
        f"  (found {counts['alone found'] / n:.1%})"
    )
    print(
        f"follow-up answer@1, with lean: {counts['lean@1'] / n:6.1%}"
        f"  (found {counts['lean found'] / n:.1%})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
