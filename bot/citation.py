"""How an excerpt is cited and shown, in the terminal and on Discord alike: `Title › Section — ¶4–5`."""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def outside_code(text: str, highlights: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The highlights that fall in prose: code is shown as the page has it, never bolded."""
    code = [block.span() for block in FENCED_CODE.finditer(text) if "```" not in block.group(2)]
    code += [span.span() for span in INLINE_CODE.finditer(text)]
    return [(s, e) for s, e in highlights if not any(s < end and e > start for start, end in code)]
