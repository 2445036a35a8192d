"""The `citebot` command: ask, index, articles, run (Discord), health, stats, unanswered,
refresh, eval and migrate-store.

The terminal front end: it only calls the answering API and renders its result.
"""

from __future__ import annotations

import argparse
import functools
import gc
import io
import json
import multiprocessing
import re
import socket
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, TextIO

from bot import __version__
from bot.citation import citation, outside_code
from bot.errors import CitebotError, QuestionError
from bot.settings import Settings

EXIT_OK = 0
EXIT_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `citebot` command; its exit code (2 for a user-facing error)."""
    # Output is UTF-8 whatever the locale, and never carries undecodable input bytes back
    # out (under LC_ALL=C they would arrive as surrogates and leave as invalid UTF-8).
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(encoding="utf-8", errors="replace")
    parser = _parser()
    args = parser.parse_args([_clean_arg(a) for a in (sys.argv[1:] if argv is None else argv)])
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        settings = Settings.from_env()
        if getattr(args, "corpus", None) is not None:
            settings = settings.with_overrides(corpus_dir=args.corpus)
        if getattr(args, "data_dir", None) is not None:
            settings = settings.with_overrides(data_dir=args.data_dir)
        handler: Callable[[argparse.Namespace, Settings], int] = args.handler
        return handler(args, settings)
    except CitebotError as exc:
        print(f"citebot: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("citebot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except (OSError, sqlite3.Error) as exc:
        print(f"citebot: {_os_problem(exc)}", file=sys.stderr)
        return EXIT_ERROR


def _os_problem(exc: OSError | sqlite3.Error) -> str:
    """One line for an operating-system failure: no way to Discord, or a folder it cannot use."""
    from aiohttp import ClientConnectionError

    if isinstance(exc, socket.gaierror | ConnectionError | ClientConnectionError):
        return f"cannot reach Discord ({exc})"  # `citebot run` with no network
    filename = getattr(exc, "filename", None)
    where = f" {filename}" if filename else ""
    return f"cannot use{where}: {getattr(exc, 'strerror', None) or exc}"


def _clean_arg(arg: str) -> str:
    """An argument as text: bytes that were not UTF-8 become U+FFFD, not lone surrogates."""
    return arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


#: What `citebot --help` ends with: where a new user starts.
_START = """start here:
  citebot ask "Who founded DeepSeek?"   answer from the articles in ./corpus
  citebot articles                      list what the articles are about
  citebot COMMAND --help                a command's options

Settings come from the environment or ./.env (CITEBOT_CORPUS_DIR, CITEBOT_DATA_DIR, ...):
see the README's Settings and .env.example."""

_ASK_EXAMPLES = """examples:
  citebot ask "Who founded DeepSeek?"
  citebot ask "export controls" -k 5 --article chip-export-controls
  citebot ask - < questions.txt        one question a line, one JSON line each
  citebot ask -- "-k or -n?"           a question that starts with -"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citebot",
        description="Answers questions about a collection of articles with verbatim, cited excerpts.",
        epilog=_START,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"citebot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(
        name: str, help: str, handler: Callable[[argparse.Namespace, Settings], int]
    ) -> argparse.ArgumentParser:
        """A subcommand that reads the corpus and data folders (options --corpus, --data-dir)."""
        p = sub.add_parser(name, help=help)
        p.set_defaults(handler=handler)
        p.add_argument(
            "--corpus",
            type=Path,
            help="folder of articles (default: CITEBOT_CORPUS_DIR or corpus/)",
        )
        p.add_argument(
            "--data-dir",
            type=Path,
            help="where the index is saved (default: CITEBOT_DATA_DIR or .citebot/)",
        )
        return p

    ask = command("ask", "answer a question from the articles", _cmd_ask)
    ask.epilog, ask.formatter_class = _ASK_EXAMPLES, argparse.RawDescriptionHelpFormatter
    ask.add_argument(
        "question",
        nargs="?",
        default="-",
        help="the question, or - to read one per line from stdin (asked one by one on a terminal)",
    )
    ask.add_argument(
        "-k", type=int, default=None, help="how many excerpts (default: CITEBOT_RESULTS or 3)"
    )
    ask.add_argument("--article", help="search only this article (its id, see `citebot articles`)")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="with -, answer in this many processes forked after loading (answers stay in order)",
    )

    index = command("index", "build or refresh the saved index", _cmd_index)
    index.add_argument(
        "--full",
        action="store_true",
        help="build everything again, even when only a few files changed since the last build",
    )
    articles = command("articles", "list the articles: id, title, passages", _cmd_articles)
    articles.add_argument(
        "--plain",
        action="store_true",
        help="one article a line: id, title, passages (tab-separated)",
    )
    command("run", "run the Discord bot (needs DISCORD_TOKEN)", _cmd_run)
    command(
        "health",
        "exit 0 when the bot running on this data dir is connected (for container health checks)",
        _cmd_health,
    )

    preview = command(
        "preview", "draw the answer to a question as Discord shows it, to a PNG", _cmd_preview
    )
    preview.add_argument("question", help="the question to answer")
    preview.add_argument("-k", type=int, default=None, help="how many excerpts (as `ask -k`)")
    preview.add_argument("--article", help="search only this article (as `ask --article`)")
    preview.add_argument(
        "--out", type=Path, default=Path("answer.png"), help="the PNG to write (default answer.png)"
    )

    stats = command("stats", "what the bot was asked: questions, found-rate, feedback", _cmd_stats)
    stats.add_argument("--guild", type=int, help="only this Discord server (its id)")
    unanswered = command(
        "unanswered",
        "questions answered 'not found' or voted 👎, most frequent first",
        _cmd_unanswered,
    )
    unanswered.add_argument(
        "--days", type=int, default=7, help="how many days back to look (default 7)"
    )
    unanswered.add_argument("--guild", type=int, help="only this Discord server (its id)")
    refresh = command(
        "refresh",
        "fetch the articles added by URL again and swap in the pages that changed",
        _cmd_refresh,
    )
    refresh.add_argument(
        "--due",
        action="store_true",
        help="only those not checked for CITEBOT_REFRESH_HOURS (default: every one)",
    )
    migrate = command(
        "migrate-store",
        "copy the question log, votes and settings from SQLite into PostgreSQL",
        _cmd_migrate_store,
    )
    migrate.add_argument(
        "--to",
        metavar="URL",
        help="the PostgreSQL database, postgresql://… (default: CITEBOT_DATABASE_URL)",
    )

    evaluate = sub.add_parser(
        "eval", help="measure answer quality on a SQuAD-format question set or a docs set"
    )
    evaluate.add_argument(
        "file",
        type=Path,
        help="SQuAD v1.1 JSON file, or a docs set (its folder, or a .jsonl question file in it)",
    )
    evaluate.add_argument("-k", type=int, default=3, help="excerpts shown per question (default 3)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.add_argument(
        "--holdout",
        action="store_true",
        help="index half the articles and ask about the other half (not-found calibration)",
    )
    evaluate.add_argument(
        "--per-article",
        action="store_true",
        help="each article as its own library, asked its questions and other articles' ones",
    )
    evaluate.add_argument("--limit", type=int, default=None, help="ask at most this many questions")
    evaluate.set_defaults(handler=_cmd_eval)
    return parser


# --- commands --------------------------------------------------------------------------


def _open_engine(
    settings: Settings,
    *,
    console: Any,
    on_warning: Callable[[str], None] | None = None,
    incremental: bool = True,
) -> Any:
    """The engine, with warnings printed (or handed to `on_warning` instead)."""
    from bot.answer import Engine

    def warn(message: str) -> None:
        if on_warning is not None:
            on_warning(message)
            return
        console.print(f"[yellow]warning:[/] {_escape(message)}", highlight=False)

    with _progress(console, "Reading files", "Indexing passages") as progress:
        return Engine.open(settings, progress=progress, on_warning=warn, incremental=incremental)


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    err = _console(sys.stderr)
    _check_k(args.k)
    if not 1 <= args.jobs <= MAX_JOBS:
        raise CitebotError(f"--jobs must be a whole number from 1 to {MAX_JOBS}")
    engine = _open_engine(settings, console=err)
    engine.prepare()  # word tables and the chat reader load before the clock starts
    # What is loaded lives as long as this one-shot process: the collector need not scan
    # it again (a full collection over it paused a question for 0.1-0.3 s at 100k).
    gc.freeze()
    if args.article is not None:
        args.article = _pick_article(engine, args.article)
    if args.question == "-" and sys.stdin.isatty():
        return _ask_on_terminal(engine, args, sys.stdin, err)
    if args.question == "-":
        # Decoded here, with replacement: one undecodable line must not end the batch.
        source = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
        return _ask_batch(engine, args, source, sys.stdout)
    try:
        answer = engine.answer(args.question, k=args.k, article_id=args.article)
    except QuestionError as exc:
        if args.json:  # a script reading stdout gets its JSON object, as the batch gives
            print(json.dumps(_error_record(args.question, exc), ensure_ascii=False))
        examples = _examples(engine)
        hint = f" For example: citebot ask {_shell_quoted(examples[0])}" if examples else ""
        raise CitebotError(f"{exc}{hint}") from None
    if args.json:
        print(json.dumps(answer_to_json(answer), ensure_ascii=False))
    else:
        _print_answer(answer, _console(sys.stdout))
    return EXIT_OK


def _check_k(k: int | None) -> None:
    """-k is checked before the index loads, so a typo costs no wait."""
    if k is not None and not 1 <= k <= 50:
        raise CitebotError("-k must be a whole number from 1 to 50")


def _pick_article(engine: Any, text: str) -> str:
    """The id of the article `--article` names: its id, its title, or a near miss (said on
    stderr); an error naming the closest ids otherwise."""
    from bot.names import match_article

    match = match_article(engine.corpus, text, by_id=engine.article)
    if match.article is None:
        named = ", ".join(
            f"'{a.article_id}' ({' '.join(a.title.split())})" for a in match.suggestions
        )
        if match.ambiguous:
            raise CitebotError(f"several articles match '{text}': {named}; give one's id")
        hint = f"; did you mean {named}?" if named else ""
        raise CitebotError(f"no article with the id '{text}'{hint} (see `citebot articles`)")
    chosen: str = match.article.article_id
    if match.guessed:  # an id, a title or the one name containing it is no guess
        title = " ".join(match.article.title.split())
        print(
            f"citebot: using article '{chosen}' ({title}), the closest to '{text}'", file=sys.stderr
        )
    return chosen


def _ask_on_terminal(engine: Any, args: argparse.Namespace, source: TextIO, err: Any) -> int:
    """Someone at the terminal: a prompt, the answer, the next prompt, until an empty line."""
    out = _console(sys.stdout)
    examples = _examples(engine)
    example = f", for example “{_escape(examples[0])}”" if examples else ""
    err.print(f"Ask a question about the articles{example} (an empty line or Ctrl-D ends).")
    while True:
        err.print("[bold]question>[/] ", end="")
        question = source.readline().strip()
        if not question:
            err.print()
            return EXIT_OK
        try:
            answer = engine.answer(question, k=args.k, article_id=args.article)
        except QuestionError as exc:
            err.print(_escape(str(exc)))
            continue
        if args.json:
            print(json.dumps(answer_to_json(answer), ensure_ascii=False), flush=True)
        else:
            _print_answer(answer, out)


def _ask_batch(engine: Any, args: argparse.Namespace, source: TextIO, out: TextIO) -> int:
    """One question per input line, one JSON line out per question; the index loads once.

    With `--jobs N` (N > 1), N processes forked after loading share the engine's memory
    and answer in turn; the answers come out in the order of the questions.
    """
    questions = (question for question in (line.strip() for line in source) if question)
    jobs = args.jobs if "fork" in multiprocessing.get_all_start_methods() else 1
    if jobs <= 1:
        for question in questions:
            out.write(_answer_line(engine, question, args.k, args.article) + "\n")
            out.flush()
        return EXIT_OK
    engine.reader.make_spellers()  # once here, not once a worker
    from bot.found import zipf

    # A number's frequency, once here: where numbers still go through wordfreq, it is
    # imported here, not in every worker.
    zipf("1.5")
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_hold_engine, initargs=(engine,)) as pool:
        asked = functools.partial(_answer_in_worker, k=args.k, article=args.article)
        for line in pool.imap(asked, questions, chunksize=BATCH_CHUNK):
            out.write(line + "\n")
            out.flush()
    return EXIT_OK


#: Most processes `--jobs` starts, and how many questions a worker takes at a time.
MAX_JOBS = 64
BATCH_CHUNK = 8
_worker_engine: Any = None


def _hold_engine(engine: Any) -> None:
    """A forked worker keeps the engine it inherited (nothing is copied or pickled)."""
    global _worker_engine
    _worker_engine = engine


def _answer_in_worker(question: str, *, k: int | None, article: str | None) -> str:
    return _answer_line(_worker_engine, question, k, article)


def _answer_line(engine: Any, question: str, k: int | None, article: str | None) -> str:
    """A question's answer as the JSON line `citebot ask -` prints (an error record for a
    question that cannot be asked)."""
    try:
        record = answer_to_json(engine.answer(question, k=k, article_id=article))
    except QuestionError as exc:
        record = _error_record(question, exc)
    return json.dumps(record, ensure_ascii=False)


def _error_record(question: str, exc: QuestionError) -> dict[str, Any]:
    """The JSON object for a question that could not be searched."""
    return {"question": question, "found": False, "results": [], "error": str(exc)}


def answer_to_json(answer: Any) -> dict[str, Any]:
    """An answer as the JSON object `citebot ask --json` prints."""
    return {
        "question": answer.question,
        "found": answer.found,
        "results": [
            {
                "rank": r.rank,
                "score": round(r.score, 6),
                "article_id": r.article_id,
                "title": r.title,
                "url": r.url,
                "paragraphs": list(r.paragraphs),
                "excerpt": r.excerpt,
                "passage": r.passage,
                "passage_paragraphs": list(r.passage_paragraphs or r.paragraphs),
                "section": r.section,
                "link": r.link,
            }
            for r in answer.results
        ],
        "closest": [
            {"article_id": a.article_id, "title": a.title, "url": a.url} for a in answer.closest
        ],
        "elapsed_ms": round(answer.elapsed_ms, 3),
    }


def _print_answer(answer: Any, console: Any) -> None:
    from rich.text import Text

    if not answer.found:
        console.print("The articles don't cover this.", highlight=False)
        if answer.closest:
            names = "; ".join(f"{a.title} ({a.article_id})" for a in answer.closest)
            console.print(Text(f"Closest articles: {names}"), highlight=False)
        else:
            console.print("No article shares its words; `citebot articles` lists what they cover.")
        return
    for result in answer.results:
        # An excerpt that opens with a list item, a code fence or a quote starts on its own
        # line, as on the page: "2. - max_age" would read as a numbered item holding a bullet.
        opening = "\n" if _BLOCK_START.match(result.excerpt) else " "
        excerpt = Text(f"{result.rank}.{opening}")
        body = Text(result.excerpt)
        for start, end in outside_code(result.excerpt, result.highlights):
            body.stylize("bold", start, end)
        excerpt.append_text(body)
        console.print(excerpt, highlight=False)
        console.print(Text(f"   — {cite(result)}", style="dim"), highlight=False)
        console.print()


#: How a line opens a block on the page: a list item's marker ("-", "*", "+", "3.", "b)",
#: "iv.", "XII)"), a code fence or a quote ("> "). A word ending a sentence ("Did. ", "Mix.")
#: or a comparison (">= 2") is prose.
_BLOCK_START = re.compile(
    r"(?:[-*+]|\d{1,9}[.)]|[a-zA-Z][.)]"
    r"|(?=[ivxIVX])(?:x{0,3}(?:ix|iv|v?i{0,3})|X{0,3}(?:IX|IV|V?I{0,3}))[.)])[ \t]"
    r"|```|>(?:[ \t]|$)",
    re.M,
)


def cite(result: Any) -> str:
    """`Title › Section, ¶4–5 · url#section`: how a terminal cites an excerpt."""
    text = citation(result.title, result.paragraphs, joiner=", ", section=result.section)
    url = result.link or result.url
    return f"{text} · {url}" if url else text


def _cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from bot.incremental import changed_passages, full_build_lock
    from bot.index import SAVE_FAILED

    err = _console(sys.stderr)
    started = time.perf_counter()
    failed: list[str] = []

    def warn(message: str) -> None:
        if message.startswith(SAVE_FAILED):
            failed.append(message.split("; it will be rebuilt", 1)[0])
        else:
            err.print(f"[yellow]warning:[/] {_escape(message)}", highlight=False)

    def waiting() -> None:
        err.print("another process is building the library in full; waiting for it")

    # Built once with a bot's merge under way: this run loads what that one saves.
    with full_build_lock(settings, waiting=waiting):
        engine = _open_engine(settings, console=err, on_warning=warn, incremental=not args.full)
    elapsed = time.perf_counter() - started
    if failed:  # the index works in memory, but `citebot index` is asked to save it
        raise CitebotError(failed[0])
    changed = changed_passages(engine)
    print(
        f"{_count(len(engine.articles), 'article')}, {_count(engine.passage_count, 'passage')}, "
        f"{_count(engine.index.vocabulary_size, 'term')}; index ready in {elapsed:.2f} s "
        f"({settings.data_dir / 'index'})"
        + (
            f"; {_count(changed, 'passage')} changed since the last full build, searched "
            "beside it (`citebot index --full` builds them in)"
            if changed
            else ""
        )
    )
    if settings.store_url() is not None:
        _announce_reload(settings)
    return EXIT_OK


def _announce_reload(settings: Settings) -> None:
    """Running bots on the shared store rebuild too (each from the corpus its host sees)."""
    import os
    import socket

    from bot.database import RELOAD_CHANNEL, PostgresDatabase

    url = settings.store_url()
    assert url is not None
    database = PostgresDatabase(url, max_size=1)
    try:
        database.notify(RELOAD_CHANNEL, f"citebot index on {socket.gethostname()}:{os.getpid()}")
    finally:
        database.close()
    print("told the running bots sharing CITEBOT_DATABASE_URL to reload")


def _cmd_articles(args: argparse.Namespace, settings: Settings) -> int:
    from rich.table import Table

    engine = _open_engine(settings, console=_console(sys.stderr))
    rows = [  # titles and ids only: a saved library makes no article for the list
        (article_id, " ".join(title.split()), str(engine.passage_count_of(article_id)))
        for article_id, title in zip(engine.corpus.ids(), engine.corpus.titles(), strict=True)
    ]
    if args.plain:
        for row in rows:
            print("\t".join(row))
        return EXIT_OK
    # Ids are what people copy: their column never wraps or cuts; titles wrap instead.
    table = Table(box=None, pad_edge=False)
    table.add_column("id", no_wrap=True, overflow="fold")
    table.add_column("title", overflow="fold")
    table.add_column("passages", justify="right", no_wrap=True)
    for article_id, title, passages in rows:
        table.add_row(_escape(article_id), _escape(title), passages)
    _console(sys.stdout).print(table)
    for example in _examples(engine)[:2]:  # on stderr: stdout stays the table
        print(f"try: citebot ask {_shell_quoted(example)}", file=sys.stderr)
    return EXIT_OK


def _examples(engine: Any) -> list[str]:
    """Questions to suggest, drawn from the articles loaded (never a fixed library's)."""
    from bot.examples import example_questions

    examples: list[str] = example_questions(engine.articles)
    return examples


def _shell_quoted(text: str) -> str:
    """`text` in double quotes, as a shell reads it back unchanged (apostrophes stay readable)."""
    return '"' + re.sub(r'(["$`\\])', r"\\\1", text) + '"'


def _cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    from bot.preview import save_answer_image

    _check_k(args.k)
    engine = _open_engine(settings, console=_console(sys.stderr))
    engine.prepare()  # the answer's time is its own, as a running bot's is
    if args.article is not None:
        args.article = _pick_article(engine, args.article)
    try:
        answer = engine.answer(args.question, k=args.k, article_id=args.article)
    except QuestionError as exc:
        raise CitebotError(str(exc)) from None
    out = save_answer_image(answer, args.out, per_page=args.k or settings.per_page)
    print(f"wrote {out} ({'an answer' if answer.found else 'not found'}: {args.question})")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.client import run_bot

    return run_bot(settings)


def _cmd_health(args: argparse.Namespace, settings: Settings) -> int:
    from bot import health

    age = health.age(settings.data_dir)
    if age is None:
        print(f"unhealthy: no heartbeat in {settings.data_dir} (is the bot running and connected?)")
        return 1
    if age > health.MAX_AGE:
        print(f"unhealthy: the last heartbeat is {age:.0f} s old (the bot is not connected)")
        return 1
    print(f"healthy: connected {age:.0f} s ago")
    return EXIT_OK


def _open_store(settings: Settings) -> Any:
    from bot.store import Store

    try:
        store = Store.open_existing(
            settings.data_dir, settings.store_url(), user_key=settings.user_key_bytes()
        )
    except (OSError, sqlite3.Error, CitebotError) as exc:
        if settings.store_url() is not None and isinstance(exc, CitebotError):
            raise  # it names CITEBOT_DATABASE_URL already
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CitebotError(
            f"cannot use the question log in {settings.data_dir} ({reason})"
        ) from None
    if store is None:
        raise CitebotError(
            f"no question log in {settings.data_dir} yet (the bot writes it as it answers)"
        )
    return store


def _cmd_migrate_store(args: argparse.Namespace, settings: Settings) -> int:
    from bot.database import is_postgres_url
    from bot.store import Store, copy_store

    url = args.to or settings.store_url()
    if url is None or not is_postgres_url(url):
        raise CitebotError(
            "give the PostgreSQL database to copy into: --to postgresql://user:password@host/db "
            "(or set CITEBOT_DATABASE_URL)"
        )
    key = settings.user_key_bytes()
    source = Store.open_existing(settings.data_dir, user_key=key)
    if source is None:
        raise CitebotError(f"no SQLite store in {settings.data_dir} to copy")
    try:
        target = Store.open(settings.data_dir, url, user_key=key)
        try:
            copied = copy_store(source, target)
        finally:
            target.close()
    finally:
        source.close()
    print(
        f"copied {copied.questions} questions, {copied.votes} votes and the settings of "
        f"{copied.servers} servers from {settings.data_dir / Store.FILENAME} into PostgreSQL; "
        "set CITEBOT_DATABASE_URL to use it"
    )
    return EXIT_OK


def _cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from bot.insight import format_stats, stats_from_log

    store = _open_store(settings)
    try:
        engine = _open_engine(settings, console=_console(sys.stderr))
        stats = stats_from_log(
            store,
            articles=len(engine.articles),
            passages=engine.passage_count,
            retention_days=settings.log_retention_days,
            guild_id=args.guild,
        )
    finally:
        store.close()

    def title(article_id: str) -> str:
        article = engine.article(article_id)
        return f"{article.title} ({article_id})" if article else f"{article_id} (removed)"

    print(_printable(format_stats(stats, title)))
    return EXIT_OK


def _cmd_refresh(args: argparse.Namespace, settings: Settings) -> int:
    """One refresh round: exit 1 when a page could not be checked (it is tried next time)."""
    import asyncio

    from bot.refresh import Refresher
    from bot.sources import GONE_AFTER, SourceBook
    from bot.store import Store

    store = Store.open_existing(
        settings.data_dir, settings.store_url(), user_key=settings.user_key_bytes()
    )
    if store is None:
        print(f"nothing to refresh: no articles were added by URL with {settings.data_dir}")
        return EXIT_OK
    try:
        refresher = Refresher(settings, SourceBook(store.database))
        report = asyncio.run(refresher.run_round(due_only=args.due))
    finally:
        store.close()
    for checked in report.checked:
        detail = f" ({checked.detail})" if checked.detail else ""
        print(f"{checked.outcome:<9} {checked.source.path}  {checked.source.url}{detail}")
    gone = sum(
        1 for c in report.checked if c.outcome == "gone" and c.source.gone_count + 1 >= GONE_AFTER
    )
    print(
        f"{len(report.checked)} checked: {report.count('changed')} changed, "
        f"{report.count('unchanged')} unchanged, {report.count('gone')} gone "
        f"({gone} twice in a row), {report.count('error')} failed"
    )
    if report.shared_changed and settings.store_url() is not None:
        _announce_reload(settings)
    return 1 if report.count("error") else EXIT_OK


def _cmd_unanswered(args: argparse.Namespace, settings: Settings) -> int:
    from bot.insight import format_unanswered, unanswered_from_log

    if not 1 <= args.days <= 3650:
        raise CitebotError("--days must be a whole number from 1 to 3650")
    store = _open_store(settings)
    try:
        report = unanswered_from_log(store, days=args.days, guild_id=args.guild)
    finally:
        store.close()
    print(_printable(format_unanswered(report)))
    return EXIT_OK


def _cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluate import run_eval_command

    return run_eval_command(args, settings)


# --- terminal helpers ------------------------------------------------------------------


def _console(stream: TextIO) -> Any:
    from rich.console import Console

    return Console(file=stream, soft_wrap=True, highlight=False)


def _count(number: int, noun: str) -> str:
    """A count with its noun: 1 article, 2 articles."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


#: C0 and C1 control characters but tab and line feed: text from users (the question log)
#: printed with them could recolour the admin's terminal or retitle its window.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """`text` without control characters, safe to print to a terminal."""
    return _CONTROL.sub("", text)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _progress(
    console: Any, *labels: str
) -> AbstractContextManager[Callable[[int, int], None] | None]:
    """A progress bar on a terminal, a task per stage; nothing when output is piped or in CI."""
    if not console.is_terminal:
        return nullcontext(None)
    return _ProgressBar(console, labels)


class _ProgressBar:
    """One task per stage: a stage ends when the total it counts towards changes."""

    def __init__(self, console: Any, labels: Sequence[str]) -> None:
        from rich.progress import Progress

        self._progress = Progress(console=console, transient=True)
        self._labels = list(labels)
        self._task: Any = None
        self._total = -1

    def __enter__(self) -> Callable[[int, int], None]:
        self._progress.start()
        return self.update

    def update(self, done: int, total: int) -> None:
        if self._task is None or total != self._total:
            if self._task is not None:
                self._progress.update(self._task, completed=self._total)
            label = self._labels.pop(0) if len(self._labels) > 1 else self._labels[0]
            self._task = self._progress.add_task(label, total=total)
            self._total = total
        self._progress.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()
