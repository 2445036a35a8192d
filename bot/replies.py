"""The one way errors reach a user on Discord: from the command tree, a view, or a message.

A `CitebotError` (see bot/errors.py) is shown as it is; anything else is logged with
an id and the user gets an apology naming that id. Every reply is sent with
`NO_MENTIONS`, so nothing Citebot says can ping anyone.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord
from discord import app_commands

from bot import render
from bot.errors import CitebotError

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
#: Unknown Webhook, Unknown Interaction: the interaction's token expired (or was never valid).
EXPIRED_INTERACTION = frozenset({10015, 10062})
#: Missing Permissions; Cannot reply without permission to read message history.
CANNOT_REPLY = frozenset({50013, 160002})


def user_message(error: BaseException) -> str | None:
    """The message a user sees for a known error, or None for an unexpected one."""
    if isinstance(
        error,
        app_commands.CommandInvokeError | app_commands.TransformerError | app_commands.CheckFailure,
    ):
        error = error.__cause__ or error
    if isinstance(error, CitebotError):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command only works in a server."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here."
    return None


def reply_text(error: BaseException, where: str) -> str:
    """What to tell the user about `error`; an unexpected one is logged under a fresh id."""
    message = user_message(error)
    if message is not None:
        return message
    error_id = secrets.token_hex(4)
    log.error(
        "unexpected error %s in %s",
        error_id,
        where,
        exc_info=(type(error), error, error.__traceback__),
    )
    return f"Sorry, something went wrong on my side (error id `{error_id}`)."


async def send_ephemeral(interaction: discord.Interaction[Any], text: str) -> None:
    """A short private note, as the response or as a followup when one was already sent."""
    text = render.truncate(text, render.CONTENT_LIMIT)
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the user about an error in a command, autocomplete or button, if anything can."""
    cause = error.__cause__ if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(cause, discord.NotFound) and cause.code in EXPIRED_INTERACTION:
        # Nothing can reach the user through a dead token; it is not a bug of ours either.
        log.warning("the interaction for %s expired before the reply was sent", _what(interaction))
        return
    if interaction.type is discord.InteractionType.autocomplete:
        # Autocomplete cannot carry a message: an empty list of choices is all the user sees.
        if user_message(error) is None:
            log.error("autocomplete failed in %s", _what(interaction), exc_info=error)
        return
    message = reply_text(error, _what(interaction))
    try:
        await send_ephemeral(interaction, message)
    except discord.HTTPException:
        log.warning("could not tell the user about an error in %s", _what(interaction))


async def reply_to(message: discord.Message, **kwargs: Any) -> discord.Message | None:
    """Reply to `message`; without Read Message History, post in its channel instead."""
    try:
        return await message.reply(mention_author=False, allowed_mentions=NO_MENTIONS, **kwargs)
    except discord.HTTPException as exc:
        if exc.code not in CANNOT_REPLY:
            raise
    try:
        return await message.channel.send(allowed_mentions=NO_MENTIONS, **kwargs)
    except discord.Forbidden:
        log.info("no permission to answer in channel %s", message.channel.id)
        return None


async def report_message_error(message: discord.Message, error: BaseException, where: str) -> None:
    """Tell the author of a message-question about an error, the way commands do."""
    await reply_to(message, content=reply_text(error, where))


def _what(interaction: discord.Interaction[Any]) -> str:
    command = interaction.command
    if command is not None:
        return f"/{command.qualified_name}"
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = data.get("custom_id")
    if not custom_id:
        return f"interaction type {interaction.type}"
    # An answer button's id goes on to name its asker: the log keeps only what it does.
    return f"component {':'.join(str(custom_id).split(':')[:2])}"
