"""The admins' synonyms file, so a question in one community's words finds the articles' words.

`synonyms.txt` at the corpus root, in the Solr / Elasticsearch synonym format:

    # comments and blank lines are ignored
    server, guild            # equivalent: any one brings in the others
    ping, mention
    direct message, dm       # entries may be phrases
    gpu, graphics card => graphics processing unit   # explicit: left side brings in the right

Words are matched by their stems, so "servers" meets "server, guild". A line that cannot
be read is skipped with one warning naming its number; nothing in the file stops the bot.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import Stemmer

log = logging.getLogger(__name__)

#: The file's name at the corpus root; the corpus loader does not read it as an article.
SYNONYMS_FILE = "synonyms.txt"
#: Larger files are refused: a synonyms list is written by hand.
MAX_BYTES = 2 * 1024 * 1024
#: Words in one entry; longer "phrases" are a mistake (a missing comma).
MAX_PHRASE_WORDS = 8

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_stemmer = Stemmer.Stemmer("english")
_stem_lock = threading.Lock()

Key = tuple[str, ...]


def _key(text: str) -> Key:
    """The stems of a phrase's words, the form both the file and questions are matched in."""
    words = [word.casefold().replace("’", "'") for word in _WORD.findall(text)]
    with _stem_lock:  # PyStemmer objects are not thread-safe
        return tuple(_stemmer.stemWords(words))


@dataclass(frozen=True)
class Synonyms:
    """Phrase -> the phrases a question containing it should also search."""

    rules: dict[Key, tuple[str, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    longest: int = 0

    @classmethod
    def empty(cls) -> Synonyms:
        """No synonyms (a library without a synonyms file, and the evaluation)."""
        return cls()

    @classmethod
    def load(cls, path: Path | str, warn: Callable[[str], None] | None = None) -> Synonyms:
        """Read a synonyms file; a missing file is no synonyms, a bad line one warning.

        Each warning is logged, kept in `warnings` and, when given, passed to `warn`.
        """
        path = Path(path)
        try:
            if path.stat().st_size > MAX_BYTES:
                problem = f"larger than {MAX_BYTES // (1024 * 1024)} MB, not read"
                return cls.parse([], name=path.name, problems=[problem], warn=warn)
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            return cls.empty()
        except UnicodeDecodeError:
            return cls.parse([], name=path.name, problems=["not UTF-8 text, not read"], warn=warn)
        except OSError as exc:
            problem = f"cannot read it ({exc.strerror or exc})"
            return cls.parse([], name=path.name, problems=[problem], warn=warn)
        return cls.parse(text.splitlines(), name=path.name, warn=warn)

    @classmethod
    def parse(
        cls,
        lines: Iterable[str],
        *,
        name: str = SYNONYMS_FILE,
        problems: Iterable[str] = (),
        warn: Callable[[str], None] | None = None,
    ) -> Synonyms:
        """Synonyms from lines in the file's format; `problems` met while reading are kept."""
        warnings: list[str] = []

        def note(problem: str) -> None:
            message = f"{name}: {problem}"
            warnings.append(message)
            if warn is not None:
                warn(message)  # the caller shows it (the CLI prints, the bot logs)
            else:
                log.warning("%s", message)

        for problem in problems:
            note(problem)
        rules: dict[Key, dict[str, None]] = {}

        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            problem, groups = _parse_line(line)
            if problem:
                note(f"line {number}: {problem}; line skipped")
                continue
            # "a, b => c": a and b bring in c; "a, b, c": each brings in the others.
            sources, targets = (groups[0], groups[1]) if len(groups) == 2 else (groups[0],) * 2
            for source in sources:
                _add_rule(rules, source, targets)
        final = {key: tuple(targets) for key, targets in rules.items() if targets}
        longest = max((len(key) for key in final), default=0)
        return cls(final, tuple(warnings), longest)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def expand(self, words: str | Iterable[str]) -> tuple[str, ...]:
        """The extra words and phrases to search for a question (text, or its words).

        Phrases are matched longest first, so "direct message" wins over "message".
        """
        return tuple(dict.fromkeys(target for _, target in self.matches(words)))

    def matches(self, words: str | Iterable[str]) -> tuple[tuple[str, str], ...]:
        """(the question's words a rule matched, a phrase that rule brings in), in order.

        A phrase the question already holds is left out.
        """
        if not self.rules:
            return ()
        text = words if isinstance(words, str) else " ".join(words)
        found = [word.casefold().replace("’", "'") for word in _WORD.findall(text)]
        stems = _key(text)
        present = set(stems)
        pairs: dict[tuple[str, str], None] = {}
        i = 0
        while i < len(stems):
            for size in range(min(self.longest, len(stems) - i), 0, -1):
                targets = self.rules.get(stems[i : i + size])
                if targets is not None:
                    source = " ".join(found[i : i + size])
                    for target in targets:
                        if not set(_key(target)) <= present:
                            pairs[(source, target)] = None
                    i += size
                    break
            else:
                i += 1
        return tuple(pairs)


def _add_rule(rules: dict[Key, dict[str, None]], source: str, targets: list[str]) -> None:
    """`source` brings in each of `targets` but itself."""
    own = _key(source)
    bag = rules.setdefault(own, {})
    for target in targets:
        if _key(target) != own:
            bag[target] = None


def _parse_line(line: str) -> tuple[str, list[list[str]]]:
    """('', groups) for a good line, or (what is wrong, [])."""
    line = re.sub(r"\s+#.*$", "", line)  # a trailing comment
    sides = line.split("=>")
    if len(sides) > 2:
        return "more than one '=>'", []
    groups: list[list[str]] = []
    for side in sides:
        # Empty entries ("a, b," or "a,,b") are passed over, as Solr does.
        terms = [" ".join(term.split()) for term in side.split(",") if term.strip()]
        if not terms and len(sides) == 1:
            return "no term in it", []
        if not terms:
            where = "left" if side is sides[0] else "right"
            return f"nothing on the {where} of '=>'", []
        for term in terms:
            if not _WORD.search(term):
                return f"'{term}' has no word in it", []
            if len(_WORD.findall(term)) > MAX_PHRASE_WORDS:
                return (
                    f"'{term[:40]}' is longer than {MAX_PHRASE_WORDS} words (a missing comma?)",
                    [],
                )
        groups.append(terms)
    if len(groups) == 1 and len(groups[0]) < 2:
        return "one term and nothing to match it with (use 'a, b' or 'a => b')", []
    return "", groups
