"""A throwaway PostgreSQL server for tests and benchmarks: initdb into a temporary folder,
started on a free port of 127.0.0.1, stopped (and deleted) at the end.

initdb and postgres refuse to run as root; as root they run as the `postgres` user
(Debian's postgresql package makes it). Each test gets a database of its own from
`create_database`, so tests never see each other's rows.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

USER = "citebot"


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
            return str(candidate)
        raise RuntimeError(
            f"PostgreSQL's {name} is not installed (apt-get install postgresql-15 provides it)"
        )
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One server: `start()`, then `create_database()` per test, then `stop()`."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="citebot-pg-"))
        self.data = self.folder / "data"
        self.port = 0
        self._as: list[str] = []
        self._names = itertools.count(1)
        self._started = False

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as, *command], capture_output=True, text=True, timeout=120, check=False
        )

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        done = self._run(
            _binary("initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            "--auth=trust",
            "--no-sync",
            "--no-instructions",
            "--encoding=UTF8",
            "--locale=C",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr}")
        # A port that was free a moment ago can be taken before postgres binds it: try again.
        for _attempt in range(5):
            self.port = _free_port()
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            done = self._run(
                _binary("pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data),
                "-l",
                str(self.folder / "server.log"),
                "-o",
                options,
            )
            if done.returncode == 0:
                self._started = True
                return self
        log = (self.folder / "server.log").read_text(errors="replace")
        self.stop()
        raise RuntimeError(f"PostgreSQL did not start: {done.stderr}\n{log[-2000:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database; its URL."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self._started:
            self._run(_binary("pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate", "-w")
            self._started = False
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def running_postgres():  # type: ignore[no-untyped-def]
    """A started server, stopped however the block ends."""
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()
