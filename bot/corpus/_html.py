"""HTML pages: the main text by trafilatura (navigation and footers left out), with
the page's own heading ids and list numbers, which trafilatura's tree drops."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.corpus._layout import (
    _LEAD_LINE,
    FENCE_INFO,
    _code_span,
    _make_article,
    _table_rows,
    _title_from_path,
)
from bot.corpus._model import CODE, HEADING, LEAD, ROW, TEXT, Article, Block
from bot.errors import SkipFile


def _html_article(raw: str, article_id: str, relative: str, path: Path) -> Article:
    """Main text and metadata by trafilatura, which strips navigation and footers."""
    import trafilatura

    document = trafilatura.bare_extraction(
        raw,
        config=_extraction_config(),
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_formatting=True,
        favor_recall=True,
        # Dates from the page's metadata only: a year in the body is not a publication date.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if document is None:
        raise SkipFile("no main text found in the HTML")
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    body = getattr(document, "body", None)
    if body is not None and len(body):
        page = _page_tree(raw)
        blocks = _html_blocks(body, _heading_ids(page), _list_numbers(page))
    else:
        text = data.get("text") or ""
        blocks = [Block(line) for line in text.splitlines() if line.strip()]
    if not blocks:
        raise SkipFile("no main text found in the HTML")
    title = data.get("title") or _title_from_path(path)
    if len(blocks) > 1 and " ".join(blocks[0].text.split()) == " ".join(title.split()):
        blocks = blocks[1:]  # the page's heading repeats its title
    url = data.get("url")
    if not (isinstance(url, str) and re.match(r"https?://\S+$", url)):
        url = None
    description = data.get("description")
    return _make_article(
        article_id,
        title,
        blocks,
        relative,
        url=url,
        author=data.get("author"),
        date=data.get("date"),
        description=description if isinstance(description, str) else None,
    )


@lru_cache(maxsize=1)
def _extraction_config() -> Any:
    """trafilatura's settings, but a short page's main text is kept: below 250 characters
    it would fall back to the whole page's text (menus in, headings flattened)."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    return config


_PERMALINK = re.compile(r"[\s¶#§🔗]+$")


def _heading_key(text: str) -> str:
    return " ".join(_PERMALINK.sub("", text).split()).casefold()


def _page_tree(raw: str) -> Any | None:
    """The page as lxml reads it, for what trafilatura's cleaned tree leaves out."""
    import lxml.html
    from lxml import etree

    try:
        return lxml.html.document_fromstring(raw)
    except (etree.ParserError, ValueError):
        return None


def _heading_ids(root: Any | None) -> dict[str, str]:
    """Heading text → its id on the page (on the heading, an anchor in it, or its section)."""
    if root is None:
        return {}
    ids: dict[str, str] = {}
    for heading in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        ident = heading.get("id")
        if not ident:
            inner = heading.xpath(".//*[@id or @name]")
            ident = inner[0].get("id") or inner[0].get("name") if inner else None
        parent = heading.getparent()
        if not ident and parent is not None and parent.tag == "section":
            ident = parent.get("id")
        key = _heading_key(heading.text_content())
        if ident and key and key not in ids:
            ids[key] = ident
    return ids


def _list_numbers(root: Any | None) -> dict[tuple[str, ...], list[str]]:
    """The numbers a reader sees on each numbered list of the page, by its items' words:
    trafilatura's tree drops `start`, `reversed`, `type` and `value`."""
    if root is None:
        return {}
    numbers: dict[tuple[str, ...], list[str]] = {}
    for ordered in root.iter("ol"):
        items = [child for child in ordered if child.tag == "li"]
        key = tuple(_item_key(_own_text(item)) for item in items)
        numbers.setdefault(key, _ordered_list_markers(ordered, items))
    return numbers


def _ordered_list_markers(ordered: Any, items: list[Any]) -> list[str]:
    """The markers of an HTML `<ol>`'s items as a browser draws them ("3.", "c.", "iv.")."""
    step = -1 if ordered.get("reversed") is not None else 1
    start = _html_int(ordered.get("start"))
    number = start if start is not None else (len(items) if step < 0 else 1)
    style = (ordered.get("type") or "1").strip()
    markers = []
    for item in items:
        value = _html_int(item.get("value"))
        number = value if value is not None else number
        markers.append(f"{_list_number(number, style)}.")
        number += step
    return markers


def _html_int(value: str | None) -> int | None:
    """An HTML integer attribute, or None when it is missing or not a number."""
    match = re.match(r"\s*([+-]?\d{1,9})", value or "")
    return int(match.group(1)) if match else None


_ROMAN = tuple(
    zip(
        (1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1),
        "m cm d cd c xc l xl x ix v iv i".split(),
        strict=True,
    )
)


def _list_number(number: int, style: str) -> str:
    """`number` in an `<ol type=…>` style: 1, a, A, i or I (decimal where letters can't)."""
    if style in ("a", "A") and number > 0:
        letters = ""
        while number:
            number, rest = divmod(number - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters.upper() if style == "A" else letters
    if style in ("i", "I") and 0 < number < 4000:
        roman = ""
        for value, digits in _ROMAN:
            while number >= value:
                roman, number = roman + digits, number - value
        return roman.upper() if style == "I" else roman
    return str(number)


def _own_text(item: Any) -> str:
    """A list item's text without the lists nested in it."""
    parts = [item.text or ""]
    for child in item:
        if child.tag not in ("ol", "ul") and isinstance(child.tag, str):
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def _item_key(text: str) -> str:
    """Words alone, to match a list item of the page to trafilatura's copy of it."""
    return " ".join(re.findall(r"\w+", text)).casefold()


def _html_blocks(
    body: Any, ids: dict[str, str], numbers: dict[tuple[str, ...], list[str]]
) -> list[Block]:
    """Blocks of trafilatura's cleaned tree: headings, paragraphs, lists, code, tables."""
    blocks: list[Block] = []
    for element in body:
        tag = element.tag
        if tag == "head":
            text = _PERMALINK.sub("", _html_inline(element))
            rend = element.get("rend") or ""
            level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
            blocks.append(Block(text, HEADING, level, ids.get(_heading_key(text))))
        elif tag == "code":
            blocks.append(Block(FENCE_INFO + "\n" + "".join(element.itertext()), CODE))
        elif tag == "list":
            blocks.extend(_html_list(element, numbers))
        elif tag == "table":
            rows = [
                [_html_inline(cell) for cell in row.iter("cell")] for row in element.iter("row")
            ]
            head = [
                _html_inline(cell)
                for row in element.iter("row")
                for cell in row.iter("cell")
                if cell.get("role") == "head"
            ]
            if head and rows and len(rows[0]) == len(head):
                rows = rows[1:]
            blocks.extend(Block(row, ROW) for row in _table_rows(head, rows))
        elif tag != "graphic":
            text = _html_inline(element)
            blocks.append(Block(text, LEAD if _LEAD_LINE.match(text.strip()) else TEXT))
    return blocks


def _html_list(element: Any, numbers: dict[tuple[str, ...], list[str]]) -> list[Block]:
    """One block per list item, with the bullet or number a reader sees (the page's own
    numbering when it has one); nested lists after their item (each item once)."""
    blocks: list[Block] = []
    items = element.findall("item")
    texts = [_html_inline(item) for item in items]
    markers = ["-"] * len(items)
    if element.get("rend") == "ol":
        page = numbers.get(tuple(_item_key(text) for text in texts))
        markers = page or [f"{number}." for number in range(1, len(items) + 1)]
    for item, text, marker in zip(items, texts, markers, strict=True):
        if text:
            blocks.append(Block(f"{marker} {text}"))
        for inner in item.findall("list"):
            blocks.extend(_html_list(inner, numbers))
    return blocks


def _html_inline(element: Any) -> str:
    """An element's text, inline code in backticks (nested lists left to `_html_list`)."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "list":
            pass
        elif child.tag == "code":
            parts.append(_code_span("".join(child.itertext())))
        elif child.tag == "lb":
            parts.append(" ")
        else:
            parts.append(_html_inline(child))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())
