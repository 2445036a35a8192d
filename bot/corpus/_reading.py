"""What the loader takes in, and how bytes become text: the file types it reads, the
size limits of an article and of the library, limited reads, and decoding."""

from __future__ import annotations

import codecs
from pathlib import Path

from bot.errors import SkipFile

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdx"})
TEXT_SUFFIXES = frozenset({".txt"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl"})
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
#: Largest article: a file of one article, or one JSONL line. A JSONL file may be of any size.
MAX_ARTICLE_BYTES = 20 * 1024 * 1024
MAX_FILE_BYTES = MAX_ARTICLE_BYTES  # what an upload may weigh (one file, read whole)
#: Default for the whole library (CITEBOT_MAX_CORPUS_MB): articles past it are skipped.
MAX_CORPUS_BYTES = 4096 * 1024 * 1024


class _Budget:
    """The bytes the whole library may still take in (CITEBOT_MAX_CORPUS_MB)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.spent_at: str | None = None  # where the budget ran out

    def take(self, size: int, where: str) -> bool:
        """Whether an article of `size` bytes still fits; once one does not, none does."""
        if self.spent_at is None and self.used + size > self.limit:
            self.spent_at = where
        if self.spent_at is not None:
            return False
        self.used += size
        return True

    def message(self) -> str:
        return (
            f"the library reached its limit of {self.limit // (1024 * 1024)} MB at "
            f"{self.spent_at} (raise CITEBOT_MAX_CORPUS_MB to load more)"
        )


def read_limited(path: Path, limit: int) -> bytes:
    """The file's bytes, or SkipFile once more than `limit` arrive (a file still growing)."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise SkipFile(f"the file is larger than {limit // (1024 * 1024)} MB")
    return data


#: Byte order marks that name an encoding; UTF-32's come first (FF FE 00 00 starts with UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes) -> str:
    """A file's text: UTF-16 or UTF-32 when a BOM says so, UTF-8 otherwise; SkipFile if not.

    Line ends become "\n" whatever they were ("\r\n", or a bare "\r" from old Mac
    files), and a NUL anywhere marks a binary file.
    """
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8-sig")
    if encoding == "utf-8-sig" and (nul := data.find(b"\0")) >= 0:
        raise SkipFile(f"binary file, not text (a NUL byte at offset {nul})")
    try:
        raw = data.decode(encoding)
    except UnicodeDecodeError as exc:
        shown = "UTF-8" if encoding == "utf-8-sig" else encoding.upper()
        raise SkipFile(f"not {shown} text (bad byte at offset {exc.start})") from None
    if (nul := raw.find("\0")) >= 0:
        raise SkipFile(f"binary file, not text (a NUL character at position {nul})")
    return raw.replace("\r\n", "\n").replace("\r", "\n")
