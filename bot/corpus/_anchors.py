"""Heading anchors: the ids GitHub and Python-Markdown give a heading, so a citation
can link to the section a paragraph stands in."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable


def _plain_heading(text: str) -> str:
    """A heading's text as the slug rules see it: code spans without their backticks."""
    return re.sub(r"`+ ?([^`]*?) ?`+", r"\1", text)


def _github_slug(text: str) -> str:
    """GitHub's heading ids (github-slugger): lower case, punctuation dropped, each
    space a hyphen; letters of every script kept."""
    text = _plain_heading(text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _python_markdown_slug(text: str) -> str:
    """Python-Markdown's toc ids (markdown.extensions.toc.slugify): ASCII only, runs
    of spaces and hyphens become one hyphen."""
    text = unicodedata.normalize("NFKD", _plain_heading(text))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


_SLUGIFIERS: dict[str, Callable[[str], str]] = {
    "github": _github_slug,
    "python-markdown": _python_markdown_slug,
}
ANCHOR_STYLES = tuple(_SLUGIFIERS)
