"""How an excerpt is cited, in the terminal and on Discord alike: `Title › Section — ¶4–5`."""

from __future__ import annotations


def paragraph_span(paragraphs: tuple[int, int]) -> str:
    """`¶4` for one paragraph, `¶4–5` for a run: the numbers a reader looks for."""
    first, last = paragraphs
    return f"¶{first}" if first == last else f"¶{first}–{last}"


def citation(
    title: str, paragraphs: tuple[int, int], *, joiner: str = " — ", section: str | None = None
) -> str:
    """The title (and the section, headings joined by ›) and the paragraphs an excerpt
    comes from, joined by `joiner`: where a reader finds it on the page."""
    where = f"{title} › {section}" if section else title
    return f"{where}{joiner}{paragraph_span(paragraphs)}"
