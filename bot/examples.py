"""Example questions drawn from the library itself, for `/help`, empty questions and the CLI.

Hard-coded examples only fit the library they were written for; these come from the
articles loaded: headings that are questions first ("Who founded DeepSeek?"), then
specific headings as topics ("What about the October 2022 rules?"), then titles. A
heading two articles share ("Why it matters"), one leaning on a pronoun ("Where it
comes from") or one of common words only ("Who makes the rules?", "When to Use What?")
says nothing on its own, so none is offered. A long title offers its lead ("DeepSeek, the
AI you've never heard of…" asks "What about DeepSeek?").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence

from bot.corpus import Article
from bot.found import MISSED_AT, informativeness

#: How many articles are looked at: examples need not scan a library of 100,000.
SCAN = 500
SHORTEST, LONGEST = 8, 80
#: A title offered as a topic is at most this long (after its lead is taken).
TITLE_LONGEST = 50
#: Informativeness of a word that names a subject by itself ("drone", "DeepSeek"); short of
#: one, an example needs two words that say something (`MISSED_AT`: "farming", not "rules").
SUBJECT = 0.45
_ASKING = {"who", "whom", "whose"}
_WH = {"what", "which", "how", "why", "where", "when"}
_AUXILIARY = {"is", "are", "was", "were", "do", "does", "did", "can", "should", "to", "much"}
_LEANING = {"it", "its", "they", "them", "this", "these", "those", "he", "she", "him", "her"}
_LEADING_ARTICLE = {"the", "a", "an"}
_WORD = re.compile(r"[\w'’-]+")
#: Where a title's lead ends: "DeepSeek, the AI…", "GPU basics: why…", "Setup — a guide".
_LEAD_END = re.compile(r"[,:;|]\s|\s[-–—]\s")


def example_questions(articles: Sequence[Article], limit: int = 3) -> list[str]:
    """Up to `limit` questions a user could ask this library, from different articles."""
    shown = articles[:SCAN]
    shared = Counter(h.casefold() for a in shown for h in set(_headings(a)))
    tiers: list[list[list[str]]] = [[], [], [], []]  # per tier, per article: candidates
    for article in shown:
        per_tier: list[list[str]] = [[], [], [], []]
        for heading in _headings(article):
            if shared[heading.casefold()] > 1 or not _understood(heading):
                continue
            tier, question = _as_question(heading)
            per_tier[tier].append(question)
        title = _LEAD_END.split(" ".join(article.title.split()), maxsplit=1)[0]
        if SHORTEST <= len(title) <= TITLE_LONGEST and _understood(title):
            per_tier[3].append(f"What about {title}?")
        for by_article, found in zip(tiers, per_tier, strict=True):
            by_article.append(found)
    examples: list[str] = []
    used: set[int] = set()
    for by_article in tiers:
        for number, candidates in enumerate(by_article):
            if candidates and number not in used and len(examples) < limit:
                examples.append(candidates[0])
                used.add(number)
    return examples


def _headings(article: Article) -> Iterator[str]:
    """The article's headings as one line each, within a readable length."""
    for section in article.sections:
        if section.path:
            heading = " ".join(section.path[-1].split()).rstrip(":")
            if SHORTEST <= len(heading) <= LONGEST and not any(c in heading for c in "`<>[]|"):
                yield heading


def _understood(text: str) -> bool:
    """False for text a newcomer cannot ask: leaning on what came before ("Why it matters")
    or of common words only ("Who makes the rules")."""
    words = _WORD.findall(text)
    if any(word.casefold() in _LEANING for word in words):
        return False
    weights = [informativeness(word) for word in words]
    return max(weights, default=0.0) >= SUBJECT or sum(w >= MISSED_AT for w in weights) >= 2


def _as_question(heading: str) -> tuple[int, str]:
    """The heading as a question, and its tier: 0 already a question, 1 a specific topic
    (a name or a number in it), 2 any other topic."""
    words = heading.split()
    first = words[0].casefold()
    second = words[1].casefold() if len(words) > 1 else ""
    if heading.endswith("?"):
        return 0, heading
    if first in _ASKING or (first in _WH and second in _AUXILIARY):
        return 0, heading + "?"
    specific = any(c.isdigit() for c in heading) or any(
        any(c.isupper() for c in word[1:]) or (n > 0 and word[:1].isupper())
        for n, word in enumerate(words)
    )
    if first in _LEADING_ARTICLE or (first.endswith("ing") and words[0][1:].islower()):
        heading = heading[0].lower() + heading[1:]  # "the inverted index", "asking a question"
    return (1 if specific else 2), f"What about {heading}?"
