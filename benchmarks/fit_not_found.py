"""Fit the "not found" model (bot/found.py) and show what each threshold costs.

Every question of every scenario is asked with the decision switched off, and the
evidence the engine computed for its best passage is kept:

- squad: the public SQuAD set as one library, its own questions (answerable);
- holdout: half its articles indexed, the other half's questions (off-topic);
- per / per_off: each article as its own library, its questions (answerable) and one
  question of every other article (off-topic);
- docs:<set> / chat:<set>: the docs sets' formal and chat-style questions
  (answerable, and "uncovered" ones as off-topic).

A logistic model is fitted on the features of `bot.found.features`, each scenario's
answerable and off-topic sides weighing the same in total, answerable ones `--pos`
times more (a wrongly refused question costs more than an excerpt that does not
answer), and a scenario `--weigh` times more (`per=3,docs=3,chat=3`: the one-article
libraries and the docs sets, whose targets are furthest). The table gives, per
scenario, the "not found" rate at each threshold and at the chosen one: the lowest
(in steps of 0.05) at which the holdout refuses at least `--holdout` of its
questions. The weights block is what bot/found.py holds; `--write` puts it there.
`--leave-out` fits without some scenarios and still reports them, to see whether what
was learnt holds on questions the fit never saw.

    python benchmarks/fit_not_found.py ../shared/eval/squad-dev-v1.1-public.json \\
        benchmarks/docsets/fastapi-tutorial benchmarks/docsets/crewai-guide \\
        --pos 2 --weigh per=3,docs=3,chat=2,squad=5 --write

Asking everything takes minutes; `--save FILE` keeps what was collected and `--load FILE`
refits on it (after a change to `bot.found.evidence` or `features`) without asking again.
"""

from __future__ import annotations

import argparse
import pickle
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bot.answer._engine  # noqa: E402
import bot.found  # noqa: E402
from bot.answer import Engine  # noqa: E402
from bot.evaluate import load_docs_set, load_squad, write_corpus  # noqa: E402
from bot.found import Evidence  # noqa: E402
from bot.settings import Settings  # noqa: E402

Row = tuple[str, int, Evidence | None]  # scenario, 1 if answerable, evidence (None: no passage)
#: What the engine passed to `bot.found.evidence` for a question's best passage: kept
#: rather than the Evidence, so a change to how evidence is read refits without asking again.
Raw = tuple[Any, ...]
RawRow = tuple[str, int, Raw | None]


def collect(squad: Path, docs: list[Path]) -> list[RawRow]:
    """Ask everything with the decision off; keep what each question's evidence is made of."""
    seen: list[Raw] = []
    real = bot.answer._engine.evidence

    def record(*args: Any, **keywords: Any) -> Evidence:
        seen.append((args, keywords))
        return real(*args, **keywords)

    bot.answer._engine.evidence = record
    bot.answer._engine.answers = lambda found: True  # the decision, switched off
    rows: list[RawRow] = []

    def ask(engine: Engine, scenario: str, question: str, label: int) -> None:
        seen.clear()
        try:
            engine.answer(question)
        except Exception:  # noqa: BLE001 - a refused question has no evidence
            pass
        rows.append((scenario, label, seen[-1] if seen else None))

    def library(corpus: Path, scratch: str) -> Engine:
        engine = Engine.open(Settings(corpus_dir=corpus, data_dir=Path(scratch) / "data"))
        engine.prepare()
        return engine

    articles = load_squad(squad)
    with tempfile.TemporaryDirectory() as scratch:
        write_corpus(articles, Path(scratch) / "c")
        engine = library(Path(scratch) / "c", scratch)
        for article in articles:
            for q in article.questions:
                ask(engine, "squad", q.question, 1)
    with tempfile.TemporaryDirectory() as scratch:
        write_corpus(articles[::2], Path(scratch) / "c")
        engine = library(Path(scratch) / "c", scratch)
        for article in articles[1::2]:
            for q in article.questions:
                ask(engine, "holdout", q.question, 0)
    for i, article in enumerate(articles):
        with tempfile.TemporaryDirectory() as scratch:
            write_corpus([article], Path(scratch) / "c")
            engine = library(Path(scratch) / "c", scratch)
            for q in article.questions:
                ask(engine, "per", q.question, 1)
            for j, other in enumerate(articles):
                if j != i:
                    ask(engine, "per_off", other.questions[i % len(other.questions)].question, 0)
    for folder in docs:
        for name, tag in (("questions.jsonl", "docs"), ("chat.jsonl", "chat")):
            pages, questions = load_docs_set(folder / name)
            with tempfile.TemporaryDirectory() as scratch:
                engine = library(pages, scratch)
                for dq in questions:
                    ask(engine, f"{tag}:{folder.name}", dq.question, int(dq.covered))
    return rows


def evidences(raw: list[RawRow]) -> list[Row]:
    """The evidence of each question, as `bot.found.evidence` reads it now."""
    return [
        (s, label, None if args is None else bot.found.evidence(*args[0], **args[1]))
        for s, label, args in raw
    ]


def fit(
    rows: list[Row],
    pos: float,
    l2: float = 1e-2,
    names: list[str] | None = None,
    weigh: dict[str, float] | None = None,
) -> tuple[list[str], np.ndarray]:
    """Weighted logistic regression by Newton's method; returns names and weights + bias.

    `weigh` multiplies a scenario's weight, by its name or the part before ":"."""
    kept = [(s, y, e) for s, y, e in rows if e is not None]
    names = names or list(bot.found.features(kept[0][2]))
    x = np.array([[bot.found.features(e)[n] for n in names] + [1.0] for _, _, e in kept])
    y = np.array([label for _, label, _ in kept], dtype=float)
    counts = Counter((s, label) for s, label, _ in kept)
    weigh = weigh or {}
    sample = np.array(
        [
            1000.0
            / counts[(s, label)]
            * (pos if label else 1.0)
            * weigh.get(s, weigh.get(s.split(":")[0], 1.0))
            for s, label, _ in kept
        ]
    )
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ ((p - y) * sample) + l2 * w
        hessian = (x * (p * (1 - p) * sample)[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hessian, gradient)
    return names, w


def scores(rows: list[Row], names: list[str], w: np.ndarray) -> dict[tuple[str, int], list[float]]:
    """The model's score of every question, by scenario and side (no passage: -1e9)."""
    found: dict[tuple[str, int], list[float]] = {}
    for s, label, e in rows:
        found.setdefault((s, label), []).append(
            -1e9
            if e is None
            else float(np.dot([bot.found.features(e)[n] for n in names], w[:-1]) + w[-1])
        )
    return found


def threshold(scored: dict[tuple[str, int], list[float]], holdout: float) -> float:
    """The lowest threshold (steps of 0.05) at which the holdout refuses `holdout`."""
    off = scored[("holdout", 0)]
    for step in range(-100, 101):
        if sum(v < step / 20 for v in off) / len(off) >= holdout:
            return step / 20
    raise SystemExit(f"no threshold up to 5 refuses {holdout:.0%} of the holdout")


def report(scored: dict[tuple[str, int], list[float]], thresholds: list[float]) -> None:
    """'Not found' rate per scenario and side at each threshold."""
    print("| scenario | side | n | " + " | ".join(f"t={t:g}" for t in thresholds) + " |")
    print("|---|---|---:|" + "---:|" * len(thresholds))
    for scenario, label in sorted(scored):
        values = scored[(scenario, label)]
        rates = [sum(v < t for v in values) / len(values) for t in thresholds]
        side = "answerable" if label else "off-topic"
        print(
            f"| {scenario} | {side} | {len(values)} | "
            + " | ".join(f"{r:.3f}" for r in rates)
            + " |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("squad", type=Path)
    parser.add_argument("docs", type=Path, nargs="*", help="docs-set folders")
    parser.add_argument("--pos", type=float, default=2.0, help="weight of answerable questions")
    parser.add_argument(
        "--thresholds",
        type=lambda text: [float(t) for t in text.split(",")],
        default=[-2.0, -1.5, -1.0, -0.5, 0.0],
        help="comma-separated thresholds the table shows",
    )
    parser.add_argument(
        "--weigh",
        type=lambda text: {k: float(v) for k, v in (p.split("=") for p in text.split(","))},
        default={},
        help="scenario weights, e.g. per=3,docs=3,chat=3",
    )
    parser.add_argument(
        "--holdout", type=float, default=0.705, help="holdout share the threshold refuses"
    )
    parser.add_argument(
        "--leave-out",
        type=lambda text: text.split(","),
        default=[],
        help="scenarios fitted without, but reported (e.g. docs:crewai-guide,chat:crewai-guide):"
        " does the fit hold on questions it never saw?",
    )
    parser.add_argument("--write", action="store_true", help="write the fit into bot/found.py")
    parser.add_argument("--save", type=Path, help="keep what was collected in this file")
    parser.add_argument("--load", type=Path, help="refit on a file --save wrote (no asking)")
    args = parser.parse_args()
    if args.load:
        raw = pickle.loads(args.load.read_bytes())
    else:
        raw = collect(args.squad, args.docs)
    if args.save:
        args.save.write_bytes(pickle.dumps(raw))
    rows = evidences(raw)
    fitted = [row for row in rows if row[0] not in args.leave_out]
    names, w = fit(fitted, args.pos, weigh=args.weigh)
    w = np.round(w, 2)  # the table shows what bot/found.py will hold
    scored = scores(rows, names, w)
    chosen = threshold(scored, args.holdout)
    report(scored, sorted({*args.thresholds, chosen}))
    block = (
        "WEIGHTS: dict[str, float] = {\n"
        + "".join(
            f'    "{name}": {value:.2f},\n' for name, value in zip(names, w[:-1], strict=True)
        )
        + f"}}\nBIAS = {w[-1]:.2f}\n"
    )
    print(f"\n{block}THRESHOLD = {chosen:g}")
    if args.write:
        write(block, chosen)


def write(block: str, chosen: float) -> None:
    """Put the fitted weights, bias and threshold into bot/found.py."""
    path = Path(bot.found.__file__)
    text = path.read_text(encoding="utf-8")
    text, weights = re.subn(
        r"WEIGHTS: dict\[str, float\] = \{\n.*?\}\nBIAS = .*?\n", block, text, flags=re.S
    )
    text, thresholds = re.subn(r"\nTHRESHOLD = .*\n", f"\nTHRESHOLD = {chosen:g}\n", text)
    if (weights, thresholds) != (1, 1):
        raise SystemExit(f"{path}: the WEIGHTS/BIAS/THRESHOLD block was not found")
    path.write_text(text, encoding="utf-8")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
