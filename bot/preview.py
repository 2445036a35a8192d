"""A picture of an answer as Discord shows it: the real embed payload drawn to a PNG.

`citebot preview "question" --out answer.png` renders the answer with the same code
the bot sends (bot/render), then draws that payload in Discord's dark theme with
Pillow (an optional dependency: `pip install '.[preview]'`). It is a close sketch,
not a screenshot: the markdown Citebot uses (bold, block quotes, links, inline code,
code blocks, escapes) is drawn; the 👍 / 👎 buttons are drawn as ▲ / ▼ when no emoji font is at hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import render
from bot.answer import Answer
from bot.errors import CitebotError

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

    Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

WIDTH = 760
MARGIN = 16
EMBED_PAD = 14
BAR = 4
QUOTE_BAR = 4
QUOTE_INDENT = 14
CODE_PAD = 8
LINE_GAP = 5
BACKGROUND = (49, 51, 56)
EMBED_BACKGROUND = (43, 45, 49)
TEXT = (219, 222, 225)
MUTED = (148, 155, 164)
LINK = (0, 168, 252)
QUOTE = (78, 80, 88)
CODE_BACKGROUND = (30, 31, 34)
BLURPLE = (88, 101, 242)
GREY_BUTTON = (78, 80, 88)
WHITE = (255, 255, 255)

FONT_FOLDERS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/Library/Fonts")
#: The line that opens a code block (its language, if any, is not drawn); "```" closes it.
_FENCE = re.compile(r"```[\w+#.-]*")
_INLINE = re.compile(r"\\(.)|\*\*|`([^`]*)`|\[((?:\\.|[^\]\\])*)\]\(([^)\s]+)\)", re.S)


@dataclass(frozen=True)
class Run:
    """A piece of a line drawn in one style."""

    text: str
    bold: bool = False
    link: bool = False
    code: bool = False


def save_answer_image(answer: Answer, out: Path, *, per_page: int = 3) -> Path:
    """Draw the first page of `answer`, as the bot would send it, into the PNG file `out`."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        raise CitebotError(
            "citebot preview draws with Pillow: pip install '.[preview]' (or pip install Pillow)"
        ) from None
    shown = render.render_answer(answer, page=0, per_page=per_page)
    embed: dict[str, Any] = dict(shown.embeds[0].to_dict())
    buttons = ["More results", "Show passage", "▲", "▼"] if answer.found else ["▲", "▼"]
    fonts = _Fonts.load()
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    body = _embed_lines(embed, fonts, probe)
    height = _height(body, fonts)
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    y = _draw_header(draw, fonts)
    y = _draw_embed(draw, embed, body, fonts, y)
    _draw_buttons(draw, buttons, fonts, y + 8)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, format="PNG", optimize=True)
    return out


class _Fonts:
    """Regular, bold, small and monospace faces: DejaVu when installed, Pillow's own otherwise."""

    def __init__(self, regular: Font, bold: Font, small: Font, mono: Font, fake_bold: bool):
        self.regular, self.bold, self.small, self.mono = regular, bold, small, mono
        self.fake_bold = fake_bold
        self.line = int(_size(regular) * 1.45)

    @classmethod
    def load(cls) -> _Fonts:
        from PIL import ImageFont

        def face(name: str, size: int) -> Font | None:
            for folder in FONT_FOLDERS:
                path = Path(folder) / name
                if path.is_file():
                    return ImageFont.truetype(str(path), size)
            return None

        regular, bold = face("DejaVuSans.ttf", 15), face("DejaVuSans-Bold.ttf", 15)
        small, mono = face("DejaVuSans.ttf", 12), face("DejaVuSansMono.ttf", 14)
        if regular is None or bold is None or small is None or mono is None:
            default = ImageFont.load_default(15)
            return cls(default, default, ImageFont.load_default(12), default, fake_bold=True)
        return cls(regular, bold, small, mono, fake_bold=False)

    def of(self, run: Run) -> Font:
        """The face a run is drawn in."""
        if run.code:
            return self.mono
        return self.bold if run.bold else self.regular


def _size(font: Font) -> int:
    return int(getattr(font, "size", 15))


def parse_inline(text: str) -> list[Run]:
    """Discord's inline markdown as Citebot writes it: escapes, **bold**, `code`, [links](url)."""
    runs: list[Run] = []
    bold = False
    position = 0
    for match in _INLINE.finditer(text):
        if match.start() > position:
            runs.append(Run(text[position : match.start()], bold=bold))
        escaped, code, label, _url = match.groups()
        if escaped is not None:
            runs.append(Run(escaped, bold=bold))
        elif match.group(0) == "**":
            bold = not bold
        elif code is not None:
            runs.append(Run(code, code=True))
        else:
            runs.extend(Run(r.text, bold=r.bold or bold, link=True) for r in parse_inline(label))
        position = match.end()
    if position < len(text):
        runs.append(Run(text[position:], bold=bold))
    return [run for run in runs if run.text]


def description_lines(description: str) -> list[tuple[tuple[Run, ...], bool, str]]:
    """An embed description's lines as Discord draws them, before wrapping: each line's
    runs, whether it is quoted, and its kind ("text", or "code" inside a code block,
    whose fences are not drawn and whose text is shown as typed)."""
    lines: list[tuple[tuple[Run, ...], bool, str]] = []
    in_code = False
    for raw in description.split("\n"):
        if raw == "```" if in_code else _FENCE.fullmatch(raw):
            in_code = not in_code
        elif in_code:
            lines.append(((Run(raw, code=True),) if raw else (), False, "code"))
        else:
            quoted = raw.startswith(">")
            text = raw[2:] if raw.startswith("> ") else raw[1:] if quoted else raw
            lines.append((tuple(parse_inline(text)), quoted, "text"))
    return lines


@dataclass(frozen=True)
class _Line:
    runs: tuple[Run, ...]
    quoted: bool
    kind: str = "text"  # "text", "code", "title", "footer", "gap"


def _embed_lines(embed: dict[str, Any], fonts: _Fonts, draw: ImageDraw.ImageDraw) -> list[_Line]:
    """The embed's title, description and footer as lines wrapped to the embed's width."""
    width = WIDTH - 2 * MARGIN - BAR - 2 * EMBED_PAD
    lines: list[_Line] = []
    title = [Run(r.text, bold=True) for r in parse_inline(embed.get("title", ""))]
    lines.extend(_Line(tuple(w), False, "title") for w in _wrap(title, width, fonts, draw))
    lines.append(_Line((), False, "gap"))
    for runs, quoted, kind in description_lines(str(embed.get("description", ""))):
        room = width - (QUOTE_INDENT if quoted else 2 * CODE_PAD if kind == "code" else 0)
        wrapped = _wrap(list(runs), room, fonts, draw) or [[]]
        lines.extend(_Line(tuple(w), quoted, kind) for w in wrapped)
    footer = (embed.get("footer") or {}).get("text")
    if footer:
        lines.append(_Line((), False, "gap"))
        lines.append(_Line((Run(footer),), False, "footer"))
    return lines


def _wrap(runs: list[Run], width: int, fonts: _Fonts, draw: ImageDraw.ImageDraw) -> list[list[Run]]:
    """Runs broken into lines no wider than `width`, at spaces."""
    lines: list[list[Run]] = []
    line: list[Run] = []
    used = 0.0
    for run in runs:
        for word in re.findall(r"\S+\s*|\s+", run.text):
            piece = Run(word, run.bold, run.link, run.code)
            length = draw.textlength(word, font=fonts.of(piece))
            if line and used + draw.textlength(word.rstrip(), font=fonts.of(piece)) > width:
                lines.append(line)
                line, used = [], 0.0
                if not word.strip():
                    continue
            line.append(piece)
            used += length
    if line:
        lines.append(line)
    return lines


def _height(lines: list[_Line], fonts: _Fonts) -> int:
    header = 40
    embed = 2 * EMBED_PAD + sum(_line_height(line, fonts) for line in lines)
    buttons = 8 + 34
    return MARGIN + header + embed + buttons + MARGIN


def _line_height(line: _Line, fonts: _Fonts) -> int:
    if line.kind == "gap":
        return LINE_GAP
    if line.kind == "footer":
        return int(_size(fonts.small) * 1.5)
    return fonts.line


def _draw_header(draw: ImageDraw.ImageDraw, fonts: _Fonts) -> int:
    """The bot's avatar, name and APP tag above its message."""
    top = MARGIN
    draw.ellipse((MARGIN, top, MARGIN + 32, top + 32), fill=BLURPLE)
    draw.text((MARGIN + 16, top + 16), "C", fill=WHITE, font=fonts.bold, anchor="mm")
    name_x = MARGIN + 44
    draw.text((name_x, top + 6), "Citebot", fill=WHITE, font=fonts.bold)
    tag_x = name_x + draw.textlength("Citebot", font=fonts.bold) + 8
    draw.rounded_rectangle((tag_x, top + 7, tag_x + 32, top + 23), radius=3, fill=BLURPLE)
    draw.text((tag_x + 16, top + 15), "APP", fill=WHITE, font=fonts.small, anchor="mm")
    return top + 40


def _draw_embed(
    draw: ImageDraw.ImageDraw, embed: dict[str, Any], lines: list[_Line], fonts: _Fonts, top: int
) -> int:
    """The embed box with its colour bar and its lines; returns where it ends."""
    height = 2 * EMBED_PAD + sum(_line_height(line, fonts) for line in lines)
    left, right = MARGIN, WIDTH - MARGIN
    colour = int(embed.get("color") or 0)
    draw.rounded_rectangle((left, top, right, top + height), radius=4, fill=EMBED_BACKGROUND)
    bar = ((colour >> 16) & 255, (colour >> 8) & 255, colour & 255)
    draw.rounded_rectangle((left, top, left + BAR, top + height), radius=2, fill=bar)
    y = top + EMBED_PAD
    x0 = left + BAR + EMBED_PAD
    for line in lines:
        step = _line_height(line, fonts)
        x = float(x0)
        if line.quoted:
            draw.rectangle((x0, y, x0 + QUOTE_BAR - 1, y + step), fill=QUOTE)
            x += QUOTE_INDENT
        if line.kind == "code":
            draw.rectangle((x0, y, right - EMBED_PAD, y + step), fill=CODE_BACKGROUND)
            x += CODE_PAD
        for run in line.runs:
            x = _draw_run(draw, run, line.kind, fonts, x, y)
        y += step
    return top + height


def _draw_run(
    draw: ImageDraw.ImageDraw, run: Run, kind: str, fonts: _Fonts, x: float, y: int
) -> float:
    """One run at (x, y); returns where the next one starts."""
    font = fonts.small if kind == "footer" else fonts.of(run)
    colour = MUTED if kind == "footer" else LINK if run.link else WHITE if run.bold else TEXT
    width = draw.textlength(run.text, font=font)
    if run.code and kind != "code":  # a code span; a code block's box is drawn whole
        draw.rounded_rectangle(
            (x - 1, y + 1, x + width + 1, y + fonts.line - 3), radius=3, fill=CODE_BACKGROUND
        )
    draw.text((x, y + 2), run.text, fill=colour, font=font)
    if run.bold and fonts.fake_bold and kind != "footer":
        draw.text((x + 1, y + 2), run.text, fill=colour, font=font)
    return x + width


def _draw_buttons(draw: ImageDraw.ImageDraw, labels: list[str], fonts: _Fonts, top: int) -> None:
    """The button row under the answer."""
    x = float(MARGIN)
    for label in labels:
        width = draw.textlength(label, font=fonts.regular) + 32
        fill = BLURPLE if label == "More results" else GREY_BUTTON
        draw.rounded_rectangle((x, top, x + width, top + 32), radius=4, fill=fill)
        draw.text((x + width / 2, top + 16), label, fill=WHITE, font=fonts.regular, anchor="mm")
        x += width + 8
