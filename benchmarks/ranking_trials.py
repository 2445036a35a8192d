"""Ranking ideas tried on the docs and chat sets and dropped, kept so they can be re-run.

Each trial patches the engine in this process only (nothing here is used by the bot),
then asks the four docs-set files as `citebot eval` does and prints excerpt@1 / @3 /
page@1 for each; `--squad FILE` adds SQuAD as one library (answer@1 / @3). Figures and
verdicts: BENCHMARKS.md, "Ranking on the docs and chat sets (issue 15, session 4)".

    python benchmarks/ranking_trials.py                       # the engine as it is
    python benchmarks/ranking_trials.py --trial section_coverage --value 2
    python benchmarks/ranking_trials.py --weight title=1 --weight code=0
    CITEBOT_BM25_K1=1.2 CITEBOT_BM25_B=0.5 python benchmarks/ranking_trials.py

Trials (`--value` is the weight, unless said otherwise):

- informativeness: a question term's weight times a + (1 - a) * min(1, informativeness / c),
  `--value "a,c"` (words common in English, chat's "stuff", "want", weigh less);
- common_words: `--value "t,s"`: a question word less informative than t (English's
  common words) weighs s times as much, in BM25's query too;
- section_coverage: + value * (share of the question's weight anywhere in the passage's
  section, headings included, minus the passage's own share);
- article_coverage: + value * (the same over the passage's whole page);
- section_lead: the first passage of the best one's section comes first when it is
  among the best `--value` candidates;
- window: + value * (the best coverage of two consecutive sentences);
- clipped_words: a chat word that is a clipping of a far more common library word
  ("param" for "parameter") is searched as that word;
- question_frames: "is there a way to", "what's the right way to" read as "how to",
  a closing "right?"/"possible?" dropped;
- split_identifiers: identifiers' parts are terms too, beside the whole identifier
  (`convert_underscores`: convert, underscores), `--value` "snake", "all" (camelCase
  too) or either with "-passages" (the question's words left whole);
- candidates: re-rank `--value` BM25 candidates instead of 30.

Session 5 (BENCHMARKS.md, "Ranking on the docs and chat sets (session 5)"):

- stub: a passage ending on ":" (announcing a sample it does not show) scores `--value` less;
- typed_cue: a "how do I" answer kind is a code span that shows what to type (`x=True`);
- instruction: ... is a sentence that says what to do ("To stream SSE, use `yield`"),
  `--value` only / and (with a code span) / or;
- ask_pass: a second BM25 pass over the asking sentences alone adds `--value` candidates;
- thin_ask: the scene keeps its full weight when the asking sentences hold at most
  `--value` terms (kept in `bot.chat` as THIN_ASK = 2);
- numbers: a number in a question weighs `--value` times as much;
- way_frames: "is there a way / a setting / a flag to" (and "can i" with `--value` can)
  ask how: the answer kind is a code span;
- own_heading: + value * (share of the question in the passage's innermost heading),
  for "how" questions only with a trailing "h" (`--value 1h`);
- page_title: + value * (share of the question in the page's title alone; kept in
  `bot.rerank` as W_PAGE_TITLE = 1, so on today's engine it adds to that);
- article_density: the `article` feature read as the share of the page's passages among
  the candidates, or ("mix") half each (kept in `bot.rerank` as `article_density`: measured
  on the engine before it, so on today's engine it counts the density twice);
- article_weighted: the `article` feature as the page's share of the candidates' BM25
  scores instead of their number;
- section_density: + value * (share of the passage's section's passages among the candidates).
"""

from __future__ import annotations

import argparse
import bisect
import math
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bot.answer._engine  # noqa: E402
import bot.answer._question  # noqa: E402
import bot.chat  # noqa: E402
import bot.rerank  # noqa: E402
import bot.text  # noqa: E402
from bot.answer import Engine  # noqa: E402
from bot.evaluate import (  # noqa: E402
    DEPTH,
    evaluate,
    load_docs_set,
    load_squad,
    score_docs,
)
from bot.found import zipf  # noqa: E402
from bot.settings import Settings  # noqa: E402

SETS = [
    "benchmarks/docsets/fastapi-tutorial",
    "benchmarks/docsets/fastapi-tutorial/chat.jsonl",
    "benchmarks/docsets/crewai-guide",
    "benchmarks/docsets/crewai-guide/chat.jsonl",
]


def _add_to_scores(extra: Callable[[Engine, Any, Any], float]) -> None:
    """Re-ranked scores plus `extra(engine, candidate, query)`, re-sorted."""
    _add_per_question(lambda engine, hits: lambda c, query: extra(engine, c, query))


def _add_per_question(make: Callable[[Engine, Any], Callable[[Any, Any], float]]) -> None:
    """Re-ranked scores plus `make(engine, hits)(candidate, query)`: what the extra reads
    of all of a question's hits is worked out once per question."""
    rerank = Engine._rerank

    def patched(self: Engine, hits: Any, query: Any) -> Any:
        ranked = rerank(self, hits, query)
        if not ranked:
            return ranked
        extra = make(self, hits)
        ranked = [c._replace(score=c.score + extra(c, query)) for c in ranked]
        ranked.sort(key=lambda c: -c.score)
        return ranked

    Engine._rerank = patched  # type: ignore[method-assign]


def _per_article(engine: Engine, hits: Any) -> dict[int, int]:
    """How many of the hits each article holds."""
    count: dict[int, int] = {}
    for number, _ in hits:
        article = engine.passages[number].article
        count[article] = count.get(article, 0) + 1
    return count


def _share(query: Any, terms: frozenset[str]) -> float:
    return sum(query.weights[t] for t in query.concepts(terms)) / query.total


def informativeness(value: str) -> None:
    a, c = map(float, value.split(","))
    weight = bot.answer._question.Understanding._weight

    def patched(self: Any, term: str, gathered: Any) -> float:
        scale = a + (1 - a) * min(1.0, gathered.informative[term] / c)
        return weight(self, term, gathered) * scale

    bot.answer._question.Understanding._weight = patched  # type: ignore[method-assign]


def common_words(value: str) -> None:
    """`value` "t,s": a question word with informativeness under t counts s times as much,
    in BM25's query as in the second stage (its part's factor is scaled)."""
    under, scale = map(float, value.split(","))
    add = bot.answer._question._Gathered.add

    def patched(self: Any, term: str, informative: float, factor: float) -> None:
        add(self, term, informative, factor * scale if informative < under else factor)

    bot.answer._question._Gathered.add = patched  # type: ignore[method-assign]


def _terms_between(engine: Engine, article: int, first: int, last: int) -> frozenset[str]:
    cache: dict[tuple[int, int, int], frozenset[str]] = engine.__dict__.setdefault("_trial", {})
    key = (article, first, last)
    if key not in cache:
        text = engine.articles[article].text[first:last]
        cache[key] = frozenset(engine.analyzer.terms(text)) | engine._title_terms[article]
    return cache[key]


def section_coverage(value: str) -> None:
    def extra(engine: Engine, c: Any, query: Any) -> float:
        passage = engine.passages[c.number]
        paragraphs = engine.articles[passage.article].paragraphs
        section = paragraphs[passage.last_paragraph - 1].section
        if section == 0:
            return 0.0
        held = [p for p in paragraphs if p.section == section]
        terms = _terms_between(engine, passage.article, held[0].start, held[-1].end)
        return float(value) * (
            _share(query, terms | engine._title_and_headings(passage)) - c.coverage
        )

    _add_to_scores(extra)


def article_coverage(value: str) -> None:
    def extra(engine: Engine, c: Any, query: Any) -> float:
        article = engine.passages[c.number].article
        terms = _terms_between(engine, article, 0, len(engine.articles[article].text))
        return float(value) * _share(query, terms)

    _add_to_scores(extra)


def section_lead(value: str) -> None:
    rerank = Engine._rerank

    def patched(self: Engine, hits: Any, query: Any) -> Any:
        ranked = rerank(self, hits, query)
        if not ranked:
            return ranked
        number = ranked[0].number
        passage = self.passages[number]
        paragraphs = self.articles[passage.article].paragraphs
        section = paragraphs[passage.first_paragraph - 1].section
        first = number
        while (
            section
            and first > 0
            and self.passages[first - 1].article == passage.article
            and paragraphs[self.passages[first - 1].last_paragraph - 1].section == section
        ):
            first -= 1
        for i, c in enumerate(ranked[1 : int(value)], start=1):
            if first != number and c.number == first:
                return [c, *ranked[:i], *ranked[i + 1 :]]
        return ranked

    Engine._rerank = patched  # type: ignore[method-assign]


def window(value: str) -> None:
    features = bot.rerank._features

    def patched(bm25: float, top: float, sents: Any, title: Any, query: Any, **kw: Any) -> Any:
        found, present = features(bm25, top, sents, title, query, **kw)
        pairs = zip(sents, [*sents[1:], None], strict=True)
        found["window"] = max(
            math.fsum(query.weights[t] for t in a.matched | (b.matched if b else frozenset()))
            / query.total
            for a, b in pairs
        )
        return found, present

    bot.rerank._features = patched
    bot.rerank.WEIGHTS["window"] = float(value)


def clipped_words(value: str) -> None:
    clean = bot.chat.QuestionReader._clean_prose

    def expansion(reader: Any, word: str) -> str | None:
        if len(word) < 3 or not word.isalpha() or zipf(word) >= 3.5:
            return None
        words = reader.__dict__.get("_sorted")
        if words is None:
            words = reader._sorted = sorted(
                w for w, n in reader._vocabulary.items() if n >= 2 and w.isalpha()
            )
        groups: dict[str, list[Any]] = {}  # stem: [count, most frequent word, its count]
        lo, hi = bisect.bisect_left(words, word), bisect.bisect_left(words, word + "\uffff")
        for longer in words[lo:hi]:
            if len(longer) >= len(word) + 3:
                group = groups.setdefault(reader._term_of(longer), [0, "", 0])
                count = reader._vocabulary[longer]
                group[0] += count
                if count > group[2]:
                    group[1:] = [longer, count]
        ranked = sorted(groups.values(), key=lambda g: -g[0])
        if not ranked or (len(ranked) > 1 and ranked[0][0] < 20 * ranked[1][0]):
            return None
        best = ranked[0]
        if reader._vocabulary.get(word, 0) * 10 > best[0] or reader._term_of(
            best[1]
        ) == reader._term_of(word):
            return None
        return str(best[1])

    def patched(self: Any, text: str, corrections: Any) -> str:
        text = bot.chat._WORD.sub(
            lambda m: expansion(self, m.group(0).casefold()) or m.group(0), text
        )
        return clean(self, text, corrections)

    bot.chat.QuestionReader._clean_prose = patched  # type: ignore[method-assign]


_FRAME = re.compile(
    r"\b(?:is|are)\s+there\s+(?:a|any)\s+(?:built[\s-]?in\s+|simple\s+|easy\s+|clean(?:er)?\s+)?"
    r"ways?\s+to\b|\b(?:what\s+is|whats)\s+(?:the|a)\s+(?:right|best|correct|proper|recommended"
    r"|clean(?:est|er)?|good|easiest|simplest)\s+way\s+to\b",
    re.IGNORECASE,
)
_TAG = re.compile(r",?\s*\b(?:right|possible|correct)\s*\?+\s*$", re.IGNORECASE)


def question_frames(value: str) -> None:
    clean = bot.chat.QuestionReader._clean_prose

    def patched(self: Any, text: str, corrections: Any) -> str:
        return clean(self, _TAG.sub("?", _FRAME.sub(" how to ", text)), corrections)

    bot.chat.QuestionReader._clean_prose = patched  # type: ignore[method-assign]


_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_SUBWORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def split_identifiers(value: str) -> None:
    """`value`: "snake" (allow_code_execution) or "all" (BackgroundTasks too), with
    "-passages" to split only the passages' words, not the question's."""
    camel = value.startswith("all")
    token_re = bot.text._TOKEN_RE
    analyzer = bot.text.Analyzer

    def parts(self: Any, raw: str) -> list[tuple[str, int, int]]:
        term = self._term_of(raw)
        out = [] if term is None else [(term, 0, len(raw))]
        if "_" in raw or (camel and _CAMEL.search(raw)):
            pieces = [(m.group(), m.start(), m.end()) for m in _SUBWORD.finditer(raw)]
            for piece, a, b in pieces if len(pieces) > 1 else ():
                sub = self._term_of(piece)
                if sub is not None and sub != term and len(piece) > 1:
                    out.append((sub, a, b))
        return out

    def terms(self: Any, text: str) -> list[str]:
        return [t for raw in token_re.findall(text) for t, _, _ in parts(self, raw)]

    def tokens(self: Any, text: str) -> list[Any]:
        return [
            bot.text.Token(t, m.start() + a, m.start() + b)
            for m in token_re.finditer(text)
            for t, a, b in parts(self, m.group())
        ]

    def spans(self: Any, text: str, terms: Any) -> list[tuple[int, int]]:
        found = token_re.finditer(text)
        return [m.span() for m in found if any(t in terms for t, _, _ in parts(self, m.group()))]

    analyzer.terms = terms  # type: ignore[method-assign]
    analyzer.spans = spans  # type: ignore[method-assign]
    if not value.endswith("-passages"):
        analyzer.tokens = tokens  # type: ignore[method-assign]


def candidates(value: str) -> None:
    bot.answer._engine.CANDIDATES = int(value)


def stub(value: str) -> None:
    """A passage that ends announcing what it does not show ("First import `Cookie`:")
    scores `value` less (negative: more)."""

    def extra(engine: Engine, c: Any, query: Any) -> float:
        passage = engine.passages[c.number]
        text = engine.articles[passage.article].text[passage.start : passage.end]
        return -float(value) if text.rstrip().endswith(":") else 0.0

    _add_to_scores(extra)


def typed_cue(value: str) -> None:
    """A "how do I" question's answer kind is a code span that shows what to type
    (`planning=True`, `Body(embed=True)`, `fastapi dev`), not any code span; `value`
    "strict" also drops spans that are one bare name."""
    pattern = r"`[^`\n]*[=( @/-][^`\n]*`"
    bot.rerank._CUES["method"] = re.compile(pattern)


def ask_pass(value: str) -> None:
    """A second BM25 pass with only the parts that ask (factor >= 1): its best
    `value` passages join the candidates when the question has a part that does not ask."""
    understand = Engine._understand
    answer = Engine.answer
    state: dict[str, Any] = {}

    def patched_understand(self: Engine, read: Any) -> Any:
        asked = understand(self, read)
        if len(read.parts) > 1 and any(f < 1 for _, f in read.parts):
            asking = [t for t, f in read.parts if f >= 1]
            terms = [x for text in asking for x in self.analyzer.terms(text)]
            state["extra"] = terms
        else:
            state["extra"] = None
        return asked

    top_k_of: dict[int, Any] = {}

    def patched_answer(self: Engine, question: str, **kw: Any) -> Any:
        index = self.index
        if id(index) not in top_k_of:
            top_k_of[id(index)] = index.top_k
        plain = top_k_of[id(index)]

        def top_k(query: Any, k: int, **kws: Any) -> Any:
            hits = plain(query, k, **kws)
            extra = state.get("extra")
            if extra:
                seen = {h[0] for h in hits}
                hits = hits + [h for h in plain(extra, int(value), **kws) if h[0] not in seen]
            return hits

        object.__setattr__(self, "index", _Wrapped(index, top_k))
        try:
            return answer(self, question, **kw)
        finally:
            object.__setattr__(self, "index", index)

    Engine._understand = patched_understand  # type: ignore[method-assign]
    Engine.answer = patched_answer  # type: ignore[method-assign]


class _Wrapped:
    def __init__(self, inner: Any, top_k: Any) -> None:
        self._inner = inner
        self.top_k = top_k

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


_VERBS = (
    "use|set|add|pass|call|import|declare|create|define|install|run|write|put|mount|enable|"
    "configure|return|raise|include|specify|provide|register|wrap|replace|change|remove|"
    "make|give|apply|attach|turn|initiali[sz]e|instantiate|implement|inherit|subclass"
)
#: "To stream SSE with FastAPI, use `yield`", "you can set `planning=True`",
#: "- Import `StaticFiles`.": a sentence that says what to do.
_INSTRUCTION = re.compile(
    rf"^(?:[-*]\s+|\d+\.\s+)?(?:(?:to|for)\s[^,.;:]{{3,120}},\s*)?"
    rf"(?:(?:then|first|now|simply|just),?\s+)?"
    rf"(?:(?:you|we)\s+(?:can|could|need\s+to|should|must|have\s+to|will\s+need\s+to)"
    rf"(?:\s+(?:also|simply|just|then))?\s+)?(?:{_VERBS})\b",
    re.I,
)


def instruction(value: str) -> None:
    """A "how do I" question's answer kind is a sentence that says what to do ("To
    stream SSE, use `yield`", "Set `planning=True`"): `value` "only" reads that instead
    of any code span, "and" wants both, "or" either."""
    span = bot.rerank._CUES["method"]

    class Either:
        def search(self, text: str) -> Any:
            head = text.lstrip()
            said = _INSTRUCTION.search(head)
            if value == "only":
                return said
            if value == "and":
                return said and span.search(text)
            return said or span.search(text)

    bot.rerank._CUES["method"] = Either()  # type: ignore[assignment]


def thin_ask(value: str) -> None:
    """When the sentences that ask hold at most `value` terms ("how do i write one",
    "can i control that?"), the sentences that set the scene hold the topic: they
    weigh as much as the asking ones instead of half."""
    understand = Engine._understand

    def patched(self: Engine, read: Any) -> Any:
        factors = {f for _, f in read.parts}
        if bot.chat.CONTEXT in factors:
            asking = [t for t, f in read.parts if f == bot.chat.PROSE]
            if sum(len(self.analyzer.terms(t)) for t in asking) <= int(value):
                parts = tuple(
                    (t, bot.chat.PROSE if f == bot.chat.CONTEXT else f) for t, f in read.parts
                )
                read = bot.chat.ReadQuestion(parts, read.corrections)
        return understand(self, read)

    Engine._understand = patched  # type: ignore[method-assign]


def numbers(value: str) -> None:
    """A number in a question ("2000 lines", "50 times", "task 4 of 5") weighs `value`
    times as much, in BM25's query too: most often the asker's own situation."""
    add = bot.answer._question._Gathered.add

    def patched(self: Any, term: str, informative: float, factor: float) -> None:
        add(self, term, informative, factor * float(value) if term.isdigit() else factor)

    bot.answer._question._Gathered.add = patched  # type: ignore[method-assign]


def way_frames(value: str) -> None:
    """ "is there a way / a setting / a flag to …", "any way to …" (and with `value`
    "can", "can i …") ask how, as "how do i …" does: the answer kind is a code span."""
    extra = r"\bis there (?:a|any|an) (?:\w+ )?(?:way|setting|flag|option|hook|command|parameter)\b"
    extra += r"|\bany (?:way|setting|option|flag)\b"
    if value == "can":
        extra += r"|^(?:can|could) (?:i|we|you)\b"
    kinds = []
    for name, pattern in bot.rerank._KINDS:
        if name == "method":
            pattern = re.compile(f"{pattern.pattern}|{extra}")
        kinds.append((name, pattern))
    bot.rerank._KINDS = tuple(kinds)


def own_heading(value: str) -> None:
    """+ value * (share of the question's weight in the passage's own heading, the
    innermost of its section path: "Declare `Cookie` parameters"), for "how" questions
    only with `value` ending in "h"."""
    how_only = value.endswith("h")
    weight = float(value.rstrip("h"))

    def extra(engine: Engine, c: Any, query: Any) -> float:
        if how_only and query.kind != "method":
            return 0.0
        passage = engine.passages[c.number]
        path = engine.articles[passage.article].section_of(passage.last_paragraph).path
        if not path:
            return 0.0
        return weight * _share(query, frozenset(engine.analyzer.terms(path[-1])))

    _add_to_scores(extra)


def page_title(value: str) -> None:
    """+ value * (share of the question's weight in the page's title alone, not its
    headings: "Installation" for "how do I install …")."""

    def extra(engine: Engine, c: Any, query: Any) -> float:
        article = engine.passages[c.number].article
        return float(value) * _share(query, engine._title_terms[article])

    _add_to_scores(extra)


def article_density(value: str) -> None:
    """The `article` feature read as the share of the page's own passages among the
    candidates (a page most of whose passages match) instead of the page's share of
    the candidates (which long pages win by size); `value` "mix" averages the two."""

    def make(engine: Engine, hits: Any) -> Callable[[Any, Any], float]:
        per = _per_article(engine, hits)
        weight = bot.rerank.WEIGHTS["article"]

        def extra(c: Any, query: Any) -> float:
            article = engine.passages[c.number].article
            share = per[article] / len(hits)
            size = engine.passage_count_of(engine.articles[article].article_id)
            density = per[article] / max(1, size)
            new = density if value != "mix" else (share + density) / 2
            return weight * (new - share)

        return extra

    _add_per_question(make)


def article_weighted(value: str) -> None:
    """The `article` feature as the page's share of the candidates' BM25 scores, not of
    their number (a few strong matches against many weak ones)."""

    def make(engine: Engine, hits: Any) -> Callable[[Any, Any], float]:
        per = _per_article(engine, hits)
        mass: dict[int, float] = {}
        for number, bm25 in hits:
            article = engine.passages[number].article
            mass[article] = mass.get(article, 0.0) + bm25
        total = sum(mass.values()) or 1.0
        weight = bot.rerank.WEIGHTS["article"] * float(value)

        def extra(c: Any, query: Any) -> float:
            article = engine.passages[c.number].article
            return weight * (mass[article] / total - per[article] / len(hits))

        return extra

    _add_per_question(make)


def section_density(value: str) -> None:
    """+ value * (share of the passage's section's passages that are candidates): within
    a page, a section most of which matches."""

    def key(engine: Engine, number: int) -> tuple[int, Any]:
        passage = engine.passages[number]
        article = engine.articles[passage.article]
        return passage.article, article.paragraphs[passage.last_paragraph - 1].section

    def make(engine: Engine, hits: Any) -> Callable[[Any, Any], float]:
        among: dict[tuple[int, Any], int] = {}
        for number, _ in hits:
            among[key(engine, number)] = among.get(key(engine, number), 0) + 1
        sizes: dict[tuple[int, Any], int] = {}
        for article in {k[0] for k in among}:
            first, end = engine._article_ranges.get(article, (0, 0))
            for number in range(first, end):
                sizes[key(engine, number)] = sizes.get(key(engine, number), 0) + 1
        return lambda c, query: (
            float(value) * among[key(engine, c.number)] / sizes[key(engine, c.number)]
        )

    _add_per_question(make)


TRIALS: dict[str, Callable[[str], None]] = {
    f.__name__: f
    for f in (
        informativeness,
        common_words,
        section_coverage,
        article_coverage,
        section_lead,
        window,
        clipped_words,
        question_frames,
        split_identifiers,
        candidates,
        stub,
        typed_cue,
        ask_pass,
        instruction,
        thin_ask,
        numbers,
        way_frames,
        own_heading,
        page_title,
        article_density,
        article_weighted,
        section_density,
    )
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trial", choices=sorted(TRIALS))
    parser.add_argument("--value", default="1")
    parser.add_argument("--weight", action="append", default=[], help="NAME=VALUE of WEIGHTS")
    parser.add_argument("--squad", type=Path, help="also SQuAD as one library")
    args = parser.parse_args()
    if args.trial:
        TRIALS[args.trial](args.value)
    for item in args.weight:
        name, value = item.split("=")
        bot.rerank.WEIGHTS[name] = float(value)
    settings = Settings.from_env(dotenv=False)
    engines: dict[Path, Engine] = {}
    with tempfile.TemporaryDirectory(prefix="ranking-trials-") as scratch:
        for name in SETS:
            pages, questions = load_docs_set(Path(name))
            if pages not in engines:
                data = Path(scratch) / str(len(engines))
                engines[pages] = Engine.open(
                    settings.with_overrides(corpus_dir=pages, data_dir=data)
                )
                engines[pages].prepare()
            engine = engines[pages]
            answers = [engine.answer(q.question, k=DEPTH) for q in questions]
            sources = {a.article_id: a.source for a in engine.articles}
            m = score_docs(questions, answers, sources, pages=len(sources))
            print(
                f"{name:50s} excerpt@1 {m.excerpt_at_1:.3f} @3 {m.excerpt_at_3:.3f} "
                f"page@1 {m.page_at_1:.3f} answerable NF {m.answerable_not_found_rate:.3f} "
                f"uncovered NF {m.uncovered_not_found_rate:.3f}"
            )
    if args.squad:
        s = evaluate(load_squad(args.squad), settings, k=3)
        print(
            f"{'SQuAD, one library':50s} answer@1 {s.answer_at_1:.5f} @3 {s.answer_at_3:.5f} found {s.found_rate:.5f}"
        )


if __name__ == "__main__":
    main()
