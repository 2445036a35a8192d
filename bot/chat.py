"""Questions as people type them in a help channel, read into what is worth searching.

A chat message is not a clean question: it opens with "hey guys", ends with "thx in
advance", writes "dont" and "teh", and often carries a pasted snippet or a traceback.
`QuestionReader.read` turns it into weighted parts: the prose (factor 1), a traceback's
"SomeError: message" line (stronger evidence, since it names the problem), and the
identifiers of pasted code (weaker evidence, since they pull toward any passage of code).
File paths, line numbers, stack frames, greetings, filler, mentions, emoji and links are
dropped. Typos are corrected toward the library's own words and common English, only
when one correction is clearly the right one.
"""

from __future__ import annotations

import copy
import heapq
import importlib.resources
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot import word_tables
from bot.found import zipf
from bot.spellers import (
    SPELLER_FORMAT,
    load_speller,
    load_words,
    save_speller,
    save_words,
    speller_version,
)
from bot.text import has_cjk

if TYPE_CHECKING:
    from symspellpy import SymSpell

log = logging.getLogger(__name__)

#: Weight factor of plain prose, of pasted code's identifiers, and of an error line.
PROSE = 1.0
CODE = 0.3
ERROR = 1.5
#: Weight factor of a sentence that sets the scene ("my main.py is 2000 lines now") in
#: a message that also asks a question: the question says what is wanted.
CONTEXT = 0.5
#: ... unless the sentences that ask hold at most this many searchable words: "how do i
#: write one" after "i want to log how long each request takes" (FastAPI chat page@1
#: 0.706 -> 0.725, CrewAI chat 0.455 -> 0.477; 1 word changes nothing, 3 costs; BENCHMARKS.md).
THIN_ASK = 2
#: Words a line under an error line needs to count as more of its message.
MESSAGE_WORDS = 3

#: Library words are correction targets only when seen this often (a word seen once is
#: as likely to be the article's own typo), and only the most frequent ones, so building
#: the speller stays affordable for a library of a million passages.
MIN_TARGET_COUNT = 2
MAX_LIBRARY_TARGETS = 20_000
#: Common English words a typo may be corrected to ("teh" -> "the"). Only the most common:
#: with more, names the dictionary lacks were "corrected" to rarer words (gunicorn ->
#: unicorn, jupyter -> jupiter, zapier -> napier). The whole bundled dictionary (82,765
#: words) still tells a real English word from a typo.
MAX_ENGLISH_TARGETS = 5_000
#: A correction must beat the runner-up at the same distance by this factor in frequency.
DOMINANCE = 20
#: Counting stops being exhaustive past this many words (a sample of the rest is
#: counted): the frequent words, which are the correction targets, are already known.
COUNT_BUDGET_WORDS = 3_000_000

# --- Discord markup, links, emoji -----------------------------------------------------

#: Discord markup that names someone or something rather than asking about it: user, role
#: and channel mentions, slash-command mentions, custom emoji, timestamps, @everyone/@here.
DISCORD_MARKUP = re.compile(
    r"<@[!&]?\d+>|<#\d+>|</[^<>:]{1,100}:\d+>|<a?:\w{1,32}:\d+>|<t:-?\d+(?::[tTdDfFR])?>"
    r"|(?<![\w.])@(?:everyone|here)\b"
)
#: Control characters (NUL and friends) other than tabs and line breaks.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _link(match: re.Match[str]) -> str:
    """A link to a page is a reference, not the question, and is dropped; a bare address
    ("are http://localhost and http://localhost:8080 the same origin?") is what is asked
    about: its host and port stay as words."""
    address = _ADDRESS.fullmatch(match.group().rstrip(".,;:!?)"))
    if address is None:
        return " "
    return " " + " ".join(filter(None, (address.group("host"), address.group("port")))) + " "


def strip_discord_markup(text: str) -> str:
    """The words of a Discord message: mention and emoji markup would only be searched as noise."""
    return CONTROL.sub(" ", DISCORD_MARKUP.sub(" ", text)).strip()


_URL = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>`]+|<https?://[^\s>]+>", re.IGNORECASE)
#: A bare address, no page: "http://localhost:8080", "https://api.example.com/".
_ADDRESS = re.compile(r"<?https?://(?P<host>[\w.-]+)(?::(?P<port>\d+))?/?>?", re.IGNORECASE)
# Pictographs, dingbats, symbols, flags, keycaps, skin tones, variation selectors, tags.
_EMOJI = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u2460-\u27bf\u2900-\u297f\u2b00-\u2bff\u3030\u303d"
    "\ufe0e\ufe0f\u20e3\U0001f000-\U0001faff\U000e0020-\U000e007f]+"
)
_SHORTCODE = re.compile(r"(?<![\w:]):[a-z0-9_+-]{2,32}:(?![\w:])", re.IGNORECASE)
_EMOTICON = re.compile(r"(?<!\S)(?:[:;=8][-']?[()\[\]DPpOo3/\\|*]+|<3+|\^\^|[xX]D+|T_T|-_-)(?!\S)")

# --- Filler ---------------------------------------------------------------------------

_PEOPLE = r"(?:guys|gals|all|everyone|everybody|folks|y'?all|there|team|people|friends|fam|peeps|devs|mods|chat|frens|bros?)"
_FILLER_PHRASES = [
    # greetings, with whoever they greet
    rf"\b(?:hey+|hi+|hello+|helo|heya|hiya|howdy|yo+|sup|greetings|hallo|good\s+(?:morning|afternoon|evening))\b(?:\s+{_PEOPLE}\b)?",
    # thanks, with what usually follows
    r"\b(?:thanks|thank\s+(?:you|u)|thx|thnx|thanx|thnks|tnx|tysm|tyvm|ty|tia|cheers|much\s+appreciated|appreciate\s+it)\b"
    rf"(?:\s+(?:in\s+advance|a\s+lot|so\s+much|very\s+much|a\s+ton|for\s+(?:any|the|your)\s+help|{_PEOPLE})\b)*",
    # apologies for asking
    r"\bsorry\s+(?:if|for|in\s+case)\s+(?:this\s+|it\s*'?\s*s\s+|its\s+|that\s*'?\s*s\s+|thats\s+)?(?:is\s+|was\s+)?(?:an?\s+|the\s+|my\s+)?"
    r"(?:really\s+|very\s+|super\s+)?(?:dumb|stupid|silly|noob|newbie|basic|obvious|beginner|simple|bad|weird)\s+(?:question|q)\b",
    r"\bsorry\s+(?:to\s+bother|for\s+(?:the|my)\s+(?:bad\s+)?english|for\s+bothering)\b(?:\s+(?:you|u|guys|all|everyone))?",
    r"\b(?:(?:a|another)\s+)?(?:dumb|stupid|silly|noob|newbie|quick|basic|beginner)\s+(?:question|q)\b(?:\s+but)?",
    r"\bi\s+have\s+a\s+(?:quick\s+)?question\b",
    # asking for help in general
    r"\b(?:pls|plz|plox|please)\s+help(?:\s+(?:me|us))?\b|\bhelp\s+(?:pls|plz|please)\b|\bhalp\b",
    r"\bany\s+(?:ideas?|help|suggestions?|tips?|thoughts?|clues?)\b(?:\s+(?:is|are|would\s+be)\s+(?:greatly\s+|much\s+|really\s+)?(?:appreciated|welcome|great|nice|helpful))?",
    r"\b(?:can|could|would|will)\s+(?:someone|anyone|somebody|anybody|u|you|y'?all|you\s+guys)\s+(?:please\s+|pls\s+|plz\s+)?help(?:\s+(?:me|us))?(?:\s+out)?\b",
    r"\b(?:does|do)\s+(?:anyone|anybody|someone|somebody|any\s+of\s+you|you\s+guys)\s+(?:here\s+)?know\b",
    r"\b(?:anyone|anybody|someone|somebody)\s+(?:here\s+)?knows?\b",
    r"\bany(?:one|body)\s*(?:\s(?:here|around|online)\b|\?)",
    r"\bi\s+need\s+(?:some\s+)?help\b(?=\s*[,.!?:]|\s*$)",
]
_FILLER = re.compile("|".join(f"(?:{p})" for p in _FILLER_PHRASES), re.IGNORECASE)

#: Chat words that carry no question; dropped unless the library itself uses the word.
FILLER_WORDS = frozenset(
    """lol lool lmao lmfao rofl haha hahaha hehe xd idk idc tbh imo imho btw fyi afaik iirc
    ngl smh omg omfg pls plz plox ok okay okey um umm uh uhh hmm hmmm welp ugh ah
    oh ahh yea yeah yep nah bruh bro dude guys anyways anyway basically literally wtf tho""".split()
)

#: Contractions written without their apostrophe, where the spelling is not also a word
#: ("its", "well", "were", "hell", "ill", "id", "lets", "shed", "wed" are left alone).
CONTRACTIONS = {
    "dont": "do not", "doesnt": "does not", "didnt": "did not", "cant": "can not",
    "cannot": "can not", "wont": "will not", "isnt": "is not", "arent": "are not",
    "wasnt": "was not", "werent": "were not", "havent": "have not", "hasnt": "has not",
    "hadnt": "had not", "shouldnt": "should not", "wouldnt": "would not",
    "couldnt": "could not", "mustnt": "must not", "neednt": "need not", "aint": "is not",
    "im": "i am", "ive": "i have", "youre": "you are", "youve": "you have",
    "youll": "you will", "youd": "you would", "theyre": "they are", "theyve": "they have",
    "theyll": "they will", "theyd": "they would", "weve": "we have", "itll": "it will",
    "thats": "that is", "whats": "what is", "theres": "there is", "heres": "here is",
    "wheres": "where is", "whos": "who is", "hows": "how is", "whys": "why is",
    "whens": "when is", "whatre": "what are", "whered": "where did", "howd": "how did",
    "shouldve": "should have", "wouldve": "would have", "couldve": "could have",
    "mightve": "might have", "mustve": "must have", "dunno": "do not know",
    "gonna": "going to", "wanna": "want to", "gotta": "got to", "kinda": "kind of",
    "sorta": "sort of", "lemme": "let me", "gimme": "give me", "outta": "out of",
}  # fmt: skip

#: Chat spellings of common words; applied only when the library does not use the word.
CHAT_WORDS = {
    "u": "you", "ur": "your", "r": "are", "ya": "you", "yu": "you",
    "wat": "what", "wut": "what", "wht": "what", "whta": "what",
    "thru": "through", "cuz": "because", "coz": "because", "bc": "because", "b4": "before",
    "abt": "about", "rn": "now", "smth": "something", "sth": "something",
    "ppl": "people", "msg": "message", "msgs": "messages", "pic": "picture",
    "pics": "pictures", "plz": "please", "pls": "please", "thnk": "think", "prolly": "probably",
    "probs": "probably", "diff": "difference",
    "alot": "a lot", "becuz": "because", "mins": "minutes", "sec": "second", "secs": "seconds",
}  # fmt: skip

# --- Tracebacks and code --------------------------------------------------------------

_TRACEBACK_HEAD = re.compile(r"^\s*Traceback \(most recent call last\):?\s*$")
_TRACEBACK_NOISE = re.compile(
    r"^\s*(?:File\s+\"[^\"]*\"(?:,\s*line\s+\d+)?(?:,\s*in\s+\S+)?\s*$"
    r"|During handling of the above exception, another exception occurred:?"
    r"|The above exception was the direct cause of the following exception:?"
    r"|\[?Previous line repeated \d+ more times?\]?"
    r"|[\^~\s]*\^[\^~\s]*$)"
)
# A JavaScript stack frame or source position: "at f (/a/b.js:10:5)", "/a/b.js:10".
_JS_FRAME = re.compile(
    r"^\s*(?:at\s+.*(?::\d+(?::\d+)?\)?|\(native\)|\(<anonymous>\))"
    r"|(?:[A-Za-z]:)?[\\/]?[\w.\-@\\/]+\.(?:m?js|cjs|ts|tsx|jsx|py):\d+(?::\d+)?"
    r"|node:[\w/]+:\d+(?::\d+)?(?:\s*\(.*\))?"
    r"|Node\.js v[\d.]+)\s*$"
)
_ERROR_NAME = r"(?:[A-Za-z_][\w]*\.)*(?:[A-Z]\w*)?(?:Error|Exception|Warning|Interrupt|Exit|Fault)(?:\[\d+\])?"
# "KeyError: 'x'", "discord.errors.Forbidden: 403 ...", "Uncaught TypeError: x is not a function".
_ERROR_LINE = re.compile(
    rf"^\s*(?:Uncaught\s+(?:\(in promise\)\s+)?)?(?P<name>{_ERROR_NAME}|(?:[a-z_]\w*\.)+[A-Z]\w*)"
    r"(?:\s*:\s*(?P<message>.*?))?\s*$"
)
# After a traceback, any "Name: message" line is its error, whatever the name.
_ANY_ERROR_LINE = re.compile(r"^\s*(?P<name>[A-Za-z_][\w.]*)(?:\s*:\s*(?P<message>.*?))?\s*$")
_PATH = re.compile(
    r"""(?:[A-Za-z]:)?(?:[\\/][\w.\-@~ ]+){2,}[\\/]?|['"](?:[A-Za-z]:)?[\\/][^'"]*['"]"""
    r"|\bline\s+\d+\b|(?<=:)\d+:\d+\b"
)
_FENCE = re.compile(r"```[\w+#.-]*[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_INLINE_NAME = re.compile(r"^\{?[A-Za-z_][\w.]*\}?(?:\(\))?$")
_CODE_START = re.compile(
    r"^\s*(?:>>>|\.\.\.\s|\$\s|In \[\d+\]:|Out\[\d+\]:"
    r"|(?:async\s+)?def\s+\w+\s*\(|class\s+\w+\s*[(:]|@[\w.]+(?:\(.*\))?\s*$"
    r"|import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*\s*;?\s*$"
    r"|from\s+[\w.]+\s+import\s+[\w*,\s()]+$"
    r"|(?:const|let|var)\s+[\w{}\[\],\s]+=|function\s*\w*\s*\(|(?:module\.)?exports\b"
    r"|require\(|return\b.*[;)]\s*$|await\s+[\w.]+\(|print\(|console\.\w+\("
    r"|(?:if|elif|while|for|with)\b[^!?]*(?:[=<>()\[\]_]|\w\.\w)[^!?]*:\s*$|(?:try|else|finally)\s*:\s*$"
    r"|except\b[\w.\s,()]*(?:\bas\s+\w+)?\s*:\s*$"
    r"|[\w.\[\]'\"]+\s*(?:[+\-*/%|&]?=|:=)\s*[^=\s]"
    r"|[\w.]+\(.*\)\s*;?\s*$)"
)
_CODE_END = re.compile(r"(?:[;{}]|\)\s*:)\s*$")
_CODE_SYMBOLS = re.compile(r"[(){}\[\]=;<>]")
_CODE_COMMENT = re.compile(r"(?:^|\s)(?:#|//)\s*(?P<comment>[^#/].*)$")
_STRING_LITERAL = re.compile(r"""(?P<q>['"])(?P<body>[^'"\n]*)(?P=q)""")
_IDENTIFIER = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*")
_CODE_KEYWORDS = frozenset(
    """def class import from as return if elif else for while in is not and or try except
    finally raise with async await lambda pass break continue yield global nonlocal none
    true false self cls print const let var function new this null undefined typeof
    instanceof require module exports export default catch throw then switch case do
    void static public private protected int str float bool dict list tuple set args
    kwargs len range os sys re""".split()
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_VOCAB_WORD = re.compile(r"\w\w+")  # faster than letters only; other keys are never asked
_HAS_WORD = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class ReadQuestion:
    """A chat message read as a search: weighted parts and the typo fixes made."""

    parts: tuple[tuple[str, float], ...]
    corrections: tuple[tuple[str, str], ...] = ()

    def text(self) -> str:
        """The parts joined: what a person would read as the cleaned question."""
        return " ".join(text for text, _ in self.parts)


class QuestionReader:
    """Built once per library (engine) from its vocabulary; thread-safe; read() is fast (< 1 ms typical)."""

    def __init__(
        self,
        vocabulary: Mapping[str, int],
        *,
        known: Callable[[str], bool] | None = None,
        term_of: Callable[[str], str] | None = None,
        saved: Path | None = None,
    ) -> None:
        """`vocabulary`: the library's surface words (casefolded) and their counts.

        `known`, when given, also says whether the library has a word (for example through
        the index's terms), so a word the vocabulary missed is never "corrected".
        `term_of`, when given, says what a word is searched as (its stem): corrections
        that are searched alike ("foundd": "found" or "founded") are one choice.
        `saved`, when given, is a folder the library's speller is read from, or saved
        in once made: it must be tied to this vocabulary (the index's key names it).
        """
        self._vocabulary = vocabulary
        self._saved = saved
        self._library = frozenset(vocabulary)
        self._known_elsewhere = known
        self._term_of = term_of or (lambda word: word)
        self._spellers_lock = threading.Lock()
        self._spellers: tuple[Container[str], SymSpell, SymSpell] | None = None
        # The reader whose spellers this one uses: itself, or the one it was copied from.
        self._speller_owner = self
        self._correct = lru_cache(maxsize=50_000)(self._raw_correct)

    def make_spellers(self) -> None:
        """Make the spellers now: before forking workers that would each make their own."""
        self._tables()

    def _tables(self) -> tuple[Container[str], SymSpell, SymSpell]:
        """English's words and speller, and the library's speller: made on the first word
        that may be a typo, since most questions hold none (mapped when saved, else
        built: about a second at 100k passages)."""
        if self._speller_owner is not self:
            return self._speller_owner._tables()
        with self._spellers_lock:
            if self._spellers is None:
                english_words, english = _english()
                self._spellers = (english_words, english, self._library_speller())
            return self._spellers

    def _library_speller(self) -> SymSpell:
        """The speller over the library's frequent words: the saved one, else made (and saved)."""
        check = f"{len(self._vocabulary)} words"
        if self._saved is not None:
            speller = load_speller(self._saved, check=check)
            if speller is not None:
                return speller
        speller = _library_speller(self._vocabulary)
        if self._saved is not None:
            try:
                save_speller(self._saved, speller, check=check)
            except OSError as exc:
                log.info("speller not saved in %s (%s)", self._saved, exc.strerror or exc)
        return speller

    @classmethod
    def from_texts(
        cls,
        texts: Iterable[str],
        *,
        known: Callable[[str], bool] | None = None,
        term_of: Callable[[str], str] | None = None,
    ) -> QuestionReader:
        """Count the words of the articles (a sample past a budget) and build a reader on them."""
        return cls(count_words(texts), known=known, term_of=term_of)

    def knowing(self, known: Callable[[str], bool]) -> QuestionReader:
        """This reader, with `known` saying which words a larger library has (a server's
        articles beside the shared ones): none of them is "corrected" away."""
        reader = copy.copy(self)
        reader._known_elsewhere = known
        # One set of spellers (about 80 MB), made once, whichever copy meets a typo first.
        reader._speller_owner = self._speller_owner
        reader._correct = lru_cache(maxsize=50_000)(reader._raw_correct)
        return reader

    def knows(self, word: str) -> bool:
        """Whether the library uses `word` (casefolded)."""
        if word in self._library:
            return True
        return self._known_elsewhere is not None and self._known_elsewhere(word)

    def read(self, question: str) -> ReadQuestion:
        """The parts of `question` worth searching, each with its weight factor."""
        parts: list[tuple[str, float]] = []
        corrections: list[tuple[str, str]] = []
        text = strip_discord_markup(question)
        text = _URL.sub(_link, text)
        position = 0
        for fence in _FENCE.finditer(text):
            self._read_lines(text[position : fence.start()], parts, corrections, in_code=False)
            self._read_lines(fence.group(1), parts, corrections, in_code=True)
            position = fence.end()
        self._read_lines(text[position:], parts, corrections, in_code=False)
        return ReadQuestion(tuple(_merge(parts)), tuple(dict.fromkeys(corrections)))

    def _read_lines(
        self,
        text: str,
        parts: list[tuple[str, float]],
        corrections: list[tuple[str, str]],
        *,
        in_code: bool,
    ) -> None:
        in_traceback = False
        previous_code = False
        after_error = False  # the line just after an error line may go on with its message
        prose: list[str] = []

        def flush_prose() -> None:
            self._add_prose(" ".join(prose), parts, corrections)
            prose.clear()

        for line in text.splitlines():
            if not line.strip():
                previous_code = after_error = False
                continue
            if _TRACEBACK_HEAD.match(line):
                flush_prose()
                in_traceback = True
                continue
            if _is_frame(line):
                continue
            error = _error_line(line, in_traceback)
            if error is not None:
                flush_prose()
                in_traceback = False
                parts.append((_error_text(error.group("name"), error.group("message")), ERROR))
                after_error = True
                continue
            # "  Value error, Attribute `x` is required …" under pydantic's error line,
            # "You can install …" under a RuntimeError: the message goes on, in words.
            # One line: what follows it is a pointer ("For further information visit").
            message = _message_words(line, in_code) if after_error else None
            after_error = False
            if message:
                parts.append((message, ERROR))
                continue
            if in_traceback and line[:1].isspace():
                # The source lines a traceback quotes under each frame.
                _add_code(line, parts)
                continue
            if in_code or _looks_like_code(line, previous_code):
                flush_prose()
                self._code_line(line, parts, corrections, with_comment=not in_traceback)
                previous_code = True
                continue
            previous_code = False
            in_traceback = False
            line = _INLINE_CODE.sub(lambda m: _inline(m, parts), line)
            prose.append(line)
        flush_prose()

    def _add_prose(
        self, text: str, parts: list[tuple[str, float]], corrections: list[tuple[str, str]]
    ) -> None:
        """Prose read into a part, unless nothing but filler was left of it."""
        cleaned = self._clean_prose(text, corrections) if text.strip() else ""
        if not cleaned:
            return
        said = [s for s in _SENTENCE_END.split(cleaned) if _HAS_WORD.search(s)]
        asking = [_asks(s) for s in said]
        questions = [s for s, asks in zip(said, asking, strict=True) if asks]
        if all(asking) or not questions or self._thin(questions):
            parts.append((cleaned, PROSE))
            return
        for sentence, asks in zip(said, asking, strict=True):
            parts.append((sentence, PROSE if asks else CONTEXT))

    def _thin(self, asking: Iterable[str]) -> bool:
        """Whether the sentences that ask name at most THIN_ASK things ("how do i write
        one", "can i control that?"): then the scene they point back to says what is
        wanted, and it weighs as much as they do."""
        term_of = self._term_of
        return sum(1 for s in asking for w in _WORD.findall(s) if term_of(w)) <= THIN_ASK

    def _code_line(
        self,
        line: str,
        parts: list[tuple[str, float]],
        corrections: list[tuple[str, str]],
        *,
        with_comment: bool,
    ) -> None:
        """A line of pasted code: its identifiers weak evidence, its comment prose."""
        comment = _CODE_COMMENT.search(line)
        if comment is not None and with_comment:
            self._add_prose(comment.group("comment"), parts, corrections)
            line = line[: comment.start()]
        _add_code(line, parts)

    def _clean_prose(self, text: str, corrections: list[tuple[str, str]]) -> str:
        text = _EMOJI.sub(" ", text)
        text = _SHORTCODE.sub(" ", text)
        text = _EMOTICON.sub(" ", text)
        text = _FILLER.sub(" ", text)

        def word(match: re.Match[str]) -> str:
            typed = match.group(0)
            lower = typed.casefold().replace("’", "'")
            if lower in CONTRACTIONS:
                return CONTRACTIONS[lower]
            if self.knows(lower):
                return typed
            if lower in FILLER_WORDS:
                return ""
            if lower in CHAT_WORDS:
                return CHAT_WORDS[lower]
            if "'" in lower or not _may_correct(typed) or _in_a_name(match):
                return typed
            fixed = self._correct(lower)
            if fixed is None:
                return typed
            if typed[0].isupper():
                fixed = fixed[0].upper() + fixed[1:]
            corrections.append((typed, fixed))
            return fixed

        text = _WORD.sub(word, text)
        return _tidy(text)

    def _raw_correct(self, word: str) -> str | None:
        """The one confident correction of an unknown word, or None."""
        if len(word) < 3 or _well_known(word):
            return None
        english_words, english_speller, library_speller = self._tables()
        if word in english_words:
            return None
        library = None
        if len(word) >= 4:
            library = _confident(library_speller, word, 1 if len(word) <= 7 else 2, self._term_of)
        english = _confident(english_speller, word, 1, self._term_of)
        if library is not None and (english is None or library[1] <= english[1]):
            return library[0]
        return english[0] if english is not None else None


def count_words(texts: Iterable[str], budget: int = COUNT_BUDGET_WORDS) -> Counter[str]:
    """Casefolded words of `texts` with their counts; past `budget` words, a sample.

    The first `budget` words are all counted; then every 2nd text (weighted x2) until the
    texts seen cover twice the budget, every 4th until four times, and so on: a million
    passages cost about twice what the first hundred thousand do.
    """
    counts: Counter[str] = Counter()
    covered = 0
    stride = 1
    for i, text in enumerate(texts):
        if i % stride:
            continue
        words = _VOCAB_WORD.findall(text.casefold())
        if stride == 1:
            counts.update(words)
        else:
            for word, count in Counter(words).items():
                counts[word] += count * stride
        covered += len(words) * stride
        if covered >= budget * stride:
            stride *= 2
    for word in [word for word in counts if not word.isalpha()]:
        del counts[word]  # numbers and snake_case: never typo candidates, never looked up
    return counts


def _confident(
    speller: SymSpell, word: str, distance: int, term_of: Callable[[str], str]
) -> tuple[str, int] | None:
    """The closest plausible correction, when its search term clearly beats the others'.

    Suggestions searched as the same term ("found", "founded") pool their counts: which
    of them was meant does not change what is searched.
    """
    from symspellpy import Verbosity

    suggestions = [
        suggestion
        for suggestion in speller.lookup(word, Verbosity.CLOSEST, max_edit_distance=distance)
        if _plausible_typo(word, suggestion.term, suggestion.distance)
    ]
    if not suggestions or suggestions[0].distance == 0:
        return None
    terms = {s.term: term_of(s.term) or s.term for s in suggestions}  # stop words: themselves
    pooled: dict[str, int] = {}
    for suggestion in suggestions:
        pooled[terms[suggestion.term]] = pooled.get(terms[suggestion.term], 0) + suggestion.count
    ranked = sorted(pooled.values(), reverse=True)
    if len(ranked) > 1 and ranked[0] < DOMINANCE * ranked[1]:
        return None
    best = max(suggestions, key=lambda s: (pooled[terms[s.term]], s.count))
    if len(word) > len(best.term) and (len(best.term) <= SHORT_WORD or not term_of(best.term)):
        # A letter more than a short or stop word ("anda", "ona", "thee") makes another
        # word, a name or a word of another language more often than a slip; correcting
        # it would only throw it away. A slip of the same length ("teh") is still one.
        return None
    return best.term, best.distance


#: Words this short are no target for a typo one letter longer than them.
SHORT_WORD = 3


#: Zipf frequency (log10 per billion words) from which wordfreq knows a word well enough
#: that it is never taken for a typo, even when symspellpy's dictionary lacks it ("teh",
#: a common typo, is 3.0).
WELL_KNOWN_ZIPF = 3.5


def _well_known(word: str) -> bool:
    """Whether English at large uses `word` often (wordfreq): then it was meant."""
    return zipf(word) >= WELL_KNOWN_ZIPF


def library_speller_name(index_key: str) -> str:
    """The folder name the library's speller is saved under, for the index saved under
    `index_key`: what makes the speller (symspellpy, the targets' limits) is in it too."""
    limits = f"{MIN_TARGET_COUNT}-{MAX_LIBRARY_TARGETS}"
    return f"{index_key}-symspellpy{speller_version()}-{limits}-{SPELLER_FORMAT}"


def _library_speller(vocabulary: Mapping[str, int]) -> SymSpell:
    """A speller over the library's most frequent words (MAX_LIBRARY_TARGETS)."""
    from symspellpy import SymSpell

    targets = heapq.nlargest(
        MAX_LIBRARY_TARGETS,
        (
            (count, word)
            for word, count in vocabulary.items()
            if count >= MIN_TARGET_COUNT and len(word) >= 4 and word.isalpha()
        ),
    )
    speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    for count, word in targets:
        speller.create_dictionary_entry(word, count)
    return speller


_english_lock = threading.Lock()
_english_cache: tuple[Container[str], SymSpell] | None = None


def _english() -> tuple[Container[str], SymSpell]:
    """Every word of symspellpy's English dictionary, and a speller over the common ones:
    mapped from the user's cache when saved there, else read, built and saved."""
    global _english_cache
    with _english_lock:
        if _english_cache is None:
            folder = _english_folder()
            words: Container[str] | None = None
            if folder is not None:
                words = load_words(folder / "words")
            speller = load_speller(folder / "speller") if folder is not None else None
            if words is None or speller is None:
                all_words, speller = _english_built()
                words = all_words
                if folder is not None:
                    try:
                        save_words(folder / "words", sorted(all_words))
                        save_speller(folder / "speller", speller)
                    except OSError as exc:
                        log.info("English speller not saved in %s (%s)", folder, exc)
            _english_cache = (words, speller)
        return _english_cache


def _english_folder() -> Path | None:
    """Where the English speller is kept: the user's cache, by symspellpy's version."""
    try:
        name = f"english-speller-symspellpy{speller_version()}-{MAX_ENGLISH_TARGETS}"
        return word_tables.cache_root() / f"{name}-{SPELLER_FORMAT}"
    except RuntimeError:  # no home folder to keep a cache in
        return None


def _english_built() -> tuple[frozenset[str], SymSpell]:
    """symspellpy's bundled English dictionary read: every word, and the common ones' speller."""
    from symspellpy import SymSpell

    path = importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    entries = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    words = frozenset(entry[0] for entry in entries if entry)
    speller = SymSpell(max_dictionary_edit_distance=1, prefix_length=7)
    for word, count in entries[:MAX_ENGLISH_TARGETS]:
        speller.create_dictionary_entry(word, int(count))
    return words, speller


_QWERTY = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_ROW_OFFSET = (0.0, 0.25, 0.75)
_KEY_AT = {key: (row, col) for row, keys in enumerate(_QWERTY) for col, key in enumerate(keys)}


def _near_keys(a: str, b: str) -> bool:
    """Whether two letters sit next to each other on a QWERTY keyboard."""
    if a not in _KEY_AT or b not in _KEY_AT:
        return True  # not a QWERTY letter: no evidence either way
    (row_a, col_a), (row_b, col_b) = _KEY_AT[a], _KEY_AT[b]
    # Rows are staggered by a quarter, then half a key: x is where a key's centre sits.
    dx = abs((col_a + _ROW_OFFSET[row_a]) - (col_b + _ROW_OFFSET[row_b]))
    return dx == 1 if row_a == row_b else abs(row_a - row_b) == 1 and dx <= 0.75


_VOWELS = frozenset("aeiouy")


def _may_swap(typed: str, meant: str) -> bool:
    """Whether one letter typed for another is a slip: a neighbouring key, or vowels."""
    return _near_keys(typed, meant) or (typed in _VOWELS and meant in _VOWELS)


def _plausible_typo(typed: str, fixed: str, budget: int = 2) -> bool:
    """Whether slips of the hand turn `fixed` into `typed` within `budget` edits.

    A letter missed, doubled or swapped with its neighbour, a key next to the right one,
    or one vowel for another (spelled as heard: "deepseak", "seperate"); another letter
    far from the right key makes another name ("gunicorn" is no typo of "uvicorn").
    """
    i = 0
    while i < len(typed) and i < len(fixed) and typed[i] == fixed[i]:
        i += 1
    if i == len(typed) and i == len(fixed):
        return True
    if budget == 0:
        return False
    rest_typed, rest_fixed = typed[i:], fixed[i:]
    if rest_typed[:1] and rest_fixed[:1] and _may_swap(rest_typed[0], rest_fixed[0]):
        if _plausible_typo(rest_typed[1:], rest_fixed[1:], budget - 1):
            return True
    if rest_typed[:2] == rest_fixed[1::-1] and len(rest_typed) >= 2:
        if _plausible_typo(rest_typed[2:], rest_fixed[2:], budget - 1):
            return True
    return (
        bool(rest_typed)
        and _plausible_typo(rest_typed[1:], rest_fixed, budget - 1)
        or (bool(rest_fixed) and _plausible_typo(rest_typed, rest_fixed[1:], budget - 1))
    )


_NAME_JOINERS = frozenset("./\\_-@")


def _in_a_name(match: re.Match[str]) -> bool:
    """Part of a file, path, package or dotted name (".env", "pydantic-settings")."""
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else ""
    after = text[end : end + 2]
    return before in _NAME_JOINERS or (
        len(after) == 2 and after[0] in _NAME_JOINERS and after[1].isalnum()
    )


def _may_correct(typed: str) -> bool:
    """Acronyms ("NVLM") and mixed case ("iPhone", "camelCase") are names, not typos; Han,
    kana and Hangul are read in pairs, never spelled ("deepseekは" is no typo of "deepseek")."""
    return (
        typed.isalpha()
        and (typed.islower() or (typed[0].isupper() and typed[1:].islower()))
        and not has_cjk(typed)
    )


def _is_frame(line: str) -> bool:
    """A traceback's frame or caret line, Python's or JavaScript's: paths and numbers, noise."""
    return bool(_TRACEBACK_NOISE.match(line) or _JS_FRAME.match(line))


def _error_line(line: str, in_traceback: bool) -> re.Match[str] | None:
    """A "Name: message" error line; inside a traceback any unindented one counts."""
    error = _ERROR_LINE.match(line)
    if error is None and in_traceback and not line[:1].isspace():
        error = _ANY_ERROR_LINE.match(line)
    return error


def _message_words(line: str, in_code: bool) -> str | None:
    """A line under an error line that goes on with its message in words (its `[key=value,
    …]` details and paths dropped), or None when it reads as code or is too short to say
    anything; outside pasted code only an indented line can (unindented, the asker speaks)."""
    if not (in_code or line[:1].isspace()):
        return None
    words = _tidy(_PATH.sub(" ", _URL.sub(" ", _DETAILS.sub(" ", line))).replace("`", ""))
    if len(_WORD.findall(words)) < MESSAGE_WORDS or _looks_like_code(words, False):
        return None
    return words


def _looks_like_code(line: str, previous_code: bool) -> bool:
    if previous_code and line[:1] in (" ", "\t"):
        return True
    if _CODE_START.match(line) or _CODE_END.search(line):
        return True
    symbols = len(_CODE_SYMBOLS.findall(line))
    return symbols >= 4 and symbols >= 0.1 * len(line.strip())


def _add_code(line: str, parts: list[tuple[str, float]]) -> None:
    """The identifiers (and string contents) of a line of code: weak evidence."""
    line = _PATH.sub(" ", _URL.sub(" ", line))
    names: list[str] = []
    for literal in _STRING_LITERAL.finditer(line):
        names.extend(_WORD.findall(literal.group("body")))
    names.extend(
        name
        for name in _IDENTIFIER.findall(_STRING_LITERAL.sub(" ", line))
        if name.casefold() not in _CODE_KEYWORDS and len(name) > 1
    )
    if names:
        parts.append((" ".join(dict.fromkeys(names)), CODE))


def _inline(match: re.Match[str], parts: list[tuple[str, float]]) -> str:
    """Inline code: a name stays in the sentence; a snippet is code."""
    body = match.group(1).strip()
    if _INLINE_NAME.match(body):
        return body
    if _CODE_SYMBOLS.search(body) or len(body.split()) > 3:
        _add_code(body, parts)
        return " "
    return body


def _error_text(name: str, message: str | None) -> str:
    message = _EMPTY_BRACKETS.sub(" ", _PATH.sub(" ", message or ""))
    return _tidy(f"{name}: {message}" if message.strip() else name)


def _merge(parts: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Neighbouring parts of the same weight become one (code lines, prose lines)."""
    merged: list[tuple[str, float]] = []
    for text, factor in parts:
        if merged and merged[-1][1] == factor:
            if factor == CODE:
                words = dict.fromkeys(merged[-1][0].split() + text.split())
                merged[-1] = (" ".join(words), factor)
            else:
                merged[-1] = (f"{merged[-1][0]} {text}", factor)
        else:
            merged.append((text, factor))
    return merged


_LEADING_JUNK = re.compile(r"^[\s,;:.!?\-–—]+")
_REPEATED = re.compile(r"([!?])[!?]+|(,)[\s,]*,")
_SPACE_BEFORE = re.compile(r"\s+([,.!?;:])(?=[\s,.!?;:]|$)")
# pydantic's "[type=value_error, input_value={...}, input_type=dict]", to the line's end.
_DETAILS = re.compile(r"\[\w+=.*$")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]|\{\s*\}|''|\"\"")
_EMPTY_CLAUSE = re.compile(r"([,;:])(?:\s*[,;:.!?])+")


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_ASKING = re.compile(
    r"^(?:so\s+|and\s+|but\s+|also\s+|ok\s+|then\s+)?(?:how|what|why|where|when|which|who|whom|whose"
    r"|can|could|is|are|was|were|do|does|did|should|would|will|shall|may|might|must|has|have"
    r"|any\s+way|is\s+there|are\s+there)\b",
    re.IGNORECASE,
)


def _asks(sentence: str) -> bool:
    """Whether a sentence of a message is its question (a '?' or a question word first)."""
    return sentence.rstrip().endswith("?") or bool(_ASKING.match(sentence.lstrip()))


def _tidy(text: str) -> str:
    """Whitespace and punctuation left behind by removals, tidied; '' when no word is left."""
    text = " ".join(text.split())
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _REPEATED.sub(lambda m: m.group(1) or m.group(2), text)
    text = _EMPTY_CLAUSE.sub(lambda m: m.group(0)[-1], text)
    text = _LEADING_JUNK.sub("", text).strip()
    text = re.sub(r"^[,;:]+|[,;:]+$", "", text).strip()
    return text if _HAS_WORD.search(text) else ""
