"""What reading one fetched page costs (the child process of `corpus_edit.article_from_page`),
this checkout against another one, taking turns in one run.

    python benchmarks/page_read_bench.py --baseline <other checkout> [--pages 20] [--rounds 3]

Every page an admin adds by URL, by sitemap or at a refresh is read in a fresh interpreter
under time and memory limits; its start-up (imports) is most of the cost of a small page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

#: Run inside each checkout: read `pages` pages, report wall and child CPU per page.
PROBE = """
import json, resource, sys, time
from bot.corpus_edit import article_from_page
html = ("<html><head><title>Orchard note</title></head><body><article><h1>Orchard note</h1>"
        + "<p>Row 4 of the Hollow Lane orchard was planted with russets from the manor.</p>" * 40
        + "</article></body></html>")
pages = int(sys.argv[1])
before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
for _ in range(pages):
    article_from_page(html, "text/html", "https://example.org/orchard")
wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
print(json.dumps({"wall_ms": wall / pages * 1000, "cpu_ms": cpu / pages * 1000}))
"""


def measure(checkout: Path, pages: int) -> dict[str, float]:
    """One round of `pages` page reads with `checkout`'s code."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(pages)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=checkout,
    )
    return dict(json.loads(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="another checkout")
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    checkouts = {"baseline": args.baseline.resolve(), "this": HERE}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in checkouts}
    for round_number in range(args.rounds):
        order = list(checkouts) if round_number % 2 == 0 else list(reversed(checkouts))
        for name in order:
            results[name].append(measure(checkouts[name], args.pages))
    median = {
        name: {key: statistics.median(r[key] for r in rounds) for key in ("wall_ms", "cpu_ms")}
        for name, rounds in results.items()
    }
    for name, figures in median.items():
        print(
            f"{name:8} {checkouts[name]}: {figures['wall_ms']:.0f} ms wall, "
            f"{figures['cpu_ms']:.0f} ms CPU per page (median of {args.rounds} rounds)"
        )
    print(
        f"this / baseline: wall {median['this']['wall_ms'] / median['baseline']['wall_ms']:.2f}, "
        f"CPU {median['this']['cpu_ms'] / median['baseline']['cpu_ms']:.2f}"
    )


if __name__ == "__main__":
    main()
