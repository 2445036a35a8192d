"""What searching a server's library beside the shared index costs, and how exact it is.

    python benchmarks/union_bench.py --sizes 10k,100k --server 200 --queries 200 [--seed 0]

Synthetic passages as in bm25_bench.py (Zipf(1.1) over 50,000 words, 60-120 tokens;
queries of 3-8 tokens, top 30 as the engine asks). For each size: the shared
`BM25Index` alone (MaxScore), then `UnionIndex` over it plus a server library of
`--server` passages (dense scoring over the union): time to join, p50/p95 of a query
(warm, single thread), and the largest relative difference of its scores from
rank-bm25's BM25Okapi over the union (measured at the smallest size only: rank-bm25
takes seconds a query beyond it).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence

import numpy as np

from bot.index import BM25Index, SmallIndex, UnionIndex

VOCABULARY = 50_000
TOP = 30


def passages(rng: np.random.Generator, n: int) -> list[list[str]]:
    """`n` passages of Zipf-distributed words."""
    weights = 1 / np.arange(1, VOCABULARY + 1) ** 1.1
    weights /= weights.sum()
    lengths = rng.integers(60, 121, size=n)
    words = rng.choice(VOCABULARY, size=int(lengths.sum()), p=weights)
    docs, at = [], 0
    for length in lengths.tolist():
        docs.append([f"w{w}" for w in words[at : at + length].tolist()])
        at += length
    return docs


def percentiles(times: Sequence[float]) -> tuple[float, float]:
    ms = np.array(times) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10k,100k")
    parser.add_argument("--server", type=int, default=200)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    sizes = [
        int(s.lower().replace("k", "000").replace("m", "000000")) for s in args.sizes.split(",")
    ]
    print(
        "| shared passages | join s | shared alone p50 / p95 ms | shared + server p50 / p95 ms | max rel. diff vs BM25Okapi(union) |"
    )
    print("|---:|---:|---:|---:|---:|")
    for number, size in enumerate(sizes):
        shared_docs = passages(rng, size)
        server_docs = passages(rng, args.server)
        shared = BM25Index.build(shared_docs)
        queries = [
            [f"w{w}" for w in rng.zipf(1.1, size=random.Random(i).randint(3, 8)) % VOCABULARY]
            for i in range(args.queries)
        ]
        started = time.perf_counter()
        union = UnionIndex(shared, SmallIndex(server_docs))
        union.average_idf()
        join = time.perf_counter() - started
        timings = {}
        for name, index in (("shared", shared), ("union", union)):
            for query in queries:
                index.top_k(query, TOP)
            spent = []
            for query in queries:
                t = time.perf_counter()
                index.top_k(query, TOP)
                spent.append(time.perf_counter() - t)
            timings[name] = percentiles(spent)
        exact = "–"
        if number == 0:
            from rank_bm25 import BM25Okapi

            reference = BM25Okapi(shared_docs + server_docs)
            worst = 0.0
            for query in queries[:50]:
                theirs = np.asarray(reference.get_scores(query))
                ours = union.get_scores(query)
                scale = np.maximum(np.abs(theirs), 1e-300)
                worst = max(worst, float(np.max(np.abs(ours - theirs) / scale)))
            exact = f"{worst:.1e} (50 queries)"
        print(
            f"| {size:,} | {join:.2f} | {timings['shared'][0]:.2f} / {timings['shared'][1]:.2f} "
            f"| {timings['union'][0]:.2f} / {timings['union'][1]:.2f} | {exact} |"
        )


if __name__ == "__main__":
    main()
