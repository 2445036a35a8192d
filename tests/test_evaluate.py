"""`citebot eval` on a small SQuAD-format file whose metrics can be worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import run_citebot

from bot.answer import Answer, ArticleRef, Result
from bot.errors import CitebotError
from bot.evaluate import (
    Question,
    contains_answer,
    evaluate,
    evaluate_docs,
    evaluate_holdout,
    evaluate_per_article,
    load_docs_set,
    load_squad,
    normalize_answer,
    score,
)
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def _qa(qid: str, question: str, *answers: str) -> dict[str, object]:
    return {
        "id": qid,
        "question": question,
        "answers": [{"text": a, "answer_start": 0} for a in answers],
    }


# Three articles on unrelated subjects, so each question has one right place.
SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Glass_harmonica",
            "paragraphs": [
                {
                    "context": "The glass harmonica was invented by Benjamin Franklin in 1761. "
                    "It is played by touching spinning glass bowls with wet fingers.",
                    "qas": [
                        _qa("h1", "Who invented the glass harmonica?", "Benjamin Franklin"),
                        _qa("h2", "In what year was the glass harmonica invented?", "1761"),
                    ],
                },
                {
                    "context": "Mozart and Beethoven both composed pieces for the instrument. "
                    "Its popularity faded in the early nineteenth century.",
                    "qas": [
                        _qa("h3", "Which composers composed pieces for the instrument?", "Mozart"),
                    ],
                },
            ],
        },
        {
            "title": "Emperor_penguin",
            "paragraphs": [
                {
                    "context": "The emperor penguin is the tallest and heaviest of all living "
                    "penguin species. Adults stand about 122 centimetres tall.",
                    "qas": [
                        _qa("p1", "How tall do adult emperor penguins stand?", "122 centimetres"),
                        _qa("p2", "Which penguin species is the heaviest?", "emperor penguin"),
                    ],
                }
            ],
        },
        {
            "title": "Basalt",
            "paragraphs": [
                {
                    "context": "Basalt is a fine-grained volcanic rock formed from the rapid "
                    "cooling of lava rich in magnesium and iron.",
                    "qas": [
                        _qa("b1", "What is basalt?", "volcanic rock"),
                        _qa("b2", "Basalt forms from the rapid cooling of what?", "lava"),
                        # Nothing in the file is about Reykjavik: this one must be "not found".
                        _qa("b3", "What is the population of Reykjavik?", "131,000"),
                    ],
                }
            ],
        },
    ],
}


@pytest.fixture
def squad_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-squad.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(corpus_dir=tmp_path / "unused", data_dir=tmp_path / "data")


# --- SQuAD's answer normalisation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Beatles!", "beatles"),
        ("an   apple,  a pear", "apple pear"),
        ("U.S. Army", "us army"),
        ("Theatre of the Absurd", "theatre of absurd"),  # whole words only
        ("  $6 million. ", "6 million"),
    ],
)
def test_normalize_answer_drops_case_punctuation_and_articles(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


def test_answer_counts_when_normalised_answer_is_inside_the_excerpt() -> None:
    excerpt = "The glass harmonica was invented by Benjamin Franklin, in 1761."
    assert contains_answer(excerpt, ["benjamin  Franklin"])
    assert contains_answer(excerpt, ["nobody", "the 1761"])
    assert not contains_answer(excerpt, ["Thomas Edison"])
    assert not contains_answer(excerpt, ["", "the"])  # answers that normalise to nothing


# --- metrics from hand-made answers --------------------------------------------------------


def _result(rank: int, excerpt: str, article_id: str = "squad/1", paragraph: int = 1) -> Result:
    return Result(
        rank=rank,
        score=10.0 - rank,
        article_id=article_id,
        title="T",
        url=None,
        paragraphs=(paragraph, paragraph),
        excerpt=excerpt,
        passage=excerpt,
        highlights=(),
    )


def _answer(found: bool, *results: Result, ms: float = 1.0) -> Answer:
    return Answer("q", found, tuple(results), (ArticleRef("squad/1", "T", None),), ms, 1)


def test_score_counts_ranks_hits_and_not_found_by_hand() -> None:
    questions = [
        Question("a", ("Franklin",), "squad/1", 1),
        Question("b", ("1761",), "squad/1", 2),
        Question("c", ("lava",), "squad/2", 1),
        Question("d", ("Reykjavik",), "squad/3", 1),
    ]
    answers = [
        # a: answer and paragraph at rank 1.
        _answer(True, _result(1, "Invented by Franklin."), _result(2, "Other.", paragraph=2)),
        # b: the answer is in the second excerpt; its paragraph is shown third.
        _answer(
            True,
            _result(1, "Nothing here.", paragraph=1),
            _result(2, "In 1761 it was new.", "squad/9", 1),
            _result(3, "Still nothing.", paragraph=2),
        ),
        # c: right paragraph first, but the excerpt misses the answer.
        _answer(True, _result(1, "Basalt is a rock.", "squad/2", 1), ms=3.0),
        # d: not found.
        _answer(False, ms=2.0),
    ]
    metrics = score(questions, answers, k=3)
    assert metrics.questions == 4
    assert metrics.answer_at_1 == pytest.approx(1 / 4)
    assert metrics.answer_at_3 == pytest.approx(2 / 4)
    assert metrics.hit_at_1 == pytest.approx(2 / 4)
    assert metrics.hit_at_5 == pytest.approx(3 / 4)
    assert metrics.mrr_at_10 == pytest.approx((1 + 1 / 3 + 1) / 4)
    assert metrics.found_rate == pytest.approx(3 / 4)
    shown = ["Invented by Franklin.", "Other.", "Nothing here.", "In 1761 it was new."]
    shown += ["Still nothing.", "Basalt is a rock."]
    assert metrics.mean_excerpt_chars == pytest.approx(sum(map(len, shown)) / len(shown))
    # Nearest rank over the sorted times 1, 1, 2, 3 ms.
    assert metrics.p50_ms == 1.0
    assert metrics.p99_ms == 3.0


def test_score_refuses_an_empty_question_set() -> None:
    with pytest.raises(CitebotError):
        score([], [])


# --- the whole pipeline on the fixture -----------------------------------------------------


def test_fixture_loads_as_articles_with_numbered_paragraphs(squad_file: Path) -> None:
    articles = load_squad(squad_file)
    assert [a.title for a in articles] == ["Glass harmonica", "Emperor penguin", "Basalt"]
    assert [q.paragraph for q in articles[0].questions] == [1, 1, 2]
    assert sum(len(a.questions) for a in articles) == 8


def test_eval_on_the_fixture_answers_every_answerable_question_first(
    squad_file: Path, settings: Settings
) -> None:
    metrics = evaluate(load_squad(squad_file), settings)
    # Seven questions have their answer in one short paragraph: each is shown first.
    # The Reykjavik question matches nothing and is answered "not found".
    assert metrics.questions == 8
    assert metrics.found_rate == pytest.approx(7 / 8)
    assert metrics.answer_at_1 == pytest.approx(7 / 8)
    assert metrics.answer_at_3 == pytest.approx(7 / 8)
    assert metrics.hit_at_1 == pytest.approx(7 / 8)
    assert metrics.mrr_at_10 == pytest.approx(7 / 8)
    assert 0 < metrics.mean_excerpt_chars <= 400
    assert metrics.p50_ms <= metrics.p99_ms


def test_eval_limit_asks_only_the_first_questions(squad_file: Path, settings: Settings) -> None:
    metrics = evaluate(load_squad(squad_file), settings, limit=2)
    assert metrics.questions == 2
    assert metrics.answer_at_1 == 1.0


def test_holdout_questions_about_unindexed_articles_are_not_found(
    squad_file: Path, settings: Settings
) -> None:
    # Articles 1 and 3 are indexed; the penguin article's two questions are asked.
    holdout = evaluate_holdout(load_squad(squad_file), settings)
    assert (holdout.indexed_articles, holdout.unseen_articles) == (2, 1)
    assert holdout.questions_about_unseen == 2
    assert holdout.not_found_rate == 1.0


def test_eval_rejects_a_file_that_is_not_squad(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"data": [{"title": "x"}]}))
    with pytest.raises(CitebotError, match="SQuAD"):
        load_squad(bad)


_ARTICLE = {"title": "x", "paragraphs": [{"context": "abc", "qas": []}]}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([], "the file is not a JSON object"),
        ({"data": 1}, "'data' is not a list"),
        ({"data": [1]}, "an entry of 'data' is not a JSON object"),
        ({"data": [{**_ARTICLE, "title": 5}]}, "'title' is not text"),
        ({"data": [{"title": "x", "paragraphs": [{"context": 5, "qas": []}]}]}, "'context'"),
        (
            {
                "data": [
                    {"title": "x", "paragraphs": [{"context": "abc", "qas": [{"answers": []}]}]}
                ]
            },
            "no 'question'",
        ),
        (
            {
                "data": [
                    {
                        "title": "x",
                        "paragraphs": [
                            {"context": "a", "qas": [{"question": 5, "answers": [{"text": "a"}]}]}
                        ],
                    }
                ]
            },
            "'question' is not text",
        ),
    ],
)
def test_eval_names_what_is_wrong_in_a_malformed_squad_file(
    tmp_path: Path, data: object, reason: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    run = run_citebot("eval", str(bad), cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith(f"citebot: {bad} is not in SQuAD v1.1 format (")
    assert reason in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.splitlines()) == 1


# --- the real command ----------------------------------------------------------------------


def test_eval_command_prints_metrics_as_json(squad_file: Path, tmp_path: Path) -> None:
    run = run_citebot("eval", str(squad_file), "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    metrics = json.loads(run.stdout)
    assert set(metrics) == {
        "questions",
        "k",
        "answer_at_1",
        "answer_at_3",
        "answer_at_k",
        "hit_at_1",
        "hit_at_5",
        "mrr_at_10",
        "found_rate",
        "mean_excerpt_chars",
        "p50_ms",
        "p99_ms",
    }
    assert metrics["questions"] == 8
    assert metrics["found_rate"] == pytest.approx(7 / 8)


def test_eval_command_holdout_json(squad_file: Path, tmp_path: Path) -> None:
    run = run_citebot("eval", str(squad_file), "--json", "--holdout", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {
        "indexed_articles": 2,
        "unseen_articles": 1,
        "questions_about_unseen": 2,
        "not_found_rate": 1.0,
    }


# --- each article as its own library -------------------------------------------------------


def test_per_article_asks_each_library_its_own_and_other_articles_questions(
    squad_file: Path, settings: Settings
) -> None:
    # Article j gives library i its question number i (wrapping). Harmonica (i=0): p1, b1. Penguin (i=1): h2, b2. Basalt (i=2): h3, p1.
    # Every off-topic question is about another subject: all six are "not found".
    # Own questions: all but the Reykjavik one (basalt) are answered at rank 1.
    metrics = evaluate_per_article(load_squad(squad_file), settings)
    assert metrics.articles == 3
    assert metrics.questions == 8
    assert metrics.answer_at_1 == pytest.approx(7 / 8)
    assert metrics.answer_at_3 == pytest.approx(7 / 8)
    assert metrics.not_found_rate == pytest.approx(1 / 8)
    assert metrics.worst_article_not_found_rate == pytest.approx(1 / 3)
    assert metrics.off_topic_questions == 6
    assert metrics.off_topic_not_found_rate == 1.0


def test_per_article_needs_two_articles(squad_file: Path, settings: Settings) -> None:
    with pytest.raises(CitebotError, match="two articles"):
        evaluate_per_article(load_squad(squad_file)[:1], settings)


# --- docs sets -----------------------------------------------------------------------------


@pytest.fixture
def docs_set(tmp_path: Path) -> Path:
    root = tmp_path / "docs-set"
    (root / "pages" / "guide").mkdir(parents=True)
    (root / "pages" / "guide" / "install.md").write_text(
        "# Installing Quill\n\nQuill needs Python 3.11 or newer. "
        "Install it with pip install quill-docs and check it with quill --version.\n",
        encoding="utf-8",
    )
    (root / "pages" / "guide" / "themes.md").write_text(
        "# Themes\n\nA theme sets the fonts and colours of every page. "
        "Pick one with the theme key in quill.toml; the default theme is called Parchment.\n",
        encoding="utf-8",
    )
    lines = [
        {
            "question": "Which Python version does Quill need?",
            "phrases": ["Python 3.11 or newer"],
            "source": "guide/install.md",
        },
        {
            "question": "What is the default theme called?",
            "phrases": ["called Parchment"],
            "source": "guide/themes.md",
        },
        {"question": "How do I deploy Quill on Kubernetes?", "uncovered": True},
    ]
    (root / "questions.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    (root / "chat.jsonl").write_text(json.dumps(lines[1]) + "\n")
    return root


def test_docs_set_metrics_by_hand(docs_set: Path, settings: Settings) -> None:
    pages, questions = load_docs_set(docs_set)
    assert pages == docs_set / "pages"
    assert [q.covered for q in questions] == [True, True, False]
    metrics = evaluate_docs(pages, questions, settings)
    # Two answerable questions, each answered by its own page's one sentence; the
    # Kubernetes question shares no word with the pages beyond "Quill".
    assert (metrics.pages, metrics.answerable, metrics.uncovered) == (2, 2, 1)
    assert metrics.excerpt_at_1 == 1.0
    assert metrics.page_at_1 == 1.0
    assert metrics.answerable_not_found_rate == 0.0
    assert metrics.uncovered_not_found_rate == 1.0


def test_docs_set_question_file_beside_its_pages(docs_set: Path) -> None:
    pages, questions = load_docs_set(docs_set / "chat.jsonl")
    assert pages == docs_set / "pages"
    assert [q.question for q in questions] == ["What is the default theme called?"]


def test_docs_set_rejects_a_bad_line(docs_set: Path) -> None:
    (docs_set / "questions.jsonl").write_text('{"question": "no phrases"}\n')
    with pytest.raises(CitebotError, match="questions.jsonl:1"):
        load_docs_set(docs_set)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"question": "q", "phrases": "a phrase", "source": "p.md"}', "'phrases' is not a list"),
        ('{"question": "q", "phrases": ["a"], "source": 5}', "'source' is not text"),
        ("5", "not a JSON object"),
        ('{"question": "q"}', "no 'phrases'"),
    ],
)
def test_docs_set_line_of_the_wrong_shape_is_named(docs_set: Path, line: str, reason: str) -> None:
    (docs_set / "questions.jsonl").write_text(line + "\n")
    with pytest.raises(CitebotError, match="questions.jsonl:1 is not a docs-set line") as caught:
        load_docs_set(docs_set)
    assert reason in str(caught.value)


def test_eval_command_per_article_json(squad_file: Path, tmp_path: Path) -> None:
    run = run_citebot("eval", str(squad_file), "--json", "--per-article", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    metrics = json.loads(run.stdout)
    assert metrics["questions"] == 8
    assert metrics["off_topic_not_found_rate"] == 1.0


def test_eval_command_reads_a_docs_set_folder(docs_set: Path, tmp_path: Path) -> None:
    run = run_citebot("eval", str(docs_set), "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["excerpt_at_1"] == 1.0
