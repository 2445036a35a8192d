"""Rendering answers is pure: limits, escaping and citations, without a client."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from support import embed_problems

from bot import render
from bot.answer import Answer, ArticleRef, Result

MARKDOWN_HEAVY = (
    "*bold* _it_ __u__ ~~s~~ ||spoiler|| `code` \\ [link](https://x.y) <@123> @everyone"
)


def result(rank: int, excerpt: str, highlights=(), *, title="A title", url=None, passage=None):
    return Result(
        rank=rank,
        score=1.0,
        article_id=f"a{rank}",
        title=title,
        url=url,
        paragraphs=(4, 5),
        excerpt=excerpt,
        passage=passage or excerpt,
        highlights=tuple(highlights),
    )


def answer(*results: Result, question="what is it?", closest=()) -> Answer:
    return Answer(
        question=question,
        found=bool(results),
        results=tuple(results),
        closest=tuple(closest),
        elapsed_ms=12.3,
        articles_searched=9,
    )


def plain(markup: str) -> str:
    """Undo our rendering of an excerpt: quote marks, our bold, and the escapes."""
    lines = [line[2:] if line.startswith("> ") else line.lstrip(">") for line in markup.split("\n")]
    text = "\n".join(lines)
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif text.startswith("**", i):
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def test_answer_cites_title_and_paragraphs_linked_to_the_article():
    shown = render.render_answer(
        answer(
            result(
                1,
                "Liang founded it.",
                [(6, 13)],
                title="DeepSeek's rise",
                url="https://example.org/deep seek(1)",
            )
        ),
        per_page=3,
    )

    (embed,) = shown.embeds
    assert embed.title == "what is it?"
    assert embed.description == (
        "`[1]` [DeepSeek's rise — ¶4–5](https://example.org/deep%20seek%281%29)\n"
        "> Liang **founded** it."
    )
    assert embed.footer.text == "Searched 9 articles in 12 ms"


def test_article_markdown_is_escaped_and_only_our_bold_is_markup():
    text = "# Heading\n> quoted\n- item " + MARKDOWN_HEAVY
    start = text.index("item")
    shown = render.render_answer(answer(result(1, text, [(start, start + 4)])), per_page=3)

    description = shown.embeds[0].description
    body = description.split("\n", 1)[1]
    assert r"\*bold\*" in body and r"\_it\_" in body and r"\~\~s\~\~" in body
    assert r"\|\|spoiler\|\|" in body and r"\`code\`" in body
    assert r"> \# Heading" in body and r"> \> quoted" in body and r"> \- **item**" in body
    assert re.findall(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", body) == ["item"]
    assert plain(body) == text


def test_a_full_page_of_long_excerpts_stays_within_discord_limits():
    excerpt = (MARKDOWN_HEAVY + " ") * 6
    results = [
        result(
            r,
            excerpt[:400] + "…",
            [(0, 6), (30, 40)],
            title="T" * 300,
            url="https://example.org/" + "x" * 1500,
        )
        for r in range(1, 11)
    ]
    shown = render.render_answer(answer(*results, question="q" * 600), per_page=10)

    assert embed_problems(shown.content, shown.embeds) == []
    assert len(shown.embeds[0].title) <= 256
    assert shown.embeds[0].description.count("`[") == 10  # every result kept, each cut to fit
    passages = render.render_passages(results)
    assert embed_problems(passages.content, passages.embeds) == []


def test_pages_split_results_and_keep_their_ranks():
    results = [result(r, f"Excerpt {r}.") for r in range(1, 6)]

    second = render.render_answer(answer(*results), page=1, per_page=2)

    assert "`[3]`" in second.embeds[0].description and "`[4]`" in second.embeds[0].description
    assert "`[1]`" not in second.embeds[0].description
    assert second.embeds[0].footer.text.endswith("page 2/3")


def test_not_found_is_short_and_names_the_closest_articles():
    closest = (
        ArticleRef("deepseek-rise", "DeepSeek's rise", "https://example.org/deepseek"),
        ArticleRef("gpu", "GPU *basics*", None),
    )

    shown = render.render_answer(answer(question="lasagna?", closest=closest))

    description = shown.embeds[0].description
    assert description.startswith("I couldn't find an answer to that in the 9 articles I know.")
    assert "• [DeepSeek's rise](https://example.org/deepseek)" in description
    assert r"• GPU \*basics\*" in description
    assert len(description) < 500


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("ab c\n*_~|`>#-\\[]()<@!:/.")), min_size=1, max_size=400
    ),
    spans=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 30)), max_size=6),
)
def test_any_excerpt_renders_verbatim_within_limits(text: str, spans: list[tuple[int, int]]):
    highlights = sorted({(s, min(s + n, len(text))) for s, n in spans if s < len(text)})
    non_overlapping: list[tuple[int, int]] = []
    for start, end in highlights:
        if not non_overlapping or start >= non_overlapping[-1][1]:
            non_overlapping.append((start, end))

    shown = render.render_answer(answer(result(1, text, non_overlapping)), per_page=1)

    description = shown.embeds[0].description
    assert embed_problems(shown.content, shown.embeds) == []
    body = description.split("\n", 1)[1]
    # Verbatim, except that lines holding only spaces are shown empty.
    assert plain(body) == "\n".join(line if line.strip() else "" for line in text.split("\n"))
    bold = re.findall(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", body)
    assert len(bold) <= len(non_overlapping)
