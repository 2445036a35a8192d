"""`citebot eval`: answer quality on a SQuAD-format question set or a docs set.

A SQuAD question set becomes an ordinary corpus (one JSONL article per title, its
paragraphs in order) in a temporary folder, is indexed by the normal pipeline and
every question goes through `Engine.answer`, the path `citebot ask` takes: what is
measured is what users get. Three readings of one SQuAD file:

- the whole set as one library (`evaluate`);
- half the articles indexed, the other half's questions asked (`evaluate_holdout`):
  every answer should be "not found";
- each article as a library of its own (`evaluate_per_article`), asked its own
  questions and questions of the other articles, which it cannot answer: the
  one-article library an admin starts with.

A docs set (`load_docs_set`) is a folder of real documentation pages with questions
whose answers are key phrases of the answering sentence, plus questions the pages
do not cover: the shape of a community's own library.
"""

from __future__ import annotations

import contextlib
import json
import re
import statistics
import string
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot.answer import Answer, Engine, Result
from bot.errors import CitebotError
from bot.insight import percentile
from bot.settings import Settings

#: Results asked for per question: enough for hit@5 and MRR@10.
DEPTH = 10
#: What `citebot eval` reads, for the messages that say a file is not one of them.
QUESTION_SETS = (
    "give a SQuAD v1.1 .json file, or a docs set: a folder with pages/ and questions.jsonl"
)


@dataclass(frozen=True)
class Question:
    question: str
    answers: tuple[str, ...]
    article_id: str
    paragraph: int  # 1-based paragraph of the article holding the answer


@dataclass(frozen=True)
class SquadArticle:
    article_id: str
    title: str
    paragraphs: tuple[str, ...]
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Metrics:
    questions: int
    k: int
    answer_at_1: float
    answer_at_3: float
    answer_at_k: float
    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float
    found_rate: float
    mean_excerpt_chars: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class HoldoutMetrics:
    indexed_articles: int
    unseen_articles: int
    questions_about_unseen: int
    not_found_rate: float


@dataclass(frozen=True)
class PerArticleMetrics:
    """Each article as its own library: its questions, and other articles' questions."""

    articles: int
    questions: int
    answer_at_1: float
    answer_at_3: float
    not_found_rate: float  # answerable questions answered "not found"
    worst_article_not_found_rate: float
    off_topic_questions: int
    off_topic_not_found_rate: float  # other articles' questions answered "not found"


@dataclass(frozen=True)
class DocsQuestion:
    """A docs-set question: answered when any phrase is in an excerpt; no phrases = uncovered."""

    question: str
    phrases: tuple[str, ...]
    source: str | None  # the answering page, relative to the pages folder

    @property
    def covered(self) -> bool:
        """Whether the pages answer it (uncovered questions have no phrases)."""
        return bool(self.phrases)


@dataclass(frozen=True)
class DocsMetrics:
    pages: int
    answerable: int
    uncovered: int
    excerpt_at_1: float  # a key phrase of the answering sentence in excerpt 1
    excerpt_at_3: float
    page_at_1: float  # the answering page cited first
    answerable_not_found_rate: float
    uncovered_not_found_rate: float
    p50_ms: float
    p99_ms: float


# --- reading question files ---------------------------------------------------------------

_T = TypeVar("_T")
_KINDS: dict[type, str] = {str: "text", list: "a list", dict: "a JSON object"}


class _Malformed(ValueError):
    """What in a question file strays from its format, in words for the message."""


def _object(value: object, what: str) -> dict[str, Any]:
    """`value` when it is a JSON object, so a file of the wrong shape is named, not a crash."""
    if not isinstance(value, dict):
        raise _Malformed(f"{what} is not a JSON object")
    return value


def _text(value: object, what: str) -> str:
    """`value` when it is a string, so a number where text belongs is named."""
    if not isinstance(value, str):
        raise _Malformed(f"{what} is not text")
    return value


def _field(record: dict[str, Any], key: str, kind: type[_T]) -> _T:
    """`record[key]` when it is there and of `kind`."""
    if key not in record:
        raise _Malformed(f"no '{key}'")
    value = record[key]
    if not isinstance(value, kind):
        raise _Malformed(f"'{key}' is not {_KINDS[kind]}")
    return value


# --- SQuAD ---------------------------------------------------------------------------------


def load_squad(path: Path) -> list[SquadArticle]:
    """Articles and questions of a SQuAD v1.1 file; a clear error when it is not one."""
    try:
        data = _object(json.loads(Path(path).read_text(encoding="utf-8")), "the file")
        articles = []
        for number, entry in enumerate(_field(data, "data", list), start=1):
            entry = _object(entry, "an entry of 'data'")
            article_id = f"squad/{number}"
            paragraphs = [_object(p, "a paragraph") for p in _field(entry, "paragraphs", list)]
            questions = tuple(
                Question(
                    question=_field(qa, "question", str),
                    answers=tuple(
                        _field(_object(a, "an answer"), "text", str)
                        for a in _field(qa, "answers", list)
                    ),
                    article_id=article_id,
                    paragraph=p_number,
                )
                for p_number, p in enumerate(paragraphs, start=1)
                for qa in (_object(q, "a question") for q in _field(p, "qas", list))
            )
            contexts = tuple(" ".join(_field(p, "context", str).split()) for p in paragraphs)
            title = _field(entry, "title", str).replace("_", " ")
            articles.append(SquadArticle(article_id, title, contexts, questions))
    except FileNotFoundError:
        raise CitebotError(f"question set not found: {path} ({QUESTION_SETS})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CitebotError(f"cannot read {path} as JSON ({exc}; {QUESTION_SETS})") from None
    except _Malformed as exc:
        raise CitebotError(f"{path} is not in SQuAD v1.1 format ({exc})") from None
    if not articles:
        raise CitebotError(f"{path} holds no articles")
    return articles


def write_corpus(articles: Iterable[SquadArticle], folder: Path) -> None:
    """One JSONL line an article: ids `squad/N`, paragraphs kept apart by blank lines."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "squad.jsonl", "w", encoding="utf-8") as out:
        for article in articles:
            record = {
                "id": article.article_id.split("/", 1)[1],
                "title": article.title,
                "text": "\n\n".join(article.paragraphs),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, no punctuation, no a/an/the, single spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


_PUNCTUATION = frozenset(string.punctuation)


def contains_answer(excerpt: str, answers: Sequence[str]) -> bool:
    """Whether the excerpt shows one of the accepted answers (SQuAD-normalised)."""
    shown = normalize_answer(excerpt)
    return any(normalize_answer(a) in shown for a in answers if normalize_answer(a))


# --- measuring -----------------------------------------------------------------------------


def score(questions: Sequence[Question], answers: Sequence[Answer], *, k: int = 3) -> Metrics:
    """Metrics of answers against their questions; each question weighs the same."""
    n = len(questions)
    if n == 0:
        raise CitebotError("no questions to score")
    at1 = at3 = atk = hit1 = hit5 = found = 0
    reciprocal = 0.0
    excerpt_chars: list[int] = []
    times = [a.elapsed_ms for a in answers]
    for question, answer in zip(questions, answers, strict=True):
        results = answer.results
        found += answer.found
        excerpt_chars.extend(len(r.excerpt) for r in results[:3])
        if any(contains_answer(r.excerpt, question.answers) for r in results[:1]):
            at1 += 1
        if any(contains_answer(r.excerpt, question.answers) for r in results[:3]):
            at3 += 1
        if any(contains_answer(r.excerpt, question.answers) for r in results[:k]):
            atk += 1
        hits = [_holds(r, question) for r in results[:DEPTH]]
        hit1 += any(hits[:1])
        hit5 += any(hits[:5])
        if True in hits:
            reciprocal += 1 / (hits.index(True) + 1)
    return Metrics(
        questions=n,
        k=k,
        answer_at_1=at1 / n,
        answer_at_3=at3 / n,
        answer_at_k=atk / n,
        hit_at_1=hit1 / n,
        hit_at_5=hit5 / n,
        mrr_at_10=reciprocal / n,
        found_rate=found / n,
        mean_excerpt_chars=statistics.fmean(excerpt_chars) if excerpt_chars else 0.0,
        p50_ms=percentile(times, 0.50) or 0.0,
        p99_ms=percentile(times, 0.99) or 0.0,
    )


def _holds(result: Result, question: Question) -> bool:
    """Whether a result's passage (all of it, not only its excerpt) is the paragraph the
    question was asked about: SQuAD's hit@k."""
    first, last = result.passage_paragraphs or result.paragraphs
    return result.article_id == question.article_id and first <= question.paragraph <= last


def evaluate(
    articles: Sequence[SquadArticle],
    settings: Settings,
    *,
    k: int = 3,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Metrics:
    """Index `articles` in a temporary folder and ask all their questions."""
    questions = [q for a in articles for q in a.questions][:limit]
    answers = _ask_all(articles, questions, settings, progress=progress)
    return score(questions, answers, k=k)


def evaluate_holdout(
    articles: Sequence[SquadArticle],
    settings: Settings,
    *,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> HoldoutMetrics:
    """Index every other article; ask the questions of the rest, which should be 'not found'."""
    indexed = [a for i, a in enumerate(articles) if i % 2 == 0]
    unseen = [a for i, a in enumerate(articles) if i % 2 == 1]
    questions = [q for a in unseen for q in a.questions][:limit]
    answers = _ask_all(indexed, questions, settings, progress=progress)
    not_found = sum(not a.found for a in answers)
    return HoldoutMetrics(
        indexed_articles=len(indexed),
        unseen_articles=len(unseen),
        questions_about_unseen=len(questions),
        not_found_rate=not_found / max(len(questions), 1),
    )


def evaluate_per_article(
    articles: Sequence[SquadArticle],
    settings: Settings,
    *,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PerArticleMetrics:
    """Each article indexed alone, asked its own questions and one of every other article's.

    The off-topic question taken from article j for library i is j's question number
    i (wrapping), so every run asks the same ones and they spread over each article.
    """
    if len(articles) < 2:
        raise CitebotError("--per-article needs at least two articles (off-topic questions)")
    own_total = sum(len(a.questions) for a in articles)
    budget = own_total if limit is None else min(limit, own_total)
    asked = 0
    at1 = at3 = missed = off_found = off_total = 0
    worst = 0.0
    done_articles = 0
    for i, article in enumerate(articles):
        if asked >= budget:
            break
        own = list(article.questions[: budget - asked])
        off_topic = [
            other.questions[i % len(other.questions)]
            for j, other in enumerate(articles)
            if j != i and other.questions
        ]
        answers = _ask_all([article], [*own, *off_topic], settings, progress=None)
        own_answers, off_answers = answers[: len(own)], answers[len(own) :]
        for question, answer in zip(own, own_answers, strict=True):
            shown = answer.results
            at1 += any(contains_answer(r.excerpt, question.answers) for r in shown[:1])
            at3 += any(contains_answer(r.excerpt, question.answers) for r in shown[:3])
        article_missed = sum(not a.found for a in own_answers)
        missed += article_missed
        if own:
            worst = max(worst, article_missed / len(own))
        off_found += sum(a.found for a in off_answers)
        off_total += len(off_answers)
        asked += len(own)
        done_articles += 1
        if progress:
            progress(asked, budget)
    n = max(asked, 1)
    return PerArticleMetrics(
        articles=done_articles,
        questions=asked,
        answer_at_1=at1 / n,
        answer_at_3=at3 / n,
        not_found_rate=missed / n,
        worst_article_not_found_rate=worst,
        off_topic_questions=off_total,
        off_topic_not_found_rate=1 - off_found / max(off_total, 1),
    )


def _ask_all(
    articles: Sequence[SquadArticle],
    questions: Sequence[Question],
    settings: Settings,
    *,
    progress: Callable[[int, int], None] | None,
) -> list[Answer]:
    with tempfile.TemporaryDirectory(prefix="citebot-eval-") as scratch:
        corpus = Path(scratch) / "corpus"
        write_corpus(articles, corpus)
        return _ask_library(corpus, [q.question for q in questions], settings, progress, scratch)


def _ask_library(
    corpus: Path,
    questions: Sequence[str],
    settings: Settings,
    progress: Callable[[int, int], None] | None,
    scratch: str,
) -> list[Answer]:
    """Every question asked of the library in `corpus`, its index kept under `scratch`."""
    engine = Engine.open(
        settings.with_overrides(corpus_dir=corpus, data_dir=Path(scratch) / "data")
    )
    answers = []
    for number, question in enumerate(questions, start=1):
        answers.append(engine.answer(question, k=DEPTH))
        if progress and (number % 50 == 0 or number == len(questions)):
            progress(number, len(questions))
    return answers


# --- docs sets -----------------------------------------------------------------------------


def load_docs_set(path: Path) -> tuple[Path, list[DocsQuestion]]:
    """The pages folder and the questions of a docs set.

    `path` is the set's folder (its `questions.jsonl` is read) or one of its question
    files (`chat.jsonl`); the pages are in `pages/` beside the questions. Each line is
    `{"question", "phrases": [...], "source"}`, or `{"question", "uncovered": true}`.
    """
    path = Path(path)
    questions_file = path / "questions.jsonl" if path.is_dir() else path
    pages = questions_file.parent / "pages"
    if path.is_dir() and not questions_file.is_file():
        raise CitebotError(f"{path} is not a docs set: it has no questions.jsonl ({QUESTION_SETS})")
    if not questions_file.is_file():
        raise CitebotError(f"question set not found: {questions_file} ({QUESTION_SETS})")
    if not pages.is_dir():
        raise CitebotError(f"a docs set keeps its pages in {pages}, which is missing")
    questions: list[DocsQuestion] = []
    try:
        lines = questions_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CitebotError(f"cannot read {questions_file} ({exc})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            questions.append(_docs_question(json.loads(line)))
        except (json.JSONDecodeError, _Malformed) as exc:
            raise CitebotError(
                f"{questions_file}:{number} is not a docs-set line ({exc})"
            ) from None
    if not questions:
        raise CitebotError(f"{questions_file} holds no questions")
    return pages, questions


def _docs_question(value: object) -> DocsQuestion:
    """One line of a docs set's question file, checked field by field."""
    record = _object(value, "the line")
    text = _field(record, "question", str)
    phrases: tuple[str, ...] = ()
    if not record.get("uncovered"):
        phrases = tuple(_text(p, "a phrase") for p in _field(record, "phrases", list))
    source = None if record.get("source") is None else _field(record, "source", str)
    return DocsQuestion(text, phrases, source)


def evaluate_docs(
    pages: Path,
    questions: Sequence[DocsQuestion],
    settings: Settings,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> DocsMetrics:
    """Index the pages as they are and ask every question."""
    with tempfile.TemporaryDirectory(prefix="citebot-eval-") as scratch:
        engine = Engine.open(
            settings.with_overrides(corpus_dir=pages, data_dir=Path(scratch) / "data")
        )
        engine.prepare()  # before the clock runs, as a bot does at start-up
        answers = []
        for number, question in enumerate(questions, start=1):
            answers.append(engine.answer(question.question, k=DEPTH))
            if progress and (number % 10 == 0 or number == len(questions)):
                progress(number, len(questions))
        sources = {a.article_id: a.source for a in engine.articles}
    return score_docs(questions, answers, sources, pages=len(sources))


def score_docs(
    questions: Sequence[DocsQuestion],
    answers: Sequence[Answer],
    sources: dict[str, str],
    *,
    pages: int,
) -> DocsMetrics:
    """Docs-set metrics; `sources` maps article ids to their page's path."""
    covered = [(q, a) for q, a in zip(questions, answers, strict=True) if q.covered]
    uncovered = [a for q, a in zip(questions, answers, strict=True) if not q.covered]
    at1 = at3 = page1 = missed = 0
    for question, answer in covered:
        shown = answer.results
        at1 += any(contains_answer(r.excerpt, question.phrases) for r in shown[:1])
        at3 += any(contains_answer(r.excerpt, question.phrases) for r in shown[:3])
        page1 += bool(shown) and sources.get(shown[0].article_id) == question.source
        missed += not answer.found
    n = max(len(covered), 1)
    times = [a.elapsed_ms for a in answers]
    return DocsMetrics(
        pages=pages,
        answerable=len(covered),
        uncovered=len(uncovered),
        excerpt_at_1=at1 / n,
        excerpt_at_3=at3 / n,
        page_at_1=page1 / n,
        answerable_not_found_rate=missed / n,
        uncovered_not_found_rate=sum(not a.found for a in uncovered) / max(len(uncovered), 1),
        p50_ms=percentile(times, 0.50) or 0.0,
        p99_ms=percentile(times, 0.99) or 0.0,
    )


# --- the command ---------------------------------------------------------------------------


EvalResult = Metrics | HoldoutMetrics | PerArticleMetrics | DocsMetrics


def run_eval_command(args: Any, settings: Settings) -> int:
    """`citebot eval`: ask the question set, print the metrics as a table or JSON."""
    from rich.console import Console
    from rich.table import Table

    measure = _measurement(args, settings)
    with _progress_bar() as progress:
        result = measure(progress)
    if args.json:
        print(json.dumps(asdict(result)))
        return 0
    table = Table("metric", "value", title=f"citebot eval {args.file}")
    for name, value in asdict(result).items():
        table.add_row(name, f"{value:.3f}" if isinstance(value, float) else str(value))
    Console().print(table)
    return 0


def _measurement(
    args: Any, settings: Settings
) -> Callable[[Callable[[int, int], None] | None], EvalResult]:
    """What `citebot eval` measures for these arguments; the files are read (and checked) now."""
    if not 1 <= args.k <= DEPTH:
        raise CitebotError(f"-k must be a whole number from 1 to {DEPTH}")
    if args.limit is not None and args.limit < 1:
        raise CitebotError("--limit must be a whole number of 1 or more (questions to ask)")
    if Path(args.file).is_dir() or Path(args.file).suffix == ".jsonl":
        if args.holdout or args.per_article:
            raise CitebotError("--holdout and --per-article are for SQuAD files, not docs sets")
        pages, questions = load_docs_set(args.file)
        return lambda progress: evaluate_docs(
            pages, questions[: args.limit], settings, progress=progress
        )
    if args.holdout and args.per_article:
        raise CitebotError("choose one of --holdout and --per-article")
    articles = load_squad(args.file)
    if args.holdout:
        return lambda progress: evaluate_holdout(
            articles, settings, limit=args.limit, progress=progress
        )
    if args.per_article:
        return lambda progress: evaluate_per_article(
            articles, settings, limit=args.limit, progress=progress
        )
    return lambda progress: evaluate(
        articles, settings, k=args.k, limit=args.limit, progress=progress
    )


@contextlib.contextmanager
def _progress_bar() -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when it is a terminal (None otherwise), stopped on exit."""
    from rich.console import Console
    from rich.progress import Progress, TaskID

    err = Console(stderr=True)
    if not err.is_terminal:
        yield None
        return
    bar = Progress(console=err, transient=True)
    task: TaskID | None = None

    def progress(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            task = bar.add_task("Asking", total=total)
        bar.update(task, completed=done)

    bar.start()
    try:
        yield progress
    finally:
        bar.stop()
