"""Documentation as people write it: headings, FAQs, code, tables, MDX components.

Each test loads real files from tmp_path and checks what a reader would see: the
article's text, the passages a search can return, and the section a citation names.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answer import Engine
from bot.corpus import CODE, HEADING, Article, load_corpus, split_passages
from bot.settings import Settings
from bot.text import word_count


def write(folder: Path, name: str, content: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def only_article(folder: Path, warnings: list[str] | None = None) -> Article:
    sink = warnings if warnings is not None else []
    [article] = load_corpus(folder, on_warning=sink.append).articles
    return article


def paragraphs(article: Article) -> list[str]:
    return [article.text[p.start : p.end] for p in article.paragraphs]


def passage_texts(article: Article, **sizes: int) -> list[str]:
    return [article.text[p.start : p.end] for p in split_passages(article, 0, **sizes)]


def engine_for(folder: Path, tmp_path: Path, **settings: object) -> Engine:
    # A few unrelated articles, so word weights mean what they mean in a real library.
    for n, topic in enumerate(["gardening tomatoes", "baking bread", "repairing bicycles"]):
        write(folder, f"zz-other-{n}.md", f"# On {topic}\n\n{FILLER}All about {topic}.\n")
    return Engine.open(
        Settings(corpus_dir=folder, data_dir=tmp_path / "data", **settings),  # type: ignore[arg-type]
        on_warning=lambda message: None,
    )


FILLER = (
    "The forum keeps every post readable for anyone who joins later, and the staff tidy it "
    "once a week so that old threads do not crowd out the new ones. "
)


# --- sections and passages --------------------------------------------------------------


def test_markdown_headings_give_each_paragraph_its_section_path(tmp_path: Path) -> None:
    write(
        tmp_path / "c",
        "help.md",
        "# Help\n\nIntro text.\n\n## Help Channels\n\nHow channels work.\n\n"
        "### How long does my help post stay active?\n\nThirty minutes of quiet.\n\n"
        "## Other\n\nSomething else.\n",
    )
    article = only_article(tmp_path / "c")
    assert article.title == "Help"
    by_text = {
        article.text[p.start : p.end]: article.sections[p.section].label for p in article.paragraphs
    }
    assert by_text["Intro text."] == ""
    assert by_text["How channels work."] == "Help Channels"
    assert by_text["Thirty minutes of quiet."] == (
        "Help Channels › How long does my help post stay active?"
    )
    assert by_text["Something else."] == "Other"


@pytest.mark.parametrize(
    "form",
    ["**Q: {question}**", "Q: {question}", "### {question}", "**{question}**"],
    ids=["bold-q-line", "q-line", "heading", "bold-question-line"],
)
def test_a_heading_or_faq_question_never_ends_a_passage(tmp_path: Path, form: str) -> None:
    faq = "\n\n".join(
        form.format(question=f"Why can't I do thing {n}?")
        + f"\n\nBecause rule {n} says so. {FILLER}"
        for n in range(4)
    )
    write(
        tmp_path / "c",
        "faq.md",
        # 35 words before the first question: with the heading and the question line the
        # passage reaches its minimum size exactly on the question.
        f"# FAQ\n\n{FILLER}Read these answers first.\n\n## Uploads\n\n{faq}\n\n"
        "## Why is my post closed?\n\n"
        "Posts close after thirty minutes without a message.\n",
    )
    article = only_article(tmp_path / "c")
    passages = passage_texts(article, min_words=40, max_words=150)
    for text in passages:
        last = text.rsplit("\n\n", 1)[-1]
        assert not last.startswith(("Q:", "Uploads")), passages
        assert not last.endswith("?"), passages
    # Each question is in the same passage as its answer.
    for n in range(4):
        [holding] = [t for t in passages if f"thing {n}?" in t]
        assert f"Because rule {n} says so." in holding
    [closed] = [t for t in passages if "Why is my post closed?" in t]
    assert "Posts close after thirty minutes" in closed


def test_a_question_is_answered_from_under_its_heading_with_the_section_cited(
    tmp_path: Path,
) -> None:
    write(
        tmp_path / "c",
        "help.md",
        f"# Help channels\n\n{FILLER * 2}\n\n## Claiming a channel\n\n{FILLER}\n\n"
        "## How long does my help post stay active?\n\n"
        "A post goes dormant after 30 minutes without a message.\n\n## Etiquette\n\nBe kind.\n",
    )
    answer = engine_for(tmp_path / "c", tmp_path).answer("How long does my help post stay active?")
    assert answer.found
    top = answer.results[0]
    assert "30 minutes" in top.excerpt
    assert top.section == "How long does my help post stay active?"


def test_plain_text_with_clear_headings_gets_sections(tmp_path: Path) -> None:
    write(
        tmp_path / "c",
        "notes.txt",
        "Setup notes\n\nInstall\n=======\n\nRun the installer.\n\n## Upgrading\n\nRun it again.\n",
    )
    article = only_article(tmp_path / "c")
    labels = {
        article.text[p.start : p.end]: article.sections[p.section].label for p in article.paragraphs
    }
    assert labels["Run the installer."] == "Install"
    assert labels["Run it again."] == "Install › Upgrading"


def test_html_headings_keep_their_ids(tmp_path: Path) -> None:
    write(
        tmp_path / "c",
        "guide.html",
        "<html><head><title>Guide</title></head><body><nav>Home | About</nav><main><article>"
        "<h1>Guide</h1><p>This guide explains how the installer works on every system.</p>"
        '<h2 id="install-it">Install it</h2><p>Run the installer and wait for it to finish, '
        "which takes about a minute on most machines.</p>"
        '<h2><a id="faq-anchor"></a>Questions</h2><p>Ask in the help forum when anything '
        "goes wrong during the installation.</p></article></main></body></html>",
    )
    article = only_article(tmp_path / "c")
    number = {article.text[p.start : p.end]: p.number for p in article.paragraphs}
    install = number[
        "Run the installer and wait for it to finish, which takes about a minute on most machines."
    ]
    assert article.section_of(install).label == "Install it"
    assert article.anchor(install) == "install-it"
    ask = number["Ask in the help forum when anything goes wrong during the installation."]
    assert article.anchor(ask) == "faq-anchor"


# --- citations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("github", ["whats-new-in-v2--ünïcode", "setup", "setup-1"]),
        ("python-markdown", ["whats-new-in-v2-unicode", "setup", "setup_1"]),
    ],
)
def test_section_anchors_follow_the_sites_slug_rules(
    tmp_path: Path, style: str, expected: list[str]
) -> None:
    write(
        tmp_path / "c",
        "page.md",
        "# Page\n\n## What's new in `v2` — ünïcode!\n\nOne.\n\n## Setup\n\nTwo.\n\n"
        "## Setup\n\nThree.\n\n## Custom {#my-id}\n\nFour.\n",
    )
    article = only_article(tmp_path / "c")
    anchors = [article.anchor(p.number, style) for p in article.paragraphs if p.kind != HEADING]
    assert anchors == [*expected, "my-id"]


def test_url_template_links_every_file_to_its_section_and_front_matter_url_wins(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "c"
    write(
        corpus,
        "guides/help channels.md",
        "# Help\n\n## Dormant posts\n\nA post goes dormant after thirty quiet minutes.\n",
    )
    write(
        corpus,
        "own.md",
        "---\ntitle: Own\nurl: https://own.example/page\n---\n\n## Quotas\n\n"
        "Each member may open five posts a day.\n",
    )
    engine = engine_for(corpus, tmp_path, url_template="https://example.org/docs/{path}/")
    [dormant] = engine.answer("How many quiet minutes before a post goes dormant?", k=1).results
    assert dormant.url == "https://example.org/docs/guides/help%20channels/"
    assert dormant.link == "https://example.org/docs/guides/help%20channels/#dormant-posts"
    assert dormant.section == "Dormant posts"
    [quota] = engine.answer("How many posts may each member open a day?", k=1).results
    assert quota.link == "https://own.example/page#quotas"
    # A bulk export's lines are no pages of the site: only their own url links.
    write(
        corpus,
        "export.jsonl",
        json.dumps({"title": "Slowmode", "text": "Slowmode allows one message per ten seconds."})
        + "\n",
    )
    engine = engine_for(corpus, tmp_path, url_template="https://example.org/docs/{path}/")
    [slowmode] = engine.answer("How many seconds between messages in slowmode?", k=1).results
    assert slowmode.article_id.startswith("export") and (slowmode.url, slowmode.link) == (
        None,
        None,
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "https://example.org/docs/{path}/",
            {
                "index": "https://example.org/docs/",
                "guides/index": "https://example.org/docs/guides/",
                "api/README": "https://example.org/docs/api/",
                "guides/indexing": "https://example.org/docs/guides/indexing/",
            },
        ),
        (
            # Addresses with an extension keep the index page's own name.
            "https://example.org/docs/{path}.html",
            {
                "index": "https://example.org/docs/index.html",
                "guides/index": "https://example.org/docs/guides/index.html",
                "api/README": "https://example.org/docs/api/README.html",
                "guides/indexing": "https://example.org/docs/guides/indexing.html",
            },
        ),
    ],
)
def test_a_folders_index_page_links_to_the_folder_as_site_generators_publish_it(
    tmp_path: Path, template: str, expected: dict[str, str]
) -> None:
    for article_id in expected:
        write(tmp_path / "c", f"{article_id}.md", f"# {article_id}\n\nText of {article_id}.\n")
    engine = engine_for(tmp_path / "c", tmp_path, url_template=template)
    urls = {}
    for article_id in expected:
        article = engine.article(article_id.lower())  # ids are case-folded
        assert article is not None
        urls[article_id] = engine.article_url(article)
    assert urls == expected


def test_without_a_url_there_is_no_link(tmp_path: Path) -> None:
    write(tmp_path / "c", "a.md", "# A\n\n## Dormant posts\n\nPosts go dormant after an hour.\n")
    [result] = engine_for(tmp_path / "c", tmp_path).answer("When do posts go dormant?", k=1).results
    assert (result.url, result.link, result.section) == (None, None, "Dormant posts")


@pytest.mark.parametrize("key", ["description", "summary"])
def test_description_front_matter_is_searchable_like_the_title(tmp_path: Path, key: str) -> None:
    write(
        tmp_path / "c",
        "a.md",
        f"---\ntitle: Channels\n{key}: Everything about the walrus operator.\n---\n\n"
        "Assignment expressions name a value inside a condition.\n",
    )
    write(tmp_path / "c", "b.md", "# Other\n\nNothing about it here, only cats.\n")
    answer = engine_for(tmp_path / "c", tmp_path).answer("walrus operator")
    assert answer.found
    assert answer.results[0].article_id == "a"


# --- faithful text ----------------------------------------------------------------------


def test_code_blocks_keep_their_lines_and_stay_one_piece(tmp_path: Path) -> None:
    code = (
        "# Discard changes\n$ git checkout -- path/to/file.py\n\n# Discard ALL\n$ git checkout -- ."
    )
    write(
        tmp_path / "c",
        "git.md",
        f"# Git\n\nTo throw away local edits to a tracked file, check it out again.\n\n"
        f"```bash\n{code}\n```\n\nUse `git status` first.\n",
    )
    article = only_article(tmp_path / "c")
    [block] = [p for p in article.paragraphs if p.kind == CODE]
    assert article.text[block.start : block.end] == f"```bash\n{code}\n```"
    assert "Use `git status` first." in paragraphs(article)
    answer = engine_for(tmp_path / "c", tmp_path).answer(
        "How do I discard changes to a file in git?"
    )
    excerpt = answer.results[0].excerpt
    assert "# Discard changes\n$ git checkout -- path/to/file.py\n" in excerpt
    assert excerpt.strip("…") in article.text


def test_site_generator_markup_and_raw_html_do_not_leak(tmp_path: Path) -> None:
    write(
        tmp_path / "c",
        "page.md",
        "# Page\n\nPosts go dormant after a while.\n{: .notification .is-warning }\n\n"
        "{% include banner.html %}\n\n<!-- an editor's note -->\n\n"
        "![Channel dormant message](dormant.png)\nYou'll see a message when it happens.\n\n"
        "Read [the staff guide](https://example.org/staff) for {{ site.name }} details. "
        "Write `{{ name }}` in a template.\n\n"
        '<div class="box">\nText inside a box.\n</div>\n',
    )
    texts = paragraphs(only_article(tmp_path / "c"))
    assert texts == [
        "Posts go dormant after a while.",
        "You'll see a message when it happens.",
        "Read the staff guide for details. Write `{{ name }}` in a template.",
        "Text inside a box.",
    ]


MDX = """---
title: Webhooks
---
import { Card } from '@/components/card'
export const meta = {
  a: 1
}

# Webhooks

<Note>
  Webhooks need the **Manage Webhooks** permission.
</Note>

<Accordion title="Rate limits">
    Each webhook can send five requests per second.

    ```js
    const x = 1;

    send(x);
    ```
</Accordion>

<CardGroup cols={2}>
  <Card
    title="Delete"
    href="/delete"
  >
    Delete a webhook from the channel settings.
  </Card>
</CardGroup>

<Snippet file="x.mdx" />
<a id="run"></a>
## Execute

<Tip>Use `wait=true` to get the message back.</Tip>
"""


def test_mdx_component_text_is_kept_and_its_markup_dropped(tmp_path: Path) -> None:
    write(tmp_path / "c", "webhooks.mdx", MDX)
    article = only_article(tmp_path / "c")
    assert article.title == "Webhooks"
    assert paragraphs(article) == [
        "Webhooks need the Manage Webhooks permission.",
        "Rate limits",
        "Each webhook can send five requests per second.",
        "```js\nconst x = 1;\n\nsend(x);\n```",
        "Delete",
        "Delete a webhook from the channel settings.",
        "Execute",
        "Use `wait=true` to get the message back.",
    ]
    [execute] = [p for p in article.paragraphs if article.text[p.start : p.end] == "Execute"]
    assert article.anchor(execute.number) == "run"  # the anchor line did not swallow it
    # The accordion's title stays with the text under it.
    [holding] = [
        t for t in passage_texts(article, min_words=1, max_words=150) if "Rate limits" in t
    ]
    assert "five requests per second" in holding


def test_tables_become_rows_that_name_their_columns_and_rank_as_text(tmp_path: Path) -> None:
    write(
        tmp_path / "c",
        "api.md",
        "# List messages\n\n| Parameter | Type | Description |\n|---|---|---|\n"
        "| limit | int | How many messages to return, at most 100 |\n"
        "| before | snowflake | Only messages sent before this id |\n",
    )
    write(tmp_path / "c", "other.md", "# Other\n\nMessages are stored for a year.\n")
    article = only_article_of(tmp_path / "c", "api")
    assert paragraphs(article) == [
        "Parameter: limit; Type: int; Description: How many messages to return, at most 100",
        "Parameter: before; Type: snowflake; Description: Only messages sent before this id",
    ]
    answer = engine_for(tmp_path / "c", tmp_path).answer("How many messages can the list return?")
    assert answer.results[0].excerpt.startswith("Parameter: limit")


def only_article_of(folder: Path, article_id: str) -> Article:
    [article] = [a for a in load_corpus(folder).articles if a.article_id == article_id]
    return article


# --- bounded input (issue 14) ---------------------------------------------------------------


def test_a_paragraph_without_sentence_ends_is_cut_into_capped_passages(tmp_path: Path) -> None:
    words = " ".join(f"word{n}" for n in range(3000))
    write(tmp_path / "c", "wall.txt", f"Wall\n\n{words}\n")
    article = only_article(tmp_path / "c")
    passages = split_passages(article, 0, min_words=40, max_words=150)
    assert all(word_count(article.text[p.start : p.end]) <= 150 for p in passages)
    # Cut between words, and nothing lost.
    covered = " ".join(article.text[p.start : p.end] for p in passages).split()
    assert set(covered) == set(words.split())


def test_deep_nesting_keeps_its_text_and_says_so(tmp_path: Path) -> None:
    lists = "".join("  " * depth + f"- item{depth}\n" for depth in range(14))
    quotes = "".join("> " * depth + f"quote{depth}\n\n" for depth in range(1, 60))
    write(tmp_path / "c", "deep.md", f"# Deep\n\n{lists}\n{quotes}")
    warnings: list[str] = []
    article = only_article(tmp_path / "c", warnings)
    words = set(article.text.split())
    assert {f"item{d}" for d in range(14)} <= words
    assert {f"quote{d}" for d in range(1, 60)} <= words
    assert any("deep.md" in w and "nested" in w for w in warnings), warnings


def test_admonitions_and_snippet_includes_leave_their_text_not_their_markers(
    tmp_path: Path,
) -> None:
    write(
        tmp_path / "c",
        "tips.md",
        "# Tips\n\n/// tip | Use the CLI\n\nRun the dev server.\n\n///\n\n"
        "{* ../../docs_src/app.py hl[1] *}\n\n"
        '!!! warning "Careful"\n    Indented warning text.\n\n    ```python\n    x = 1\n    ```\n\n'
        "After the warning.\n",
    )
    assert paragraphs(only_article(tmp_path / "c")) == [
        "Use the CLI",
        "Run the dev server.",
        "Careful",
        "Indented warning text.",
        "```python\nx = 1\n```",
        "After the warning.",
    ]


def test_an_excerpt_shows_whole_lines_of_a_long_code_block(tmp_path: Path) -> None:
    lines = [f"settings.option_{n} = load_value('option_{n}', default={n})" for n in range(20)]
    code = "\n".join(lines)
    write(
        tmp_path / "c",
        "config.md",
        "# Configuration\n\nThe configuration loader reads every option from the settings file "
        f"at start-up, as below.\n\n```python\n{code}\n```\n",
    )
    answer = engine_for(tmp_path / "c", tmp_path).answer(
        "How does the configuration loader read options?"
    )
    excerpt = answer.results[0].excerpt
    assert "```python\n" in excerpt and excerpt.endswith("\n…"), excerpt
    shown = excerpt[excerpt.index("```python\n") + len("```python\n") : -len("\n…")]
    assert shown.split("\n") == lines[: len(shown.split("\n"))]
    assert len(excerpt) <= 400


def test_diagram_code_blocks_are_not_text(tmp_path: Path) -> None:
    # A ```mermaid block is drawn as a picture on the page; its source is no answer.
    (tmp_path / "flow.md").write_text(
        "# Flow\n\nThe client sends a request.\n\n"
        "```mermaid\nsequenceDiagram\n  participant client as Client\n  client->>app: request\n```\n\n"
        "```python\nprint('kept')\n```\n",
        encoding="utf-8",
    )
    article = load_corpus(tmp_path).articles[0]
    assert "sequenceDiagram" not in article.text
    assert "print('kept')" in article.text


def test_an_mdx_tag_whose_attributes_hold_code_over_many_lines_leaks_none_of_it(
    tmp_path: Path,
) -> None:
    # A copy button as sites write it: styles and a click handler with nested braces,
    # arrows, strings and a template literal holding blank lines and ">" characters.
    button = (
        "<button\n"
        '  type="button"\n'
        '  style={{\n    display: "inline-flex",\n    boxShadow: "0 10px 24px rgba(0,0,0,0.2)"\n  }}\n'
        "  onClick={async (event) => {\n"
        "    const prompt = `Set up this environment.\n\nRun: a > b\n\nDone.`;\n"
        "    if (event) { await navigator.clipboard.writeText(prompt); }\n"
        "  }}\n"
        ">\n"
        "  Copy the setup prompt\n"
        "</button>\n"
    )
    write(
        tmp_path / "c",
        "install.mdx",
        f"# Installation\n\nInstall the tool first.\n\n{button}\nThen run the tool.\n",
    )
    text = only_article(tmp_path / "c").text
    for code in ("onClick", "clipboard", "inline-flex", "const prompt", "Run: a > b"):
        assert code not in text
    assert "Install the tool first." in text
    assert "Copy the setup prompt" in text
    assert "Then run the tool." in text


def test_terminal_output_coloured_with_html_shows_its_text_and_other_code_keeps_its_tags(
    tmp_path: Path,
) -> None:
    # FastAPI's docs colour a console session with HTML, which the page draws as colour.
    console = (
        '$ <font color="#4E9A06">uv run fastapi</font> dev\n\n'
        '  <span style="background-color:#009485"><font color="#D3D7CF"> FastAPI </font>'
        "</span>  Starting development server\n"
        '     <b>[</b><font color="#4E9A06">&apos;/home/user/app&apos;</font><b>]</b>\n'
    )
    python = "if a < b and c > d:\n    html = '<b>bold</b>'\n"
    html = '<p>Some <b>bold</b> text &amp; <font color="red">red</font>.</p>\n'
    placeholder = "$ crewai create crew <name>\n$ echo $((a < b)) > out.txt\n"
    write(
        tmp_path / "c",
        "run.md",
        f"# Run\n\nStart the server:\n\n```console\n{console}```\n\n"
        f"Compare them:\n\n```python\n{python}```\n\nMark it up:\n\n```html\n{html}```\n\n"
        f"Make a crew:\n\n```shell\n{placeholder}```\n",
    )
    article = only_article(tmp_path / "c")
    blocks = [article.text[p.start : p.end] for p in article.paragraphs if p.kind == CODE]
    assert blocks[0] == (
        "```console\n$ uv run fastapi dev\n\n   FastAPI   Starting development server\n"
        "     ['/home/user/app']\n```"
    )
    assert blocks[1] == f"```python\n{python.rstrip()}\n```"
    assert blocks[2] == f"```html\n{html.rstrip()}\n```"
    assert blocks[3] == f"```shell\n{placeholder.rstrip()}\n```"


def test_a_shell_session_printing_html_keeps_it_and_only_colouring_goes(tmp_path: Path) -> None:
    # `curl` prints a page: its tags and entities are the output, not the page's colouring.
    curl = (
        "$ curl localhost:8000\n<html><body><b>Hello</b> &amp; welcome</body></html>\n"
        "$ curl localhost:8000/hi\n<b>Hi</b> <i>there</i> &lt;3\n"
    )
    # A coloured session whose program printed HTML: the page escaped it, so it shows.
    coloured = '$ <font color="#4E9A06">curl</font> localhost\n&lt;b&gt;Hello&lt;/b&gt;\n'
    write(
        tmp_path / "c",
        "curl.md",
        f"# Curl\n\nAsk the server:\n\n```console\n{curl}```\n\n"
        f"In colour:\n\n```console\n{coloured}```\n",
    )
    article = only_article(tmp_path / "c")
    blocks = [article.text[p.start : p.end] for p in article.paragraphs if p.kind == CODE]
    assert blocks == [
        f"```console\n{curl.rstrip()}\n```",
        "```console\n$ curl localhost\n<b>Hello</b>\n```",
    ]


def test_nested_blocks_jsx_strings_and_html_wrapped_markdown_leave_only_their_text(
    tmp_path: Path,
) -> None:
    # FastAPI's tabs hold notes, so their markers have four slashes.
    write(
        tmp_path / "c",
        "tabs.md",
        "# Tabs\n\n//// tab | Python 3.10+\n\nUse the annotated form.\n\n////\n\n"
        "//// tab | Python 3.10+ non-Annotated\n\n/// tip\n\nPrefer the annotated one.\n\n///\n\n"
        "////\n",
    )
    # MDX: formatters put `{" "}` between components; `<center>` wraps Markdown.
    write(
        tmp_path / "c",
        "scores.mdx",
        '# Scores\n\nA table of scores follows.\n\n{" "}\n<Card title="Speed">\n  Runs fast.\n</Card>\n\n'
        "<center>**Task scores (higher is better)**</center>\n\n"
        'Write `{" "}` in JSX for a space, and {"text"} for text.\n',
    )
    articles = {a.article_id: a for a in load_corpus(tmp_path / "c").articles}
    # A tab's title labels a variant of the code; the tip's text stays.
    assert paragraphs(articles["tabs"]) == ["Use the annotated form.", "Prefer the annotated one."]
    assert paragraphs(articles["scores"]) == [
        "A table of scores follows.",
        "Speed",
        "Runs fast.",
        "Task scores (higher is better)",
        'Write `{" "}` in JSX for a space, and text for text.',
    ]


def test_an_mdx_line_of_script_or_style_shows_none_of_its_code(tmp_path: Path) -> None:
    # Markdown wrapped in an HTML tag is read (`<center>`), but no reader sees a script.
    write(
        tmp_path / "c",
        "page.mdx",
        "# Page\n\n<style>.banner { color: red }</style>\n\n"
        "<script>window.track('page')</script>\n\nThe banner is red.\n",
    )
    assert paragraphs(only_article(tmp_path / "c")) == ["The banner is red."]


def test_an_html_table_inside_a_markdown_table_reads_as_rows_not_glued_words(
    tmp_path: Path,
) -> None:
    # FastAPI's metadata page nests the fields of `contact` in a cell, as HTML.
    inner = (
        "<details><summary><code>contact</code> fields</summary><table><thead><tr>"
        "<th>Parameter</th><th>Type</th><th>Description</th></tr></thead><tbody>"
        "<tr><td><code>name</code></td><td><code>str</code></td><td>The contact's name.</td></tr>"
        "<tr><td><code>url</code></td><td><code>str</code></td><td>Their <b>home</b> page</td></tr>"
        "</tbody></table></details>"
    )
    write(
        tmp_path / "c",
        "metadata.md",
        "# Metadata\n\n| Parameter | Type | Description |\n|--|--|--|\n"
        f"| `contact` | `dict` | Who to contact. {inner} |\n\n"
        "First line<br>second line.\n",
    )
    assert paragraphs(only_article(tmp_path / "c")) == [
        "Parameter: `contact`; Type: `dict`; Description: Who to contact. `contact` fields: "
        "Parameter: `name`; Type: `str`; Description: The contact's name. "
        "Parameter: `url`; Type: `str`; Description: Their home page.",
        "First line second line.",
    ]


def test_an_inline_html_table_never_closed_loses_no_text_after_it(tmp_path: Path) -> None:
    write(
        tmp_path / "c",
        "limits.md",
        "# Limits\n\nThe quota <table><tr><td>per hour</td> resets at midnight UTC.\n",
    )
    assert paragraphs(only_article(tmp_path / "c")) == [
        "The quota per hour resets at midnight UTC."
    ]


def test_html_list_items_keep_their_bullets_and_numbers(tmp_path: Path) -> None:
    write(
        tmp_path / "c",
        "steps.html",
        "<html><head><title>Releasing</title></head><body><article><h1>Releasing</h1>"
        "<p>To publish a release of the package, follow these steps in order.</p>"
        "<ol><li>Bump the version.</li><li>Tag the commit.<ul><li>Sign the tag.</li></ul></li>"
        "</ol><p>Before that, check two things.</p><ul><li>The changelog.</li>"
        "<li>The tests.</li></ul></article></body></html>",
    )
    assert paragraphs(only_article(tmp_path / "c"))[1:] == [
        "1. Bump the version.",
        "2. Tag the commit.",
        "- Sign the tag.",
        "Before that, check two things.",
        "- The changelog.",
        "- The tests.",
    ]


def test_html_numbered_lists_keep_the_pages_own_numbers(tmp_path: Path) -> None:
    # Steps that go on after a note (start=3), a count-down, a restart at an item's
    # value, and lettered or roman lists are numbered as the browser shows them.
    write(
        tmp_path / "c",
        "steps.html",
        "<html><head><title>Releasing</title></head><body><article><h1>Releasing</h1>"
        "<p>To publish a release of the package, follow these steps in order.</p>"
        "<ol><li>Bump the version.</li><li>Tag the commit.</li></ol>"
        "<p>Wait for the checks to pass before you go on.</p>"
        '<ol start="3"><li>Push the tag.</li><li>Publish the <code>wheel</code>.</li></ol>'
        "<p>The last three, counting down.</p>"
        '<ol reversed><li>Announce it.</li><li value="9">Close the milestone.</li>'
        "<li>Rest.</li></ol><p>Options.</p>"
        '<ol type="a"><li>Sign it.</li><li>Mirror it.</li></ol>'
        '<ol type="I" start="4"><li>Archive it.</li></ol></article></body></html>',
    )
    assert paragraphs(only_article(tmp_path / "c"))[1:] == [
        "1. Bump the version.",
        "2. Tag the commit.",
        "Wait for the checks to pass before you go on.",
        "3. Push the tag.",
        "4. Publish the `wheel`.",
        "The last three, counting down.",
        "3. Announce it.",
        "9. Close the milestone.",
        "8. Rest.",
        "Options.",
        "a. Sign it.",
        "b. Mirror it.",
        "IV. Archive it.",
    ]


def test_markdown_lists_keep_their_numbers_in_markdown_and_in_raw_html(tmp_path: Path) -> None:
    # A list that goes on after a paragraph starts at its own first number; a raw HTML
    # list in a Markdown page reads item by item, with the numbers the page shows.
    write(
        tmp_path / "c",
        "steps.md",
        "# Steps\n\n1. Bump the version.\n2. Tag the commit.\n\n"
        "Wait for the checks to pass.\n\n3. Push the tag.\n\n"
        '<ol start="4"><li>Publish the <b>wheel</b>.<ul><li>Sign it.</li></ul></li>'
        "<li>Announce it.</li></ol>\n<p>Done.</p>\n",
    )
    assert paragraphs(only_article(tmp_path / "c")) == [
        "1. Bump the version.",
        "2. Tag the commit.",
        "Wait for the checks to pass.",
        "3. Push the tag.",
        "4. Publish the wheel.",
        "- Sign it.",
        "5. Announce it.",
        "Done.",
    ]


@pytest.mark.parametrize("callout", ["Info", "Warning", "Danger", "Note", "Tip"])
def test_every_mdx_callout_keeps_its_text_on_one_line_or_many(tmp_path: Path, callout: str) -> None:
    write(
        tmp_path / "c",
        "limits.mdx",
        f"# Limits\n\nSome routes are limited.\n\n<{callout}>\n  Bots may send five messages "
        f"per second.\n\n  Webhooks share the **same** bucket.\n</{callout}>\n\n"
        f"<{callout}>Invites expire after a day.</{callout}>\n",
    )
    assert paragraphs(only_article(tmp_path / "c")) == [
        "Some routes are limited.",
        "Bots may send five messages per second.",
        "Webhooks share the same bucket.",
        "Invites expire after a day.",
    ]


def test_mdx_tabs_and_accordion_groups_are_content_that_answers(tmp_path: Path) -> None:
    write(
        tmp_path / "c",
        "send.mdx",
        "---\ntitle: Sending messages\n---\nimport { Tabs, Tab } from '@/components/tabs'\n\n"
        '# Sending messages\n\n<Tabs>\n  <Tab title="Python">\n'
        "    Call channel.send with the text of the message.\n  </Tab>\n"
        '  <Tab title="JavaScript">\n    Call channel.send and await the promise it returns.\n'
        '  </Tab>\n</Tabs>\n\n<AccordionGroup>\n  <Accordion title="Embeds">\n'
        "    A message holds at most ten embeds.\n  </Accordion>\n</AccordionGroup>\n\n"
        '<Frame>\n  <img src="/send.png" alt="The send button" />\n</Frame>\n',
    )
    article = only_article(tmp_path / "c")
    assert paragraphs(article) == [
        "Python",
        "Call channel.send with the text of the message.",
        "JavaScript",
        "Call channel.send and await the promise it returns.",
        "Embeds",
        "A message holds at most ten embeds.",
    ]
    answer = engine_for(tmp_path / "c", tmp_path).answer("How many embeds can a message hold?")
    assert answer.found
    assert "at most ten embeds" in answer.results[0].excerpt
