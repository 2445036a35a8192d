"""Second stage: re-rank BM25's best passages by where the question's words fall.

BM25 sees a passage as a bag of words, but a question is most often a paraphrase
of one sentence. The first stage's candidates are scored again with features of
their best sentence: how much of the question's weight (idf) it holds, how many
of the question's word pairs it keeps in order, and whether it holds an answer of
the kind asked for ("when" → a date, "how many" → a number, "who" → a name, "how
do I" → a code span).
Three features look past the passage: the share of the question its page's title
holds ("Installation" for "how do I install …"), how many of the candidates come from its
article (a question's words spread over the article it is about), and how much of
the question's weight *within that article* the passage holds, terms that every
passage of the article shares (its subject) counting little. One looks at the
other candidates: the largest share of the question's weight one of the passage's
sentences holds when each word weighs by how few of the candidates hold it. The same sentence scores choose the
excerpt (see `bot.excerpt`).

Pure functions over immutable inputs, no model: a few milliseconds a question.
The feature weights were fitted once on SQuAD-style questions (a listwise
logistic model, checked by two-fold cross-validation across articles) and
rounded; see BENCHMARKS.md.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, NamedTuple, overload

from bot.text import Analyzer, passage_sentences

#: Weights of the candidate features (see `candidate`).
W_BM25_RELATIVE = 0.0  # BM25 score / best BM25 score of the question (kept at 0 by the refit)
W_BM25_LOG = 4.2  # log(1 + BM25 score)
W_COVERAGE = 5.1  # share of the question's weight anywhere in the passage or its title
W_BEST_SENTENCE = 2.7  # coverage + ordered pairs of the passage's best sentence
W_PAIRS = 0.6  # ordered question word pairs over the whole passage
W_TITLE = 0.0  # share of the question's weight in the article title (the refit keeps it at 0)
W_CUE = 0.6  # the best sentence holds an answer of the kind asked for
W_CUE_NEAR = 0.6  # the best sentence or the next one does
W_ARTICLE = 1.3  # share of the candidates that come from the passage's article
#: Share of the article's own passages that are candidates: a page counts by how much of
#: it matches, not only by how many matches its length collects (half of W_ARTICLE's
#: landed 2.6 each; BENCHMARKS.md, session 5).
W_ARTICLE_DENSITY = 1.3
W_LOCAL = -2.4  # share of the question's in-article weight (see `local_weights`) in the passage
W_LOCAL_BEST = 3.6  # the same, in the passage's best sentence
W_CODE = -1.0  # share of the passage that is code: a question in words wants words first
W_CANDIDATES = 1.5  # most of the question's weight one sentence holds, weighed among candidates
#: Share of the question's weight in the page's title (and front-matter description) alone,
#: not its headings ("Installation" for "how do I install …"; `W_TITLE` reads both). Chosen on the docs sets' odd pages (0,
#: 0.5, 1, 2, 4), checked on the even ones; SQuAD ±0 (BENCHMARKS.md, session 5).
W_PAGE_TITLE = 1.0
#: The weights by feature name (see `features`); `benchmarks/fit_reranker.py` fits them.
WEIGHTS: dict[str, float] = {
    "bm25_relative": W_BM25_RELATIVE,
    "bm25_log": W_BM25_LOG,
    "coverage": W_COVERAGE,
    "best_sentence": W_BEST_SENTENCE,
    "pairs": W_PAIRS,
    "title": W_TITLE,
    "cue": W_CUE,
    "cue_near": W_CUE_NEAR,
    "article": W_ARTICLE,
    "article_density": W_ARTICLE_DENSITY,
    "code": W_CODE,
    "page_title": W_PAGE_TITLE,
    "local": W_LOCAL,
    "local_best": W_LOCAL_BEST,
    "candidates": W_CANDIDATES,
}
#: Passages whose sentences and terms are kept for the next question that reads them.
SENTENCE_CACHE = 8192
#: How much an answer-type cue adds to a sentence's score when choosing the excerpt.
SENTENCE_CUE = 0.2
#: How much the sentence's share of the question's in-article weight adds to it.
SENTENCE_LOCAL = 2.0

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    "thirty|forty|fifty|hundred|thousand|million|billion|dozen"
)
_BEFORE_WORDS = "former(?:ly)?|previous(?:ly)?|earlier|prior|used to|once"
_CUES: dict[str, re.Pattern[str]] = {
    "date": re.compile(rf"\b(?:1\d{{3}}|20\d{{2}})s?\b|\b(?:{_MONTHS})\b|\bcentur", re.I),
    "percent": re.compile(r"%|\bper ?cent", re.I),
    "before": re.compile(rf"\b(?:{_BEFORE_WORDS})\b", re.I),
    # A code span (`status_code=201`): in technical documentation, how a thing is done.
    "method": re.compile(r"`[^`\n]+`"),
    "number": re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I),
}
#: What a sentence in ASCII must hold, lower-cased, for a kind's pattern to match in it
#: (each of its matches starts with one of these: a sentence holding none is not read),
#: and what settles that it does (a pattern's whole alternative).
_NEEDED: dict[str, tuple[str, ...]] = {
    "date": ("1", "2", "centur", *_MONTHS.split("|")),
    "percent": ("%", "per"),
    "before": ("former", "previous", "earlier", "prior", "used to", "once"),
    "method": ("`",),
    "number": (*"0123456789", *_NUMBER_WORDS.split("|")),
}
_ENOUGH: dict[str, tuple[str, ...]] = {"number": tuple("0123456789"), "percent": ("%",)}
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"\b(?:what|which) (?:year|decade|century|date|month|day)\b|\bwhen\b")),
    ("percent", re.compile(r"\bpercent|\bpercentage\b")),
    (
        "number",
        re.compile(
            r"\bhow (?:many|much|long|far|old|large|big|tall|high)\b|\bwhat (?:number|amount)\b"
        ),
    ),
    # What someone or something was before: "a former hedge fund founder".
    ("before", re.compile(r"\b(?:before|previously|prior to|used to|formerly)\b")),
    ("person", re.compile(r"\bwho(?:m|se)?\b")),
    # How to do something ("how do I set…"): not "how many" or "how long", read above.
    ("method", re.compile(r"\bhow (?:do|does|can|could|should|would|to|is|are|am)\b")),
)
#: A capitalised word that does not start a sentence: a name, most often. (The capital
#: first, what follows it read behind it: the pattern engine then skips to capitals.)
_NAME = re.compile(r"[A-Z](?<!\w[A-Z])(?<!^[A-Z])(?<![.!?]\s[A-Z])[a-z]+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Query:
    """What the second stage needs to know about a question."""

    weights: Mapping[str, float]  # weight (idf) of each distinct question term
    total: float
    pairs: frozenset[tuple[str, str]]  # question terms adjacent after stopwords are dropped
    kind: str | None  # "date", "percent", "number", "before", "person", "method" or None
    words: frozenset[str]  # the question's words, lower-cased, unstemmed
    #: Every index term that stands for a question term: the term itself and its
    #: other forms or synonyms ("founder" for "found"), each mapped to the question's.
    concept_of: Mapping[str, str]

    @classmethod
    def of(
        cls,
        question: str,
        terms: Sequence[str],
        weights: Mapping[str, float],
        variants: Mapping[str, str] | None = None,
    ) -> Query:
        """`variants` maps other index terms to the question term they stand for."""
        lowered = question.casefold()
        kind = next((name for name, pattern in _KINDS if pattern.search(lowered)), None)
        concept_of = dict(variants or {})
        concept_of.update((t, t) for t in weights)
        return cls(
            weights=weights,
            total=sum(weights.values()) or 1.0,
            pairs=frozenset(zip(terms, terms[1:], strict=False)),
            kind=kind,
            words=frozenset(_WORD.findall(lowered)),
            concept_of=concept_of,
        )

    @cached_property
    def forms(self) -> frozenset[str]:
        """Every index term that stands for a question term (the keys of `concept_of`)."""
        return frozenset(self.concept_of)

    @cached_property
    def pair_of(self) -> dict[tuple[str, str], tuple[str, str]]:
        """Each adjacent pair of index terms that stands for a question word pair."""
        forms: dict[str, list[str]] = {}
        for term, concept in self.concept_of.items():
            forms.setdefault(concept, []).append(term)
        return {
            (x, y): (a, b)
            for a, b in self.pairs
            if a in self.weights and b in self.weights
            for x in forms[a]
            for y in forms[b]
        }

    @cached_property
    def _shares(self) -> dict[frozenset[str], float]:
        """What `share` worked out already (candidates share many of their sets of terms)."""
        return {}

    @cached_property
    def _titles(self) -> dict[frozenset[str], frozenset[str]]:
        """What `titled` worked out already (candidates share titles and headings)."""
        return {}

    def share(self, terms: frozenset[str]) -> float:
        """The share of the question's weight that `terms`, question terms, hold."""
        found = self._shares.get(terms)
        if found is None:
            found = sum(w for t, w in self.weights.items() if t in terms) / self.total
            self._shares[terms] = found
        return found

    @cached_property
    def _page_shares(self) -> dict[frozenset[str], float]:
        """What `page_share` worked out already (candidates share their pages)."""
        return {}

    def page_share(self, title_terms: frozenset[str]) -> float:
        """The share of the question's weight that a page's title alone holds
        (`title_terms`: its index terms), kept for the question's other candidates."""
        found = self._page_shares.get(title_terms)
        if found is None:
            found = sum(self.weights[t] for t in self.concepts(title_terms)) / self.total
            self._page_shares[title_terms] = found
        return found

    def titled(self, title_terms: frozenset[str]) -> frozenset[str]:
        """`concepts` of a title's terms, kept for the question's other candidates."""
        found = self._titles.get(title_terms)
        if found is None:
            found = self._titles[title_terms] = self.concepts(title_terms)
        return found

    def concepts(self, terms: Iterable[str]) -> frozenset[str]:
        """The question terms that `terms` (index terms of some text) stand for."""
        return frozenset(map(self.concept_of.__getitem__, self.forms.intersection(terms)))


class Sentence(NamedTuple):
    start: int
    end: int
    matched: frozenset[str]  # the question terms it holds
    coverage: float  # share of the question's weight the sentence holds
    pairs: float  # share of the weight in question word pairs it keeps in order
    cue: bool  # holds an answer of the kind the question asks for
    local: float = 0.0  # share of the question's in-article weight (see `local_weights`)

    @property
    def score(self) -> float:
        """How likely the sentence is to answer: what choosing an excerpt ranks by."""
        return self.coverage + self.pairs + SENTENCE_CUE * self.cue + SENTENCE_LOCAL * self.local


class Candidate(NamedTuple):
    number: int  # passage number
    bm25: float
    score: float
    coverage: float  # share of the question's weight in the passage and its title
    sentences: Sequence[Sentence]
    local: Mapping[str, float] | None = None  # the question's weights in its article
    matched: frozenset[str] = frozenset()  # the question terms in the passage or its title


class Analysed(NamedTuple):
    """A passage's sentences analysed already (see `bot.analysis`): their bounds and
    terms, room for their cues, and the question's terms keyed as those terms are."""

    spans: Sequence[tuple[int, int, Sequence[Hashable]]]
    cues: dict[tuple[int, str], Any]
    concept_of: Mapping[Any, str]
    forms: frozenset[Any]
    pair_of: Mapping[Any, tuple[str, str]]


class Bits:
    """A question's terms and word pairs numbered as bits, so a sentence's matches are
    two integers (see `SavedAnalysis.sentence_bits`) and what a set of them weighs is
    worked out once a question, not once a sentence. One question's, one thread's."""

    #: The most terms or pairs a mask holds (a longer question is scored term by term).
    LIMIT = 62

    def __init__(self, query: Query) -> None:
        self.query = query
        self.concepts = list(query.weights)
        self.pair_bit = {p: 1 << i for i, p in enumerate(dict.fromkeys(query.pair_of.values()))}
        self.usable = len(self.concepts) <= self.LIMIT and len(self.pair_bit) <= self.LIMIT
        self._held: dict[int, tuple[frozenset[str], float, bool]] = {}
        self._pairs: dict[int, float] = {}
        self._local: dict[int, dict[int, float]] = {}  # by article, by mask
        #: The candidates' weights `among` last read, their sum, and what each mask holds of them.
        self._among_of: Mapping[str, float] | None = None
        self._among_total = 1.0
        self._among: dict[int, float] = {}

    def held(self, mask: int) -> tuple[frozenset[str], float, bool]:
        """The question terms in `mask`, the share of the question's weight they hold,
        and whether there are several."""
        found = self._held.get(mask)
        if found is None:
            present = frozenset(c for i, c in enumerate(self.concepts) if mask >> i & 1)
            weights = self.query.weights
            coverage = math.fsum(map(weights.__getitem__, present)) / self.query.total
            found = self._held[mask] = (present, coverage, len(present) > 1)
        return found

    def pairs(self, mask: int) -> float:
        """The share of the question's weight in the word pairs in `mask`."""
        found = self._pairs.get(mask)
        if found is None:
            weights = self.query.weights
            found = self._pairs[mask] = (
                math.fsum(
                    min(weights[a], weights[b])
                    for (a, b), bit in self.pair_bit.items()
                    if mask & bit
                )
                / self.query.total
            )
        return found

    def local(self, key: int, local: Mapping[str, float], mask: int) -> float:
        """The share of the question's in-article weight `local` (article `key`'s) in `mask`."""
        kept = self._local.get(key)
        if kept is None:
            kept = self._local[key] = {}
        found = kept.get(mask)
        if found is None:
            present = self.held(mask)[0]
            found = math.fsum(map(local.__getitem__, present)) / (sum(local.values()) or 1.0)
            kept[mask] = found
        return found

    def summary(
        self,
        rows: Sequence[Sequence[int]],
        text: str,
        local: Mapping[str, float] | None,
        key: int,
        cues: dict[tuple[int, str], Any],
        candidates: Mapping[str, float] | None = None,
    ) -> Summary:
        """`summarise(sentences_of(rows, ...), candidates)`, the answer cues read only
        where the features look (the best sentence and the next)."""
        held, known = self.held, self._held.get
        pair_share, known_pairs = self.pairs, self._pairs.get
        in_article = self._local.get(key) or {}
        scores: list[float] = []
        shared: list[float] = []  # the sentences' pairs but those of 0 (which add nothing)
        most_local = 0.0
        union = 0
        for _, _, mask, pair_mask in rows:
            if not mask:
                scores.append(0.0)
                continue
            union |= mask
            _, coverage, several = known(mask) or held(mask)
            if several and pair_mask:
                pairs = known_pairs(pair_mask)
                if pairs is None:
                    pairs = pair_share(pair_mask)
                scores.append(coverage + pairs)
                shared.append(pairs)
            else:
                scores.append(coverage + 0.0)
            if local:
                share = in_article.get(mask)
                if share is None:
                    share = self.local(key, local, mask)
                    in_article = self._local[key]
                if share > most_local:
                    most_local = share
        ranked = scores.index(max(scores))  # the first best
        cue = self._cue(rows[ranked], text, cues)
        near = cue or (ranked + 1 < len(rows) and self._cue(rows[ranked + 1], text, cues))
        return Summary(
            held(union)[0],
            scores[ranked],
            cue,
            near,
            sum(shared, 0.0),
            most_local,
            self.among(rows, candidates),
        )

    def matched(self, rows: Sequence[Sequence[int]]) -> frozenset[str]:
        """The question terms the sentences of `rows` hold."""
        union = 0
        for row in rows:
            union |= row[2]
        return self.held(union)[0]

    def among(self, rows: Sequence[Sequence[int]], candidates: Mapping[str, float] | None) -> float:
        """`_among` of the sentences of `rows`, what each set of terms holds kept for
        the question's other candidates (weighed with the same `candidates`)."""
        if not candidates:
            return 0.0
        if candidates is not self._among_of:
            self._among_of = candidates
            self._among_total = math.fsum(candidates.values()) or 1.0
            self._among = {}
        kept = self._among
        most = -math.inf
        for row in rows:
            mask = row[2]
            held = kept.get(mask)
            if held is None:
                held = kept[mask] = math.fsum(map(candidates.__getitem__, self.held(mask)[0]))
            if held > most:
                most = held
        return most / self._among_total

    def _cue(self, row: Sequence[int], text: str, cues: dict[tuple[int, str], Any]) -> bool:
        """Whether the sentence of `row` holds an answer of the kind asked for."""
        start, end, mask, _ = row
        return (
            bool(mask)
            and self.query.kind is not None
            and _has_cue(text, start, end, self.query, cues)
        )


def sentences_of(
    rows: Sequence[Sequence[int]],
    text: str,
    bits: Bits,
    local: Mapping[str, float] | None,
    key: int,
    cues: dict[tuple[int, str], Any],
) -> tuple[Sentence, ...]:
    """`sentences` from a passage's sentences matched already, `rows` of [start, end,
    terms mask, pairs mask] (see `Bits`); `key` names the article `local` weighs in."""
    out = []
    kind = bits.query.kind
    for s, e, mask, pair_mask in rows:
        if not mask:
            out.append(Sentence(s, e, _NONE, 0.0, 0.0, False, 0.0))
            continue
        present, coverage, several = bits.held(mask)
        pairs = bits.pairs(pair_mask) if several and pair_mask else 0.0
        cue = kind is not None and _has_cue(text, s, e, bits.query, cues)
        in_article = bits.local(key, local, mask) if local else 0.0
        out.append(Sentence(s, e, present, coverage, pairs, cue, in_article))
    return tuple(out)


_NONE: frozenset[str] = frozenset()


def sentences(
    text: str,
    start: int,
    end: int,
    query: Query,
    analyzer: Analyzer,
    local: Mapping[str, float] | None = None,
    saved: Analysed | None = None,
) -> tuple[Sentence, ...]:
    """The sentences of text[start:end] scored against `query`; `local` are the
    question's weights within the article, when known; `saved`, the passage's
    sentences as saved, when text[start:end] is one."""
    weights = query.weights
    total = query.total
    local_total = (sum(local.values()) or 1.0) if local else 1.0
    out = []
    spans: Sequence[tuple[int, int, Sequence[Hashable]]]
    pair_of: Mapping[Any, tuple[str, str]]
    if saved is None:
        spans, cues = _analysed(text, start, end, analyzer)
        concept_of, forms, pair_of = query.concept_of, query.forms, query.pair_of
    else:
        spans, cues, concept_of, forms, pair_of = saved
    for s, e, analysed in spans:
        held = forms.intersection(analysed)
        if not held:
            out.append(Sentence(s, e, frozenset(), 0.0, 0.0, False, 0.0))
            continue
        present = frozenset(map(concept_of.__getitem__, held))
        coverage = math.fsum(map(weights.__getitem__, present)) / total
        pairs = 0.0
        if len(present) > 1 and pair_of:
            matched = {
                pair_of[p] for p in pair_of.keys() & zip(analysed, analysed[1:], strict=False)
            }
            pairs = math.fsum(min(weights[a], weights[b]) for a, b in matched) / total
        cue = query.kind is not None and _has_cue(text, s, e, query, cues)
        in_article = math.fsum(map(local.__getitem__, present)) / local_total if local else 0.0
        out.append(Sentence(s, e, present, coverage, pairs, cue, in_article))
    return tuple(out)


def best_sentence(scored: Sequence[Sentence]) -> int:
    """Index of the sentence most likely to answer (the first one on ties)."""
    return max(range(len(scored)), key=lambda i: scored[i].score)


def local_weights(query: Query, passages: int, doc_freq: Mapping[str, int]) -> dict[str, float]:
    """The question's terms weighed within one article of `passages` passages, where
    `doc_freq` says how many of them hold each term: words every passage of the
    article shares (its subject) say little about which passage answers."""
    return {
        t: math.log((passages - doc_freq.get(t, 0) + 0.5) / (doc_freq.get(t, 0) + 0.5) + 1)
        for t in query.weights
    }


def candidate_weights(query: Query, held: Sequence[frozenset[str]]) -> dict[str, float]:
    """The question's terms weighed by how few of its candidates hold them (`held`: the
    question terms each candidate holds): a word every candidate shares tells them
    apart no more than the article's subject does."""
    count = len(held)
    holding = Counter(term for terms in held for term in terms)
    return {
        term: math.log((count - n + 0.5) / (n + 0.5) + 1) * query.weights[term]
        for term, n in holding.items()
    }


def features(
    bm25: float,
    top: float,
    sents: Sequence[Sentence],
    title_terms: frozenset[str],
    query: Query,
    **passage: Any,
) -> dict[str, float]:
    """A candidate's features by name, as `WEIGHTS` weighs them (a fit reads them too).

    `passage` holds `article_share`, the share of the question's candidates that come
    from this passage's article; `article_density`, the share of that article's
    passages that are candidates; `local`, the question's weights within that article;
    `code_share`, the share of the passage that is code; `candidates`, the question's
    weights among its candidates (`candidate_weights`); `page_title`, the terms of the
    page's title alone (see `_features`).
    """
    return _features(bm25, top, sents, title_terms, query, **passage)[0]


class Summary(NamedTuple):
    """What a candidate's features read of its sentences."""

    matched: frozenset[str]  # the question terms its sentences hold
    best_sentence: float  # coverage + pairs of the best sentence (the first of the best)
    cue: bool  # the best sentence holds an answer of the kind asked for
    cue_near: bool  # it or the next sentence does
    pairs: float  # the sentences' pairs, summed in order
    local_best: float  # the most of the in-article weight a sentence holds
    candidates: float  # the most of the question's weight among the candidates one holds


def summarise(sents: Sequence[Sentence], candidates: Mapping[str, float] | None = None) -> Summary:
    """A candidate's sentences as its features read them; `candidates`, the question's
    weights among its candidates (`candidate_weights`)."""
    sentence_scores = [s.coverage + s.pairs for s in sents]
    ranked = sentence_scores.index(max(sentence_scores))  # the first best
    best = sents[ranked]
    return Summary(
        frozenset().union(*[s.matched for s in sents]),
        sentence_scores[ranked],
        best.cue,
        best.cue or (ranked + 1 < len(sents) and sents[ranked + 1].cue),
        sum([s.pairs for s in sents]),
        max([s.local for s in sents]),
        _among(candidates, [s.matched for s in sents]),
    )


def _among(candidates: Mapping[str, float] | None, held: Iterable[frozenset[str]]) -> float:
    """The most of the question's weight among its candidates that one of `held` (a
    sentence's question terms each) holds, as a share (0 without candidates)."""
    if not candidates:
        return 0.0
    most = max(math.fsum(candidates[t] for t in terms) for terms in held)
    return most / (math.fsum(candidates.values()) or 1.0)


def _features(
    bm25: float,
    top: float,
    sents: Sequence[Sentence],
    title_terms: frozenset[str],
    query: Query,
    *,
    summary: Summary | None = None,
    article_share: float = 0.0,
    article_density: float = 0.0,
    local: Mapping[str, float] | None = None,
    code_share: float = 0.0,
    candidates: Mapping[str, float] | None = None,
    page_title: frozenset[str] = frozenset(),
) -> tuple[dict[str, float], frozenset[str]]:
    """`features`, and the question terms in the passage or its title; `summary` is
    `summarise(sents, candidates)`, when worked out already."""
    read = summary or summarise(sents, candidates)
    matched = read.matched
    titled = query.titled(title_terms)
    present = matched | titled
    local_total = (sum(local.values()) or 1.0) if local else 1.0
    found = {
        "bm25_relative": bm25 / max(top, 1e-9),
        "bm25_log": math.log1p(max(bm25, 0.0)),
        "coverage": query.share(present),
        "best_sentence": read.best_sentence,
        "pairs": read.pairs,
        "title": query.share(titled) if titled else 0.0,
        "cue": float(read.cue),
        "cue_near": float(read.cue_near),
        "article": article_share,
        "article_density": article_density,
        "code": code_share,
        "page_title": query.page_share(page_title),
        # The sentences hold their in-article share when scored with the same weights.
        "local": math.fsum(local[t] for t in matched) / local_total if local else 0.0,
        "local_best": read.local_best if local else 0.0,
        "candidates": read.candidates,
    }
    return found, present


def candidate(
    number: int,
    bm25: float,
    top: float,
    sents: Sequence[Sentence],
    title_terms: frozenset[str],
    query: Query,
    **passage: Any,
) -> Candidate:
    """One BM25 hit re-scored: its `features` weighed by `WEIGHTS`; `top` is the
    question's best BM25 score, `passage` the keywords of `features` (a `Lazy` `sents`
    comes with its `summary`)."""
    found, present = _features(bm25, top, sents, title_terms, query, **passage)
    local = passage.get("local")
    score = sum([w * found[name] for name, w in WEIGHTS.items() if w])
    kept = sents if isinstance(sents, Lazy) else tuple(sents)
    return Candidate(number, bm25, score, found["coverage"], kept, local, present)


class Lazy(Sequence[Sentence]):
    """A candidate's sentences, made when first read: most candidates are only weighed
    (`Bits.summary`), and only the best few shown or judged sentence by sentence."""

    __slots__ = ("_make", "_made")

    def __init__(self, make: Callable[[], tuple[Sentence, ...]]) -> None:
        self._make: Callable[[], tuple[Sentence, ...]] | None = make
        self._made: tuple[Sentence, ...] = ()

    def _all(self) -> tuple[Sentence, ...]:
        if self._make is not None:
            self._made, self._make = self._make(), None
        return self._made

    def __len__(self) -> int:
        return len(self._all())

    @overload
    def __getitem__(self, index: int) -> Sentence: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Sentence, ...]: ...

    def __getitem__(self, index: int | slice) -> Sentence | tuple[Sentence, ...]:
        return self._all()[index]

    def __iter__(self) -> Iterator[Sentence]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return self._all() == (other._all() if isinstance(other, Lazy) else other)

    __hash__ = None  # type: ignore[assignment]


@lru_cache(maxsize=SENTENCE_CACHE)
def _analysed(
    text: str, start: int, end: int, analyzer: Analyzer
) -> tuple[tuple[tuple[int, int, tuple[str, ...]], ...], dict[tuple[int, str], Any]]:
    """The sentences of text[start:end] with their index terms, and room for the answer
    cues they hold: what scoring them against any question starts from."""
    spans = passage_sentences(text, start, end)
    return tuple((s, e, tuple(analyzer.terms(text[s:e]))) for s, e in spans), {}


def _has_cue(
    text: str, start: int, end: int, query: Query, cues: dict[tuple[int, str], Any]
) -> bool:
    """Whether text[start:end] holds an answer of the question's kind; what a sentence
    holds is kept in `cues` (a name: the names it holds, read against the question's words)."""
    kind = query.kind
    if kind is None:
        return False
    found: Any = cues.get((start, kind))
    if found is None:
        sentence = text[start:end]  # a slice: the patterns read its start as a start
        if kind == "person":
            found = tuple(m.group().casefold() for m in _NAME.finditer(sentence))
        else:
            found = _holds_cue(sentence, kind)
        cues[start, kind] = found
    if kind == "person":
        return not query.words.issuperset(found)
    return bool(found)


def _holds_cue(sentence: str, kind: str) -> bool:
    """Whether `sentence` holds an answer of this kind (`_CUES`), settled without the
    pattern where a sentence in ASCII can be read by plain substrings."""
    if sentence.isascii():
        if any(enough in sentence for enough in _ENOUGH.get(kind, ())):
            return True
        lowered = sentence.lower()
        if not any(needed in lowered for needed in _NEEDED[kind]):
            return False
    return bool(_CUES[kind].search(sentence))
