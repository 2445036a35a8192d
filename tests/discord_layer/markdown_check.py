"""Does text the bot sends render as intended? Only its own markup may format anything."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_ESCAPED = re.compile(r"\\.", re.S)
_URL = re.compile(r"https?://\S+")
_LINK = re.compile(r"\[(?:[^\[\]\\]|\\.)*\]\((?:[^()\s]|\([^()\s]*\))*\)")
_CODE = re.compile(r"`[^`\n]+`")
_CODE_BLOCK = re.compile(r"^```[\w+#.-]*\n.*?\n```$", re.S | re.M)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*")
_QUOTE = re.compile(r"^>( |$)", re.M)
MARKERS = "*_~|`"


def stray_markup(text: str) -> list[str]:
    """Markdown markers that could pair up and format text the bot did not mean to format.

    The bot's own markup (bold terms, code, links, block quotes) and escaped
    characters are removed first; what is left must hold at most one of each marker
    (one alone cannot pair), and no line may open a heading or subtext of its own, however
    far it is indented.
    """
    rest = _CODE_BLOCK.sub("", text)
    rest = _ESCAPED.sub("", rest)
    rest = _LINK.sub("", rest)
    rest = _URL.sub("", rest)
    rest = _CODE.sub("", rest)
    rest = _BOLD.sub("", rest)
    rest = _QUOTE.sub("", rest)
    found = [f"{marker!r} x{rest.count(marker)}" for marker in MARKERS if rest.count(marker) > 1]
    found += [
        f"line opens markup: {line!r}"
        for line in rest.split("\n")
        if re.match(r"[ \t]*(?:#|-# )", line)
    ]
    return found


def texts(payload: dict[str, Any]) -> Iterator[str]:
    """Every piece of text a message payload shows (content, embed titles, descriptions...)."""
    if isinstance(payload.get("content"), str):
        yield payload["content"]
    for embed in payload.get("embeds") or []:
        for key in ("title", "description"):
            if embed.get(key):
                yield embed[key]
        if (embed.get("footer") or {}).get("text"):
            yield embed["footer"]["text"]
        for field in embed.get("fields") or []:
            yield field["name"]
            yield field["value"]


def payload_markup_problems(payload: dict[str, Any]) -> list[str]:
    return [f"{problem} in {text!r}" for text in texts(payload) for problem in stray_markup(text)]
