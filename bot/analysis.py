"""Every passage's sentences and their terms, analysed once and saved beside the index.

The second stage scores a question's candidates sentence by sentence, and analysing a
passage it sees for the first time (splitting sentences, tokenising, stemming) took a
sixth of a batch's answering time: the re-ranker's cache only helps passages asked
about before. So each passage's sentences are analysed as the index is built and
saved beside it as memory-mapped arrays: sentence bounds, and each sentence's terms as the
index's term ids. Answering then reads a passage's slices and matches the question's
terms by id; `bot.rerank` scores the same sentences with the same terms, so answers
are exactly those of analysing on the fly. (The answer cues, a date or a name, are
still read per question: six patterns over every sentence would cost more to build
than the analysis itself.)

What is saved depends on the index (the passages and their term ids), the analyzer
(its version and language) and the code that splits and tokenises (`bot.text`): a
change to any of them misses the key and the table is built again. A table that does
not add up is rebuilt with a warning, never half used; saves are atomic, as the
index's are. Passages past the table (a server's own articles) are analysed on the fly.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import shutil
import tempfile
from array import array
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

from bot import text as text_module
from bot.atomic import staged_folder
from bot.corpus import Article, Passage
from bot.errors import IndexLoadError
from bot.index import BM25Index, retire_others
from bot.rerank import SENTENCE_CACHE, Analysed, Bits, Query
from bot.text import Analyzer, passage_sentences

log = logging.getLogger(__name__)

#: Bumped whenever what is saved here changes shape.
ANALYSIS_FORMAT = 1
#: Whatever a saved table fails with: each means "analyse the passages again".
UNUSABLE = (IndexLoadError, OSError, ValueError, KeyError, TypeError, IndexError)
_FILES = ("passage_sentences", "bounds", "sentence_terms", "terms")


def analysis_key(index_key: str, analyzer: Analyzer) -> str:
    """What a saved table depends on: the index it numbers terms by, the analyzer's
    version and language, and the code that splits and tokenises."""
    digest = hashlib.sha256()
    fields = [ANALYSIS_FORMAT, index_key, Analyzer.VERSION, analyzer.language]
    digest.update(json.dumps(fields).encode())
    digest.update(Path(str(text_module.__file__)).read_bytes())
    return digest.hexdigest()[:24]


class SentenceRecorder:
    """Analyses passages sentence by sentence and keeps what it found, handing back
    each passage's terms: the index is built from them (`index_passages`), so building
    both tokenises the text once. A passage's terms are its sentences' in order, since
    sentences cover every word of it (they split only at white space).

    The terms kept (4 bytes each, tens of millions at a million passages) are written to
    a temporary file as they come, so building holds only the sentences' bounds."""

    def __init__(self, analyzer: Analyzer) -> None:
        self._analyzer = analyzer
        # Each term's own number, in order of appearance (numbered in C: no call a term).
        self._ids: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self._passage_sentences = array("Q", [0])
        self._bounds = array("I")  # offsets in an article's text (at most 20 MB of it)
        self._sentence_terms = array("Q", [0])
        self._terms = array("I")  # the terms not written out yet
        self._written = 0
        self._spill: IO[bytes] | None = None
        self._failed: Exception | None = None
        self.passages = 0

    def __call__(self, text: str, passage: Passage) -> list[str]:
        """The terms of the passage's text, its sentences analysed and kept on the way."""
        spans = passage_sentences(text, passage.start, passage.end)
        found: list[str] = []
        for start, end in spans:
            terms = self._analyzer.terms(text[start:end])
            found += terms
            if self._failed is None:
                self._keep(start, end, terms)
        self._passage_sentences.append(len(self._bounds) // 2)
        self.passages += 1
        return found

    def _keep(self, start: int, end: int, terms: list[str]) -> None:
        """Keep a sentence; a failure (no room for the temporary file) only drops the table."""
        try:
            self._terms.extend(map(self._ids.__getitem__, terms))
            self._bounds.extend((start, end))
            self._sentence_terms.append(self._written + len(self._terms))
            if len(self._terms) >= _SPILL_TERMS:
                self._write()
        except (OSError, OverflowError) as exc:
            self._failed = exc

    def _write(self) -> None:
        if self._spill is None:
            self._spill = tempfile.TemporaryFile(prefix="citebot-sentences-")
        self._terms.tofile(self._spill)
        self._written += len(self._terms)
        del self._terms[:]

    def arrays(self, index: BM25Index) -> dict[str, np.ndarray]:
        """What was kept, the terms numbered as `index` numbers them, ready to save."""
        if self._failed is not None:
            raise ValueError(f"the sentences could not be kept ({self._failed})")
        numbers = [index.term_id(term) for term in self._ids]
        if None in numbers:
            raise ValueError("the index lacks terms of the passages analysed")
        if self._spill is not None:
            self._write()
            self._spill.flush()
        kept: np.ndarray = (
            np.memmap(self._spill, dtype=np.uint32, mode="r", shape=(self._written,))
            if self._spill is not None and self._written
            else np.frombuffer(self._terms, np.uint32)
        )
        # Straight into the narrowest type: at a million passages the terms are tens of
        # millions, and every wider copy of them would weigh hundreds of MB.
        kind = np.uint16 if index.vocabulary_size <= 1 << 16 else np.uint32
        terms = np.array(numbers, dtype=kind)[kept]
        del kept
        self.close()
        return {
            "passage_sentences": _compact(np.frombuffer(self._passage_sentences, np.uint64)),
            "bounds": _compact(np.frombuffer(self._bounds, np.uint32)).reshape(-1, 2),
            "sentence_terms": _compact(np.frombuffer(self._sentence_terms, np.uint64)),
            "terms": terms,
        }

    def close(self) -> None:
        """Remove the temporary file (what it held can no longer be read)."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None
            self._failed = self._failed or ValueError("the recorder was closed")


#: Terms a `SentenceRecorder` holds before it writes them to its temporary file.
_SPILL_TERMS = 1 << 20


def analyse_passages(
    articles: Sequence[Article],
    passages: Sequence[Passage],
    analyzer: Analyzer,
    index: BM25Index,
) -> dict[str, np.ndarray]:
    """Each passage's sentences as the second stage reads them (see `rerank._analysed`),
    for an index built without a `SentenceRecorder`: their bounds in the article's text
    and their terms as `index`'s term ids."""
    recorder = SentenceRecorder(analyzer)
    for passage in passages:
        recorder(articles[passage.article].text, passage)
    return recorder.arrays(index)


def _compact(values: np.ndarray) -> np.ndarray:
    """`values` in the narrowest unsigned type that holds them."""
    largest = int(values.max(initial=0))
    for kind in (np.uint8, np.uint16, np.uint32):
        if largest <= np.iinfo(kind).max:
            return values.astype(kind, copy=False)
    return values.astype(np.uint64, copy=False)


_Spans = tuple[tuple[int, int, Sequence[Hashable]], ...]


class Keyed(NamedTuple):
    """A question's terms keyed by term id (see `SavedAnalysis.keyed`)."""

    concept_of: dict[int, str]
    forms: frozenset[int]
    pair_of: dict[tuple[int, int], tuple[str, str]]


class BitKeys(NamedTuple):
    """A question's terms keyed by term id for `SavedAnalysis.sentence_bits`: the ids
    (ascending), the number of the question term each stands for (`Bits.concepts`), and
    the bit of each pair of those numbers that is a question word pair (0 if none)."""

    ids: np.ndarray
    numbers: np.ndarray
    pairs: np.ndarray


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The ranges [start, start + count) one after the other, as one array."""
    total = int(counts.sum())
    shift = starts - (np.cumsum(counts) - counts)
    ranges: np.ndarray = np.arange(total, dtype=np.int64) + np.repeat(shift, counts)
    return ranges


class SavedAnalysis:
    """A saved table of analysed passages, memory-mapped; `analysed` reads one passage."""

    def __init__(self, arrays: Mapping[str, np.ndarray], index: BM25Index) -> None:
        # Plain arrays over the mapped memory: a memmap's slices cost more than their reads.
        read = {name: np.asarray(arrays[name]) for name in _FILES}
        self._passage_sentences = read["passage_sentences"]
        self._bounds = read["bounds"]
        self._sentence_terms = read["sentence_terms"]
        self._terms = read["terms"]
        self._index = index
        self.passages = self._passage_sentences.shape[0] - 1
        sentences = self._bounds.shape[0]
        if not (
            self._passage_sentences.ndim == self._sentence_terms.ndim == self._terms.ndim == 1
            and self._bounds.shape == (sentences, 2)
            and self._sentence_terms.shape == (sentences + 1,)
            and self.passages == index.n_docs
            and int(self._passage_sentences[-1]) == sentences
            and int(self._sentence_terms[-1]) == self._terms.shape[0]
            and int(self._terms.max(initial=0)) < max(index.vocabulary_size, 1)
        ):
            raise IndexLoadError("saved sentences do not add up")
        # A passage read is kept for the next question that reads it, with its cues (see
        # `rerank._has_cue`), as the on-the-fly analysis keeps them.
        self._read: Callable[[int], tuple[_Spans, dict[tuple[int, str], Any]]] = lru_cache(
            maxsize=SENTENCE_CACHE
        )(self._passage)
        #: The answer cues read in each passage's sentences (see `rerank._has_cue`).
        self.cues: Callable[[int], dict[tuple[int, str], Any]] = lru_cache(maxsize=SENTENCE_CACHE)(
            self._room
        )

    def keyed(self, query: Query) -> Keyed:
        """The question's terms keyed by term id, as `analysed` hands them to the re-ranker."""
        term_id = self._index.term_id
        concept_of = {
            tid: concept
            for term, concept in query.concept_of.items()
            if (tid := term_id(term)) is not None
        }
        pair_of = {
            (x, y): pair
            for (a, b), pair in query.pair_of.items()
            if (x := term_id(a)) is not None and (y := term_id(b)) is not None
        }
        return Keyed(concept_of, frozenset(concept_of), pair_of)

    def bit_keys(self, bits: Bits) -> BitKeys:
        """The question's terms by term id, as `sentence_bits` reads them."""
        term_id = self._index.term_id
        held = sorted(
            (tid, bits.concepts.index(concept))
            for term, concept in bits.query.concept_of.items()
            if (tid := term_id(term)) is not None
        )
        ids = np.array([tid for tid, _ in held], dtype=np.int64)
        numbers = np.array([number for _, number in held], dtype=np.int64)
        # Row and column len(concepts) stand for a term that is none of the question's.
        pairs = np.zeros((len(bits.concepts) + 1,) * 2, dtype=np.int64)
        for (a, b), bit in bits.pair_bit.items():
            pairs[bits.concepts.index(a), bits.concepts.index(b)] = bit
        return BitKeys(ids, numbers, pairs)

    def sentence_bits(self, numbers: Sequence[int], keys: BitKeys) -> list[list[list[int]]]:
        """Each of passages `numbers`' sentences (all in the table) as [start, end, the
        question terms it holds, the question word pairs it keeps in order], the last two
        as `Bits` masks: every sentence of every candidate matched at once."""
        passage = np.asarray(numbers, dtype=np.int64)
        first = self._passage_sentences[passage].astype(np.int64)
        count = self._passage_sentences[passage + 1].astype(np.int64) - first
        sentence = _ranges(first, count)
        lo = self._sentence_terms[sentence].astype(np.int64)
        length = self._sentence_terms[sentence + 1].astype(np.int64) - lo
        terms = self._terms[_ranges(lo, length)].astype(np.int64)
        concept = np.full(terms.shape[0] + 1, keys.pairs.shape[0] - 1, dtype=np.int64)
        masks = np.zeros(terms.shape[0] + 1, dtype=np.int64)  # one past the end: room
        if keys.ids.shape[0] and terms.shape[0]:
            at = np.minimum(np.searchsorted(keys.ids, terms), keys.ids.shape[0] - 1)
            hit = keys.ids[at] == terms
            concept[:-1][hit] = keys.numbers[at[hit]]
            masks[:-1][hit] = np.left_shift(1, keys.numbers[at[hit]])
        # The pair a term makes with the next one, within its sentence.
        pairs = np.zeros_like(masks)
        pairs[:-2] = keys.pairs[concept[:-2], concept[1:-1]]
        starts = np.cumsum(length) - length
        ends = starts + length
        pairs[ends[length > 0] - 1] = 0
        held = np.bitwise_or.reduceat(masks, starts) if starts.shape[0] else starts
        kept = np.bitwise_or.reduceat(pairs, starts) if starts.shape[0] else starts
        held[length == 0] = 0
        kept[length == 0] = 0
        bounds = self._bounds[sentence].astype(np.int64)
        rows = np.column_stack((bounds, held, kept)).tolist()
        out = []
        taken = 0
        for n in count.tolist():
            out.append(rows[taken : taken + n])
            taken += n
        return out

    def analysed(self, number: int, keyed: Keyed) -> Analysed | None:
        """Passage `number`'s sentences with the question's terms `keyed`, None past the table."""
        if not 0 <= number < self.passages:
            return None
        spans, cues = self._read(number)
        return Analysed(spans, cues, keyed.concept_of, keyed.forms, keyed.pair_of)

    def _room(self, number: int) -> dict[tuple[int, str], Any]:
        """Room for the cues of passage `number`'s sentences (kept by `cues`)."""
        return {}

    def _passage(self, number: int) -> tuple[_Spans, dict[tuple[int, str], Any]]:
        """A passage's sentences: their bounds and term ids, and room for their cues."""
        first, last = self._passage_sentences[number : number + 2].tolist()
        at = self._sentence_terms[first : last + 1].tolist()
        held = self._terms[at[0] : at[-1]].tolist()
        base = at[0]
        # Tuples, not lists: the collector stops tracking a tuple of numbers, so a
        # full table's worth kept in the cache costs it nothing.
        spans = tuple(
            (s, e, tuple(held[a - base : b - base]))
            for (s, e), a, b in zip(self._bounds[first:last].tolist(), at, at[1:], strict=False)
        )
        return spans, {}


def load_analysis(folder: Path, key: str, index: BM25Index) -> SavedAnalysis | None:
    """The table saved in `folder` under `key`, or None when there is none.

    Raises one of `UNUSABLE` when what is saved cannot be trusted.
    """
    if not folder.is_dir():
        return None
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("key") != key or meta.get("format") != ANALYSIS_FORMAT:
        raise IndexLoadError("it was saved for another index or version")
    arrays = {
        name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _FILES
    }
    return SavedAnalysis(arrays, index)


def save_analysis(root: Path, key: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Save the table as `root/key` in one rename, and retire other saved tables."""
    with staged_folder(root / key, keep_existing=True) as staging:
        for name in _FILES:
            np.save(staging / f"{name}.npy", arrays[name])
        (staging / "meta.json").write_text(json.dumps({"key": key, "format": ANALYSIS_FORMAT}))
    retire_others(root, keep=key)


def saved_analysis(
    root: Path, index_key: str, analyzer: Analyzer, index: BM25Index
) -> SavedAnalysis | None:
    """The table saved for this index and analyzer if there is a usable one; never builds
    one (a library grown from a saved index reads that index's table)."""
    if not index_key:
        return None
    key = analysis_key(index_key, analyzer)
    try:
        return load_analysis(root / key, key, index)
    except UNUSABLE:
        return None  # open_analysis rebuilds it at the next full open


def open_analysis(
    root: Path,
    index_key: str,
    articles: Sequence[Article],
    passages: Sequence[Passage],
    analyzer: Analyzer,
    index: BM25Index,
    *,
    warn: Callable[[str], None],
    recorded: SentenceRecorder | None = None,
) -> SavedAnalysis | None:
    """The saved table for this index and analyzer, built and saved first when missing
    (from `recorded`, when the index was built with it, else by analysing every passage);
    None when it can be neither loaded nor saved (answers then analyse on the fly)."""
    if not index_key:
        return None  # an index not saved under a key: nothing to tie a table to
    key = analysis_key(index_key, analyzer)
    folder = root / key
    try:
        saved = load_analysis(folder, key, index)
    except UNUSABLE as exc:
        warn(f"saved sentences in {folder} are unusable ({exc}); analysing the passages again")
        shutil.rmtree(folder, ignore_errors=True)
        saved = None
    if saved is not None:
        return saved
    try:
        if recorded is not None and recorded.passages == len(passages):
            arrays = recorded.arrays(index)
        else:
            arrays = analyse_passages(articles, passages, analyzer, index)
        save_analysis(root, key, arrays)
        return load_analysis(folder, key, index)
    except UNUSABLE as exc:
        # Only answering is slower: each passage is analysed when first read.
        log.info("could not save the analysed passages (%s)", exc)
        return None
