"""BM25 search at scale: Citebot's BM25Index against rank-bm25, bm25s and tantivy.

    python benchmarks/bm25_bench.py --sizes 10k,100k,1M [--queries 200] [--seed 0] [--before REV]

A synthetic corpus is generated from the seed: a Zipf(1.1) vocabulary of 50,000
words, passages of 60-120 tokens, and queries of 3-8 tokens drawn from the same
distribution (top 10 asked). Corpora are cached (``benchmarks/.cache`` by default)
so runs are repeatable and cheap to repeat.

Every engine runs in its own subprocesses, so each peak RSS (``ru_maxrss`` of the
child) is that engine's alone: one child builds and saves, another loads and
answers the queries (warm: every query is run once untimed first; with
``--rounds N`` each is then timed N times and its best kept). rank-bm25 has
no persistence: it builds and answers in one child, and at 1M passages answers
only the first 10 queries (each takes seconds). The corpus is handed to Citebot
as a stream (read from the cache in chunks, token ids turned into strings on the
fly: that work is inside its build time); rank-bm25 and bm25s need the whole
tokenised corpus as lists, materialised before their build clock starts (and in
their RSS, since they need it). tantivy gets each passage as whitespace-joined
text, built with 2 threads.

``--before REV`` adds Citebot as it was at the git revision REV (its ``bot/``
package extracted with ``git archive``), run the same way, so a change to the index
is measured before and after, side by side in one run.

bm25s (default "lucene" method) and tantivy score differently from rank-bm25
(other idf, quantised lengths in tantivy), so only Citebot is checked for
agreement with rank-bm25; for the others the top-10 overlap with Citebot is
reported, for information.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VOCABULARY = 50_000
ZIPF = 1.1
MIN_LEN, MAX_LEN = 60, 120
MIN_Q, MAX_Q = 3, 8
TOP = 10
RANK_BM25_QUERIES_AT_1M = 10
ENGINES = ("citebot", "rank-bm25", "bm25s", "tantivy")
_CHUNK_TOKENS = 1 << 22


# --- corpus -------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def word(i: int) -> str:
    return f"w{i}"


WORDS = [word(i) for i in range(VOCABULARY)]


def zipf_probabilities() -> np.ndarray:
    p = 1.0 / np.arange(1, VOCABULARY + 1, dtype=np.float64) ** ZIPF
    return p / p.sum()


def corpus_dir(cache: Path, n: int, seed: int) -> Path:
    return cache / f"corpus-{label(n)}-seed{seed}"


def ensure_corpus(cache: Path, n: int, seed: int, n_queries: int) -> Path:
    """Generate (once) the corpus of `n` passages and the queries; return its folder."""
    folder = corpus_dir(cache, n, seed)
    done = folder / "done.json"
    if done.exists() and json.loads(done.read_text()).get("queries") == n_queries:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, n])
    p = zipf_probabilities()
    cdf = np.cumsum(p)
    cdf[-1] = 1.0
    lengths = rng.integers(MIN_LEN, MAX_LEN + 1, size=n).astype(np.int32)
    np.save(folder / "lengths.npy", lengths)
    with open(folder / "tokens.bin", "wb") as out:
        remaining = int(lengths.sum())
        while remaining:
            step = min(remaining, _CHUNK_TOKENS)
            ids = np.searchsorted(cdf, rng.random(step), side="right").astype(np.int32)
            np.minimum(ids, VOCABULARY - 1, out=ids)
            ids.tofile(out)
            remaining -= step
    qrng = np.random.default_rng([seed, n, 1])
    queries = []
    for _ in range(n_queries):
        size = int(qrng.integers(MIN_Q, MAX_Q + 1))
        ids = np.searchsorted(cdf, qrng.random(size), side="right")
        queries.append([WORDS[min(int(i), VOCABULARY - 1)] for i in ids])
    (folder / "queries.json").write_text(json.dumps(queries))
    done.write_text(json.dumps({"n": n, "seed": seed, "queries": n_queries}))
    return folder


def stream_docs(folder: Path) -> Iterator[list[str]]:
    """The passages as token lists, read from the cache in chunks (never all at once)."""
    lengths = np.load(folder / "lengths.npy").tolist()
    words = WORDS
    with open(folder / "tokens.bin", "rb") as handle:
        buffer: list[int] = []
        at = 0
        for length in lengths:
            if at + length > len(buffer):
                rest = buffer[at:]
                buffer = rest + np.fromfile(handle, dtype=np.int32, count=_CHUNK_TOKENS).tolist()
                at = 0
            yield [words[t] for t in buffer[at : at + length]]
            at += length


def load_queries(folder: Path) -> list[list[str]]:
    return json.loads((folder / "queries.json").read_text())


# --- measuring in the child -------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def folder_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def time_queries(
    search, queries: list[list[str]], warm: bool = True, rounds: int = 1
) -> tuple[list, list[float]]:
    """Each query's results and time in ms (with `rounds` > 1, its best of that many
    timed passes: on a shared machine the best is the least disturbed)."""
    if warm:
        for query in queries:
            search(query)
    results: list = []
    times = [float("inf")] * len(queries)
    for _ in range(rounds if warm else 1):
        results = []
        for i, query in enumerate(queries):
            started = time.perf_counter()
            hits = search(query)
            times[i] = min(times[i], (time.perf_counter() - started) * 1000)
            results.append(hits)
    return results, times


def child(args: argparse.Namespace) -> dict:
    folder = Path(args.corpus)
    work = Path(args.work)
    queries = load_queries(folder)
    if args.max_queries:
        queries = queries[: args.max_queries]
    out: dict = {"engine": args.engine, "phase": args.phase}
    baseline = peak_rss_mb()

    if args.engine.startswith("citebot"):
        sys.path.insert(0, args.root or str(ROOT))
        from bot.index import BM25Index

        target = work / args.engine.replace("@", "-")
        if args.phase == "build":
            started = time.perf_counter()
            for _ in stream_docs(folder):
                pass
            out["stream_s"] = time.perf_counter() - started
            started = time.perf_counter()
            index = BM25Index.build(stream_docs(folder))
            out["build_s"] = time.perf_counter() - started
            started = time.perf_counter()
            index.save(target)
            out["save_s"] = time.perf_counter() - started
            out["disk_bytes"] = folder_bytes(target)
            out["files"] = {p.name: p.stat().st_size for p in sorted(target.iterdir())}
            out["postings"] = int(index._doc_ids.shape[0])
            out["vocabulary"] = index.vocabulary_size
        else:
            started = time.perf_counter()
            index = BM25Index.load(target)
            out["load_s"] = time.perf_counter() - started
            results, times = time_queries(
                lambda q: index.top_k(q, TOP), queries, rounds=args.rounds
            )
            out["times_ms"] = times
            out["results"] = results
            out["peak_rss_mb"] = peak_rss_mb()  # serving only, before the check below
            # Untimed: top_k against the exhaustive ranking of get_scores, which
            # reproduces rank-bm25's scores (tests check it bit for bit), on every query.
            exhaustive = []
            for query in queries:
                scores = index.get_scores(query)
                order = np.argsort(-scores, kind="stable")[:TOP]
                exhaustive.append([(int(i), float(scores[i])) for i in order if scores[i] > 0])
            out["exhaustive"] = exhaustive

    elif args.engine == "rank-bm25":
        from rank_bm25 import BM25Okapi

        docs = list(stream_docs(folder))
        baseline = peak_rss_mb()
        started = time.perf_counter()
        model = BM25Okapi(docs)
        out["build_s"] = time.perf_counter() - started
        del docs

        def search(query):
            scores = model.get_scores(query)
            order = np.argsort(-scores, kind="stable")[:TOP]
            return [(int(i), float(scores[i])) for i in order if scores[i] > 0]

        results, times = time_queries(search, queries, warm=False)
        out["times_ms"] = times
        out["results"] = results

    elif args.engine == "bm25s":
        import bm25s

        target = work / "bm25s"
        if args.phase == "build":
            docs = list(stream_docs(folder))
            baseline = peak_rss_mb()
            started = time.perf_counter()
            retriever = bm25s.BM25()  # default method: "lucene"
            retriever.index(docs, show_progress=False)
            out["build_s"] = time.perf_counter() - started
            del docs
            started = time.perf_counter()
            retriever.save(str(target), show_progress=False)
            out["save_s"] = time.perf_counter() - started
            out["disk_bytes"] = folder_bytes(target)
        else:
            started = time.perf_counter()
            retriever = bm25s.BM25.load(str(target), mmap=True)
            out["load_s"] = time.perf_counter() - started

            def search(query):
                ids = retriever.get_tokens_ids(query)
                if not ids:
                    return []
                docs, scores = retriever.retrieve(
                    [query],
                    k=min(TOP, retriever.scores["num_docs"]),
                    show_progress=False,
                    n_threads=1,
                )
                return [
                    (int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0
                ]

            results, times = time_queries(search, queries, rounds=args.rounds)
            out["times_ms"] = times
            out["results"] = results

    elif args.engine == "tantivy":
        import tantivy

        target = work / "tantivy"
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
        builder.add_unsigned_field("id", stored=True)
        schema = builder.build()
        if args.phase == "build":
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            started = time.perf_counter()
            index = tantivy.Index(schema, path=str(target))
            writer = index.writer(heap_size=256_000_000, num_threads=2)
            for number, doc in enumerate(stream_docs(folder)):
                document = tantivy.Document()
                document.add_text("body", " ".join(doc))
                document.add_unsigned("id", number)
                writer.add_document(document)
            writer.commit()
            writer.wait_merging_threads()
            out["build_s"] = time.perf_counter() - started
            out["disk_bytes"] = folder_bytes(target)
        else:
            started = time.perf_counter()
            index = tantivy.Index.open(str(target))
            searcher = index.searcher()
            out["load_s"] = time.perf_counter() - started
            Occur, Query = tantivy.Occur, tantivy.Query

            def search(query):
                should = [
                    (Occur.Should, Query.term_query(schema, "body", t, index_option="freq"))
                    for t in query
                ]
                return searcher.search(Query.boolean_query(should), TOP).hits

            hits, times = time_queries(search, queries, rounds=args.rounds)
            out["times_ms"] = times
            out["results"] = [
                [(int(searcher.doc(address)["id"][0]), float(score)) for score, address in found]
                for found in hits
            ]
            out["segments"] = searcher.num_segments
    else:
        raise SystemExit(f"unknown engine {args.engine}")

    out.setdefault("peak_rss_mb", peak_rss_mb())
    out["baseline_rss_mb"] = baseline
    return out


# --- the parent -------------------------------------------------------------------------


def run_child(
    engine: str,
    phase: str,
    folder: Path,
    work: Path,
    max_queries: int = 0,
    root: str = "",
    rounds: int = 1,
) -> dict:
    result_file = work / f"{engine.replace('@', '-')}-{phase}.json"
    command = [
        sys.executable, str(Path(__file__).resolve()), "--child", engine, "--phase", phase,
        "--corpus", str(folder), "--work", str(work), "--result", str(result_file),
        "--max-queries", str(max_queries), "--root", root, "--rounds", str(rounds),
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        print(f"  {engine} {phase} FAILED:\n{done.stderr[-2000:]}", file=sys.stderr)
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    result = json.loads(result_file.read_text())
    result["wall_s"] = wall
    return result


def percentile(times: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(times), q)) if times else float("nan")


def same_top(got: list, want: list) -> bool:
    """Equal top-10 lists, allowing swaps among scores equal within 1e-6 relative."""
    if len(got) != len(want):
        return False
    for (d, s), (wd, ws) in zip(got, want, strict=True):
        if abs(s - ws) > 1e-9 * max(1.0, abs(ws)):
            return False
        if d != wd and abs(s - ws) > 1e-6 * max(1.0, abs(ws)):
            return False
    return True


def overlap(a: list, b: list) -> float:
    sa, sb = {d for d, _ in a}, {d for d, _ in b}
    return len(sa & sb) / max(1, max(len(sa), len(sb)))


def available(engine: str) -> str | None:
    module = {"citebot": "numpy", "rank-bm25": "rank_bm25", "bm25s": "bm25s", "tantivy": "tantivy"}
    try:
        __import__(module[engine.split("@")[0]])
    except ImportError:
        return f"{engine} is not installed (pip install '.[bench]')"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1M")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--cache-dir", default=str(HERE / ".cache"))
    parser.add_argument("--json", help="also write all measurements to this file")
    parser.add_argument("--before", help="also run Citebot as it was at this git revision")
    parser.add_argument(
        "--rounds", type=int, default=1, help="time each query this many times, keep the best"
    )
    # child mode
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--max-queries", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--root", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        args.engine = args.child
        result = child(args)
        Path(args.result).write_text(json.dumps(result))
        return 0

    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    roots: dict[str, str] = {}
    if args.before:
        before = f"citebot@{args.before}"
        roots[before] = str(extract_revision(args.before, cache))
        engines.insert(engines.index("citebot") if "citebot" in engines else 0, before)
    report: dict = {
        "command": "python benchmarks/bm25_bench.py " + " ".join(sys.argv[1:]),
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        ),
        "sizes": {},
    }
    for n in sizes:
        print(f"== {label(n)} passages: preparing corpus", file=sys.stderr, flush=True)
        started = time.perf_counter()
        folder = ensure_corpus(cache, n, args.seed, args.queries)
        print(f"   corpus ready in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        results: dict = {}
        with tempfile.TemporaryDirectory(prefix=f"bm25bench-{label(n)}-", dir=cache) as tmp:
            work = Path(tmp)
            for engine in engines:
                missing = available(engine)
                if missing:
                    results[engine] = {"skipped": missing}
                    print(f"   {engine}: skipped ({missing})", file=sys.stderr)
                    continue
                print(f"   {engine}: running", file=sys.stderr, flush=True)
                if engine == "rank-bm25":
                    limit = RANK_BM25_QUERIES_AT_1M if n >= 1_000_000 else 0
                    serve = run_child(engine, "all", folder, work, limit)
                    build = serve
                else:
                    root = roots.get(engine, "")
                    build = run_child(engine, "build", folder, work, root=root)
                    serve = build
                    if "error" not in build:
                        serve = run_child(
                            engine, "serve", folder, work, root=root, rounds=args.rounds
                        )
                results[engine] = {"build": build, "serve": serve}
                print(f"   {engine}: {summary_line(build, serve)}", file=sys.stderr, flush=True)
        report["sizes"][label(n)] = results
        print(markdown_for_size(label(n), results), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    print(markdown_header(report))
    return 0


def extract_revision(revision: str, cache: Path) -> Path:
    """The `bot` package as it was at the git `revision`, extracted once under `cache`."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", revision],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    target = cache / f"src-{commit}"
    if not (target / "bot").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "bot"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def summary_line(build: dict, serve: dict) -> str:
    if "error" in build or "error" in serve:
        return f"error: {build.get('error') or serve.get('error')}"
    times = serve.get("times_ms", [])
    return (
        f"build {build.get('build_s', float('nan')):.1f}s, "
        f"p50 {percentile(times, 50):.2f} ms, p99 {percentile(times, 99):.2f} ms"
    )


def fmt(value, spec: str, missing: str = "–") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return missing
    return format(value, spec)


def markdown_for_size(size: str, results: dict) -> str:
    lines = [
        f"### {size} passages",
        "",
        "| engine | build s | build peak RSS MB | size on disk MB | load s | serve peak RSS MB "
        "| queries | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows: dict[str, dict] = {}
    for engine, result in results.items():
        if "skipped" in result:
            lines.append(f"| {engine} | skipped: {result['skipped']} | | | | | | | | |")
            continue
        build, serve = result["build"], result["serve"]
        if "error" in build or "error" in serve:
            lines.append(f"| {engine} | error: {build.get('error') or serve.get('error')} "
                         "| | | | | | | | |")  # fmt: skip
            continue
        times = serve.get("times_ms", [])
        row = {
            "build": build.get("build_s"),
            "build_rss": build.get("peak_rss_mb"),
            "disk": build.get("disk_bytes", 0) / 1e6 if "disk_bytes" in build else None,
            "load": serve.get("load_s"),
            "serve_rss": serve.get("peak_rss_mb"),
            "p50": percentile(times, 50),
            "p95": percentile(times, 95),
            "p99": percentile(times, 99),
        }
        rows[engine] = row
        note = f"{len(times)}" + (" (only)" if engine == "rank-bm25" and len(times) < 50 else "")
        lines.append(
            f"| {engine} | {fmt(row['build'], '.1f')} | {fmt(row['build_rss'], '.0f')} "
            f"| {fmt(row['disk'], '.0f')} | {fmt(row['load'], '.3f')} "
            f"| {fmt(row['serve_rss'], '.0f')} | {note} | {fmt(row['p50'], '.2f')} "
            f"| {fmt(row['p95'], '.2f')} | {fmt(row['p99'], '.2f')} |"
        )
    citebot = rows.get("citebot")
    if citebot:
        lines += ["", "Ratios Citebot / other (below 1: Citebot is faster or smaller):", ""]
        lines.append("| vs | build | build RSS | disk | load | serve RSS | p50 | p99 |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for engine, row in rows.items():
            if engine == "citebot":
                continue

            def ratio(key: str, row=row) -> str:
                a, b = citebot.get(key), row.get(key)
                if a is None or b is None or not b or np.isnan(a) or np.isnan(b):
                    return "–"
                return f"{a / b:.3g}"

            lines.append(
                f"| {engine} | {ratio('build')} | {ratio('build_rss')} | {ratio('disk')} "
                f"| {ratio('load')} | {ratio('serve_rss')} | {ratio('p50')} | {ratio('p99')} |"
            )
    agreement = []
    cite = results.get("citebot", {}).get("serve", {}).get("results")
    stream = results.get("citebot", {}).get("build", {}).get("stream_s")
    if stream is not None:
        agreement.append(
            f"Citebot's build time includes {stream:.1f} s of producing the token stream "
            "(reading the cache, ids to strings); the others get materialised lists."
        )
    if cite is not None:
        references = [
            # (engine, result key, same length?, how the agreement reads)
            (
                "rank-bm25",
                "results",
                False,
                "Citebot top-10 identical to rank-bm25 (modulo ties within 1e-6, scores within "
                "1e-9): {same}/{n} queries ({percent:.0f}%).",
            ),
            (
                "citebot",
                "exhaustive",
                True,
                "Citebot top-10 identical to the exhaustive ranking of its get_scores "
                "(rank-bm25's scores) on all queries: {same}/{n}.",
            ),
        ]
        for name, key, strict, sentence in references:
            ref = results.get(name, {}).get("serve", {}).get(key)
            if ref is not None:
                same = sum(same_top(c, r) for c, r in zip(cite, ref, strict=strict))
                n = len(ref)
                agreement.append(sentence.format(same=same, n=n, percent=100 * same / max(1, n)))
        for engine, result in results.items():
            before = result.get("serve", {}).get("results") if "@" in engine else None
            if before is not None:
                same = sum(c == b for c, b in zip(cite, before, strict=True))
                agreement.append(
                    f"Citebot top-10 (documents and scores, bit for bit) identical to {engine}'s: "
                    f"{same}/{len(before)} queries."
                )
        for other in ("bm25s", "tantivy"):
            res = results.get(other, {}).get("serve", {}).get("results")
            if res is not None:
                mean = np.mean([overlap(c, r) for c, r in zip(cite, res, strict=False)])
                agreement.append(
                    f"Top-10 overlap Citebot vs {other} (different scoring): {100 * mean:.0f}%."
                )
    for engine, result in results.items():
        files = result.get("build", {}).get("files") if engine.startswith("citebot") else None
        if files:
            parts = sorted(files.items(), key=lambda item: -item[1])
            shown = ", ".join(f"{name} {size / 1e6:.0f}" for name, size in parts if size >= 5e5)
            agreement.append(f"{engine} on disk (MB): {shown}.")
    if agreement:
        lines += [""] + agreement
    return "\n".join(lines) + "\n"


def markdown_header(report: dict) -> str:
    return f"Command: `{report['command']}` — {report['date']} — {report['machine']}\n"


if __name__ == "__main__":
    raise SystemExit(main())
