"""Fetching stays within its limits: one deadline, bounded extraction, clear errors, no IPv4 in IPv6."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from support import serve_app

from bot.corpus_edit import ExtractLimits, article_from_page
from bot.errors import CorpusEditError
from bot.fetch import FetchError, address_is_public, check_url, fetch_page

PAGE = "<html><head><title>Zebras</title></head><body><p>Zebras have stripes.</p></body></html>"


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async def hop(request: web.Request) -> web.Response:
        left = int(request.match_info["left"])
        await asyncio.sleep(0.3)
        if left == 0:
            return web.Response(text=PAGE, content_type="text/html")
        raise web.HTTPFound(f"/hop/{left - 1}")

    async def bad_location(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": request.query["to"]})

    async def charset(request: web.Request) -> web.Response:
        return web.Response(
            body=PAGE.encode(),
            headers={"Content-Type": f"text/html; charset={request.query['name']}"},
        )

    app = web.Application()
    app.router.add_get("/hop/{left}", hop)
    app.router.add_get("/bad-location", bad_location)
    app.router.add_get("/charset", charset)
    async with serve_app(app) as base:
        yield base


async def test_one_deadline_covers_every_redirect(site: str) -> None:
    # Each hop answers within the limit (0.3 s of 0.9 s); the four together do not.
    with pytest.raises(FetchError, match="longer than 0.9 s"):
        await fetch_page(f"{site}/hop/3", allow_private=True, timeout=0.9)


async def test_a_short_redirect_chain_within_the_deadline_is_fetched(site: str) -> None:
    page = await fetch_page(f"{site}/hop/1", allow_private=True, timeout=30)
    assert "Zebras have stripes." in page.body


@pytest.mark.parametrize(
    "location", ["http://[::1", "http://a\\b/", "http://example.org:99999999/"]
)
async def test_a_malformed_redirect_is_the_fetchers_own_error(site: str, location: str) -> None:
    with pytest.raises(FetchError, match="redirected to an invalid URL"):
        await fetch_page(f"{site}/bad-location?to={location}", allow_private=True)


@pytest.mark.parametrize("name", ["undefined", "idna", "base64", "no-such-charset"])
async def test_an_unusable_charset_is_read_as_utf8(site: str, name: str) -> None:
    page = await fetch_page(f"{site}/charset?name={name}", allow_private=True)
    assert "Zebras have stripes." in page.body


@pytest.mark.parametrize(
    "url", ["http://example.org:99999999/", "http://[::1/", "http://example.org:-1/"]
)
async def test_a_malformed_url_is_the_fetchers_own_error(url: str) -> None:
    with pytest.raises(FetchError, match="not a valid URL"):
        await fetch_page(url)


@pytest.mark.parametrize(
    "address",
    [
        "::127.0.0.1",  # IPv4-compatible
        "::ffff:0:127.0.0.1",  # IPv4-translated
        "::ffff:0:a9fe:a9fe",  # translated 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 well-known prefix, 127.0.0.1
        "64:ff9b::a00:1",  # NAT64, 10.0.0.1
        "64:ff9b:1::7f00:1",  # local-use NAT64
        "64:ff9b:1:ffff::5db8:d822",  # local-use NAT64, whatever it embeds
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "::ffff:127.0.0.1",  # mapped
    ],
)
def test_ipv4_inside_ipv6_is_judged_in_every_form(address: str) -> None:
    assert address_is_public(address) is False
    with pytest.raises(FetchError, match="refused"):
        check_url(f"http://[{address}]/")


def test_a_public_ipv4_inside_ipv6_stays_public() -> None:
    assert address_is_public("64:ff9b::5db8:d822") is True  # 93.184.216.34 through NAT64


def big_table(rows: int) -> str:
    cells = "".join(
        f"<tr><td>cell {i}</td><td>value {i * 7}</td><td>note {i % 13}</td></tr>"
        for i in range(rows)
    )
    return f"<html><head><title>T</title></head><body><table>{cells}</table></body></html>"


def test_extracting_a_page_is_bounded_in_time() -> None:
    # A 5.7 MB table takes about 12 s to extract; the limit stops it after one.
    with pytest.raises(CorpusEditError, match="took longer than 1 s"):
        article_from_page(
            big_table(90_000), "text/html", "https://example.org/t", limits=ExtractLimits(1.0)
        )


def test_extracting_a_page_is_bounded_in_memory() -> None:
    # A 1.3 MB table loads with the default 512 MB; with 120 MB it is refused, not read.
    html = big_table(20_000)
    with pytest.raises(CorpusEditError, match="memory|could not be read"):
        article_from_page(
            html, "text/html", "https://example.org/t", limits=ExtractLimits(60.0, 120)
        )


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: lots\r\n\r\n<p>x</p>",
        b"HTTP/1.1 20x Fine\r\nContent-Type: text/html\r\n\r\n<p>x</p>",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"\x00\x01 not http at all\r\n\r\n",
    ],
)
async def test_a_malformed_response_is_the_fetchers_own_error(response: bytes) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(response)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(FetchError):
            await fetch_page(f"http://127.0.0.1:{port}/", allow_private=True, timeout=10)
    finally:
        server.close()
        await server.wait_closed()
