"""The answering API every front end uses: a question in, cited verbatim excerpts out.

`Engine.open` loads the corpus and the saved index (building it when the corpus or
the settings changed); `Engine.prepare` builds what questions need besides (the chat
reader, the word tables). `Engine.answer` then only reads shared data (its caches are
thread-safe), so the Discord layer can run several at once in worker threads.

The package's public face is below; the work is in private modules, by job. `_engine`
holds `Engine`, which owns the library's state and caches and runs a question through
its stages: `_question` understands it (its terms, their weights, other forms and
synonyms: `Understanding`), BM25 and the re-ranker score passages, and `_results`
builds the cited excerpts from the best (`Citations`), as the `_types` an answer is
made of (`Answer`, `Result`, `ArticleRef`). `_chained` reads a grown library's parts
as one without copying them.
"""

from __future__ import annotations

from bot.answer._engine import CANDIDATES, FOLLOW_UP_LEAN, Engine
from bot.answer._types import Answer, ArticleRef, Result

__all__ = [
    "CANDIDATES",
    "FOLLOW_UP_LEAN",
    "Answer",
    "ArticleRef",
    "Engine",
    "Result",
]
