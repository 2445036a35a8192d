"""What an answer is: its results (cited excerpts) or, when nothing answers it, the
closest articles."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    rank: int
    score: float
    article_id: str
    title: str
    url: str | None
    paragraphs: tuple[int, int]
    excerpt: str
    passage: str
    highlights: tuple[tuple[int, int], ...]
    section: str | None = None  # the headings above the excerpt: "Setup › Windows"
    link: str | None = None  # the article's url, at the section's anchor when known
    #: The paragraphs `passage` spans (`paragraphs` are those of the excerpt alone).
    passage_paragraphs: tuple[int, int] | None = None


@dataclass(frozen=True)
class ArticleRef:
    article_id: str
    title: str
    url: str | None


@dataclass(frozen=True)
class Answer:
    question: str
    found: bool
    results: tuple[Result, ...]
    closest: tuple[ArticleRef, ...]
    elapsed_ms: float
    articles_searched: int
