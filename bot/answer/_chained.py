"""Views of the library's articles and passages that read them rather than copy them: a
grown library's (the shared one and a server's own read as one), and each article's
title terms worked out when first needed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar, overload

import numpy as np

from bot.corpus import Article, Corpus, context_text
from bot.text import Analyzer

_T = TypeVar("_T")


class _ChainedCorpus(Corpus):
    """The shared corpus and a server's own read as one: ids, titles and lengths come from
    each corpus (a saved library gives them without making its articles), so listing or
    looking up a server's articles makes only the shared articles shown."""

    def __init__(self, first: Corpus, second: Corpus) -> None:
        super().__init__(
            _Chained(first.articles, second.articles), [*first.warnings, *second.warnings]
        )
        self._parts = (first, second)

    def ids(self) -> list[str]:
        """Every article's id, the shared ones first."""
        return [article_id for part in self._parts for article_id in part.ids()]

    def titles(self) -> list[str]:
        """Every article's title, the shared ones first."""
        return [title for part in self._parts for title in part.titles()]

    def urls(self) -> list[str | None]:
        """Every article's url, the shared ones first."""
        return [url for part in self._parts for url in part.urls()]

    def text_lengths(self) -> np.ndarray:
        """Every article's text length, the shared ones first."""
        return np.concatenate([part.text_lengths() for part in self._parts])


class _Chained(Sequence[_T], Generic[_T]):
    """Two lists read as one, without copying the first (the shared library's passages
    and articles, which every server's engine shares)."""

    def __init__(self, first: Sequence[_T], second: Sequence[_T]) -> None:
        self._first, self._second = first, second
        self._split = len(first)

    def __len__(self) -> int:
        return self._split + len(self._second)

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[_T]: ...

    def __getitem__(self, index: int | slice) -> _T | Sequence[_T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index < self._split:
            return self._first[index]
        return self._second[index - self._split]


class _TitleTerms(Sequence[frozenset[str]]):
    """Each article's title (and description) terms, worked out when first needed: a
    saved library of a million passages starts without analysing every title."""

    def __init__(self, articles: Sequence[Article], analyzer: Analyzer) -> None:
        self._articles = articles
        self._analyzer = analyzer
        self._terms: dict[int, frozenset[str]] = {}

    def __len__(self) -> int:
        return len(self._articles)

    def __getitem__(self, number: Any) -> Any:
        terms = self._terms.get(number)
        if terms is None:
            article = self._articles[number]
            terms = self._terms[number] = frozenset(self._analyzer.terms(context_text(article)))
        return terms
