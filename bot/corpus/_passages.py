"""Articles split into passages, the units the index searches: paragraphs merged or
cut into overlapping windows, a heading or question line kept with its answer."""

from __future__ import annotations

import re

from bot.corpus._model import CODE, HEADING, LEAD, Article, Passage
from bot.text import sentence_spans, word_count


def split_passages(
    article: Article, article_index: int, *, min_words: int = 40, max_words: int = 150
) -> list[Passage]:
    """Paragraph-based passages: short paragraphs merged, long ones split into windows.

    Windows of a long paragraph end at sentence boundaries and overlap by one
    sentence, so an answer that straddles a boundary is still whole in one passage;
    a sentence longer than a window is cut at word boundaries, so no passage runs
    past `max_words` (plus the heading or question line that leads into it). A code
    block stays whole up to CODE_WINDOWS windows, since a slice of code reads badly.
    A heading starts a passage of its own section, and a heading or a question
    line ("Q: …") never ends a passage: it stays with the text that answers it.
    """
    units: list[tuple[int, int, int, bool]] = []  # (start, end, paragraph number, leads)
    for paragraph in article.paragraphs:
        text = article.text[paragraph.start : paragraph.end]
        leads = paragraph.kind in (HEADING, LEAD) and word_count(text) <= max_words // 2
        limit = max_words * CODE_WINDOWS if paragraph.kind == CODE else max_words
        if word_count(text) <= limit:
            units.append((paragraph.start, paragraph.end, paragraph.number, leads))
            continue
        for start, end in _windows(article.text, paragraph.start, paragraph.end, max_words):
            units.append((start, end, paragraph.number, False))

    def section(unit: tuple[int, int, int, bool]) -> int:
        return article.paragraphs[unit[2] - 1].section

    passages: list[Passage] = []
    current: list[tuple[int, int, int, bool]] = []
    words = 0
    for unit in units:
        unit_words = word_count(article.text[unit[0] : unit[1]])
        same_paragraph_window = current and current[-1][2] == unit[2]
        answered = current and not all(u[3] for u in current)
        if current and (
            (unit[3] and answered)  # a heading or question line opens a new passage
            or (answered and section(unit) != section(current[-1]))
            or (
                not current[-1][3]
                and (words >= min_words or words + unit_words > max_words or same_paragraph_window)
            )
        ):
            passages.append(_passage(article_index, current))
            current, words = [], 0
        current.append(unit)
        words += unit_words
    if current:
        # A short tail joins the passage before it when both fit in one window.
        if (
            passages
            and words < min_words
            and passages[-1].last_paragraph != current[0][2]
            and section(current[0]) == article.paragraphs[passages[-1].last_paragraph - 1].section
            and not current[0][3]
            and word_count(article.text[passages[-1].start : current[-1][1]]) <= max_words
        ):
            last = passages.pop()
            passages.append(
                Passage(
                    article_index, last.start, current[-1][1], last.first_paragraph, current[-1][2]
                )
            )
        else:
            passages.append(_passage(article_index, current))
    return passages


#: How many windows' worth of words a code block may hold and still be one passage.
CODE_WINDOWS = 4


def _passage(article_index: int, units: list[tuple[int, int, int, bool]]) -> Passage:
    return Passage(article_index, units[0][0], units[-1][1], units[0][2], units[-1][2])


def _windows(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    sentences: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, start, end):
        if word_count(text[s:e]) > max_words:
            sentences.extend(_word_chunks(text, s, e, max_words))
        else:
            sentences.append((s, e))
    counts = [word_count(text[s:e]) for s, e in sentences]
    windows: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        j = i
        total = counts[i]
        while j + 1 < len(sentences) and total + counts[j + 1] <= max_words:
            j += 1
            total += counts[j]
        windows.append((sentences[i][0], sentences[j][1]))
        if j + 1 >= len(sentences):
            break
        i = j if j > i else j + 1  # overlap by one sentence when the window has several
    return windows


_WORD = re.compile(r"\S+")


def _word_chunks(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """text[start:end] in pieces of at most half a window of words, cut between words
    (at a line end where the piece's second half has one, so code keeps whole lines)."""
    size = max(1, max_words // 2)  # windows of two pieces overlap by one, as sentences do
    chunks: list[tuple[int, int]] = []
    piece: list[tuple[int, int]] = []
    for match in _WORD.finditer(text, start, end):
        piece.append((match.start(), match.end()))
        if len(piece) <= size:
            continue
        # The piece is full: end it at its last line break in the second half, if any.
        cut = size - 1
        for k in range(size - 1, size // 2, -1):
            if "\n" in text[piece[k][1] : piece[k + 1][0]]:
                cut = k
                break
        chunks.append((piece[0][0], piece[cut][1]))
        piece = piece[cut + 1 :]
    if piece:
        chunks.append((piece[0][0], piece[-1][1]))
    return chunks
