"""Fit the second stage's weights (bot/rerank.py) on SQuAD and the docs sets, and check them.

Every question is asked once with the weights as they stand; the features of each of
the re-ranked candidates (`bot.rerank.features`) are kept, with which of them are
right: SQuAD, the passage holds the question's paragraph; docs sets, the passage
holds a key phrase of the answering sentence (formal and chat-style questions;
uncovered ones are left out). A listwise logistic model (softmax over a question's
candidates, the right ones pooled) is fitted on the features, SQuAD questions
weighing 1 each and each docs question file `--docs-weight` SQuAD questions in all.

What is reported, so that a gain is not memorised:

- top-1 (a right candidate first) under the current weights, refitted on all, and
  held out: fit on SQuAD + one docs set, test on the other docs set, and the
  reverse; fit on SQuAD's even articles (+ both docs sets), test on the odd ones,
  and the reverse; for the current features and each added one;
- the end metrics, scored as `citebot eval` scores them (answer@1/@3 on SQuAD as one
  library, excerpt@1/@3 on the docs sets), for the current weights, the held-out
  fits (each on the set it did not see) and the fit on everything.

    python benchmarks/fit_reranker.py ../shared/eval/squad-dev-v1.1-public.json \\
        benchmarks/docsets/fastapi-tutorial benchmarks/docsets/crewai-guide
"""

from __future__ import annotations

import argparse
import math
import pickle
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bot.answer._engine  # noqa: E402
import bot.rerank  # noqa: E402
from bot.answer import Answer, Engine  # noqa: E402
from bot.corpus import HEADING, LEAD, ROW  # noqa: E402
from bot.errors import QuestionError  # noqa: E402
from bot.evaluate import (  # noqa: E402
    DEPTH,
    contains_answer,
    load_docs_set,
    load_squad,
    score,
    score_docs,
    write_corpus,
)
from bot.index import Hit  # noqa: E402
from bot.rerank import WEIGHTS, Candidate, Query, Sentence, features  # noqa: E402
from bot.settings import Settings  # noqa: E402

#: The features the landed weights use (`bot.rerank.features`).
BASE = [
    "bm25_relative",
    "bm25_log",
    "coverage",
    "best_sentence",
    "pairs",
    "title",
    "cue",
    "cue_near",
    "article",
    "article_density",
    "code",
    "local",
    "local_best",
    "candidates",
    "page_title",
]
#: Candidate features for documentation, computed here (`extras`), each measured:
#: heading, the share of the question's weight in the passage's section path (the
#: headings above it, apart from the title); rows, the share of the passage that is
#: table rows; heading_led, it opens on a heading or a question line; lead_gain, how
#: much more its best sentence holds than its best sentence after that line (a
#: heading repeats its section path); length, log(1 + its words); neighbours, how many
#: of the passages just before and after it in its section are candidates too; leaf,
#: the share of the question's weight in its own (deepest) heading; leaf_local, the
#: same with the question's weights within the article (`bot.rerank.local_weights`).
#: Measured next (BENCHMARKS.md, "Passages within the right page"), none kept: inline,
#: its best sentence holds a code span; how_inline, the same for a "how do I" question
#: (how, no other answer kind); how_inline_share, the share of its sentences that hold
#: one, for such a question; how_modal, its best sentence says "you can/should/…" to
#: such a question; position, where it stands in its article (0 first, 1 last);
#: sec_position, the same in an article with headings; intro, it stands before the
#: first heading of an article that has some; sec_last, it stands in the last section;
#: redundancy, the share of its terms that other passages of its article hold;
#: max_overlap, the largest share of its terms that one other passage holds (a recap
#: restates), in an article with headings.
ADDED = [
    "heading",
    "rows",
    "heading_led",
    "lead_gain",
    "length",
    "neighbours",
    "leaf",
    "leaf_local",
    "inline",
    "how_inline",
    "how_inline_share",
    "how_modal",
    "position",
    "sec_position",
    "intro",
    "sec_last",
    "redundancy",
    "max_overlap",
]
NAMES = BASE + ADDED


@dataclass
class Asked:
    """One answerable question: its candidates' features (in BM25 order) and which are right."""

    group: str  # "squad", "docs:<set>" or "chat:<set>"
    part: int  # SQuAD: article number % 2; docs: 0
    x: np.ndarray  # candidates × NAMES
    right: np.ndarray  # bool, one per candidate


class Library:
    """An engine over one corpus and the questions asked of it."""

    def __init__(self, name: str, corpus: Path, scratch: str, questions: Sequence[Any]) -> None:
        self.name = name
        self.baseline: list[Answer] = []  # the answers under the landed weights
        self.engine = Engine.open(Settings(corpus_dir=corpus, data_dir=Path(scratch) / "data"))
        self.engine.prepare()
        self.questions = questions

    def ask_all(self) -> list[Answer]:
        """Every question asked as `citebot eval` asks it."""
        out = []
        for q in self.questions:
            try:
                out.append(self.engine.answer(q.question, k=DEPTH))
            except QuestionError:
                out.append(Answer(q.question, False, (), (), 0.0, 0))
        return out

    def metrics(self, answers: list[Answer], part: int | None = None) -> dict[str, float]:
        """The end metrics, by `citebot eval`'s own scoring (SQuAD: one half if `part`)."""
        if self.name == "squad":
            pairs = [
                (q, a)
                for q, a in zip(self.questions, answers, strict=True)
                if part is None or int(q.article_id.split("/")[1]) % 2 == part
            ]
            m = score([q for q, _ in pairs], [a for _, a in pairs])
            return {"@1": m.answer_at_1, "@3": m.answer_at_3, "nf": 1 - m.found_rate}
        sources = {a.article_id: a.source for a in self.engine.articles}
        d = score_docs(self.questions, answers, sources, pages=len(sources))
        return {
            "@1": d.excerpt_at_1,
            "@3": d.excerpt_at_3,
            "nf": d.answerable_not_found_rate,
            "unc": d.uncovered_not_found_rate,
        }


Seen = tuple[int, dict[str, float], Sequence[Sentence], Query, Mapping[str, float]]


def extras(
    engine: Engine,
    number: int,
    sents: Sequence[Sentence],
    query: Query,
    local: Mapping[str, float],
    numbers: set[int],
) -> dict[str, float]:
    """The candidate features for documentation (see `ADDED`) of one candidate."""
    passage = engine.passages[number]
    article = engine.articles[passage.article]
    paragraphs = article.paragraphs[passage.first_paragraph - 1 : passage.last_paragraph]
    path = article.sections[paragraphs[-1].section].path
    headed = query.concepts(engine.analyzer.terms(" ".join(path)))
    leaf = query.concepts(engine.analyzer.terms(path[-1])) if path else frozenset()
    local_total = sum(local.values()) or 1.0
    size = max(passage.end - passage.start, 1)
    lead_end = paragraphs[0].end if paragraphs[0].kind in (HEADING, LEAD) else None
    body = [s.coverage + s.pairs for s in sents if lead_end is None or s.start >= lead_end]

    def same_section(other: int) -> bool:
        near = engine.passages[other]
        return (
            near.article == passage.article
            and article.paragraphs[near.first_paragraph - 1].section == paragraphs[0].section
        )

    return {
        **_placement(engine, number, sents, query),
        "heading": sum(w for t, w in query.weights.items() if t in headed) / query.total,
        "rows": sum(p.end - p.start for p in paragraphs if p.kind == ROW) / size,
        "heading_led": float(lead_end is not None),
        "lead_gain": max(s.coverage + s.pairs for s in sents) - max(body, default=0.0),
        "length": math.log1p(len(article.text[passage.start : passage.end].split())),
        "leaf": sum(w for t, w in query.weights.items() if t in leaf) / query.total,
        "leaf_local": sum(local.get(t, 0.0) for t in leaf) / local_total,
        "neighbours": float(sum(same_section(o) for o in (number - 1, number + 1) if o in numbers)),
    }


_CODE_SPAN = re.compile(r"`[^`\n]+`")
_MODAL = re.compile(r"\byou (?:can|could|should|would|need to|have to|must|will)\b", re.I)


def _placement(
    engine: Engine, number: int, sents: Sequence[Sentence], query: Query
) -> dict[str, float]:
    """The code-span, position and redundancy features of one candidate (see `ADDED`)."""
    passage = engine.passages[number]
    article = engine.articles[passage.article]
    text = article.text
    best = max(range(len(sents)), key=lambda i: sents[i].coverage + sents[i].pairs)
    how = float("how" in query.words and query.kind is None)
    spans = [bool(_CODE_SPAN.search(text[s.start : s.end])) for s in sents]
    first, end = engine._article_ranges[passage.article]
    headed = float(len(article.sections) > 1)
    position = (number - first) / max(end - first - 1, 1)
    terms = _terms(engine, number)
    shares = [len(terms & _terms(engine, o)) / max(len(terms), 1) for o in range(first, end)]
    others = frozenset().union(*(_terms(engine, o) for o in range(first, end) if o != number))
    section = article.paragraphs[passage.last_paragraph - 1].section
    return {
        "inline": float(spans[best]),
        "how_inline": how * spans[best],
        "how_inline_share": how * sum(spans) / len(sents),
        "how_modal": how * bool(_MODAL.search(text[sents[best].start : sents[best].end])),
        "position": position,
        "sec_position": headed * position,
        "intro": headed * (article.paragraphs[passage.first_paragraph - 1].section == 0),
        "sec_last": headed * (section == len(article.sections) - 1),
        "redundancy": len(terms & others) / max(len(terms), 1),
        "max_overlap": headed
        * max((v for o, v in enumerate(shares, first) if o != number), default=0.0),
    }


_PASSAGE_TERMS: dict[tuple[int, int], frozenset[str]] = {}


def _terms(engine: Engine, number: int) -> frozenset[str]:
    """A passage's index terms, kept for the run (an engine is kept as long)."""
    key = (id(engine), number)
    if key not in _PASSAGE_TERMS:
        p = engine.passages[number]
        text = engine.articles[p.article].text[p.start : p.end]
        _PASSAGE_TERMS[key] = frozenset(engine.analyzer.terms(text))
    return _PASSAGE_TERMS[key]


def collect(library: Library, seen: list[Seen]) -> list[Asked]:
    """Ask every question once, keeping its candidates' features and labels."""
    engine = library.engine
    out: list[Asked] = []
    answers = []
    for q in library.questions:
        seen.clear()
        try:
            answers.append(engine.answer(q.question, k=DEPTH))
        except QuestionError:
            answers.append(Answer(q.question, False, (), (), 0.0, 0))
        if library.name != "squad" and not q.covered:
            continue
        if not seen:
            continue
        numbers = {number for number, *_ in seen}
        right = []
        for number, *_ in seen:
            passage = engine.passages[number]
            article = engine.articles[passage.article]
            if library.name == "squad":
                right.append(
                    article.article_id == q.article_id
                    and passage.first_paragraph <= q.paragraph <= passage.last_paragraph
                )
            else:
                text = article.text[passage.start : passage.end]
                right.append(contains_answer(text, q.phrases))
        part = int(q.article_id.split("/")[1]) % 2 if library.name == "squad" else 0
        rows = [f | extras(engine, n, sents, q, local, numbers) for n, f, sents, q, local in seen]
        x = np.array([[f[n] for n in NAMES] for f in rows])
        out.append(Asked(library.name, part, x, np.array(right)))
    library.baseline = answers
    return out


class Split:
    """The collected questions by group, how a fit weighs each, and the held-out folds."""

    def __init__(self, data: list[Asked], sets: Sequence[str], docs_weight: float) -> None:
        self.data = data
        self.counts = {g: sum(a.group == g for a in data) for g in {a.group for a in data}}
        self.docs_weight = docs_weight
        self.docs_a = [f"docs:{sets[0]}", f"chat:{sets[0]}"]
        self.docs_b = [f"docs:{sets[1]}", f"chat:{sets[1]}"]
        self.sets = sets

    def weight(self, a: Asked) -> float:
        """A SQuAD question weighs 1; each docs question file `docs_weight` in all."""
        return 1.0 if a.group == "squad" else self.docs_weight / self.counts[a.group]

    def of(self, *groups: str, part: int | None = None) -> list[Asked]:
        """The questions of `groups` (SQuAD's: of one half of its articles, if `part`)."""
        return [
            a
            for a in self.data
            if a.group in groups and (a.group != "squad" or part is None or a.part == part)
        ]

    def folds(self) -> dict[str, tuple[list[Asked], list[Asked]]]:
        """(fit on, test on) by the set tested: each docs set left out, SQuAD's halves."""
        of, docs_a, docs_b = self.of, self.docs_a, self.docs_b
        return {
            f"→{self.sets[1]}": (of("squad", *docs_a), of(*docs_b)),
            f"→{self.sets[0]}": (of("squad", *docs_b), of(*docs_a)),
            "→squad odd": (of("squad", *docs_a, *docs_b, part=0), of("squad", part=1)),
            "→squad even": (of("squad", *docs_a, *docs_b, part=1), of("squad", part=0)),
        }


def fit(data: list[Asked], weight: Callable[[Asked], float], cols: list[int]) -> np.ndarray:
    """Listwise logistic weights over `cols` (minorise-maximise Newton steps, small L2)."""
    kept = [a for a in data if a.right.any() and not a.right.all()]
    x = np.concatenate([a.x[:, cols] for a in kept])
    right = np.concatenate([a.right for a in kept])
    sizes = np.array([len(a.right) for a in kept])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    seg = np.repeat(np.arange(len(kept)), sizes)
    sw = np.array([weight(a) for a in kept])
    l2 = 1e-3 * sw.sum()
    w = np.zeros(len(cols))
    w[cols.index(NAMES.index("bm25_log"))] = 1.0

    def loss_grad_hess(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        s = x @ w
        e = np.exp(s - np.maximum.reduceat(s, starts)[seg])
        z = np.bincount(seg, e)
        zr = np.bincount(seg, e * right)
        loss = float(sw @ (np.log(z) - np.log(zr))) + 0.5 * l2 * w @ w
        p = e / z[seg]
        q = e * right / zr[seg]
        grad = x.T @ (sw[seg] * (p - q)) + l2 * w
        mean = np.add.reduceat(p[:, None] * x, starts)
        hess = (x * (sw[seg] * p)[:, None]).T @ x - (mean * sw[:, None]).T @ mean
        return loss, grad, hess + l2 * np.eye(len(w))

    loss, grad, hess = loss_grad_hess(w)
    for _ in range(100):
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            new = loss_grad_hess(w - t * step)
            if new[0] <= loss or t < 1e-4:
                break
            t /= 2
        w = w - t * step
        done = loss - new[0] < 1e-9 * max(abs(loss), 1.0)
        loss, grad, hess = new
        if done:
            break
    return w


def top1(data: list[Asked], cols: list[int], w: np.ndarray) -> float:
    """Share of questions whose best-scored candidate is a right one (first on ties)."""
    if not data:
        return float("nan")
    return sum(bool(a.right[int(np.argmax(a.x[:, cols] @ w))]) for a in data) / len(data)


def current(cols: list[int]) -> np.ndarray:
    """The landed weights over `cols`."""
    return np.array([WEIGHTS[NAMES[c]] for c in cols])


_RERANK = Engine._rerank


def apply(cols: list[int], w: np.ndarray) -> None:
    """Put weights into the engine's re-ranker (features outside `cols` at 0); added
    features are computed and weighed after it, and the candidates sorted again."""
    extra: dict[str, float] = {}
    for name in BASE:
        bot.rerank.WEIGHTS[name] = 0.0
    for c, value in zip(cols, w, strict=True):
        if NAMES[c] in BASE:
            bot.rerank.WEIGHTS[NAMES[c]] = float(value)
        else:
            extra[NAMES[c]] = float(value)

    def rerank(self: Engine, hits: list[Hit], query: Query) -> list[Candidate]:
        ranked = _RERANK(self, hits, query)
        numbers = {c.number for c in ranked}
        rescored = []
        for c in ranked:
            found = extras(self, c.number, c.sentences, query, c.local or {}, numbers)
            rescored.append(c._replace(score=c.score + sum(v * found[n] for n, v in extra.items())))
        return sorted(rescored, key=lambda c: -c.score)

    Engine._rerank = rerank if extra else _RERANK  # type: ignore[method-assign]


def recorder(seen: list[Seen]) -> Callable[..., Candidate]:
    """`bot.rerank.candidate`, keeping each candidate's features (and what `extras`
    reads) in `seen` as the engine weighs it."""
    original = bot.rerank.candidate

    def recording(number: int, *scored: Any, **passage: Any) -> Candidate:
        bm25, top, sents, title_terms, query = scored
        seen.append(
            (
                number,
                features(bm25, top, sents, title_terms, query, **passage),
                sents,
                query,
                passage.get("local") or {},
            )
        )
        return original(number, *scored, **passage)

    return recording


def open_libraries(squad: Path, docs: list[Path], scratch: str) -> list[Library]:
    """SQuAD as one library, then each docs set's formal and chat-style questions."""
    articles = load_squad(squad)
    write_corpus(articles, Path(scratch) / "c")
    questions = [q for a in articles for q in a.questions]
    libraries = [Library("squad", Path(scratch) / "c", f"{scratch}/s", questions)]
    for folder in docs:
        for file, tag in (("questions.jsonl", "docs"), ("chat.jsonl", "chat")):
            pages, asked = load_docs_set(folder / file)
            name = f"{tag}:{folder.name}"
            libraries.append(Library(name, pages, f"{scratch}/{name}", asked))
    return libraries


def print_weights(label: str, cols: list[int], w: np.ndarray) -> None:
    """The fitted weights, as bot/rerank.py's W_* constants hold them."""
    print(f"\n{label}, fitted on all (bot/rerank.py):")
    for c, value in zip(cols, w, strict=True):
        print(f"W_{NAMES[c].upper()} = {value:.2f}")


def arguments(doc: str) -> argparse.ArgumentParser:
    """The arguments a fit over the collected questions takes (`doc`: the script's docstring)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("squad", type=Path)
    parser.add_argument("docs", type=Path, nargs=2, help="the two docs-set folders")
    parser.add_argument(
        "--docs-weight", type=float, default=1000.0, help="weight of each docs question file"
    )
    parser.add_argument("--cache", type=Path, help="keep the collected features in this file")
    return parser


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument(
        "--top1-only", action="store_true", help="top-1 only (from --cache when it exists)"
    )
    parser.add_argument("--added", nargs="*", default=None, help="added features to keep")
    args = parser.parse_args()
    started = time.time()

    seen: list[Seen] = []
    original = bot.rerank.candidate
    bot.answer._engine.candidate = recorder(seen)  # type: ignore[attr-defined]

    cached = args.top1_only and args.cache is not None and args.cache.exists()
    sets = [folder.name for folder in args.docs]
    with tempfile.TemporaryDirectory() as scratch:
        libraries = [] if cached else open_libraries(args.squad, args.docs, scratch)
        data: list[Asked] = []
        if cached:
            with open(args.cache, "rb") as stored:
                data = pickle.load(stored)  # noqa: S301 - this script's own file
        for library in libraries:
            data += collect(library, seen)
            print(f"collected {library.name}: {time.time() - started:.0f} s", file=sys.stderr)
        bot.answer._engine.candidate = original  # type: ignore[attr-defined]
        if args.cache is not None and not cached:
            with open(args.cache, "wb") as out:
                pickle.dump(data, out)

        split = Split(data, sets, args.docs_weight)
        counts, weight, of, folds = split.counts, split.weight, split.of, split.folds()
        docs_a, docs_b = split.docs_a, split.docs_b
        groups = ["squad", *docs_a, *docs_b]

        # --- top-1: current weights, refits, each added feature ---------------------
        base = [NAMES.index(n) for n in BASE]
        variants: dict[str, list[int]] = {"current": base, "refit": base}
        for name in ADDED:
            variants[f"+ {name}"] = base + [NAMES.index(name)]
        variants["+ all added"] = list(range(len(NAMES)))
        if args.added is not None:
            variants["kept"] = base + [NAMES.index(n) for n in args.added]
        print(
            "\nTop-1 (a right candidate first), questions with candidates: "
            + ", ".join(f"{g} {counts[g]}" for g in groups)
        )
        print("\n| weights | " + " | ".join(groups) + " | " + " | ".join(folds) + " |")
        print("|---|" + "---:|" * (len(groups) + len(folds)))
        fitted: dict[str, dict[str, np.ndarray]] = {}
        for label, cols in variants.items():
            if label == "current":
                w_all = current(cols)
                held = {f: (w_all, test) for f, (_, test) in folds.items()}
            else:
                w_all = fit(data, weight, cols)
                held = {f: (fit(train, weight, cols), test) for f, (train, test) in folds.items()}
            fitted[label] = {"all": w_all, **{f: w for f, (w, _) in held.items()}}
            row = [f"{top1(of(g), cols, w_all):.3f}" for g in groups]
            row += [f"{top1(test, cols, w):.3f}" for w, test in held.values()]
            print(f"| {label} | " + " | ".join(row) + " |")

        chosen = "kept" if args.added is not None else "refit"
        cols = variants[chosen]
        if args.top1_only:
            print_weights(chosen, cols, fitted[chosen]["all"])
            return

        # --- end metrics ---------------------------------------------------------------
        print(f"\nEnd metrics ({chosen}: {', '.join(NAMES[c] for c in cols)}); @1/@3, not found")
        print("\n| weights | " + " | ".join(lib.name for lib in libraries) + " |")
        print("|---|" + "---:|" * len(libraries))

        def line(label: str, rows: list[dict[str, float]]) -> None:
            cells = [
                f"{m['@1']:.3f} / {m['@3']:.3f}, {m['nf']:.3f}"
                + (f" (unc. {m['unc']:.3f})" if "unc" in m else "")
                for m in rows
            ]
            print(f"| {label} | " + " | ".join(cells) + " |")

        line("current", [lib.metrics(lib.baseline) for lib in libraries])
        # Held out: each docs set under the fit that did not see it; SQuAD halves likewise.
        held_rows: list[dict[str, float]] = []
        for lib in libraries:
            if lib.name == "squad":
                halves = []
                for fold, part in (("→squad odd", 1), ("→squad even", 0)):
                    apply(cols, fitted[chosen][fold])
                    halves.append((lib.metrics(lib.ask_all(), part), part))
                n = {
                    p: sum(int(q.article_id.split("/")[1]) % 2 == p for q in lib.questions)
                    for _, p in halves
                }
                total = sum(n.values())
                held_rows.append(
                    {k: sum(m[k] * n[p] for m, p in halves) / total for k in ("@1", "@3", "nf")}
                )
            else:
                fold = f"→{lib.name.split(':', 1)[1]}"
                apply(cols, fitted[chosen][fold])
                held_rows.append(lib.metrics(lib.ask_all()))
        line("held out", held_rows)
        apply(cols, fitted[chosen]["all"])
        line("fitted on all", [lib.metrics(lib.ask_all()) for lib in libraries])

    print_weights(chosen, cols, fitted[chosen]["all"])
    print(f"\n({time.time() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
