"""The "not found" decision: evidence from library weights and English at large."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from support import library_of

from bot.answer import Engine
from bot.found import (
    MAX_SIZE,
    RARE_UNKNOWN_AT_MOST,
    THRESHOLD,
    UNKNOWN_AT_MOST,
    Name,
    answers,
    confidence,
    english_share,
    evidence,
    features,
    informativeness,
    junctions,
    question_grammar,
    question_names,
    word_shares,
)
from bot.settings import Settings
from bot.text import Analyzer

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_e0b9468542a9bc2d.txt"
DOCSETS = Path(__file__).resolve().parents[1] / "benchmarks" / "docsets"
FASTAPI_PAGES = DOCSETS / "fastapi-tutorial"

#: A one-article library whose subject is in every paragraph, as an admin's first article is.
LIGHTHOUSE = """The Skerry Lighthouse

The Skerry lighthouse stands on a bare rock eleven miles off the northern coast. At high tide the sea covers all of the rock but the tower's base, and in winter storms waves break over the lantern gallery. Ships bound for the northern ports have steered by the lighthouse for more than a century and a half.

The lighthouse was built by the engineer Thomas Stevenson between 1851 and 1854. Granite for the tower was cut and dressed on the mainland, numbered stone by stone, and shipped out in calm weather. Masons could land on the rock on fewer than ninety days a year, so the lighthouse took four summers to finish.

Keepers lived at the lighthouse in shifts of six weeks, three men at a time. They tended the lamp through the night, wound the clockwork that turned the lens, and wrote the weather into a log every three hours. A relief boat brought food, oil and letters, when the sea allowed it to come alongside the lighthouse.

The lighthouse light was converted to electricity in 1931. A generator house was built on the landing stage, the oil lamp was replaced by a lamp of three thousand watts, and the clockwork rotation gave way to an electric motor. The range of the lighthouse rose from eighteen to twenty four miles.

Since 1998 the lighthouse has been automatic. No keeper lives on the rock any more: the light, the fog signal and the generators are watched from the mainland, and a maintenance crew visits the lighthouse by helicopter twice a year to service the lamp and inspect the tower.
"""


def test_informativeness_orders_words_by_how_much_they_name_a_subject() -> None:
    assert informativeness("the") < informativeness("guys") < informativeness("walrus")
    assert informativeness("Walrus") == informativeness("walrus")
    assert informativeness("qwxzvbnt") == 1.0  # never seen in English
    assert 0.0 <= informativeness("the") < 0.1


def test_numbers_are_as_common_as_english_writes_them() -> None:
    # wordfreq keeps "0000" for every four-digit number: "2000" is no never-seen word.
    assert informativeness("the") < informativeness("2000") < 0.6
    assert informativeness("2000") < informativeness("404") < informativeness("walrus")


def test_evidence_by_hand() -> None:
    weights = {"walrus": 4.0, "operat": 2.0, "zork": 6.0}
    informative = {"walrus": 0.6, "operat": 0.4, "zork": 1.0}
    found = evidence(
        weights,
        informative,
        known=frozenset({"walrus", "operat"}),
        matched=frozenset({"walrus"}),
        best_sentence=0.3,
        local_best=0.2,
        bm25=5.0,
        passages=10,
        held={"walrus": 3, "operat": 2},
    )
    assert found.coverage == pytest.approx(4 / 12)
    assert found.known_coverage == pytest.approx(4 / 6)
    # "zork", which the library lacks, counts at most UNKNOWN_AT_MOST (0.5) of its 1.0.
    assert found.informative_coverage == pytest.approx(0.6 / 1.5)
    assert found.missed_informative == pytest.approx(0.5)
    assert found.missed_total == pytest.approx(0.4 + 0.5)
    assert found.unknown_share == pytest.approx(0.5 / 1.5)
    assert found.concepts == 3


def test_a_passage_holding_every_informative_word_answers() -> None:
    weights = {"walrus": 4.0, "tusk": 3.0}
    informative = {"walrus": 0.6, "tusk": 0.6}
    held = {"walrus": 5, "tusk": 5}
    full = evidence(weights, informative, frozenset(held), frozenset(held), 1.0, 1.0, 9.0, 50, held)
    none = evidence(weights, informative, frozenset(held), frozenset(), 0.0, 0.0, 0.0, 50, held)
    assert answers(full)
    assert not answers(none)


@pytest.fixture(scope="module")
def seed_library(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    assert SEED.is_file(), f"the seed article is missing: {SEED}"
    return library_of(tmp_path_factory.mktemp("seed"), {SEED.name: SEED.read_bytes()})


def test_one_article_library_answers_who_founded_its_subject(seed_library: Engine) -> None:
    # "DeepSeek" is in every passage, and "founded" is "founder" in the article.
    answer = seed_library.answer("Who founded DeepSeek?")
    assert answer.found
    assert "Liang Wenfeng" in answer.results[0].excerpt


@pytest.mark.parametrize("question", ["who foundd deepseek", "who founded deepseak"])
def test_one_article_library_answers_through_a_typo(seed_library: Engine, question: str) -> None:
    # "foundd" is one slip from both "found" and "founded" (searched alike); "deepseak"
    # spells a vowel as heard.
    answer = seed_library.answer(question)
    assert answer.found
    assert "Liang Wenfeng" in answer.results[0].excerpt


def test_a_word_nobody_has_seen_does_not_block_the_answer(seed_library: Engine) -> None:
    # "xyzzyq" is in neither the library nor English at large: no evidence either way.
    answer = seed_library.answer("who founded deepseek xyzzyq")
    assert answer.found
    assert "Liang Wenfeng" in answer.results[0].excerpt


def test_a_word_the_library_lacks_counts_as_a_middling_word() -> None:
    weights = {"walrus": 4.0, "xyzzyq": 6.0}
    informative = {"walrus": 0.6, "xyzzyq": 1.0}
    held = {"walrus": 5}
    found = evidence(
        weights, informative, frozenset(held), frozenset(held), 1.0, 1.0, 9.0, 50, held
    )
    assert found.informative_coverage == pytest.approx(0.6 / (0.6 + UNKNOWN_AT_MOST))
    assert found.unknown_share == pytest.approx(UNKNOWN_AT_MOST / (0.6 + UNKNOWN_AT_MOST))
    assert found.missed_informative == pytest.approx(UNKNOWN_AT_MOST)


def test_one_article_library_answers_what_its_founder_did_before(seed_library: Engine) -> None:
    answer = seed_library.answer("What was Liang's job before DeepSeek?")
    assert answer.found
    assert "hedge fund" in answer.results[0].excerpt


@pytest.mark.parametrize(
    "question",
    [
        "What does the walrus operator do in Python?",
        "How do I bake sourdough bread?",
        "What is the capital of Peru?",
    ],
)
def test_one_article_library_refuses_what_it_does_not_cover(
    seed_library: Engine, question: str
) -> None:
    answer = seed_library.answer(question)
    assert not answer.found
    assert not answer.results


def test_a_library_larger_than_any_in_the_fit_is_read_as_the_largest() -> None:
    # Extrapolating the size terms to a million passages would refuse answerable questions.
    def at(passages: int) -> float:
        weights = {"walrus": 4.0, "tusk": 3.0}
        informative = {"walrus": 0.6, "tusk": 0.6}
        held = {"walrus": passages // 10, "tusk": passages // 10}
        known = frozenset(held)
        return confidence(
            evidence(weights, informative, known, known, 1.0, 1.0, 9.0, passages, held)
        )

    assert at(1_000_000) == at(100_000) == at(round(math.exp(MAX_SIZE)) + 1)
    assert at(1_000_000) > THRESHOLD


def test_english_share_is_how_often_english_passages_hold_a_word() -> None:
    assert english_share(informativeness("the")) > 0.99
    assert english_share(informativeness("lighthouse")) < english_share(informativeness("elected"))
    assert english_share(informativeness("elected")) < 0.01
    assert english_share(informativeness("xyzzyq")) == 0.0  # English never saw it


def test_rare_missed_word_by_hand() -> None:
    # Missed: "redi" (in one passage), "cach" (in 40), "xyzzyq" (nowhere, unknown to English).
    weights = {"cach": 3.0, "respons": 1.0, "redi": 6.0, "xyzzyq": 7.0}
    informative = {"cach": 0.55, "respons": 0.46, "redi": 0.75, "xyzzyq": 1.0}
    held = {"cach": 40, "respons": 300, "redi": 1}
    found = evidence(
        weights, informative, frozenset(held), frozenset({"respons"}), 0.5, 0.5, 5.0, 1000, held
    )
    # "cach" is missed but common in the library: not a rare word. "xyzzyq" counts at most
    # RARE_UNKNOWN_AT_MOST: a typo or a pasted id is no evidence of another subject.
    assert found.rare_missed == pytest.approx(0.75)
    assert found.rare_missed_total == pytest.approx(0.75 + RARE_UNKNOWN_AT_MOST)
    matched_all = evidence(
        weights, informative, frozenset(held), frozenset(weights), 0.5, 0.5, 5.0, 1000, held
    )
    assert matched_all.rare_missed == matched_all.rare_missed_total == 0.0


def test_a_rare_missed_word_weighs_more_in_a_large_library_than_in_a_small_one() -> None:
    # A small library paraphrases: its article says "built" where the question says
    # "constructed", which it holds nowhere. A large one that never names "Redis" does
    # not answer a question about it.
    def cost(passages: int) -> float:
        weights = {"cach": 3.0, "respons": 1.0, "redi": 6.0}
        informative = {"cach": 0.55, "respons": 0.46, "redi": 0.75}
        common = {"cach": 4, "respons": 20}
        matched = frozenset(common)

        def at(held: dict[str, int]) -> float:
            return confidence(
                evidence(
                    weights, informative, frozenset(held), matched, 0.5, 0.5, 7.0, passages, held
                )
            )

        # What missing "redi" costs when the library names it once rather than ten times.
        return at({**common, "redi": 10}) - at({**common, "redi": 1})

    assert cost(1000) > 0
    assert cost(1000) > cost(30)


@pytest.fixture(scope="module")
def lighthouse_library(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return library_of(tmp_path_factory.mktemp("lighthouse"), {"skerry.txt": LIGHTHOUSE})


def test_one_article_library_answers_through_its_subject(lighthouse_library: Engine) -> None:
    # "lighthouse" is in every passage, so it weighs next to nothing as the library's
    # idf; it is still most of what the question names, and "built" finds the sentence.
    answer = lighthouse_library.answer("Who built the lighthouse?")
    assert answer.found
    assert "Thomas Stevenson" in answer.results[0].excerpt


def test_small_library_weighs_its_words_as_english_does(lighthouse_library: Engine) -> None:
    # "Stevenson" and "electricity" are each in one of the article's five passages: the
    # library alone would weigh them the same. English writes "electricity" far more
    # often, so in a library this small it weighs less.
    read = lighthouse_library.reader.read("Stevenson or electricity?")
    weights = lighthouse_library._understand(read).query.weights
    assert lighthouse_library.index.doc_freq("stevenson") == 1
    assert lighthouse_library.index.doc_freq("electr") == 1
    assert weights["stevenson"] > weights["electr"]


@pytest.mark.parametrize(
    "question",
    [
        "How do I cache responses in Redis?",
        "Who won the 1998 World Cup?",
        "How much does a ticket to the lighthouse cost?",
    ],
)
def test_one_article_library_refuses_what_it_does_not_say(
    lighthouse_library: Engine, question: str
) -> None:
    # The second shares "1998" with the article and nothing else; the third names its
    # subject, which is in every passage, and nothing the article says about it.
    assert not lighthouse_library.answer(question).found


@pytest.fixture(scope="module")
def fastapi_library(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    pages = FASTAPI_PAGES / "pages"
    return Engine.open(Settings(corpus_dir=pages, data_dir=tmp_path_factory.mktemp("data")))


def test_docs_library_refuses_a_tool_it_names_once_in_passing(fastapi_library: Engine) -> None:
    # FastAPI's tutorial says "cache" and "responses" often, and names Redis once, in
    # passing, on the background tasks page: it does not say how to cache in Redis.
    answer = fastapi_library.answer("How do I cache responses in Redis?")
    assert not answer.found


def test_docs_library_answers_in_its_own_words(fastapi_library: Engine) -> None:
    answer = fastapi_library.answer(
        "Does a wildcard allow_origins work with cookies and Authorization headers?"
    )
    assert answer.found
    assert "credentials" in answer.results[0].excerpt


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("How do I deploy my crew to Google Cloud Run?", ["Google Cloud Run"]),
        ("How do I set up role-based access control for my team?", ["role-based"]),
        ("Is there a TypeScript SDK for CrewAI?", ["TypeScript SDK", "CrewAI"]),
        ("Why does nest_asyncio fail in Jupyter?", ["nest_asyncio", "Jupyter"]),
        # A sentence's first word is capitalised anyway; "I" is a stop word.
        ("Kubernetes: can I run it there, or on Docker?", ["Docker"]),
        # A comma or a possessive ends a name; a trailing possessive is dropped.
        (
            "Who played at Levi's Stadium in Miami, Florida?",
            ["Levi", "Stadium", "Miami", "Florida"],
        ),
        ("What did Kublai Khan's army do in 2013-14?", ["Kublai Khan"]),
        # A compound stands alone, next to a name or not; a number range is no name.
        ("Was Luther's best-known work a 0-4 loss?", ["Luther", "best-known"]),
        ("how do i deploy to google cloud run", []),
        # Japanese runs on from a name without a space: the name ends where it does.
        ("DeepSeekの創業者は誰？", ["DeepSeek"]),
    ],
)
def test_question_names_by_hand(question: str, names: list[str]) -> None:
    assert question_names(question) == names


def test_a_name_the_library_holds_apart_by_hand() -> None:
    # Every word is in the best passage; the library writes "role" and "based" but never
    # "role-based"; "Google" and "Cloud" nowhere (no evidence of being apart: "Cloud"
    # alone is a rare word, which says it on its own); "CrewAI" is written.
    weights = {"role": 3.0, "base": 3.0, "access": 3.0}
    informative = {"role": 0.35, "base": 0.31, "access": 0.37}
    held = {"role": 200, "base": 180, "access": 100}
    known = frozenset(held)

    def found(*names: Name) -> float:
        return confidence(
            evidence(weights, informative, known, known, 0.7, 0.7, 10.0, 1900, held, names)
        )

    crewai = Name("CrewAI", True, True)
    apart = Name("role-based", True, False)
    absent = Name("Google Cloud", False, False)
    inputs = features(
        evidence(weights, informative, known, known, 0.7, 0.7, 10.0, 1900, held, (apart,))
    )
    assert inputs["name_apart"] == 1.0
    assert found(apart, crewai) < found(crewai) == found() == found(absent)
    # A rare word missed already says "not covered": the name apart adds nothing then.
    rare = {**held, "rbac": 0}
    with_rare = [
        features(
            evidence(
                {**weights, "rbac": 8.0},
                {**informative, "rbac": 0.8},
                known,
                known,
                0.7,
                0.7,
                10.0,
                1900,
                rare,
                names,
            )
        )["name_apart"]
        for names in [(apart,), ()]
    ]
    assert with_rare == [0.0, 0.0]


DEPLOY_PAGE = """# Deploying

Set `GOOGLE_CLOUD_PROJECT` to your Google Cloud project id before you deploy.

Use `crew run` to run the crew, with at most 10 requests per minute.

Each agent has a role, based on what the crew needs.
"""


@pytest.fixture(scope="module")
def deploy_library(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return library_of(tmp_path_factory.mktemp("deploy"), {"deploy.md": DEPLOY_PAGE})


@pytest.mark.parametrize(
    ("name", "words_in_library", "written"),
    [
        ("Google Cloud", True, True),
        ("Google Cloud Run", True, False),  # "Google Cloud" and "run", never together
        ("role-based", True, False),  # "a role, based on": a comma between them
        ("request-per-minute", True, True),  # another form, another spacing
        ("Google Cloud Functions", False, False),  # "functions" is nowhere
    ],
)
def test_whether_the_library_writes_a_name(
    deploy_library: Engine, name: str, words_in_library: bool, written: bool
) -> None:
    assert deploy_library._name(name) == Name(name, words_in_library, written)


def test_a_name_with_a_sharp_s_is_found_as_the_library_writes_it(tmp_path: Path) -> None:
    # "Straße" is "strasse" once case-folded: the name must still match the page's own spelling.
    page = "# Visiting\n\nThe museum is on the Kaiser Straße, near the station.\n"
    library = library_of(tmp_path, {"visit.md": page})
    assert library._name("Kaiser Straße") == Name("Kaiser Straße", True, True)


@pytest.mark.parametrize(
    ("page_name", "typed"),
    [("José Mourinho", "Jose Mourinho"), ("Felix Mourinho", "Félix Mourinho")],
)
def test_a_name_typed_with_or_without_accents_is_found_as_the_library_writes_it(
    tmp_path: Path, page_name: str, typed: str
) -> None:
    # The index folds accents, as people often type names without them: so does the name.
    page = f"# Football\n\n{page_name} played for Porto before he managed its team.\n"
    library = library_of(tmp_path, {"club.md": page})
    assert library._name(typed) == Name(typed, True, True)


@pytest.fixture(scope="module")
def crewai_library(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    pages = DOCSETS / "crewai-guide" / "pages"
    return Engine.open(Settings(corpus_dir=pages, data_dir=tmp_path_factory.mktemp("data")))


@pytest.mark.parametrize(
    "question",
    [
        # Every word is on the pages ("role", "access", "team"; "Google Cloud" for Vertex
        # AI keys), the names never are.
        "How do I set up role-based access control for my team?",
        "How do I deploy my crew to Google Cloud Run?",
    ],
)
def test_docs_library_refuses_a_name_it_holds_only_word_by_word(
    crewai_library: Engine, question: str
) -> None:
    assert not crewai_library.answer(question).found


def test_docs_library_answers_a_name_it_writes(crewai_library: Engine) -> None:
    answer = crewai_library.answer("How can I use an agent from LangGraph in a crew?")
    assert answer.found
    top = answer.results[0]
    # The heading that names it is in the citation (the excerpt does not repeat it).
    assert "langgraph" in f"{top.section} {top.excerpt}".casefold()


def test_korean_particles_and_endings_after_a_word_the_library_holds_are_grammar() -> None:
    # The library holds "김장" and "서울" (and "에서", written elsewhere); it lacks "부산".
    library = {"김장": 3, "서울": 5, "에서": 1}
    question = "김장이란 무엇인가요? 서울에서 부산의 날씨"
    tokens = Analyzer().tokens(question)

    grammar = question_grammar(tokens, question, lambda term: library.get(term, 0))
    joined = junctions(tokens, question, lambda term: library.get(term, 0))

    # After "김장" and "서울", the pairs reaching into "이란" and "에서"; a question word
    # ("무엇", what) with its ending ("인가요") wholly.
    assert grammar == {"장이", "이란", "무엇", "엇인", "인가", "가요", "울에", "에서"}
    # After a noun the library lacks ("부산의"), and in a word with no ending ("날씨"),
    # nothing is told apart...
    assert not grammar & {"부산", "산의", "날씨"}
    # ... but the noun is one word, counted once: its first pair.
    assert joined == grammar | {"산의"}


def test_a_korean_verb_the_library_lacks_in_the_questions_form_is_grammar() -> None:
    # "흐르나요" (flows?) of a library that writes "흐른다": a verb, by its ending, whose other
    # forms nothing ties to it, as English's "flows" is to "flow". "창제되었나요" (was
    # created?) is "창제", which the library holds, with a verb's ending: the noun stays.
    library = {"한강": 2, "창제": 1, "한글": 3}
    question = "한강은 어디를 흐르나요? 한글은 언제 창제되었나요?"

    grammar = question_grammar(
        Analyzer().tokens(question), question, lambda term: library.get(term, 0)
    )

    assert {"흐르", "르나", "나요"} <= grammar
    assert {"제되", "되었", "었나"} <= grammar
    assert not grammar & {"한강", "창제", "한글"}


def test_chinese_question_words_particles_and_the_copula_are_grammar() -> None:
    # "长江有多长" (how long is the Yangtze): "多长" (how long) is a question word, "有多"
    # reaches into it; "熊猫的寿命是多少" (what is the panda's lifespan): "的" (of), "是"
    # (is) and "多少" (how much) are grammar, "熊猫" and "寿命" are the words asked about.
    question = "长江有多长？熊猫的寿命是多少？"

    grammar = question_grammar(Analyzer().tokens(question), question, lambda term: 0)

    assert {"有多", "多长", "猫的", "的寿", "命是", "是多", "多少"} <= grammar
    assert not grammar & {"长江", "江有", "熊猫", "寿命"}


def test_japanese_question_words_written_in_han_are_grammar() -> None:
    # "何人" (how many people) and "誰" (who) are question words, though written in Han;
    # "人口" (population) and "設立" (to found) are words.
    question = "大阪の人口は何人ですか？設立者は誰"

    grammar = question_grammar(Analyzer().tokens(question), question, lambda term: 0)

    assert {"何人", "者は", "は誰"} <= grammar
    assert not grammar & {"大阪", "人口", "設立", "立者"}


def test_a_katakana_word_counts_once_however_many_pairs_it_has() -> None:
    # "メートル" (metre) is one word in three pairs; "タワー" (tower), which the library lacks,
    # is counted once already by `junctions` ("ワー" is grammar there), so "タワ" is whole.
    question = "東京タワーの高さは何メートルですか？"
    tokens = Analyzer().tokens(question)

    shares = word_shares(tokens, {"ワー"})

    assert shares == {
        "メー": pytest.approx(1 / 3),
        "ート": pytest.approx(1 / 3),
        "トル": pytest.approx(1 / 3),
        "タワ": 1.0,
    }
    # In the evidence, the three pairs held weigh as the one word they are: a question
    # of two words the library lacks ("東京", "タワ") and one it holds covers a third.
    informative = {"東京": 1.0, "タワ": 1.0, "メー": 1.0, "ート": 1.0, "トル": 1.0}
    found = evidence(
        dict.fromkeys(informative, 8.0),
        informative,
        frozenset({"メー", "ート", "トル"}),
        frozenset({"メー", "ート", "トル"}),
        0.5,
        0.5,
        3.0,
        20,
        {"メー": 1, "ート": 1, "トル": 1},
        shares=shares,
    )
    assert found.informative_coverage == pytest.approx(1 / 3)
    assert found.coverage == pytest.approx(1 / 3)
    assert found.concepts == 3
