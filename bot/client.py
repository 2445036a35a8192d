"""The Discord bot: start-up, command sync, error handling, and `run_bot` for `citebot run`."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import health
from bot.answer import Engine
from bot.asking import Asker
from bot.database import Listener
from bot.errors import CitebotError, StoreWriteError
from bot.library import ServerLibrary
from bot.live import CorpusWatcher, LiveEngine
from bot.refresh import FIRST_TICK_SECONDS, Pacer, Refresher
from bot.replies import NO_MENTIONS, report_error
from bot.settings import Settings
from bot.sources import SourceBook
from bot.store import DAY, GuildSettings, Store
from bot.views import AnswerButton

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.cogs.ask",
    "bot.cogs.info",
    "bot.cogs.admin",
    "bot.cogs.privacy",
    "bot.cogs.forums",
)
#: Per-server settings are re-read after this long, so shard processes sharing the store agree.
GUILD_SETTINGS_TTL = 30.0
#: What the bot needs in a channel: answer, show embeds, and reply to the question.
#: What the invite asks for: replies with embeds, in channels, threads and forum posts, and
#: threads opened on a mention (`/citebot settings mention-threads`).
PERMISSIONS = discord.Permissions(
    send_messages=True,
    embed_links=True,
    read_message_history=True,
    send_messages_in_threads=True,
    create_public_threads=True,
)
SCOPES = ("bot", "applications.commands")

EXIT_OK = 0
EXIT_BAD_TOKEN = 2
#: Discord lets a bot IDENTIFY once per 5 s in each `shard_id % max_concurrency` bucket.
IDENTIFY_INTERVAL = 5.0


class CitebotTree(app_commands.CommandTree["CitebotBot"]):
    """The one place app command errors are turned into replies."""

    async def on_error(
        self, interaction: discord.Interaction[CitebotBot], error: app_commands.AppCommandError
    ) -> None:
        """Every app command error ends here, as a short private reply."""
        await report_error(interaction, error)


class CitebotBot(commands.Bot):
    """Citebot on Discord; the engine and store come in through the constructor or `setup_hook`."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        store: Store | None = None,
        **options: Any,
    ) -> None:
        # The default intents carry DMs and messages that mention the bot with their
        # content; only the opt-in "answer every message in this channel" mode needs the
        # privileged message content intent (CITEBOT_MESSAGE_CONTENT_INTENT=1).
        intents = discord.Intents.default()
        intents.message_content = settings.message_content_intent
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            tree_cls=CitebotTree,
            allowed_mentions=NO_MENTIONS,
            **options,
        )
        self.settings = settings
        #: The one holder of the engine: everything asks it for the current one.
        self.live = LiveEngine(settings, engine)
        self._store = store
        self._owns_store = store is None
        self._asker: Asker | None = None
        self._watcher: CorpusWatcher | None = None
        self._prune_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._refresher: Refresher | None = None
        self._refresh_task: asyncio.Task[None] | None = None
        # The `disconnect` handlers a closed bot runs, which `connect` waits for.
        self._last_events: set[asyncio.Task[None]] = set()
        #: Seconds from start-up to the first refresh round (tests start it at once).
        self.refresh_first_delay = FIRST_TICK_SECONDS
        #: One pause between two requests to a web host, for refreshes and imports alike.
        self.pacer = Pacer(settings.fetch_delay)
        #: Held by the one sitemap import that may run at a time.
        self.import_lock = asyncio.Lock()
        self._guild_settings: dict[int, tuple[float, GuildSettings]] = {}
        #: Held while articles are added or removed, so duplicate checks see every change.
        self.corpus_lock = asyncio.Lock()
        #: Names this process in reload notices, so it ignores its own.
        self.process_name = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._listener: Listener | None = None
        self._max_concurrency: int | None = None

    # --- dependencies ----------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The engine answering now (held by `live`); StillLoading before the first."""
        return self.live.engine

    def library_guild(self, guild_id: int | None) -> int | None:
        """The server whose own articles a question from `guild_id` searches: the server
        itself when the bot is in it; None (the shared library) in DMs and where only a
        user installed the app."""
        if guild_id is None or self.get_guild(guild_id) is None:
            return None
        return guild_id

    async def library(self, guild_id: int | None) -> ServerLibrary:
        """The library a question from `guild_id` searches (read off the event loop)."""
        engine = self.live.engine  # StillLoading while the first engine builds
        return await asyncio.to_thread(
            self.live.libraries.library, engine, self.library_guild(guild_id)
        )

    @property
    def store(self) -> Store:
        """The store (SQLite, or PostgreSQL with CITEBOT_DATABASE_URL), opened in `setup_hook`
        unless one was given."""
        if self._store is None:
            raise RuntimeError("the store opens in setup_hook")
        return self._store

    @property
    def asker(self) -> Asker:
        """The one way questions are admitted, answered and logged."""
        if self._asker is None:
            raise RuntimeError("the asker is made in setup_hook")
        return self._asker

    @property
    def refresher(self) -> Refresher:
        """Re-fetches the articles added by URL (made in `setup_hook`)."""
        if self._refresher is None:
            raise RuntimeError("the refresher is made in setup_hook")
        return self._refresher

    @property
    def sources(self) -> SourceBook:
        """The articles added by URL and their last check, in the store."""
        return self.refresher.book

    @property
    def watcher(self) -> CorpusWatcher | None:
        """The corpus watcher, when CITEBOT_WATCH_CORPUS is on."""
        return self._watcher

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """A server's settings, cached briefly so a busy channel does not read SQLite per message."""
        cached = self._guild_settings.get(guild_id)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        found = await asyncio.to_thread(self.store.guild_settings, guild_id)
        self._guild_settings[guild_id] = (now + GUILD_SETTINGS_TTL, found)
        return found

    async def update_guild_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Store a server's changed settings and keep them in the cache."""
        try:
            updated = await asyncio.to_thread(self.store.update_guild_settings, guild_id, **changes)
        except StoreWriteError as exc:
            raise CitebotError(f"Couldn't save: {exc.reason}.") from None
        self._guild_settings[guild_id] = (time.monotonic() + GUILD_SETTINGS_TTL, updated)
        return updated

    async def prune_log(self) -> int:
        """Forget logged questions older than the retention period; how many."""
        days = self.settings.log_retention_days
        try:
            pruned = await asyncio.to_thread(self.store.prune, older_than_days=days)
        except StoreWriteError:
            return 0  # counted and logged by the store; the next daily prune tries again
        if pruned:
            log.info("forgot %d logged questions older than %d days", pruned, days)
        return pruned

    async def _prune_daily(self) -> None:
        while True:
            await asyncio.sleep(DAY)
            try:
                await self.prune_log()
            except Exception:
                log.exception("pruning the question log failed")

    async def _beat(self) -> None:
        """Refresh the heartbeat file while connected (`citebot health` reads its age)."""
        await self.wait_until_ready()
        while not self.is_closed():
            if math.isfinite(self.latency):
                try:
                    await asyncio.to_thread(health.beat, self.settings.data_dir)
                except OSError as exc:
                    log.warning("could not write the heartbeat file: %s", exc)
            await asyncio.sleep(health.INTERVAL)

    # --- start-up and shut-down ------------------------------------------------------

    async def setup_hook(self) -> None:
        """Start-up: the engine off the loop, the store, the watcher, the cogs, the command sync."""
        engine = await self.live.open()
        log.info(
            "answering from %d articles (%d passages)", len(engine.articles), engine.passage_count
        )
        if self._store is None:
            self._store = await asyncio.to_thread(
                Store.open,
                self.settings.data_dir,
                self.settings.store_url(),
                user_key=self.settings.user_key_bytes(),
            )
        self._asker = Asker(self.settings, self.live, self.store)
        await self._share_reloads()
        await self.prune_log()
        self._prune_task = asyncio.create_task(self._prune_daily(), name="citebot-prune-log")
        self._heartbeat_task = asyncio.create_task(self._beat(), name="citebot-heartbeat")
        self._start_refresh()
        if self.settings.watch_corpus:
            self._watcher = self.live.watch_in_thread(
                asyncio.get_running_loop(), debounce_ms=self.settings.watch_debounce_ms
            )
            log.info("watching %s for changes", self.settings.corpus_dir)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(AnswerButton)  # an answer's buttons work after a restart
        await self.sync_commands()
        if self.application_id is not None:
            log.info("invite me with %s", self.invite_url())

    def _start_refresh(self) -> None:
        """The refresher, and its background rounds unless CITEBOT_REFRESH_HOURS is 0."""

        async def rebuild() -> None:
            await self.live.reload(only_if_changed=True)

        self._refresher = Refresher(
            self.settings,
            SourceBook(self.store.database),
            pacer=self.pacer,
            write_lock=self.corpus_lock,
            on_changed=rebuild,
        )
        if self.settings.refresh_hours > 0:
            self._refresh_task = asyncio.create_task(
                self._refresher.run_forever(first_delay=self.refresh_first_delay),
                name="citebot-refresh",
            )
            log.info("refreshing URL articles every %g h", self.settings.refresh_hours)

    async def _share_reloads(self) -> None:
        """On a shared store, a rebuild here is announced, and one announced elsewhere is
        followed here (when the corpus this host sees has changed)."""
        store = self.store
        if not store.shared:
            return
        loop = asyncio.get_running_loop()

        async def announce() -> None:
            await asyncio.to_thread(store.announce_reload, self.process_name)

        def on_notice(sender: str) -> None:
            if sender == self.process_name:
                return
            log.info(
                "another process (%s) rebuilt its index; rebuilding if the corpus changed", sender
            )
            reload = self.live.reload(only_if_changed=True, announce=False)
            try:
                asyncio.run_coroutine_threadsafe(reload, loop)
            except RuntimeError:  # the loop is closed: this process is shutting down
                reload.close()

        self.live.on_rebuilt = announce
        self._listener = await asyncio.to_thread(store.listen_for_reloads, on_notice)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """On a shared store, processes on every host take turns to IDENTIFY (Discord's
        5 s per `shard_id % max_concurrency`); otherwise discord.py's own wait."""
        store = self._store
        if store is None or not store.shared or shard_id is None:
            await super().before_identify_hook(shard_id, initial=initial)
            return
        if self._max_concurrency is None:
            try:
                _, _, limits = await self.http.get_bot_gateway()
                self._max_concurrency = max(1, int(limits["max_concurrency"]))
            except Exception as exc:  # noqa: BLE001 - 1 is always safe, only slower
                log.warning("could not read max_concurrency (%s); assuming 1", exc)
                self._max_concurrency = 1
        bucket = shard_id % self._max_concurrency
        waited = await asyncio.to_thread(store.take_identify_turn, bucket, IDENTIFY_INTERVAL)
        log.info("shard %d identifies (bucket %d, waited %.2f s)", shard_id, bucket, waited)

    async def close(self) -> None:
        """Stop the watcher, a merge, the pruning and the refresh, then disconnect and close
        the store."""
        if self._watcher is not None:
            watcher, self._watcher = self._watcher, None
            await asyncio.to_thread(watcher.stop)
        await self.live.close()
        if self._listener is not None:
            listener, self._listener = self._listener, None
            await asyncio.to_thread(listener.stop)
        for task in (self._prune_task, self._heartbeat_task, self._refresh_task):
            if task is not None:
                task.cancel()
        self._prune_task = self._heartbeat_task = self._refresh_task = None
        self._stop_waiting_for_ready()
        await super().close()
        if self._asker is not None:
            self._asker.close()
        if self._owns_store and self._store is not None:
            await asyncio.to_thread(self._store.close)
            self._store = None

    async def connect(self, *, reconnect: bool = True) -> None:
        """discord.py's connection, and then the `disconnect` handlers its closing started
        (see `dispatch`): they run to their end before the bot is done."""
        try:
            await super().connect(reconnect=reconnect)
        finally:
            while self._last_events:
                await asyncio.wait(set(self._last_events))

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """A closed bot takes no new events: after `close` discord.py has no loop to run a
        handler on, and would leave its coroutine never run. (A wait before `ready` can
        escape `_stop_waiting_for_ready`: on a second READY, discord.py's cancelled first
        wait forgets the new one.) All but `disconnect`, which the closing connection
        sends last, from the running loop: its handlers run there (`_schedule_event`)."""
        if self.is_closed() and (event_name != "disconnect" or not _in_a_running_loop()):
            log.debug("closed: not dispatching %s", event_name)
            return
        super().dispatch(event_name, *args, **kwargs)

    def _schedule_event(
        self,
        coro: Callable[..., Coroutine[Any, Any, Any]],
        event_name: str,
        *args: Any,
        **kwargs: Any,
    ) -> asyncio.Task[Any]:
        """discord.py's, but for a closed bot (which has no loop of its own any more) on the
        running loop, kept for `connect` to wait for."""
        if not self.is_closed():
            return super()._schedule_event(coro, event_name, *args, **kwargs)
        task = asyncio.get_running_loop().create_task(
            self._run_event(coro, event_name, *args, **kwargs), name=f"discord.py: {event_name}"
        )
        self._last_events.add(task)
        task.add_done_callback(self._last_events.discard)
        return task

    def _stop_waiting_for_ready(self) -> None:
        """discord.py's close leaves its wait before `on_ready` running (up to
        `guild_ready_timeout` after the last server arrived): it would dispatch `ready` after
        the loop is gone, leaving the handler's coroutine never run."""
        state = self._connection
        shard_waits = getattr(state, "_ready_tasks", {})  # AutoShardedConnectionState's
        for task in (state._ready_task, *shard_waits.values()):
            if task is not None:
                task.cancel()

    async def on_message(self, message: discord.Message, /) -> None:
        """Messages are questions, not prefix commands: the Ask cog listens for them."""

    async def on_ready(self) -> None:
        """Log who the bot is and where."""
        assert self.user is not None
        log.info("logged in as %s (id %s) in %d servers", self.user, self.user.id, len(self.guilds))

    # --- commands --------------------------------------------------------------------

    def command_payload(self, guild: discord.abc.Snowflake | None = None) -> list[dict[str, Any]]:
        """The app commands as Discord receives them (what a sync sends)."""
        return [c.to_dict(self.tree) for c in self.tree.get_commands(guild=guild)]

    async def sync_commands(self) -> bool:
        """Sync to CITEBOT_GUILD_ID when set (instant), globally otherwise; only after a change."""
        guild_id = self.settings.guild_id
        guild = discord.Object(id=guild_id) if guild_id is not None else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = json.dumps(self.command_payload(guild), sort_keys=True, default=str)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        target = f"guild {guild_id}" if guild_id is not None else "global"
        key = f"commands:{self.application_id}:{target}"
        await self._clear_other_guilds(keep=key)
        if await asyncio.to_thread(self.store.get_meta, key) == digest:
            log.info("commands unchanged since the last sync (%s); not syncing", target)
            return False
        synced = await self.tree.sync(guild=guild)
        with contextlib.suppress(StoreWriteError):  # counted and logged; next start syncs again
            await asyncio.to_thread(self.store.set_meta, key, digest)
        log.info("synced %d commands (%s)", len(synced), target)
        return True

    async def _clear_other_guilds(self, *, keep: str) -> None:
        """Remove the commands synced to a development guild this start no longer syncs to.

        A guild's copy stays on Discord beside the global commands until it is replaced,
        so after CITEBOT_GUILD_ID is unset or changed every command would show twice there.
        """
        prefix = f"commands:{self.application_id}:guild "
        synced = await asyncio.to_thread(self.store.meta_with_prefix, prefix)
        for key in sorted(synced.keys() - {keep}):
            guild = discord.Object(id=int(key.removeprefix(prefix)))
            self.tree.clear_commands(guild=guild)
            try:
                await self.tree.sync(guild=guild)
            except (discord.Forbidden, discord.NotFound):
                log.info("guild %d no longer has the bot; its commands went with it", guild.id)
            except discord.HTTPException as exc:  # kept: the next start tries again
                log.warning("could not clear the commands of guild %d: %s", guild.id, exc)
                continue
            else:
                log.info("cleared the commands synced to guild %d before", guild.id)
            with contextlib.suppress(StoreWriteError):
                await asyncio.to_thread(self.store.delete_meta, key)

    def invite_url(self) -> str:
        """The link that adds the bot to a server with the permissions it needs."""
        assert self.application_id is not None
        return discord.utils.oauth_url(self.application_id, permissions=PERMISSIONS, scopes=SCOPES)


def _in_a_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class ShardedCitebotBot(CitebotBot, commands.AutoShardedBot):
    """Citebot over several gateway shards (CITEBOT_SHARD_COUNT / CITEBOT_SHARD_IDS)."""


def create_bot(
    settings: Settings,
    *,
    engine: Engine | None = None,
    store: Store | None = None,
    **options: Any,
) -> CitebotBot:
    """The bot the settings ask for: sharded when a shard count is set."""
    if settings.shard_count is not None:
        return ShardedCitebotBot(
            settings,
            engine=engine,
            store=store,
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids) if settings.shard_ids is not None else None,
            **options,
        )
    return CitebotBot(settings, engine=engine, store=store, **options)


# --- `citebot run` -------------------------------------------------------------------------


class _RedactSecret(logging.Filter):
    """Last line of defence: no log record ever shows the token."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._secret in message:
            record.msg = message.replace(self._secret, "***")
            record.args = None
        return True


def run_bot(settings: Settings) -> int:
    """Run the bot until it is stopped; 2 when the token is missing or rejected."""
    if settings.discord_token is None:
        print(
            "citebot: DISCORD_TOKEN is not set: put the bot token from the Developer Portal "
            "in .env or the environment",
            file=sys.stderr,
        )
        return EXIT_BAD_TOKEN
    token = settings.discord_token.reveal()
    discord.utils.setup_logging(level=logging.getLevelName(settings.log_level), root=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactSecret(token))
    if settings.log_level != "DEBUG":
        logging.getLogger("discord.http").setLevel(logging.WARNING)
    # Citebot has no voice features: no warnings about voice libraries at start.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    try:
        asyncio.run(_serve(settings, token))
    except discord.LoginFailure:
        print(
            "citebot: Discord rejected DISCORD_TOKEN: reset the token in the Developer Portal "
            "(your app → Bot → Reset Token) and update .env",
            file=sys.stderr,
        )
        return EXIT_BAD_TOKEN
    return EXIT_OK


async def _serve(settings: Settings, token: str) -> None:
    bot = create_bot(settings)
    loop = asyncio.get_running_loop()
    stopping: set[asyncio.Task[None]] = set()

    def stop() -> None:
        log.info("stopping")
        task = loop.create_task(bot.close())
        stopping.add(task)
        task.add_done_callback(stopping.discard)

    if sys.platform != "win32":
        loop.add_signal_handler(signal.SIGTERM, stop)
    async with bot:
        await bot.start(token)
