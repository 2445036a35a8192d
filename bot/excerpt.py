"""Which words of a passage to show: the sentences that best answer the question.

A passage can run to 150 words; a reply should not. The excerpt is one to four
consecutive sentences, verbatim: the sentence the second stage's scores say answers
best (see `bot.rerank`; words the rest of the article shares count little there, and
so do words every sentence of the passage holds, see `excerpt_sentence`), then its
neighbours while they fit, the next one first, since an answer more often follows
the sentence that echoes the question than precedes it. Sentences past the
passage's end (the rest of its section, see `bot.answer`) may only extend it, never
be the best one. It is cut at a word boundary with "…" only when one sentence alone
is longer than the limit, or when the room left after the last whole sentence shows
the start of the next one (or, at the passage's end, the end of the one before).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass

from bot.rerank import Query, Sentence, sentences
from bot.text import Analyzer

MAX_EXCERPT_CHARS = 400
MAX_SENTENCES = 4
ELLIPSIS = "…"
#: The least of a following sentence worth showing in the room an excerpt has left.
MIN_FILL_CHARS = 40
#: What the sentence an excerpt grows from is chosen by: the weights of a sentence's
#: share of the question's weight, of the weight in question word pairs it keeps in
#: order, of holding an answer of the kind asked for, of its share of the question's
#: in-article weight, and of its share of the question's weight within the passage
#: (see `excerpt_sentence`). Fitted on SQuAD, checked across halves of its articles:
#: BENCHMARKS.md, "Ranking on prose (session 5)".
EXCERPT_WEIGHTS = (0.9, 1.5, 1.2, 2.8, 2.6)


@dataclass(frozen=True)
class Excerpt:
    text: str
    highlights: tuple[tuple[int, int], ...]  # [start, end) spans of question terms in `text`
    start: int = 0  # where the shown text begins in the article's text
    end: int = 0  # where it ends


def choose_excerpt(
    text: str,
    start: int,
    end: int,
    query: Query,
    analyzer: Analyzer,
    *,
    scored: Sequence[Sentence] | None = None,
    local: Mapping[str, float] | None = None,
    max_chars: int = MAX_EXCERPT_CHARS,
    among: int | None = None,
    named: Container[int] = (),
) -> Excerpt:
    """The best run of sentences in text[start:end] for `query`.

    `scored` are the span's sentences as the second stage scored them, when it has;
    otherwise they are scored here, with the question's in-article weights `local`.
    The best sentence is one of the first `among` of them (all by default); the
    rest may only follow it. `named` are where the headings start that the excerpt's
    citation names: it never starts at one, nor shows its end, but grows from the
    text under it, which has the room the heading would have taken.
    """
    if not scored:
        scored = sentences(text, start, end, query, analyzer, local)
    first, last = _grown(
        scored, excerpt_sentence(scored[:among] if among else scored, query), named, max_chars
    )
    s, e = scored[first].start, scored[last].end
    terms = query.concept_of  # the question's terms and their other forms
    if e - s > max_chars:
        return _cut(text, s, e, terms, analyzer, max_chars)
    if last + 1 < len(scored):
        # Room left: the start of the next sentence, cut at a word, since the
        # answer often follows the words that echo the question.
        space, suffix = _fill(text, s, scored[last + 1], max_chars)
        if space - scored[last + 1].start >= MIN_FILL_CHARS:
            return _with_highlights(text, s, space, terms, analyzer, prefix="", suffix=suffix)
    elif (
        first > 0
        and not _is_code(text, scored[first - 1].start)
        and scored[first - 1].start not in named
    ):
        # At the passage's end: the end of the sentence before.
        previous = scored[first - 1]
        space = text.find(" ", max(previous.start, e - max_chars + len(ELLIPSIS)), previous.end)
        if space != -1 and previous.end - space >= MIN_FILL_CHARS:
            return _with_highlights(text, space + 1, e, terms, analyzer, prefix=ELLIPSIS, suffix="")
    return _with_highlights(text, s, e, terms, analyzer, prefix="", suffix="")


def _grown(
    scored: Sequence[Sentence], best: int, named: Container[int], max_chars: int
) -> tuple[int, int]:
    """The first and last of the sentences shown around the `best` one, never from a
    heading in `named` (see `choose_excerpt`)."""
    first = best
    while first + 1 < len(scored) and scored[first].start in named:
        first += 1  # the heading echoes the question: what is under it answers
    last = first
    # Grow around the best sentence: after it, before it, after again.
    for step in (1, -1, 1):
        if last - first + 1 == MAX_SENTENCES:
            break
        lo, hi = (first, last + 1) if step > 0 else (first - 1, last)
        if (
            lo < 0
            or hi >= len(scored)
            or scored[hi].end - scored[lo].start > max_chars
            or scored[lo].start in named
        ):
            continue
        first, last = lo, hi
    return first, last


def excerpt_sentence(scored: Sequence[Sentence], query: Query) -> int:
    """Index of the sentence an excerpt grows from (the first one on ties).

    Besides what the second stage scores a sentence by, a question term weighs by how
    few of these sentences hold it: in a passage that names Tesla and Colorado in every
    sentence, "Where did Tesla build his laboratory in Colorado?" is answered by the one
    sentence about the laboratory, not by another naming Tesla and Colorado again.
    """
    count = len(scored)
    holding = Counter(term for s in scored for term in s.matched)
    within = {
        term: math.log((count - n + 0.5) / (n + 0.5) + 1) * query.weights[term]
        for term, n in holding.items()
    }
    total = math.fsum(within.values()) or 1.0
    coverage, pairs, cue, local, passage = EXCERPT_WEIGHTS

    def score(s: Sentence) -> float:
        held = math.fsum(within[t] for t in s.matched) / total
        return (
            coverage * s.coverage + pairs * s.pairs + cue * s.cue + local * s.local + passage * held
        )

    return max(range(count), key=lambda i: score(scored[i]))


def _cut(
    text: str, s: int, e: int, terms: Container[str], analyzer: Analyzer, max_chars: int
) -> Excerpt:
    """A window of one long sentence around its first question term, at word boundaries.

    A code block is cut at line ends instead, from its opening fence, so it is still
    shown as code.
    """
    budget = max_chars - 2 * len(ELLIPSIS)
    if _is_code(text, s):
        hi = text.rfind("\n", s, s + budget)
        hi = hi if hi > s else min(e, s + budget)
        return _with_highlights(text, s, hi, terms, analyzer, prefix="", suffix="\n" + ELLIPSIS)
    held = analyzer.spans(text[s:e], terms)
    anchor = s + held[0][0] if held else s
    lo = max(s, min(anchor - budget // 4, e - budget))
    hi = min(e, lo + budget)
    if lo > s:
        space = text.find(" ", lo, hi)
        lo = space + 1 if space != -1 else lo
    if hi < e:
        space = text.rfind(" ", lo, hi)
        hi = space if space > lo else hi
    return _with_highlights(
        text,
        lo,
        hi,
        terms,
        analyzer,
        prefix=ELLIPSIS if lo > s else "",
        suffix=ELLIPSIS if hi < e else "",
    )


def _fill(text: str, s: int, following: Sentence, max_chars: int) -> tuple[int, str]:
    """Where to stop in the sentence after an excerpt starting at `s`, and the suffix:
    at a word, or at a line end for a code block (whole lines of it)."""
    if _is_code(text, following.start):
        room = min(following.end, s + max_chars - len(ELLIPSIS) - 1)
        return text.rfind("\n", following.start, room), "\n" + ELLIPSIS
    room = min(following.end, s + max_chars - len(ELLIPSIS))
    return text.rfind(" ", following.start, room), ELLIPSIS


def _is_code(text: str, start: int) -> bool:
    """Whether the sentence at `start` is a code block (the corpus fences them)."""
    return text.startswith("```", start)


def _with_highlights(
    text: str,
    s: int,
    e: int,
    terms: Container[str],
    analyzer: Analyzer,
    *,
    prefix: str,
    suffix: str,
) -> Excerpt:
    body = text[s:e]
    shift = len(prefix)
    spans = tuple((shift + a, shift + b) for a, b in analyzer.spans(body, terms))
    return Excerpt(prefix + body + suffix, spans, s, e)
