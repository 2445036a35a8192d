from __future__ import annotations

import pytest

from bot.text import Analyzer, sentence_spans


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer("english")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nvidia's H100 chips", ["nvidia", "h100", "chip"]),
        ("DeepSeek-R1 beats OpenAI o1", ["deepseek", "r1", "beat", "openai", "o1"]),
        ("built for under $6M in 2025", ["built", "$6m", "2025"]),
        ("U.S. export controls", ["u.s.", "export", "control"]),
        ("It costs 1,000 dollars or 6.5 million", ["cost", "1,000", "dollar", "6.5", "million"]),
    ],
)
def test_searchable_names_numbers_and_abbreviations_survive_analysis(
    analyzer: Analyzer, text: str, expected: list[str]
) -> None:
    assert analyzer.terms(text) == expected


def test_question_and_passage_forms_meet_after_stemming(analyzer: Analyzer) -> None:
    assert analyzer.terms("Who founded it?") == analyzer.terms("it was founded")
    assert analyzer.terms("controls") == analyzer.terms("controlling")


def test_fullwidth_and_case_variants_are_the_same_term(analyzer: Analyzer) -> None:
    assert analyzer.terms("Ｈ１００") == analyzer.terms("h100") == ["h100"]


def test_stopwords_only_question_has_no_terms(analyzer: Analyzer) -> None:
    assert analyzer.terms("What is it that they were doing?") == []
    assert analyzer.terms("?!... ---") == []


def test_token_spans_point_at_the_original_words(analyzer: Analyzer) -> None:
    text = "The Ｈ１００ and U.S. rules"
    spans = {text[t.start : t.end] for t in analyzer.tokens(text)}
    assert spans == {"Ｈ１００", "U.S.", "rules"}


def test_other_languages_stem_with_their_own_rules() -> None:
    assert Analyzer("french").terms("continuellement") == ["continuel"]


def test_sentences_do_not_break_after_abbreviations_or_initials() -> None:
    text = "The U.S. rules came in Oct. 2022. Mr. Smith agreed. J. Doe did not!\n\nNew paragraph"
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "The U.S. rules came in Oct. 2022.",
        "Mr. Smith agreed.",
        "J. Doe did not!",
        "New paragraph",
    ]


def test_dotted_initials_do_not_end_a_sentence() -> None:
    # "H.W." is a name's initials, as "J." is: the excerpt must not start at "Wembly".
    text = "Examiner H.W. Wembly ruled on it. He studied at M.I.T. Boston was home."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Examiner H.W. Wembly ruled on it.",
        "He studied at M.I.T. Boston was home.",
    ]


def test_latin_accents_fold_so_names_typed_without_them_match() -> None:
    analyzer = Analyzer()
    assert analyzer.terms("Gospić") == analyzer.terms("Gospic")
    assert analyzer.terms("café") == analyzer.terms("cafe")


def test_marks_of_other_scripts_are_kept() -> None:
    analyzer = Analyzer()
    # Devanagari vowel signs are part of the word, not accents.
    assert analyzer.terms("हिन्दी") != analyzer.terms("हनद")


def test_highlight_spans_are_the_asked_words_as_written(analyzer: Analyzer) -> None:
    text = "Tesla moved to Paris; the TESLA coil came later."
    spans = analyzer.spans(text, {"tesla"})
    assert [text[a:b] for a, b in spans] == ["Tesla", "TESLA"]
    assert spans == [(t.start, t.end) for t in analyzer.tokens(text) if t.term == "tesla"]


def test_a_numbered_list_items_number_is_not_a_sentence_of_its_own() -> None:
    text = "12. Install the package. Then run it.\n\nIt shipped in 1999. Then it grew."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "12. Install the package.",
        "Then run it.",
        "It shipped in 1999.",
        "Then it grew.",
    ]
