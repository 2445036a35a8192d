"""Discord's limits and the text helpers every renderer shares: escape, cut, count, link."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote as url_quote

import discord

from bot.citation import Code, code_parts, outside_code

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
FIELDS_LIMIT = 25
EMBED_TOTAL_LIMIT = 6000
EMBEDS_LIMIT = 10

FOUND_COLOUR = discord.Colour.blurple()
NOT_FOUND_COLOUR = discord.Colour.orange()
INFO_COLOUR = discord.Colour.dark_teal()

ELLIPSIS = "…"


@dataclass(frozen=True)
class Rendered:
    """What to send: message content (may be None) and embeds."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)


def escape(text: str) -> str:
    """Article text shown as it is: every Discord markdown character escaped."""
    return _MARKUP.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    if match["url"] is not None:
        return match["url"]  # left as written, so that Discord still links it
    if match["lead"] is not None:
        return match["indent"] + "\\" + match["lead"]
    return "\\" + match["mark"]


#: What Discord reads as markup in message text, as `discord.utils.escape_markdown` lists it
#: (and, like it, URLs left alone so they stay links), with three differences:
#: - every "[" is escaped: its pattern for a masked link, "[…](…)", took the link whole and
#:   left the backslashes and emphasis inside unescaped, so "[\](:)" lost its backslash;
#: - a line's heading ("#" to "###", and "-#" subtext), quote (">", ">>>") or list item ("-")
#:   marker is escaped after any spaces or tabs that indent it, as Discord reads them too:
#:   its `^\s*-` ran over a blank line before the item and put the "\" on that line instead,
#:   and its heading and quote markers were only escaped at the line's very start;
#: - the "<" of what Discord shows as a mention, channel, emoji, command or timestamp
#:   ("<@123>", "<#9>", "<:e:1>", "</ask:1>", "<t:1700000000>") is escaped: an article's text
#:   is shown as written, never as someone's name (it would not ping, but would read as one).
_MARKUP = re.compile(
    r"(?P<url><[^: >]+:\/[^ >]+>|(?:https?|steam):\/\/[^\s<]+[^<.,:;\"\'\]\s])"
    r"|^(?P<indent>[ \t]*)(?P<lead>-|#{1,3}|>(?:>>)?(?=\s|$))"
    r"|(?P<mark>[_\\~|*`\[]|<(?=[@#:/]|a:|t:))",
    re.M,
)


#: What could make a title format, link or mention: emphasis, code, quotes, brackets and
#: parentheses of a link, the colon of a URL's scheme, the start of a mention or a heading.
_TITLE_MARKUP = re.compile(r"([\\*_~|`<>\[\]()@#]|:(?=//))")


def escape_title(text: str) -> str:
    """A title shown as plain text, escaped exactly once, even inside a link's text.

    Each character that could start markup is backslash-escaped (Discord, like CommonMark,
    shows an escaped punctuation character as itself), so no title can open a link,
    close the link it sits in, start a URL Discord would link, or form a mention.
    """
    return _TITLE_MARKUP.sub(r"\\\1", text)


def code(text: str) -> str:
    """Text safe inside an inline code span."""
    return text.replace("`", "ˋ")


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def plural(count: int, word: str) -> str:
    """`1 article`, `2,000 articles`."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def fit(text: str, limit: int) -> str:
    """Escaped `text` cut (at a space when possible) so that it fits in `limit`."""
    if len(text) <= limit and len(rendered := escape(text)) <= limit:
        return rendered
    return longest_cut(text, limit, lambda cut: escape(cut) + ELLIPSIS, fallback=ELLIPSIS)


def longest_cut(text: str, limit: int, shaped: Callable[[str], str], *, fallback: str) -> str:
    """The longest `shaped(cut)` that fits in `limit`, `cut` being `text` cut at a space
    when possible; `fallback` when none fits. Cutting the raw text, never the markup,
    keeps escapes and bold markers whole.

    `shaped` never shortens (it escapes, quotes, marks up), so no cut longer than `limit`
    can fit: only that much of a huge passage is ever rendered, not 20 MB 25 times over.
    """
    text = text[: limit + 1]
    low, high, best = 0, len(text), fallback
    while low <= high:
        middle = (low + high) // 2
        candidate = shaped(cut_at_space(text, middle))
        if len(candidate) <= limit:
            best = candidate
            low = middle + 1
        else:
            high = middle - 1
    return best


def fit_article(text: str, limit: int) -> str:
    """Article text as `article_markdown` shows it, cut so that it fits in `limit`."""
    if len(text) <= limit and len(rendered := article_markdown(text, quoted=False)) <= limit:
        return rendered
    return longest_cut(
        text, limit, lambda cut: article_markdown(cut + ELLIPSIS, quoted=False), fallback=ELLIPSIS
    )


def article_markdown(
    text: str,
    highlights: Sequence[tuple[int, int]] = (),
    *,
    bold: Callable[[str, Sequence[tuple[int, int]]], str] | None = None,
    quoted: bool = True,
) -> str:
    """Article text for Discord: prose escaped (and quoted, with `bold` marking the
    highlighted spans), code blocks as code blocks and code spans as code spans,
    shown as they are: never escaped, never bolded inside (`code_parts`, as the CLI).
    """
    code = code_parts(text)
    prose = _Prose(text, code, outside_code(text, highlights, code), bold, quoted)
    out: list[str] = []
    position = 0
    for block in code:
        if not block.block:
            continue
        if block.start > position:
            out.append(prose.render(position, block.start - 1) + "\n")
        if block.closed:
            out.append(text[block.start : block.end])
        else:  # cut short ("\n…"): closed here, the "…" after it
            out.append(f"{text[block.start : block.end - 2]}\n```\n{ELLIPSIS}")
        position = block.end
        if text.startswith("\n", position):
            out.append("\n")
            position += 1
    if position < len(text) or not out:
        out.append(prose.render(position, len(text)))
    return "".join(out)


@dataclass(frozen=True)
class _Prose:
    """The prose of one text between its code blocks, as `article_markdown` shows it."""

    text: str
    code: list[Code]
    highlights: list[tuple[int, int]]
    bold: Callable[[str, Sequence[tuple[int, int]]], str] | None
    quoted: bool

    def render(self, start: int, end: int) -> str:
        """text[start:end]: escaped, its code spans kept as code, quoted when asked."""
        parts: list[str] = []
        position = start
        for span in self.code:
            if not span.block and start <= span.start and span.end <= end:
                parts.append(self.escaped(position, span.start))
                parts.append(self.text[span.start : span.end])
                position = span.end
        parts.append(self.escaped(position, end))
        rendered = "".join(parts)
        return quote(rendered) if self.quoted else rendered

    def escaped(self, start: int, end: int) -> str:
        piece = self.text[start:end]
        if self.bold is None:
            return escape(piece)
        inside = [
            (max(s, start) - start, min(e, end) - start)
            for s, e in self.highlights
            if s < end and e > start
        ]
        return self.bold(piece, inside)


def cut_at_space(text: str, length: int) -> str:
    """The first `length` characters, ending at a word's end when one is near."""
    if length >= len(text):
        return text
    cut = text[:length]
    space = cut.rfind(" ")
    if space > length * 0.6:
        cut = cut[:space]
    return cut.rstrip()


def quote(text: str) -> str:
    """`text` as a Discord block quote, line by line."""
    lines = text.split("\n")
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def title_of(question: str) -> str:
    """A question as an embed title: one line, escaped, within the title limit."""
    return fit(" ".join(question.split()), TITLE_LIMIT)


def safe_url(url: str | None) -> str | None:
    """An http(s) url that cannot break a markdown link, or None."""
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")) or len(url) > 2000:
        return None
    return url_quote(url, safe=":/?#@!$&'*+,;=%~-._")


def link(title: str, url: str | None) -> str:
    """`[title](url)` with the title escaped, or the escaped title alone without a url."""
    shown = escape_title(truncate(" ".join(title.split()), 200))
    safe = safe_url(url)
    if safe is None:
        return shown
    return f"[{shown}]({safe})"


def elapsed(elapsed_ms: float) -> str:
    """`12 ms`, or `<1 ms` for a search faster than that."""
    return f"{elapsed_ms:.0f} ms" if elapsed_ms >= 1 else "<1 ms"


def seconds(value: float) -> str:
    """`minute`, `30 s`, `1.5 s`: a cooldown window as the help text says it."""
    if value == 60:
        return "minute"
    if value.is_integer():
        return f"{int(value)} s"
    return f"{value:g} s"


def field_lines(lines: Sequence[str]) -> str:
    """As many whole lines as fit in one embed field."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > FIELD_VALUE_LIMIT:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept) or "–"
