"""Start-up with a saved index: the saved library (no file parsed) against parsing the corpus.

For each size, the eval set's articles are replicated to about that many passages (as
`batch_bench.py` does), `citebot index` builds once, then:

* in-process, best of `--repeats`: `Engine.open` + `prepare` with the saved library
  (what a bot restart costs) against the path before it: parsing every file, loading
  the saved index, counting the library's words, loading wordfreq's and lemminflect's
  tables;
* the real CLI, `citebot ask "…"` in a subprocess, wall and CPU time, best of `--repeats`;
* the build's peak RSS, and what the saved library and the saved sentences (`bot.analysis`)
  take on disk.

    python benchmarks/startup_bench.py --sizes 100k,1M
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from batch_bench import make_corpus  # noqa: E402
from import_bench import index as timed_index  # noqa: E402
from support import citebot_command, subprocess_env  # noqa: E402

QUESTION = "Which NFL team represented the AFC at Super Bowl 50?"


def parse_size(text: str) -> int:
    text = text.strip().lower()
    for suffix, factor in (("k", 1000), ("m", 1_000_000)):
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def parsed_start(root: Path) -> float:
    """Seconds the path before the saved library takes: parse, load the index, count
    words, load the packages' word tables."""
    code = f"""
import time, os
os.chdir({str(root)!r})
started = time.perf_counter()
from bot.settings import Settings
from bot.corpus import load_corpus
from bot.index import load_or_build
from bot.text import Analyzer
from bot.chat import count_words
settings = Settings.from_env()
corpus = load_corpus(settings.corpus_dir)
passages, index = load_or_build(corpus, Analyzer(settings.language), settings)
count_words(a.text for a in corpus.articles)
from wordfreq import get_frequency_dict
get_frequency_dict("en", wordlist="best")
from lemminflect import getAllInflections, getAllLemmas
getAllLemmas("building"); getAllInflections("build")
print(time.perf_counter() - started)
"""
    return float(_python(code, root))


def saved_start(root: Path) -> float:
    """Seconds `Engine.open` + `prepare` + one answer take with the saved library."""
    code = f"""
import time, os
os.chdir({str(root)!r})
started = time.perf_counter()
from bot.settings import Settings
from bot.answer import Engine
engine = Engine.open(Settings.from_env())
engine.prepare()
engine.answer({QUESTION!r})
print(time.perf_counter() - started)
"""
    return float(_python(code, root))


def _python(code: str, root: Path) -> str:
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.strip().splitlines()[-1]


def cli_ask(root: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `citebot ask "…"`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        citebot_command("ask", QUESTION),
        cwd=root,
        env=subprocess_env(),
        capture_output=True,
        check=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100k", help="passages, comma-separated: 100k,1M")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for size in [parse_size(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory(prefix="citebot-start-") as scratch:
            root = Path(scratch)
            make_corpus(root / "corpus", size)
            build, summary = timed_index(root)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
            saved = min(saved_start(root) for _ in range(args.repeats))
            cli = min(cli_ask(root) for _ in range(args.repeats))
            parsed = min(parsed_start(root) for _ in range(args.repeats))
            library = sum(p.stat().st_size for p in (root / ".citebot" / "library").rglob("*"))
            sentences = sum(p.stat().st_size for p in (root / ".citebot" / "analysis").rglob("*"))
            shutil.rmtree(root / ".citebot" / "library")
            rows.append(
                (summary.split(";")[0], build, peak, parsed, saved, cli, library, sentences)
            )
    print(
        "| corpus | cold build (peak RSS) | start, parsing (before) | start, saved library "
        "| ratio | `citebot ask` wall / CPU | saved library on disk | saved sentences on disk |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for corpus, build, peak, parsed, saved, (wall, cpu), library, sentences in rows:
        print(
            f"| {corpus} | {build:.1f} s ({peak / 2**20:.0f} MB) | {parsed:.2f} s | {saved:.2f} s "
            f"| {parsed / saved:.1f}x | {wall:.2f} s / {cpu:.2f} s | {library / 2**20:.0f} MB "
            f"| {sentences / 2**20:.0f} MB |"
        )


if __name__ == "__main__":
    main()
