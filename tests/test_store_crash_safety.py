"""kill -9 at random moments while the store writes: no committed row is lost, the file stays sound."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from support import subprocess_env

REPO = Path(__file__).resolve().parent.parent
KILLS = 20

#: Logs questions and votes from two threads, as the bot's worker threads do, printing
#: each answer id once `log_question` and `vote` have returned (both committed).
WRITE_LOOP = """
import sys, threading
from pathlib import Path
from bot.store import Store
store = Store.open(Path(sys.argv[1]))
print('ready', flush=True)
lock = threading.Lock()
def write(user):
    n = 0
    while True:
        n += 1
        answer = store.log_question(user_id=user, source='dm', question=f'question {user}-{n}',
                                    found=True, results=3, elapsed_ms=1.5)
        store.vote(answer, user, 'up' if n % 2 else 'down')
        with lock:
            print(answer, user, n, flush=True)
threads = [threading.Thread(target=write, args=(user,)) for user in (1, 2)]
for thread in threads:
    thread.start()
"""


def test_store_killed_during_writes_keeps_every_committed_row_and_stays_consistent(
    tmp_path: Path,
) -> None:
    env = subprocess_env()
    rng = random.Random(5)
    committed: dict[int, tuple[int, int]] = {}
    for attempt in range(KILLS):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITE_LOOP, str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.01, 0.2))  # both threads are somewhere in a write
        process.send_signal(signal.SIGKILL)
        process.wait()
        for line in process.stdout.read().splitlines():
            parts = line.split()
            if len(parts) == 3:  # a line cut by the kill was never fully reported
                answer, user, n = map(int, parts)
                committed[answer] = (user, n)
        process.stdout.close()

        db = sqlite3.connect(tmp_path / "citebot.sqlite3")
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)], attempt
            questions = dict(db.execute("SELECT id, question FROM questions").fetchall())
            votes = dict(db.execute("SELECT answer_id, vote FROM feedback").fetchall())
        finally:
            db.close()
        lost = [a for a in committed if a not in questions or a not in votes]
        assert lost == [], f"attempt {attempt}: committed answers lost: {lost[:5]}"
        for answer, (user, n) in committed.items():
            assert questions[answer] == f"question {user}-{n}"
            assert votes[answer] == ("up" if n % 2 else "down")
    assert len(committed) > KILLS  # the kills did land among many writes
