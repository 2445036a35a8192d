"""Markup only a site generator reads, taken out of a Markdown or MDX body before it is
parsed: template tags, attribute lists, admonition markers, MDX modules and components."""

from __future__ import annotations

import re

_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})")
#: A line holding nothing but HTML tags or comments: CommonMark would start an HTML block
#: there and swallow the lines after it (a heading, a paragraph) as raw HTML.
_TAGS_ONLY = re.compile(r"^[ \t]*(?:<!--.*?-->|</?[A-Za-z][\w.:-]*(?:\s[^<>]*)?/?>[ \t]*)+$")
_GENERATOR_LINE = re.compile(r"^[ \t]*(?:\{:[^{}]*\}|\{%.*%\}|\{\*.*\*\}|\{!.*!\})[ \t]*$")
#: Admonition markers: `/// note | Title` … `///` (pymdownx blocks; `////` around nested
#: ones, such as tabs holding a note), `:::tip Title` … `:::`
#: (Docusaurus), `!!! note "Title"` with an indented body (Python-Markdown, MkDocs).
_BLOCK_MARKER = re.compile(
    r"^[ \t]*(?:/{3,}|:{3,})[ \t]*(?P<kind>[\w-]+)?[ \t]*(?:\|[ \t]*(?P<title>.*?))?[ \t]*$"
)
_DOCUSAURUS_TITLE = re.compile(r"^[ \t]*:{3,}[ \t]*[\w-]+[ \t]+(?P<title>[^|].*?)[ \t]*$")
_ADMONITION = re.compile(r"^(?:!!!|\?\?\?\+?)[ \t]*[\w-]+(?:[ \t]+\"(?P<title>[^\"]*)\")?[ \t]*$")
_COMPONENT = re.compile(
    r"""<(/?)([A-Z][\w.]*)
    ((?:\s+[^\s=<>/"'{}]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|\{(?:[^{}]|\{[^{}]*\})*\}|[^\s>"'{}]+))?)*)
    \s*(/?)>""",
    re.X | re.S,
)
_TAG_START = re.compile(r"^[ \t]*<([A-Za-z][\w.-]*)(?:\s|$)")
_TITLE_ATTRIBUTE = re.compile(r"""\btitle\s*=\s*(?:"([^"]*)"|'([^']*)'|\{["'`]([^"'`]*)["'`]\})""")
_MODULE_LINE = re.compile(r"^(?:import|export)\s")


def _tag_end(text: str, start: int) -> int | None:
    """Just past the ">" that closes the tag opened at text[start] ("<"), or None.

    A ">" inside an attribute's quotes or inside a `{…}` expression (which may nest
    braces and hold strings and template literals, as JSX event handlers do) does not
    close the tag.
    """
    depth, quote, i = 0, "", start + 1
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'`" and (depth or char != "`"):
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        elif char == ">" and not depth:
            return i + 1
        i += 1
    return None


def _prepare_markdown(body: str, *, mdx: bool) -> str:
    """Take site-generator markup out of the way of the Markdown parser.

    Outside code fences: attribute-list and template-tag lines go; a line of bare HTML
    tags is set apart by blank lines so it cannot swallow its neighbours; admonition
    markers go (their titles stay). In MDX, `import`/`export` statements and
    self-closing components go, component tags (`<Note>`, `<Accordion title="…">`,
    `<Tab>` …) become paragraph breaks (a `title` becomes a paragraph of its own) and
    the content they wrap is un-indented, so it is read as the Markdown it is.
    """
    return _Preparer(body, mdx=mdx).run()


class _Preparer:
    """The line-by-line state of `_prepare_markdown`."""

    def __init__(self, body: str, *, mdx: bool) -> None:
        self.lines = body.replace("\r\n", "\n").split("\n")
        self.mdx = mdx
        self.out: list[str] = []
        self.position = 0
        self.fence: str | None = None
        self.dedent: list[int | None] = []  # content indent per open component (None: unseen)
        self.in_module = False  # inside a multi-line MDX import/export
        self.in_admonition = False  # inside the indented body of a `!!! note` admonition

    def run(self) -> str:
        """The prepared body."""
        while self.position < len(self.lines):
            line = self.unindented(self.lines[self.position])
            self.position += 1
            if self.code(line):
                continue
            if self.mdx:
                line_or_none = self.mdx_line(line)
                if line_or_none is None:
                    continue
                line = line_or_none
            self.markup_line(line)
        return "\n".join(self.out)

    def unindented(self, line: str) -> str:
        """The line without the indentation of the admonition or component around it."""
        if self.in_admonition and line.strip():
            if line.startswith(("    ", "\t")):
                line = line[1:] if line.startswith("\t") else line[4:]
            else:
                self.in_admonition = False
        if self.mdx and self.dedent:
            head = len(line) - len(line.lstrip(" \t"))
            if self.dedent[-1] is None and line.strip():
                self.dedent[-1] = head
            line = line[min(self.dedent[-1] or 0, head) :]
        return line

    def code(self, line: str) -> bool:
        """Keep a code fence's lines as they are; True when the line was one."""
        if self.fence is not None:
            self.out.append(line)
            stripped = line.strip()
            if stripped.startswith(self.fence) and not stripped.strip(self.fence[0]):
                self.fence = None
            return True
        opening = _FENCE_OPEN.match(line)
        if opening:
            self.fence = opening.group(1)
            self.out.append(line)
            return True
        return False

    def mdx_line(self, line: str) -> str | None:
        """An MDX line without its module statements and components (None: nothing left)."""
        if self.in_module:
            self.in_module = bool(line.strip())
            return None
        if _MODULE_LINE.match(line):
            self.in_module = bool(line.strip()) and not line.rstrip().endswith(";")
            return None
        opening = _TAG_START.match(line)
        if opening and _tag_end(line, opening.start(1) - 1) is None:
            line = self.whole_tag(line, opening.start(1) - 1)
            end = _tag_end(line, opening.start(1) - 1)
            if end is not None and (opening.group(1)[0].islower() or not _COMPONENT.search(line)):
                # A tag over several lines whose attributes hold code (styles, handlers):
                # no reader sees them. What follows its ">" is kept.
                line = line[: opening.start(1) - 1] + line[end:]
                if not line.strip():
                    return None
        line = _MDX_COMMENT.sub("", line)
        line = _JSX_STRING.sub(
            lambda m: m.group("code") or m.group("a") or m.group("b") or "", line
        )
        wrapped = _HTML_WRAPPED.match(line)
        if wrapped and wrapped.group("inner").strip() and wrapped.group(1) not in _UNSEEN:
            # `<center>**Scores**</center>`: in MDX, the Markdown inside an HTML tag is read.
            line = wrapped.group("inner")
        rest = _COMPONENT.sub("", line)
        if _COMPONENT.search(line) and not rest.strip():
            self.components(line)
            return None
        return rest

    def whole_tag(self, line: str, start: int) -> str:
        """An opening tag written over several lines, read up to its ">" outside braces,
        quotes and template literals (200 lines at most; otherwise the line as it is)."""
        joined, end = line, self.position
        while _tag_end(joined, start) is None:
            if end >= min(len(self.lines), self.position + 200):
                return line
            joined += "\n" + self.lines[end]
            end += 1
        self.position = end
        return joined

    def components(self, line: str) -> None:
        """A line of component tags: paragraph breaks, titles kept as bold lead lines."""
        self.out.append("")
        for tag in _COMPONENT.finditer(line):
            closing, self_closing = tag.group(1), tag.group(4)
            if self_closing:
                continue
            if closing:
                if self.dedent:
                    self.dedent.pop()
                continue
            title = _TITLE_ATTRIBUTE.search(tag.group(3))
            text = title.group(title.lastindex or 1).strip() if title else ""
            if text:
                self.out.extend([f"**{text}**", ""])
            self.dedent.append(None)
        self.out.append("")

    def markup_line(self, line: str) -> None:
        """A line outside code, without the markup only a site generator reads."""
        if _GENERATOR_LINE.match(line):
            return
        marker = (
            _BLOCK_MARKER.match(line) or _DOCUSAURUS_TITLE.match(line) or _ADMONITION.match(line)
        )
        if marker:
            # The marker goes; a title stays, as a bold line leading into the block. A tab's
            # title ("Python 3.10+") only labels a variant of the code: as a lead line it cut
            # FastAPI's pages into passages apart from the text they belong to.
            lead = (marker.group("title") or "").strip()
            if marker.groupdict().get("kind") == "tab":
                lead = ""
            self.out.extend(["", f"**{lead}**", ""] if lead else [""])
            self.in_admonition = self.in_admonition or line.startswith(("!!!", "???"))
        elif _TAGS_ONLY.match(line):
            self.out.extend(["", line, ""])
        else:
            self.out.append(line)


_MDX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.S)
#: A JSX string expression (`{" "}`, which formatters put between components): its text.
#: Inline code is matched first, so that it is kept as it is.
_JSX_STRING = re.compile(
    r"""(?P<code>`+[^`]*`+)|\{\s*(?:"(?P<a>[^"\\{}]*)"|'(?P<b>[^'\\{}]*)')\s*\}"""
)
#: Elements whose content no reader sees: left for the HTML reader, which drops them.
_UNSEEN = frozenset({"script", "style", "template"})
#: A line of Markdown wrapped in one lowercase HTML element.
_HTML_WRAPPED = re.compile(r"^[ \t]*<([a-z][\w-]*)(?:\s[^<>]*)?>(?P<inner>[^<>]*)</\1>[ \t]*$")
