"""Cost of `QuestionReader`: building it from a library's texts, and reading a question.

Usage: python benchmarks/chat_bench.py [--squad FILE] [--synthetic N]

Builds a reader on the SQuAD public set's paragraphs and on N synthetic passages (words
drawn Zipf(1.1) from symspellpy's English dictionary, 60-120 words each, about 0.1 %
misspelt; past 100k the first 100k come round again), each in a child process so its
peak RSS is its own; then times `read` on chat-style questions (first read of each, so
the typo cache is cold, then warm).
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import multiprocessing
import resource
import time
from collections.abc import Iterator

import numpy as np

QUESTIONS = [
    "hey guys, how long does a help post stay active? thx in advance!!",
    "dont know wat teh guild ownr can do lol",
    "thats weird, whats teh best way to set permisions? sorry if dumb question",
    "my bot crashes:\nTraceback (most recent call last):\n"
    '  File "/home/me/bot/main.py", line 12, in <module>\n    client.run(TOKEN)\n'
    "discord.errors.LoginFailure: Improper token has been passed.\nany ideas?",
    "```py\n@bot.command()\nasync def ping(ctx):\n    await ctx.send('pong')\n```\nwhy no reply",
    "<@!123> which goverment agency enforcs teh enviromental laws?",
    "who founded deepseek",
    "when was the univrsity founded and by whom",
]


def squad_texts(path: str) -> list[str]:
    data = json.load(open(path, encoding="utf-8"))["data"]
    return [p["context"] for article in data for p in article["paragraphs"]]


def synthetic_texts(n: int, seed: int = 7) -> Iterator[str]:
    path = importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    words = [line.split()[0] for line in path.read_text(encoding="utf-8").splitlines()][:50_000]
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, len(words) + 1) ** 1.1
    cdf = np.cumsum(p / p.sum())
    for _ in range(n):
        ids = np.minimum(np.searchsorted(cdf, rng.random(rng.integers(60, 121))), len(words) - 1)
        out = [words[i] for i in ids]
        for j in np.flatnonzero(rng.random(len(out)) < 0.001):
            w = out[j]
            k = int(rng.integers(0, len(w)))
            out[j] = w[:k] + w[k + 1 :]  # a deletion typo
        yield " ".join(out)


def child(kind: str, arg: str, queue: multiprocessing.Queue) -> None:
    from bot.chat import QuestionReader, _english

    started = time.perf_counter()
    _english()
    english_s = time.perf_counter() - started
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    texts = squad_texts(arg) if kind == "squad" else synthetic_texts(int(arg))
    if kind != "squad":
        # Past 100k the same passages come round again (generating a million would cost
        # more than reading them): the cost of counting and sampling is what is measured.
        base = list(synthetic_texts(min(int(arg), 100_000)))
        texts = [base[i % len(base)] for i in range(int(arg))]
    started = time.perf_counter()
    reader = QuestionReader.from_texts(texts)
    build_s = time.perf_counter() - started
    times = []
    for q in QUESTIONS:
        t = time.perf_counter()
        reader.read(q)
        times.append((time.perf_counter() - t) * 1000)
    warm = []
    for _ in range(20):
        for q in QUESTIONS:
            t = time.perf_counter()
            reader.read(q)
            warm.append((time.perf_counter() - t) * 1000)
    queue.put(
        {
            "library": kind if kind == "squad" else f"synthetic {int(arg):,}",
            "passages": len(texts),
            "vocabulary": len(reader._library),
            "english_load_s": round(english_s, 2),
            "build_s": round(build_s, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "rss_before_texts_mb": round(rss_before),
            "read_cold_ms_max": round(max(times), 2),
            "read_cold_ms_p50": round(float(np.median(times)), 3),
            "read_warm_ms_p50": round(float(np.median(warm)), 3),
            "sample": reader.read(QUESTIONS[5]).text(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--squad", default="/work/shared/eval/squad-dev-v1.1-public.json")
    parser.add_argument("--synthetic", type=int, nargs="*", default=[100_000])
    args = parser.parse_args()
    runs = [("squad", args.squad)] + [("synthetic", str(n)) for n in args.synthetic]
    ctx = multiprocessing.get_context("spawn")
    for kind, arg in runs:
        queue = ctx.Queue()
        process = ctx.Process(target=child, args=(kind, arg, queue))
        process.start()
        print(json.dumps(queue.get()))
        process.join()


if __name__ == "__main__":
    main()
