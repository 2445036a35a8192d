"""The administering settings: defaults, parsing, and errors that name the variable."""

from __future__ import annotations

import pytest

from bot.errors import SettingsError
from bot.settings import Settings


def test_admin_settings_default_to_safe_values():
    settings = Settings.from_env({}, dotenv=False)

    assert settings.admin_role_id is None
    assert settings.allow_private_urls is False  # tests only
    assert settings.watch_corpus is True and settings.watch_debounce_ms == 1500
    assert settings.log_retention_days == 90
    assert settings.message_content_intent is False


def test_admin_settings_are_parsed():
    settings = Settings.from_env(
        {
            "CITEBOT_ADMIN_ROLE_ID": "123456789012345678",
            "CITEBOT_ALLOW_PRIVATE_URLS": "yes",
            "CITEBOT_WATCH_CORPUS": "0",
            "CITEBOT_WATCH_DEBOUNCE_MS": "200",
            "CITEBOT_LOG_RETENTION_DAYS": "30",
            "CITEBOT_MESSAGE_CONTENT_INTENT": "true",
        },
        dotenv=False,
    )

    assert settings.admin_role_id == 123456789012345678
    assert settings.allow_private_urls and settings.message_content_intent
    assert not settings.watch_corpus and settings.watch_debounce_ms == 200
    assert settings.log_retention_days == 30


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CITEBOT_WATCH_CORPUS", "maybe", "CITEBOT_WATCH_CORPUS must be 1 or 0"),
        ("CITEBOT_LOG_RETENTION_DAYS", "0", "CITEBOT_LOG_RETENTION_DAYS must be a whole number"),
        ("CITEBOT_ADMIN_ROLE_ID", "@mods", "CITEBOT_ADMIN_ROLE_ID must be a Discord id"),
    ],
)
def test_bad_admin_setting_names_the_variable(name: str, value: str, expected: str):
    with pytest.raises(SettingsError, match=expected):
        Settings.from_env({name: value}, dotenv=False)
