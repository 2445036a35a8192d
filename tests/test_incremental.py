"""The shared library after articles are added, changed and removed, without a full rebuild:
scored as rank-bm25's BM25Okapi over the library as it now is, answering from the new
articles, and read again at start without parsing the unchanged files."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi
from support import citebot_command, run_citebot, subprocess_env

from bot import incremental
from bot.answer import Engine
from bot.corpus import corpus_signature
from bot.index import BM25Index, UnionIndex, passage_terms
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
RELATIVE = 1e-9
QUERIES = (
    "zebra stripes black white",
    "who founded deepseek",
    "export controls on chips",
    "bm25 ranking of passages index",
    "okapi",
    "the of and a",
)

ZEBRAS = "# Zebras\n\n" + "\n\n".join(
    f"Zebra fact {n}: the stripes of a plains zebra are black and white, number {n} of ten."
    for n in range(1, 11)
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    return Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")


def _files(settings: Settings):
    return corpus_signature(settings.corpus_dir, settings.corpus_extra_roots)


def _grow(engine: Engine, settings: Settings) -> Engine:
    grown = incremental.grow(engine, settings, _files(settings), on_warning=lambda m: None)
    assert grown is not None
    return grown


def _touch(path: Path) -> None:
    """Bump a file's modification time, as an edit in the same second might not."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def _assert_exact(engine: Engine) -> None:
    """Every query scores as BM25Okapi over the engine's passages, in its order."""
    terms = list(passage_terms(engine.articles, engine.passages, engine.analyzer))
    reference = BM25Okapi(terms)
    assert engine.index.n_docs == len(terms)
    for question in QUERIES:
        query = engine.analyzer.terms(question)
        want = np.asarray(reference.get_scores(query))
        got = engine.index.get_scores(query)
        assert got.shape == want.shape
        scale = np.maximum(np.abs(want), 1e-300)
        assert float(np.max(np.abs(got - want) / scale)) <= RELATIVE
        for doc, score in engine.index.top_k(query, 10):
            assert score == pytest.approx(want[doc], rel=RELATIVE)


def _by_passage(engine: Engine, question: str) -> dict[tuple[str, int, int], float]:
    scores = engine.index.get_scores(engine.analyzer.terms(question))
    return {
        (engine.articles[p.article].article_id, p.start, p.end): float(scores[n])
        for n, p in enumerate(engine.passages)
    }


def test_adds_changes_and_removes_score_as_bm25okapi_over_the_library_now(
    settings: Settings, tmp_path: Path
) -> None:
    engine = Engine.open(settings)
    assert isinstance(engine.index, BM25Index)
    corpus = settings.corpus_dir

    (corpus / "zebras.md").write_text(ZEBRAS)
    engine = _grow(engine, settings)
    assert isinstance(engine.index, UnionIndex)
    _assert_exact(engine)
    answer = engine.answer("What colour are the stripes of a plains zebra?")
    assert answer.found and answer.results[0].article_id == "zebras"

    removed = engine.article("deepseek-rise")
    assert removed is not None
    (corpus / "deepseek-rise.md").unlink()
    engine = _grow(engine, settings)
    _assert_exact(engine)
    assert engine.article("deepseek-rise") is None
    assert all(
        r.article_id != "deepseek-rise" for r in engine.answer("Who founded DeepSeek?").results
    )

    guide = corpus / "bm25-search.md"
    guide.write_text(guide.read_text() + "\n\nOkapi is named after a library system in London.\n")
    _touch(guide)
    rows = [
        {"title": f"Llama {n}", "text": f"Llamas number {n} hum to their young."} for n in (1, 2)
    ]
    (corpus / "llamas.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    engine = _grow(engine, settings)
    _assert_exact(engine)
    assert "London" in engine.answer("What is Okapi named after?").results[0].excerpt

    (corpus / "zebras.md").unlink()
    engine = _grow(engine, settings)
    _assert_exact(engine)
    assert engine.article("zebras") is None

    _assert_as_built_in_full(engine, settings, tmp_path / "full-data")


def _assert_as_built_in_full(engine: Engine, settings: Settings, data_dir: Path) -> None:
    """The same files built in full: the same articles under the same ids, the same
    repeated texts skipped, the same passages with the same scores, the same citations."""
    full = Engine.open(dataclasses.replace(settings, data_dir=data_dir), incremental=False)
    assert dict(zip(engine.corpus.ids(), engine.corpus.sources(), strict=True)) == dict(
        zip(full.corpus.ids(), full.corpus.sources(), strict=True)
    )
    assert _copies(engine) == _copies(full)
    for question in QUERIES:
        ours, theirs = _by_passage(engine, question), _by_passage(full, question)
        assert ours.keys() == theirs.keys()
        for key, score in theirs.items():
            assert ours[key] == pytest.approx(score, rel=RELATIVE)
    for question in QUERIES[:-1]:  # (the last has no word to search for)
        assert [r.article_id for r in engine.answer(question, k=5).results] == [
            r.article_id for r in full.answer(question, k=5).results
        ]


def _copies(engine: Engine) -> set[str]:
    return {m for m in engine.corpus.warnings if "same text as" in m}


def test_a_server_library_beside_a_grown_shared_library_stays_exact(settings: Settings) -> None:
    from bot.corpus import Corpus, parse_articles
    from bot.library import join

    engine = Engine.open(settings)
    (settings.corpus_dir / "zebras.md").write_text(ZEBRAS)
    (settings.corpus_dir / "discord-bots.md").unlink()
    engine = _grow(engine, settings)
    own = list(parse_articles(b"# Okapis\n\nOkapis are related to giraffes.", "server/okapis.md"))
    server = join(engine, Corpus(own), settings)
    _assert_exact(server)
    assert server.answer("What are okapis related to?").results[0].article_id == "server/okapis"


def test_start_up_reads_only_the_files_changed_since_the_saved_library(
    settings: Settings, tmp_path: Path
) -> None:
    def citebot(*args: str) -> str:
        folders = ("--corpus", str(settings.corpus_dir), "--data-dir", str(settings.data_dir))
        return run_citebot(*args, *folders, cwd=tmp_path, check=True).stdout

    citebot("index")
    (settings.corpus_dir / "zebras.md").write_text(ZEBRAS)
    shutil.move(settings.corpus_dir / "open-weight-models.md", settings.data_dir / "gone.md")

    assert "Zebras" in citebot("ask", "What colour are the stripes of a plains zebra?")
    assert "changed since" in citebot("index")
    engine = Engine.open(settings)
    assert isinstance(engine.index, UnionIndex)  # the saved base, grown: nothing rebuilt
    assert engine.article("open-weight-models") is None
    _assert_exact(engine)

    assert "changed since" not in citebot("index", "--full")
    engine = Engine.open(settings)
    assert isinstance(engine.index, BM25Index)
    assert engine.answer("What colour are the stripes of a plains zebra?").found


def test_a_change_it_cannot_follow_exactly_is_built_in_full(settings: Settings) -> None:
    engine = Engine.open(settings)
    (settings.corpus_dir / "synonyms.txt").write_text("zebra = striped horse\n")
    assert incremental.grow(engine, settings, _files(settings)) is None


def test_a_changed_synonyms_file_warns_of_its_bad_line_once(
    settings: Settings, tmp_path: Path
) -> None:
    folders = ("--corpus", str(settings.corpus_dir), "--data-dir", str(settings.data_dir))
    assert run_citebot("index", *folders, cwd=tmp_path).returncode == 0
    (settings.corpus_dir / "synonyms.txt").write_text("zebra, striped horse\n=> nothing\n")

    run = run_citebot("ask", "zebra", *folders, cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert run.stderr.count("synonyms.txt: line 2") == 1, run.stderr


def test_ids_renamed_for_a_clash_are_those_of_a_full_build_as_articles_come_and_go(
    settings: Settings, tmp_path: Path
) -> None:
    corpus = settings.corpus_dir
    second = corpus / "bm25-search.txt"
    second.write_text("Okapi weighting of a second article.")
    engine = Engine.open(settings, incremental=False)
    assert engine.article("bm25-search.md") is not None  # both keep their extension
    # One of the two gone: the other is named as if the clash never was.
    second.unlink()
    engine = _grow(engine, settings)
    assert engine.article("bm25-search") is not None
    assert engine.article("bm25-search.md") is None
    _assert_as_built_in_full(engine, settings, tmp_path / "full-1")
    # Added again: the one in the library is renamed as a full read renames it.
    second.write_text("Okapi weighting of a second article.")
    engine = _grow(engine, settings)
    assert engine.article("bm25-search") is None
    assert engine.article("bm25-search.md") is not None
    _assert_as_built_in_full(engine, settings, tmp_path / "full-2")
    # Three at once, then two of them removed, one renamed in the base.
    (corpus / "okapi.md").write_text("# Okapi\n\nThe okapi is a giraffid.")
    (corpus / "okapi.txt").write_text("Okapi is also a library system.")
    engine = Engine.open(settings, incremental=False)
    (corpus / "okapi.html").write_text("<h1>Okapi</h1><p>Okapi in a web page.</p>")
    engine = _grow(engine, settings)
    _assert_as_built_in_full(engine, settings, tmp_path / "full-3")
    (corpus / "okapi.md").unlink()
    (corpus / "okapi.txt").unlink()
    engine = _grow(engine, settings)
    assert engine.article("okapi") is not None
    _assert_as_built_in_full(engine, settings, tmp_path / "full-4")
    # A JSONL line's id, clashing with a file's, and freed.
    rows = [{"title": f"Batch {n}", "text": f"Batch line {n} about tapirs."} for n in (1, 2)]
    (corpus / "batch.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    (corpus / "batch").mkdir()
    (corpus / "batch" / "1.md").write_text("# One\n\nA file about tapirs too.")
    engine = Engine.open(settings, incremental=False)
    assert engine.article("batch.jsonl/1") is not None
    (corpus / "batch" / "1.md").unlink()
    engine = _grow(engine, settings)
    assert engine.article("batch/1") is not None
    _assert_as_built_in_full(engine, settings, tmp_path / "full-5")


def test_a_text_dropped_in_twice_is_loaded_once_as_by_a_full_build(
    settings: Settings, tmp_path: Path
) -> None:
    """A copy dropped into the folder is skipped with the full build's warning, whichever
    file of the two a full read meets first; the other loads again once one is gone."""
    corpus = settings.corpus_dir
    (corpus / "zebras.md").write_text(ZEBRAS)
    engine = Engine.open(settings, incremental=False)
    # A copy read after the original (whitespace aside) is skipped.
    (corpus / "zebras2.md").write_text(ZEBRAS.replace("\n\n", "\n\n\n"))
    engine = _grow(engine, settings)
    assert engine.article("zebras2") is None
    assert _copies(engine) == {"skipped zebras2.md: same text as zebras.md (loaded once)"}
    _assert_as_built_in_full(engine, settings, tmp_path / "full-1")
    # A copy read before it is kept instead of it, as a full read keeps the first.
    (corpus / "a-zebras.md").write_text(ZEBRAS)
    engine = _grow(engine, settings)
    assert engine.article("a-zebras") is not None and engine.article("zebras") is None
    _assert_as_built_in_full(engine, settings, tmp_path / "full-2")
    # That one gone: the original loads again, and its copy is still skipped.
    (corpus / "a-zebras.md").unlink()
    engine = _grow(engine, settings)
    assert engine.article("zebras") is not None and engine.article("zebras2") is None
    _assert_as_built_in_full(engine, settings, tmp_path / "full-3")
    # The original gone from a library built with its copy skipped: the copy loads.
    engine = Engine.open(settings, incremental=False)
    (corpus / "zebras.md").unlink()
    engine = _grow(engine, settings)
    assert engine.article("zebras2") is not None
    _assert_as_built_in_full(engine, settings, tmp_path / "full-4")
    # Two copies in one JSONL file: its first line loads.
    rows = [{"title": f"Zebras {n}", "text": ZEBRAS.replace("# Zebras", "")} for n in (1, 2)]
    (corpus / "zebras2.md").unlink()
    (corpus / "herd.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    engine = _grow(engine, settings)
    assert engine.article("herd/1") is not None and engine.article("herd/2") is None
    _assert_as_built_in_full(engine, settings, tmp_path / "full-5")


def test_a_repeated_text_or_url_is_found_among_a_few_articles(settings: Settings) -> None:
    from bot import corpus_edit
    from bot.corpus import parse_articles
    from bot.errors import DuplicateArticle

    engine = Engine.open(settings)
    (settings.corpus_dir / "zebras.md").write_text(ZEBRAS)
    engine = _grow(engine, settings)
    same_text = ZEBRAS.replace("\n\n", "\n\n\n").replace("# Zebras", "# Striped horses")
    [copy] = parse_articles(same_text.encode(), "elsewhere/copy.md")
    assert 0 < len(engine.repeats(copy)) < len(engine.articles)
    with pytest.raises(DuplicateArticle, match="same text"):
        corpus_edit.check_duplicate(copy, engine.repeats)
    page = "---\nurl: https://example.com/okapi\n---\n# Okapis\n\nOkapis live in forests."
    (settings.corpus_dir / "okapis.md").write_text(page)
    engine = _grow(engine, settings)
    [other] = parse_articles(b"# Giraffes\n\nTall.", "g.md")
    corpus_edit.check_duplicate(other, engine.repeats)  # nothing in common: no error
    moved = dataclasses.replace(other, url="http://www.example.com/okapi/")
    with pytest.raises(DuplicateArticle, match="has that URL"):
        corpus_edit.check_duplicate(moved, engine.repeats)


def test_a_grown_library_answers_as_the_same_library_built_in_full(settings: Settings) -> None:
    """The grown library reads its base's saved sentences while its passages keep their
    numbers (an add), and analyses afresh once a removal renumbers them: either way each
    answer is the one a full build of the same files gives."""
    questions = ("What colour are the stripes of a plains zebra?", *QUERIES[:-1])

    def answers(engine: Engine) -> list[tuple[str, str, tuple[tuple[int, int], ...]]]:
        return [
            (r.article_id, r.excerpt, tuple(r.highlights))
            for q in questions
            for r in engine.answer(q, k=3).results
        ]

    engine = Engine.open(settings)
    (settings.corpus_dir / "zebras.md").write_text(ZEBRAS)
    grown = _grow(engine, settings)
    full = Engine.open(dataclasses.replace(settings, data_dir=settings.data_dir / "full"))
    assert answers(grown) == answers(full)

    (settings.corpus_dir / "deepseek-rise.md").unlink()
    grown = _grow(grown, settings)
    full = Engine.open(dataclasses.replace(settings, data_dir=settings.data_dir / "full2"))
    assert answers(grown) == answers(full)


def test_citebot_index_waits_for_a_full_build_under_way_and_loads_what_it_saves(
    settings: Settings, tmp_path: Path
) -> None:
    folders = ("--corpus", str(settings.corpus_dir), "--data-dir", str(settings.data_dir))
    with incremental.full_build_lock(settings) as held:  # a bot's merge under way
        assert held
        child = subprocess.Popen(
            citebot_command("index", *folders),
            cwd=tmp_path,
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stderr is not None
            # Read until it says it waits (it then blocks) or ends without waiting.
            said = next((line for line in iter(child.stderr.readline, "") if "waiting" in line), "")
            assert said == "another process is building the library in full; waiting for it\n"
            Engine.open(settings, incremental=False)  # the merge's build, saved
        except BaseException:
            child.kill()
            raise
    out, _ = child.communicate(timeout=300)
    assert child.returncode == 0
    assert "9 articles" in out and "changed since" not in out
