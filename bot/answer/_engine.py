"""The engine: a library opened (or grown, or extended by a server's own articles) and
questions answered over it.

`Engine` owns the library's state and its caches and runs a question through the
stages: the chat reader, `Understanding` (`_question`), BM25, the re-ranker (its
candidates scored again here, with the library's saved sentences), the "not found"
decision, then `Citations` (`_results`).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import logging
import math
import os
import re
import threading
import time
from collections import ChainMap, Counter
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from pathlib import Path
from urllib.parse import quote

import numpy as np

from bot.analysis import (
    Keyed,
    SavedAnalysis,
    SentenceRecorder,
    open_analysis,
    saved_analysis,
)
from bot.answer._chained import _Chained, _ChainedCorpus, _TitleTerms
from bot.answer._question import Understanding, _Asked
from bot.answer._results import Citations
from bot.answer._types import Answer, ArticleRef, Result
from bot.chat import QuestionReader, ReadQuestion, count_words, library_speller_name
from bot.corpus import (
    CODE,
    SECTION_WEIGHT,
    Article,
    Corpus,
    Passage,
    article_ranges,
    context_text,
    corpus_signature,
    load_corpus,
)
from bot.corpus_edit import url_key
from bot.errors import CorpusError, QuestionError
from bot.found import (
    Evidence,
    Name,
    answers,
    evidence,
    informativeness,
)
from bot.incremental import Base, holders, open_grown
from bot.index import Hit, SearchIndex, cache_key, distinct, load_or_build, retire_others
from bot.rerank import (
    Analysed,
    Bits,
    Candidate,
    Lazy,
    Query,
    Sentence,
    best_sentence,
    candidate,
    candidate_weights,
    sentences,
    sentences_of,
)
from bot.settings import Settings
from bot.snapshot import Files, Library, open_library
from bot.synonyms import SYNONYMS_FILE, Synonyms
from bot.text import Analyzer, fold
from bot.word_forms import relatives

log = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W_]")
#: The words of a question's name (`bot.found.question_names`).
_NAME_WORD = re.compile(r"\w+")

#: Candidates taken from BM25 and re-ranked before excerpts are chosen and neighbours merged.
CANDIDATES = 30
#: Passages read at most to tell whether the library writes a name of the question;
#: past that many holding all its words, it is taken to.
NAME_READS = 50
#: A follow-up's lean: re-ranked scores of passages from the articles already cited in its
#: thread are raised by this share of their size (`Engine.answer(prefer_articles=...)`).
FOLLOW_UP_LEAN = 0.5
#: Passages each preferred article adds to the candidates, so a follow-up whose words are
#: common elsewhere still reads the cited article.
PREFERRED_CANDIDATES = 10
#: Pages a site generator publishes at their folder's address (MkDocs, Docusaurus, Jekyll,
#: Hugo), when CITEBOT_URL_TEMPLATE gives directory-style addresses (`{path}/`).
FOLDER_PAGES = frozenset({"index", "_index", "README"})


class Engine:
    """Immutable search state: articles, passages, analyzer and BM25 index."""

    def __init__(
        self,
        corpus: Corpus,
        passages: Sequence[Passage],
        index: SearchIndex,
        analyzer: Analyzer,
        *,
        per_page: int = 3,
        url_template: str | None = None,
        anchor_style: str = "github",
        synonyms: Synonyms | None = None,
        vocabulary: Mapping[str, int] | None = None,
    ) -> None:
        self.corpus = corpus
        self.articles: Sequence[Article] = corpus.articles
        self.passages = passages
        self.index = index
        self.analyzer = analyzer
        self.per_page = per_page
        self.url_template = url_template
        #: Articles from this position on are no files of the corpus folder (a server's own):
        #: CITEBOT_URL_TEMPLATE, which maps corpus paths to the site, gives them no address.
        self._outside_corpus = len(self.articles)
        self.anchor_style = anchor_style
        self.synonyms = synonyms or Synonyms.empty()
        self._reader: QuestionReader | None = None
        self._reader_lock = threading.Lock()
        self._vocabulary = vocabulary
        self._by_id: MutableMapping[str, int] = {
            article_id: i for i, article_id in enumerate(corpus.ids())
        }
        self._title_terms = _TitleTerms(self.articles, analyzer)
        self._section_terms: dict[tuple[int, int], frozenset[str]] = {}
        #: Articles known to hold no code block (most, outside documentation).
        self._no_code: set[int] = set()
        # Passages of one article are contiguous: [first, end) per article.
        self._article_ranges: MutableMapping[int, tuple[int, int]] = article_ranges(passages)
        #: Each passage's sentences analysed at build time (`open` loads them), if saved.
        self._analysis: SavedAnalysis | None = None
        #: The library last built in full that this one grows from (`bot.incremental`).
        self.base: Base | None = None
        #: Where the chat reader's library speller is kept (`open` ties it to the index).
        self._speller_folder: Path | None = None

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        progress: Callable[[int, int], None] | None = None,
        on_warning: Callable[[str], None] | None = None,
        incremental: bool = True,
    ) -> Engine:
        """Load the corpus and the saved index, building or rebuilding it when needed.

        `progress` hears (bytes read, bytes in all) while files are read, then (passages
        indexed, passages) while the index is built. With `incremental`, files changed
        since the library was last saved are read alone and searched beside it
        (`bot.incremental`) when they can be; otherwise, or without it, the library is
        read and built in full.

        Blocking: the bot calls this through `asyncio.to_thread`.
        """
        warn = on_warning or (lambda message: log.warning("%s", message))
        analyzer = Analyzer(settings.language)
        files = corpus_signature(settings.corpus_dir, settings.corpus_extra_roots)

        def make(library: Library, files: Files, analysis: SavedAnalysis | None = None) -> Engine:
            engine = cls(
                library.corpus,
                library.passages,
                library.index,
                analyzer,
                per_page=settings.per_page,
                url_template=settings.url_template,
                anchor_style=settings.anchor_style,
                synonyms=Synonyms.load(settings.corpus_dir / SYNONYMS_FILE, warn=on_warning),
                vocabulary=library.vocabulary,
            )
            engine.base = Base(library.corpus, library.passages, library.index, files)
            # A library grown from a saved one reads that one's saved sentences, if any.
            engine._analysis = analysis or saved_analysis(
                settings.data_dir / "analysis", library.index_key, analyzer, library.index
            )
            if library.index_key:
                spellers = settings.data_dir / "spellers"
                engine._speller_folder = spellers / library_speller_name(library.index_key)
                if spellers.is_dir():
                    retire_others(spellers, keep=engine._speller_folder.name)
            return engine

        if incremental:
            grown = open_grown(settings, files, make, on_warning=warn)
            if grown is not None:
                return grown
        # Sentences kept as the index is built, when it is: saved beside it after.
        recorder = SentenceRecorder(analyzer)

        def build() -> tuple[Library, str]:
            corpus = load_corpus(
                settings.corpus_dir,
                on_warning=on_warning,
                allowed_roots=settings.corpus_extra_roots,
                max_bytes=settings.max_corpus_mb * 1024 * 1024,
                progress=progress,
            )
            if not corpus.articles:
                raise CorpusError(
                    f"no usable articles in {settings.corpus_dir} "
                    "(add .md, .mdx, .txt, .html or .jsonl files)"
                )
            key = cache_key(corpus, settings)
            passages, index = load_or_build(
                corpus,
                analyzer,
                settings,
                progress=progress,
                on_warning=on_warning,
                key=key,
                text_terms=recorder,
            )
            vocabulary = count_words(a.text for a in corpus.articles)
            return Library(corpus, passages, index, vocabulary, key), key

        try:
            library = open_library(settings, build, warn=warn)
            analysis = open_analysis(
                settings.data_dir / "analysis",
                library.index_key,
                library.corpus.articles,
                library.passages,
                analyzer,
                library.index,
                warn=warn,
                recorded=recorder,
            )
        finally:
            recorder.close()
        return make(library, files, analysis)

    def over(
        self,
        corpus: Corpus,
        passages: Sequence[Passage],
        index: SearchIndex,
        *,
        same_numbers: bool = False,
        new_words: Mapping[str, int] | None = None,
    ) -> Engine:
        """This engine (analyzer, settings, synonyms, chat reader) over another state of its
        library: the shared library after articles were added or removed. With
        `same_numbers` (nothing removed: this library's passages keep their numbers, new
        ones come after), its saved sentences still hold for its own passages.
        `new_words` (the added articles' word counts) joins the words typos are corrected
        toward, so a question about a new article gets its spelling fixed too."""
        vocabulary = self._vocabulary
        unseen = bool(new_words) and (
            vocabulary is None or any(word not in vocabulary for word in new_words or ())
        )
        if unseen and vocabulary is not None and new_words is not None:
            vocabulary = Counter(vocabulary)
            vocabulary.update(new_words)
        engine = Engine(
            corpus,
            passages,
            index,
            self.analyzer,
            per_page=self.per_page,
            url_template=self.url_template,
            anchor_style=self.anchor_style,
            synonyms=self.synonyms,
            vocabulary=vocabulary,
        )
        if not unseen:  # the same words: its spellers (80 MB) are made once, not per update
            if self._reader is not None:
                engine._reader = self._reader.knowing(engine._knows)
            engine._speller_folder = self._speller_folder
        if same_numbers:
            engine._analysis = self._analysis
        return engine

    def extended(self, corpus: Corpus, passages: Sequence[Passage], index: SearchIndex) -> Engine:
        """This library plus `corpus` (a server's own articles), searched with `index`.

        The new articles come after this engine's and their `passages` are numbered on
        from its last one (their `article` counts from 0 within `corpus`); what this
        engine worked out for its own articles is reused, not done again.
        """
        engine = copy.copy(self)
        offset = len(self.articles)
        engine.corpus = _ChainedCorpus(self.corpus, corpus)
        engine.articles = engine.corpus.articles
        engine.passages = _Chained(
            self.passages, [dataclasses.replace(p, article=p.article + offset) for p in passages]
        )
        engine._outside_corpus = offset
        engine.index = index
        # The server's own entries in front of this engine's, which are read, not copied
        # (two dicts of every shared article per server engine otherwise).
        own_ids = {a.article_id: i + offset for i, a in enumerate(corpus.articles)}
        engine._by_id = ChainMap(own_ids, self._by_id)
        engine._title_terms = _TitleTerms(engine.articles, self.analyzer)
        engine._section_terms = {}
        engine._no_code = set()
        own_ranges: dict[int, tuple[int, int]] = {}
        start = len(self.passages)
        for number, passage in enumerate(passages, start=start):
            article = passage.article + offset
            first, _ = own_ranges.get(article, (number, number))
            own_ranges[article] = (first, number + 1)
        engine._article_ranges = ChainMap(own_ranges, self._article_ranges)
        engine._reader = self.reader.knowing(engine._knows)
        engine._reader_lock = threading.Lock()
        return engine

    @property
    def passage_count(self) -> int:
        """Passages in the whole library."""
        return len(self.passages)

    def article(self, article_id: str) -> Article | None:
        """The article with this id, or None."""
        index = self._by_id.get(article_id)
        return None if index is None else self.articles[index]

    def article_url(self, article: Article) -> str | None:
        """The article's own url, else its address by CITEBOT_URL_TEMPLATE (files only)."""
        if article.url or not self.url_template or re.search(r":\d+$", article.source):
            return article.url
        if self._by_id.get(article.article_id, 0) >= self._outside_corpus:
            return None
        path = article.source.rsplit(".", 1)[0] if "." in article.source else article.source
        folder, _, name = path.rpartition("/")
        if name in FOLDER_PAGES and "{path}/" in self.url_template:
            # Site generators publish a folder's index page at the folder's own address.
            if not folder:
                return self.url_template.replace("{path}/", "")
            path = folder
        return self.url_template.replace("{path}", quote(path, safe="/-_.~"))

    def repeats(self, article: Article) -> list[Article]:
        """The articles `article` could repeat (for `corpus_edit.check_duplicate`): those
        with its url, and those holding its text's rarest term, as a repeated text holds
        all its terms. Reads a few articles, not the library (a million passages)."""
        found: set[int] = set()
        if article.url:
            key = url_key(article.url)
            found.update(
                n for n, url in enumerate(self.corpus.urls()) if url and url_key(url) == key
            )
        holding = holders(article, self.index, self.passages, self.analyzer)
        if holding is None:
            return list(self.articles)  # nothing to narrow by: compared with every article
        found.update(holding)
        return [self.articles[number] for number in sorted(found)]

    def passage_count_of(self, article_id: str) -> int:
        """How many passages the article was split into (0 for an unknown id)."""
        index = self._by_id.get(article_id)
        if index is None:
            return 0
        first, end = self._article_ranges.get(index, (0, 0))
        return end - first

    def _ranges(self, articles: Iterable[int]) -> dict[int, tuple[int, int]]:
        """Each article's passage numbers, [first, end)."""
        return {a: self._article_ranges.get(a, (0, 0)) for a in articles}

    def find_articles(self, text: str, limit: int = 25) -> list[Article]:
        """Articles whose title or id contains `text` (all of them for an empty text)."""
        return [self.articles[number] for number in self.article_numbers(text)[:limit]]

    def article_numbers(self, text: str) -> list[int]:
        """The numbers of the articles whose title or id contains `text` (all for an empty
        text), titles starting with it first: by titles and ids alone, since a saved
        library makes an article only when it is read."""
        needle = " ".join(text.casefold().split())
        matches = [
            (not title.casefold().startswith(needle), title.casefold(), number)
            for number, (title, article_id) in enumerate(
                zip(self.corpus.titles(), self.corpus.ids(), strict=True)
            )
            if not needle or needle in title.casefold() or needle in article_id
        ]
        matches.sort()
        return [number for *_, number in matches]

    def answer(
        self,
        question: str,
        *,
        k: int | None = None,
        article_id: str | None = None,
        prefer_articles: Sequence[str] = (),
        lean: float = FOLLOW_UP_LEAN,
    ) -> Answer:
        """The best excerpts for `question`, or a not-found answer naming the closest articles.

        `prefer_articles` (a follow-up in a thread: the articles cited there before) adds
        their best passages to the candidates and raises their re-ranked scores by `lean`.
        """
        started = time.perf_counter()
        if not question or not question.strip():
            raise QuestionError("Please ask a question: the message was empty.")
        k = max(1, k or self.per_page)
        doc_range = None
        if article_id is not None:
            index = self._by_id.get(article_id)
            if index is None:
                raise QuestionError(f"There is no article with the id '{article_id}'.")
            doc_range = self._article_ranges.get(index, (0, 0))

        read = self.reader.read(question)
        if not read.parts and _WORD.search(question):
            # Words, but only chat filler: there is nothing to search.
            raise QuestionError(
                "Please ask a question: after greetings, thanks, mentions and links, "
                "nothing was left to search."
            )
        asked = self._understand(read)
        corrected = any(self.analyzer.terms(fixed) for _, fixed in read.corrections)
        if not asked.search and not corrected:
            # "???", "👍", "the of and", "teh": no word that could find a passage.
            raise QuestionError(
                "Please ask a question: it has no word to search for."
                if _WORD.search(question)
                else "Please ask a question in words."
            )
        terms = asked.query
        search = asked.search
        wanted = max(CANDIDATES, k * 3)
        hits = self.index.top_k(search, wanted, doc_range=doc_range) if search else []
        if search and len(hits) < wanted:
            hits += self._holding(search, wanted - len(hits), doc_range, {h[0] for h in hits})
        preferred = self._preferred(prefer_articles) if article_id is None and lean else {}
        if search and preferred:
            hits += self._preferred_hits(search, preferred, {h[0] for h in hits})
        ranked = self._rerank(hits, terms)
        if preferred:
            ranked = self._lean(ranked, preferred, lean)
        results: list[Result] = []
        closest: list[ArticleRef] = []
        found = False
        if ranked and answers(self._evidence(asked, ranked[0])):
            found = True
            results = self._results(ranked, terms, k)
        else:
            closest = self._closest(hits)
        return Answer(
            question=question,
            found=found,
            results=tuple(results),
            closest=tuple(closest),
            elapsed_ms=(time.perf_counter() - started) * 1000,
            articles_searched=len(self.articles) if article_id is None else 1,
        )

    # --- internals ---------------------------------------------------------------------

    def _holding(
        self,
        terms: Sequence[str],
        limit: int,
        doc_range: tuple[int, int] | None,
        taken: set[int],
    ) -> list[Hit]:
        """Passages holding a question term that BM25 scored at 0 or below, as score-0 hits.

        rank-bm25's idf is negative for a term in more than half the passages, so in a
        library of one or two articles the passages that hold the question's words
        may score nothing at all; the second stage still reads them.
        """
        start, end = doc_range or (0, len(self.passages))
        found: list[Hit] = []
        for term in dict.fromkeys(terms):
            holding = self.index.postings(term)
            lo, hi = np.searchsorted(holding, (start, end))
            for number in holding[lo:hi][: limit + len(taken)].tolist():
                if number not in taken:
                    taken.add(number)
                    found.append(Hit(number, 0.0))
                    if len(found) == limit:
                        return found
        return found

    def _preferred(self, article_ids: Sequence[str]) -> dict[int, tuple[int, int]]:
        """The passage ranges of the preferred articles still in the library."""
        found = {}
        for article_id in article_ids:
            index = self._by_id.get(article_id)
            if index is not None and index in self._article_ranges:
                found[index] = self._article_ranges[index]
        return found

    def _preferred_hits(
        self, terms: Sequence[str], preferred: Mapping[int, tuple[int, int]], taken: set[int]
    ) -> list[Hit]:
        """The best passages of each preferred article not among the hits yet."""
        added: list[Hit] = []
        for doc_range in preferred.values():
            for hit in self.index.top_k(terms, PREFERRED_CANDIDATES, doc_range=doc_range):
                if hit[0] not in taken:
                    taken.add(hit[0])
                    added.append(hit)
        return added

    def _lean(
        self, ranked: list[Candidate], preferred: Mapping[int, object], lean: float
    ) -> list[Candidate]:
        """The candidates again, those of preferred articles raised by `lean` of their score."""
        leaned = [
            c._replace(score=c.score + lean * abs(c.score))
            if self.passages[c.number].article in preferred
            else c
            for c in ranked
        ]
        leaned.sort(key=lambda c: -c.score)
        return leaned

    def _evidence(self, asked: _Asked, best: Candidate) -> Evidence:
        """What the best candidate holds of the question, for the "not found" decision."""
        top = best.sentences[best_sentence(best.sentences)]
        held: dict[str, int] = {}
        for form, term in asked.query.concept_of.items():
            held[term] = max(held.get(term, 0), self.index.doc_freq(form))
        return evidence(
            asked.query.weights,
            asked.informative,
            asked.known,
            best.matched,
            top.coverage,
            max(s.local for s in best.sentences),
            best.bm25,
            self.index.n_docs,
            held,
            tuple(map(self._name, asked.names)),
            asked.grammar,
            asked.shares,
        )

    def _name(self, name: str) -> Name:
        """Whether the library writes a name of the question: each passage holding all
        its terms is read for its words in order, in any of their forms and with any
        spacing or hyphen between them ("role-based", "role based"), at most NAME_READS
        of them; past that many, it is taken to."""
        terms = list(dict.fromkeys(self.analyzer.terms(name)))
        if not terms or not all(self.index.doc_freq(t) for t in terms):
            return Name(name, False, False)
        words = _NAME_WORD.findall(name)
        if len(words) < 2:
            return Name(name, True, True)
        pattern = re.compile(
            r"(?<!\w)" + r"[\s\-_'’.]{0,3}".join(map(self._word_pattern, words)) + r"(?!\w)",
            re.IGNORECASE,
        )
        holding = functools.reduce(
            lambda a, b: np.intersect1d(a, b, assume_unique=True),
            (self.index.postings(t) for t in terms),
        )
        if len(holding) > NAME_READS:
            return Name(name, True, True)
        return Name(name, True, any(self._writes(pattern, n) for n in holding.tolist()))

    def _word_pattern(self, word: str) -> str:
        """A name's word in any of its forms: the part it shares with its stem, then any
        ending ("requests" for "request", "based" for "base"). Folded as terms are
        ("Jose" for "José", "strasse" for "Straße"): `_writes` reads folded text."""
        folded = fold(word)
        terms = self.analyzer.terms(word)
        stem = os.path.commonprefix([folded, terms[0]]) if terms else ""
        return re.escape(stem) + r"\w*" if len(stem) >= 3 else re.escape(folded)

    def _writes(self, pattern: re.Pattern[str], number: int) -> bool:
        """Whether a passage, its article's title or its headings write `pattern`
        (folded, as `_word_pattern` is)."""
        passage = self.passages[number]
        article = self.articles[passage.article]
        path = article.section_of(passage.last_paragraph).path
        return any(
            pattern.search(fold(text))
            for text in (
                article.text[passage.start : passage.end],
                context_text(article),
                " ".join(path),
            )
        )

    def prepare(self) -> None:
        """Build what the first question would otherwise wait for (the chat reader, the
        word tables).

        Blocking, like `open`: run it off the event loop.
        """
        self.reader  # noqa: B018 (building is the point)
        informativeness("the")  # maps the English word frequencies, once a process
        relatives("building")  # maps the lemma tables, once a process

    @property
    def reader(self) -> QuestionReader:
        """The chat reader for this library, built on first use from the library's word
        counts (saved with the library; counted again, about a second per 100k passages,
        only when the engine was given none) and kept."""
        if self._reader is None:
            with self._reader_lock:
                if self._reader is None:
                    vocabulary = self._vocabulary
                    if vocabulary is None:
                        vocabulary = count_words(a.text for a in self.articles)
                    self._reader = QuestionReader(
                        vocabulary,
                        known=self._knows,
                        term_of=lambda word: " ".join(self.analyzer.terms(word)),
                        saved=self._speller_folder,
                    )
        return self._reader

    def _knows(self, word: str) -> bool:
        return any(self.index.doc_freq(term) for term in self.analyzer.terms(word))

    def _understand(self, read: ReadQuestion) -> _Asked:
        """The question's terms with their weights, other forms and synonyms
        (`Understanding.understand`)."""
        return Understanding(self.analyzer, self.index, self.synonyms).understand(read)

    def _rerank(self, hits: list[Hit], query: Query) -> list[Candidate]:
        """The BM25 hits scored again by their best sentences, best first."""
        if not hits:
            return []
        top = hits[0][1]
        per_article: dict[int, int] = {}
        for number, _ in hits:
            article = self.passages[number].article
            per_article[article] = per_article.get(article, 0) + 1
        local = self._local_weights(per_article, query)
        sizes = {a: max(1, end - first) for a, (first, end) in self._ranges(per_article).items()}
        saved = self._saved_sentences(query)
        bits, matched = self._matched([number for number, _ in hits], query)
        # Each candidate's sentences, made now only where the saved table did not match
        # them as bits, and the question terms it holds (what `candidate_weights` reads).
        made: list[tuple[Sentence, ...] | None] = []
        held: list[frozenset[str]] = []
        for number, _ in hits:
            rows = matched.get(number)
            if rows is not None and bits is not None:
                made.append(None)
                held.append(bits.matched(rows))
                continue
            passage = self.passages[number]
            sents = sentences(
                self.articles[passage.article].text,
                passage.start,
                passage.end,
                query,
                self.analyzer,
                local[passage.article],
                saved(number),
            )
            made.append(sents)
            held.append(frozenset().union(*(s.matched for s in sents)))
        among = candidate_weights(query, held)
        ranked = []
        for (number, bm25), eager in zip(hits, made, strict=True):
            passage = self.passages[number]
            weights = local[passage.article]
            summary = None
            scored: Sequence[Sentence]
            if eager is None and bits is not None and self._analysis is not None:
                text = self.articles[passage.article].text
                rows = matched[number]
                cues = self._analysis.cues(number)
                summary = bits.summary(rows, text, weights, passage.article, cues, among)
                scored = Lazy(
                    functools.partial(
                        sentences_of, rows, text, bits, weights, passage.article, cues
                    )
                )
            else:
                scored = eager or ()
            ranked.append(
                candidate(
                    number,
                    bm25,
                    top,
                    scored,
                    self._title_and_headings(passage),
                    query,
                    summary=summary,
                    article_share=per_article[passage.article] / len(hits),
                    article_density=per_article[passage.article] / sizes[passage.article],
                    local=weights,
                    code_share=self._code_share(passage),
                    candidates=among,
                    page_title=self._title_terms[passage.article],
                )
            )
        ranked.sort(key=lambda c: -c.score)
        return ranked

    def _matched(
        self, numbers: Sequence[int], query: Query
    ) -> tuple[Bits | None, dict[int, list[list[int]]]]:
        """The question's terms and pairs as bits, and the saved sentences of those of
        `numbers` in the saved table matched against them all at once (see `Bits`)."""
        analysis = self._analysis
        if analysis is None:
            return None, {}
        bits = Bits(query)
        if not bits.usable:
            return None, {}
        held = [n for n in numbers if 0 <= n < analysis.passages]
        rows = analysis.sentence_bits(held, analysis.bit_keys(bits)) if held else []
        return bits, dict(zip(held, rows, strict=True))

    def _saved_sentences(self, query: Query) -> Callable[[int], Analysed | None]:
        """A passage's saved sentences with `query`'s terms keyed as they are (None when
        the passage was not saved: it is analysed on the fly)."""
        analysis = self._analysis
        if analysis is None:
            return lambda number: None
        keyed: list[Keyed] = []  # worked out when first needed

        def saved(number: int) -> Analysed | None:
            if not keyed:
                keyed.append(analysis.keyed(query))
            return analysis.analysed(number, keyed[0])

        return saved

    def _code_share(self, passage: Passage) -> float:
        """How much of a passage is code blocks, by characters."""
        if passage.article in self._no_code:
            return 0.0
        article = self.articles[passage.article]
        if not any(p.kind == CODE for p in article.paragraphs):
            self._no_code.add(passage.article)
            return 0.0
        paragraphs = article.paragraphs[passage.first_paragraph - 1 : passage.last_paragraph]
        code = sum(p.end - p.start for p in paragraphs if p.kind == CODE)
        return code / max(passage.end - passage.start, 1) if code else 0.0

    def _title_and_headings(self, passage: Passage) -> frozenset[str]:
        """The terms of the article's title and of the headings above a passage, which
        count as its title does; kept per section."""
        article = self.articles[passage.article]
        key = (passage.article, article.paragraphs[passage.last_paragraph - 1].section)
        terms = self._section_terms.get(key)
        if terms is None:
            # As the index counts them: not at all when SECTION_WEIGHT is 0.
            path = article.section_of(passage.last_paragraph).path if SECTION_WEIGHT else ()
            terms = self._title_terms[passage.article] | frozenset(
                self.analyzer.terms(" ".join(path))
            )
            self._section_terms[key] = terms
        return terms

    def _local_weights(self, articles: Iterable[int], query: Query) -> dict[int, dict[str, float]]:
        """The question's terms weighed, in each of `articles`, by how few of the
        article's passages hold them."""
        ranges = self._ranges(articles)
        # Passages of one article are contiguous: count them with binary searches, all
        # the articles' bounds at once.
        firsts = np.array([first for first, _ in ranges.values()], dtype=np.int64)
        ends = np.array([end for _, end in ranges.values()], dtype=np.int64)
        forms: dict[str, list[str]] = {}
        for term, concept in query.concept_of.items():
            forms.setdefault(concept, []).append(term)
        terms = list(query.weights)
        doc_freq = np.zeros((len(terms), len(ranges)), dtype=np.int64)
        for row, term in enumerate(terms):
            holding = self.index.postings(term)  # ascending passage ids
            if len(forms[term]) > 1:
                # Only the passages of these articles: a common form's list is long.
                holding = distinct(
                    np.concatenate(
                        [_within(self.index.postings(t), firsts, ends) for t in forms[term]]
                    )
                )
            if holding.shape[0]:
                doc_freq[row] = np.searchsorted(holding, ends) - np.searchsorted(holding, firsts)
        # `local_weights`, for all the articles at once (math.log: the same floats).
        ratios = ((ends - firsts - doc_freq + 0.5) / (doc_freq + 0.5) + 1).T.tolist()
        return {
            a: dict(zip(terms, map(math.log, row), strict=True))
            for a, row in zip(ranges, ratios, strict=True)
        }

    def _results(self, ranked: list[Candidate], query: Query, k: int) -> list[Result]:
        return self._citations().results(ranked, query, k)

    def _closest(self, hits: list[Hit]) -> list[ArticleRef]:
        return self._citations().closest(hits)

    def _citations(self) -> Citations:
        """What builds results over this engine's library as it stands (`extended` gives
        a copy another one)."""
        return Citations(
            self.passages,
            self.articles,
            self.analyzer,
            self.anchor_style,
            self.article_url,
            self._saved_sentences,
        )


def _within(holding: np.ndarray, firsts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The ids in `holding` (ascending) that fall in one of the ranges [firsts, ends)."""
    lo = np.searchsorted(holding, firsts).tolist()
    hi = np.searchsorted(holding, ends).tolist()
    return np.concatenate(
        [holding[:0], *(holding[a:b] for a, b in zip(lo, hi, strict=True) if b > a)]
    )
