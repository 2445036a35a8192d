"""A small emulator of Discord's REST API (/api/v10) and gateway, on 127.0.0.1.

It speaks Discord's documented protocol over real sockets, enough for one bot in one
guild and its DMs: the gateway's HELLO, IDENTIFY, READY (user, application, guilds),
GUILD_CREATE, heartbeats and their ACKs, RESUME with replay of missed events,
INTERACTION_CREATE, MESSAGE_CREATE and THREAD_CREATE (a post in the guild's #help forum),
with zlib-stream transport compression; the
REST routes a bot uses to log in, sync commands, acknowledge interactions and send,
follow up and edit messages. Every REST call is recorded with the time it arrived.

Faults a test can inject, each as Discord documents it: a gateway closed with a code
(or dropped without a close frame: 1006), op 7 Reconnect, op 9 Invalid Session,
heartbeats left unacknowledged (a zombied connection), 429s per route or global
(`X-RateLimit-Global`), 5xx answers, and interaction tokens that have expired
(followups get 404 Unknown Webhook, code 10015).

It runs in a thread with its own event loop, so the bot under test (in the test's
loop or in a subprocess) and the emulator never share a loop.
"""

from __future__ import annotations

import asyncio
import fnmatch
import itertools
import json
import secrets
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
#: The user the application info names as the bot's owner (the first user id there is).
APPLICATION_OWNER_ID = 1

# Gateway opcodes (https://discord.com/developers/docs/topics/opcodes-and-status-codes)
DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HELLO, HEARTBEAT_ACK = (
    0,
    1,
    2,
    6,
    7,
    9,
    10,
    11,
)
# Close codes (1006 is never sent: a client reports it when the connection just ends)
ABNORMAL_CLOSURE = 1006
AUTHENTICATION_FAILED = 4004

# Interaction callback types
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT = 8
EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class Request:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any
    at: float  # time.perf_counter() on arrival
    status: int = 200


@dataclass
class Session:
    session_id: str
    user_id: int
    shard: list[int] | None
    sequence: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # every dispatch, for replay
    socket: web.WebSocketResponse | None = None
    compressor: Any = None
    intents: int = 0
    transport: Any = None  # the TCP transport under `socket`, to drop it without a close frame


@dataclass
class InteractionRecord:
    payload: dict[str, Any]
    sent_at: float
    original_id: int | None = None
    loading: bool = False
    ephemeral: bool = False
    acknowledged_at: float | None = None


class DiscordEmulator:
    """One bot, one guild with a #general channel, and as many users as a test makes."""

    def __init__(
        self,
        *,
        token: str = "emulator-token",
        heartbeat_interval_ms: int = 41250,
        guild_shard: tuple[int, int] | None = None,
        max_concurrency: int = 1,
    ):
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        #: IDENTIFYs Discord allows per 5 s (sent in /gateway/bot's session_start_limit).
        self.max_concurrency = max_concurrency
        self._ids = itertools.count(1)
        self.application_id = self.snowflake()
        self.bot_user = self._user_payload(self.application_id, "Citebot", bot=True)
        self.guild_id = self.snowflake()
        if guild_shard is not None:
            # A guild id that Discord's formula, (guild_id >> 22) % shard_count, puts on
            # shard `guild_shard[0]` of `guild_shard[1]`.
            shard, count = guild_shard
            while (self.guild_id >> 22) % count != shard:
                self.guild_id += 1 << 22
        self.channel_id = self.snowflake()
        #: The guild's forum channel, #help; posts in it are threads (`open_forum_post`).
        self.forum_id = self.snowflake()
        self.threads: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> channel id
        self.messages: dict[int, dict[str, Any]] = {}
        self.requests: list[Request] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.sessions: dict[str, Session] = {}
        self.interactions: dict[str, InteractionRecord] = {}  # by token
        self.sent_at: dict[int, float] = {}  # user message id -> when it was dispatched
        self.identifies: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.resumes: list[dict[str, Any]] = []
        self._rate_limits: list[dict[str, Any]] = []
        self._failures: list[dict[str, Any]] = []
        self._global_until = 0.0  # a global rate limit holds every bot request until then
        #: Sockets whose heartbeats go unacknowledged (a zombied connection).
        self._zombies: set[int] = set()
        #: Seconds an interaction token works for followups; None: as long as the test runs.
        self.interaction_token_lifetime: float | None = None
        self.invalidated: list[str] = []  # session ids ended by op 9
        #: False: the bot lacks Read Message History in #general, so it cannot reply there.
        self.can_reply_in_guild = True
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle (any thread) -----------------------------------------------------------

    def start(self) -> DiscordEmulator:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._start_server())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._stop_server())
            loop.close()

        self._thread = threading.Thread(target=serve, name="discord-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the Discord emulator did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run `function` on the emulator's loop and wait for its result."""
        assert self._loop is not None

        async def run() -> Any:
            result = function(*args)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        future: Future[Any] = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return future.result(10)

    async def _start_server(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _stop_server(self) -> None:
        for session in self.sessions.values():
            if session.socket is not None and not session.socket.closed:
                await session.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- the world ---------------------------------------------------------------------------

    def snowflake(self) -> int:
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (now_ms << 22) | (next(self._ids) & 0x3FFFFF)

    def _user_payload(self, user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name,
            "global_name": name,
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }

    def application_owner(self) -> dict[str, Any]:
        """The user `GET /oauth2/applications/@me` names as the application's owner."""
        user = self._user_payload(APPLICATION_OWNER_ID, "owner")
        self.users[APPLICATION_OWNER_ID] = user
        return user

    def create_user(self, name: str, *, bot: bool = False) -> dict[str, Any]:
        user = self._user_payload(self.snowflake(), name, bot=bot)
        self.users[int(user["id"])] = user
        return user

    def _member(self, user: dict[str, Any]) -> dict[str, Any]:
        return {
            "user": user,
            "roles": [],
            "joined_at": _now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str((1 << 53) - 1 & ~(1 << 3)),  # everything but administrator
        }

    def _guild_create(self) -> dict[str, Any]:
        everyone = {
            "id": str(self.guild_id),
            "name": "@everyone",
            # View, Send Messages (and in threads), Embed Links, Read Message History, Use
            # Application Commands: what @everyone has in a new server.
            "permissions": str(
                (1 << 11) | (1 << 14) | (1 << 16) | (1 << 10) | (1 << 31) | (1 << 38)
            ),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        return {
            "id": str(self.guild_id),
            "name": "Emulated Guild",
            "icon": None,
            "owner_id": str(next(iter(self.users), self.application_id)),
            "unavailable": False,
            "member_count": 1 + len(self.users),
            "large": False,
            "joined_at": _now(),
            "features": [],
            "roles": [everyone],
            "emojis": [],
            "stickers": [],
            "members": [self._member(self.bot_user)],
            "channels": [
                {
                    "id": str(self.channel_id),
                    "type": 0,
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "parent_id": None,
                    "guild_id": str(self.guild_id),
                },
                {
                    "id": str(self.forum_id),
                    "type": 15,
                    "name": "help",
                    "position": 1,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "parent_id": None,
                    "guild_id": str(self.guild_id),
                    "topic": None,
                    "rate_limit_per_user": 0,
                    "available_tags": [],
                    "default_reaction_emoji": None,
                    "default_sort_order": None,
                    "default_forum_layout": 0,
                    "flags": 0,
                },
            ],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "system_channel_flags": 0,
        }

    def dm_channel_of(self, user: dict[str, Any]) -> int:
        user_id = int(user["id"])
        if user_id not in self.dm_channels:
            self.dm_channels[user_id] = self.snowflake()
        return self.dm_channels[user_id]

    # --- acting as users (any thread) ------------------------------------------------------

    def send_dm(self, user: dict[str, Any], content: str) -> dict[str, Any]:
        """The user writes to the bot in their DM."""
        return self._call(self._user_message, user, self.dm_channel_of(user), content, False)

    def send_in_guild(self, user: dict[str, Any], content: str) -> dict[str, Any]:
        """The user writes in #general; `<@bot>` in the content mentions the bot."""
        return self._call(self._user_message, user, self.channel_id, content, True)

    def open_forum_post(self, user: dict[str, Any], title: str, content: str) -> dict[str, Any]:
        """The user opens a post in #help: THREAD_CREATE, then its first message (whose id
        is the thread's) as MESSAGE_CREATE, as Discord sends them; returns the thread."""
        return self._call(self._forum_post, user, title, content)

    def slash(
        self,
        user: dict[str, Any],
        name: str,
        *,
        in_dm: bool = False,
        subcommand: str | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """The user runs a synced slash command (`/name subcommand`, when given); returns the
        INTERACTION_CREATE payload."""
        return self._call(self._slash, user, name, in_dm, options, subcommand)

    def click(self, user: dict[str, Any], message_id: int, custom_id: str) -> dict[str, Any]:
        """The user presses the button `custom_id` under the bot's message; returns the
        INTERACTION_CREATE payload."""
        return self._call(self._click, user, message_id, custom_id)

    def drop_gateway(self, code: int = 4000) -> None:
        """Close every gateway connection from the server side (resumable close code).

        1006 is never sent in a close frame: it is what a client sees when the TCP
        connection ends without one, so for 1006 the connection is simply cut.
        """
        self._call(self._drop, code)

    def send_reconnect(self) -> None:
        """Op 7 Reconnect on every connection: the client should reconnect and resume."""
        self._call(self._send_op, RECONNECT, None)

    def invalidate_sessions(self) -> None:
        """Op 9 Invalid Session (d=false): the sessions end; clients must identify again."""
        self._call(self._invalidate)

    def stop_acknowledging_heartbeats(self) -> None:
        """The current connections go zombie: heartbeats arrive but are never acknowledged."""
        self._call(self._zombify)

    def rate_limit(
        self,
        method: str,
        path: str,
        retry_after: float,
        times: int = 1,
        *,
        is_global: bool = False,
    ) -> None:
        """Answer the next `times` calls to `method path` (a glob) with 429 and `retry_after`.

        A global limit (`X-RateLimit-Global: true`) then holds every request the bot
        makes, on any route, until `retry_after` has passed.
        """
        with self._lock:
            self._rate_limits.append(
                {
                    "method": method,
                    "path": path,
                    "retry_after": retry_after,
                    "times": times,
                    "global": is_global,
                }
            )

    def fail(self, method: str, path: str, status: int, times: int = 1) -> None:
        """Answer the next `times` calls to `method path` (a glob) with a server error."""
        with self._lock:
            self._failures.append(
                {"method": method, "path": path, "status": status, "times": times}
            )

    # --- queries (any thread) --------------------------------------------------------------

    def all_requests(self) -> list[Request]:
        with self._lock:
            return list(self.requests)

    def requests_matching(self, method: str, path: str) -> list[Request]:
        with self._lock:
            return [
                r for r in self.requests if r.method == method and fnmatch.fnmatch(r.path, path)
            ]

    def bot_messages_in(self, channel_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [
                m
                for m in self.messages.values()
                if int(m["channel_id"]) == channel_id and m["author"]["id"] == self.bot_user["id"]
            ]

    async def wait_until(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll `check` (from the test's loop) until it returns something truthy."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"emulator: condition not met within {timeout} s")
            await asyncio.sleep(0.005)

    # --- gateway -----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(max_msg_size=0)
        await socket.prepare(request)
        compress = request.query.get("compress") == "zlib-stream"
        compressor = zlib.compressobj() if compress else None
        session: Session | None = None

        async def send(payload: dict[str, Any]) -> None:
            await _send(socket, compressor, payload)

        await send(
            {
                "op": HELLO,
                "d": {"heartbeat_interval": self.heartbeat_interval_ms},
                "s": None,
                "t": None,
            }
        )
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            op, d = data.get("op"), data.get("d")
            if op == HEARTBEAT:
                self.heartbeats += 1
                if id(socket) not in self._zombies:
                    await send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
            elif op == IDENTIFY:
                if d.get("token") != self.token:
                    await socket.close(
                        code=AUTHENTICATION_FAILED, message=b"Authentication failed."
                    )
                    break
                self.identifies.append(d)
                session = Session(
                    session_id=secrets.token_hex(16),
                    user_id=self.application_id,
                    shard=d.get("shard"),
                    socket=socket,
                    compressor=compressor,
                    intents=int(d.get("intents", 0)),
                    transport=request.transport,
                )
                self.sessions[session.session_id] = session
                await self._dispatch_to(
                    session,
                    "READY",
                    {
                        "v": 10,
                        "user": {
                            **self.bot_user,
                            "verified": True,
                            "mfa_enabled": False,
                            "flags": 0,
                        },
                        "guilds": [{"id": str(self.guild_id), "unavailable": True}]
                        if self._receives(session, guild=True)
                        else [],
                        "session_id": session.session_id,
                        "resume_gateway_url": self.gateway_url,
                        **({"shard": session.shard} if session.shard else {}),
                        "application": {"id": str(self.application_id), "flags": 0},
                        "private_channels": [],
                        "relationships": [],
                    },
                )
                if self._receives(session, guild=True):
                    await self._dispatch_to(session, "GUILD_CREATE", self._guild_create())
            elif op == RESUME:
                self.resumes.append(d)
                resumed = self.sessions.get(d.get("session_id"))
                if resumed is None or d.get("token") != self.token:
                    await send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
                    continue
                session = resumed
                session.socket, session.compressor = socket, compressor
                session.transport = request.transport
                missed = [e for e in session.events if e["s"] > (d.get("seq") or 0)]
                for event in missed:
                    await send(event)
                await self._dispatch_to(session, "RESUMED", {})
        if session is not None and session.socket is socket:
            session.socket = None
        return socket

    async def _dispatch_to(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.sequence += 1
        payload = {"op": DISPATCH, "t": event, "s": session.sequence, "d": data}
        session.events.append(payload)
        if session.socket is not None and not session.socket.closed:
            try:
                await _send(session.socket, session.compressor, payload)
            except ConnectionResetError:
                session.socket = None  # delivered on RESUME

    async def _dispatch(self, event: str, data: dict[str, Any]) -> None:
        in_guild = "guild_id" in data or str(data.get("channel_id")) == str(self.channel_id)
        for session in list(self.sessions.values()):
            if self._receives(session, guild=in_guild):
                await self._dispatch_to(session, event, data)

    def _receives(self, session: Session, *, guild: bool) -> bool:
        """Whether Discord sends `session` an event: a sharded session gets its guilds' events
        ((guild_id >> 22) % shard_count) and, on shard 0, direct messages."""
        if not session.shard:
            return True
        shard, count = session.shard
        return (self.guild_id >> 22) % count == shard if guild else shard == 0

    async def _drop(self, code: int) -> None:
        for session in self.sessions.values():
            if session.socket is not None and not session.socket.closed:
                socket, session.socket = session.socket, None
                if code == ABNORMAL_CLOSURE:
                    session.transport.abort()
                else:
                    await socket.close(code=code, message=b"emulated drop")

    async def _send_op(self, op: int, d: Any) -> None:
        for session in self.sessions.values():
            if session.socket is not None and not session.socket.closed:
                await _send(
                    session.socket, session.compressor, {"op": op, "d": d, "s": None, "t": None}
                )

    async def _invalidate(self) -> None:
        for session_id, session in list(self.sessions.items()):
            del self.sessions[session_id]
            self.invalidated.append(session_id)
            if session.socket is not None and not session.socket.closed:
                payload = {"op": INVALID_SESSION, "d": False, "s": None, "t": None}
                await _send(session.socket, session.compressor, payload)

    async def _zombify(self) -> None:
        for session in self.sessions.values():
            if session.socket is not None:
                self._zombies.add(id(session.socket))

    async def _user_message(
        self, user: dict[str, Any], channel_id: int, content: str, in_guild: bool
    ) -> dict[str, Any]:
        mentions = [self.bot_user] if f"<@{self.application_id}>" in content else []
        message = self._message(channel_id, user, content, mentions=mentions)
        data = dict(message)
        if in_guild:
            data["guild_id"] = str(self.guild_id)
            data["member"] = {k: v for k, v in self._member(user).items() if k != "user"}
        self.sent_at[int(message["id"])] = time.perf_counter()
        await self._dispatch("MESSAGE_CREATE", data)
        return message

    async def _forum_post(self, user: dict[str, Any], title: str, content: str) -> dict[str, Any]:
        thread_id = self.snowflake()
        thread = {
            "id": str(thread_id),
            "type": 11,
            "guild_id": str(self.guild_id),
            "parent_id": str(self.forum_id),
            "owner_id": user["id"],
            "name": title,
            "last_message_id": str(thread_id),
            "rate_limit_per_user": 0,
            "message_count": 1,
            "member_count": 1,
            "flags": 0,
            "applied_tags": [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": _now(),
                "locked": False,
                "create_timestamp": _now(),
            },
        }
        with self._lock:
            self.threads[thread_id] = thread
        starter = self._message(thread_id, user, content, message_id=thread_id)
        await self._dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        data = {**starter, "guild_id": str(self.guild_id)}
        data["member"] = {k: v for k, v in self._member(user).items() if k != "user"}
        await self._dispatch("MESSAGE_CREATE", data)
        return thread

    def _message(
        self,
        channel_id: int,
        author: dict[str, Any],
        content: str,
        *,
        message_id: int | None = None,
        embeds: list[Any] | None = None,
        components: list[Any] | None = None,
        mentions: list[Any] | None = None,
        reference: dict[str, Any] | None = None,
        flags: int = 0,
        interaction: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": str(message_id or self.snowflake()),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": mentions or [],
            "mention_roles": [],
            "attachments": [],
            "embeds": embeds or [],
            "components": components or [],
            "pinned": False,
            "type": 19 if reference else (20 if interaction else 0),
            "flags": flags,
        }
        if reference:
            message["message_reference"] = reference
        if interaction:
            message["interaction_metadata"] = interaction
        with self._lock:
            self.messages[int(message["id"])] = message
        return message

    async def _slash(
        self,
        user: dict[str, Any],
        name: str,
        in_dm: bool,
        options: dict[str, Any],
        subcommand: str | None = None,
    ) -> dict[str, Any]:
        commands = self.commands.get("global", []) + self.commands.get(f"guild {self.guild_id}", [])
        command = next((c for c in commands if c["name"] == name and c.get("type", 1) == 1), None)
        if command is None:
            raise LookupError(f"/{name} was never synced")
        level = command
        if subcommand is not None:
            level = next(o for o in command.get("options", []) if o["name"] == subcommand)
        known = {o["name"]: o for o in level.get("options", [])}
        given = [
            {"name": key, "type": known[key]["type"], "value": value}
            for key, value in options.items()
        ]
        if subcommand is not None:
            given = [{"name": subcommand, "type": 1, "options": given}]
        payload = self._interaction(user, in_dm, 2)
        payload["data"] = {"id": command["id"], "name": name, "type": 1, "options": given}
        with self._lock:
            self.interactions[payload["token"]] = InteractionRecord(
                payload, sent_at=time.perf_counter()
            )
        await self._dispatch("INTERACTION_CREATE", payload)
        return payload

    async def _click(self, user: dict[str, Any], message_id: int, custom_id: str) -> dict[str, Any]:
        message = self.messages[message_id]
        in_dm = int(message["channel_id"]) != self.channel_id
        payload = self._interaction(user, in_dm, 3)
        payload["message"] = message
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        with self._lock:
            self.interactions[payload["token"]] = InteractionRecord(
                payload, sent_at=time.perf_counter()
            )
        await self._dispatch("INTERACTION_CREATE", payload)
        return payload

    def _interaction(self, user: dict[str, Any], in_dm: bool, kind: int) -> dict[str, Any]:
        """An interaction of `kind` (2 command, 3 component) by `user`, in #general or their DM."""
        interaction_id = self.snowflake()
        token = f"emulated-interaction-{secrets.token_hex(12)}"
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "app_permissions": str((1 << 53) - 1),
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if in_dm:
            channel_id = self.dm_channel_of(user)
            payload.update(
                channel_id=str(channel_id),
                channel={"id": str(channel_id), "type": 1, "recipients": [user]},
                user=user,
                context=1,
                authorizing_integration_owners={"0": str(self.guild_id), "1": str(user["id"])},
            )
        else:
            payload.update(
                guild_id=str(self.guild_id),
                guild_locale="en-US",
                guild={"id": str(self.guild_id), "locale": "en-US", "features": []},
                channel_id=str(self.channel_id),
                channel={
                    "id": str(self.channel_id),
                    "type": 0,
                    "name": "general",
                    "guild_id": str(self.guild_id),
                },
                member=self._member(user),
                context=0,
                authorizing_integration_owners={"0": str(self.guild_id)},
            )
        return payload

    # --- REST --------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body = None
        if request.can_read_body:
            if request.content_type == "multipart/form-data":
                form = await request.post()
                body = json.loads(str(form.get("payload_json") or "{}"))
            else:
                raw = await request.read()
                body = json.loads(raw) if raw else None
        record = Request(request.method, path, dict(request.query), body, time.perf_counter())
        with self._lock:
            self.requests.append(record)
        response = (
            self._auth_failure(request, path)
            or self._throttle(request.method, path)
            or self._failure(request.method, path)
        )
        if response is None:
            try:
                response = await self._route(request.method, path, body, request.query)
            except _NotFound as exc:
                response = _error(404, 10003 if "channel" in str(exc) else 10008, str(exc))
        record.status = response.status
        return response

    def _auth_failure(self, request: web.Request, path: str) -> web.Response | None:
        if path.startswith(("/interactions/", "/webhooks/")):
            return None  # authorised by the interaction token in the path
        if request.headers.get("Authorization") != f"Bot {self.token}":
            return _error(401, 0, "401: Unauthorized")
        return None

    def _throttle(self, method: str, path: str) -> web.Response | None:
        now = time.perf_counter()
        with self._lock:
            is_global = False
            if now < self._global_until and not path.startswith(("/interactions/", "/webhooks/")):
                retry_after, is_global = self._global_until - now, True
            else:
                for rule in self._rate_limits:
                    if rule["method"] == method and fnmatch.fnmatch(path, rule["path"]):
                        rule["times"] -= 1
                        if rule["times"] <= 0:
                            self._rate_limits.remove(rule)
                        retry_after, is_global = rule["retry_after"], rule["global"]
                        if is_global:
                            self._global_until = now + retry_after
                        break
                else:
                    return None
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers.update(
                {
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": str(retry_after),
                    "X-RateLimit-Bucket": "emulated",
                }
            )
        return _json(
            {
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": is_global,
            },
            status=429,
            headers=headers,
        )

    def _failure(self, method: str, path: str) -> web.Response | None:
        with self._lock:
            for rule in self._failures:
                if rule["method"] == method and fnmatch.fnmatch(path, rule["path"]):
                    rule["times"] -= 1
                    if rule["times"] <= 0:
                        self._failures.remove(rule)
                    status = rule["status"]
                    break
            else:
                return None
        return _error(status, 0, f"{status}: emulated server error")

    async def _route(self, method: str, path: str, body: Any, query: Any) -> web.Response:
        parts = path.strip("/").split("/")
        app = str(self.application_id)
        if method == "GET" and path == "/users/@me":
            return _json({**self.bot_user, "verified": True, "mfa_enabled": False, "flags": 0})
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(
                {
                    "id": app,
                    "name": "Citebot",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": self._user_payload(APPLICATION_OWNER_ID, "owner"),
                    "team": None,
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "summary": "",
                }
            )
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return _json(
                {
                    "url": self.gateway_url.rstrip("/"),
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": self.max_concurrency,
                    },
                }
            )
        if method == "PUT" and parts[:2] == ["applications", app] and parts[-1] == "commands":
            target = "global" if len(parts) == 3 else f"guild {parts[3]}"
            stored = [
                {
                    "description": "",
                    "default_member_permissions": None,
                    "nsfw": False,
                    **c,
                    "id": str(self.snowflake()),
                    "application_id": app,
                    "version": "1",
                    **({"guild_id": parts[3]} if len(parts) == 5 else {}),
                }
                for c in body
            ]
            self.commands[target] = stored
            return _json(stored)
        if method == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
            return await self._interaction_callback(parts[2], body)
        if parts[:3] == ["webhooks", app, parts[2]] and parts[2] in self.interactions:
            return await self._webhook(method, parts[2], parts[3:], body)
        if method == "POST" and path == "/users/@me/channels":
            user = self.users[int(body["recipient_id"])]
            channel_id = self.dm_channel_of(user)
            return _json(
                {"id": str(channel_id), "type": 1, "recipients": [user], "last_message_id": None}
            )
        if parts[0] == "channels" and parts[2:3] == ["messages"]:
            return await self._channel_message(method, int(parts[1]), parts[3:], body)
        raise _NotFound(f"unknown route {method} {path}")

    async def _interaction_callback(self, token: str, body: dict[str, Any]) -> web.Response:
        record = self.interactions.get(token)
        if record is None:
            return _error(404, 10062, "Unknown interaction")
        if record.acknowledged_at is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        record.acknowledged_at = time.perf_counter()
        kind = body["type"]
        data = body.get("data") or {}
        channel_id = int(record.payload["channel_id"])
        ephemeral = bool(data.get("flags", 0) & EPHEMERAL)
        resource: dict[str, Any] = {"type": kind}
        response_message_id = None
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            message = self._message(
                channel_id,
                self.bot_user,
                data.get("content") or "",
                embeds=data.get("embeds"),
                components=data.get("components"),
                flags=(EPHEMERAL if ephemeral else 0)
                | (LOADING if kind == DEFERRED_CHANNEL_MESSAGE else 0),
                interaction={
                    "id": record.payload["id"],
                    "type": record.payload["type"],
                    "user": (record.payload.get("member") or {}).get("user")
                    or record.payload["user"],
                    "authorizing_integration_owners": record.payload[
                        "authorizing_integration_owners"
                    ],
                },
            )
            record.original_id = int(message["id"])
            record.loading = kind == DEFERRED_CHANNEL_MESSAGE
            record.ephemeral = ephemeral
            response_message_id = message["id"]
            resource["message"] = message
            if not ephemeral:
                await self._dispatch("MESSAGE_CREATE", message)
        return _json(
            {
                "interaction": {
                    "id": record.payload["id"],
                    "type": record.payload["type"],
                    "response_message_id": response_message_id,
                    "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
                    "response_message_ephemeral": ephemeral,
                },
                "resource": resource,
            }
        )

    async def _webhook(
        self, method: str, token: str, rest: list[str], body: dict[str, Any]
    ) -> web.Response:
        record = self.interactions[token]
        lifetime = self.interaction_token_lifetime
        expired = lifetime is not None and time.perf_counter() - record.sent_at > lifetime
        if record.acknowledged_at is None or expired:
            return _error(404, 10015, "Unknown Webhook")
        channel_id = int(record.payload["channel_id"])
        if method == "POST" and not rest:
            if record.loading and record.original_id is not None:
                # The first followup after a deferral replaces the "thinking…" message.
                record.loading = False
                return await self._edit(record.original_id, body, loading_done=True)
            flags = body.get("flags", 0) or 0
            message = self._message(
                channel_id,
                self.bot_user,
                body.get("content") or "",
                embeds=body.get("embeds"),
                components=body.get("components"),
                flags=flags & EPHEMERAL,
            )
            if not flags & EPHEMERAL:
                await self._dispatch("MESSAGE_CREATE", message)
            return _json(message)
        if rest[:1] == ["messages"] and len(rest) == 2:
            message_id = record.original_id if rest[1] == "@original" else int(rest[1])
            if message_id is None or message_id not in self.messages:
                return _error(404, 10008, "Unknown Message")
            if method == "GET":
                return _json(self.messages[message_id])
            if method == "PATCH":
                record.loading = False
                return await self._edit(message_id, body, loading_done=True)
        raise _NotFound(f"unknown webhook route {method} {rest}")

    async def _channel_message(
        self, method: str, channel_id: int, rest: list[str], body: dict[str, Any]
    ) -> web.Response:
        if (
            channel_id != self.channel_id
            and channel_id not in self.dm_channels.values()
            and channel_id not in self.threads
        ):
            raise _NotFound("Unknown channel")
        if method == "POST" and not rest:
            reference = body.get("message_reference")
            if (
                reference is not None
                and channel_id == self.channel_id
                and not self.can_reply_in_guild
            ):
                return _error(
                    400, 160002, "Cannot reply without permission to read message history"
                )
            if reference is not None:
                target = self.messages.get(int(reference["message_id"]))
                if target is None:
                    return _error(400, 50035, "Invalid Form Body: unknown message_reference")
                reference = {
                    "type": 0,
                    "message_id": target["id"],
                    "channel_id": target["channel_id"],
                    **({"guild_id": str(self.guild_id)} if channel_id == self.channel_id else {}),
                }
            message = self._message(
                channel_id,
                self.bot_user,
                body.get("content") or "",
                embeds=body.get("embeds"),
                components=body.get("components"),
                reference=reference,
            )
            await self._dispatch("MESSAGE_CREATE", message)
            return _json(message)
        if method == "PATCH" and len(rest) == 1:
            return await self._edit(int(rest[0]), body)
        raise _NotFound(f"unknown channel route {method} {rest}")

    async def _edit(
        self, message_id: int, body: dict[str, Any], *, loading_done: bool = False
    ) -> web.Response:
        with self._lock:
            message = self.messages.get(message_id)
            if message is None:
                return _error(404, 10008, "Unknown Message")
            for key in ("content", "embeds", "components"):
                if key in body:
                    message[key] = body[key] if body[key] is not None else message[key]
            if loading_done:
                message["flags"] = message["flags"] & ~LOADING
            message["edited_timestamp"] = _now()
        if not message["flags"] & EPHEMERAL:
            await self._dispatch("MESSAGE_UPDATE", message)
        return _json(message)


class _NotFound(Exception):
    pass


async def _send(socket: web.WebSocketResponse, compressor: Any, payload: dict[str, Any]) -> None:
    text = json.dumps(payload)
    if compressor is None:
        await socket.send_str(text)
    else:
        data = compressor.compress(text.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
        await socket.send_bytes(data)


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response with Discord's exact content type (discord.py compares it verbatim)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"message": message, "code": code}, status=status)


def _now() -> str:
    return datetime.now(UTC).isoformat()
