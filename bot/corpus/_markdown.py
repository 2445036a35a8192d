"""Markdown and MDX files: front matter, then the body parsed by markdown-it-py into
blocks (headings with their ids, lists with their markers, tables, code, raw HTML)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.corpus._html import _html_inline, _item_key, _ordered_list_markers, _own_text
from bot.corpus._layout import (
    _CONTROL,
    _LEAD_LINE,
    FENCE_INFO,
    _code_span,
    _make_article,
    _table_rows,
    _title_from_path,
)
from bot.corpus._model import CODE, HEADING, LEAD, ROW, TEXT, Article, Block
from bot.corpus._prepare import _prepare_markdown
from bot.errors import SkipFile


def _markdown_article(
    raw: str,
    article_id: str,
    relative: str,
    path: Path,
    warn: Callable[[str], None] | None = None,
    *,
    mdx: bool = False,
) -> Article:
    meta, body = _front_matter(raw)
    blocks, first_heading = markdown_blocks(body, mdx=mdx, warn=warn, where=relative)
    title = _meta_str(meta, "title") or first_heading or _title_from_path(path)
    if (
        first_heading
        and blocks
        and blocks[0].kind == HEADING
        and blocks[0].level == 1
        and title == first_heading
    ):
        blocks = blocks[1:]  # the H1 is the title, not a paragraph
    return _make_article(
        article_id,
        title,
        blocks,
        relative,
        url=_meta_url(meta),
        author=_meta_str(meta, "author"),
        date=_meta_str(meta, "date"),
        description=_meta_str(meta, "description") or _meta_str(meta, "summary"),
    )


def _front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """YAML front matter via python-frontmatter; malformed front matter skips the file."""
    if not raw.lstrip("\ufeff").startswith("---"):
        return {}, raw
    import yaml
    from frontmatter.default_handlers import YAMLHandler

    handler = YAMLHandler()
    try:
        front, body = handler.split(raw.lstrip("\ufeff"))
    except ValueError:
        raise SkipFile("malformed front matter (no closing '---' line)") from None
    try:
        metadata = handler.load(front)
    except yaml.YAMLError as exc:
        raise SkipFile(f"malformed front matter ({_yaml_problem(exc)})") from None
    if metadata is None:
        return {}, body
    if not isinstance(metadata, dict):
        raise SkipFile("malformed front matter (it must be key: value pairs)")
    return metadata, body


def _yaml_problem(exc: Exception) -> str:
    """What YAML found wrong and on which line of the file, whole words in one line."""
    problem, mark = getattr(exc, "problem", None), getattr(exc, "problem_mark", None)
    if problem and mark is not None:  # the front matter's first line is the file's '---' line
        return f"{problem}, line {mark.line + 1}, column {mark.column + 1}"
    reason = " ".join(str(exc).split())
    return reason if len(reason) <= 120 else reason[:120].rsplit(" ", 1)[0] + "…"


def _meta_str(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = _CONTROL.sub("", str(value).replace("\0", "")).strip()  # YAML can spell "\e"
    return text or None


def _meta_url(meta: dict[str, Any]) -> str | None:
    url = _meta_str(meta, "url")
    if url and re.match(r"https?://\S+$", url):
        return url
    return None


def markdown_paragraphs(body: str) -> tuple[list[str], str | None]:
    """Paragraph texts with Markdown syntax removed, and the first H1 heading if any."""
    blocks, first_heading = markdown_blocks(body)
    return [block.text for block in blocks], first_heading


#: Deeper nesting than markdown-it-py allows is flattened first (its parser stops at the
#: limit and drops the rest without a word; the limit keeps its recursion off the stack limit).
MAX_NESTING = 40


def markdown_blocks(
    body: str,
    *,
    mdx: bool = False,
    warn: Callable[[str], None] | None = None,
    where: str = "",
) -> tuple[list[Block], str | None]:
    """The blocks of a Markdown (or MDX) body, and its first H1 heading if any.

    markdown-it-py (CommonMark, with tables) parses the syntax so that emphasis, links,
    code, lists and tables are read the way a Markdown viewer reads them. Before that,
    markup that only a site generator understands is taken out of the way (see
    `_prepare_markdown`), so the text it wraps is read as text.
    """
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable("table")
    if mdx:
        parser.disable("code")  # MDX has no indented code blocks
    prepared = _prepare_markdown(body, mdx=mdx)
    tokens = parser.parse(prepared)
    if tokens and max(t.level for t in tokens) >= MAX_NESTING - 1:
        if warn is not None:
            warn(
                f"{where}: lists or quotes nested deeper than Markdown readers go; "
                "read flattened so no text is lost"
            )
        prepared = "\n".join(_NESTING.sub("", line) for line in prepared.split("\n"))
        tokens = parser.parse(prepared)
    return _blocks_from_tokens(tokens)


_NESTING = re.compile(r"^[\s>]+")


def _blocks_from_tokens(tokens: list[Any]) -> tuple[list[Block], str | None]:
    reader = _TokenReader(tokens)
    for position, token in enumerate(tokens):
        handle = reader.handlers.get(token.type)
        if handle is not None:
            handle(token, position)
    return reader.blocks, reader.first_heading


class _TokenReader:
    """Blocks from markdown-it tokens: one small handler per token type."""

    def __init__(self, tokens: list[Any]) -> None:
        self.tokens = tokens
        self.blocks: list[Block] = []
        self.first_heading: str | None = None
        self.heading_level = 0
        self.pending_anchor: str | None = None  # an id seen alone, for the next heading
        self.table: list[list[str]] | None = None
        self.header: list[str] = []
        self.lists: list[list[int] | None] = []  # per open list: [next number], None: bullets
        self.item_marker = ""  # "- " or "2. ": for the first paragraph of a list item
        self.handlers: dict[str, Callable[[Any, int], None]] = {
            "bullet_list_open": self.list_open,
            "ordered_list_open": self.list_open,
            "bullet_list_close": self.list_close,
            "ordered_list_close": self.list_close,
            "list_item_open": self.item_open,
            "list_item_close": self.item_close,
            "heading_open": self.heading_open,
            "heading_close": self.heading_close,
            "table_open": self.table_open,
            "tr_open": self.row_open,
            "thead_close": self.head_close,
            "table_close": self.table_close,
            "inline": self.inline,
            "fence": self.code,
            "code_block": self.code,
            "html_block": self.html,
        }

    def list_open(self, token: Any, position: int) -> None:
        """A list starts: bulleted, or numbered from its first number."""
        if token.type == "ordered_list_open":
            # markdown-it records "start" only when it is not 1; a list may start at 0.
            self.lists.append([int(token.attrs.get("start", 1))])
        else:
            self.lists.append(None)

    def list_close(self, token: Any, position: int) -> None:
        """A list ends."""
        if self.lists:
            self.lists.pop()

    def item_close(self, token: Any, position: int) -> None:
        """A list item ends: a marker it never showed (an empty item, an image alone)
        must not land on the paragraph after the list."""
        self.item_marker = ""

    def item_open(self, token: Any, position: int) -> None:
        """A list item starts: its first paragraph shows the bullet or number a reader sees."""
        counter = self.lists[-1] if self.lists else None
        if counter is None:
            self.item_marker = "- "
        else:
            self.item_marker = f"{counter[0]}{token.markup or '.'} "
            counter[0] += 1

    def heading_open(self, token: Any, position: int) -> None:
        """A heading starts: its text is the next inline token."""
        self.heading_level = int(token.tag[1])
        self.item_marker = ""

    def heading_close(self, token: Any, position: int) -> None:
        """A heading ends."""
        self.heading_level = 0

    def table_open(self, token: Any, position: int) -> None:
        """A table starts: rows of cells are collected until it ends."""
        self.table, self.header = [], []
        self.item_marker = ""

    def row_open(self, token: Any, position: int) -> None:
        """A table row starts."""
        if self.table is not None:
            self.table.append([])

    def head_close(self, token: Any, position: int) -> None:
        """The header row is the column names."""
        if self.table:
            self.header = self.table.pop()

    def table_close(self, token: Any, position: int) -> None:
        """A table ends: one block per row, each cell with its column name."""
        if self.table is not None:
            self.blocks.extend(Block(row, ROW) for row in _table_rows(self.header, self.table))
            self.table = None

    def inline(self, token: Any, position: int) -> None:
        """The text of a table cell, a heading or a paragraph."""
        text = _inline_text(token.children or [])
        if self.table is not None:
            if self.table:
                self.table[-1].append(" ".join(text.split()))
        elif self.heading_level:
            self.heading(text)
        elif text.strip():
            kind = _paragraph_kind(text, self.tokens, position)
            self.blocks.append(Block(self.item_marker + text.lstrip(), kind))
            self.item_marker = ""
        else:
            self.pending_anchor = _inline_anchor(token.children or []) or self.pending_anchor

    def heading(self, text: str) -> None:
        """A heading block, with its explicit id or the anchor just before it."""
        text, anchor = _heading_anchor(text)
        anchor = anchor or self.pending_anchor
        self.pending_anchor = None
        if text.strip():
            self.blocks.append(Block(text, HEADING, self.heading_level, anchor))
            if self.heading_level == 1 and self.first_heading is None:
                self.first_heading = " ".join(text.split())

    def code(self, token: Any, position: int) -> None:
        """A code block, with its language when it names one."""
        info = (token.info or "").split()
        language = info[0] if info and re.fullmatch(r"[\w+#.-]+", info[0]) else ""
        self.item_marker = ""
        if token.content.strip() and language.casefold() not in DIAGRAM_LANGUAGES:
            content = token.content
            if language.casefold() in TERMINAL_LANGUAGES:
                content = terminal_text(content)
            self.blocks.append(Block(f"{FENCE_INFO}{language}\n{content}", CODE))

    def html(self, token: Any, position: int) -> None:
        """Raw HTML: its visible text, or the id of an anchor for the next heading."""
        self.item_marker = ""
        texts, anchor = _html_block_text(token.content)
        if texts:
            self.blocks.extend(Block(text) for text in texts)
        elif anchor:
            self.pending_anchor = anchor


#: Code blocks that a documentation site draws as a picture: no reader sees their text.
DIAGRAM_LANGUAGES = frozenset({"mermaid", "plantuml", "dot", "graphviz", "d2"})

#: Code blocks of a terminal session. Documentation sites colour their output with HTML
#: (FastAPI's `<font color="#4E9A06">uv run fastapi</font>`, drawn by termynal), so
#: the reader sees the text, not the tags.
TERMINAL_LANGUAGES = frozenset(
    {"console", "shell", "sh", "bash", "zsh", "fish", "shell-session", "shellsession",
     "sh-session", "terminal", "powershell", "pwsh", "ps1", "doscon", "bat", "cmd"}
)  # fmt: skip
#: HTML's inline presentation tags: what colours or styles a terminal's output on a page.
#: Other names in angle brackets are a command's placeholders (`crewai create <name>`).
_STYLE_TAGS = r"font|span|b|i|u|em|strong|small|big|s|strike|mark|kbd|samp|code|tt|sub|sup|a"
_STYLE_TAG = re.compile(rf"</?(?:{_STYLE_TAGS})(?:\s[^<>]*)?>|<br\s*/?>", re.I)
#: What a page's colouring of a terminal writes: `<font color=…>`, `<span style=…>`.
_COLOURING = re.compile(r"<(?:font|span)\s[^<>]*\b(?:color|style)\s*=", re.I)
_ANY_TAG = re.compile(r"</?([A-Za-z][\w-]*)(?:\s[^<>]*)?/?>")
_STYLE_NAMES = frozenset(_STYLE_TAGS.split("|")) | {"br"}


def terminal_text(code: str) -> str:
    """A terminal block as a reader sees it: when a page colours it with HTML (`<font
    color=…>`, `<span style=…>`, and no tags but style tags), the style tags (`<b>`,
    `<u>` too) go and entities (`&apos;`) are decoded. Otherwise it is left as it is:
    `echo $((a < b))`, `create <name>`, and the page that `curl` prints, `<b>` and
    `&amp;` included."""
    if not _COLOURING.search(code) or any(
        tag.group(1).lower() not in _STYLE_NAMES for tag in _ANY_TAG.finditer(code)
    ):
        return code
    import html

    return html.unescape(_STYLE_TAG.sub("", code))


def _inline_anchor(children: list[Any]) -> str | None:
    """The id of a text-less inline anchor such as `<a id="setup"></a>`."""
    for child in children:
        if child.type == "html_inline":
            match = re.search(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""", child.content)
            if match:
                return match.group(1)
    return None


def _paragraph_kind(text: str, tokens: list[Any], position: int) -> str:
    """A question line ("Q: …") or a short paragraph all in bold (a question, an
    accordion's title) leads into the text that answers it."""
    stripped = text.strip()
    if _LEAD_LINE.match(stripped):
        return LEAD
    children = [c for c in tokens[position].children or [] if c.type != "text" or c.content]
    if (
        (stripped.endswith("?") or len(stripped.split()) <= 12)
        and len(stripped.split()) <= 25
        and children
        and children[0].type == "strong_open"
        and children[-1].type == "strong_close"
    ):
        return LEAD
    return TEXT


_HEADING_ID = re.compile(r"\s*\{:?\s*#([\w:.-]+)[^{}]*\}\s*$")


def _heading_anchor(text: str) -> tuple[str, str | None]:
    """A heading's text and its explicit id (`## Setup {#setup}`), if it has one."""
    match = _HEADING_ID.search(text)
    if match is None:
        return text, None
    return text[: match.start()], match.group(1)


#: Site-generator markup that no reader sees: kramdown attribute lists (`{: .note }`),
#: Liquid/Jinja tags (`{% … %}`, `{{ … }}`) and MDX comments (`{/* … */}`).
_GENERATOR_MARKUP = re.compile(
    r"\{:[^{}\n]*\}|\{%.*?%\}|\{\{.*?\}\}|\{/\*.*?\*/\}|\{\*.*?\*\}|\{!.*?!\}", re.S
)


def _inline_text(children: list[Any], *, tables: bool = True) -> str:
    parts: list[str] = []
    table_from: int | None = None  # where an inline <table> being read opened
    for position, child in enumerate(children):
        if table_from is not None:
            if child.type == "html_inline" and _TABLE_END.match(child.content):
                table = children[table_from : position + 1]
                parts.append(_html_table_text("".join(map(_inline_html, table))))
                table_from = None
        elif child.type == "text":
            parts.append(_GENERATOR_MARKUP.sub("", child.content))
        elif child.type == "code_inline":
            parts.append(_code_span(child.content))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif tables and child.type == "html_inline" and _TABLE_START.match(child.content):
            table_from = position
        elif child.type == "html_inline":
            parts.append(_tag_text(child.content))
        # Images (their alt text is not read on the page), other raw HTML and link targets
        # are left out; link text is a text token and stays.
    if table_from is not None:
        # A <table> never closed: what follows it is read as text, not lost in the table.
        parts.append(_inline_text(children[table_from:], tables=False))
    return "".join(parts)


_TABLE_START = re.compile(r"<table\b", re.I)
_TABLE_END = re.compile(r"</table\s*>", re.I)
_SUMMARY_END = re.compile(r"</summary\s*>", re.I)
_CODE_TAG = re.compile(r"</?code\s*>", re.I)
_BREAKING_TAG = re.compile(r"</?(?:br|p|div|li|ul|ol|dl|dt|dd|tr|td|th|details|h[1-6]|hr)\b", re.I)


def _tag_text(tag: str) -> str:
    """What an inline HTML tag shows in the text around it."""
    if _CODE_TAG.fullmatch(tag.strip()):
        return "`"  # <code>x</code> reads as `x`
    if _SUMMARY_END.match(tag):
        return ": "
    if _BREAKING_TAG.match(tag):
        return " "  # cells and lines do not run into each other
    return ""


def _inline_html(child: Any) -> str:
    """An inline token as HTML, to read an HTML table written inside Markdown."""
    import html

    if child.type == "html_inline":
        return str(child.content)
    if child.type == "text":
        return html.escape(child.content)
    if child.type == "code_inline":
        return f"<code>{html.escape(child.content)}</code>"
    return " " if child.type in ("softbreak", "hardbreak") else ""


def _html_table_text(markup: str) -> str:
    """An HTML table inside a paragraph or a cell: its rows as `_table_rows` reads them."""
    import lxml.html
    from lxml import etree

    try:
        fragment = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    rows = [
        [_html_inline(cell) for cell in row if cell.tag in ("td", "th")]
        for row in fragment.iter("tr")
    ]
    header: list[str] = []
    if rows and all(cell.tag == "th" for cell in next(fragment.iter("tr"))):
        header = rows.pop(0)
    read = _table_rows(header, rows)
    return " ".join(row if row.endswith((".", "!", "?")) else row + "." for row in read)


#: Where a raw HTML block breaks into paragraphs (a list item, the text after a list).
_ITEM_BREAK = "\u2029"


def _html_block_text(html: str) -> tuple[list[str], str | None]:
    """The paragraphs a reader sees in a raw HTML block (comments, scripts and tags left
    out; a list item apart, with its marker), and the id of a text-less anchor such as
    `<a id="setup"></a>`."""
    import lxml.html
    from lxml import etree

    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return [], None
    for element in list(fragment.iter(etree.Comment, "script", "style", "template")):
        if element.getparent() is not None:
            element.drop_tree()
    for listing in list(fragment.iter("ol", "ul")):
        items = [child for child in listing if child.tag == "li"]
        markers = (
            _ordered_list_markers(listing, items) if listing.tag == "ol" else ["-"] * len(items)
        )
        for item, marker in zip(items, markers, strict=True):
            shown = f"{marker} " if _item_key(_own_text(item)) else ""
            item.text = f"{_ITEM_BREAK}{shown}{item.text or ''}"
        listing.tail = _ITEM_BREAK + (listing.tail or "")
    texts = [
        _GENERATOR_MARKUP.sub("", " ".join(piece.split())).strip()
        for piece in fragment.text_content().split(_ITEM_BREAK)
    ]
    texts = [text for text in texts if text]
    anchor = None
    if not texts:
        for element in fragment.iter():
            ident = element.get("id") or element.get("name")
            if ident:
                anchor = ident
                break
    return texts, anchor
