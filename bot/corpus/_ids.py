"""Article ids: stable across restarts (the path without its extension), unique in a
library (a clash keeps the extension), and the key that tells a repeated text."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Collection

from bot.corpus._model import Article
from bot.corpus._reading import JSONL_SUFFIXES


def text_key(text: str) -> str:
    """What two texts repeating each other share (whitespace aside): one is loaded once."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def unique_ids(articles: list[Article], taken: Collection[str] = ()) -> list[Article]:
    """Articles whose ids collide (`a.md`, `a.txt`) keep their extension in the id.

    An id is the path without its extension while that names one article; when several
    share it, each of them is named by its path with the extension (`a.md`, `a.txt`,
    `batch.jsonl/1`), and a clash left after that (names differing only in case) by a
    number, in the order of their paths, so the same files give the same ids every time.
    `taken`: ids other articles of the library hold already (an update's).
    """
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(article.article_id, []).append(article)
    taken = {article_id for article_id, group in groups.items() if len(group) == 1} | set(taken)
    renamed: dict[int, Article] = {}
    for group in groups.values():
        if len(group) == 1:
            continue
        for article in sorted(group, key=lambda a: (a.source, a.article_id)):
            base = _id_with_extension(article)
            candidate, number = base, 2
            while candidate in taken:
                candidate, number = f"{base}~{number}", number + 1
            taken.add(candidate)
            renamed[id(article)] = dataclasses.replace(article, article_id=candidate)
    return [renamed.get(id(article), article) for article in articles]


def natural_ids(article_id: str, source: str) -> tuple[str, ...]:
    """The id an article loaded as `article_id` from `source` has before `unique_ids`
    (two, when its JSONL record's own id may end as a clash's number does)."""
    file_part, _, line = source.rpartition(":")
    if not (file_part.lower().endswith(tuple(JSONL_SUFFIXES)) and line.isdigit()):
        return (_article_id(source),)
    natural = _article_id(file_part)
    renamed = _article_id(file_part + ".x").removesuffix(".x")
    if article_id.startswith(natural + "/") or not article_id.startswith(renamed + "/"):
        return (article_id,)
    suffix = article_id[len(renamed) + 1 :]
    unnumbered = re.sub(r"~\d+$", "", suffix)
    return tuple(dict.fromkeys((f"{natural}/{unnumbered}", f"{natural}/{suffix}")))


def _id_with_extension(article: Article) -> str:
    file_part, _, line = article.source.rpartition(":")
    if file_part.lower().endswith(tuple(JSONL_SUFFIXES)) and line.isdigit():
        suffix = article.article_id.rsplit("/", 1)[-1]
        return f"{_article_id(file_part + '.x').removesuffix('.x')}/{suffix}"
    return re.sub(r"\s+", "-", article.source.strip().lower())


def _article_id(relative: str) -> str:
    """Stable across restarts: the path without its extension, in lower case."""
    stem = relative.rsplit(".", 1)[0] if "." in relative.rsplit("/", 1)[-1] else relative
    return re.sub(r"\s+", "-", stem.strip().lower())
