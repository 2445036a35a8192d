from __future__ import annotations

import unicodedata

import pytest

from bot.text import Analyzer, sentence_spans, word_count


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


def test_cjk_is_read_in_overlapping_pairs_split_where_the_script_changes(
    analyzer: Analyzer,
) -> None:
    # Lucene's CJKBigramFilter: a run of Han or kana in pairs, a token ends where the
    # script changes, so the Latin name and the year are terms of their own.
    tokens = analyzer.tokens("DeepSeekは2023年に設立")
    assert [(t.term, t.start, t.end) for t in tokens] == [
        ("deepseek", 0, 8),
        ("は", 8, 9),  # a character alone stays itself
        ("2023", 9, 13),
        ("年に", 13, 15),
        ("に設", 14, 16),
        ("設立", 15, 17),
    ]
    assert analyzer.terms("서울의 인구") == ["서울", "울의", "인구"]
    # Hangul saved decomposed (NFD, letter by letter) meets Hangul typed composed.
    assert analyzer.terms(unicodedata.normalize("NFD", "서울의 인구")) == ["서울", "울의", "인구"]
    assert analyzer.terms("深度求索") == ["深度", "度求", "求索"]
    # Half-width kana meet full-width ones; no stemming or stop words touch a pair.
    assert analyzer.terms("ｶﾞｽ") == analyzer.terms("ガス") == ["ガス"]


def test_highlights_of_overlapping_pairs_are_one_span(analyzer: Analyzer) -> None:
    text = "同社は杭州で設立された"
    assert [text[s:e] for s, e in analyzer.spans(text, {"設立", "立さ", "杭州"})] == [
        "杭州",
        "設立さ",
    ]


def test_chinese_and_japanese_sentences_end_at_their_full_stops() -> None:
    text = "東京は日本の首都です。大阪は二番目に大きい都市です！本当？はい。Next one."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "東京は日本の首都です。",
        "大阪は二番目に大きい都市です！",
        "本当？",
        "はい。",
        "Next one.",
    ]
    # Many Japanese texts end sentences with "．" (beside "，"); a number keeps its "．".
    japanese = ["設定は完了です．", "価格は３．５ドルです．", "次へ進みます｡", "以上。"]
    joined = "".join(japanese)
    assert [joined[s:e] for s, e in sentence_spans(joined)] == japanese


def test_passage_sizes_count_each_cjk_character_as_a_word() -> None:
    # Text without spaces would otherwise be one "word" a paragraph, and a whole article
    # one passage.
    assert word_count("DeepSeekは2023年に設立") == 7
    assert word_count(unicodedata.normalize("NFD", "서울의 인구")) == 5
    assert word_count("Tesla built the lab in 1899.") == 6
