"""Excerpts: the sentences of a passage that answer, verbatim, with the question's words marked."""

from __future__ import annotations

from bot.excerpt import choose_excerpt, excerpt_sentence
from bot.rerank import Query, best_sentence, sentences
from bot.text import Analyzer


def query_of(question: str, analyzer: Analyzer) -> Query:
    terms = analyzer.terms(question)
    return Query.of(question, terms, dict.fromkeys(terms, 1.0))


def test_excerpt_is_verbatim_and_marks_the_question_words():
    analyzer = Analyzer()
    text = (
        "Okapis live in the Ituri rainforest of central Africa. They eat leaves and fruit. "
        "Their closest living relative is the giraffe."
    )
    excerpt = choose_excerpt(
        text, 0, len(text), query_of("Where do okapis live?", analyzer), analyzer
    )
    assert excerpt.text in text
    assert excerpt.text.startswith("Okapis live in the Ituri rainforest")
    marked = {excerpt.text[start:end].casefold() for start, end in excerpt.highlights}
    assert {"okapis", "live"} <= marked


def test_excerpt_comes_from_the_passage_it_is_given_only():
    analyzer = Analyzer()
    outside = "Okapis live in zoos too. "
    passage = "Wild okapis live in the Ituri rainforest. They are shy and rarely seen."
    text = outside + passage
    start = len(outside)
    excerpt = choose_excerpt(
        text, start, len(text), query_of("Where do okapis live?", analyzer), analyzer
    )
    assert excerpt.text in passage
    assert "zoos" not in excerpt.text


def test_excerpt_shows_the_start_of_the_next_sentence_in_the_room_left():
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
    analyzer = Analyzer()
    before = "The company " + "built lighting systems and dynamos for the city " * 10 + "today. "
    last = "Tesla moved to Paris in 1882 to work for the Continental Edison Company."
    text = before + last
    terms = analyzer.terms("When did Tesla move to Paris?")
    query = Query.of("When did Tesla move to Paris?", terms, dict.fromkeys(terms, 1.0))
    excerpt = choose_excerpt(text, 0, len(text), query, analyzer, max_chars=200)
    assert excerpt.text.startswith("…") and excerpt.text.endswith(last)
    assert len(excerpt.text) <= 200 and text.endswith(excerpt.text[1:])


def test_sentences_past_among_only_extend_the_best_one():
    analyzer = Analyzer()
    own = "Okapis dwell in the Ituri rainforest. "
    after = (
        "They browse " + "leaves and shoots and fruit " * 10 + "all day. "
        "Zoo okapis live in pens, where okapis live alone."
    )
    text = own + after
    query = query_of("Where do okapis live?", analyzer)
    scored = sentences(text, 0, len(text), query, analyzer)
    assert best_sentence(scored) == 2  # a sentence past the passage echoes the question more
    excerpt = choose_excerpt(text, 0, len(own), query, analyzer, scored=scored, among=1)
    # The passage's own sentence is shown first; what follows may extend it.
    assert excerpt.text.startswith("Okapis dwell in the Ituri rainforest. They browse")
    assert text[excerpt.start : excerpt.end] in excerpt.text
    anywhere = choose_excerpt(text, 0, len(own), query, analyzer, scored=scored)
    assert anywhere.text.endswith("where okapis live alone.")
    assert "Okapis dwell" not in anywhere.text


def test_excerpt_starts_from_the_words_the_passage_does_not_repeat():
    # Each of the first and last sentences holds two of the question's four words; the
    # passage names Tesla twice and Colorado in every sentence, so the laboratory is
    # what tells the last one apart.
    analyzer = Analyzer()
    text = (
        "Tesla was famous in Colorado. Tesla liked Colorado a lot. "
        "His laboratory stood on Knob Hill, east of Colorado Springs."
    )
    question = "Where did Tesla build his laboratory in Colorado?"
    query = query_of(question, analyzer)
    scored = sentences(text, 0, len(text), query, analyzer)
    assert scored[0].coverage == scored[2].coverage  # the same share of the question
    assert excerpt_sentence(scored, query) == 2
    excerpt = choose_excerpt(text, 0, len(text), query, analyzer, max_chars=80)
    assert excerpt.text == "His laboratory stood on Knob Hill, east of Colorado Springs."


def test_an_excerpt_never_starts_at_a_heading_its_citation_names():
    # The heading echoes the question best, but the citation names it already: the
    # excerpt grows from the text under it, which has the heading's room, and never
    # reaches back over it either, nor shows the end of it before the text.
    analyzer = Analyzer()
    heading = "Pruning the old climbing roses in the walled garden"
    under = (
        "Cut each cane back by a third in late winter. Seal the cuts with wax. "
        "Burn the clippings far from the beds."
    )
    text = f"{heading}\n\n{under}"
    query = query_of("How do I prune the old climbing roses?", analyzer)
    scored = sentences(text, 0, len(text), query, analyzer)
    assert best_sentence(scored) == 0
    named = {0}

    excerpt = choose_excerpt(text, 0, len(text), query, analyzer, named=named, max_chars=200)
    last = choose_excerpt(
        text, 0, len(text), query, analyzer, scored=scored[:2], named=named, max_chars=200
    )

    assert excerpt.text == under  # three sentences under the heading, not the heading and two
    assert excerpt.start == len(heading) + 2
    assert last.text == "Cut each cane back by a third in late winter."
    # A heading the citation does not name is shown as any sentence is.
    shown = choose_excerpt(text, 0, len(text), query, analyzer, max_chars=200).text
    assert shown.startswith(heading) and "Burn" not in shown
