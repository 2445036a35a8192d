"""Results built from the re-ranked candidates: neighbours merged, an excerpt chosen in
each, cited by section and paragraphs with a link; or the closest articles when
nothing answers."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from urllib.parse import quote

from bot.answer._types import ArticleRef, Result
from bot.corpus import HEADING, ROW, Article, Passage
from bot.excerpt import Excerpt, choose_excerpt
from bot.index import Hit
from bot.rerank import Analysed, Candidate, Query, best_sentence, sentences
from bot.text import Analyzer


class Citations:
    """The results of a question over one state of the library (`Engine._results`)."""

    def __init__(
        self,
        passages: Sequence[Passage],
        articles: Sequence[Article],
        analyzer: Analyzer,
        anchor_style: str,
        article_url: Callable[[Article], str | None],
        saved_sentences: Callable[[Query], Callable[[int], Analysed | None]],
    ) -> None:
        self.passages = passages
        self.articles = articles
        self.analyzer = analyzer
        self.anchor_style = anchor_style
        self.article_url = article_url
        self._saved_sentences = saved_sentences

    def results(self, ranked: list[Candidate], query: Query, k: int) -> list[Result]:
        """The best `k` results of the ranked candidates, neighbours merged, each an excerpt
        cited by section and paragraphs."""
        merged = _merge_neighbours([(c.number, c.score) for c in ranked], self.passages)
        by_number = {c.number: c for c in ranked}
        saved = self._saved_sentences(query)
        results: list[Result] = []
        shown: list[tuple[int, int, int]] = []  # (article, start, end) of each excerpt
        for start_number, end_number, score in merged:
            if len(results) == k:
                break
            first, last = self.passages[start_number], self.passages[end_number]
            article = self.articles[first.article]
            start, end = (
                first.start,
                max(p.end for p in self.passages[start_number : end_number + 1]),
            )
            # A single passage keeps the sentences the second stage scored; a merged
            # span is scored again as a whole.
            local = by_number[start_number].local
            scored = by_number[start_number].sentences if start_number == end_number else ()
            scored = scored or sentences(article.text, start, end, query, self.analyzer, local)
            among = len(scored)
            following = self._following(end_number)
            if following is not None and best_sentence(scored) == among - 1:
                # The passage ends on the sentence that echoes the question: what
                # answers it often opens the next passage of the section.
                after = self.passages[following]
                more = sentences(
                    article.text,
                    after.start,
                    after.end,
                    query,
                    self.analyzer,
                    local,
                    saved(following),
                )
                scored = (*scored, *(s for s in more if s.start >= scored[-1].end))
            excerpt = choose_excerpt(
                article.text,
                start,
                end,
                query,
                self.analyzer,
                scored=scored,
                local=local,
                among=among,
                named=_named_headings(article, start, scored[-1].end),
            )
            if any(
                a == first.article and excerpt.start < e and excerpt.end > s for a, s, e in shown
            ):
                continue  # its text is in an excerpt already shown
            shown.append((first.article, excerpt.start, excerpt.end))
            if following is not None and excerpt.end > end:
                last = self.passages[following]
                end = last.end
            url = self.article_url(article)
            section, link = self._where(article, first, last, excerpt.start, url)
            results.append(
                Result(
                    rank=len(results) + 1,
                    score=score,
                    article_id=article.article_id,
                    title=article.title,
                    url=url,
                    section=section,
                    link=link,
                    paragraphs=_shown_paragraphs(
                        article, excerpt, first.first_paragraph, last.last_paragraph
                    ),
                    excerpt=excerpt.text,
                    passage=article.text[start:end],
                    passage_paragraphs=(first.first_paragraph, last.last_paragraph),
                    highlights=excerpt.highlights,
                )
            )
        return results

    def _following(self, number: int) -> int | None:
        """The passage after `number` when both stand in one section under a heading and
        `number` ends in prose (a table row stands alone), else None."""
        if number + 1 >= len(self.passages):
            return None
        passage, after = self.passages[number], self.passages[number + 1]
        paragraphs = self.articles[passage.article].paragraphs
        end = paragraphs[passage.last_paragraph - 1]
        if after.article != passage.article or not end.section or end.kind == ROW:
            return None
        return number + 1 if paragraphs[after.first_paragraph - 1].section == end.section else None

    def _where(
        self, article: Article, first: Passage, last: Passage, offset: int, url: str | None
    ) -> tuple[str | None, str | None]:
        """The section the excerpt starting at `offset` stands in, and the link to it (the
        excerpt's own paragraph: a passage can open with its section's heading)."""
        number = last.last_paragraph
        for paragraph in article.paragraphs[first.first_paragraph - 1 : last.last_paragraph]:
            if paragraph.end >= offset:
                number = paragraph.number
                break
        label = article.section_of(number).label or None
        link = url
        anchor = article.anchor(number, self.anchor_style)
        if url and anchor and "#" not in url:
            link = f"{url}#{quote(anchor, safe='-_.~')}"
        return label, link

    def closest(self, hits: list[Hit]) -> list[ArticleRef]:
        """The articles of the first hits, three at most, for a question not found."""
        refs: list[ArticleRef] = []
        seen: set[int] = set()
        for number, _ in hits:
            article_index = self.passages[number].article
            if article_index in seen:
                continue
            seen.add(article_index)
            article = self.articles[article_index]
            refs.append(ArticleRef(article.article_id, article.title, self.article_url(article)))
            if len(refs) == 3:
                break
        return refs


def _named_headings(article: Article, start: int, end: int) -> set[int]:
    """Where the headings in text[start:end] start that a citation of the text under them
    names ("Query Parameters" under "… › Query Parameters"): an excerpt leaves them to it."""
    paragraphs, text = article.paragraphs, article.text
    number = bisect.bisect_left(paragraphs, start, key=lambda p: p.start)
    named = set()
    for heading, after in zip(paragraphs[number:], paragraphs[number + 1 :], strict=False):
        if after.start >= end:
            break
        path = article.sections[heading.section].path
        if (
            heading.kind == HEADING
            and path
            and path[-1] == text[heading.start : heading.end]
            # The citation is worked out from the text under it: it must still name the heading.
            and article.sections[after.section].path[: len(path)] == path
        ):
            named.add(heading.start)
    return named


def _shown_paragraphs(article: Article, excerpt: Excerpt, first: int, last: int) -> tuple[int, int]:
    """The paragraphs (numbered from 1, within the passage's `first`..`last`) that the
    excerpt shows: "¶7" for the one paragraph a reader sees, not "¶6–7" with ¶6 a heading
    the citation names or a paragraph the excerpt leaves out."""

    def at(offset: int) -> int:
        number = bisect.bisect_right(article.paragraphs, offset, key=lambda p: p.start)
        return min(max(number, first), last)

    return at(excerpt.start), max(at(excerpt.start), at(excerpt.end - 1))


def _merge_neighbours(
    hits: list[tuple[int, float]], passages: Sequence[Passage]
) -> list[tuple[int, int, float]]:
    """Join hits whose text overlaps in one article into one result, best first.

    Windows of a long paragraph overlap by a sentence; showing both as separate
    results would repeat text, so they become one span keeping the best score.
    """
    spans: list[list[float]] = []  # [first passage, last passage, score]
    of_article: dict[int, list[list[float]]] = {}  # the spans of each article, in order
    for number, score in hits:
        passage = passages[number]
        for span in of_article.get(passage.article, ()):
            lo, hi = int(span[0]), int(span[1])
            if (
                lo - 1 <= number <= hi + 1
                and passage.start < passages[hi].end
                and passage.end > passages[lo].start
            ):
                if number < lo:
                    span[0] = number
                elif number > hi:
                    span[1] = number
                break
        else:
            spans.append([number, number, score])
            of_article.setdefault(passage.article, []).append(spans[-1])
    return [(int(a), int(b), s) for a, b, s in spans]
