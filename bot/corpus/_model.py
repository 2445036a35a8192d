"""The data model: articles, their paragraphs, sections and blocks; passages, and the
table a saved index holds them in; the corpus. No file is read here."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, overload

from bot.corpus._anchors import _SLUGIFIERS, _github_slug

if TYPE_CHECKING:
    # numpy is imported where passage tables are made: a page read in a child process
    # (`bot.corpus_edit.parse_in_child`) never needs it, and importing it was a third of
    # that child's CPU.
    import numpy as np


#: Paragraph kinds: prose, a heading, a line that leads into the text that answers it
#: ("Q: …", a short paragraph all in bold), a fenced code block (kept line by line),
#: a table row.
TEXT, HEADING, LEAD, CODE, ROW = "text", "heading", "lead", "code", "row"


@dataclass(frozen=True)
class Paragraph:
    number: int  # 1-based, as cited: ¶number
    start: int
    end: int
    kind: str = TEXT
    section: int = 0  # index into Article.sections


@dataclass(frozen=True)
class Section:
    """Where a paragraph stands in the article's headings, and how to link to it."""

    path: tuple[str, ...] = ()  # heading texts from the outermost in, the title excluded
    anchor: str | None = None  # the heading's id on the page (without "#")

    @property
    def label(self) -> str:
        """The path as people read it: "Help Channels › How long does a post stay active?"."""
        return " › ".join(self.path)


@dataclass(frozen=True)
class Block:
    """One paragraph as a parser found it, before the article's text is laid out."""

    text: str
    kind: str = TEXT
    level: int = 0  # heading level (1-6)
    anchor: str | None = None  # an explicit id for a heading


@dataclass(frozen=True)
class Article:
    article_id: str
    title: str
    text: str
    paragraphs: tuple[Paragraph, ...]
    url: str | None = None
    author: str | None = None
    date: str | None = None
    source: str = ""  # path relative to the corpus folder (with ":line" for JSONL)
    sections: tuple[Section, ...] = (Section(),)
    description: str | None = None  # front matter description/summary: searched like the title

    def section_of(self, paragraph_number: int) -> Section:
        """The section a (1-based) paragraph belongs to."""
        return self.sections[self.paragraphs[paragraph_number - 1].section]

    def anchor(self, paragraph_number: int, style: str = "github") -> str | None:
        """The id of the heading above a paragraph on the rendered page: the heading's
        own id when it has one, else its slug by `style` ("github" or "python-markdown")."""
        return self._anchors(style)[self.paragraphs[paragraph_number - 1].section]

    def _anchors(self, style: str) -> tuple[str | None, ...]:
        """Every section's anchor, in page order (repeated headings numbered: setup,
        setup-1; setup_1 for Python-Markdown), worked out once an article and style."""
        # Kept on the instance (a frozen dataclass still has a __dict__): hashing an
        # article for a shared cache would read its whole text every time.
        cache: dict[str, tuple[str | None, ...]] = self.__dict__.setdefault("_anchor_cache", {})
        if style not in cache:
            cache[style] = self._work_out_anchors(style)
        return cache[style]

    def _work_out_anchors(self, style: str) -> tuple[str | None, ...]:
        slug = _SLUGIFIERS.get(style, _github_slug)
        anchors: list[str | None] = [None]
        seen: dict[str, int] = {}
        for section in self.sections[1:]:
            if section.anchor:
                anchors.append(section.anchor)
                continue
            wanted = slug(section.path[-1])
            repeats = seen.get(wanted, 0)
            seen[wanted] = repeats + 1
            if repeats == 0:
                anchors.append(wanted or None)
            else:
                anchors.append(f"{wanted}{'_' if style == 'python-markdown' else '-'}{repeats}")
        return tuple(anchors)


@dataclass(frozen=True)
class Passage:
    """A searchable slice of one article: text[start:end], paragraphs first..last."""

    article: int  # index into the article list
    start: int
    end: int
    first_paragraph: int
    last_paragraph: int


#: The columns of a saved passage table, in Passage's field order.
PASSAGE_COLUMNS = ("article", "start", "end", "first_paragraph", "last_paragraph")


class PassageTable(Sequence[Passage]):
    """Passages held as one integer table, a row each (`PASSAGE_COLUMNS`): a million
    load memory-mapped in a blink, and each `Passage` is made when first read."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table
        self._made: dict[int, Passage] = {}

    def __len__(self) -> int:
        return int(self.table.shape[0])

    @overload
    def __getitem__(self, number: int) -> Passage: ...

    @overload
    def __getitem__(self, number: slice) -> list[Passage]: ...

    def __getitem__(self, number: int | slice) -> Passage | list[Passage]:
        try:
            return self._made[number]  # type: ignore[index]
        except (KeyError, TypeError):  # not made yet, or a slice
            return self._make(number)

    def _make(self, number: int | slice) -> Passage | list[Passage]:
        if isinstance(number, slice):
            return [Passage(*row) for row in self.table[number].tolist()]
        number = int(number)
        if number < 0:
            number += len(self)
        made = self._made.get(number)
        if made is None:
            if not 0 <= number < len(self):
                raise IndexError("passage number out of range")
            made = self._made[number] = Passage(*self.table[number].tolist())
        return made

    def __iter__(self) -> Iterator[Passage]:
        for row in self.table.tolist():
            yield Passage(*row)


def article_ranges(passages: Sequence[Passage]) -> dict[int, tuple[int, int]]:
    """Each article's passages as [first, end): passages of one article are contiguous."""
    if isinstance(passages, PassageTable):
        import numpy as np

        column = np.asarray(passages.table[:, 0])
        if column.shape[0] == 0:
            return {}
        cuts = np.flatnonzero(column[1:] != column[:-1]) + 1
        firsts = np.concatenate(([0], cuts)).tolist()
        ends = np.concatenate((cuts, [column.shape[0]])).tolist()
        return {
            article: (first, end)
            for article, first, end in zip(column[firsts].tolist(), firsts, ends, strict=True)
        }
    ranges: dict[int, tuple[int, int]] = {}
    for number, passage in enumerate(passages):
        first, _ = ranges.get(passage.article, (number, number))
        ranges[passage.article] = (first, number + 1)
    return ranges


@dataclass
class Corpus:
    articles: Sequence[Article]
    warnings: list[str] = field(default_factory=list)

    def ids(self) -> list[str]:
        """Every article's id, in order (a saved library answers without making articles)."""
        return [article.article_id for article in self.articles]

    def titles(self) -> list[str]:
        """Every article's title, in order."""
        return [article.title for article in self.articles]

    def sources(self) -> list[str]:
        """Every article's source (its file, and line for JSONL), in order."""
        return [article.source for article in self.articles]

    def urls(self) -> list[str | None]:
        """Every article's url (None without one), in order."""
        return [article.url for article in self.articles]

    def text_lengths(self) -> np.ndarray:
        """Every article's text length in characters, in order."""
        import numpy as np

        return np.array([len(article.text) for article in self.articles], dtype=np.int64)

    def fingerprint(self) -> str:
        """Changes whenever anything an index is built from changes."""
        digest = hashlib.sha256()
        for article in self.articles:
            parts = [article.article_id, article.title, article.text, article.description or ""]
            parts += [section.label for section in article.sections]
            parts += [f"{p.kind}:{p.section}" for p in article.paragraphs]
            for part in parts:
                digest.update(part.encode())
                digest.update(b"\0")
        return digest.hexdigest()


#: How many times a passage's section path (its headings) counts toward its index terms,
#: as the title counts once. Measured on the two docs sets (benchmarks/docsets, formal
#: questions, answer in excerpt 1 / top 3 of 112): 0 → 48/65, 1 → 48/67, 2 → 47/68;
#: SQuAD has no headings, so it cannot tell them apart.
SECTION_WEIGHT = 1


def context_text(article: Article) -> str:
    """What counts toward every passage of an article besides its own text: the title
    and the front matter's description."""
    return f"{article.title}\n{article.description}" if article.description else article.title
