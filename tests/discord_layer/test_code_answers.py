"""Documentation answers on Discord: code shown as code, citations that name and link the section."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import simcord
from support import BUNDLED_CORPUS

from bot.answer import Engine
from bot.client import CitebotBot, create_bot
from bot.settings import Settings
from discord_layer.markdown_check import payload_markup_problems

GIT_PAGE = """# Git

Git keeps every version of your files, so nothing you commit is ever lost for good.

## Undoing changes

To throw away what you changed in a file since the last commit, check it out again:

```bash
# Discard changes to *one* file
$ git checkout -- path/to/file_name.py

# Discard ALL changes
$ git checkout -- .
```
"""


RELEASE_PAGE = """# Releasing

## Publishing a release

To publish a new release of the package, follow these steps in order:

1. Bump the version number in `pyproject.toml`.
2. Tag the commit with the *new* version.
3. Push the tag, so that the release workflow builds the package.

Before you publish, check that:

- the changelog names every change;
- the tests pass on the main branch.
"""


@pytest.fixture
def simcord_bot(tmp_path: Path) -> CitebotBot:
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    (corpus / "tools").mkdir()
    (corpus / "tools" / "git.md").write_text(GIT_PAGE, encoding="utf-8")
    (corpus / "tools" / "releasing.md").write_text(RELEASE_PAGE, encoding="utf-8")
    settings = Settings(
        corpus_dir=corpus,
        data_dir=tmp_path / "data",
        url_template="https://example.org/docs/{path}/",
    )
    return create_bot(settings, engine=Engine.open(settings))


async def test_a_code_excerpt_is_a_code_block_under_a_linked_section_citation(env: simcord.Env):
    bob = env.create_user("bob")

    await bob.send_dm("How do I discard changes to a file with git checkout?")

    embed = bob.dm_channel.last_message.embeds[0]
    assert (
        embed.description.startswith("`[1]` [Git › Undoing changes — ¶")
        and "](https://example.org/docs/tools/git/#undoing-changes)\n" in embed.description
    )
    # The code block as the page has it: its lines, no escapes, no bold inside.
    assert (
        "```bash\n# Discard changes to *one* file\n$ git checkout -- path/to/file_name.py\n\n"
        "# Discard ALL changes\n$ git checkout -- .\n```"
    ) in embed.description
    # The prose before it is quoted, with the question's words in bold.
    assert "> To throw away what you **changed**" in embed.description


async def test_list_items_show_their_numbers_and_bullets_one_per_line_escaped(env: simcord.Env):
    bob = env.create_user("bob")

    await bob.send_dm("How do I publish a release of the package?")
    steps = bob.dm_channel.last_message.embeds[0].description
    await bob.send_dm("does the changelog need to name every change before I publish?")
    checks = bob.dm_channel.last_message.embeds[0].description
    # Numbers and bullets as the page shows them, each item on its own quoted line; the
    # article's own emphasis is text, and the "- " is escaped so Discord shows it as typed.
    assert (
        "> 1. Bump the version number in `pyproject.toml`.\n>\n> 2. Tag the commit with the new "
        "version.\n>\n> 3. Push the tag"
    ) in steps
    assert "check that:\n>\n> \\- the **changelog" in checks
    assert "\n>\n> \\- the tests pass on the main branch." in checks
    assert payload_markup_problems({"embeds": [{"description": steps + checks}]}) == []
