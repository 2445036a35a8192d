"""Where the docs sets' answers are lost: which stage misses each answerable question.

Each answerable question of a docs-set file is asked as `citebot eval` asks it, and
what excerpt 1 missed is put in one class:

- hit: a key phrase of the answering sentence is in excerpt 1;
- top passage, other sentence: the best re-ranked passage holds a phrase, the excerpt
  shows other sentences of it;
- neighbour: the passage just before or after the best one (same page) holds it;
- same page, rank r: another passage of the right page holds it, re-ranked r-th;
- other page: the best passage is on another page, a right passage re-ranked r-th;
- no candidate: no passage among BM25's candidates holds it; not found: refused.

It also prints the rank of the first right passage among the re-ranked candidates.
`-v` prints each miss: the question, its parts as the chat reader weighs them, its terms
and their weights (highest first), the wanted phrase, the right passage's rank in BM25's
whole ranking (how far a "no candidate" miss is), and what came first.

    python benchmarks/docs_misses.py benchmarks/docsets/fastapi-tutorial \\
        benchmarks/docsets/fastapi-tutorial/chat.jsonl [-v]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answer import CANDIDATES, Engine  # noqa: E402
from bot.evaluate import DEPTH, DocsQuestion, contains_answer, load_docs_set  # noqa: E402
from bot.settings import Settings  # noqa: E402


def _rank_band(rank: int | None) -> str:
    if rank is None:
        return "none"
    return str(rank) if rank <= 5 else "6-10" if rank <= 10 else ">10"


def classify(engine: Engine, question: DocsQuestion) -> tuple[str, int | None, str]:
    """The question's class, the rank of the first right candidate, and what came first."""
    answer = engine.answer(question.question, k=DEPTH)
    asked = engine._understand(engine.reader.read(question.question))
    ranked = engine._rerank(engine.index.top_k(asked.search, CANDIDATES), asked.query)

    def right(number: int) -> bool:
        passage = engine.passages[number]
        text = engine.articles[passage.article].text[passage.start : passage.end]
        return contains_answer(text, question.phrases)

    rank = next((i + 1 for i, c in enumerate(ranked) if right(c.number)), None)
    first = answer.results[0] if answer.results else None
    shown = f"{first.article_id} | {first.section} | {first.excerpt[:120]!r}" if first else "-"
    if first is not None and contains_answer(first.excerpt, question.phrases):
        return "hit", rank, shown
    if not answer.found:
        return "not found", rank, shown
    if not ranked or rank is None:
        return "no candidate", rank, shown
    top = ranked[0].number
    article = engine.passages[top].article
    if right(top):
        return "top passage, other sentence", rank, shown
    for near in (top - 1, top + 1):
        if 0 <= near < len(engine.passages) and engine.passages[near].article == article:
            if right(near):
                return "neighbour", rank, shown
    source = engine.articles[article].source
    if source == question.source:
        return f"same page, rank {_rank_band(rank)}", rank, shown
    return "other page", rank, shown


def _print_reading(engine: Engine, question: DocsQuestion) -> None:
    """How the question was read: its parts and factors, its terms' weights, and where
    BM25 ranks the first passage that holds a key phrase among all passages."""
    read = engine.reader.read(question.question)
    asked = engine._understand(read)
    parts = " | ".join(f"{factor:g}: {text[:60]}" for text, factor in read.parts)
    weights = asked.query.weights
    terms = sorted(weights, key=lambda t: -weights[t])
    print(f"      read {parts}")
    print("      terms " + ", ".join(f"{t} {weights[t]:.1f}" for t in terms[:12]))
    order = [number for number, _ in engine.index.top_k(asked.search, len(engine.passages))]
    for bm25_rank, number in enumerate(order, 1):
        passage = engine.passages[number]
        text = engine.articles[passage.article].text[passage.start : passage.end]
        if contains_answer(text, question.phrases):
            print(f"      BM25 ranks the first right passage {bm25_rank} of {len(order)}")
            return
    print("      BM25 ranks no right passage (none holds a question term)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="docs-set folders or question files")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each miss")
    args = parser.parse_args()
    engines: dict[Path, Engine] = {}
    with tempfile.TemporaryDirectory(prefix="docs-misses-") as scratch:
        for path in args.files:
            pages, questions = load_docs_set(path)
            if pages not in engines:
                data = Path(scratch) / str(len(engines))
                engines[pages] = Engine.open(Settings(corpus_dir=pages, data_dir=data))
                engines[pages].prepare()
            engine = engines[pages]
            classes: Counter[str] = Counter()
            ranks: Counter[str] = Counter()
            for question in questions:
                if not question.covered:
                    continue
                kind, rank, shown = classify(engine, question)
                classes[kind] += 1
                ranks[_rank_band(rank)] += 1
                if args.verbose and kind != "hit":
                    print(f"  [{kind}] {question.question[:160]!r}")
                    _print_reading(engine, question)
                    print(f"      want {question.source}: {question.phrases[0][:80]!r}")
                    print(f"      got  {shown}")
            print(f"{path}: {sum(classes.values())} answerable")
            print("  classes:", ", ".join(f"{k} {v}" for k, v in classes.most_common()))
            order = ["1", "2", "3", "4", "5", "6-10", ">10", "none"]
            print("  first right candidate at:", ", ".join(f"{k}: {ranks[k]}" for k in order))


if __name__ == "__main__":
    main()
