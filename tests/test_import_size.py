"""Imports of any size: a JSONL bulk export is read a line at a time, limits apply per
article, and the whole library has a ceiling a setting controls."""

from __future__ import annotations

import json
from pathlib import Path

from support import run_citebot

from bot.corpus import MAX_ARTICLE_BYTES, load_corpus


def record(number: int, words: int = 20) -> str:
    text = " ".join(f"okapi{number} lives in the forest" for _ in range(words // 5))
    return json.dumps({"id": number, "title": f"Okapi {number}", "text": text}) + "\n"


def load(folder: Path, **options: int) -> tuple[list[str], list[str]]:
    warnings: list[str] = []
    corpus = load_corpus(folder, on_warning=warnings.append, **options)  # type: ignore[arg-type]
    return [a.article_id for a in corpus.articles], warnings


def test_jsonl_larger_than_one_article_may_be_loads_whole(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    filler = "okapis browse the understorey. " * 700  # ~22 kB an article
    with open(folder / "export.jsonl", "w") as out:
        for number in range(1000):
            text = f"Article {number} says: {filler}"
            out.write(json.dumps({"id": number, "title": f"Okapi {number}", "text": text}) + "\n")
    assert (folder / "export.jsonl").stat().st_size > MAX_ARTICLE_BYTES
    ids, warnings = load(folder)
    assert warnings == []
    assert len(ids) == 1000 and "export/999" in ids


def test_one_line_over_the_article_limit_is_skipped_the_rest_loads(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    huge = json.dumps({"id": "huge", "title": "Huge", "text": "x " * (MAX_ARTICLE_BYTES // 2)})
    (folder / "mixed.jsonl").write_text(record(1) + huge + "\n" + record(3))
    ids, warnings = load(folder)
    assert ids == ["mixed/1", "mixed/3"]
    assert warnings == ["skipped mixed.jsonl:2: the line is larger than 20 MB"]


def test_library_ceiling_skips_what_comes_after_it_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.jsonl").write_text("".join(record(n) for n in range(10)))
    (folder / "b.md").write_text("# B\n\nAnother article about okapis.")
    size = len(record(0).encode())
    ids, warnings = load(folder, max_bytes=size * 4)
    assert ids == [f"a/{n}" for n in range(4)]
    assert warnings[0].startswith("skipped a.jsonl from line 5: the library reached its limit")
    assert "CITEBOT_MAX_CORPUS_MB" in warnings[0]
    assert warnings[1].startswith("skipped b.md: the library reached its limit")


def test_max_corpus_mb_setting_reaches_the_loader(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    big = "okapis browse the understorey. " * 40_000  # about 1.2 MB
    (folder / "a.md").write_text("# A\n\nOkapis live in the Ituri forest.")
    (folder / "b.md").write_text(f"# B\n\n{big}")
    run = run_citebot("index", cwd=tmp_path, env={"CITEBOT_MAX_CORPUS_MB": "1"})
    assert run.returncode == 0, run.stderr
    assert "skipped b.md: the library reached its limit of 1 MB" in run.stderr
    assert run.stdout.startswith("1 article, ")


def test_jsonl_with_old_mac_line_ends_and_utf16_still_loads(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "mac.jsonl").write_bytes((record(1) + record(2)).replace("\n", "\r").encode())
    (folder / "wide.jsonl").write_bytes((record(7) + record(8)).encode("utf-16"))
    ids, warnings = load(folder)
    assert warnings == []
    assert ids == ["mac/1", "mac/2", "wide/7", "wide/8"]


def test_bad_lines_are_named_and_the_good_ones_load(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    lines = [
        record(1).encode(),
        b'{"title": "caf\xe9", "text": "x"}\n',
        b"{broken\n",
        record(4).encode(),
    ]
    (folder / "mixed.jsonl").write_bytes(b"".join(lines))
    ids, warnings = load(folder)
    assert ids == ["mixed/1", "mixed/4"]
    assert warnings == [
        "skipped mixed.jsonl:2: not UTF-8 text (bad byte at offset 14 of the line)",
        "skipped mixed.jsonl:3: malformed JSON (Expecting property name enclosed in double quotes)",
    ]


def test_progress_counts_the_bytes_of_every_file(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.jsonl").write_text("".join(record(n) for n in range(5)))
    (folder / "b.md").write_text("# B\n\nOkapis.")
    total = sum(p.stat().st_size for p in folder.iterdir())
    seen: list[tuple[int, int]] = []
    load_corpus(folder, progress=lambda done, of: seen.append((done, of)))
    assert seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
