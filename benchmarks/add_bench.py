"""Adding one article to the shared library: incremental update against a full rebuild.

For each size, the eval set's articles are replicated to about that many passages (as
`batch_bench.py` does) and `citebot index` builds once (the full rebuild, timed: what
every add cost before). Then, in one child process running the bot's `LiveEngine`:

* queries (the eval set's questions through `Engine.answer`, as the bot answers them)
  are timed on the saved library;
* a 10-paragraph article is added as `/citebot add shared:True` adds an upload
  (`corpus_edit.save_upload` with `Engine.repeats`: duplicate check, atomic write) and the bot reloads; the
  latency is from the upload until an answer cites the new article, with the process's
  extra peak RSS (sampled every 2 ms) over what it held before;
* the same queries on the updated library (searched beside the base index);
* the merge (a full build in a child process at low priority) is started at once, and
  the queries run at `PACE` a second until the merged index is swapped in: their
  p50/p99 during the merge, its duration and the child's peak RSS;
* removing the article again (`corpus_edit.remove_article` + reload).

The answers asked during the merge are also reported in two parts: while the child
builds, and while the bot loads the merged index (from the child's end to the swap).

tantivy (add_document + commit + reload of a searcher over the same passages) is timed
beside it when the `tantivy` package imports.

With `--distinct`, every copy of a paragraph but the first loses a tenth of its words
(drawn at random, the same draw for every run): a library of copies holds each passage
hundreds of times with the same score for every question, which no real library does.

    python benchmarks/add_bench.py --sizes 100k,1M [--distinct]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from batch_bench import EVAL, make_corpus  # noqa: E402
from bm25_bench import percentile  # noqa: E402
from import_bench import index as timed_index  # noqa: E402
from startup_bench import parse_size  # noqa: E402
from support import subprocess_env  # noqa: E402

#: Questions a second asked while the merge runs.
PACE = 20
QUESTION = "What colour are the stripes of a plains okapi-zebra?"
ARTICLE = "# Okapi-zebras\n\n" + "\n\n".join(
    f"Okapi-zebra fact {n}: the stripes of a plains okapi-zebra are black and white on its "
    f"legs, and this paragraph, number {n} of ten, says where they grow and why."
    for n in range(1, 11)
)


def make_distinct_corpus(folder: Path, passages: int) -> list[str]:
    """`make_corpus`, but each copy after the first drops a tenth of each paragraph's words."""
    data = json.loads(EVAL.read_text())["data"]
    paragraphs_per_copy = sum(len(a["paragraphs"]) for a in data)
    copies = max(1, round(passages / paragraphs_per_copy))
    folder.mkdir(parents=True, exist_ok=True)
    draw = random.Random(11)
    for copy in range(copies):
        with open(folder / f"copy-{copy:04d}.jsonl", "w") as out:
            for number, article in enumerate(data):
                paragraphs = []
                for paragraph in article["paragraphs"]:
                    words = paragraph["context"].split()
                    if copy:
                        words = [w for w in words if draw.random() >= 0.1] or words
                    paragraphs.append(f"{' '.join(words)} (copy {copy})")
                title = f"{article['title'].replace('_', ' ')} ({copy})"
                text = "\n\n".join(paragraphs)
                out.write(json.dumps({"id": number, "title": title, "text": text}) + "\n")
    return [qa["question"] for a in data for p in a["paragraphs"] for qa in p["qas"]]


class MergeEnd(logging.Handler):
    """Notes when the live engine logs that the merge's child has ended."""

    def __init__(self) -> None:
        super().__init__()
        self.at: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("merged the changes"):
            self.at = time.perf_counter()


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakRss:
    """The highest RSS seen while the block runs, sampled on a thread."""

    def __enter__(self) -> PeakRss:
        self.before = rss_mb()
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def timed(engine, questions: list[str]) -> list[float]:
    times = []
    for question in questions:
        started = time.perf_counter()
        engine.answer(question)
        times.append((time.perf_counter() - started) * 1000)
    return times


def stats(times: list[float]) -> dict:
    if not times:
        return {"p50": 0.0, "p99": 0.0, "n": 0}
    return {"p50": percentile(times, 50), "p99": percentile(times, 99), "n": len(times)}


async def serve(root: Path, questions: list[str]) -> dict:
    """The bot's side, in this (child) process: load, add, query, merge, remove."""
    os.chdir(root)
    from bot import corpus_edit, incremental
    from bot.live import LiveEngine
    from bot.settings import Settings

    incremental.MERGE_SHARE, incremental.MERGE_FLOOR = 0.0, 0  # merge right after the add
    settings = Settings.from_env()
    live = LiveEngine(settings)
    await live.open()
    out: dict = {"passages": live.engine.passage_count}
    timed(live.engine, questions[:100])  # warm
    out["before"] = stats(timed(live.engine, questions))

    engine = live.engine
    with PeakRss() as rss:
        started = time.perf_counter()
        added = await asyncio.to_thread(
            corpus_edit.save_upload,
            settings.corpus_dir,
            "okapi-zebras.md",
            ARTICLE.encode(),
            engine.repeats,
        )
        saved = time.perf_counter() - started
        result = await live.reload()
        answer = live.engine.answer(QUESTION)
        latency = time.perf_counter() - started
    assert (
        result.ok and answer.found and answer.results[0].article_id == added[0].article.article_id
    )
    out["add"] = {
        "check_and_write_s": saved,
        "answerable_s": latency,
        "extra_peak_mb": rss.peak - rss.before,
        "index": type(live.engine.index).__name__,
    }
    grown = live.engine
    out["grown"] = stats(timed(grown, questions))

    during: list[tuple[float, float]] = []  # (asked at, ms)
    ended = MergeEnd()
    logging.getLogger("bot.live").addHandler(ended)
    logging.getLogger("bot.live").setLevel(logging.INFO)
    started = time.perf_counter()
    merge_done = asyncio.ensure_future(live.merging())

    def ask_until_merged() -> None:
        # A busy bot's pace, not a saturating loop: the merge gets the rest of the machine.
        while not merge_done.done():
            for question in questions:
                if merge_done.done():
                    return
                t = time.perf_counter()
                live.engine.answer(question)
                during.append((t, (time.perf_counter() - t) * 1000))
                time.sleep(max(0.0, 1 / PACE - (time.perf_counter() - t)))

    await asyncio.gather(asyncio.to_thread(ask_until_merged), merge_done)
    swapped = time.perf_counter()
    child_end = ended.at if ended.at is not None else swapped
    out["merge"] = {
        "seconds": swapped - started,
        "load_s": swapped - child_end,
        "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "index": type(live.engine.index).__name__,
        "during": stats([ms for _, ms in during]),
        "building": stats([ms for at, ms in during if at < child_end]),
        "loading": stats([ms for at, ms in during if at >= child_end]),
    }
    out["merged"] = stats(timed(live.engine, questions))

    with PeakRss() as rss:
        started = time.perf_counter()
        article = live.engine.article(added[0].article.article_id)
        await asyncio.to_thread(
            corpus_edit.remove_article, settings.corpus_dir, settings.data_dir, article
        )
        await live.reload()
        gone = live.engine.article(added[0].article.article_id) is None
        out["remove"] = {
            "seconds": time.perf_counter() - started,
            "gone": gone,
            "extra_peak_mb": rss.peak - rss.before,
        }
    await live.close()
    return out


def tantivy_add(root: Path) -> dict | None:
    """tantivy: index the same passages (whitespace-joined terms), then add the article's
    passages, commit, reload a searcher; None when tantivy is not installed."""
    try:
        import tantivy
    except ImportError:
        return None
    from bot.corpus import Corpus, parse_articles
    from bot.index import passage_terms, split_corpus
    from bot.settings import Settings
    from bot.snapshot import library_key, load_library
    from bot.text import Analyzer

    settings = Settings(corpus_dir=root / "corpus", data_dir=root / ".citebot")
    library = load_library(settings, library_key(settings))
    assert library is not None
    analyzer = Analyzer(settings.language)
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
    schema = builder.build()
    target = root / "tantivy"
    target.mkdir()
    index = tantivy.Index(schema, path=str(target))
    writer = index.writer(heap_size=256_000_000, num_threads=2)
    started = time.perf_counter()
    for terms in passage_terms(library.corpus.articles, library.passages, analyzer):
        document = tantivy.Document()
        document.add_text("body", " ".join(terms))
        writer.add_document(document)
    writer.commit()
    writer.wait_merging_threads()
    build = time.perf_counter() - started
    index.reload()
    articles = list(parse_articles(ARTICLE.encode(), "added/okapi-zebras.md"))
    writer = index.writer(heap_size=64_000_000, num_threads=1)
    started = time.perf_counter()
    for terms in passage_terms(articles, split_corpus(Corpus(articles), settings), analyzer):
        document = tantivy.Document()
        document.add_text("body", " ".join(terms))
        writer.add_document(document)
    writer.commit()
    index.reload()
    searcher = index.searcher()
    query = index.parse_query(" ".join(analyzer.terms(QUESTION)), ["body"])
    searcher.search(query, 3)
    return {"build_s": build, "add_s": time.perf_counter() - started}


def run_size(size: int, distinct: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="citebot-add-") as scratch:
        root = Path(scratch)
        make = make_distinct_corpus if distinct else make_corpus
        questions = make(root / "corpus", size)[:300]
        build, summary = timed_index(root)
        tantivy = tantivy_add(root)  # on the library as built, before the add
        job = json.dumps({"root": str(root), "questions": questions})
        child = subprocess.run(
            [sys.executable, __file__, "--child"],
            input=job,
            capture_output=True,
            text=True,
            env=subprocess_env(),
            check=False,
        )
        if child.returncode != 0:
            raise SystemExit(child.stderr)
        result = json.loads(child.stdout.strip().splitlines()[-1])
        result["corpus"] = summary.split(";")[0]
        result["full_build_s"] = build
        result["tantivy"] = tantivy
        return result


def child_main() -> None:
    job = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(serve(Path(job["root"]), job["questions"]))))


def cell(s: dict) -> str:
    return f"{s['p50']:.1f} / {s['p99']:.1f} ms"


def report(rows: list[dict]) -> None:
    print(
        "| corpus | full rebuild (before) | add → answerable | ratio | extra peak RSS "
        "| tantivy add+commit+reload | remove |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        t = r["tantivy"]
        shown = f"{t['add_s'] * 1000:.0f} ms" if t else "not installed"
        print(
            f"| {r['corpus']} | {r['full_build_s']:.1f} s | {r['add']['answerable_s']:.2f} s "
            f"(check+write {r['add']['check_and_write_s']:.2f} s) "
            f"| {r['full_build_s'] / r['add']['answerable_s']:.0f}x "
            f"| {r['add']['extra_peak_mb']:.0f} MB | {shown} | {r['remove']['seconds']:.2f} s |"
        )
    print()
    print(
        "| corpus | answer p50 / p99 before | after the add (beside the index) "
        "| during the merge | merged | merge: time, child peak RSS |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        m = r["merge"]
        print(
            f"| {r['corpus']} | {cell(r['before'])} | {cell(r['grown'])} "
            f"| {cell(m['during'])} ({m['during']['n']} asked) | {cell(r['merged'])} "
            f"| {m['seconds']:.1f} s, {m['child_peak_mb']:.0f} MB |"
        )
    print()
    print("| corpus | during the merge: while the child builds | while the bot loads the result |")
    print("|---|---:|---:|")
    for r in rows:
        m = r["merge"]
        print(
            f"| {r['corpus']} | {cell(m['building'])} ({m['building']['n']} asked) "
            f"| {cell(m['loading'])} ({m['loading']['n']} asked in {m['load_s']:.1f} s) |"
        )


def main() -> None:
    if "--child" in sys.argv:
        child_main()
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100k", help="passages, comma-separated: 100k,1M")
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="copies of a paragraph differ (a tenth of words dropped)",
    )
    args = parser.parse_args()
    rows = []
    for size in [parse_size(s) for s in args.sizes.split(",")]:
        rows.append(run_size(size, args.distinct))
        print(json.dumps(rows[-1]), file=sys.stderr)
    report(rows)


if __name__ == "__main__":
    main()
