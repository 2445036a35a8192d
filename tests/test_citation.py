"""Where an excerpt holds code: the one rule the terminal and Discord both bold by."""

from __future__ import annotations

from bot.citation import Code, code_parts, outside_code

EXCERPT = (
    "Run `git checkout` to discard changes:\n"
    "```bash\n$ git checkout -- file.py\n```\n"
    "Then check the changes.\n"
    "```python\nchanges = diff()\n…"
)


def spans_of(text: str, *words: str) -> list[tuple[int, int]]:
    """Every place each word appears in `text`."""
    spans = []
    for word in words:
        start = text.find(word)
        while start != -1:
            spans.append((start, start + len(word)))
            start = text.find(word, start + 1)
    return sorted(spans)


def test_code_parts_are_the_blocks_closed_or_cut_and_the_spans_of_the_prose() -> None:
    parts = code_parts(EXCERPT)
    assert [(EXCERPT[p.start : p.end], p.block, p.closed) for p in parts] == [
        ("`git checkout`", False, True),
        ("```bash\n$ git checkout -- file.py\n```", True, True),
        ("```python\nchanges = diff()\n…", True, False),
    ]
    # A "block" that holds ``` is no block a reader sees: it is prose.
    assert code_parts("```\na ``` b\n```") == []


def test_only_the_prose_is_bolded_and_a_highlight_running_into_code_keeps_its_prose_part() -> None:
    highlights = spans_of(EXCERPT, "checkout", "changes", "Run `git")
    kept = [EXCERPT[s:e] for s, e in outside_code(EXCERPT, highlights)]
    assert sorted(kept) == ["Run ", "changes", "changes"]  # prose only, never inside code
    code = [Code(0, 3, False)]
    assert outside_code("abcdef", [(1, 5)], code) == [(3, 5)]
