"""A bulk import: one JSONL export of about 1 GB (about 150,000 articles) through `citebot index`.

The articles are made of the eval set's Wikipedia paragraphs, nine or so drawn at
random per article and each article tagged so none is dropped as a duplicate; the file
is written to a temporary folder and removed afterwards. `citebot index` then reads it
(a line at a time), builds the index and saves the library; wall time and the peak
resident memory of that process are printed beside the file's size. A second run of
`citebot index` shows the start that follows (the saved library, nothing parsed).

    python benchmarks/import_bench.py --mb 1024
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support import citebot_command, subprocess_env  # noqa: E402

EVAL = REPO.parent / "shared" / "eval" / "squad-dev-v1.1-public.json"


def write_export(path: Path, megabytes: int, seed: int = 0) -> int:
    """Write about `megabytes` MiB of JSONL articles to `path`; how many were written."""
    data = json.loads(EVAL.read_text())["data"]
    paragraphs = [(a["title"], p["context"]) for a in data for p in a["paragraphs"]]
    rng = random.Random(seed)
    target = megabytes * 2**20
    written = count = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < target:
            chosen = rng.sample(paragraphs, 9)
            title = f"{chosen[0][0].replace('_', ' ')} digest {count}"
            text = "\n\n".join(
                f"{context} (digest {count}.{i})" for i, (_, context) in enumerate(chosen)
            )
            line = (
                json.dumps({"id": count, "title": title, "text": text}, ensure_ascii=False) + "\n"
            )
            out.write(line)
            written += len(line.encode())
            count += 1
    return count


def index(root: Path) -> tuple[float, str]:
    started = time.perf_counter()
    run = subprocess.run(
        citebot_command("index"),
        cwd=root,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, run.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=1024, help="size of the export, MiB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="citebot-import-") as scratch:
        root = Path(scratch)
        (root / "corpus").mkdir()
        export = root / "corpus" / "export.jsonl"
        started = time.perf_counter()
        articles = write_export(export, args.mb)
        made = time.perf_counter() - started
        size = export.stat().st_size
        seconds, summary = index(root)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        again, _ = index(root)
    print(f"export: {size / 2**20:.0f} MiB, {articles:,} articles (written in {made:.0f} s)")
    print(f"citebot index: {summary}")
    print(
        "| export | articles | import (read + index + save) | articles/s | peak RSS | peak / file | next start |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {size / 2**20:.0f} MiB | {articles:,} | {seconds:.0f} s | {articles / seconds:,.0f} "
        f"| {peak / 2**30:.2f} GiB | {peak / size:.1f}x | {again:.2f} s |"
    )


if __name__ == "__main__":
    main()
