"""Errors whose message is meant for a person: front ends show them as they are."""

from __future__ import annotations


class CitebotError(Exception):
    """Base of every error Citebot reports to a user instead of a traceback."""


class SettingsError(CitebotError):
    """A setting is missing or malformed; the message names the variable."""


class CorpusError(CitebotError):
    """The corpus cannot be used at all (missing folder, nothing loadable)."""


class QuestionError(CitebotError):
    """A question that cannot be searched (empty, nothing but white space)."""
