"""What one refresh round costs per URL article: 304 Not Modified, 200 with the same text,
and a changed page swapped in, against a local aiohttp site (no politeness delay).

    python benchmarks/refresh_bench.py [pages]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import serve_app  # noqa: E402

from bot import corpus_edit, fetch  # noqa: E402
from bot.refresh import Refresher, record_added  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.sources import SourceBook  # noqa: E402
from bot.store import Store  # noqa: E402

PAGE = """<html><head><title>Orchard note {n}</title></head><body><article>
<h1>Orchard note {n}</h1>
<p>Row {n} of the Hollow Lane orchard was planted with russets grafted from the manor.</p>
<p>{news}</p>
<p>Volunteers prune the trees every February and press the windfalls into juice.</p>
</article></body></html>"""


async def main(count: int) -> None:
    """Add `count` pages, then time three rounds over them."""
    state = {"news": "A harvest day in October.", "etag": True}

    async def handle(request: web.Request) -> web.Response:
        etag = f'"{hash(state["news"])}"'
        if state["etag"] and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304)
        body = PAGE.format(n=request.match_info["n"], news=state["news"])
        headers = {"ETag": etag} if state["etag"] else {}
        return web.Response(text=body, content_type="text/html", headers=headers)

    app = web.Application()
    app.router.add_get("/{n}", handle)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "corpus").mkdir()
        settings = Settings(
            corpus_dir=root / "corpus",
            data_dir=root / "data",
            allow_private_urls=True,
            fetch_delay=0,
        )
        store = Store.open(settings.data_dir)
        book = SourceBook(store.database)
        async with serve_app(app) as base:
            for n in range(count):
                url = f"{base}/{n}"
                page = await fetch.fetch_page(url, allow_private=True)
                article = await asyncio.to_thread(
                    corpus_edit.article_from_page, page.body, page.content_type, url
                )
                added = corpus_edit.save_page_article(settings.corpus_dir, article, [])
                record_added(book, settings.corpus_dir, added, page, url)
            refresher = Refresher(settings, book)
            for label, change in [
                ("304 Not Modified", lambda: None),
                ("200, same text (no validators)", lambda: state.update(etag=False)),
                ("200, changed: file replaced", lambda: state.update(news="A blossom walk.")),
            ]:
                change()
                started = time.perf_counter()
                report = await refresher.run_round(due_only=False)
                elapsed = time.perf_counter() - started
                outcomes = {o: report.count(o) for o in ("unchanged", "changed", "error")}
                print(f"{label:32} {elapsed * 1000 / count:7.1f} ms a page  {outcomes}")
        store.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30))
