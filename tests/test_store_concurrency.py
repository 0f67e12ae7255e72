"""Many processes writing one conversation log at once lose no row and never see a lock error.

Every process starts on the same brand-new file at the same moment, so they
also race to create it, switch it to WAL and run the migrations.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import traceback
from multiprocessing.synchronize import Barrier
from pathlib import Path

from vedder.store import MIGRATIONS, Log, RunRecord

WRITERS = 6
WRITES = 50
READERS = 2


def _writer(path: str, number: int, start: Barrier, failures: multiprocessing.Queue) -> None:
    try:
        start.wait()
        shared = Log(path)
        for i in range(WRITES):
            # Half the writes open the log afresh, as separate `vedder ask`
            # processes do; the other half reuse one Log, as a chat session does.
            log = shared if i % 2 else Log(path)
            run_id = log.record(RunRecord(question=f"writer {number} question {i}", cluster="c"))
            if i % 10 == 0:
                log.feedback(run_id, good=bool(i % 20), comment=f"{number}/{i}")
    except BaseException:
        failures.put(f"writer {number}: {traceback.format_exc()}")
        raise


def _reader(path: str, start: Barrier, failures: multiprocessing.Queue) -> None:
    try:
        start.wait()
        log = Log(path)
        for _ in range(WRITES):
            log.runs(cluster="c", limit=20)
    except BaseException:
        failures.put(f"reader: {traceback.format_exc()}")
        raise


def test_concurrent_writers_on_a_fresh_log(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "log.db"
    # spawn, not fork: each process imports Vedder and opens the log on its
    # own, exactly like separate command-line invocations.
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WRITERS + READERS)
    failures: multiprocessing.Queue = context.Queue()
    processes = [
        context.Process(target=_writer, args=(str(path), number, start, failures))
        for number in range(WRITERS)
    ] + [context.Process(target=_reader, args=(str(path), start, failures)) for _ in range(READERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)

    errors = []
    while not failures.empty():
        errors.append(failures.get())
    assert errors == []
    assert [process.exitcode for process in processes] == [0] * len(processes)

    with sqlite3.connect(path) as conn:
        count, distinct = conn.execute("SELECT count(*), count(DISTINCT id) FROM runs").fetchone()
        assert (count, distinct) == (WRITERS * WRITES, WRITERS * WRITES)
        questions = {row[0] for row in conn.execute("SELECT question FROM runs")}
        assert questions == {
            f"writer {number} question {i}" for number in range(WRITERS) for i in range(WRITES)
        }
        feedback = conn.execute("SELECT count(*) FROM feedback").fetchone()[0]
        assert feedback == WRITERS * len(range(0, WRITES, 10))
        migrations = [row[0] for row in conn.execute("SELECT name FROM _migrations")]
        assert migrations == [fn.__name__ for fn in MIGRATIONS]  # each applied exactly once
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    assert len(Log(path).runs(limit=None)) == WRITERS * WRITES
