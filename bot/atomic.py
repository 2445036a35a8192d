"""Files that matter are replaced whole: written aside, flushed to disk, then renamed into place.

One helper for every writer (the BM25 index, the index cache, the corpus files an
admin adds or edits): a crash leaves the old version or the new one, never a mix,
and what is written aside is hidden (a leading dot), so the corpus watcher and the
index cache pass it by.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path


def write_file(path: Path, data: bytes) -> None:
    """Replace the file `path` with `data` in one step (temporary file, fsync, rename)."""
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def staged_folder(target: Path, *, keep_existing: bool = False) -> Iterator[Path]:
    """A hidden folder beside `target` to fill; on leaving the block it becomes `target`.

    Every file in it is flushed to disk before the rename. An existing `target` is
    replaced (renamed aside, then deleted), or with `keep_existing` left as it is: a
    folder another process finished first is as good as ours. On an error the
    staging folder is removed and `target` is untouched.
    """
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    try:
        yield staging
        sync_tree(staging)
        if keep_existing:
            try:
                os.replace(staging, target)
            except OSError:
                if not target.exists():
                    raise
        elif target.exists() or target.is_symlink():
            retired = parent / f".{target.name}.old-{uuid.uuid4().hex}"
            os.rename(target, retired)
            os.rename(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.rename(staging, target)
        fsync_path(parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def sync_tree(folder: Path) -> None:
    """Flush every file below `folder`, and the folder itself, to disk."""
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_path(folder)


def fsync_path(path: Path) -> None:
    """Flush a folder's entries to disk (where the platform lets a folder be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
