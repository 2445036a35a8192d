"""Whether the library answers a question: the "not found" decision.

The same rule has to hold for a library of one article and of thousands, and for
questions typed as people chat. Library statistics alone cannot carry it: in a
one-article library the subject is in every passage and weighs nothing, and a word
the library has never seen (a typo, slang, a pasted id) says nothing about whether
it answers. So each question word carries two weights:

- its weight in the library (idf, counted over the library and, in a small library
  mostly, English at large: see `bot.answer`'s `Understanding._weight`), which ranks passages;
- how informative it is in English at large (`informativeness`, from wordfreq's
  frequencies): "walrus" or "DeepSeek" name a subject, "guys" or "stuff" do not.

The evidence for the best passage is how much of the question's informative words
it holds, in both weights, and whether the words it misses are ones a reader would
miss, above all the informative words it misses that the whole library holds at most
once (`rare_missed`: "Redis" or "Pinecone" asked of documentation that never names
them; in one article, a paraphrase's "allegedly" or "coined" as often), and, where it
misses no such word, whether the question gives a name the library holds only word by
word (`question_names`: "Google Cloud Run" of pages that say "Google Cloud" and "run",
"role-based" of pages that say "role" and "based"). A logistic
model over these features and the library's size, fitted once on SQuAD (one library,
each article alone, off-topic questions) and on the docs sets, decides (see
BENCHMARKS.md, "Not found").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from bot import word_tables
from bot.text import (
    CJK_CHARACTERS,
    ENGLISH_STOPWORDS,
    Token,
    has_cjk,
    has_hangul,
    has_kana,
    is_katakana,
    reads_as_grammar,
)

__all__ = [
    "Evidence",
    "Name",
    "informativeness",
    "junctions",
    "CJK_GRAMMAR",
    "KOREAN_ENDINGS",
    "KOREAN_FUNCTION_WORDS",
    "KOREAN_PREDICATE_ENDINGS",
    "CHINESE_FUNCTION_WORDS",
    "JAPANESE_FUNCTION_WORDS",
    "question_grammar",
    "word_shares",
    "english_share",
    "question_names",
    "evidence",
    "answers",
]

#: Zipf frequency (log10 per billion words) of the commonest English word, about "the".
_ZIPF_TOP = 8.0


@lru_cache(maxsize=100_000)
def zipf(word: str) -> float:
    """A word's Zipf frequency in English (log10 per billion words; 0 if never seen).

    Numbers are looked up as wordfreq counts them (its list keeps "0000" for every
    four-digit number and spreads it over them): "2000" or "404" are common words of
    English, not never-seen ones.
    """
    if any(c.isdigit() for c in word):
        saved = word_tables.zipf_frequency(word)
        if saved is not None:
            return saved
        from wordfreq import zipf_frequency

        return float(zipf_frequency(word, "en", wordlist="best"))
    frequency = word_tables.frequency(word.casefold().replace("’", "'"))
    return math.log10(frequency) + 9.0 if frequency > 0.0 else 0.0


def informativeness(word: str) -> float:
    """How much a word says in English at large, from 0 ("the") to 1 (never seen); a pair
    of Han, kana or Hangul characters, by its script (see `CJK_GRAMMAR`)."""
    if has_cjk(word):
        return CJK_GRAMMAR if reads_as_grammar(word) else 1.0
    frequency = zipf(word)
    if frequency <= 0.0:
        return 1.0
    return min(max((_ZIPF_TOP - frequency) / _ZIPF_TOP, 0.0), 1.0)


#: The informativeness of a pair of CJK characters that joins grammar ("のは", "を設": see
#: `bot.text.reads_as_grammar`), as of a common English word ("think"): with no dictionary
#: it cannot be told from a word, but a question's particles and endings must neither
#: weigh as its subject nor, missed, say that the library lacks it.
CJK_GRAMMAR = 0.2


def junctions(tokens: Sequence[Token], text: str, held: Callable[[str], int]) -> set[str]:
    """The CJK pairs of a question (`tokens` of `text`) the library lacks that overlap a pair
    it holds: most likely a word it knows joined to a particle or an ending ("서울의":
    "울의" beside "서울"; "设立了": "立了" beside "设立"), read as grammar (`CJK_GRAMMAR`).
    A run of pairs it lacks ("東京タワー" of a library that never names it) stays a word,
    counted once, as an English word it lacks is however long: its first pair weighs as the
    word, the others ("什么时候": "么时", "时候") as grammar. A character standing alone
    that the library lacks ("年" of "1958年") is read as grammar too: the library holds one
    alone only where its text has it alone, within a run only its pairs ("1958年に":
    "年に"), so lacking it says nothing of what the library covers."""
    cjk = [t for t in tokens if has_cjk(text[t.start : t.end])]
    pairs = [t for t in cjk if t.end - t.start >= 2]
    found = {t.term for t in cjk if len(t.term) == 1 and held(t.term) == 0}
    for before, after in zip(pairs, pairs[1:], strict=False):
        if after.start != before.end - 1:  # not overlapping: another run
            continue
        known_before, known_after = held(before.term) > 0, held(after.term) > 0
        if known_before and not known_after:
            found.add(after.term)
        elif known_after and not known_before:
            found.add(before.term)
    found |= question_grammar(cjk, text, held)
    in_word = False  # whether the pair before is one of a word the library lacks
    for number, pair in enumerate(pairs):
        lacks = not held(pair.term) and pair.term not in found and not reads_as_grammar(pair.term)
        if lacks and in_word and pair.start == pairs[number - 1].end - 1:
            found.add(pair.term)  # the same word, on
        in_word = lacks
    return found


#: Korean's particles (josa) and the endings (eomi) a question's words most often carry:
#: those of nouns ("이란", "에서", "를"), of "이다" (to be: "인가요", "입니까") and of verbs
#: made with "하다" and "되다" ("되었나요", "한"). Korean writes them onto the word before,
#: a small closed class of grammar, as English's stop words are (`bot.text`).
KOREAN_ENDINGS = frozenset(
    """
    이 가 은 는 을 를 의 에 에서 에게 에게서 께 께서 한테 한테서 로 으로 와 과 도 만 랑 이랑
    하고 이나 나 까지 부터 마다 처럼 보다 란 이란 라는 이라는 라고 이라고 이며 며 인 에는
    에서는 으로는 로는 에도 에서도 와는 과는 로도 으로도 까지는 부터는 에서의 에의 와의 과의
    로서 으로서 로써 으로써 에서부터 으로부터 로부터 이다 이었다 였다 입니다 입니까 인가 인가요
    인지 인지요 이에요 예요 이야 이죠 일까요 나요 가요 까요 니까 습니까 는가 은가 는지 은지
    하다 한다 했다 하는 한 할 해 해요 하나요 합니까 했나요 했습니까 하는가 하는지 한가요 할까요
    되다 된다 됐다 되었다 되는 된 될 돼 돼요 되나요 됩니까 됐나요 되었나요 되었습니까 되는가
    되는지 될까요 었나요 았나요 였나요 었습니까 았습니까 였습니까 었다 았다 었는지 았는지
    """.split()
)

#: The endings of `KOREAN_ENDINGS` a verb or an adjective takes, not a noun ("흐르나요"
#: flows?, "시작되었나요" was started?): a word written with one is a predicate, whose other
#: forms ("흐른다") no rule here ties to it.
KOREAN_PREDICATE_ENDINGS = frozenset(
    """
    나요 까요 니까 습니까 는가 는지 었나요 았나요 였나요 었습니까 았습니까 였습니까 었는지 았는지
    하나요 합니까 했나요 했습니까 하는가 하는지 한가요 할까요
    되나요 됩니까 됐나요 되었나요 되었습니까 되는가 되는지 될까요
    """.split()
)

#: Korean's question words and the few words of degree English's stop words hold too
#: ("무엇" what, "언제" when, "어떻게" how, "가장" most): grammar, wherever they stand.
KOREAN_FUNCTION_WORDS = frozenset(
    """
    무엇 뭐 무슨 어떤 어느 언제 어디 누구 누가 왜 어떻게 얼마 얼마나 몇 가장 매우 아주 모든 모두
    """.split()
)


#: Chinese's question words, the particles that end a sentence or mark the possessive or a
#: past ("的", "了", "吗") and the copula ("是" is): a small closed class of grammar, as
#: English's stop words are, written with no space onto the words around them ("长江有多长":
#: "多长" how long).
CHINESE_FUNCTION_WORDS = frozenset(
    """
    什么 多少 多长 多大 多高 多久 多远 多重 哪里 哪儿 哪个 哪些 哪 谁 怎么 怎样 怎么样 为什么 为何
    如何 何时 几 是否 吗 呢 吧 的 了 是
    """.split()
)

#: Japanese's question words and the particles and endings of a question ("の", "は",
#: "ですか"). Those written in Hiragana are grammar by their script already
#: (`bot.text.reads_as_grammar`); those written in Han ("何" what, "誰" who) are not.
JAPANESE_FUNCTION_WORDS = frozenset(
    """
    何 誰 何故 いつ どこ だれ なに なん どれ どの どう なぜ いくら いくつ
    の は が を に で と も か です ます ですか ますか
    """.split()
)


def question_grammar(tokens: Sequence[Token], text: str, held: Callable[[str], int]) -> set[str]:
    """The CJK pairs of a question (`tokens` of `text`) that read as grammar, by the closed
    lists of its language: Korean's endings and question words (`KOREAN_ENDINGS`: see
    `_korean_run_grammar`); in Chinese and Japanese, written with no space between words,
    every pair reaching into a function word of the language (`CHINESE_FUNCTION_WORDS`,
    `JAPANESE_FUNCTION_WORDS`: "有多" and "多长" of "长江有多长", "何人" of "何人ですか")."""
    function_words = JAPANESE_FUNCTION_WORDS if has_kana(text) else CHINESE_FUNCTION_WORDS
    grammar: set[str] = set()
    for run in _runs(t for t in tokens if len(t.term) == 2 and has_cjk(t.term)):
        terms = [p.term for p in run]
        if has_hangul(terms[0]):
            grammar |= _korean_run_grammar(terms, held)
        else:
            grammar |= _function_word_pairs(terms, function_words)
    return grammar


def _runs(pairs: Iterable[Token]) -> Iterator[list[Token]]:
    """The runs of `pairs` (in question order) that overlap by a character, each one
    written word or more ("メートル": "メー", "ート", "トル")."""
    run: list[Token] = []
    for pair in pairs:
        if run and pair.start >= run[-1].end:
            yield run
            run = []
        run.append(pair)
    if run:
        yield run


#: The longest function word of `CHINESE_FUNCTION_WORDS` and `JAPANESE_FUNCTION_WORDS`.
_FUNCTION_WORD_MOST = 3


def _function_word_pairs(terms: Sequence[str], function_words: frozenset[str]) -> set[str]:
    """The pairs of one run (`terms`, overlapping) that hold a character of a function word
    written in it, the longest at each place first ("怎么样" before "怎么")."""
    word = "".join(term[0] for term in terms) + terms[-1][-1]
    grammar_at: set[int] = set()
    start = 0
    while start < len(word):
        for length in range(min(_FUNCTION_WORD_MOST, len(word) - start), 0, -1):
            if word[start : start + length] in function_words:
                grammar_at.update(range(start, start + length))
                start += length
                break
        else:
            start += 1
    return {term for i, term in enumerate(terms) if i in grammar_at or i + 1 in grammar_at}


def word_shares(tokens: Sequence[Token], grammar: Container[str]) -> dict[str, float]:
    """The share of its word each Katakana pair of a question (`tokens`) is, past grammar:
    Japanese writes in Katakana the words it takes from other languages ("メートル" metre,
    "タワー" tower), so a run of them is one word, its pairs ("メー", "ート", "トル") its
    parts, which count in the evidence as that one word does, not as three."""
    shares: dict[str, float] = {}
    words = (
        t for t in tokens if len(t.term) == 2 and is_katakana(t.term) and t.term not in grammar
    )
    for run in _runs(words):
        for part in run:
            shares[part.term] = min(shares.get(part.term, 1.0), 1.0 / len(run))
    return shares


def _korean_run_grammar(terms: Sequence[str], held: Callable[[str], int]) -> set[str]:
    """The Hangul pairs of one run (a word: Korean puts spaces between words) that read as
    grammar: those reaching into a particle or an ending (`KOREAN_ENDINGS`) written onto
    a stem the library holds ("김장이란": "장이" and "이란" after "김장"; "서울에서": "울에"
    and "에서") or onto a question word ("무엇인가요"), the longest ending first, and those
    of a question word. After a noun the library lacks they are not told apart from it:
    `junctions` counts it once. A verb the library lacks in the question's form ("흐르나요"
    of a library that writes "흐른다"), told by its ending (`KOREAN_PREDICATE_ENDINGS`), is
    grammar whole: English finds another form of a verb ("flows", "flow"), and lacking
    this one says nothing of what the library covers."""
    word = "".join(term[0] for term in terms) + terms[-1][-1]
    if word in KOREAN_FUNCTION_WORDS:
        return set(terms)
    for length in range(1, len(word)):  # the longest ending first
        stem = word[:length]
        if word[length:] not in KOREAN_ENDINGS:
            continue
        if stem in KOREAN_FUNCTION_WORDS:
            return set(terms)
        if length >= 2 and held(terms[length - 2]) > 0:
            return set(terms[length - 1 :])  # from the pair joining stem and ending on
        if word[length:] in KOREAN_PREDICATE_ENDINGS:
            return set(terms)
    return set()


#: Words in a passage of English text, for `english_share`.
PASSAGE_WORDS = 100


def english_share(informative: float) -> float:
    """The share of passages of English (PASSAGE_WORDS long) that hold a word of this
    informativeness at least once: 0 for a word English has never seen."""
    if informative >= 1.0:
        return 0.0
    per_word = 10.0 ** (_ZIPF_TOP * (1.0 - informative) - 9.0)
    return 1.0 - math.exp(-PASSAGE_WORDS * per_word)


#: A word as `question_names` reads it: letters and digits, joined by inner hyphens,
#: underscores or apostrophes ("role-based", "nest_asyncio", "Let's"); Han, kana and
#: Hangul end it ("DeepSeekの" is the name "DeepSeek").
_NAME_TOKEN = re.compile(rf"[^\W{CJK_CHARACTERS}]+(?:[-'’][^\W{CJK_CHARACTERS}]+)*")
#: Where a sentence ends, so its first word's capital is not read as a name's.
_SENTENCE_END = re.compile(r"[.?!:;]\s|\n")
_GENITIVE = ("'s", "’s")


def _named(word: str, first: bool) -> bool:
    """Whether a word of a question is part of a name: capitalised other than as the
    sentence's first word, capitals inside it ("TypeScript", "MLflow", "RBAC"), or a
    compound joined by a hyphen or an underscore ("role-based", "nest_asyncio")."""
    if word.casefold() in ENGLISH_STOPWORDS or word.isdigit():
        return False
    if "-" in word or "_" in word:
        # "2013-14" or "0-4" is a number, not a name.
        return all(any(c.isalpha() for c in part) for part in re.split(r"[-_]", word))
    return any(c.isupper() for c in word[1:]) or (word[0].isupper() and not first)


def question_names(text: str) -> list[str]:
    """The names a question gives, each as typed: runs of capitalised words
    ("Google Cloud Run", "Denver Broncos"), words with capitals inside, and compounds
    ("role-based"). What a reader would look for in the library to tell whether it
    covers the question, beyond its plain words."""
    names: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        run: list[str] = []
        end = 0
        for number, match in enumerate(_NAME_TOKEN.finditer(sentence)):
            word = match.group()
            named = _named(word, number == 0)
            if run and (
                sentence[end : match.start()].strip()
                or run[-1].endswith(_GENITIVE)
                or (named and (word.islower() or run[-1].islower()))
            ):
                # A comma or a possessive between two names ends the first ("Miami,
                # Florida", "Warsaw's Old Town"); a compound stands alone ("Luther's",
                # "best-known").
                names.append(_name(run))
                run = []
            end = match.end()
            if named:
                run.append(word)
                continue
            if run:
                names.append(_name(run))
            run = []
        if run:
            names.append(_name(run))
    return list(dict.fromkeys(names))


def _name(words: list[str]) -> str:
    """A run of named words as one name, without a possessive at its end ("Khan's army")."""
    return re.sub(r"['’]s$", "", " ".join(words))


class Name(NamedTuple):
    """A name of the question (`question_names`) and whether the library writes it."""

    text: str
    words_in_library: bool  # the library holds each of its words (not necessarily together)
    in_library: bool  # some passage (or its title or headings) writes it, words in order


#: The most informativeness a question word the library lacks counts for (see `evidence`).
UNKNOWN_AT_MOST = 0.5

#: The most informativeness a CJK word (a pair of Han, kana or Hangul that is no grammar)
#: counts for in `evidence`, held or not: no dictionary weighs it, so it counts as a word
#: of middling weight, as an English word no dictionary knows does where the library lacks
#: it. At 1 (as `informativeness` has it, to rank), every CJK word counted as a never-seen
#: name's, the most any English word counts for; the model, fitted on English, read a
#: missed one in a small library as an article's paraphrase and answered "일본의 수도는
#: 어디인가요?" (Japan's capital) from an article on Seoul that refuses "What is the
#: capital of Japan?".
CJK_WORD = UNKNOWN_AT_MOST

#: The most informativeness a word English has never seen counts for in `rare_missed`
#: ("langfuse" or "streamlit", but also a typo no rule corrected or a pasted id).
RARE_UNKNOWN_AT_MOST = 0.7

#: A missed word the library holds in at most this many passages counts in `rare_missed`.
RARE_AT_MOST = 1

#: Informativeness from which a missed word counts in `Evidence.missed_words` ("farming"
#: counts, "think" does not).
MISSED_AT = 0.4


@dataclass(frozen=True)
class Evidence:
    """What the best passage holds of the question, in the terms the model reads."""

    coverage: float  # share of the question's library weight in the passage and title
    known_coverage: float  # the same over the words the library knows
    informative_coverage: float  # share of the question's informativeness it holds
    best_sentence: float  # share of the library weight in its best sentence
    local_best: float  # share of the in-article weight in its best sentence
    missed_informative: float  # informativeness of the most informative word it misses
    missed_total: float  # informativeness of all the words it misses, added up
    matched_informative: float  # informativeness of the most informative word it holds
    missed_words: int  # question words (informative ones, above MISSED_AT) it misses
    unknown_share: float  # share of the question's informativeness the library never saw
    concepts: int  # distinct question words
    bm25: float  # the best passage's BM25 score
    passages: int  # passages in the library searched: small libraries can afford a lower bar
    rare_missed: float = 0.0  # informativeness of the most informative missed word the
    # library holds at most RARE_AT_MOST times (a never-seen English word: RARE_UNKNOWN_AT_MOST)
    rare_missed_total: float = 0.0  # the same words' informativeness, added up
    names_apart: int = 0  # names of the question (`question_names`) whose every word the
    # library holds but never writes together ("Google Cloud Run" where it has "Google
    # Cloud" and "run"; "role-based" where it has "role" and "based")


def evidence(
    weights: Mapping[str, float],
    informative: Mapping[str, float],
    known: frozenset[str],
    matched: frozenset[str],
    best_sentence: float,
    local_best: float,
    bm25: float,
    passages: int,
    held: Mapping[str, int],
    names: Sequence[Name] = (),
    grammar: frozenset[str] = frozenset(),
    shares: Mapping[str, float] | None = None,
) -> Evidence:
    """Evidence of one passage. `weights`: library weight of each question term;
    `informative`: its informativeness; `known`: the terms the library holds;
    `matched`: those in the passage (or its title); `held`: how many passages of the
    library hold each term (itself or another form of it): a missed term it lacks is
    held by none, so counts as rare; `names`: the question's names and whether the
    library writes them (`Engine._name`); `grammar`: its CJK pairs read as grammar, no
    part of the evidence, as English stop words are no part of the question; `shares`:
    the share of its word each CJK pair that is part of a longer one is (`word_shares`)."""
    shares = shares or {}
    weights = {t: w * shares.get(t, 1.0) for t, w in weights.items() if t not in grammar}
    matched = matched - grammar
    informative = {
        t: min(v, CJK_WORD) * shares.get(t, 1.0) if has_cjk(t) else v
        for t, v in informative.items()
        if t not in grammar
    }
    rare = [
        min(value, RARE_UNKNOWN_AT_MOST) if value >= 1.0 else value
        for t, value in informative.items()
        if t not in matched and held.get(t, 0) <= RARE_AT_MOST
    ]
    # A word the library has never seen counts as a word of middling weight: not as its
    # rarest ("xyzzyq", a typo or a pasted id would refuse every question holding one),
    # nor as nothing (a question about something else names what the library lacks).
    informative = {t: v if t in known else min(v, UNKNOWN_AT_MOST) for t, v in informative.items()}
    total = sum(weights.values()) or 1.0
    known_total = sum(w for t, w in weights.items() if t in known) or 1.0
    info_total = sum(informative.values()) or 1.0
    missed = [informative[t] for t in informative if t not in matched]
    return Evidence(
        coverage=math.fsum(weights[t] for t in matched if t in weights) / total,
        known_coverage=math.fsum(weights[t] for t in matched if t in known) / known_total,
        informative_coverage=math.fsum(informative[t] for t in matched if t in informative)
        / info_total,
        best_sentence=best_sentence,
        local_best=local_best,
        missed_informative=max(missed, default=0.0),
        missed_total=sum(missed),
        missed_words=sum(value >= MISSED_AT for value in missed),
        matched_informative=max((informative[t] for t in matched if t in informative), default=0.0),
        unknown_share=sum(v for t, v in informative.items() if t not in known) / info_total,
        concepts=round(sum(shares.get(t, 1.0) for t in weights)),
        bm25=bm25,
        passages=passages,
        rare_missed=max(rare, default=0.0),
        rare_missed_total=math.fsum(rare),
        names_apart=sum(n.words_in_library and not n.in_library for n in names),
    )


def features(found: Evidence) -> dict[str, float]:
    """The model's inputs: the evidence, counts on a log scale, and the library's size
    (log passages) alone and against the two coverages and the rare missed words, so a
    small library, where off-topic questions share few words and an
    answerable one misses words the article paraphrases, can accept weaker evidence
    than a large one."""
    # The model was fitted on libraries of about 20 to about a thousand passages; a
    # smaller or larger one is read as that size rather than extrapolated to.
    size = min(max(math.log(max(found.passages, 1)), MIN_SIZE), MAX_SIZE)
    return {
        "coverage": found.coverage,
        "known_coverage": found.known_coverage,
        "informative_coverage": found.informative_coverage,
        "best_sentence": found.best_sentence,
        "local_best": found.local_best,
        "missed_informative": found.missed_informative,
        "missed_total": found.missed_total,
        "matched_informative": found.matched_informative,
        "missed_words": found.missed_words,
        "unknown_share": found.unknown_share,
        "concepts": math.log1p(found.concepts),
        "bm25": math.log1p(max(found.bm25, 0.0)),
        "size": size,
        "informative_coverage_by_size": found.informative_coverage * size,
        "coverage_by_size": found.coverage * size,
        "rare_missed": found.rare_missed,
        "rare_missed_by_size": found.rare_missed * size,
        "rare_missed_total": found.rare_missed_total,
        "rare_missed_total_by_size": found.rare_missed_total * size,
        # Only where no rare word is missed: that says "not covered" on its own; where
        # the library holds every word, a name it never writes is what is left to say it.
        "name_apart": float(found.names_apart > 0 and found.rare_missed == 0.0),
    }


#: log(passages) of the largest library in the fit (the SQuAD set as one library).
MAX_SIZE = math.log(1100)
#: log(passages) of about the smallest (a SQuAD article alone, 23 passages): the size
#: terms extrapolated to a library of one passage would read a missed rare word (there,
#: every missed word is one) as strong evidence for an answer.
MIN_SIZE = math.log(20)

#: The fitted model (logistic, rounded): weight of each feature, the bias and the
#: threshold, written by `python benchmarks/fit_not_found.py … --pos 2
#: --weigh per=3,docs=3,chat=2,squad=5 --write` (see BENCHMARKS.md, "Not found").
WEIGHTS: dict[str, float] = {
    "coverage": 7.86,
    "known_coverage": -18.10,
    "informative_coverage": 49.84,
    "best_sentence": 4.27,
    "local_best": -11.96,
    "missed_informative": 3.12,
    "missed_total": 0.64,
    "matched_informative": -2.15,
    "missed_words": 0.44,
    "unknown_share": 7.85,
    "concepts": 2.41,
    "bm25": 1.64,
    "size": 1.06,
    "informative_coverage_by_size": -2.64,
    "coverage_by_size": 0.29,
    "rare_missed": 18.54,
    "rare_missed_by_size": -4.00,
    "rare_missed_total": -4.21,
    "rare_missed_total_by_size": 0.65,
    "name_apart": -8.87,
}
BIAS = -22.29
#: The score at or above which the library answers: the lowest (in steps of 0.05) at
#: which SQuAD's holdout questions are refused at least 0.705 of the time (target 0.70).
THRESHOLD = -0.8


def confidence(found: Evidence) -> float:
    """The model's score: higher is surer that the passage answers."""
    inputs = features(found)
    return BIAS + sum(weight * inputs[name] for name, weight in WEIGHTS.items())


def answers(found: Evidence) -> bool:
    """Whether the evidence says the passage answers the question."""
    return confidence(found) >= THRESHOLD
