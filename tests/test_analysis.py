"""Passages analysed at build time: the same sentences and terms as analysing on the fly,
the same answers, a table rebuilt when what it depends on changes, never a damaged one used."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from bot import analysis
from bot.analysis import (
    Keyed,
    SavedAnalysis,
    SentenceRecorder,
    analyse_passages,
    analysis_key,
)
from bot.answer import Engine
from bot.cli import answer_to_json
from bot.corpus import load_corpus
from bot.errors import IndexLoadError
from bot.index import index_passages
from bot.library import join
from bot.rerank import Bits, candidate_weights, sentences, sentences_of, summarise
from bot.settings import Settings
from bot.text import Analyzer, sentence_spans

QUESTIONS = (
    "Who founded DeepSeek?",
    "How does BM25 weigh a rare term?",
    "what are the export controls on chips",
    "How do I add an article from Discord?",
    "When were the export controls on chips announced?",
    "How many parameters does the largest open-weight model have?",
    "walrus migration patterns",
    "what is retrieval augmented generation and why does it cite sources",
)


def opened(corpus: Path, data: Path, **settings: object) -> tuple[Engine, list[str]]:
    warnings: list[str] = []
    engine = Engine.open(
        Settings(corpus_dir=corpus, data_dir=data, **settings),  # type: ignore[arg-type]
        on_warning=warnings.append,
    )
    return engine, warnings


def answers(engine: Engine) -> list[dict[str, object]]:
    """Each question's answer as the CLI prints it (two results more than shown, so the
    lower ranks are compared too), without the time it took."""
    out = []
    for question in QUESTIONS:
        record = answer_to_json(engine.answer(question, k=5))
        record.pop("elapsed_ms", None)
        out.append(record)
    return out


def tables(data: Path) -> list[Path]:
    return sorted((data / "analysis").iterdir())


def test_saved_sentences_are_those_analysed_on_the_fly(
    bundled_corpus: Path, tmp_path: Path
) -> None:
    engine, _ = opened(bundled_corpus, tmp_path / "data")
    saved = engine._analysis
    assert saved is not None and saved.passages == len(engine.passages)
    vocabulary = engine.index.vocabulary  # type: ignore[attr-defined]
    keyed = Keyed(dict(enumerate(vocabulary)), frozenset(range(len(vocabulary))), {})
    for number, passage in enumerate(engine.passages):
        text = engine.articles[passage.article].text
        spans = sentence_spans(text, passage.start, passage.end) or [(passage.start, passage.end)]
        read = saved.analysed(number, keyed)
        assert read is not None
        assert [(s, e) for s, e, _ in read.spans] == spans
        assert [[vocabulary[i] for i in terms] for _, _, terms in read.spans] == [
            engine.analyzer.terms(text[s:e]) for s, e in spans
        ]


def test_answers_are_the_same_with_and_without_the_table(
    bundled_corpus: Path, tmp_path: Path
) -> None:
    engine, _ = opened(bundled_corpus, tmp_path / "data")
    assert engine._analysis is not None
    with_table = answers(engine)
    engine._analysis = None
    assert answers(engine) == with_table
    assert any(record["found"] for record in with_table)


def test_a_question_of_more_terms_than_a_mask_holds_is_scored_term_by_term(
    bundled_corpus: Path, tmp_path: Path
) -> None:
    engine, _ = opened(bundled_corpus, tmp_path / "data")
    # A pasted page of words: more distinct terms than `Bits` numbers.
    words = sorted(set(engine.analyzer.terms(engine.articles[0].text)))
    question = "Which of these: " + " ".join(words[: Bits.LIMIT + 20])
    query = engine._understand(engine.reader.read(question)).query
    assert len(query.weights) > Bits.LIMIT
    assert engine._matched(range(len(engine.passages)), query) == (None, {})
    with_table = answer_to_json(engine.answer(question, k=5))
    engine._analysis = None
    without = answer_to_json(engine.answer(question, k=5))
    with_table.pop("elapsed_ms")
    without.pop("elapsed_ms")
    assert with_table == without and with_table["results"]


def test_sentences_matched_all_at_once_are_those_scored_one_by_one(
    bundled_corpus: Path, tmp_path: Path
) -> None:
    # The re-ranker matches every candidate's saved sentences at once, as bit masks.
    engine, _ = opened(bundled_corpus, tmp_path / "data")
    numbers = range(len(engine.passages))
    weighed: list[float] = []
    for question in (*QUESTIONS, "the export export controls on chips and chip exports"):
        query = engine._understand(engine.reader.read(question)).query
        local = engine._local_weights({p.article for p in engine.passages}, query)
        bits, matched = engine._matched(numbers, query)
        assert bits is not None and sorted(matched) == list(numbers)
        # Every passage a candidate: the question's weights among them, from the masks.
        among = candidate_weights(query, [bits.matched(matched[n]) for n in numbers])
        for number, passage in enumerate(engine.passages):
            text, weights = engine.articles[passage.article].text, local[passage.article]
            at_once = sentences_of(matched[number], text, bits, weights, passage.article, {})
            one_by_one = sentences(
                text, passage.start, passage.end, query, engine.analyzer, weights
            )
            assert at_once == one_by_one, (question, number)
            assert bits.matched(matched[number]) == summarise(one_by_one).matched
            # What the features read, with the cues read only where they look.
            rows = matched[number]
            summary = bits.summary(rows, text, weights, passage.article, {})
            assert summary == summarise(one_by_one), (question, number)
            summary = bits.summary(rows, text, weights, passage.article, {}, among)
            assert summary == summarise(one_by_one, among), (question, number)
            weighed.append(summary.candidates)
    assert max(weighed) > 0.0  # the candidates feature was read, not only its 0


def test_a_second_start_reads_the_saved_table(bundled_corpus: Path, tmp_path: Path) -> None:
    opened(bundled_corpus, tmp_path / "data")
    (folder,) = tables(tmp_path / "data")
    written = (folder / "terms.npy").stat().st_mtime_ns
    engine, warnings = opened(bundled_corpus, tmp_path / "data")
    assert warnings == [] and tables(tmp_path / "data") == [folder]
    assert (folder / "terms.npy").stat().st_mtime_ns == written, "analysed again"
    assert engine._analysis is not None


def test_the_table_is_rebuilt_when_the_analyzer_changes(
    bundled_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    first, _ = opened(bundled_corpus, data)
    (old,) = tables(data)
    monkeypatch.setattr(Analyzer, "VERSION", Analyzer.VERSION + 1)
    engine, _ = opened(bundled_corpus, data)
    (new,) = tables(data)
    assert new != old, "a table of the old analyzer's terms was kept"
    assert answers(engine) == answers(first)


def test_the_key_follows_the_index_language_and_format(monkeypatch: pytest.MonkeyPatch) -> None:
    english = analysis_key("index-a", Analyzer("english"))
    assert analysis_key("index-a", Analyzer("english")) == english
    assert analysis_key("index-b", Analyzer("english")) != english
    assert analysis_key("index-a", Analyzer("french")) != english
    monkeypatch.setattr(analysis, "ANALYSIS_FORMAT", analysis.ANALYSIS_FORMAT + 1)
    assert analysis_key("index-a", Analyzer("english")) != english


def test_a_damaged_table_is_rebuilt_with_a_warning(bundled_corpus: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first, _ = opened(bundled_corpus, data)
    expected = answers(first)
    (folder,) = tables(data)
    terms = np.load(folder / "terms.npy")
    # A new file in its place: the first engine still maps the old one.
    np.save(tmp_path / "short.npy", terms[: len(terms) // 2])
    os.replace(tmp_path / "short.npy", folder / "terms.npy")
    engine, warnings = opened(bundled_corpus, data)
    assert any("saved sentences" in w and "unusable" in w for w in warnings), warnings
    assert engine._analysis is not None
    assert answers(engine) == expected
    _, warnings = opened(bundled_corpus, data)
    assert warnings == []


def test_a_table_of_other_passages_is_refused(bundled_corpus: Path, tmp_path: Path) -> None:
    engine, _ = opened(bundled_corpus, tmp_path / "data")
    index = engine.index
    fewer = analyse_passages(
        engine.articles,
        engine.passages[:-1],  # type: ignore[index]
        engine.analyzer,
        index,  # type: ignore[arg-type]
    )
    with pytest.raises(IndexLoadError):
        SavedAnalysis(fewer, index)  # type: ignore[arg-type]


def test_a_servers_own_passages_are_analysed_on_the_fly(
    bundled_corpus: Path, tmp_path: Path
) -> None:
    """Passages past the saved table (a server's own articles) answer as without it."""
    engine, _ = opened(bundled_corpus, tmp_path / "data")
    own = tmp_path / "own"
    own.mkdir()
    (own / "okapi.md").write_text(
        "# Okapis\n\nThe okapi is a giraffid of the Ituri rainforest. It is striped like a zebra."
    )
    joined = join(engine, load_corpus(own), Settings(corpus_dir=own, data_dir=tmp_path / "x"))
    assert joined._analysis is engine._analysis
    with_table = joined.answer("Where does the okapi live?", k=5)
    joined._analysis = None
    without = joined.answer("Where does the okapi live?", k=5)
    assert with_table.results == without.results
    assert with_table.results[0].article_id == "okapi"


def test_an_index_built_while_keeping_sentences_is_the_same_index(
    bundled_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sentences cover every word of a passage: the index built from them is the one
    built from whole passages, and what was kept (written out in small pieces here, as a
    large library's is) is what a separate pass, holding it all, finds."""
    corpus = load_corpus(bundled_corpus)
    settings = Settings(corpus_dir=bundled_corpus, data_dir=tmp_path)
    analyzer = Analyzer()
    plain_passages, plain = index_passages(corpus, analyzer, settings)
    recorder = SentenceRecorder(analyzer)
    monkeypatch.setattr(analysis, "_SPILL_TERMS", 7)
    passages, built = index_passages(corpus, analyzer, settings, text_terms=recorder)
    monkeypatch.undo()
    assert passages == plain_passages and recorder.passages == len(passages)
    assert built.vocabulary == plain.vocabulary
    for name, values in plain.arrays().items():
        np.testing.assert_array_equal(built.arrays()[name], values, err_msg=name)
    kept = recorder.arrays(built)
    for name, values in analyse_passages(corpus.articles, passages, analyzer, plain).items():
        np.testing.assert_array_equal(kept[name], values, err_msg=name)
