"""The URL fetcher against a real aiohttp site on 127.0.0.1, with scripted DNS answers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.abc import ResolveResult
from support import serve_app

from bot.errors import FetchError
from bot.fetch import address_is_public, check_url, fetch_page

ARTICLE_HTML = """<html><head><title>Zebra facts</title></head><body>
<nav>Home | About</nav><article><h1>Zebra facts</h1>
<p>Zebras are African equines with distinctive black and white striped coats.</p>
<p>Each zebra has its own pattern of stripes, as unique as a fingerprint.</p></article>
<footer>Copyright</footer></body></html>"""


def pretend_public(address: str) -> bool:
    """The test server on 127.0.0.1 plays the public internet; every other address is judged for real."""
    return address == "127.0.0.1" or address_is_public(address)


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async def article(request: web.Request) -> web.Response:
        return web.Response(text=ARTICLE_HTML, content_type="text/html")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        chunk = b"<p>" + b"x" * 65536 + b"</p>"
        for _ in range(100):  # 6.5 MB, no Content-Length
            await response.write(chunk)
        await response.write_eof()
        return response

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1.5)  # three times the timeout the test sets
        return web.Response(text=ARTICLE_HTML, content_type="text/html")

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG....", content_type="image/png")

    app = web.Application()
    app.router.add_get("/article", article)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/huge", huge)
    app.router.add_get("/slow", slow)
    app.router.add_get("/image.png", image)
    async with serve_app(app) as base:
        yield base


def scripted_dns(answers: dict[str, list[str]]):
    """A lookup that answers from a table, one answer per call when several are listed."""
    calls: dict[str, int] = {}

    async def lookup(host: str, port: int, family: socket.AddressFamily) -> list[ResolveResult]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        n = calls.get(host, 0)
        calls[host] = n + 1
        address = answers[host][min(n, len(answers[host]) - 1)]
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    return lookup


async def test_page_is_fetched_when_private_addresses_are_allowed_for_tests(site: str) -> None:
    page = await fetch_page(f"{site}/article", allow_private=True)
    assert page.content_type == "text/html"
    assert "striped coats" in page.body


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
async def test_private_and_local_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="refused"):
        await fetch_page(url)


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0xa.0.0.1"])
async def test_old_numeric_forms_of_private_addresses_are_refused(host: str) -> None:
    # inet_aton reads each of these as 127.0.0.1 or 10.0.0.1.
    with pytest.raises(FetchError, match="refused"):
        await fetch_page(f"http://{host}/")


@pytest.mark.parametrize(
    "target", ["http://10.0.0.1/", "http://169.254.169.254/", "http://localhost/x"]
)
async def test_redirect_to_a_private_address_is_refused(site: str, target: str) -> None:
    with pytest.raises(FetchError, match="refused"):
        await fetch_page(f"{site}/redirect?to={target}", is_public=pretend_public)


async def test_name_resolving_to_metadata_service_is_refused(site: str) -> None:
    lookup = scripted_dns({"metadata.example": ["169.254.169.254"]})
    with pytest.raises(FetchError, match="private or local address"):
        await fetch_page("http://metadata.example/", lookup=lookup, is_public=pretend_public)


async def test_dns_answer_that_changes_between_checks_is_refused_at_connect_time(site: str) -> None:
    port = site.rsplit(":", 1)[1]
    # The name first points at the (pretend public) test server, then flips to a private
    # address: every connection checks the answer it connects with, none is trusted from before.
    lookup = scripted_dns({"rebind.example": ["127.0.0.1", "10.0.0.1"]})
    url = f"http://rebind.example:{port}/article"
    page = await fetch_page(url, lookup=lookup, is_public=pretend_public)
    assert "striped coats" in page.body
    with pytest.raises(FetchError, match="private or local address"):
        await fetch_page(url, lookup=lookup, is_public=pretend_public)


async def test_redirect_to_a_name_that_points_inward_is_refused(site: str) -> None:
    lookup = scripted_dns({"inward.example": ["10.0.0.1"]})
    with pytest.raises(FetchError, match="private or local address"):
        await fetch_page(
            f"{site}/redirect?to=http://inward.example/", lookup=lookup, is_public=pretend_public
        )


async def test_oversized_page_is_refused(site: str) -> None:
    with pytest.raises(FetchError, match="larger than 5 MB"):
        await fetch_page(f"{site}/huge", allow_private=True)


async def test_slow_page_is_refused_after_the_timeout(site: str) -> None:
    with pytest.raises(FetchError, match="longer than"):
        await fetch_page(f"{site}/slow", allow_private=True, timeout=0.5)


async def test_non_html_page_is_refused(site: str) -> None:
    with pytest.raises(FetchError, match="only HTML or plain-text"):
        await fetch_page(f"{site}/image.png", allow_private=True)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/file", "only http"),
        ("file:///etc/passwd", "only http"),
        ("not a url", "only http"),
        ("http://user:pw@example.org/", "user name or password"),
    ],
)
def test_bad_urls_get_a_clear_reason(url: str, message: str) -> None:
    with pytest.raises(FetchError, match=message):
        check_url(url)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("fd00:ec2::254", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        ("224.0.0.1", False),
    ],
)
def test_address_guard_tells_public_from_private(address: str, public: bool) -> None:
    assert address_is_public(address) is public


def test_log_form_of_a_url_drops_query_and_fragment() -> None:
    from bot.fetch import without_query

    assert (
        without_query("https://example.org/a/b?token=s3cret&x=1#frag") == "https://example.org/a/b"
    )
