"""How an excerpt is cited and shown, in the terminal and on Discord alike: `Title › Section — ¶4–5`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

#: A fenced code block in article text (the corpus fences every code block), closed or
#: cut short with "…".
FENCED_CODE = re.compile(
    r"^```([\w+#.-]*)\n(.*?)(?:(?P<close>\n```)(?=\n|\Z)|(?P<cut>\n…)\Z)", re.M | re.S
)
#: A code span (`name`) in prose.
INLINE_CODE = re.compile(r"(?<!`)`[^`\n]+`(?!`)")


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


class Code(NamedTuple):
    """Code in an excerpt: text[start:end], a fenced block (`closed`, or cut short by "…")
    or, when not `block`, a code span in the prose."""

    start: int
    end: int
    block: bool
    closed: bool = True


def code_parts(text: str) -> list[Code]:
    """Where `text` holds code, in order: the fenced blocks a reader sees as blocks (one
    holding ``` is prose) and the code spans of the prose around them. The terminal and
    Discord both show these as the page has them, never bolded or escaped inside."""
    parts: list[Code] = []
    position = 0
    for block in FENCED_CODE.finditer(text):
        if "```" in block.group(2):
            continue
        parts.extend(_code_spans(text, position, max(position, block.start() - 1)))
        parts.append(Code(block.start(), block.end(), True, bool(block.group("close"))))
        position = block.end()
    parts.extend(_code_spans(text, position, len(text)))
    return parts


def _code_spans(text: str, start: int, end: int) -> list[Code]:
    return [Code(*span.span(), False) for span in INLINE_CODE.finditer(text, start, end)]


def outside_code(
    text: str, highlights: Sequence[tuple[int, int]], code: Sequence[Code] | None = None
) -> list[tuple[int, int]]:
    """The highlights cut to the prose (`code`: `code_parts(text)`, when known already):
    code is shown as the page has it, never bolded."""
    code = code_parts(text) if code is None else code
    kept: list[tuple[int, int]] = []
    for start, end in highlights:
        for part in code:
            if part.start < end and part.end > start:
                if start < part.start:
                    kept.append((start, part.start))
                start = max(start, part.end)
        if start < end:
            kept.append((start, end))
    return kept
