"""Documentation answers on Discord: code shown as code, citations that name and link the section."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import simcord

from bot.answer import Engine
from bot.client import CitebotBot, create_bot
from bot.settings import Settings
from discord_layer.conftest import BUNDLED_CORPUS

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


@pytest.fixture
def simcord_bot(tmp_path: Path) -> CitebotBot:
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    (corpus / "tools").mkdir()
    (corpus / "tools" / "git.md").write_text(GIT_PAGE, encoding="utf-8")
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
