"""`citebot stats` and `citebot unanswered` in a subprocess, over a store the test wrote."""

from __future__ import annotations

import time
from pathlib import Path

from support import run_citebot

from bot.corpus import load_corpus, split_passages
from bot.store import DAY, Store


def passage_count(folder: Path) -> int:
    """How many passages the library holds, as the index splits its articles."""
    articles = load_corpus(folder).articles
    return sum(len(split_passages(article, i)) for i, article in enumerate(articles))


REPO = Path(__file__).resolve().parent.parent


def write_session(data_dir: Path) -> None:
    """Six questions in server 1, one in a DM; reply times 10..60 ms."""
    store = Store.open(data_dir)
    now = time.time()
    session = [
        # (age in days, question, found, top article, reply ms, votes)
        (0.1, "who founded DeepSeek?", True, "deepseek-rise", 10.0, ["up", "up"]),
        (0.2, "What is BM25?", True, "bm25-search", 20.0, ["down"]),
        (0.3, "lasagna recipe?", False, None, 30.0, []),
        (2.0, "Lasagna recipe", False, None, 40.0, []),
        (5.0, "who founded deepseek", True, "deepseek-rise", 50.0, []),
        (20.0, "Tiramisu?", False, None, 60.0, []),
    ]
    for number, (age, question, found, top, ms, votes) in enumerate(session):
        answer = store.log_question(
            user_id=1000 + number,
            source="slash",
            question=question,
            found=found,
            results=3 if found else 0,
            elapsed_ms=1.0,
            guild_id=1,
            top_article=top,
            reply_ms=ms,
            asked_at=now - age * DAY,
        )
        for voter, vote in enumerate(votes):
            store.vote(answer, voter, vote)
    store.log_question(
        user_id=7, source="dm", question="in a DM", found=False, results=0, elapsed_ms=1.0
    )
    store.close()


def test_cli_stats_reads_the_bots_store(tmp_path: Path, bundled_corpus: Path):
    data = tmp_path / "data"
    write_session(data)

    done = run_citebot(
        "stats",
        "--guild",
        "1",
        "--data-dir",
        str(data),
        "--corpus",
        str(bundled_corpus),
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"9 ({passage_count(bundled_corpus)} passages)" in out
    assert "3 in 24 h · 5 in 7 days · 6 in all (the log keeps 90 days)" in out
    assert "50% (3 of 6)" in out
    assert "p50 30 ms · p99 60 ms" in out
    assert "2 👍 · 1 👎 (67% helpful)" in out
    assert out.index("DeepSeek's rise (deepseek-rise)") < out.index("How BM25 ranking works")
    everyone = run_citebot(
        "stats", "--data-dir", str(data), "--corpus", str(bundled_corpus), cwd=tmp_path
    )
    assert "7 in all" in everyone.stdout  # without --guild: DMs and every server


def test_cli_unanswered_lists_most_frequent_and_most_recent(tmp_path: Path):
    data = tmp_path / "data"
    write_session(data)

    week = run_citebot("unanswered", "--guild", "1", "--data-dir", str(data), cwd=tmp_path)
    month = run_citebot(
        "unanswered", "--days", "30", "--guild", "1", "--data-dir", str(data), cwd=tmp_path
    )

    assert week.returncode == 0, week.stderr
    lines = week.stdout.splitlines()
    assert lines[0] == "3 unanswered in the last 7 days"
    frequent = lines[lines.index("most frequent") + 1 : lines.index("most recent") - 1]
    assert [line.split(maxsplit=1) for line in frequent] == [
        ["2×", "lasagna recipe?"],
        ["1×", "What is BM25?"],
    ]
    assert "Tiramisu?" not in week.stdout and "Tiramisu?" in month.stdout


def test_cli_stats_without_a_store_says_so(tmp_path: Path):
    done = run_citebot("stats", "--data-dir", str(tmp_path / "nothing"), cwd=tmp_path)

    assert done.returncode == 2
    assert "no question log" in done.stderr
    assert not (tmp_path / "nothing").exists()


def test_cli_unanswered_never_prints_control_characters_from_a_question(tmp_path: Path):
    data = tmp_path / "data"
    store = Store.open(data)
    unanswered = {"source": "slash", "found": False, "results": 0, "elapsed_ms": 1.0}
    hostile = "why \x1b]0;pwned\x07 is \x9b31mred\x1b[0m?"
    store.log_question(user_id=1, question=hostile, guild_id=1, **unanswered)
    store.close()

    done = run_citebot("unanswered", "--data-dir", str(data), cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "why ]0;pwned is 31mred[0m?" in done.stdout
    assert not any(ord(c) < 32 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F for c in done.stdout)
