"""The re-ranker's in-article weights and article share, by hand."""

import math

from bot.rerank import Query, Sentence, candidate, local_weights


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


def test_excerpt_shows_the_start_of_the_next_sentence_in_the_room_left():
    from bot.excerpt import choose_excerpt
    from bot.text import Analyzer

    analyzer = Analyzer()
    first = "Tesla moved to Paris in 1882 to work for the Continental Edison Company. "
    second = "He worked there on " + "the installation of lighting systems and dynamos " * 10 + "."
    text = first + second
    terms = analyzer.terms("When did Tesla move to Paris?")
    query = Query.of("When did Tesla move to Paris?", terms, dict.fromkeys(terms, 1.0))
    excerpt = choose_excerpt(text, 0, len(text), query, analyzer, max_chars=200)
    assert excerpt.text.startswith(first + "He worked there")
    assert excerpt.text.endswith("…") and len(excerpt.text) <= 200
    assert text.startswith(excerpt.text[:-1])
    short = choose_excerpt(text, 0, len(text), query, analyzer, max_chars=100)
    assert short.text == first.strip()  # under 40 characters of room: whole sentences only


def test_excerpt_at_the_end_of_a_passage_shows_the_end_of_the_sentence_before():
    from bot.excerpt import choose_excerpt
    from bot.text import Analyzer

    analyzer = Analyzer()
    before = "The company " + "built lighting systems and dynamos for the city " * 10 + "today. "
    last = "Tesla moved to Paris in 1882 to work for the Continental Edison Company."
    text = before + last
    terms = analyzer.terms("When did Tesla move to Paris?")
    query = Query.of("When did Tesla move to Paris?", terms, dict.fromkeys(terms, 1.0))
    excerpt = choose_excerpt(text, 0, len(text), query, analyzer, max_chars=200)
    assert excerpt.text.startswith("…") and excerpt.text.endswith(last)
    assert len(excerpt.text) <= 200 and text.endswith(excerpt.text[1:])
