"""Adding and removing articles in the corpus folder, for admins working from Discord.

The corpus folder stays the one source of truth: an added article is an ordinary
file in it (so `citebot index` and a restart see it too), and a removed one is
moved to a trash folder in the data dir, never deleted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import re
import resource
import shutil
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import atomic
from bot.corpus import (
    CODE,
    HEADING,
    SUPPORTED_SUFFIXES,
    Article,
    Paragraph,
    parse_articles,
    text_key,
)
from bot.errors import CorpusEditError, DuplicateArticle, SkipFile

ADDED_FOLDER = "added"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Added:
    """An article now in the corpus folder, and the file that holds it."""

    path: Path
    article: Article


@dataclass(frozen=True)
class Removed:
    """An article taken out of the corpus, and where its file went (restore by moving it back)."""

    article_id: str
    trashed_to: Path


def same_url(a: str | None, b: str | None) -> bool:
    """Whether two urls name one page (scheme, www., fragment and trailing slash aside)."""
    if not a or not b:
        return False
    return url_key(a) == url_key(b)


def url_key(url: str) -> str:
    """A url as `same_url` compares it."""
    url = url.strip().split("#", 1)[0].rstrip("/")
    return re.sub(r"^https?://(www\.)?", "", url, flags=re.I).lower()


def url_keys(articles: Iterable[Article]) -> set[str]:
    """The `url_key` of every article that has a url (blocking over a whole corpus)."""
    return {url_key(article.url) for article in articles if article.url}


#: The articles a new one must not repeat: all of them, or a function giving those it
#: could repeat (`Engine.repeats`, which reads a few of a large library).
Existing = Sequence[Article] | Callable[[Article], Iterable[Article]]


def check_duplicate(article: Article, existing: Existing) -> None:
    """DuplicateArticle when the URL or the text is already in the corpus."""
    key = text_key(article.text)
    for other in existing(article) if callable(existing) else existing:
        if same_url(article.url, other.url):
            raise DuplicateArticle(f"already in the library: “{other.title}” has that URL", other)
        if text_key(other.text) == key:
            raise DuplicateArticle(
                f"already in the library: “{other.title}” has the same text", other
            )


@dataclass(frozen=True)
class ExtractLimits:
    """What reading one fetched page may cost: a 5 MB HTML table took 13.7 s and 930 MB."""

    seconds: float = 20.0
    memory_mb: int = 512


def article_from_page(
    body: str, content_type: str, url: str, *, limits: ExtractLimits = ExtractLimits()
) -> Article:
    """The article in a fetched page, read like a corpus file of that type.

    The main text is extracted in a child process under a time and memory limit, so a
    page built to be expensive to read costs the bot nothing but a refusal. `url` is the
    address the admin gave: a page's own canonical link never replaces it.
    """
    name = "page.html" if content_type != "text/plain" else "page.txt"
    [article] = parse_in_child(body.encode("utf-8"), name, limits)
    return dataclasses.replace(article, url=url)


def parse_in_child(data: bytes, name: str, limits: ExtractLimits) -> list[Article]:
    """`parse_articles` in a fresh process that is killed past the limits; CorpusEditError says why.

    A new interpreter (not a fork of the threaded bot, not multiprocessing, which would
    re-import the bot's main module) that reads its job on stdin and answers on stdout.
    """
    job = pickle.dumps((data, name, limits.memory_mb * 1024 * 1024))
    package_root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    try:
        done = subprocess.run(
            [sys.executable, "-c", "from bot.corpus_edit import _parse_child; _parse_child()"],
            input=job,
            capture_output=True,
            timeout=limits.seconds,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CorpusEditError(f"reading the page took longer than {limits.seconds:g} s") from None
    try:
        kind, payload = pickle.loads(done.stdout)
    except Exception:  # noqa: BLE001 - no answer: the child died (out of memory, in C code)
        kind, payload = "memory", None
    if kind == "ok":
        return list(payload)
    if kind == "memory":
        raise CorpusEditError(f"reading the page needs more than {limits.memory_mb} MB of memory")
    raise CorpusEditError(f"nothing to add from that page: {payload}")


def _parse_child() -> None:
    """The child's side of `parse_in_child`: limit memory, parse, answer with a pickle."""
    data, name, memory_bytes = pickle.loads(sys.stdin.buffer.read())
    # The answer gets stdout to itself: anything a library prints goes to stderr.
    answer_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        result: tuple[str, object] = ("ok", list(parse_articles(data, name)))
    except SkipFile as exc:
        result = ("skip", str(exc))
    except MemoryError:
        result = ("memory", None)
    except Exception as exc:  # noqa: BLE001 - reported to the admin, not raised in a child
        result = ("skip", f"the page could not be read ({type(exc).__name__})")
    try:
        answer = pickle.dumps(result)
    except MemoryError:
        answer = pickle.dumps(("memory", None))
    answer_out.write(answer)
    answer_out.flush()


def save_page_article(
    corpus_dir: Path, article: Article, existing: Existing, *, into: str = ADDED_FOLDER
) -> Added:
    """Write a fetched article as Markdown with front matter into the corpus folder
    (its folder `into`: `added/`, or `server/` in a server's library)."""
    check_duplicate(article, existing)
    folder = _added_folder(corpus_dir, into)
    path = _free_path(folder, slugify(article.title), ".md")
    with _saving("couldn't save"):
        atomic.write_file(path, page_file(article))
    return Added(path, _reload_one(path, corpus_dir))


def page_file(article: Article) -> bytes:
    """A fetched article as the Markdown file that holds it (the same page, the same bytes)."""
    meta = {
        "title": article.title,
        "url": article.url,
        "author": article.author,
        "date": article.date,
    }
    front = yaml.safe_dump(
        {k: v for k, v in meta.items() if v}, allow_unicode=True, sort_keys=False
    )
    body = "\n\n".join(_markdown_paragraph(article, p) for p in article.paragraphs)
    return f"---\n{front}---\n\n{body}\n".encode()


def replace_page_article(corpus_dir: Path, path: Path, article: Article) -> None:
    """Swap a refreshed page into the file it was added as, atomically (never through a link
    out of the corpus folder); CorpusEditError when the file has gone."""
    _check_inside(corpus_dir, path.parent, f"the file {path.name}")
    if not path.is_file():
        raise CorpusEditError(f"{path.name} is no longer in the corpus folder")
    with _saving("couldn't save"):
        atomic.write_file(path, page_file(article))


def save_upload(
    corpus_dir: Path,
    filename: str,
    data: bytes,
    existing: Existing,
    *,
    into: str = ADDED_FOLDER,
    room: int | None = None,
) -> list[Added]:
    """Save an uploaded article file as it is, after checking it loads like a corpus file
    (into the folder `into`), and that it holds at most `room` articles when given."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CorpusEditError(
            "only .md, .markdown, .mdx, .txt, .html, .htm or .jsonl files can be added"
        )
    if len(data) > MAX_UPLOAD_BYTES:
        raise CorpusEditError(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    warnings: list[str] = []
    try:
        articles = list(parse_articles(data, f"{into}/{filename}", warnings.append))
    except SkipFile as exc:
        raise CorpusEditError(f"{filename} cannot be used: {exc}") from None
    if room is not None and len(articles) > room:
        raise CorpusEditError(
            f"{filename} holds {len(articles)} articles and this server may add {room} more"
        )
    for article in articles:
        check_duplicate(article, existing)
    folder = _added_folder(corpus_dir, into)
    path = _free_path(folder, slugify(Path(filename).stem), suffix)
    with _saving("couldn't save"):
        atomic.write_file(path, data)
    relative = path.relative_to(corpus_dir).as_posix()
    return [Added(path, a) for a in parse_articles(data, relative, warnings.append)]


def remove_article(corpus_dir: Path, data_dir: Path, article: Article) -> Removed:
    """Move the article's file to the trash; a JSONL line is cut out, the old file kept."""
    file_part, _, line = article.source.rpartition(":")
    jsonl_line = int(line) if file_part.lower().endswith(".jsonl") and line.isdigit() else None
    source = file_part if jsonl_line is not None else article.source
    path = corpus_dir / source
    _check_inside(corpus_dir, path.parent, f"the file of “{article.title}”")
    if not path.is_file():
        raise CorpusEditError(f"the file of “{article.title}” is no longer in the corpus folder")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    trash = data_dir / "trash" / stamp / source
    with _saving("couldn't move it to the trash"):
        trash.parent.mkdir(parents=True, exist_ok=True)
        if jsonl_line is not None:
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            shutil.copy2(path, trash)
            kept = [text for number, text in enumerate(lines, start=1) if number != jsonl_line]
            if any(line.strip() for line in kept):
                atomic.write_file(path, "".join(kept).encode())
            else:
                path.unlink()
        else:
            shutil.move(path, trash)
    return Removed(article.article_id, trash)


# --- helpers -------------------------------------------------------------------------------


@contextlib.contextmanager
def _saving(what: str) -> Iterator[None]:
    """A write that fails (full disk, read-only folder) becomes a message for the admin."""
    try:
        yield
    except OSError as exc:
        raise CorpusEditError(f"{what}: {exc.strerror or exc}") from None


def _check_inside(corpus_dir: Path, folder: Path, what: str) -> None:
    """CorpusEditError unless `folder` really is inside the corpus folder (no link out of it)."""
    root = Path(os.path.realpath(corpus_dir))
    real = Path(os.path.realpath(folder))
    if real != root and root not in real.parents:
        raise CorpusEditError(
            f"{what} is outside the corpus folder (reached through a link); "
            "change it by hand if you mean to"
        )


def _added_folder(corpus_dir: Path, name: str) -> Path:
    """The folder added articles go to, created when missing, never through a link out."""
    folder = corpus_dir / name
    _check_inside(corpus_dir, folder, f"the folder {name}/")
    with _saving("couldn't make the folder for it"):
        folder.mkdir(parents=True, exist_ok=True)
    _check_inside(corpus_dir, folder, f"the folder {name}/")
    return folder


_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>#~|&])")
_MARKDOWN_BLOCK_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])")


def _markdown_paragraph(article: Article, paragraph: Paragraph) -> str:
    """One paragraph as Markdown that loads back as it is: headings stay headings (with
    their ids), code blocks stay fenced, everything else is escaped."""
    text = article.text[paragraph.start : paragraph.end]
    if paragraph.kind == CODE:
        return text
    if paragraph.kind == HEADING:
        section = article.sections[paragraph.section]
        anchor = section.anchor
        marker = "#" * min(6, len(section.path) + 1)  # the title is the page's only H1
        ident = f" {{#{anchor}}}" if anchor and re.fullmatch(r"[\w:.-]+", anchor) else ""
        return f"{marker} {escape_markdown_paragraph(text)}{ident}"
    return escape_markdown_paragraph(text)


def escape_markdown_paragraph(text: str) -> str:
    """Backslash-escape what Markdown would read as syntax, so the text loads back verbatim."""
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", text)
    return _MARKDOWN_BLOCK_START.sub(lambda m: m.group(1) + _escape_block(m.group(2)), escaped)


def _escape_block(marker: str) -> str:
    return marker[:-1] + "\\" + marker[-1]


def slugify(text: str) -> str:
    """A short ASCII file name for a title, so added files read well in the corpus folder."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].rstrip("-") or "article"


def _free_path(folder: Path, stem: str, suffix: str) -> Path:
    """A new file name whose id is not taken: `report.txt` beside `report.md` would share
    the id `added/report`, so it becomes `report-2.txt`."""
    taken = {entry.name.rsplit(".", 1)[0].lower() for entry in folder.iterdir()}
    candidate, number = stem, 2
    while candidate.lower() in taken or os.path.lexists(folder / f"{candidate}{suffix}"):
        candidate, number = f"{stem}-{number}", number + 1
    return folder / f"{candidate}{suffix}"


def _reload_one(path: Path, corpus_dir: Path) -> Article:
    relative = path.relative_to(corpus_dir).as_posix()
    [article] = list(parse_articles(path.read_bytes(), relative))
    return article
