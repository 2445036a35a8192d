"""`citebot preview`: the answer's real embed payload drawn as a PNG, as Discord would show it."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image
from support import run_citebot

from bot import render
from bot.answer import Engine
from bot.preview import description_lines, parse_inline
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_preview_writes_a_png_of_an_answer_from_the_bundled_corpus(tmp_path: Path) -> None:
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    out = tmp_path / "shots" / "answer.png"

    run = run_citebot("preview", "Who founded DeepSeek?", "--out", str(out), cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert str(out) in run.stdout
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(out) as image:
        width, height = image.size
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert width == 760 and 300 <= height <= 2000  # three excerpts, a header and buttons
    assert out.stat().st_size > 20_000  # text was drawn, not an empty frame
    assert colours is None or len(colours) > 50  # anti-aliased text in several colours


def test_preview_of_an_unanswered_question_still_draws_the_reply(tmp_path: Path) -> None:
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    out = tmp_path / "nothing.png"

    run = run_citebot("preview", "lasagna recipe with zucchini", "--out", str(out), cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert "not found" in run.stdout
    with Image.open(out) as image:
        assert image.size[0] == 760 and image.size[1] >= 150


def test_inline_markdown_is_read_the_way_discord_shows_it() -> None:
    runs = parse_inline(r"`[1]` [DeepSeek\'s \[rise\] — ¶4](https://x.y) **founded** by\*")

    assert "".join(r.text for r in runs) == "[1] DeepSeek's [rise] — ¶4 founded by*"
    assert [r.text for r in runs if r.code] == ["[1]"]
    assert "".join(r.text for r in runs if r.link) == "DeepSeek's [rise] — ¶4"
    assert [r.text for r in runs if r.bold] == ["founded"]


def test_preview_takes_ask_s_article_and_k(tmp_path: Path) -> None:
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    three, one = tmp_path / "three.png", tmp_path / "one.png"

    run_citebot("preview", "Who founded DeepSeek?", "--out", str(three), cwd=tmp_path)
    run = run_citebot(
        "preview",
        "Who founded DeepSeek?",
        "--article",
        "deepsek rise",
        "-k",
        "1",
        "--out",
        str(one),
        cwd=tmp_path,
    )
    unknown = run_citebot("preview", "who?", "--article", "nope", cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert "using article 'deepseek-rise'" in run.stderr
    with Image.open(three) as drawn_three, Image.open(one) as drawn_one:
        assert drawn_one.size[1] < drawn_three.size[1]  # one excerpt drawn, not three
    assert unknown.returncode == 2
    assert "no article with the id 'nope'" in unknown.stderr


def test_a_code_block_is_drawn_as_code_its_fences_hidden_and_its_text_as_typed(
    tmp_path: Path,
) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "git.md").write_text(
        "# Git\n\n## Undoing changes\n\nTo throw away what you changed, check it out again:\n\n"
        "```bash\n# Discard *changes*\n$ git checkout -- path/to/file_1.py\n\n# Discard ALL\n```\n",
        encoding="utf-8",
    )
    engine = Engine.open(Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data"))
    answer = engine.answer("how do i discard changes with git checkout", k=1)
    description = render.render_answer(answer).embeds[0].description

    lines = description_lines(description)

    code = [("".join(run.text for run in runs), kind) for runs, _, kind in lines if kind == "code"]
    assert code == [
        ("# Discard *changes*", "code"),
        ("$ git checkout -- path/to/file_1.py", "code"),
        ("", "code"),
        ("# Discard ALL", "code"),
    ]
    assert all(
        run.code and not run.bold for runs, _, kind in lines if kind == "code" for run in runs
    )
    drawn = ["".join(run.text for run in runs) for runs, _, _ in lines]
    assert not any("```" in text or text == "bash" for text in drawn), drawn
    [prose] = [runs for runs, quoted, _ in lines if quoted and runs]
    assert [run.text for run in prose if run.bold] == ["changed"]
