"""Text analysis shared by passages and questions, so both sides of a match agree.

NFKC and case folding first (so "Ｈ１００" and "H100" meet), then tokens that keep
the things people search for whole: model names (H100, R1, o1), money ($6M),
years (2025) and dotted abbreviations (U.S.). Plain words lose stopwords and are
reduced to Snowball stems; tokens with digits or dots are kept as they are, since
a stemmer would only damage them. Chinese, Japanese and Korean, written without
spaces, are read as search engines without a dictionary read them (Lucene's
CJKBigramFilter): each run of Han, kana or Hangul as its overlapping character pairs,
a character standing alone as itself, a token ending where the script changes.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Container, Iterator
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

# Invisible characters that join rather than split (soft hyphen, zero-width (non-)joiner,
# word joiner, BOM): "deep\u200dseek" is still one word. They are dropped from terms.
_JOINERS = "\u00ad\u200c\u200d\u2060\ufeff"
_DROP_JOINERS = str.maketrans("", "", _JOINERS)

#: Han (with the iteration marks 々 and 〆's kin), Hiragana, Katakana (half-width too)
#: and Hangul: the scripts written without spaces between words that are read in pairs.
CJK_CHARACTERS = (
    "\u1100-\u11ff\u3005\u3007\u3021-\u3029\u3038-\u303b\u3041-\u3096\u3099\u309a"
    "\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3131-\u318e\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97c\uac00-\ud7a3\ud7b0-\ud7fb\uf900-\ufaff\uff66-\uff9f"
    "\uffa0-\uffdc\U0001b000-\U0001b16f\U00020000-\U0003134f"
)
_HAS_CJK = re.compile(f"[{CJK_CHARACTERS}]")
#: Words as passage sizes count them: each Han, kana or Hangul character (the usual
#: count for text without spaces, as word processors give it), else runs of non-space.
WORD = re.compile(f"[{CJK_CHARACTERS}]|[^\\s{CJK_CHARACTERS}]+")

# Order matters: the first alternative that matches at a position wins.
_TOKEN_RE = re.compile(
    rf"""
    \$?\d+(?:[.,]\d+)*[^\W\d_]*      # 2025, 6.5, 1,000, $6m, 60b, 3x
    | (?:[^\W\d_]\.){{2,}}             # u.s., e.g.
    | \w[\w{_JOINERS}]*(?:['’][\w{_JOINERS}]+)*   # words, h100, r1, o1, don't
    """,
    re.VERBOSE,
)
#: `_TOKEN_RE` for text that holds CJK: a run of it is a token of its own (read in pairs
#: by `_pairs`), and no other token runs into it ("DeepSeekは2023年に" is four tokens).
_LETTER = rf"[^\W\d_{CJK_CHARACTERS}]"
_NOT_CJK = rf"(?:[^\W{CJK_CHARACTERS}]|[{_JOINERS}])"
_CJK_TOKEN_RE = re.compile(
    rf"""
    (?P<cjk>[{CJK_CHARACTERS}]+)
    | \$?\d+(?:[.,]\d+)*{_LETTER}*
    | (?:{_LETTER}\.){{2,}}
    | [^\W{CJK_CHARACTERS}]{_NOT_CJK}*(?:['’]{_NOT_CJK}+)*
    """,
    re.VERBOSE,
)

# Snowball's English list, plus the few question words it lacks ("much", "many").
ENGLISH_STOPWORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom whose this that these those am is are was were be been being have has
    had having do does did doing would should could ought i'm you're he's she's it's we're
    they're i've you've we've they've i'd you'd he'd she'd we'd they'd i'll you'll he'll
    she'll we'll they'll isn't aren't wasn't weren't hasn't haven't hadn't doesn't don't
    didn't won't wouldn't shan't shouldn't can't cannot couldn't mustn't let's that's
    who's what's here's there's when's where's why's how's a an the and but if or because
    as until while of at by for with about against between into through during before
    after above below to from up down in out on off over under again further then once
    here there when where why how all any both each few more most other some such no nor
    not only own same so than too very s t can will just don now much many also
    """.split()
)


@dataclass(frozen=True)
class Token:
    """One analysed term and where it stands in the original text."""

    term: str
    start: int
    end: int


class Analyzer:
    """Turns text into index terms; one instance per language, safe across threads."""

    #: Changes whenever the terms of some text change, so saved indexes are rebuilt.
    VERSION = 4  # 3: CJK read in pairs; 4: "．" "｡" end sentences, NFD Hangul composed

    def __init__(self, language: str = "english") -> None:
        self.language = language
        self.stopwords = ENGLISH_STOPWORDS if language == "english" else frozenset()
        self._stemmer = Stemmer.Stemmer(language)
        # PyStemmer objects are not thread-safe; the bot searches from worker threads.
        self._lock = threading.Lock()
        # Words repeat across passages and questions: analyse each spelling once
        # (lru_cache is thread-safe; terms are immutable strings).
        self._term_of = lru_cache(maxsize=200_000)(self._raw_term)

    def terms(self, text: str) -> list[str]:
        """The index terms of `text`, in order, repeats kept (BM25 counts them)."""
        if has_cjk(text):
            return [token.term for token in self._cjk_tokens(text)]
        term_of = self._term_of
        return [term for raw in _TOKEN_RE.findall(text) if (term := term_of(raw)) is not None]

    def tokens(self, text: str) -> list[Token]:
        """Index terms with their spans in `text`, for highlighting matched words."""
        if has_cjk(text):
            return list(self._cjk_tokens(text))
        term_of = self._term_of
        return [
            Token(term, match.start(), match.end())
            for match in _TOKEN_RE.finditer(text)
            if (term := term_of(match.group())) is not None
        ]

    def spans(self, text: str, terms: Container[str]) -> list[tuple[int, int]]:
        """Where the words whose terms are in `terms` stand in `text`: what `tokens`
        finds, without a Token for every word (excerpts highlight a few)."""
        if has_cjk(text):
            # Pairs overlap: "設立" and "立し" held are one span, "設立し".
            spans: list[tuple[int, int]] = []
            for token in self._cjk_tokens(text):
                if token.term not in terms:
                    continue
                if spans and token.start < spans[-1][1]:
                    spans[-1] = (spans[-1][0], token.end)
                else:
                    spans.append((token.start, token.end))
            return spans
        term_of = self._term_of
        return [m.span() for m in _TOKEN_RE.finditer(text) if term_of(m.group()) in terms]

    def _cjk_tokens(self, text: str) -> Iterator[Token]:
        """`tokens` for text that holds CJK: its runs in pairs, the rest as elsewhere."""
        term_of = self._term_of
        for match in _CJK_TOKEN_RE.finditer(text):
            if match.lastgroup == "cjk":
                yield from _pairs(text, match.start(), match.end())
            elif (term := term_of(match.group())) is not None:
                yield Token(term, match.start(), match.end())

    def _raw_term(self, raw: str) -> str | None:
        """The term of one regex match as it stands in the text (None for a stopword).

        Normalisation is applied per match on the original string, so spans always
        point at the text a person sees.
        """
        word = _fold_accents(unicodedata.normalize("NFKC", raw.translate(_DROP_JOINERS)).casefold())
        return self._term(word) if word else None

    def _term(self, word: str) -> str | None:
        if word in self.stopwords or word.replace("’", "'") in self.stopwords:
            return None
        if not word.isalpha():
            # Numbers, money, model names and abbreviations stay whole.
            if "'" in word or "’" in word:
                word = re.split(r"['’]", word, maxsplit=1)[0]
                if not word or word in self.stopwords:
                    return None
                return self._stem(word)
            return word
        return self._stem(word)

    def _stem(self, word: str) -> str:
        return _cached_stem(self, word)


@lru_cache(maxsize=200_000)
def _cached_stem(analyzer: Analyzer, word: str) -> str:
    with analyzer._lock:
        return analyzer._stemmer.stemWord(word)


def _pairs(text: str, start: int, end: int) -> Iterator[Token]:
    """A run of Han, kana or Hangul as its overlapping pairs of characters ("設立した":
    設立, 立し, した), a character alone as itself: with no dictionary, pairs match words
    of two characters exactly and longer ones by their parts. Half-width kana are read
    as full-width (NFKC), a voiced-sound mark with the kana it marks, and Hangul written
    decomposed (NFD, as macOS may save it) as its syllables; no stop words, no stemming."""
    units: list[tuple[str, int, int]] = []
    for i in range(start, end):
        char = unicodedata.normalize("NFKC", text[i])
        if units and (unicodedata.combining(char[0]) or _JAMO_AFTER_LEAD.match(char)):
            held, first, _ = units[-1]
            units[-1] = (unicodedata.normalize("NFC", held + char), first, i + 1)
        else:
            units.append((char, i, i + 1))
    if len(units) == 1:
        yield Token(*units[0])
    for (a, first, _), (b, _, last) in zip(units, units[1:], strict=False):
        yield Token(a + b, first, last)


#: A Hangul vowel or final consonant, which follows a syllable's first consonant (ᄉ+ᅥ = 서).
_JAMO_AFTER_LEAD = re.compile("[\u1160-\u11ff\ud7b0-\ud7fb]")


#: Japanese kana, each script apart ("の" Hiragana, "タ" Katakana): see `reads_as_grammar`.
_HIRAGANA = re.compile("[\u3041-\u309f]")
_KATAKANA = re.compile("[\u30a1-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile("[\u1100-\u11ff\u3131-\u318e\ua960-\ua97c\uac00-\ud7fb\uffa0-\uffdc]")


def reads_as_grammar(pair: str) -> bool:
    """Whether a pair of CJK characters (see `_pairs`) most likely joins grammar rather than
    names a thing: it holds Hiragana, in which Japanese writes its particles and word
    endings ("のは", "した"), or crosses from one script to another ("を設": a particle and
    a word). Pairs within Han, Katakana or Hangul ("設立", "タワー") are read as words."""
    if _HIRAGANA.search(pair):
        return True
    scripts = {
        "katakana" if _KATAKANA.match(c) else "hangul" if _HANGUL.match(c) else "han" for c in pair
    }
    return len(scripts) > 1


def has_kana(text: str) -> bool:
    """Whether `text` holds Hiragana or Katakana: it is Japanese, not Chinese."""
    return _HIRAGANA.search(text) is not None or _KATAKANA.search(text) is not None


def has_hangul(text: str) -> bool:
    """Whether `text` holds Hangul: it is Korean."""
    return _HANGUL.search(text) is not None


def is_katakana(text: str) -> bool:
    """Whether `text` is written in Katakana alone ("タワー"), as Japanese writes the words
    it takes from other languages, each a word however long."""
    return all(_KATAKANA.match(c) for c in text)


def has_cjk(text: str) -> bool:
    """Whether `text` holds Han, kana or Hangul (read in pairs, never spelled as words)."""
    return not text.isascii() and _HAS_CJK.search(text) is not None


def _fold_accents(word: str) -> str:
    """Latin letters lose their accents ("Gospić" → "gospic"), since people often type
    names without them; marks on other scripts (Devanagari vowel signs) are letters
    and stay."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    kept = [
        char
        for i, char in enumerate(decomposed)
        if not (unicodedata.combining(char) and i and decomposed[i - 1].isascii())
    ]
    return unicodedata.normalize("NFC", "".join(kept))


def normalize(text: str) -> str:
    """NFKC + case folding; what tokenising sees."""
    return unicodedata.normalize("NFKC", text).casefold()


def fold(text: str) -> str:
    """`normalize`d, Latin letters without their accents: text as terms compare it."""
    return _fold_accents(normalize(text))


# --- sentences -----------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st vs etc inc ltd co corp no fig al e.g i.e u.s u.k jan feb mar "
    "apr jun jul aug sep sept oct nov dec".split()
)
#: Dotted initials ("H.W.", "U.S.A."): letters one by one, never a sentence's end.
_INITIALS = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")
#: A sentence's end: "." "!" "?" "…" before white space (see `sentence_spans`); in text
#: that holds them, also the full stops, "！" or "？" of Chinese and Japanese, which need
#: none: "。", its half-width "｡" and the full-width "．" many Japanese texts write (not
#: one in a number, "３．５").
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+)")
_CJK_STOPS = "。！？｡．"
_SENTENCE_END_CJK = re.compile(
    rf"{_SENTENCE_END.pattern}"
    r"|(?P<cjk>(?:[。！？｡]|．(?!\d))+[」』）〕】\"'”’)\]]*)"
)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence boundaries in text[start:end], as (start, end) offsets into `text`.

    A boundary is end punctuation followed by white space and a capital, digit or
    opening quote, unless the word before the dot is a known abbreviation or a
    single letter or dotted initials (as in "U.S.", "J. Smith" or "H.W. Smith").
    Paragraph breaks always end one.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    ends = (
        _SENTENCE_END_CJK
        if any(text.find(stop, start, end) != -1 for stop in _CJK_STOPS)
        else _SENTENCE_END
    )
    for block_start, block_end in _blocks(text, start, end):
        if text.startswith(("```", "~~~"), block_start):
            spans.append((block_start, block_end))  # a code block is read whole
            continue
        sentence_start = block_start
        marker = _LIST_NUMBER.match(text, block_start, block_end)  # "12. Install it." is one
        for match in ends.finditer(text, marker.end() if marker else block_start, block_end):
            stop = match.end()
            after = _NEXT_VISIBLE.match(text, stop, block_end)
            if after is None:
                continue
            first = after.group(1)
            if match.lastgroup == "cjk":
                pass  # whatever follows starts a sentence
            elif not (first.isupper() or first.isdigit() or first in "\"'“‘(["):
                continue
            elif text[match.start()] == "." and _is_abbreviation(
                text, sentence_start, match.start()
            ):
                continue
            spans.append((sentence_start, stop))
            sentence_start = after.start(1)
        spans.append((sentence_start, block_end))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def passage_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentences a passage is scored by: `sentence_spans`, or the passage whole when
    it has none. One rule for the re-ranker and the sentences saved at build time
    (`bot.analysis`), whose answers must be the same."""
    return sentence_spans(text, start, end) or [(start, end)]


_NEXT_VISIBLE = re.compile(r"\s*(\S)")
_LIST_NUMBER = re.compile(r"\d{1,9}[.)][ \t]")
_BLANK_LINE = re.compile(r"[^\S\n]*\n\s*\n")
_VISIBLE = re.compile(r"\S")


def _blocks(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Paragraph-like blocks separated by blank lines, trimmed of white space; a
    fenced code block is one block, blank lines and all."""
    position = start
    while position < end:
        first = _VISIBLE.search(text, position, end)
        if first is not None and (fence := _FENCE.match(text, first.start(), end)):
            closing = _fence_end(text, fence.group(1), fence.end(), end)
            if closing is not None:
                yield first.start(), closing
                position = closing
                continue
        gap = _BLANK_LINE.search(text, position, end)
        stop = gap.start() if gap else end
        if first is not None and first.start() < stop:
            last = stop
            while text[last - 1].isspace():
                last -= 1
            yield first.start(), last
        if gap is None:
            break
        position = gap.end()


_FENCE = re.compile(r"(`{3,}|~{3,})[^\n`]*\n")


def _fence_end(text: str, fence: str, position: int, end: int) -> int | None:
    """Where the code block whose body starts at `position` ends (after its closing fence)."""
    closing = re.compile(rf"^{re.escape(fence)}{re.escape(fence[0])}*[ \t]*$", re.M)
    match = closing.search(text, position, end)
    return match.end() if match else None


def _is_abbreviation(text: str, sentence_start: int, dot: int) -> bool:
    # Walk back over the word before the dot: a search over the whole sentence
    # would make long sentences quadratic.
    first = dot
    while first > sentence_start and (text[first - 1].isalnum() or text[first - 1] in "._"):
        first -= 1
    if first == dot:
        return False
    word = text[first:dot].lower().strip(".")
    return len(word) == 1 or word in _ABBREVIATIONS or _INITIALS.fullmatch(word) is not None


def word_count(text: str) -> int:
    """Words as passage sizes count them: runs of non-space characters, each Han, kana
    or Hangul character one (see `WORD`), as composed (NFC: "서" is one, not ᄉ and ᅥ)."""
    if has_cjk(text):
        return len(WORD.findall(unicodedata.normalize("NFC", text)))
    return len(text.split())
