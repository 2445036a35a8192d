"""`citebot eval`: answer quality on a SQuAD-format question set.

The question set becomes an ordinary corpus (one JSONL article per title, its
paragraphs in order) in a temporary folder, is indexed by the normal pipeline and
every question goes through `Engine.answer`, the path `citebot ask` takes: what is
measured is what users get.
"""

from __future__ import annotations

import json
import re
import statistics
import string
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.answer import Answer, Engine
from bot.errors import CitebotError
from bot.insight import percentile
from bot.settings import Settings

#: Results asked for per question: enough for hit@5 and MRR@10.
DEPTH = 10


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


# --- SQuAD ---------------------------------------------------------------------------------


def load_squad(path: Path) -> list[SquadArticle]:
    """Articles and questions of a SQuAD v1.1 file; a clear error when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        articles = []
        for number, entry in enumerate(data["data"], start=1):
            article_id = f"squad/{number}"
            paragraphs = tuple(" ".join(p["context"].split()) for p in entry["paragraphs"])
            questions = tuple(
                Question(
                    question=qa["question"],
                    answers=tuple(a["text"] for a in qa["answers"]),
                    article_id=article_id,
                    paragraph=p_number,
                )
                for p_number, p in enumerate(entry["paragraphs"], start=1)
                for qa in p["qas"]
            )
            articles.append(
                SquadArticle(article_id, entry["title"].replace("_", " "), paragraphs, questions)
            )
    except FileNotFoundError:
        raise CitebotError(f"question set not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CitebotError(f"cannot read {path} as JSON ({exc})") from None
    except (KeyError, TypeError) as exc:
        raise CitebotError(f"{path} is not in SQuAD v1.1 format (missing {exc})") from None
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
        hits = [
            r.article_id == question.article_id
            and r.paragraphs[0] <= question.paragraph <= r.paragraphs[1]
            for r in results[:DEPTH]
        ]
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
        engine = Engine.open(
            settings.with_overrides(corpus_dir=corpus, data_dir=Path(scratch) / "data")
        )
        answers = []
        for number, question in enumerate(questions, start=1):
            answers.append(engine.answer(question.question, k=DEPTH))
            if progress and (number % 50 == 0 or number == len(questions)):
                progress(number, len(questions))
        return answers


# --- the command ---------------------------------------------------------------------------


def run_eval_command(args: Any, settings: Settings) -> int:
    """`citebot eval`: ask the question set, print the metrics as a table or JSON."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    if not 1 <= args.k <= DEPTH:
        raise CitebotError(f"-k must be a whole number from 1 to {DEPTH}")
    articles = load_squad(args.file)
    err = Console(stderr=True)
    progress_bar = Progress(console=err, transient=True) if err.is_terminal else None
    task = None

    def progress(done: int, total: int) -> None:
        nonlocal task
        if progress_bar is None:
            return
        if task is None:
            task = progress_bar.add_task("Asking", total=total)
        progress_bar.update(task, completed=done)

    if progress_bar:
        progress_bar.start()
    try:
        if args.holdout:
            result: Metrics | HoldoutMetrics = evaluate_holdout(
                articles, settings, limit=args.limit, progress=progress
            )
        else:
            result = evaluate(articles, settings, k=args.k, limit=args.limit, progress=progress)
    finally:
        if progress_bar:
            progress_bar.stop()
    if args.json:
        print(json.dumps(asdict(result)))
        return 0
    table = Table("metric", "value", title=f"citebot eval {args.file}")
    for name, value in asdict(result).items():
        table.add_row(name, f"{value:.3f}" if isinstance(value, float) else str(value))
    Console().print(table)
    return 0
