"""The real `citebot` command, run as a subprocess on real files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support import JAPANESE_ARTICLES, a_result, an_answer, run_citebot

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    return tmp_path


def test_ask_prints_numbered_excerpts_with_citations(workdir: Path) -> None:
    run = run_citebot("ask", "Who founded DeepSeek?", cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("1. ")
    assert "Liang Wenfeng" in run.stdout
    # The citation: the article, the section the excerpt stands in, its paragraphs.
    assert re.search(r"— DeepSeek's rise( › [^\n]+)?, ¶", run.stdout), run.stdout


def test_ask_json_has_the_documented_shape(workdir: Path) -> None:
    run = run_citebot(
        "ask",
        "How much did it cost to build DeepSeek's V3 model?",
        "--json",
        "-k",
        "2",
        cwd=workdir,
    )
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert set(answer) >= {"question", "found", "results", "elapsed_ms"}
    assert answer["found"] is True
    assert len(answer["results"]) == 2
    first = answer["results"][0]
    assert set(first) >= {
        "rank",
        "score",
        "article_id",
        "title",
        "url",
        "paragraphs",
        "excerpt",
        "passage",
        "passage_paragraphs",
        "section",
        "link",
    }
    assert first["rank"] == 1 and len(first["paragraphs"]) == 2
    assert "$6" in first["excerpt"]
    # The excerpt's paragraphs lie within the passage's.
    shown, passage = first["paragraphs"], first["passage_paragraphs"]
    assert passage[0] <= shown[0] <= shown[1] <= passage[1]


GIT_PAGE = """# Git

Git keeps every version of your files, so nothing you commit is ever lost for good.

## Undoing changes

To throw away what you changed in a file since the last commit, check it out again:

```bash
# Discard changes
$ git checkout -- path/to/file.py

# Discard ALL changes
$ git checkout -- .
```
"""


def test_code_excerpts_keep_their_lines_and_cite_the_section_with_its_link(
    workdir: Path,
) -> None:
    tmp_path = workdir
    (tmp_path / "corpus" / "tools").mkdir(parents=True)
    (tmp_path / "corpus" / "tools" / "git.md").write_text(GIT_PAGE, encoding="utf-8")
    env = {"CITEBOT_URL_TEMPLATE": "https://example.org/docs/{path}/"}
    question = "How do I discard changes to a file with git checkout?"

    shown = run_citebot("ask", question, "-k", "1", cwd=tmp_path, env=env)
    as_json = run_citebot("ask", question, "-k", "1", "--json", cwd=tmp_path, env=env)

    assert shown.returncode == 0, shown.stderr
    assert "# Discard changes\n$ git checkout -- path/to/file.py\n" in shown.stdout
    assert (
        "— Git › Undoing changes, ¶" in shown.stdout
        and "· https://example.org/docs/tools/git/#undoing-changes" in shown.stdout
    ), shown.stdout
    [result] = json.loads(as_json.stdout)["results"]
    assert result["section"] == "Undoing changes"
    assert result["url"] == "https://example.org/docs/tools/git/"
    assert result["link"] == "https://example.org/docs/tools/git/#undoing-changes"
    assert "$ git checkout -- path/to/file.py\n\n# Discard ALL changes" in result["excerpt"]


def test_on_a_terminal_the_question_words_are_bold_in_prose_never_inside_code(
    workdir: Path,
) -> None:
    (workdir / "corpus" / "tools").mkdir(parents=True)
    (workdir / "corpus" / "tools" / "git.md").write_text(GIT_PAGE, encoding="utf-8")
    # FORCE_COLOR: rich styles the output as it would on a terminal.
    shown = run_citebot(
        "ask",
        "How do I discard changes to a file with git checkout?",
        "-k",
        "1",
        cwd=workdir,
        env={"FORCE_COLOR": "1", "TERM": "xterm-256color"},
    )
    assert shown.returncode == 0, shown.stderr
    bold = "\x1b[1m"
    assert f"you {bold}changed" in shown.stdout, shown.stdout
    block = shown.stdout[shown.stdout.index("```bash") : shown.stdout.rindex("```") + 3]
    assert block == (
        "```bash\n# Discard changes\n$ git checkout -- path/to/file.py\n\n"
        "# Discard ALL changes\n$ git checkout -- .\n```"
    ), block


RELEASE_PAGE = """# Releasing

## Publishing a release

To publish a new release of the package, follow these steps in order:

1. Bump the version number in `pyproject.toml`.
2. Tag the commit with the new version.
3. Push the tag, so that the release workflow builds the package.

Before you publish, check that:

- the changelog names every change;
- the tests pass on the main branch.
"""


def test_list_items_keep_their_numbers_and_bullets_one_per_line(workdir: Path) -> None:
    (workdir / "corpus" / "releasing.md").write_text(RELEASE_PAGE, encoding="utf-8")

    steps = run_citebot("ask", "How do I publish a release of the package?", "-k", "1", cwd=workdir)
    checks = run_citebot(
        "ask", "does the changelog need to name every change before I publish?", "-k", "1",
        cwd=workdir,
    )  # fmt: skip

    assert steps.returncode == 0 and checks.returncode == 0, steps.stderr + checks.stderr
    assert (
        "\n1. Bump the version number in `pyproject.toml`.\n\n2. Tag the commit with the new version."
        "\n\n3. Push the tag"
    ) in steps.stdout, steps.stdout
    assert (
        "check that:\n\n- the changelog names every change;\n\n- the tests pass on the main branch."
    ) in checks.stdout, checks.stdout


CORS_PAGE = """# CORS

## Use CORSMiddleware

You can configure the middleware with these arguments:

- `allow_origins` - A list of origins that should be permitted to make cross-origin requests.
- `allow_headers` - A list of HTTP request headers that should be supported for cross-origin \
requests. Defaults to `[]`. You can use `['*']` to allow all headers. The `Accept`, \
`Accept-Language`, `Content-Language` and `Content-Type` headers are always allowed for simple \
requests, whatever this list holds.
- `max_age` - Sets a maximum time in seconds for browsers to cache CORS responses. Defaults to `600`.

The middleware responds to two particular types of HTTP request.

Preflight requests are any `OPTIONS` request with `Origin` and `Access-Control-Request-Method` \
headers; the middleware intercepts them and responds with the appropriate headers, and either a \
`200` or a `400` response for information purposes.
"""


def test_an_excerpt_opening_with_a_list_item_starts_on_its_own_line(workdir: Path) -> None:
    # "1. - `max_age`" would read as a numbered item holding a bullet: the page shows a bullet.
    (workdir / "corpus" / "cors.md").write_text(CORS_PAGE, encoding="utf-8")
    run = run_citebot(
        "ask", "How long do browsers cache CORS responses by default?", "-k", "1", cwd=workdir
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("1.\n- `max_age` - Sets a maximum time"), run.stdout


@pytest.mark.parametrize(
    ("excerpt", "own_line"),
    [
        ("- a bullet", True),
        ("3. a numbered item", True),
        ("iv. a roman item", True),
        ("XII) a roman item", True),
        ("```python\nprint(1)\n```", True),
        ("> a quote", True),
        ("Did. He said so.", False),  # a sentence's last word, not a roman numeral
        (">= 2 workers are needed.", False),  # a comparison, not a quote
        ("The text.", False),
    ],
)
def test_only_an_excerpt_opening_a_block_starts_on_the_line_under_its_rank(
    excerpt: str, own_line: bool
) -> None:
    from io import StringIO

    from rich.console import Console

    from bot.cli import _print_answer

    answer = an_answer(a_result(excerpt))
    out = StringIO()
    _print_answer(answer, Console(file=out, width=200))

    assert out.getvalue().startswith("1.\n" if own_line else "1. "), out.getvalue()


def test_off_topic_question_says_the_articles_do_not_cover_it(workdir: Path) -> None:
    run = run_citebot("ask", "What is the capital of Peru?", cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert "don't cover this" in run.stdout
    assert "citebot articles" in run.stdout


def test_batch_mode_answers_one_json_line_per_question(workdir: Path) -> None:
    questions = "Who founded DeepSeek?\n\nWhat is the capital of Peru?\nWhat is BM25?\n"
    run = run_citebot("ask", "-", cwd=workdir, stdin=questions)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["question"] for line in lines] == [
        "Who founded DeepSeek?",
        "What is the capital of Peru?",
        "What is BM25?",
    ]
    assert [line["found"] for line in lines] == [True, False, True]


def test_batch_in_several_processes_answers_in_order_as_one_does(workdir: Path) -> None:
    questions = [
        "Who founded DeepSeek?",
        "What is the capital of Peru?",
        "What is BM25?",
        "   ",
        "How do export controls limit chips?",
        "What is a passage?",
    ] * 5
    stdin = "\n".join(questions) + "\n"
    # One hash seed for both runs: ties between equal excerpts follow set order.
    env = {"PYTHONHASHSEED": "0"}
    one = run_citebot("ask", "-", cwd=workdir, stdin=stdin, env=env, check=True)
    three = run_citebot("ask", "-", "--jobs", "3", cwd=workdir, stdin=stdin, env=env, check=True)

    def without_time(run: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
        lines = [json.loads(line) for line in run.stdout.splitlines()]
        for line in lines:
            line.pop("elapsed_ms", None)
        return lines

    assert [line["question"] for line in without_time(three)] == [q for q in questions if q.strip()]
    assert without_time(three) == without_time(one)


def test_jobs_out_of_range_is_a_clear_error(workdir: Path) -> None:
    run = run_citebot("ask", "-", "--jobs", "0", cwd=workdir, stdin="What is BM25?\n")
    assert run.returncode == 2
    assert "--jobs must be a whole number from 1 to" in run.stderr


def test_index_is_saved_then_reused_then_grown_then_rebuilt_in_full(workdir: Path) -> None:
    first = run_citebot("index", cwd=workdir)
    assert first.returncode == 0, first.stderr
    assert "articles" in first.stdout and "passages" in first.stdout
    saved = sorted((workdir / ".citebot" / "index").iterdir())
    assert len(saved) == 1
    stamp = (saved[0] / "meta.json").stat().st_mtime_ns

    again = run_citebot("ask", "Who founded DeepSeek?", cwd=workdir)
    assert again.returncode == 0
    assert (saved[0] / "meta.json").stat().st_mtime_ns == stamp, (
        "second run must reuse the saved index"
    )

    (workdir / "corpus" / "new.md").write_text("# Zebras\n\nZebras have black and white stripes.\n")
    changed = run_citebot("ask", "What stripes do zebras have?", cwd=workdir)
    assert changed.returncode == 0, changed.stderr
    assert "black and white stripes" in changed.stdout
    # The new file was read alone, beside the saved index, which was not rebuilt for it.
    assert sorted((workdir / ".citebot" / "index").iterdir()) == saved
    assert (saved[0] / "meta.json").stat().st_mtime_ns == stamp

    full = run_citebot("index", "--full", cwd=workdir)
    assert full.returncode == 0, full.stderr
    rebuilt = sorted((workdir / ".citebot" / "index").iterdir())
    assert len(rebuilt) == 1 and rebuilt[0].name != saved[0].name


def test_corrupt_saved_index_is_rebuilt_with_a_warning(workdir: Path) -> None:
    assert run_citebot("index", cwd=workdir).returncode == 0
    [saved] = (workdir / ".citebot" / "index").iterdir()
    for path in saved.rglob("*.npy"):
        path.write_bytes(b"garbage")
    run = run_citebot("ask", "Who founded DeepSeek?", cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert "Liang Wenfeng" in run.stdout
    assert "rebuilding" in run.stderr


def test_articles_lists_ids_titles_and_passages(workdir: Path) -> None:
    run = run_citebot("articles", cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert "deepseek-rise" in run.stdout and "DeepSeek's rise" in run.stdout


def test_malformed_article_is_skipped_with_a_warning_and_the_rest_answers(workdir: Path) -> None:
    (workdir / "corpus" / "broken.md").write_text("---\ntitle: [oops\n---\ntext")
    run = run_citebot("ask", "Who founded DeepSeek?", cwd=workdir)
    assert run.returncode == 0
    assert "broken.md" in run.stderr and "front matter" in run.stderr
    assert "Liang Wenfeng" in run.stdout


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("ask", "hi", "--corpus", "missing"), {}, "corpus folder not found"),
        (("index", "--corpus", "corpus/bm25-search.md"), {}, "bm25-search.md is a file, not a"),
        (("ask", "hi"), {"CITEBOT_RESULTS": "lots"}, "CITEBOT_RESULTS must be a whole number"),
        (("ask", "   "), {}, "ask a question"),
        (("ask", "hi", "--article", "nope"), {}, "no article with the id 'nope'"),
    ],
)
def test_errors_are_one_clear_line_and_a_nonzero_exit(
    workdir: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    run = run_citebot(*args, cwd=workdir, env=env)
    assert run.returncode == 2
    assert message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


def test_empty_corpus_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    run = run_citebot("ask", "anything", cwd=tmp_path)
    assert run.returncode == 2
    assert "no usable articles" in run.stderr


def test_version_names_the_installed_release(workdir: Path) -> None:
    from bot import __version__

    run = run_citebot("--version", cwd=workdir)
    assert run.returncode == 0
    assert run.stdout.strip() == f"citebot {__version__}"


def test_articles_ids_are_whole_in_a_narrow_table_and_in_plain_lines(workdir: Path) -> None:
    ids = sorted(
        p.relative_to(workdir / "corpus").with_suffix("").as_posix()
        for p in (workdir / "corpus").rglob("*.*")
    )
    table = run_citebot("articles", cwd=workdir, env={"COLUMNS": "60"})
    plain = run_citebot("articles", "--plain", cwd=workdir)
    assert table.returncode == 0 and plain.returncode == 0, table.stderr + plain.stderr
    first_cells = [line.split()[0] for line in table.stdout.splitlines()[1:] if line[:1].strip()]
    assert sorted(first_cells) == ids  # every id whole on its own line, none cut with "…"
    rows = [line.split("\t") for line in plain.stdout.splitlines()]
    assert sorted(row[0] for row in rows) == ids
    assert ["deepseek-rise", "DeepSeek's rise"] in [row[:2] for row in rows]
    assert all(len(row) == 3 and row[2].isdigit() for row in rows)


def test_ask_on_a_terminal_prompts_and_answers_each_question(workdir: Path) -> None:
    import os
    import pty
    import subprocess

    from support import citebot_command, subprocess_env

    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"Who founded DeepSeek?\n\x04")  # a question, then Ctrl-D
        run = subprocess.run(
            citebot_command("ask"),
            cwd=workdir,
            stdin=terminal,
            capture_output=True,
            text=True,
            env=subprocess_env(),
            timeout=120,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("question>") == 2  # asked, answered, asked again, then Ctrl-D
    assert "Liang Wenfeng" in run.stdout
    assert not run.stdout.lstrip().startswith("{")  # a person reads it: not JSON lines


@pytest.mark.parametrize("question", ["???", "👍", "the of and"])
def test_a_message_with_nothing_to_search_is_asked_for_a_question(
    workdir: Path, question: str
) -> None:
    run = run_citebot("ask", question, cwd=workdir)

    assert run.returncode == 2
    assert run.stderr.startswith("citebot: Please ask a question"), run.stderr
    assert run.stdout == ""


def test_json_of_a_question_that_cannot_be_searched_is_an_object_on_stdout(
    workdir: Path,
) -> None:
    run = run_citebot("ask", "thx", "--json", cwd=workdir)

    assert run.returncode == 2
    record = json.loads(run.stdout)
    assert (record["question"], record["found"], record["results"]) == ("thx", False, [])
    assert record["error"].startswith("Please ask a question")
    assert "Please ask a question" in run.stderr


def test_article_named_by_its_exact_title_is_used_without_a_guess_note(workdir: Path) -> None:
    run = run_citebot("ask", "founder", "--article", "DeepSeek's rise", cwd=workdir)

    assert run.returncode == 0, run.stderr
    assert "closest" not in run.stderr
    assert "Liang Wenfeng" in run.stdout


def test_index_of_one_article_counts_it_in_the_singular(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "one.md").write_text("# One\n\nA single short paragraph.\n")

    run = run_citebot("index", cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("1 article, 1 passage, "), run.stdout


def test_ask_in_japanese_cites_the_japanese_article(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in JAPANESE_ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    run = run_citebot("ask", "回転寿司はいつ始まりましたか", "-k", "1", "--corpus", str(corpus),
                      cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "回転寿司は1958年に大阪で始まり" in run.stdout, run.stdout
    assert "— 寿司, ¶" in run.stdout
