from __future__ import annotations

import logging
import re
from dataclasses import fields
from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import Settings


def test_defaults_when_nothing_is_set() -> None:
    settings = Settings.from_env({})
    assert settings.corpus_dir == Path("corpus")
    assert settings.data_dir == Path(".citebot")
    assert settings.per_page == 3
    assert settings.discord_token is None


def test_environment_values_are_parsed_into_types() -> None:
    settings = Settings.from_env(
        {
            "CITEBOT_CORPUS_DIR": "/srv/articles",
            "CITEBOT_RESULTS": "5",
            "CITEBOT_BM25_K1": "1.2",
            "CITEBOT_GUILD_ID": "123456789012345678",
            "CITEBOT_SHARD_COUNT": "4",
            "CITEBOT_SHARD_IDS": "0, 1",
        }
    )
    assert settings.corpus_dir == Path("/srv/articles")
    assert settings.per_page == 5
    assert settings.k1 == 1.2
    assert settings.guild_id == 123456789012345678
    assert settings.shard_ids == (0, 1)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CITEBOT_RESULTS", "many", "CITEBOT_RESULTS must be a whole number from 1 to 10"),
        ("CITEBOT_RESULTS", "0", "CITEBOT_RESULTS must be a whole number from 1 to 10"),
        ("CITEBOT_BM25_B", "2", "CITEBOT_BM25_B must be a number from 0 to 1"),
        ("CITEBOT_LANGUAGE", "klingon", "CITEBOT_LANGUAGE must be a Snowball language"),
        ("CITEBOT_GUILD_ID", "my-server", "CITEBOT_GUILD_ID must be a Discord id"),
        ("CITEBOT_URL_TEMPLATE", "https://example.org/docs/", "must be an http"),
        ("CITEBOT_URL_TEMPLATE", "ftp://example.org/{path}", "must be an http"),
        ("CITEBOT_URL_TEMPLATE", "https://example.org/{lang}/{path}", "no placeholder but"),
        ("CITEBOT_ANCHOR_STYLE", "sphinx", "must be github or python-markdown"),
    ],
)
def test_bad_setting_names_the_variable_and_what_it_expects(
    name: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError, match=expected):
        Settings.from_env({name: value})


def test_token_is_never_shown_by_repr_or_errors() -> None:
    token = "test-token-not-real.abc123.secret-part"
    settings = Settings.from_env({"DISCORD_TOKEN": token})
    assert settings.discord_token is not None
    assert settings.discord_token.reveal() == token
    assert token not in repr(settings)
    assert token not in str(settings.discord_token)


def test_dotenv_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CITEBOT_RESULTS=4\nCITEBOT_CORPUS_DIR=from-dotenv\n")
    settings = Settings.from_env({"CITEBOT_CORPUS_DIR": "from-env"})
    assert settings.per_page == 4
    assert settings.corpus_dir == Path("from-env")


def test_a_dotenv_line_that_cannot_be_read_is_named_with_its_file_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / ".env").write_text("CITEBOT_RESULTS=4\nDISCORD_TOKEN secret-token-typed-wrong\n")
    with caplog.at_level(logging.WARNING):
        settings = Settings.from_env({})
    assert settings.per_page == 4 and settings.discord_token is None
    assert f"{tmp_path / '.env'}, line 2: not NAME=value; ignored" in caplog.text
    assert "secret-token-typed-wrong" not in caplog.text


def test_passage_window_bounds_must_be_ordered() -> None:
    with pytest.raises(SettingsError, match="CITEBOT_PASSAGE_MIN_WORDS"):
        Settings.from_env({"CITEBOT_PASSAGE_MIN_WORDS": "200", "CITEBOT_PASSAGE_MAX_WORDS": "100"})


def test_url_template_and_anchor_style_are_read() -> None:
    settings = Settings.from_env(
        {
            "CITEBOT_URL_TEMPLATE": "https://example.org/docs/{path}/",
            "CITEBOT_ANCHOR_STYLE": "Python-Markdown",
        }
    )
    assert settings.url_template == "https://example.org/docs/{path}/"
    assert settings.anchor_style == "python-markdown"
    assert Settings.from_env({}).url_template is None


REPO = Path(__file__).resolve().parent.parent


def variables_read() -> list[str]:
    """Every variable `Settings.from_env` reads, from its source."""
    source = (REPO / "bot" / "settings.py").read_text()
    return re.findall(r'reader\.get\(\s*"([A-Z0-9_]+)"', source)


def env_example() -> dict[str, str]:
    lines = (REPO / ".env.example").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line and not line.startswith("#")]
    return {name.strip(): value.strip() for name, value in pairs}


def readme_defaults() -> dict[str, str]:
    """Each variable in a README settings table, with the default its row gives."""
    defaults: dict[str, str] = {}
    for line in (REPO / "README.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0]) if line.startswith("|") else []
        if not names or len(cells) < 3:
            continue
        values = [v.strip() for v in cells[1].split(",")]
        for n, name in enumerate(names):
            defaults[name] = values[n] if len(values) == len(names) else values[0]
    return defaults


def test_every_setting_is_documented_in_the_readme_and_env_example_with_its_default() -> None:
    names = variables_read()
    assert len(names) == len(fields(Settings))  # one variable per field, all found
    example, readme = env_example(), readme_defaults()
    assert [n for n in names if n not in example] == []
    assert [n for n in names if n not in readme] == []
    for name in names:
        shown = "" if readme[name] in ("empty", "(none)") else readme[name]
        assert shown == example[name], name
    # The example's values are the defaults: reading it changes nothing.
    assert Settings.from_env({n: example[n] for n in names}, dotenv=False) == Settings()
