"""Rendering answers is pure: limits, escaping and citations, without a client."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import embed_problems

from bot import render
from bot.answer import Answer, ArticleRef, Result
from bot.citation import outside_code
from discord_layer.markdown_check import payload_markup_problems

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
    """Undo our rendering of an excerpt: quote marks, our bold, and the escapes; code
    blocks and code spans are shown as they are, so they are taken as they are."""
    pieces = re.split(r"(^```[\w+#.-]*\n.*?\n```$)", markup, flags=re.M | re.S)
    return "".join(piece if i % 2 else _plain_prose(piece) for i, piece in enumerate(pieces))


def _plain_prose(markup: str) -> str:
    lines = [line[2:] if line.startswith("> ") else line.lstrip(">") for line in markup.split("\n")]
    text = "\n".join(lines)
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif text.startswith("**", i):
            i += 2
        elif text[i] == "`" and (span := re.match(r"`[^`\n]+`(?!`)", text[i:])):
            out.append(span.group())
            i += span.end()
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
    assert r"\|\|spoiler\|\|" in body and " `code` " in body  # inline code stays code
    assert r"> \# Heading" in body and r"> \> quoted" in body and r"> \- **item**" in body
    assert re.findall(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", body) == ["item"]
    assert plain(body) == text


def test_discord_bolds_exactly_the_words_the_terminal_bolds_never_code():
    # The CLI bolds `outside_code`'s spans; Discord must mark the same words and no others.
    text = (
        "Run `git checkout` to discard changes:\n```bash\n$ git checkout -- file.py\n```\n"
        "Then check the changes, run `git`.\n```python\nchanges = diff()\n…"
    )
    words = ("checkout", "changes", "Run `git", "check")
    highlights = [(m.start(), m.end()) for w in words for m in re.finditer(re.escape(w), text)]
    shown = render.render_answer(answer(result(1, text, highlights)), per_page=3)

    body = shown.embeds[0].description.split("\n", 1)[1]
    bolded = re.findall(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", body)
    terminal = [text[s:e].strip() for s, e in sorted(outside_code(text, highlights))]
    assert " ".join(bolded).split() == " ".join(terminal).split() == [
        "Run", "changes", "check", "changes"
    ]  # fmt: skip
    assert plain(body) == text.replace("\n…", "\n```\n…")  # the cut block is closed


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
@example(text="[\\](:)", spans=[])  # a link's pattern once swallowed the backslash inside
@example(text="[a*b](c*d) *e", spans=[])
@example(text="a\n  # b\n > c\n\t- d", spans=[])  # indented markers were once left as markup
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
    # No line opens a heading, a quote or a list, however far it is indented.
    assert not [line for line in body.split("\n") if _opens_markup(line)]
    bold = re.findall(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", body)
    # One bold run a highlight, cut where an inline code span stands (code is never bold).
    code_spans = len(re.findall(r"`[^`]+`", text))
    assert len(bold) <= len(non_overlapping) + code_spans


def _opens_markup(quoted: str) -> bool:
    """Whether a line of article text as shown in our quote would open a heading, subtext,
    a quote or a list item of its own: after any spaces, as Discord reads them."""
    line = quoted[2:] if quoted.startswith("> ") else quoted.removeprefix(">")
    return re.match(r"[ \t]*(?:#{1,3}\s|-#\s|>(?:>>)?(?:\s|$)|[-*]\s)", line) is not None


def test_indented_headings_quotes_and_list_items_in_article_text_are_shown_as_written():
    text = (
        "Intro\n   # Not a heading\n  ## Nor this\n -# Nor subtext\n > Not a quote\n"
        "  >>> Nor this\n  - Not an item\n\t* Nor this\n    ### Last"
    )

    shown = render.render_answer(answer(result(1, text)), per_page=1)

    body = shown.embeds[0].description.split("\n", 1)[1]
    lines = body.split("\n")
    assert [line for line in lines if _opens_markup(line)] == []
    assert lines[1] == ">    \\# Not a heading" and lines[4] == ">  \\> Not a quote"
    assert plain(body) == text


def test_mention_shaped_article_text_is_shown_as_written_not_as_a_mention():
    text = "Write <@123>, <@&4>, <#9>, <:wave:5>, <a:spin:6>, </ask:7> or <t:1700000000:R>; a < b."

    shown = render.render_answer(answer(result(1, text)), per_page=1)

    body = shown.embeds[0].description.split("\n", 1)[1]
    for markup in ("<@123>", "<@&4>", "<#9>", "<:wave:5>", "<a:spin:6>", "</ask:7>", "<t:1700"):
        assert "\\" + markup in body
    assert "a < b" in body  # a "<" that shows nothing is left as it is
    assert plain(body) == text


def test_citation_names_the_section_and_links_to_it():
    cited = Result(
        rank=1,
        score=1.0,
        article_id="help",
        title="Help channels",
        url="https://example.org/help/",
        paragraphs=(4, 4),
        excerpt="Posts go dormant after 30 minutes.",
        passage="Posts go dormant after 30 minutes.",
        highlights=(),
        section="Help Channels › How long does my post stay active?",
        link="https://example.org/help/#how-long-does-my-post-stay-active",
    )

    description = render.render_answer(answer(cited)).embeds[0].description

    assert description.startswith(
        "`[1]` [Help channels › Help Channels › How long does my post stay active? — ¶4]"
        "(https://example.org/help/#how-long-does-my-post-stay-active)\n"
    )


CODE_EXCERPT = (
    "Check it out again:\n\n```bash\n# Discard *changes*\n$ git checkout -- path/to/file_1.py\n"
    "\n# Discard ALL\n$ git checkout -- .\n```"
)


def test_a_code_block_in_an_excerpt_is_a_code_block_never_bolded_or_escaped():
    highlights = [(0, 5), (CODE_EXCERPT.index("checkout"), CODE_EXCERPT.index("checkout") + 8)]
    shown = render.render_answer(answer(result(1, CODE_EXCERPT, highlights)))

    description = shown.embeds[0].description
    assert description.split("\n", 1)[1] == (
        "> **Check** it out again:\n>\n```bash\n# Discard *changes*\n"
        "$ git checkout -- path/to/file_1.py\n\n# Discard ALL\n$ git checkout -- .\n```"
    )
    assert embed_problems(shown.content, shown.embeds) == []
    assert payload_markup_problems(shown.embeds[0].to_dict()) == []


def test_a_code_block_cut_short_is_closed_before_the_ellipsis():
    cut = "```python\nfor item in items:\n    print(item)\n…"
    description = render.render_answer(answer(result(1, cut))).embeds[0].description
    assert description.split("\n", 1)[1] == (
        "```python\nfor item in items:\n    print(item)\n```\n…"
    )
