"""The CLI at its edges: undecodable input, a C locale, a data folder it cannot use."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from support import subprocess_env

REPO = Path(__file__).resolve().parent.parent


def citebot(
    *args: str | bytes, cwd: Path, stdin: bytes | None = None, **env: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=subprocess_env(**env),
        timeout=120,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    return tmp_path


def json_lines(stdout: bytes) -> list[dict[str, object]]:
    text = stdout.decode("utf-8")  # strict: the output must be valid UTF-8
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
def test_batch_with_invalid_utf8_answers_every_line_in_valid_json(
    workdir: Path, locale: str
) -> None:
    lines = [
        b"who founded DeepSeek?",
        b"caf\xe9 au lait \xff\xfe",
        b"\xc3\x28 what does BM25 stand for?",
        b"\x80\x81\x82",
        b"why do AI models run on GPUs?",
    ]
    run = citebot("ask", "-", cwd=workdir, stdin=b"\n".join(lines) + b"\n", LC_ALL=locale)
    assert run.returncode == 0, run.stderr
    records = json_lines(run.stdout)
    assert len(records) == 5
    assert records[0]["found"] is True and records[4]["found"] is True
    assert records[1]["question"] == "caf\ufffd au lait \ufffd\ufffd"


def test_a_question_argument_with_raw_bytes_prints_valid_utf8_json(workdir: Path) -> None:
    run = citebot("ask", b"who founded DeepSeek \xff?", "--json", cwd=workdir, LC_ALL="C")
    assert run.returncode == 0, run.stderr
    [record] = json_lines(run.stdout)
    assert record["question"] == "who founded DeepSeek \ufffd?"
    assert record["found"] is True


def test_index_that_cannot_be_saved_exits_2_with_one_line(workdir: Path) -> None:
    (workdir / "blocker").write_text("a file where the data folder should be")
    run = citebot("index", "--data-dir", "blocker/data", cwd=workdir)
    assert run.returncode == 2
    assert b"index ready" not in run.stdout
    err = run.stderr.decode().strip().splitlines()
    assert len(err) == 1 and err[0].startswith("citebot: could not save the index in blocker")


@pytest.mark.parametrize("command", ["stats", "unanswered"])
def test_a_damaged_question_log_gives_one_line_and_exit_2(workdir: Path, command: str) -> None:
    data = workdir / ".citebot"
    data.mkdir()
    (data / "citebot.sqlite3").write_bytes(b"this is not a database" * 100)
    run = citebot(command, cwd=workdir)
    assert run.returncode == 2
    err = run.stderr.decode().strip().splitlines()
    assert len(err) == 1 and err[0].startswith("citebot: cannot use the question log in .citebot")
    assert "Traceback" not in run.stderr.decode()


@pytest.mark.parametrize("command", ["stats", "unanswered"])
def test_a_data_folder_whose_key_cannot_be_read_gives_one_line(workdir: Path, command: str) -> None:
    data = workdir / ".citebot"
    data.mkdir()
    sqlite3.connect(data / "citebot.sqlite3").close()
    (data / "user-hash.key").mkdir()  # stands in for a key the bot's user cannot read
    run = citebot(command, cwd=workdir)
    assert run.returncode == 2
    err = run.stderr.decode().strip().splitlines()
    assert len(err) == 1 and err[0].startswith("citebot: cannot use the question log in .citebot")


def test_no_way_to_discord_is_said_as_such_not_as_a_folder_problem() -> None:
    import socket

    from aiohttp import ClientConnectionError

    from bot.cli import _os_problem

    for exc in (socket.gaierror(-2, "Name or service not known"), ClientConnectionError("no")):
        assert _os_problem(exc).startswith("cannot reach Discord")
    assert _os_problem(FileNotFoundError(2, "No such file or directory", "/x")) == (
        "cannot use /x: No such file or directory"
    )


def one_line_error(run: subprocess.CompletedProcess[bytes]) -> str:
    """The one line a refused command prints: exit 2, no traceback, nothing on stdout."""
    err = run.stderr.decode().strip().splitlines()
    assert run.returncode == 2 and len(err) == 1 and run.stdout == b"", run.stderr
    return err[0]


def test_eval_of_something_that_is_no_question_set_says_what_eval_reads(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()  # a folder, but no docs set
    (tmp_path / "notes.md").write_text("# Notes\n\nNot JSON.\n")
    for given, problem in [
        ("missing.json", "question set not found: missing.json"),
        ("notes", "notes is not a docs set: it has no questions.jsonl"),
        ("notes.md", "cannot read notes.md as JSON"),
    ]:
        line = one_line_error(citebot("eval", given, cwd=tmp_path))
        assert line.startswith(f"citebot: {problem}"), line
        assert "SQuAD v1.1 .json file, or a docs set: a folder with pages/ and questions.jsonl" in (
            line
        )


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_eval_limit_below_one_is_refused_not_read_as_all_but_the_last(
    tmp_path: Path, limit: str
) -> None:
    squad = {"data": [{"title": "T", "paragraphs": [{"context": "Text.", "qas": []}]}]}
    (tmp_path / "set.json").write_text(json.dumps(squad))
    line = one_line_error(citebot("eval", "set.json", "--limit", limit, cwd=tmp_path))
    assert line == "citebot: --limit must be a whole number of 1 or more (questions to ask)"


def test_help_shows_a_new_user_where_to_start_and_how_to_ask(workdir: Path) -> None:
    top = citebot("--help", cwd=workdir).stdout.decode()
    assert 'citebot ask "Who founded DeepSeek?"' in top and "citebot COMMAND --help" in top
    assert ".env.example" in top
    ask = citebot("ask", "--help", cwd=workdir).stdout.decode()
    assert "citebot ask - < questions.txt" in ask
    # The example for a question that starts with "-" works as shown.
    dashed = citebot("ask", "--json", "--", "-k or -n?", cwd=workdir)
    assert dashed.returncode == 0 and json.loads(dashed.stdout)["question"] == "-k or -n?"
