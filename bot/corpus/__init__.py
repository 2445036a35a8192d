"""Files → articles → passages.

Every article keeps a cleaned text whose paragraphs are separated by a blank line;
passages are character ranges of that text, so an excerpt is always a verbatim
slice of what the article says and can be cited by paragraph number.

The package's public face is below; the work is in private modules, and data flows
through them one way. `_files` walks a corpus folder (`load_corpus`, `load_files`,
`corpus_signature`), keeping every read inside the corpus and within `_reading`'s
limits (file types, sizes, the library's byte budget, decoding), and hands each
file's bytes to the reader of its type (`parse_articles`): `_markdown` (front matter,
then markdown-it-py's tokens, after `_prepare` has taken site-generator and MDX markup
out of the way; raw HTML in it is read with `_html`'s list helpers), `_html`
(trafilatura), `_plain` or `_jsonl` (a line at a time). Each reader finds blocks, and
`_layout` lays them out as an `Article` of `_model`, whose section anchors follow
`_anchors`' slug rules; `_ids` names articles uniquely. `_passages` then cuts each
article into the `Passage` ranges the index searches (`split_passages`).
"""

from __future__ import annotations

from bot.corpus._files import corpus_signature, load_corpus, load_files, parse_articles
from bot.corpus._ids import natural_ids, text_key, unique_ids
from bot.corpus._markdown import markdown_paragraphs
from bot.corpus._model import (
    CODE,
    HEADING,
    LEAD,
    PASSAGE_COLUMNS,
    ROW,
    SECTION_WEIGHT,
    TEXT,
    Article,
    Corpus,
    Paragraph,
    Passage,
    PassageTable,
    Section,
    article_ranges,
    context_text,
)
from bot.corpus._passages import split_passages
from bot.corpus._reading import MAX_ARTICLE_BYTES, MAX_FILE_BYTES, SUPPORTED_SUFFIXES

__all__ = [
    "CODE",
    "HEADING",
    "LEAD",
    "MAX_ARTICLE_BYTES",
    "MAX_FILE_BYTES",
    "PASSAGE_COLUMNS",
    "ROW",
    "SECTION_WEIGHT",
    "SUPPORTED_SUFFIXES",
    "TEXT",
    "Article",
    "Corpus",
    "Paragraph",
    "Passage",
    "PassageTable",
    "Section",
    "article_ranges",
    "context_text",
    "corpus_signature",
    "load_corpus",
    "load_files",
    "markdown_paragraphs",
    "natural_ids",
    "parse_articles",
    "split_passages",
    "text_key",
    "unique_ids",
]
