"""Which words of a passage to show: the sentences that best answer the question.

A passage can run to 150 words; a reply should not. The excerpt is one to three
consecutive sentences, verbatim, chosen for how much of the question's weight
they hold, and cut at a word boundary with "…" only when one sentence alone is
longer than the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.text import Analyzer, sentence_spans

MAX_EXCERPT_CHARS = 400
MAX_SENTENCES = 3
ELLIPSIS = "…"


@dataclass(frozen=True)
class Excerpt:
    text: str
    highlights: tuple[tuple[int, int], ...]  # [start, end) spans of question terms in `text`


def choose_excerpt(
    text: str,
    start: int,
    end: int,
    weights: dict[str, float],
    analyzer: Analyzer,
    *,
    max_chars: int = MAX_EXCERPT_CHARS,
) -> Excerpt:
    """The best run of sentences in text[start:end] for a question with term `weights`."""
    sentences = sentence_spans(text, start, end) or [(start, end)]
    covered = [
        {token.term for token in analyzer.tokens(text[s:e]) if token.term in weights}
        for s, e in sentences
    ]
    best_key: tuple[float, int, int] | None = None
    best_span = (0, 0)
    for first in range(len(sentences)):
        terms: set[str] = set()
        for last in range(first, min(first + MAX_SENTENCES, len(sentences))):
            terms |= covered[last]
            chars = sentences[last][1] - sentences[first][0]
            if chars > max_chars and last > first:
                break
            # More of the question first; then more context, which more often holds the answer.
            key = (sum(weights[t] for t in terms), min(chars, max_chars), -first)
            if best_key is None or key > best_key:
                best_key, best_span = key, (first, last)
    first, last = best_span
    s, e = sentences[first][0], sentences[last][1]
    if e - s > max_chars:
        return _cut(text, s, e, weights, analyzer, max_chars)
    return _with_highlights(text, s, e, weights, analyzer, prefix="", suffix="")


def _cut(
    text: str, s: int, e: int, weights: dict[str, float], analyzer: Analyzer, max_chars: int
) -> Excerpt:
    """A window of one long sentence around its first question term, at word boundaries."""
    budget = max_chars - 2 * len(ELLIPSIS)
    anchor = s
    for token in analyzer.tokens(text[s:e]):
        if token.term in weights:
            anchor = s + token.start
            break
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
        weights,
        analyzer,
        prefix=ELLIPSIS if lo > s else "",
        suffix=ELLIPSIS if hi < e else "",
    )


def _with_highlights(
    text: str,
    s: int,
    e: int,
    weights: dict[str, float],
    analyzer: Analyzer,
    *,
    prefix: str,
    suffix: str,
) -> Excerpt:
    body = text[s:e]
    spans = tuple(
        (len(prefix) + t.start, len(prefix) + t.end)
        for t in analyzer.tokens(body)
        if t.term in weights
    )
    return Excerpt(prefix + body + suffix, spans)
