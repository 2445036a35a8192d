"""The re-ranker's in-article weights and article share, by hand."""

import math
import re

from support import REPO

from bot.rerank import (
    _CUES,
    _NAME,
    WEIGHTS,
    Query,
    Sentence,
    _holds_cue,
    candidate,
    candidate_weights,
    features,
    local_weights,
    sentences,
)
from bot.text import Analyzer, passage_sentences


def test_local_weights_favour_terms_few_passages_of_the_article_hold():
    query = Query.of(
        "When did Tesla move to Paris?",
        ["tesla", "move", "pari"],
        dict.fromkeys(["tesla", "move", "pari"], 1.0),
    )
    local = local_weights(query, 10, {"tesla": 10, "pari": 1})
    assert local["tesla"] == math.log(0.5 / 10.5 + 1)
    assert local["pari"] == math.log(9.5 / 1.5 + 1)
    assert local["move"] == math.log(10.5 / 0.5 + 1)  # held by none: weighs most
    assert local["tesla"] < local["pari"] < local["move"]


def test_article_share_and_local_weights_raise_a_candidate():
    weights = {"tesla": 1.0, "pari": 1.0}
    query = Query.of("Tesla Paris", ["tesla", "pari"], weights)
    sents = (Sentence(0, 10, frozenset({"pari"}), 0.5, 0.0, False),)
    plain = candidate(0, 5.0, 5.0, sents, frozenset(), query)
    shared = candidate(0, 5.0, 5.0, sents, frozenset(), query, article_share=0.5)
    assert shared.score > plain.score
    rare_local, common_local = {"tesla": 0.1, "pari": 2.0}, {"tesla": 2.0, "pari": 0.1}
    rare = candidate(
        0,
        5.0,
        5.0,
        (sents[0]._replace(local=2.0 / 2.1),),
        frozenset(),
        query,
        local=rare_local,
    )
    common = candidate(
        0,
        5.0,
        5.0,
        (sents[0]._replace(local=0.1 / 2.1),),
        frozenset(),
        query,
        local=common_local,
    )
    assert rare.score > common.score


def test_candidate_weights_favour_terms_few_candidates_hold():
    weights = {"tesla": 1.0, "pari": 2.0, "move": 1.0}
    question = "When did Tesla move to Paris?"
    query = Query.of(question, ["tesla", "move", "pari"], weights)
    held = [frozenset({"tesla", "pari"}), frozenset({"tesla"}), frozenset({"tesla", "move"})]
    among = candidate_weights(query, held)
    assert among["tesla"] == math.log(0.5 / 3.5 + 1)  # every candidate holds it
    assert among["pari"] == 2.0 * math.log(2.5 / 1.5 + 1)  # one does, and it weighs twice
    assert among["move"] == math.log(2.5 / 1.5 + 1)
    # Two passages each holding Tesla and one other question word, all weighing the
    # same: the one whose sentence holds the word the other candidates lack comes first.
    query = Query.of(question, ["tesla", "move", "pari"], dict.fromkeys(weights, 1.0))
    sents_paris = (Sentence(0, 10, frozenset({"tesla", "pari"}), 2 / 3, 0.0, False),)
    sents_move = (Sentence(0, 10, frozenset({"tesla", "move"}), 2 / 3, 0.0, False),)
    held = [
        frozenset({"tesla", "move"}),
        frozenset({"tesla", "move"}),
        frozenset({"tesla", "pari"}),
    ]
    among = candidate_weights(query, held)
    paris = candidate(0, 5.0, 5.0, sents_paris, frozenset(), query, candidates=among)
    move = candidate(1, 5.0, 5.0, sents_move, frozenset(), query, candidates=among)
    assert paris.coverage == move.coverage
    assert paris.score > move.score


def test_a_candidates_score_is_its_features_weighed():
    """The fit (benchmarks/fit_reranker.py) reads `features`: the score must be made of them."""
    weights = {"tesla": 2.0, "pari": 1.0, "move": 1.0}
    query = Query.of("When did Tesla move to Paris?", ["tesla", "move", "pari"], weights)
    sents = (
        Sentence(0, 10, frozenset({"tesla"}), 0.5, 0.0, False, 0.1),
        Sentence(11, 30, frozenset({"move", "pari"}), 0.5, 0.25, True, 0.9),
    )
    local = {"tesla": 0.1, "move": 2.0, "pari": 1.0}
    among = {"tesla": 0.5, "move": 1.0, "pari": 0.5}
    extra = {
        "article_share": 0.4,
        "article_density": 0.5,
        "local": local,
        "code_share": 0.2,
        "page_title": frozenset({"pari"}),
        "candidates": among,
    }
    found = features(3.0, 6.0, sents, frozenset({"tesla"}), query, **extra)
    assert found["bm25_relative"] == 0.5
    assert found["coverage"] == 1.0
    assert found["title"] == 0.5  # "tesla" is in the title: half the question's weight
    assert found["page_title"] == 0.25  # "pari" in the page's own title: a quarter
    assert found["article_density"] == 0.5
    assert found["best_sentence"] == 0.75
    assert found["cue"] == 1.0
    assert found["local_best"] == 0.9
    assert found["candidates"] == 0.75  # "move" and "pari" of the candidates' 2.0
    scored = candidate(7, 3.0, 6.0, sents, frozenset({"tesla"}), query, **extra)
    assert set(found) == set(WEIGHTS)
    assert math.isclose(scored.score, sum(WEIGHTS[n] * v for n, v in found.items()))


def test_a_how_to_question_finds_its_cue_in_a_code_span():
    analyzer = Analyzer()
    question = "How do I set the status code of a response?"
    terms = analyzer.terms(question)
    query = Query.of(question, terms, dict.fromkeys(terms, 1.0))
    assert query.kind == "method"
    text = (
        "Set the status code of a response in the decorator. "
        "Set the status code of a response with `status_code=201`."
    )
    about, how = sentences(text, 0, len(text), query, analyzer)
    assert not about.cue and how.cue
    assert about.coverage == how.coverage  # the code span alone tells them apart
    assert how.score > about.score
    assert about.pairs == how.pairs
    # "How many" and "how long" still ask for a number.
    many = "How many status codes are there?"
    assert Query.of(many, analyzer.terms(many), {}).kind == "number"


def test_a_passage_scored_again_for_another_question_reads_that_question():
    """The re-ranker keeps a passage's sentences between questions; what each
    question asks for (a date, a name it does not hold) is still its own."""
    analyzer = Analyzer()
    text = "Tesla moved to Paris in 1882. He met Edison there."
    when = ["tesla", "move", "pari"]
    who = ["met", "tesla"]
    asked_when = Query.of("When did Tesla move to Paris?", when, dict.fromkeys(when, 1.0))
    asked_who = Query.of("Who met Tesla?", who, dict.fromkeys(who, 1.0))
    asked_edison = Query.of("Who is Edison?", ["edison"], {"edison": 1.0})
    for _ in range(2):  # the second round reads what the first one kept
        first, second = sentences(text, 0, len(text), asked_when, analyzer)
        assert first.cue and not second.cue  # 1882: a date
        first, second = sentences(text, 0, len(text), asked_who, analyzer)
        assert second.cue and second.matched == {"met"}  # Edison: a name not asked about
        first, second = sentences(text, 0, len(text), asked_edison, analyzer)
        assert not second.cue  # the only name is the one asked about


def bundled_sentences() -> list[str]:
    """Every sentence of the bundled articles, and each again upper-cased, run together
    and glued to a letter (where a word boundary moves), with a few that cut close."""
    sentences_: list[str] = []
    for path in sorted((REPO / "corpus").rglob("*.md")):
        text = path.read_text()
        sentences_ += [text[s:e] for s, e in passage_sentences(text, 0, len(text))]
    tricky = ["1999s", "In 2010S", "x1999", "_2001", "Maybe", "in MAY", "per cent", "per  cent"]
    tricky += [
        "50%",
        "used  to",
        "Ten",
        "often",
        "`x`",
        "centurion",
        "xcentury",
        "٢٠١٠",
        "ſeptember",
    ]
    return [
        *tricky,
        *sentences_,
        *(s.upper() for s in sentences_),
        *(s.replace(" ", "") for s in sentences_),
        *("x" + s for s in sentences_),
    ]


def test_a_cue_settled_by_substrings_is_the_one_its_pattern_finds():
    for sentence in bundled_sentences():
        for kind, pattern in _CUES.items():
            assert _holds_cue(sentence, kind) == bool(pattern.search(sentence)), (kind, sentence)


def test_names_are_capitalised_words_that_do_not_start_a_sentence():
    # The plain statement of the rule; `_NAME` reads the capital first, to be quicker.
    plain = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
    for sentence in bundled_sentences():
        assert _NAME.findall(sentence) == plain.findall(sentence), sentence
    assert _NAME.findall("Then Nikola Tesla met Edison. He said") == ["Nikola", "Tesla", "Edison"]
