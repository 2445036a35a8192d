"""Fetching a web page for `/citebot add url:` without letting it reach inside the network.

An admin's URL is untrusted input: it could name the cloud metadata service, a
router's admin page or the bot's own machine, directly or through a redirect or a
DNS name that points inward. Every hop is checked: the scheme, a literal address
in the URL, and each address DNS gives for a name — inside the resolver the
connection itself uses, so the address checked is the address connected to.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from bot.errors import FetchError, PageGone

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 15.0
MAX_REDIRECTS = 5
ACCEPTED_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
#: What a sitemap is served as (`/citebot add sitemap:`).
SITEMAP_TYPES = ("application/xml", "text/xml", "text/plain")
USER_AGENT = "Citebot/0.1 (+article fetcher for a Discord community bot)"


@dataclass(frozen=True)
class FetchedPage:
    url: str  # after redirects
    content_type: str
    body: str
    #: The validators a later conditional request sends back (ETag, Last-Modified).
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Validators:
    """What the server said about the copy we hold, for If-None-Match / If-Modified-Since."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """The conditional request headers (none when the server gave no validators)."""
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


#: IPv6 prefixes that carry an IPv4 address in their last 32 bits: IPv4-compatible (::/96,
#: deprecated), IPv4-translated (::ffff:0:0:0/96, SIIT) and the well-known NAT64 prefix.
_IPV4_IN_LAST_32_BITS = tuple(
    ipaddress.ip_network(prefix) for prefix in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96")
)
#: Local-use NAT64 (RFC 8215): the operator picks where the IPv4 sits, so none of it is fetched.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def address_is_public(address: str) -> bool:
    """Only globally routable unicast addresses may be fetched.

    `is_global` excludes private, loopback, link-local (169.254.169.254, the cloud
    metadata service), shared (100.64/10), reserved and documentation ranges. An IPv4
    address inside an IPv6 one, in any of the forms that reach it (mapped ::ffff:a.b.c.d,
    compatible ::a.b.c.d, translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4), is
    judged as the IPv4 it is; local-use NAT64 (64:ff9b:1::/48) is refused outright.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and any(ip in prefix for prefix in _IPV4_IN_LAST_32_BITS):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_is_public(str(embedded))
    return ip.is_global and not ip.is_multicast


AddressCheck = Callable[[str], bool]
Lookup = Callable[[str, int, socket.AddressFamily], Awaitable[list[ResolveResult]]]


class GuardedResolver(ThreadedResolver):
    """Resolves like aiohttp's default, then refuses any name that points inward."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        is_public: AddressCheck = address_is_public,
        lookup: Lookup | None = None,
    ) -> None:
        super().__init__()
        self.allow_private = allow_private
        self.is_public = is_public
        self._lookup = lookup

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve like aiohttp does, then refuse the name if any address is private."""
        try:
            if self._lookup is not None:
                results = await self._lookup(host, port, family)
            else:
                results = await super().resolve(host, port, family)
        except OSError as exc:
            raise FetchError(f"cannot find the server {host} ({exc.strerror or exc})") from None
        if not self.allow_private:
            for result in results:
                if not self.is_public(result["host"]):
                    raise FetchError(
                        f"refused: {host} points to a private or local address ({result['host']})"
                    )
        return results


def check_url(
    raw: str, *, allow_private: bool = False, is_public: AddressCheck = address_is_public
) -> URL:
    """A URL that may be fetched, or a FetchError saying why not."""
    try:
        url = URL(raw.strip())
        url.port  # noqa: B018 - yarl checks the port lazily: out of range raises here
    except (ValueError, TypeError, UnicodeError):
        raise FetchError("that is not a valid URL") from None
    if url.scheme not in ("http", "https"):
        raise FetchError("only http:// and https:// URLs can be added")
    if not url.host:
        raise FetchError("the URL has no host name")
    if not url.host.isprintable() or " " in url.host:  # a NUL or a space: no host has one
        raise FetchError("that is not a valid URL")
    if url.user or url.password:
        raise FetchError("URLs with a user name or password are not accepted")
    host = url.host.strip("[]")
    if not allow_private:
        if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
            raise FetchError(f"refused: {host} is this machine")
        literal = _literal_address(host)
        if literal is not None and not is_public(literal):
            raise FetchError(f"refused: {host} is a private or local address ({literal})")
    return url


def without_query(url: str) -> str:
    """The URL without query string or fragment, fit for a log line."""
    try:
        return str(URL(url).with_query(None).with_fragment(None))
    except (ValueError, TypeError):
        return "(unparseable URL)"


def _literal_address(host: str) -> str | None:
    """The address a host names by itself: IPv6, dotted IPv4, or the old numeric forms
    (2130706433, 0x7f.1, 0177.0.0.1) that inet_aton still reads as IPv4. None for names."""
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None


async def fetch_page(
    raw_url: str,
    *,
    allow_private: bool = False,
    max_bytes: int = MAX_BYTES,
    timeout: float = TIMEOUT_SECONDS,
    is_public: AddressCheck = address_is_public,
    lookup: Lookup | None = None,
    accept: tuple[str, ...] = ACCEPTED_TYPES,
) -> FetchedPage:
    """Fetch an HTML or text page, following at most five redirects, each one checked.

    `is_public` and `lookup` exist for tests, which stand a local server in for the
    internet and script DNS answers; production uses the defaults.
    """
    page = await fetch_if_changed(
        raw_url,
        None,
        allow_private=allow_private,
        max_bytes=max_bytes,
        timeout=timeout,
        is_public=is_public,
        lookup=lookup,
        accept=accept,
    )
    assert page is not None  # an unconditional request is never answered 304
    return page


async def fetch_if_changed(
    raw_url: str,
    validators: Validators | None,
    *,
    allow_private: bool = False,
    max_bytes: int = MAX_BYTES,
    timeout: float = TIMEOUT_SECONDS,
    is_public: AddressCheck = address_is_public,
    lookup: Lookup | None = None,
    accept: tuple[str, ...] = ACCEPTED_TYPES,
) -> FetchedPage | None:
    """`fetch_page` as a conditional request: None when the server answers 304 Not Modified.

    A 404 or 410 raises PageGone (a FetchError), so a refresh can tell "taken down" from
    "could not reach it this time".
    """
    url = check_url(raw_url, allow_private=allow_private, is_public=is_public)
    resolver = GuardedResolver(allow_private=allow_private, is_public=is_public, lookup=lookup)
    connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    headers = {"User-Agent": USER_AGENT, **(validators.headers() if validators else {})}
    try:
        # One deadline for the whole fetch: redirects do not start the clock again.
        async with (
            asyncio.timeout(timeout),
            aiohttp.ClientSession(
                connector=connector, timeout=client_timeout, headers=headers
            ) as session,
        ):
            for _ in range(MAX_REDIRECTS + 1):
                async with session.get(url, allow_redirects=False) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        url = _redirect_target(response, url, allow_private, is_public)
                        continue
                    if response.status == 304 and validators is not None:
                        return None
                    return await _read(response, url, max_bytes, accept)
            raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")
    except FetchError:
        raise
    except (TimeoutError, aiohttp.ClientError, ValueError, UnicodeError, LookupError) as exc:
        raise _as_fetch_error(exc, url, timeout) from None


def _as_fetch_error(exc: Exception, url: URL, timeout: float) -> FetchError:
    """What went wrong with a download, said for the admin."""
    if isinstance(exc, TimeoutError):
        return FetchError(f"the page took longer than {timeout:g} s to download")
    if isinstance(exc, aiohttp.InvalidURL):
        return FetchError(f"cannot fetch {without_query(str(url))}: not a valid URL")
    if isinstance(exc, aiohttp.ClientConnectorError):
        cause = exc.__cause__ or exc.os_error
        if isinstance(cause, FetchError):
            return cause
        return FetchError(f"cannot connect to {url.host} ({exc.os_error.strerror or exc.os_error})")
    if isinstance(exc, aiohttp.ClientError):
        return FetchError(f"the download failed ({type(exc).__name__})")
    return FetchError(f"the server sent a malformed response ({type(exc).__name__})")


def _redirect_target(
    response: aiohttp.ClientResponse, url: URL, allow_private: bool, is_public: AddressCheck
) -> URL:
    """Where a redirect points, checked like the first URL; FetchError when it is unusable."""
    location = response.headers.get("Location")
    if not location:
        raise FetchError(f"the server redirected without saying where (HTTP {response.status})")
    try:
        target = str(url.join(URL(location)))
    except (ValueError, TypeError, UnicodeError):
        raise FetchError("the server redirected to an invalid URL") from None
    try:
        return check_url(target, allow_private=allow_private, is_public=is_public)
    except FetchError as exc:
        if str(exc) == "that is not a valid URL":
            raise FetchError("the server redirected to an invalid URL") from None
        raise


async def _read(
    response: aiohttp.ClientResponse, url: URL, max_bytes: int, accept: tuple[str, ...]
) -> FetchedPage:
    if response.status in (404, 410):
        raise PageGone(response.status)
    if response.status >= 400:
        raise FetchError(f"the server answered HTTP {response.status}")
    content_type = response.content_type or ""
    if content_type not in accept:
        kinds = "XML sitemaps" if accept == SITEMAP_TYPES else "HTML or plain-text pages"
        raise FetchError(f"only {kinds} can be added (this one is {content_type or 'unknown'})")
    if response.content_length is not None and response.content_length > max_bytes:
        raise FetchError(f"the page is larger than {max_bytes // (1024 * 1024)} MB")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"the page is larger than {max_bytes // (1024 * 1024)} MB")
        chunks.append(chunk)
    body = decode_body(b"".join(chunks), response.charset)
    return FetchedPage(
        url=str(url),
        content_type=content_type,
        body=body,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


def decode_body(data: bytes, charset: str | None) -> str:
    """The page's text in its declared charset; UTF-8 when that is unknown or unusable.

    A server names the charset: `undefined`, `idna` or `base64` are codecs Python knows
    that raise instead of decoding, and would otherwise escape as UnicodeError.
    """
    try:
        codec = codecs.lookup(charset or "utf-8")
        if not getattr(codec, "_is_text_encoding", True):
            raise LookupError(codec.name)
        return data.decode(codec.name, errors="replace")
    except (LookupError, UnicodeError, ValueError):
        return data.decode("utf-8", errors="replace")
