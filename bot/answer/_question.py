"""A question understood: its terms with their weights, other forms and synonyms.

`Understanding` reads a question the chat reader has cleaned (`ReadQuestion`) against
the library's index: the terms BM25 is asked for, each weighed by the part of the
question it came from, the word forms, compounds and synonyms that stand for them,
and the names its prose gives, for the "not found" decision.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.chat import PROSE, ReadQuestion
from bot.found import (
    CJK_GRAMMAR,
    english_share,
    informativeness,
    junctions,
    question_names,
    word_shares,
    zipf,
)
from bot.index import SearchIndex
from bot.rerank import Query
from bot.synonyms import Synonyms
from bot.text import Analyzer, has_cjk
from bot.word_forms import relatives

#: Words, and what may stand between two words written as one elsewhere ("fall back",
#: "sign-up"): a compound's halves.
_WORDS = re.compile(r"[^\W_]+")
_JOINS = frozenset({" ", "-"})
#: How common in English a compound must be to be read as one ("fallback" 2.7, "setup"
#: 4.1; names in code such as "apikey" or "entrypoint" are 0).
COMPOUND_ZIPF = 2.5
#: Passages of English at large that a question word's weight counts besides the
#: library's (see `Understanding._weight`): 1,000 to 20,000 measured the same on SQuAD.
ENGLISH_PRIOR = 5000


@dataclass
class _Gathered:
    """A question's terms as they are gathered: in order, with the weight factor of the
    part they came from, how informative their word is, and other forms standing for them."""

    order: list[str] = field(default_factory=list)
    factor: dict[str, float] = field(default_factory=dict)
    informative: dict[str, float] = field(default_factory=dict)
    variants: dict[str, str] = field(default_factory=dict)
    shares: dict[str, float] = field(default_factory=dict)  # `bot.found.word_shares`

    def add(self, term: str, informative: float, factor: float) -> None:
        self.order.append(term)
        self.factor[term] = max(factor, self.factor.get(term, 0.0))
        self.informative[term] = min(informative, self.informative.get(term, informative))

    def has(self, term: str) -> bool:
        return term in self.factor or term in self.variants


@dataclass(frozen=True)
class _Asked:
    """A question understood: what the second stage, the search and the decision read."""

    query: Query
    search: list[str]  # the terms BM25 is asked for
    informative: Mapping[str, float]  # informativeness of each question term
    known: frozenset[str]  # the question terms the library holds (itself or another form)
    names: tuple[str, ...] = ()  # the names its prose gives (`bot.found.question_names`)
    grammar: frozenset[str] = frozenset()  # its CJK pairs read as grammar (`CJK_GRAMMAR`)
    shares: Mapping[str, float] = field(default_factory=dict)  # `bot.found.word_shares`


#: The most times BM25 is asked for one term (see `_repeated`).
MAX_REPEAT = 5


def _repeated(terms: Sequence[str], factor: Mapping[str, float]) -> list[str]:
    """The terms as BM25 is asked for them: each as many times as its part's factor is
    over the weakest part's, so that BM25 (which reads a query as a bag of words) weighs
    a question's parts as the second stage does: pasted code's identifiers under its
    prose, an error message over both. A question of one part is asked as written."""
    weakest = min((factor[t] for t in terms), default=1.0)
    out: list[str] = []
    for term in terms:
        out += [term] * min(max(round(factor[term] / weakest), 1), MAX_REPEAT)
    return out


class Understanding:
    """A question's terms worked out against the library's index, its analyzer and its
    synonyms (`Engine._understand`)."""

    def __init__(self, analyzer: Analyzer, index: SearchIndex, synonyms: Synonyms) -> None:
        self.analyzer = analyzer
        self.index = index
        self.synonyms = synonyms

    def understand(self, read: ReadQuestion) -> _Asked:
        """The question's terms with their weights, other forms and synonyms.

        Each part of the question weighs its terms by the part's factor (a pasted error
        message more, identifiers from pasted code less).
        """
        gathered = _Gathered()
        words: list[tuple[str, str]] = []  # (word as typed, its term)
        for text, factor in read.parts:
            words += self._gather(gathered, text, factor)
        for word, term in words:
            for relative in relatives(word):
                self._add_variants(gathered, relative, term)
        for text, _ in read.parts:
            self._add_compounds(gathered, text)
        cleaned = read.text()
        for source, phrase in self.synonyms.matches(cleaned):
            # A synonym stands for the most informative question word of what it matched
            # ("dm" for "message" in "direct message"): it can answer for it, never add to
            # what the question needs.
            held = [t for t in self.analyzer.terms(source) if t in gathered.informative]
            if held:
                self._add_variants(
                    gathered, phrase, max(held, key=lambda t: gathered.informative[t])
                )
        weights = {term: self._weight(term, gathered) for term in gathered.factor}
        informative = {t: v * min(gathered.factor[t], 1.0) for t, v in gathered.informative.items()}
        grammar = frozenset(
            t for t, v in gathered.informative.items() if v <= CJK_GRAMMAR and has_cjk(t)
        )
        variants = gathered.variants
        known = frozenset(t for t in weights if self.index.doc_freq(t) or t in variants.values())
        terms = gathered.order
        search = [*_repeated(terms, gathered.factor), *variants]
        names = tuple(
            name for text, factor in read.parts if factor == PROSE for name in question_names(text)
        )
        return _Asked(
            Query.of(cleaned, terms, weights, variants),
            search,
            informative,
            known,
            names,
            grammar,
            gathered.shares,
        )

    def _gather(self, gathered: _Gathered, text: str, factor: float) -> list[tuple[str, str]]:
        """The terms of one part of the question into `gathered`; its words as typed, each
        with its term.

        CJK pairs read as grammar that the library lacks are stop words, as English's "in"
        and "what" are: no part of the question ("본의" of "일본의" after "일본", "이란" of
        "김장이란"). Those it holds stay, to match, as grammar (`CJK_GRAMMAR`); so does a
        part of nothing else ("먹나요?"), whose question is then not found, not unasked.
        """
        tokens = self.analyzer.tokens(text)
        joined = junctions(tokens, text, self.index.doc_freq)
        unsaid = {term for term in joined if not self.index.doc_freq(term)}
        if all(token.term in unsaid for token in tokens):
            unsaid = set()
        words = []
        for token in tokens:
            if token.term not in unsaid:
                word = text[token.start : token.end]
                gathered.add(token.term, informativeness(word), factor)
                words.append((word, token.term))
        for term in joined - unsaid:
            gathered.informative[term] = min(gathered.informative[term], CJK_GRAMMAR)
        gathered.shares.update(word_shares(tokens, joined))
        return words

    def _add_compounds(self, gathered: _Gathered, text: str) -> None:
        """Two words the library writes as one ("fall back": "fallback", "log in":
        "login"), as another form of the more informative of the two."""
        words = [m for m in _WORDS.finditer(text) if m.group().isalpha()]
        for first, second in zip(words, words[1:], strict=False):
            if text[first.end() : second.start()] not in _JOINS:
                continue
            # Both halves words of their own ("a way" is not "away"), the whole an
            # English word ("api key" is not "apikey", a name in code).
            halves = self.analyzer.terms(f"{first.group()} {second.group()}")
            word = (first.group() + second.group()).casefold()
            joined = self.analyzer.terms(word)
            if len(halves) != 2 or len(joined) != 1 or gathered.has(joined[0]):
                continue
            if not self.index.doc_freq(joined[0]) or zipf(word) < COMPOUND_ZIPF:
                continue
            held = [t for t in halves if t in gathered.informative]
            if held:
                gathered.variants[joined[0]] = max(held, key=gathered.informative.__getitem__)

    def _add_variants(self, gathered: _Gathered, text: str, term: str) -> None:
        """The terms of `text` that the library holds, as other forms of `term`."""
        for other in self.analyzer.terms(text):
            if not gathered.has(other) and self.index.doc_freq(other):
                gathered.variants[other] = term

    def _weight(self, term: str, gathered: _Gathered) -> float:
        """A question term's weight: its idf times its part's factor.

        The idf is the never-negative one, log(1 + (N - n + 0.5) / (n + 0.5)): rank-bm25's
        floors a term in over half the passages at a share of the average idf, which is
        negative in a library of one or two passages. A term the library lacks takes its
        best-known other form's (founded → founder), else counts as held by no passage.

        The counts start from ENGLISH_PRIOR passages of English at large, each holding the
        word as often as English writes it (`english_share`): a library of one article
        counts its words over a few dozen passages, where "elected" or "percentage" in
        two of them weigh no more than the article's subject; thousands of passages
        outweigh the prior. Per-article answer@1 0.796 → 0.809 (BENCHMARKS.md).
        """
        held = self.index.doc_freq(term) or max(
            (self.index.doc_freq(v) for v, t in gathered.variants.items() if t == term),
            default=0,
        )
        n = self.index.n_docs + ENGLISH_PRIOR
        counted = held + ENGLISH_PRIOR * english_share(gathered.informative[term])
        return math.log(1 + (n - counted + 0.5) / (counted + 0.5)) * gathered.factor[term]
