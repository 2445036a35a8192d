"""Helpers shared by the tests (and benchmarks): running the real `citebot`, checking Discord's limits."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import discord
import numpy as np
from aiohttp import web

from bot import render
from bot.answer import Answer, Engine, Result
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.live import LiveEngine

REPO = Path(__file__).resolve().parent.parent
#: The articles shipped in `corpus/`: tests copy them before changing anything.
BUNDLED_CORPUS = REPO / "corpus"
#: An article that loads, beside whatever a test puts next to it (the `corpus` fixture's).
GOOD_ARTICLE = "# Good article\n\nThis article loads whatever happens around it."
#: Three short articles in Japanese (written for these tests).
JAPANESE_ARTICLES = {
    "deepseek.md": "# DeepSeekの歴史\n\nDeepSeekは2023年に杭州で設立された人工知能の研究企業で"
    "ある。創業者は梁文鋒で、ヘッジファンドの幻方量化を率いていた人物である。\n\n"
    "同社は大規模言語モデルを開発しており、2024年末に公開したV3モデルの訓練費用は約600万ドル"
    "と報告された。\n",
    "fuji.md": "# 富士山\n\n富士山は静岡県と山梨県にまたがる活火山で、標高は3776メートルである。"
    "日本で最も高い山として知られている。\n\n最後の噴火は1707年の宝永大噴火で、江戸の町にも"
    "灰が降った。\n",
    "sushi.md": "# 寿司\n\n寿司は酢飯と魚介類を組み合わせた日本料理である。\n\n回転寿司は"
    "1958年に大阪で始まり、安い値段で寿司を食べられる店として広まった。\n",
}


def subprocess_env(**extra: str) -> dict[str, str]:
    """This checkout first on the path, and none of the developer's Citebot settings or token."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CITEBOT_") and k != "DISCORD_TOKEN"
    }
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def citebot_command(*args: str) -> list[str]:
    """The command line that runs this checkout's `citebot` with `args`."""
    return [sys.executable, "-m", "bot", *args]


def run_citebot(
    *args: str,
    cwd: Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    check: bool = False,
    **options: object,
) -> subprocess.CompletedProcess[str]:
    """Run the real `citebot` to the end, output as text; `env` adds to `subprocess_env()`."""
    return subprocess.run(
        citebot_command(*args),
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=subprocess_env(**(env or {})),
        timeout=timeout,
        check=check,
        **options,
    )


def embed_problems(content: str | None, embeds: Sequence[discord.Embed]) -> list[str]:
    """Every way `content` and `embeds` break Discord's limits (empty when they fit)."""
    return payload_problems({"content": content, "embeds": [e.to_dict() for e in embeds]})


def payload_problems(payload: dict[str, object]) -> list[str]:
    """Limit violations in a message payload as sent to Discord (dict form)."""
    problems: list[str] = []
    content = payload.get("content")
    if isinstance(content, str) and len(content) > render.CONTENT_LIMIT:
        problems.append(f"content has {len(content)} characters (limit {render.CONTENT_LIMIT})")
    embeds = payload.get("embeds") or []
    assert isinstance(embeds, list)
    if len(embeds) > render.EMBEDS_LIMIT:
        problems.append(f"{len(embeds)} embeds (limit {render.EMBEDS_LIMIT})")
    total = 0
    for number, embed in enumerate(embeds):
        assert isinstance(embed, dict)
        checks = [
            ("title", embed.get("title"), render.TITLE_LIMIT),
            ("description", embed.get("description"), render.DESCRIPTION_LIMIT),
            ("footer", (embed.get("footer") or {}).get("text"), render.FOOTER_LIMIT),
            ("author", (embed.get("author") or {}).get("name"), render.AUTHOR_LIMIT),
        ]
        fields = embed.get("fields") or []
        if len(fields) > render.FIELDS_LIMIT:
            problems.append(
                f"embed {number} has {len(fields)} fields (limit {render.FIELDS_LIMIT})"
            )
        for f in fields:
            checks.append(("field name", f.get("name"), render.FIELD_NAME_LIMIT))
            checks.append(("field value", f.get("value"), render.FIELD_VALUE_LIMIT))
        for what, text, limit in checks:
            if text is None:
                continue
            total += len(text)
            if len(text) > limit:
                problems.append(f"embed {number} {what} has {len(text)} characters (limit {limit})")
    if total > render.EMBED_TOTAL_LIMIT:
        problems.append(f"embeds hold {total} characters in all (limit {render.EMBED_TOTAL_LIMIT})")
    return problems


def zipf_corpus(seed: int, n_docs: int, vocabulary: int = 2000, lo: int = 5, hi: int = 40):
    """Documents whose words follow a Zipf law, like real text (a few very common words)."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, vocabulary + 1) ** 1.1
    weights /= weights.sum()
    lengths = rng.integers(lo, hi + 1, size=n_docs)
    tokens = rng.choice(vocabulary, size=int(lengths.sum()), p=weights)
    docs, at = [], 0
    for length in lengths:
        docs.append([f"t{t}" for t in tokens[at : at + length]])
        at += length
    return docs, weights


def zipf_queries(seed: int, weights: np.ndarray, count: int, lo: int = 1, hi: int = 8):
    rng = np.random.default_rng(seed)
    return [
        [f"t{t}" for t in rng.choice(len(weights), size=int(rng.integers(lo, hi + 1)), p=weights)]
        for _ in range(count)
    ]


async def write_until_seen(
    path: Path, text: str, seen: Callable[[], bool], tries: int = 30
) -> bool:
    """Write a file, and write it again each second, until `seen()` says a watcher saw it.

    A watcher that takes its first look at the folder after the first write counts the file
    as already there; the next write is a change it sees. No test waits on a guessed delay.
    """
    for _ in range(tries):
        path.write_text(text, encoding="utf-8")
        for _ in range(10):
            if seen():
                return True
            await asyncio.sleep(0.1)
    return seen()


#: Every application command Citebot registers, as Discord lists them.
COMMAND_NAMES = frozenset(
    {"ask", "articles", "article", "help", "privacy", "Ask Citebot", "citebot"}
)


@contextlib.asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """A local aiohttp site on a free port of 127.0.0.1, its base URL while it runs."""
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = server._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def serve_handler(
    handle: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> AsyncIterator[str]:
    """A local site answering every GET with `handle`; its base URL while it runs."""
    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    async with serve_app(app) as base:
        yield base


async def watch_until_indexed(live: LiveEngine, path: Path, text: str, article_id: str) -> bool:
    """Run the live engine's watcher until it has indexed `path` (see `write_until_seen`)."""
    stop = asyncio.Event()
    watcher = asyncio.create_task(live.watch(debounce_ms=100, stop=stop))
    try:
        return await write_until_seen(
            path, text, lambda: live.engine.article(article_id) is not None
        )
    finally:
        stop.set()
        await asyncio.wait_for(watcher, 5)


def library_of(folder: Path, files: dict[str, str | bytes]) -> Engine:
    """An engine over a library of just `files` (name -> text), in `folder`: the small and
    one-article libraries whose answers and refusals the tests check."""
    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    for name, text in files.items():
        if isinstance(text, bytes):
            (corpus / name).write_bytes(text)
        else:
            (corpus / name).write_text(text, encoding="utf-8")
    return Engine.open(Settings(corpus_dir=corpus, data_dir=folder / "data"))


def a_result(excerpt: str, *, passage: str | None = None, title: str = "A title") -> Result:
    """A result made by hand, for the front ends' rendering without a library."""
    return Result(
        rank=1,
        score=1.0,
        article_id="a1",
        title=title,
        url=None,
        paragraphs=(1, 1),
        excerpt=excerpt,
        passage=excerpt if passage is None else passage,
        highlights=(),
    )


def an_answer(*results: Result) -> Answer:
    """A found answer made by hand from `results`."""
    return Answer(
        question="what is it?",
        found=True,
        results=results,
        closest=(),
        elapsed_ms=1.0,
        articles_searched=1,
    )
