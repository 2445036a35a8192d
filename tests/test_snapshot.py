"""The library saved beside the index: a start with unchanged files parses none of them,
any change to a file is seen, and a damaged save is rebuilt, never trusted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support import run_citebot

import bot.corpus
from bot.answer import Engine
from bot.cli import answer_to_json
from bot.settings import Settings
from bot.snapshot import library_basis

QUESTIONS = (
    "Who founded DeepSeek?",
    "How does BM25 weigh a rare term?",
    "what are the export controls on chips",
    "How do I add an article from Discord?",
    "walrus migration patterns",
)


def settings_for(corpus: Path, data: Path) -> Settings:
    return Settings(corpus_dir=corpus, data_dir=data)


def answers(engine: Engine) -> list[dict[str, object]]:
    """Every question's answer as the CLI prints it, without the time it took."""
    out = []
    for question in QUESTIONS:
        record = answer_to_json(engine.answer(question))
        record.pop("elapsed_ms", None)
        out.append(record)
    return out


def opened(settings: Settings) -> tuple[Engine, list[str]]:
    warnings: list[str] = []
    return Engine.open(settings, on_warning=warnings.append), warnings


def test_saved_library_answers_exactly_as_a_parsed_one(
    bundled_corpus: Path, tmp_path: Path
) -> None:
    settings = settings_for(bundled_corpus, tmp_path / "data")
    parsed, _ = opened(settings)
    assert list((tmp_path / "data" / "library").iterdir()), "nothing was saved"
    saved, _ = opened(settings)
    assert type(saved.corpus).__name__ == "SavedCorpus"
    assert answers(saved) == answers(parsed)
    assert [a.article_id for a in saved.articles] == [a.article_id for a in parsed.articles]
    assert list(saved.articles) == list(parsed.articles)
    assert list(saved.passages) == list(parsed.passages)


def test_unchanged_files_are_not_read_again(bundled_corpus: Path, tmp_path: Path) -> None:
    """The trust rule made visible: an edit that keeps a file's size and modification
    time is not seen, because the file is not parsed at all."""
    settings = settings_for(bundled_corpus, tmp_path / "data")
    opened(settings)
    article = bundled_corpus / "deepseek-rise.md"
    before = article.stat()
    text = article.read_text()
    swapped = text.replace("DeepSeek", "DeepFake")
    assert swapped != text and len(swapped.encode()) == len(text.encode())
    article.write_text(swapped)
    os.utime(article, ns=(before.st_atime_ns, before.st_mtime_ns))
    engine, _ = opened(settings)
    held = engine.article("deepseek-rise")
    assert held is not None and "DeepFake" not in held.text


def test_an_edited_file_is_read_again(bundled_corpus: Path, tmp_path: Path) -> None:
    settings = settings_for(bundled_corpus, tmp_path / "data")
    first, _ = opened(settings)
    (bundled_corpus / "okapi.md").write_text(
        "# Okapis\n\nThe okapi is a giraffid of the Ituri rainforest, striped like a zebra."
    )
    engine, _ = opened(settings)
    assert engine.article("okapi") is not None
    assert len(engine.articles) == len(first.articles) + 1
    assert engine.answer("Where does the okapi live?").results[0].article_id == "okapi"
    assert len(list((tmp_path / "data" / "library").iterdir())) == 1, "the old save is retired"


def test_damaged_save_is_rebuilt_with_a_warning(bundled_corpus: Path, tmp_path: Path) -> None:
    settings = settings_for(bundled_corpus, tmp_path / "data")
    parsed, _ = opened(settings)
    (saved,) = (tmp_path / "data" / "library").iterdir()
    (saved / "articles.json").write_text(json.dumps([["only", "one"]]))
    engine, warnings = opened(settings)
    assert any("saved library" in w and "unusable" in w for w in warnings), warnings
    assert answers(engine) == answers(parsed)
    again, warnings = opened(settings)  # saved afresh: trusted again, no warning
    assert type(again.corpus).__name__ == "SavedCorpus" and warnings == []


def test_truncated_text_is_never_served(bundled_corpus: Path, tmp_path: Path) -> None:
    settings = settings_for(bundled_corpus, tmp_path / "data")
    parsed, _ = opened(settings)
    (saved,) = (tmp_path / "data" / "library").iterdir()
    data = (saved / "text.npy").read_bytes()
    (saved / "text.npy").write_bytes(data[: len(data) // 2])
    engine, warnings = opened(settings)
    assert any("unusable" in w for w in warnings), warnings
    assert answers(engine) == answers(parsed)


def test_skipped_files_are_still_reported_on_a_quick_start(
    bundled_corpus: Path, tmp_path: Path
) -> None:
    (bundled_corpus / "empty.md").write_text("")
    settings = settings_for(bundled_corpus, tmp_path / "data")
    _, first = opened(settings)
    engine, again = opened(settings)
    assert type(engine.corpus).__name__ == "SavedCorpus"
    assert [w for w in first if "empty.md" in w] == [w for w in again if "empty.md" in w] != []


def test_cli_quick_start_answers_as_the_first_run(bundled_corpus: Path, tmp_path: Path) -> None:
    args = ("ask", "--json", "--corpus", str(bundled_corpus), "Who founded DeepSeek?")
    env = {"PYTHONHASHSEED": "0"}  # ties between equal excerpts follow set order
    first = json.loads(run_citebot(*args, cwd=tmp_path, env=env, check=True).stdout)
    second = json.loads(run_citebot(*args, cwd=tmp_path, env=env, check=True).stdout)
    first.pop("elapsed_ms")
    second.pop("elapsed_ms")
    assert first == second and first["found"]


def code_changed(monkeypatch: pytest.MonkeyPatch, source: Path) -> None:
    """As if `source` had been edited: what the saved library's key reads of it differs."""
    read_bytes = Path.read_bytes
    monkeypatch.setattr(
        Path,
        "read_bytes",
        lambda self: read_bytes(self) + (b"\n# edited" if self == source else b""),
    )


def test_an_edit_to_any_module_of_the_corpus_package_changes_the_library_basis(
    bundled_corpus: Path, tmp_path: Path
) -> None:
    """A changed parser never meets an old save, wherever in the package it changed."""
    settings = settings_for(bundled_corpus, tmp_path / "data")
    package = Path(bot.corpus.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert {"__init__.py", "_markdown.py", "_passages.py"} <= {m.name for m in modules}
    bases = {library_basis(settings)}
    for source in modules:
        with pytest.MonkeyPatch.context() as monkeypatch:
            code_changed(monkeypatch, source)
            bases.add(library_basis(settings))
    assert len(bases) == len(modules) + 1


def test_a_library_saved_by_other_code_is_read_again_then_trusted(
    bundled_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library saved by an earlier version (another parser) is neither loaded nor a
    crash: the files are parsed again, the answers are the same, and the new save
    replaces the old one."""
    settings = settings_for(bundled_corpus, tmp_path / "data")
    before, _ = opened(settings)
    (old,) = (tmp_path / "data" / "library").iterdir()
    code_changed(monkeypatch, Path(bot.corpus.__file__).parent / "_markdown.py")
    engine, warnings = opened(settings)
    assert type(engine.corpus).__name__ != "SavedCorpus" and warnings == []
    assert answers(engine) == answers(before)
    (new,) = (tmp_path / "data" / "library").iterdir()
    assert new.name != old.name, "the old save is retired"
    again, warnings = opened(settings)
    assert type(again.corpus).__name__ == "SavedCorpus" and warnings == []
