"""Measure a gradient-boosted re-ranker (LightGBM LambdaMART) against the linear second stage.

The second stage (bot/rerank.py) scores BM25's candidates by a weighted sum of their
features. Trees can read interactions a sum cannot ("the BM25 margin matters only
when the best sentence holds little"), so this script fits LightGBM's `lambdarank`
on the same candidates and features and compares it with the landed weights and a
linear refit (`benchmarks/fit_reranker.py`'s), strictly held out:

- SQuAD (as one library) by article halves: fit on the even articles and both docs
  sets, test on the odd ones, and the reverse;
- each docs set (its formal and chat-style questions) left out: fit on SQuAD and the
  other set, test on this one.

Every question is asked once (`fit_reranker.collect`: each candidate's features and
whether it is right); the trees' settings (leaves, least rows in a leaf, how many
trees) are chosen by an inner three-fold split of each fit's own questions only.
Reported: top-1 (a right candidate first) on each held-out set, then the same fitted
on everything and read in-sample (what the trees can hold at all), and the end
metrics as `citebot eval` scores them (answer@1/@3 on SQuAD, excerpt@1/@3 on the docs
files, with the count right at 1), each held-out model answering through the engine.
The models (`DESIGNS`): trees over the linear stage's features; with four cheap ones a
tree can use (the candidate's BM25 rank, its landed linear score's gap to the best
candidate's, its length and its position in its article); with `fit_reranker`'s
documentation features too; and trees that start from the fold's linear refit.

lightgbm is no dependency of Citebot; install it apart, for this script only, and
name the folder in GBDT_LIBS (appended to the path, so the project's numpy wins):

    pip install --target /tmp/gbdt-libs lightgbm
    GBDT_LIBS=/tmp/gbdt-libs python benchmarks/gbdt_trial.py \\
        ../shared/eval/squad-dev-v1.1-public.json \\
        benchmarks/docsets/fastapi-tutorial benchmarks/docsets/crewai-guide --cache /tmp/gbdt.pkl
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
if os.environ.get("GBDT_LIBS"):
    sys.path.append(os.environ["GBDT_LIBS"])

try:
    import lightgbm as lgb  # noqa: E402
except ImportError:
    sys.exit(
        "gbdt_trial.py needs LightGBM, which Citebot does not install: "
        "pip install --target /tmp/gbdt-libs lightgbm, then run with GBDT_LIBS=/tmp/gbdt-libs"
    )
from fit_reranker import (  # noqa: E402
    ADDED,
    BASE,
    NAMES,
    Asked,
    Library,
    Seen,
    Split,
    apply,
    arguments,
    collect,
    extras,
    fit,
    open_libraries,
    recorder,
    top1,
)

import bot.answer._engine  # noqa: E402
import bot.rerank  # noqa: E402
from bot.answer import Engine  # noqa: E402
from bot.index import Hit  # noqa: E402
from bot.rerank import Candidate, Query  # noqa: E402

#: The four cheap inputs a tree may add (see the module docstring).
CHEAP = ["rank", "gap", "length", "position"]
#: Each model's inputs, and whether its trees start from the fold's linear refit (they
#: then learn what to add to the linear score) rather than from nothing.
DESIGNS: dict[str, tuple[list[str], bool]] = {
    "trees": (BASE, False),
    "trees + cheap": (BASE + CHEAP, False),
    "trees + all": (NAMES + ["rank", "gap"], False),
    "linear + trees (cheap)": (BASE + CHEAP, True),
}
#: The settings the inner split chooses among: (leaves, least rows in a leaf).
GRID = [(7, 50), (7, 200), (15, 50), (15, 200)]
ROUNDS = (20, 50, 100, 200, 300)
RATE = 0.05
#: The largest setting of `GRID` and `ROUNDS`: what an in-sample fit reads as the ceiling.
CAPACITY = (15, 50, 300)
LANDED = dict(bot.rerank.WEIGHTS)
_BASE_COLS = [NAMES.index(n) for n in BASE]
_LANDED_W = np.array([LANDED[n] for n in BASE])


def design(x: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """One question's candidates (rows of `NAMES`, in BM25 order) as the trees' inputs."""
    columns = []
    for name in names:
        if name == "rank":
            columns.append(np.arange(len(x), dtype=float))
        elif name == "gap":
            linear = x[:, _BASE_COLS] @ _LANDED_W
            columns.append(linear - linear.max())
        else:
            columns.append(x[:, NAMES.index(name)])
    return np.column_stack(columns)


Weigh = Callable[[Asked], float]


@dataclass
class Model:
    """Trees over `names` (their first `rounds`), added to a linear score when `start`
    holds weights over `BASE`."""

    names: Sequence[str]
    booster: lgb.Booster
    rounds: int
    start: np.ndarray | None

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The scores of one question's candidates (rows of `NAMES`)."""
        got: np.ndarray = self.booster.predict(design(x, self.names), num_iteration=self.rounds)
        return got if self.start is None else got + x[:, _BASE_COLS] @ self.start


def train(
    data: list[Asked],
    weigh: Weigh,
    names: Sequence[str],
    start: np.ndarray | None,
    setting: tuple[int, int, int],
) -> Model:
    """LambdaMART over the questions that tell candidates apart (some right, some not)."""
    leaves, least, rounds = setting
    kept = [a for a in data if a.right.any() and not a.right.all()]
    sizes = [len(a.right) for a in kept]
    rows = lgb.Dataset(
        np.concatenate([design(a.x, names) for a in kept]),
        np.concatenate([a.right.astype(int) for a in kept]),
        group=sizes,
        weight=np.repeat([weigh(a) for a in kept], sizes),
        init_score=None
        if start is None
        else np.concatenate([a.x[:, _BASE_COLS] @ start for a in kept]),
        feature_name=list(names),
        free_raw_data=False,
    )
    params = {
        "objective": "lambdarank",
        "metric": "none",
        "num_leaves": leaves,
        "min_data_in_leaf": least,
        "learning_rate": RATE,
        "lambdarank_truncation_level": 30,
        "num_threads": 2,
        "deterministic": True,
        "force_row_wise": True,
        "seed": 0,
        "verbosity": -1,
    }
    return Model(names, lgb.train(params, rows, num_boost_round=rounds), rounds, start)


def firsts(model: Model, data: list[Asked]) -> list[bool]:
    """Whether each question's best-scored candidate is right (the first on ties)."""
    if not data:
        return []
    x = np.concatenate([design(a.x, model.names) for a in data])
    got = model.booster.predict(x, num_iteration=model.rounds)
    if model.start is not None:
        got = got + np.concatenate([a.x[:, _BASE_COLS] for a in data]) @ model.start
    split = np.split(got, np.cumsum([len(a.right) for a in data])[:-1])
    return [bool(a.right[int(np.argmax(s))]) for a, s in zip(data, split, strict=True)]


def choose(
    data: list[Asked], weigh: Weigh, names: Sequence[str], start: np.ndarray | None
) -> tuple[int, int, int]:
    """(leaves, least, rounds) with the best weighted top-1 over three inner folds: each
    group's questions in three runs in order (SQuAD's by article)."""
    fold: dict[int, int] = {}
    for group in {a.group for a in data}:
        members = [i for i, a in enumerate(data) if a.group == group]
        for j, i in enumerate(members):
            fold[i] = 3 * j // len(members)
    total: dict[tuple[int, int, int], float] = {}
    for k in range(3):
        inner = [a for i, a in enumerate(data) if fold[i] != k]
        test = [a for i, a in enumerate(data) if fold[i] == k]
        for leaves, least in GRID:
            model = train(inner, weigh, names, start, (leaves, least, max(ROUNDS)))
            for rounds in ROUNDS:
                model.rounds = rounds
                right = sum(weigh(a) for a, r in zip(test, firsts(model, test), strict=True) if r)
                key = (leaves, least, rounds)
                total[key] = total.get(key, 0.0) + right
    return max(total, key=lambda key: total[key])


_RERANK = Engine._rerank


def use_trees(model: Model | None, seen: list[Seen]) -> None:
    """Order the engine's candidates by `model` (None: the linear stage again); a
    candidate's score becomes the model's."""
    if model is None:
        Engine._rerank = _RERANK  # type: ignore[method-assign]
        return
    added = any(n in ADDED for n in model.names)

    def rerank(self: Engine, hits: list[Hit], query: Query) -> list[Candidate]:
        seen.clear()
        ranked = _RERANK(self, hits, query)
        if not seen:
            return ranked
        numbers = {n for n, *_ in seen}
        rows = [
            f | extras(self, n, sents, q, local, numbers) if added else f
            for n, f, sents, q, local in seen
        ]
        x = np.array([[row.get(n, 0.0) for n in NAMES] for row in rows])
        predicted = model.predict(x)
        by_number = {c.number: c for c in ranked}
        rescored = [
            by_number[n]._replace(score=float(s))
            for (n, *_), s in zip(seen, predicted, strict=True)
        ]
        return sorted(rescored, key=lambda c: -c.score)

    Engine._rerank = rerank  # type: ignore[method-assign]


def held_metrics(library: Library, part: int | None) -> tuple[dict[str, float], int]:
    """The end metrics of `library`'s questions (SQuAD: of one half), and how many."""
    everything = library.questions
    if part is not None:
        library.questions = [q for q in everything if int(q.article_id.split("/")[1]) % 2 == part]
    try:
        return library.metrics(library.ask_all()), asked(library)
    finally:
        library.questions = everything


def asked(library: Library) -> int:
    """How many of `library`'s questions its end metrics count (docs: the covered ones)."""
    if library.name == "squad":
        return len(library.questions)
    return sum(q.covered for q in library.questions)


def pooled(halves: list[tuple[dict[str, float], int]]) -> tuple[dict[str, float], int]:
    """SQuAD's two held-out halves as one set."""
    n = sum(c for _, c in halves)
    return {k: sum(m[k] * c for m, c in halves) / n for k in halves[0][0]}, n


def cell(m: dict[str, float], n: int) -> str:
    """@1 (and how many right) / @3, not found."""
    return f"{m['@1']:.3f} ({round(m['@1'] * n)}) / {m['@3']:.3f}, {m['nf']:.3f}"


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--top1-only", action="store_true", help="no end metrics")
    parser.add_argument(
        "--designs", nargs="*", default=list(DESIGNS), choices=list(DESIGNS), help="models to fit"
    )
    args = parser.parse_args()
    started = time.time()

    seen: list[Seen] = []
    original = bot.rerank.candidate
    bot.answer._engine.candidate = recorder(seen)  # type: ignore[attr-defined]
    sets = [folder.name for folder in args.docs]
    with tempfile.TemporaryDirectory() as scratch:
        cached = args.cache is not None and args.cache.exists()
        libraries = (
            [] if cached and args.top1_only else open_libraries(args.squad, args.docs, scratch)
        )
        data: list[Asked] = []
        landed: dict[str, tuple[dict[str, float], int]] = {}
        if cached:
            with open(args.cache, "rb") as stored:
                data, landed = pickle.load(stored)  # noqa: S301 - this script's own file
        else:
            for library in libraries:
                data += collect(library, seen)
                landed[library.name] = (library.metrics(library.baseline), asked(library))
                print(f"collected {library.name}: {time.time() - started:.0f} s", file=sys.stderr)
            if args.cache is not None:
                with open(args.cache, "wb") as out:
                    pickle.dump((data, landed), out)

        split = Split(data, sets, args.docs_weight)
        weigh, folds = split.weight, split.folds()

        # --- fits, one per fold and model ----------------------------------------------
        linear = {fold: fit(train_on, weigh, _BASE_COLS) for fold, (train_on, _) in folds.items()}
        trees: dict[str, dict[str, Model]] = {}
        for label in args.designs:
            names, boosted = DESIGNS[label]
            trees[label] = {}
            for fold, (train_on, _) in folds.items():
                start = linear[fold] if boosted else None
                setting = choose(train_on, weigh, names, start)
                trees[label][fold] = train(train_on, weigh, names, start, setting)
                leaves, least, rounds = setting
                print(
                    f"{label} → {fold}: {leaves} leaves, ≥{least} rows a leaf, {rounds} trees"
                    f" ({time.time() - started:.0f} s)",
                    file=sys.stderr,
                )

        # --- top-1, held out -------------------------------------------------------------
        tests = {
            "squad odd": folds["→squad odd"][1],
            "squad even": folds["→squad even"][1],
            **{g: split.of(g) for g in split.docs_a + split.docs_b},
        }

        def fold_of(test: str) -> str:
            return "→" + (test if test.startswith("squad") else test.split(":", 1)[1])

        print("\nTop-1 held out (a right candidate first); questions: ", end="")
        print(", ".join(f"{t} {len(v)}" for t, v in tests.items()))
        print("\n| model | " + " | ".join(tests) + " |")
        print("|---|" + "---:|" * len(tests))
        print(
            "| linear, landed | "
            + " | ".join(f"{top1(v, _BASE_COLS, _LANDED_W):.3f}" for v in tests.values())
            + " |"
        )
        print(
            "| linear, refit | "
            + " | ".join(f"{top1(v, _BASE_COLS, linear[fold_of(t)]):.3f}" for t, v in tests.items())
            + " |"
        )
        for label, folded in trees.items():
            row = [np.mean(firsts(folded[fold_of(t)], v)) for t, v in tests.items()]
            print(f"| {label} | " + " | ".join(f"{r:.3f}" for r in row) + " |")
        # What the trees can hold at all: fitted on everything, read on what they saw.
        for label in trees:
            names, boosted = DESIGNS[label]
            start = fit(data, weigh, _BASE_COLS) if boosted else None
            model = train(data, weigh, names, start, CAPACITY)
            row = [np.mean(firsts(model, v)) for v in tests.values()]
            print(f"| {label}, in-sample | " + " | ".join(f"{r:.3f}" for r in row) + " |")
        if args.top1_only:
            return

        # --- end metrics, held out ---------------------------------------------------------
        print("\nEnd metrics held out: @1 (right) / @3, not found")
        print("\n| model | " + " | ".join(lib.name for lib in libraries) + " |")
        print("|---|" + "---:|" * len(libraries))
        print(
            "| linear, landed | " + " | ".join(cell(*landed[lib.name]) for lib in libraries) + " |"
        )

        def row(setup: Callable[[str], None]) -> str:
            cells = []
            for lib in libraries:
                if lib.name == "squad":
                    halves = []
                    for fold, part in (("→squad odd", 1), ("→squad even", 0)):
                        setup(fold)
                        halves.append(held_metrics(lib, part))
                    cells.append(cell(*pooled(halves)))
                else:
                    setup("→" + lib.name.split(":", 1)[1])
                    cells.append(cell(*held_metrics(lib, None)))
                print(f"  {lib.name} ({time.time() - started:.0f} s)", file=sys.stderr)
            return " | ".join(cells)

        print(f"| linear, refit | {row(lambda fold: apply(_BASE_COLS, linear[fold]))} |")
        apply(_BASE_COLS, _LANDED_W)
        for label, folded in trees.items():
            print(f"| {label} | {row(lambda fold, f=folded: use_trees(f[fold], seen))} |")
            use_trees(None, seen)
    bot.answer._engine.candidate = original  # type: ignore[attr-defined]
    print(f"\n({time.time() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
