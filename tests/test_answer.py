from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import JAPANESE_ARTICLES, library_of

from bot.answer import Engine
from bot.errors import QuestionError
from bot.settings import Settings


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    data = tmp_path_factory.mktemp("data")
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    return Engine.open(Settings(corpus_dir=corpus, data_dir=data))


def test_cost_question_returns_the_figure_with_its_citation(engine: Engine) -> None:
    answer = engine.answer("How much did it cost to build DeepSeek's V3 model?")
    assert answer.found
    top = answer.results[0]
    assert top.article_id == "deepseek-rise"
    assert top.title == "DeepSeek's rise"
    assert re.search(r"\$6\s?(M|million)", top.excerpt), top.excerpt
    first, last = top.paragraphs
    assert 1 <= first <= last


def test_founder_question_names_liang_wenfeng(engine: Engine) -> None:
    answer = engine.answer("Who founded DeepSeek?")
    assert answer.found
    assert "Liang Wenfeng" in answer.results[0].excerpt


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of Peru?",
        "Best recipe for banana bread",
        "Who won the 1998 football World Cup?",
    ],
)
def test_off_topic_question_is_not_found(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert not answer.found
    assert answer.results == ()


@pytest.mark.parametrize(
    ("question", "article_id"),
    [
        ("What did Yann LeCun say about open-source models?", "deepseek-rise"),
        ("Which chips did the October 2022 export controls restrict?", "chip-export-controls"),
        ("How does BM25 normalise document length?", "bm25-search"),
        ("How do I ask Citebot a question in a direct message?", "citebot-user-guide"),
        ("What is the message content intent?", "discord-bots"),
    ],
)
def test_on_topic_question_is_found_in_the_right_article(
    engine: Engine, question: str, article_id: str
) -> None:
    answer = engine.answer(question)
    assert answer.found
    assert article_id in {r.article_id for r in answer.results}


def test_not_found_names_the_closest_articles_when_some_words_match(engine: Engine) -> None:
    answer = engine.answer("Which Peruvian llama farming cooperatives export the most alpaca wool?")
    assert not answer.found
    assert answer.closest and answer.closest[0].article_id


def test_every_excerpt_is_verbatim_short_and_highlighted(engine: Engine) -> None:
    questions = [
        "How much did it cost to build V3?",
        "export controls H100",
        "What are open-weight models?",
        "How do slash commands work?",
        "Who was Luhn?",
        "What is a GPU?",
    ]
    for question in questions:
        for result in engine.answer(question, k=5).results:
            article = engine.article(result.article_id)
            assert article is not None
            body = result.excerpt.strip("…")
            assert body in article.text
            assert result.passage in article.text
            assert body in result.passage
            assert len(result.excerpt) <= 400
            for start, end in result.highlights:
                assert 0 <= start < end <= len(result.excerpt)
            # Why it matched shows: a question word in the excerpt, or in the section cited.
            section_terms = set(engine.analyzer.terms(result.section or ""))
            in_section = section_terms & set(engine.analyzer.terms(question))
            assert result.highlights or in_section, (question, result.excerpt)


def test_results_are_ranked_and_limited_to_k(engine: Engine) -> None:
    answer = engine.answer("DeepSeek open source models", k=4)
    assert [r.rank for r in answer.results] == list(range(1, len(answer.results) + 1))
    assert len(answer.results) == 4
    scores = [r.score for r in answer.results]
    assert scores == sorted(scores, reverse=True)


def test_search_within_one_article(engine: Engine) -> None:
    answer = engine.answer("H100 export controls", article_id="deepseek-rise", k=5)
    assert answer.found
    assert {r.article_id for r in answer.results} == {"deepseek-rise"}
    assert answer.articles_searched == 1


def test_empty_question_is_refused_with_a_helpful_message(engine: Engine) -> None:
    with pytest.raises(QuestionError, match="ask a question"):
        engine.answer("   ")


def test_stopword_only_question_is_asked_for_a_question(engine: Engine) -> None:
    with pytest.raises(QuestionError, match="Please ask a question"):
        engine.answer("what is it?")


def test_autocomplete_search_over_titles(engine: Engine) -> None:
    titles = [a.title for a in engine.find_articles("deep")]
    assert titles and all("deep" in t.lower() for t in titles)
    assert len(engine.find_articles("", limit=25)) == len(engine.articles)


# --- questions as people type them -------------------------------------------------------


def test_chat_style_question_gets_the_same_answer(engine: Engine) -> None:
    answer = engine.answer(
        "hey guys!! how much did it cost deepseek to build v3?? thx in advance lol"
    )
    assert answer.found
    assert re.search(r"\$6\s?(M|million)", answer.results[0].excerpt)


def test_typo_toward_the_library_is_corrected(engine: Engine) -> None:
    answer = engine.answer("who fonded deepseek")
    assert answer.found
    assert "Liang Wenfeng" in answer.results[0].excerpt


def test_bm25_is_asked_for_pasted_code_less_than_for_the_prose(engine: Engine) -> None:
    # BM25 reads its query as a bag of words: a term asked three times weighs three times.
    read = engine.reader.read("```py\nretrieval_index.search(query)\n```\nhow does bm25 rank")
    search = engine._understand(read).search
    assert search.count("bm25") == 3 * search.count("retrieval_index")
    assert search.count("retrieval_index") == 1
    # A question of one part is asked as it was written.
    plain = engine._understand(engine.reader.read("how does bm25 rank bm25 passages")).search
    assert plain.count("bm25") == 2


def test_greetings_alone_ask_for_a_question(engine: Engine) -> None:
    with pytest.raises(QuestionError, match="greetings"):
        engine.answer("hey guys thx lol")


def test_synonyms_file_lets_a_community_word_meet_the_articles_word(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "setup.md").write_text(
        "# Setting up\n\nTo invite the bot, a server administrator opens the invite link and "
        "picks the server from the list; the bot then appears in the member list.\n",
        encoding="utf-8",
    )
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    question = "How do I add the bot to my guild?"
    without = Engine.open(settings).answer(question)
    (corpus / "synonyms.txt").write_text("# ours\nserver, guild\n", encoding="utf-8")
    with_synonyms = Engine.open(settings).answer(question)
    assert with_synonyms.found
    assert "server administrator" in with_synonyms.results[0].excerpt
    highlighted = {
        with_synonyms.results[0].excerpt[s:e].casefold()
        for s, e in with_synonyms.results[0].highlights
    }
    assert "server" in highlighted
    assert not without.found or "server" not in {
        without.results[0].excerpt[s:e].casefold() for s, e in without.results[0].highlights
    }


def test_phrase_synonyms_can_answer_for_the_question_but_never_block_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "privacy.md").write_text(
        "# Privacy\n\nOnly you and the bot can read your direct messages; server admins never "
        "see them, and nothing you write there is shown in a channel.\n",
        encoding="utf-8",
    )
    (corpus / "setup.md").write_text(
        "# Setting up\n\nA server administrator invites the bot with the invite link and picks "
        "the channels where it answers mentions.\n",
        encoding="utf-8",
    )
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    plain = Engine.open(settings).answer("Who can read my direct messages?")
    (corpus / "synonyms.txt").write_text("direct message, dm\n", encoding="utf-8")
    engine = Engine.open(settings)
    # The rule adds "dm" as another way to say "message": not a word the answer must hold.
    with_rule = engine.answer("Who can read my direct messages?")
    assert plain.found and with_rule.found
    assert with_rule.results[0].article_id == plain.results[0].article_id == "privacy"
    # And the other way: the chat word finds the article's words.
    dms = engine.answer("who can read my dm")
    assert dms.found
    assert dms.results[0].article_id == "privacy"


# --- a follow-up in a thread leans toward the articles cited there (prefer_articles) ---------

FOLLOW_UP = "When was it introduced?"  # after "What is CUDA?"
CITED = "notes/gpu-basics"


def test_the_lean_ranks_the_cited_article_first_for_a_vague_follow_up(engine: Engine) -> None:
    first = engine.answer("What is CUDA?")
    assert first.results[0].article_id == CITED

    alone = engine.answer(FOLLOW_UP)
    leaned = engine.answer(FOLLOW_UP, prefer_articles=[CITED])

    assert not alone.results or alone.results[0].article_id != CITED
    assert leaned.found
    assert leaned.results[0].article_id == CITED
    assert "2006" in leaned.results[0].excerpt


def test_no_lean_or_an_unknown_article_changes_nothing(engine: Engine) -> None:
    alone = engine.answer(FOLLOW_UP)
    for leaned in (
        engine.answer(FOLLOW_UP, prefer_articles=[CITED], lean=0.0),
        engine.answer(FOLLOW_UP, prefer_articles=["no-such-article"]),
    ):
        assert [(r.article_id, r.paragraphs) for r in leaned.results] == [
            (r.article_id, r.paragraphs) for r in alone.results
        ]


def test_a_question_limited_to_one_article_ignores_the_lean(engine: Engine) -> None:
    limited = engine.answer(
        "Who founded DeepSeek?", article_id="deepseek-rise", prefer_articles=[CITED]
    )
    assert {r.article_id for r in limited.results} == {"deepseek-rise"}


_ECHO = (
    "Every reply a web service sends carries a three digit number that tells the caller "
    "how things went, and browsers, proxies and monitoring tools all read it before they "
    "read anything else in the reply, so choosing it well matters for every route. "
    "Setting the status code of a response takes one argument."
)
_HOW = "Pass `201` as the decorator's second argument and every reply of that route carries it."


def _status_page(tmp_path: Path, between: str) -> Engine:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "responses.md").write_text(
        f"# Responses\n\n## Replies\n\n{_ECHO}\n\n{between}{_HOW}\n\n"
        "## Bodies\n\nA body is the data a reply holds, most often JSON.\n",
        encoding="utf-8",
    )
    return Engine.open(Settings(corpus_dir=corpus, data_dir=tmp_path / "data"))


def test_excerpt_runs_into_the_next_passage_of_its_section(tmp_path: Path) -> None:
    # The passage that echoes the question ends on it; the answer opens the next one.
    engine = _status_page(tmp_path, "")
    assert engine.passage_count_of("responses") >= 3
    answer = engine.answer("How do I set the status code of a response?")
    assert answer.found
    top = answer.results[0]
    assert "Setting the status code of a response" in top.excerpt
    assert _HOW in top.excerpt
    assert _HOW in top.passage and top.section == "Replies"
    # Its text is not shown again as a result of its own.
    assert not any(_HOW in r.excerpt for r in answer.results[1:])


def test_excerpt_stops_at_the_next_heading(tmp_path: Path) -> None:
    engine = _status_page(tmp_path, "## Decorators\n\n")
    answer = engine.answer("How do I set the status code of a response?")
    assert answer.found
    top = answer.results[0]
    assert "Setting the status code of a response" in top.excerpt
    assert "Pass `201`" not in top.excerpt


def test_a_pasted_error_finds_the_page_its_message_is_about(tmp_path: Path) -> None:
    # The reason pydantic gives sits on the line under its error line; read as pasted code
    # (weak evidence), the validation page's words outweighed it.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pages = {
        "validation": "# Validation\n\nA validation error for a crew lists what was wrong.\n",
        "hierarchy": "# Hierarchical process\n\nA hierarchical process needs a manager: set "
        "`manager_llm` to a model name, or give your own `manager_agent`.\n",
        "agents": "# Agents\n\nAn agent of a crew has a role, a goal and a backstory.\n",
        "tasks": "# Tasks\n\nA task of a crew has a description and an expected output.\n",
    }
    for name, text in pages.items():
        (corpus / f"{name}.md").write_text(text, encoding="utf-8")
    engine = Engine.open(Settings(corpus_dir=corpus, data_dir=tmp_path / "data"))
    answer = engine.answer(
        "```\n"
        "pydantic_core._pydantic_core.ValidationError: 1 validation error for Crew\n"
        "  Value error, Attribute `manager_llm` or `manager_agent` is required when using "
        "hierarchical process. [type=value_error, input_value={'agents': []}, input_type=dict]\n"
        "```\n"
        "what does it want from me"
    )
    assert answer.found
    assert answer.results[0].article_id == "hierarchy"


#: A single-page app's fallback beside pages that hold neither "fall" nor "back".
FALLBACK_PAGES = {
    "spa.md": "# Single-page apps\n\nWith a fallback, the server answers every path "
    "it does not know with `index.html`, so the app's own routes load.\n",
    "secrets.md": "# Secrets\n\nKeep tokens and passwords away from the repository: "
    "read them from the environment.\n",
    "deploy.md": "# Deploying\n\nDeploy the server with one command and watch its logs.\n",
    "bread.md": "# Bread\n\nBake the bread for an hour, then let it cool on a rack.\n",
}
#: Two pages that hold "install" once in a sentence; only one is the page about it.
INSTALL_PAGES = {
    "installation.md": "---\ntitle: Installation\n---\n\n"
    "Run `uv tool install crewai` once to get the command line tool.\n",
    "hub.md": "---\ntitle: The hub\n---\n\nThe hub lists shared tools. On the command "
    "line, `crewai tool install NAME` installs a tool from the hub into your project; "
    "`crewai tool list` lists what you installed.\n",
    "agents.md": "---\ntitle: Agents\n---\n\nAn agent has a role, a goal and a backstory.\n",
}


def test_two_words_the_library_writes_as_one_meet_it(tmp_path: Path) -> None:
    # "fall back" in the question, "fallback" on the page.
    answer = library_of(tmp_path, FALLBACK_PAGES).answer("can the server fall back?")
    assert answer.found
    assert answer.results[0].article_id == "spa"
    assert "fallback" in answer.results[0].excerpt


def test_the_page_whose_title_names_the_task_comes_first(tmp_path: Path) -> None:
    answer = library_of(tmp_path, INSTALL_PAGES).answer("how to install")
    assert answer.found
    first, second = answer.results[:2]
    assert (first.article_id, second.article_id) == ("installation", "hub")
    assert first.score > second.score


def _operations_page() -> str:
    """A long page whose every other section mentions the backup in passing."""
    topics = ["disks", "network", "users", "alerts", "updates", "certificates"]
    topics += ["logs", "queues", "caches", "secrets", "dns", "mail"]
    sections = [
        f"## {topic.title()}\n\nThe {topic} need care every week: check them, write down what "
        "changed, and tell the team on call."
        + (f" A backup of the {topic} runs at night." * (i % 2 == 0))
        for i, topic in enumerate(topics)
    ]
    return "---\ntitle: Operations\n---\n\n" + "\n\n".join(sections) + "\n"


def test_a_short_page_about_the_question_beats_a_long_page_that_mentions_it(
    tmp_path: Path,
) -> None:
    # Six of the long page's twelve passages are candidates, against the short page's one:
    # by its share of the candidates alone the long page came first.
    engine = library_of(
        tmp_path,
        {
            "operations.md": _operations_page(),
            "storage.md": "---\ntitle: Storage\n---\n\n"
            "The backup runs every night at two and keeps seven copies.\n",
            "agents.md": "---\ntitle: Agents\n---\n\nAn agent has a role, a goal and a backstory.\n",
        },
    )
    assert engine.passage_count_of("operations") == 12
    answer = engine.answer("when does the backup run?")
    assert answer.found
    assert answer.results[0].article_id == "storage"


def test_an_excerpt_under_its_heading_leaves_the_heading_to_the_citation(
    tmp_path: Path,
) -> None:
    # The citation names "Query Parameters" already: the excerpt shows the text under it,
    # verbatim, with the question's words still marked where they are.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = (
        "When you declare other function parameters that are not part of the path "
        "parameters, they are automatically interpreted as query parameters."
    )
    (corpus / "params.md").write_text(
        "# Parameters\n\nIntro text about parameters of every kind, said once.\n\n"
        f"## Query Parameters\n\n{text}\n\n## Steps\n\n### Installing\n\n"
        "Download the archive, unpack it and run the installer script.\n",
        encoding="utf-8",
    )
    engine = Engine.open(Settings(corpus_dir=corpus, data_dir=tmp_path / "data"))

    query = engine.answer("How are function parameters that are not path parameters interpreted?")
    steps = engine.answer("How do I unpack and install the archive?")

    top = query.results[0]
    assert top.section == "Query Parameters"
    assert top.excerpt == text
    # ¶3 is the text shown; ¶2, the heading above it, is named by the section instead.
    assert top.paragraphs == (3, 3)
    assert top.passage_paragraphs == (2, 3)  # what "Show passage" shows: heading and text
    assert [top.excerpt[s:e].lower() for s, e in top.highlights][:2] == ["function", "parameters"]
    # Headings one under the other: both are in the citation, neither in the excerpt.
    assert steps.results[0].section == "Steps › Installing"
    assert steps.results[0].excerpt.startswith("Download the archive"), steps.results[0].excerpt


def test_an_excerpt_under_headings_it_leaves_out_has_their_room(tmp_path: Path) -> None:
    # Three headings took three of the excerpt's four sentences: left to the citation, they
    # leave the text under them its room, shown whole rather than cut before its last word.
    text = "Run the gamma configuration tool with the beta flag. Then restart the service."
    engine = library_of(
        tmp_path,
        {
            "deep.md": f"# Deep\n\n## Alpha Setup\n\n### Beta Install\n\n#### Gamma Config\n\n{text}\n"
        },
    )

    top = engine.answer("alpha setup").results[0]

    assert top.section == "Alpha Setup › Beta Install › Gamma Config"
    assert top.excerpt == text


def test_a_question_in_japanese_finds_the_japanese_passage_that_answers_it(
    tmp_path: Path,
) -> None:
    engine = library_of(tmp_path, JAPANESE_ARTICLES)

    founder = engine.answer("DeepSeekを設立したのは誰ですか？")
    height = engine.answer("富士山の高さは何メートルですか？")
    uncovered = engine.answer("京都の金閣寺はいつ建てられましたか？")

    assert founder.found and founder.results[0].article_id == "deepseek"
    assert "創業者は梁文鋒" in founder.results[0].excerpt
    assert height.found and "3776メートル" in height.results[0].excerpt
    # The excerpt is a whole sentence, cut at "。", with the question's words marked.
    assert height.results[0].excerpt.startswith("富士山は")
    assert "富士山" in [height.results[0].excerpt[s:e] for s, e in height.results[0].highlights]
    assert not uncovered.found


def test_a_cjk_character_standing_alone_in_a_question_is_no_word_the_library_lacks(
    tmp_path: Path,
) -> None:
    # "年" alone after a number: the library holds it only in its pairs ("1958年に": "年に").
    engine = library_of(tmp_path, JAPANESE_ARTICLES)

    year = engine.answer("1958年")

    assert year.found and year.results[0].article_id == "sushi"


def test_a_cjk_word_the_library_lacks_counts_once_not_once_a_pair(
    tmp_path: Path,
) -> None:
    # "언제인가요" (when is it) is a run of pairs no article holds: one word the library
    # lacks, not one for each of its pairs.
    korean = library_of(
        tmp_path / "ko",
        {
            "hangul.md": "# 한글\n\n한글은 1443년 조선의 세종대왕이 창제한 문자이다.\n\n"
            "한글날은 매년 10월 9일이며, 한글의 창제를 기념하는 날이다.\n",
            "kimchi.md": "# 김치\n\n김치는 배추와 무에 고춧가루와 마늘을 넣어 발효시킨 한국의 "
            "전통 음식이다.\n",
        },
    )
    chinese = library_of(
        tmp_path / "zh",
        {
            "river.md": "# 长江\n\n长江是中国最长的河流，全长约6300公里，发源于青藏高原。\n\n"
            "三峡大坝位于湖北省宜昌市，于2006年建成。\n",
            "panda.md": "# 大熊猫\n\n大熊猫主要生活在四川的山区，以竹子为主要食物。\n",
        },
    )

    hangul_day = korean.answer("한글날은 언제인가요?")

    assert hangul_day.found and "10월 9일" in hangul_day.results[0].excerpt
    # What the libraries lack is still said to be lacking.
    assert not korean.answer("부산의 인구는 얼마인가요?").found
    assert not chinese.answer("长城有多长?").found


#: A small Korean library, written for these tests: kimchi, Seoul, Hangul.
KOREAN_ARTICLES = {
    "kimchi.md": "# 김치\n\n김치는 배추와 무에 고춧가루와 마늘을 넣어 발효시킨 한국의 전통 음식이다.\n\n"
    "김장은 겨울을 나기 위해 늦가을에 많은 양의 김치를 한꺼번에 담그는 일이다. "
    "김장 문화는 2013년 유네스코 인류무형문화유산에 등재되었다.\n",
    "seoul.md": "# 서울\n\n서울은 대한민국의 수도이며 인구는 약 940만 명이다.\n\n"
    "롯데월드타워는 서울 송파구에 있는 높이 555미터의 초고층 건물이다. "
    "한강은 서울의 중심을 가로질러 흐른다.\n",
    "hangul.md": "# 한글\n\n한글은 1443년 조선의 세종대왕이 창제한 문자이다.\n\n"
    "한글날은 매년 10월 9일이며, 한글의 창제를 기념하는 날이다.\n",
}


def test_a_korean_word_with_a_particle_or_an_ending_is_the_word_the_library_holds(
    tmp_path: Path,
) -> None:
    # "김장이란" is "김장" (kimchi-making) with "이란" (topic: "as for"), "서울에서" is
    # "서울" with "에서" (in), "무엇인가요" is "무엇" (what) with "인가요" (is it?): the
    # pairs reaching into a particle, an ending or a question word are grammar, as
    # English's "in" and "what" are stop words, not words the library lacks.
    engine = library_of(tmp_path, KOREAN_ARTICLES)

    for question, article_id, answering in (
        ("김장이란 무엇인가요?", "kimchi", "김장은 겨울을"),
        ("서울에서 가장 높은 건물은 무엇인가요?", "seoul", "555미터"),
    ):
        answer = engine.answer(question)
        assert answer.found and answer.results[0].article_id == article_id, question
        assert answering in answer.results[0].excerpt
    # A word the library lacks, with its particles, is still lacking.
    for uncovered in ("제주도에서 유명한 음식은 무엇인가요?", "비빔밥을 어떻게 만드나요?"):
        assert not engine.answer(uncovered).found, uncovered


def test_a_korean_question_is_refused_or_answered_as_its_english_is(tmp_path: Path) -> None:
    # One word the library holds and one it lacks: "일본의 수도는" (the capital of Japan) of
    # an article on Seoul that gives Korea's capital is refused, as "What is the capital of
    # Japan?" is of the same articles in English. A CJK word, which no dictionary weighs,
    # counts as an English word of middling weight, not as the rarest name.
    engine = library_of(tmp_path, KOREAN_ARTICLES)

    for uncovered in (
        "일본의 수도는 어디인가요?",  # the capital of Japan
        "에펠탑의 높이는 얼마인가요?",  # the height of the Eiffel Tower
        "부산의 인구는 얼마인가요?",  # the population of Busan
    ):
        assert not engine.answer(uncovered).found, uncovered
    # A verb the article writes in another form ("흐른다" for "흐르나요", flows) is no word
    # the library lacks, as English's lemmas would find it.
    assert_answered(
        engine,
        ("한강은 어디를 흐르나요?", "seoul", "한강은 서울의"),
        ("서울의 인구는 얼마인가요?", "seoul", "940만"),
        ("김치는 무엇으로 만드나요?", "kimchi", "고춧가루"),
    )


def assert_answered(engine: Engine, *cases: tuple[str, str, str]) -> None:
    """Each question (question, article id, text of the answer) is answered from its article."""
    for question, article_id, answering in cases:
        answer = engine.answer(question)
        assert answer.found and answer.results[0].article_id == article_id, question
        assert answering in answer.results[0].excerpt, question


#: A small Chinese library, written for these tests: the Yangtze, the giant panda, tea.
CHINESE_ARTICLES = {
    "river.md": "# 长江\n\n长江是中国最长的河流，全长约6300公里，发源于青藏高原，最后流入东海。\n\n"
    "三峡大坝位于湖北省宜昌市，于2006年建成，是世界上最大的水电站。\n",
    "panda.md": "# 大熊猫\n\n大熊猫主要生活在四川、陕西和甘肃的山区，以竹子为主要食物。"
    "成年大熊猫每天要吃十几公斤竹子。\n\n野生大熊猫的数量约为1800只。\n",
    "tea.md": "# 茶\n\n茶起源于中国，已有几千年的历史。龙井茶产于浙江省杭州市西湖一带，是著名的绿茶。"
    "\n\n普洱茶产自云南省，是一种发酵茶。\n",
}


def test_a_chinese_question_word_is_grammar_not_a_word_the_library_lacks(tmp_path: Path) -> None:
    # "长江有多长？" (how long is the Yangtze?) asks about "长江" with "多长" (how long), a
    # question word as English's "how" is a stop word: answered. "的" (of) and "是" (is)
    # are grammar too: "熊猫的寿命是多少？" (the panda's lifespan) asks for what the
    # library lacks, as "黄河有多长？" (how long is the Yellow River) does: refused.
    engine = library_of(tmp_path, CHINESE_ARTICLES)

    assert_answered(
        engine,
        ("长江有多长？", "river", "6300公里"),
        ("大熊猫吃什么？", "panda", "竹子"),
        ("三峡大坝是什么时候建成的？", "river", "2006年"),
    )
    for uncovered in ("黄河有多长？", "熊猫的寿命是多少？", "孔子是谁？"):
        assert not engine.answer(uncovered).found, uncovered


def test_a_japanese_katakana_word_counts_once_as_its_english_does(tmp_path: Path) -> None:
    # "東京タワーの高さは何メートルですか？" (the height of Tokyo Tower in metres) of an article
    # on Mount Fuji that gives its height in "メートル": "メートル" is one word in three pairs,
    # and counted three times it outweighed "東京" and "タワー", which the library lacks. As
    # "What is the height of Tokyo Tower in metres?" is of the same articles in English, it
    # is refused; Mount Fuji's height is answered.
    engine = library_of(tmp_path, JAPANESE_ARTICLES)

    for uncovered in ("東京タワーの高さは何メートルですか？", "トヨタを設立したのは誰ですか？"):
        assert not engine.answer(uncovered).found, uncovered
    assert_answered(
        engine,
        ("富士山の高さは何メートルですか？", "fuji", "3776"),
        ("DeepSeekを設立したのは誰ですか？", "deepseek", "梁文鋒"),
    )
