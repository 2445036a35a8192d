"""Ranking on prose (SQuAD): where first-place answers are lost, and features tried for it.

Three reports, each on SQuAD as one library (or, with `--per-article`, each article as
a library of its own), asked as `citebot eval` asks:

- misses: each question whose excerpt 1 lacks the answer, in one class: "not found";
  the right passage first with other sentences shown; or a wrong passage first (of the
  right article or another), with the rank of the right one among the candidates;
- sentences: for the first passage's sentences, which one the excerpt grows from,
  chosen by a linear score over sentence features (those of `bot.rerank.Sentence` and
  each added one), fitted listwise on half the articles (odd / even) and scored on
  the other half by whether the excerpt then holds the answer;
- candidates: the re-ranker's features (`bot.rerank.features`) and each added one,
  fitted listwise on half the articles and scored by top-1 (the right passage first)
  on the other half (`benchmarks/fit_reranker.py`'s fit).

Figures and verdicts: BENCHMARKS.md, "Ranking on prose (session 5)".

    python benchmarks/prose_trials.py ../shared/eval/squad-dev-v1.1-public.json misses
    python benchmarks/prose_trials.py ../shared/eval/squad-dev-v1.1-public.json sentences
    python benchmarks/prose_trials.py ../shared/eval/squad-dev-v1.1-public.json candidates
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fit_reranker  # noqa: E402
from fit_reranker import Asked, fit, top1  # noqa: E402

import bot.answer._engine  # noqa: E402
import bot.answer._results  # noqa: E402
import bot.excerpt  # noqa: E402
from bot.answer import Engine  # noqa: E402
from bot.evaluate import (  # noqa: E402
    DEPTH,
    Question,
    SquadArticle,
    contains_answer,
    load_squad,
    write_corpus,
)
from bot.rerank import _CUES, WEIGHTS, Query, Sentence, features  # noqa: E402
from bot.settings import Settings  # noqa: E402

_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
_FULL_NAME = re.compile(r"\b([A-Z][a-z]+) ([A-Z][a-z]+)\b")
_FOCUS = re.compile(r"\b(?:what|which)\s+(?:\w+\s+)??(?:of\s+)?(\w+)", re.I)
_HOW_MANY = re.compile(r"\bhow (?:many|much) (\w+)")
_AGE = re.compile(r"\bage(?:d)? (?:of )?\d|\b\d+ years? old\b|\b\d+-year-old\b|\bwas \d+\b", re.I)
_DURATION = re.compile(
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|"
    r"hundred|several|few)[ -](?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|"
    r"decades?|centur(?:y|ies)|miles?|kilomet(?:re|er)s?|km|met(?:re|er)s?|feet|foot|inch(?:es)?)\b",
    re.I,
)
_MONEY = re.compile(r"[$£€¥]|\b(?:dollars?|pounds?|euros?|million|billion|percent|%)", re.I)
_PLACE = re.compile(r"\b(?:in|at|near|from|on)\s+(?:the\s+)?[A-Z][a-z]+")
_BECAUSE = re.compile(
    r"\b(?:because|due to|since|so that|in order to|as a result|reason|led to|caused)\b", re.I
)


def libraries(path: Path, per_article: bool, scratch: str) -> Iterator[tuple[Engine, list[Any]]]:
    """Engines over SQuAD as one library, or over each article alone, with its questions."""
    articles = load_squad(path)
    groups: list[list[SquadArticle]] = [[a] for a in articles] if per_article else [articles]
    for number, group in enumerate(groups):
        corpus = Path(scratch) / f"c{number}"
        write_corpus(group, corpus)
        engine = Engine.open(Settings(corpus_dir=corpus, data_dir=Path(scratch) / f"d{number}"))
        engine.prepare()
        yield engine, [q for a in group for q in a.questions]


def _part(question: Question) -> int:
    return int(question.article_id.split("/")[1]) % 2


def _right(engine: Engine, number: int, question: Question) -> bool:
    passage = engine.passages[number]
    return (
        engine.articles[passage.article].article_id == question.article_id
        and passage.first_paragraph <= question.paragraph <= passage.last_paragraph
    )


# --- misses ------------------------------------------------------------------------------


def misses(path: Path, per_article: bool) -> None:
    """Count each question's class (see the module's docstring)."""
    seen: list[Any] = []
    rerank = Engine._rerank

    def recording(self: Engine, hits: Any, query: Query) -> Any:
        seen[:] = rerank(self, hits, query)
        return seen

    Engine._rerank = recording  # type: ignore[method-assign]
    classes: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as scratch:
        for engine, questions in libraries(path, per_article, scratch):
            for q in questions:
                seen.clear()
                answer = engine.answer(q.question, k=DEPTH)
                rank = next((i for i, c in enumerate(seen) if _right(engine, c.number, q)), None)
                if not answer.found:
                    label = "not found"
                elif contains_answer(answer.results[0].excerpt, q.answers):
                    label = "hit" if rank == 0 else "hit, another passage shows the answer"
                elif rank == 0:
                    label = "right passage, other sentences shown"
                else:
                    top = engine.passages[seen[0].number]
                    same = engine.articles[top.article].article_id == q.article_id
                    band = "none" if rank is None else str(rank + 1) if rank < 5 else "6+"
                    label = f"{'same' if same else 'other'} article first, right at rank {band}"
                classes[label] += 1
    total = sum(classes.values())
    for label, n in sorted(classes.items(), key=lambda x: -x[1]):
        print(f"| {label} | {n} | {n / total:.4f} |")


# --- sentences ---------------------------------------------------------------------------

SENTENCE_NAMES = [
    "coverage",
    "pairs",
    "cue",
    "local",
    "novelty",
    "new_words",
    "proximity",
    "first",
    "previous",
    "next",
    "length",
    "number",
    "new_name",
    "date",
    "density",
    "passage_local",
]


def _proximity(terms: Sequence[str], query: Query) -> tuple[float, int]:
    """Distinct question terms over the shortest window of terms holding them all."""
    places = [(k, query.concept_of[t]) for k, t in enumerate(terms) if t in query.forms]
    need = len({c for _, c in places})
    if need < 2:
        return float(need > 0), need
    held: Counter[str] = Counter()
    lo = have = 0
    window = len(terms)
    for k, concept in places:
        held[concept] += 1
        have += held[concept] == 1
        while have == need:
            window = min(window, k - places[lo][0] + 1)
            first = places[lo][1]
            held[first] -= 1
            have -= held[first] == 0
            lo += 1
    return need / window, need


def sentence_rows(engine: Engine, text: str, scored: Sequence[Sentence], query: Query) -> Any:
    """The features of each sentence (`SENTENCE_NAMES`)."""
    base = [s.score for s in scored]
    count = len(scored)
    holding = Counter(t for s in scored for t in s.matched)
    within = {
        t: math.log((count - n + 0.5) / (n + 0.5) + 1) * query.weights[t]
        for t, n in holding.items()
    }
    total = sum(within.values()) or 1.0
    rows = []
    for i, s in enumerate(scored):
        words = text[s.start : s.end]
        terms = engine.analyzer.terms(words)
        n = max(len(terms), 1)
        held = sum(t in query.forms for t in terms)
        names = [m.group().casefold() for m in _NAME.finditer(words)]
        rows.append(
            [
                s.coverage,
                s.pairs,
                float(s.cue),
                s.local,
                1 - held / n,
                math.log1p(n - held),
                _proximity(terms, query)[0],
                float(i == 0),
                base[i - 1] if i else 0.0,
                base[i + 1] if i + 1 < count else 0.0,
                math.log1p(len(words)),
                float(bool(_CUES["number"].search(words))),
                float(any(name not in query.words for name in names)),
                float(bool(_CUES["date"].search(words))),
                held / n,
                sum(within[t] for t in s.matched) / total,
            ]
        )
    return np.array(rows)


def sentences(path: Path, per_article: bool) -> None:
    """Sentence choice fitted on half the articles, scored on the other half."""
    kept: list[tuple[Any, ...]] = []
    choose = bot.answer._results.choose_excerpt

    def recording(text: str, start: int, end: int, query: Query, analyzer: Any, **kw: Any) -> Any:
        kept.append((text, start, end, query, kw.get("scored"), kw.get("among")))
        return choose(text, start, end, query, analyzer, **kw)

    bot.answer._results.choose_excerpt = recording  # type: ignore[assignment]
    items = []
    with tempfile.TemporaryDirectory() as scratch:
        for engine, questions in libraries(path, per_article, scratch):
            for q in questions:
                kept.clear()
                if not engine.answer(q.question, k=1).results:
                    continue
                text, start, end, query, scored, among = kept[0]
                among = among or len(scored)
                rows = sentence_rows(engine, text, scored[:among], query)
                items.append((q, text, start, end, query, tuple(scored), among, rows, engine))
    bot.answer._results.choose_excerpt = choose  # type: ignore[assignment]
    picked = [0]
    bot.excerpt.excerpt_sentence = lambda scored, query: picked[0]  # type: ignore[assignment]
    shown: dict[tuple[int, int], bool] = {}

    def holds(k: int, i: int) -> bool:
        if (k, i) not in shown:
            q, text, start, end, query, scored, among, _, engine = items[k]
            picked[0] = i
            excerpt = bot.excerpt.choose_excerpt(
                text, start, end, query, engine.analyzer, scored=scored, among=among
            )
            shown[k, i] = contains_answer(excerpt.text, q.answers)
        return shown[k, i]

    def answered(w: np.ndarray, cols: list[int], part: int) -> int:
        return sum(
            holds(k, int(np.argmax(item[7][:, cols] @ w)))
            for k, item in enumerate(items)
            if _part(item[0]) == part
        )

    def fitted(cols: list[int], part: int) -> np.ndarray:
        data = []
        for k, item in enumerate(items):
            if _part(item[0]) != part:
                labels = np.array([holds(k, i) for i in range(item[6])])
                data.append(Asked("squad", 0, item[7][:, cols], labels))
        return fit(data, lambda a: 1.0, list(range(len(cols))))

    base = [0, 1, 2, 3]
    landed = np.array([1.0, 1.0, 0.2, 2.0])
    print(f"{len(items)} questions; excerpt of the first passage holds the answer, by half:")
    print(f"| Sentence.score | {[answered(landed, base, p) for p in (0, 1)]} |")
    kept = [*base, SENTENCE_NAMES.index("passage_local")]
    chosen = np.array(bot.excerpt.EXCERPT_WEIGHTS)
    print(f"| EXCERPT_WEIGHTS (landed) | {[answered(chosen, kept, p) for p in (0, 1)]} |")
    trials = {
        "refit": base,
        **{f"+ {n}": base + [i] for i, n in enumerate(SENTENCE_NAMES) if i > 3},
    }
    trials["all"] = list(range(len(SENTENCE_NAMES)))
    for label, cols in trials.items():
        held = [answered(fitted(cols, p), cols, p) for p in (0, 1)]
        print(f"| {label} | {held} | {sum(held)} |")


# --- candidates ----------------------------------------------------------------------------


def _strict_cue(engine: Engine, words: str, question: str, query: Query) -> float:
    """A stricter answer kind: a number before the counted word ("how many yards" → "44-yard"),
    an age, a duration or length, an amount, a full name not in the question."""
    lowered = question.casefold()
    counted = _HOW_MANY.search(lowered)
    if counted:
        wanted = engine.analyzer.terms(counted.group(1))[:1]
        tokens = re.findall(r"[\w$%.,-]+", words)
        for i, token in enumerate(tokens):
            if re.search(r"\d", token) and wanted:
                after = [engine.analyzer.terms(t)[:1] for t in [*tokens[i + 1 : i + 4]]]
                if wanted in after or engine.analyzer.terms(token.split("-")[-1])[:1] == wanted:
                    return 1.0
        return 0.0
    for kind, pattern in (("how old", _AGE), ("how long", _DURATION), ("how much", _MONEY)):
        if kind in lowered:
            return float(bool(pattern.search(words)))
    if re.search(r"\bwho", lowered):
        return float(
            any(
                m.group(1).casefold() not in query.words or m.group(2).casefold() not in query.words
                for m in _FULL_NAME.finditer(words)
            )
        )
    return 0.0


CANDIDATE_NAMES = [
    "proximity",
    "novelty",
    "focus",
    "new_name",
    "place",
    "because",
    "cue_anywhere",
    "excerpt_coverage",
    "sentences",
    "strict_cue",
    "strict_cue_anywhere",
    "excerpt_local",
    "excerpt_passage_local",
]


def candidate_row(
    engine: Engine, number: int, sents: Sequence[Sentence], query: Query, question: str
) -> list[float]:
    """The added features of one candidate (`CANDIDATE_NAMES`)."""
    passage = engine.passages[number]
    text = engine.articles[passage.article].text
    best = max(sents, key=lambda s: s.coverage + s.pairs)
    words = text[best.start : best.end]
    terms = engine.analyzer.terms(words)
    held = sum(t in query.forms for t in terms)
    focus = 0.0
    match = _FOCUS.search(question)
    if match:
        wanted = engine.analyzer.terms(match.group(1))[:1]
        if wanted and wanted[0] in query.weights:
            focus = float(wanted[0] in best.matched) * query.weights[wanted[0]] / query.total
    names = [m.group().casefold() for m in _NAME.finditer(words)]
    new_name = any(name not in query.words for name in names)
    chosen = sents[bot.excerpt.excerpt_sentence(sents, query)]
    count = len(sents)
    holding = Counter(t for s in sents for t in s.matched)
    within = {
        t: math.log((count - n + 0.5) / (n + 0.5) + 1) * query.weights[t]
        for t, n in holding.items()
    }
    lowered = question.casefold()
    return [
        _proximity(terms, query)[0],
        1 - held / max(len(terms), 1),
        focus,
        float(new_name and query.kind is None),
        float("where" in lowered.split() and bool(_PLACE.search(words))),
        float("why" in lowered.split() and bool(_BECAUSE.search(words))),
        float(any(s.cue for s in sents)),
        max(s.coverage for s in sents if s.score == max(x.score for x in sents)),
        math.log(len(sents)),
        _strict_cue(engine, words, question, query),
        max(_strict_cue(engine, text[s.start : s.end], question, query) for s in sents),
        chosen.local,
        sum(within[t] for t in chosen.matched) / (sum(within.values()) or 1.0),
    ]


def candidates(path: Path, per_article: bool) -> None:
    """Each added candidate feature with the landed ones, refitted across halves."""
    seen: list[tuple[int, dict[str, float], Sequence[Sentence], Query]] = []
    original = bot.answer._engine.candidate

    def recording(number: int, *scored: Any, **passage: Any) -> Any:
        bm25, top, sents, title_terms, query = scored
        found = features(bm25, top, sents, title_terms, query, **passage)
        seen.append((number, found, sents, query))
        return original(number, *scored, **passage)

    bot.answer._engine.candidate = recording  # type: ignore[attr-defined]
    landed = list(WEIGHTS)
    data = []
    with tempfile.TemporaryDirectory() as scratch:
        for engine, questions in libraries(path, per_article, scratch):
            for q in questions:
                seen.clear()
                engine.answer(q.question, k=DEPTH)
                if not seen:
                    continue
                rows = []
                for number, found, sents, query in seen:
                    row = [found[n] for n in landed]
                    row += candidate_row(engine, number, sents, query, q.question)
                    rows.append(row)
                right = [_right(engine, number, q) for number, *_ in seen]
                data.append(Asked("squad", _part(q), np.array(rows), np.array(right)))
    bot.answer._engine.candidate = original  # type: ignore[attr-defined]
    base = list(range(len(landed)))
    weights = np.array([WEIGHTS[n] for n in landed])
    halves: Callable[[int], list[Asked]] = lambda p: [a for a in data if a.part == p]  # noqa: E731
    print(f"| landed weights | {[round(top1(halves(p), base, weights), 4) for p in (0, 1)]} |")
    trials = {"refit": base, "without candidates": base[:-1]}
    trials |= {f"+ {n}": [*base, len(landed) + i] for i, n in enumerate(CANDIDATE_NAMES)}
    fit_reranker.NAMES = [*landed, *CANDIDATE_NAMES]  # its fit starts from bm25_log's column
    for label, cols in trials.items():
        held = [top1(halves(p), cols, fit(halves(1 - p), lambda a: 1.0, cols)) for p in (0, 1)]
        print(f"| {label} | {[round(h, 4) for h in held]} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("squad", type=Path)
    parser.add_argument("report", choices=["misses", "sentences", "candidates"])
    parser.add_argument("--per-article", action="store_true", help="each article alone")
    args = parser.parse_args()
    {"misses": misses, "sentences": sentences, "candidates": candidates}[args.report](
        args.squad, args.per_article
    )


if __name__ == "__main__":
    main()
