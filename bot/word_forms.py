"""Word forms that stems miss: founded/founder, built/builder, invented/invention.

Snowball stems cut inflections ("founding" → "found") but leave derivations and
irregular forms apart: "founder" keeps its own stem, "built" is not "build". A
question in one form should still meet an article in another, so each question
word is widened to its relatives: its lemmas and their inflections (lemminflect's
tables, which know irregular verbs), and the agent and action nouns derived from a
verb (-er, -or, -ion, -ation, -ment) or the verb a noun derives from. The caller
keeps only relatives its library actually holds, so a rule that overreaches costs
nothing where the word it makes does not occur.
"""

from __future__ import annotations

from functools import lru_cache

from bot import word_tables

__all__ = ["relatives"]

#: Suffixes that turn a verb into a noun of its doer or its action.
_NOUN_SUFFIXES = ("er", "or", "ion", "ation", "ment")
#: Lemma parts of speech widened: adjectives' lemmas ("better" → "good") would stray.
_POS = ("VERB", "NOUN")


@lru_cache(maxsize=50_000)
def relatives(word: str) -> frozenset[str]:
    """Surface words related to `word` by inflection or derivation, without `word` itself.

    Words of fewer than four letters and words with digits are left alone: their
    relatives are more often accidents ("is" → "ion") than kin.
    """
    word = word.casefold()
    if len(word) < 4 or not word.isalpha():
        return frozenset()
    lemmas = {
        lemma for pos, found in word_tables.lemmas(word).items() if pos in _POS for lemma in found
    }
    lemmas.add(word)
    verbs = {lemma for lemma in lemmas if _is_verb(lemma)}
    for lemma in list(lemmas):
        verbs.update(_verb_of_noun(lemma))
    kin = set(lemmas) | verbs
    for verb in verbs:
        kin.update(_nouns_of_verb(verb))
    forms: set[str] = set()
    for lemma in kin:
        forms.add(lemma)
        for inflected in word_tables.inflections(lemma).values():
            forms.update(inflected)
    forms.discard(word)
    return frozenset(f for f in forms if f.isalpha())


#: The tags lemminflect counts as a verb's (its `uposToTags("VERB")`).
_VERB_TAGS = frozenset({"VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "MD"})


def _is_verb(word: str) -> bool:
    """Whether lemminflect inflects `word` as a verb (`getAllInflections(word, upos="VERB")`)."""
    return any(tag in _VERB_TAGS for tag in word_tables.inflections(word.lower()))


def _nouns_of_verb(verb: str) -> set[str]:
    """Agent and action nouns a verb may have: build → builder, invent → invention."""
    stems = {verb}
    if verb.endswith("e"):
        stems.add(verb[:-1])  # create → creat(ion), write → writ(er)
    nouns = set()
    for stem in stems:
        for suffix in _NOUN_SUFFIXES:
            nouns.add(stem + suffix)
    if (
        len(verb) > 3
        and verb[-1] not in "aeiouwxy"
        and verb[-2] in "aeiou"
        and verb[-3] not in "aeiou"
    ):
        nouns.add(verb + verb[-1] + "er")  # run → runner, begin → beginner
    return nouns


def _verb_of_noun(noun: str) -> set[str]:
    """The verb an agent or action noun derives from, when it is a verb: founder → found."""
    verbs = set()
    for suffix in _NOUN_SUFFIXES:
        if noun.endswith(suffix) and len(noun) - len(suffix) >= 3:
            base = noun[: -len(suffix)]
            for candidate in (base, base + "e"):
                if _is_verb(candidate):
                    verbs.add(candidate)
            if len(base) > 3 and base[-1] == base[-2]:
                if _is_verb(base[:-1]):
                    verbs.add(base[:-1])  # runner → run
    return verbs
