"""The conversation log's schema, as append-only migrations.

Each migration is a numbered function ``mNNN_what(db)`` registered with
``@migration``; the ``_migrations`` table records which ones a log file has
had. A log written by any earlier Vedder is upgraded in place when it is
opened, so the file owners have been collecting keeps its rows.

Rules for changing the schema:

- never edit or reorder a migration that has shipped: add the next one;
- a migration runs inside the transaction :func:`migrate` opens, so it must
  not commit (no ``executescript``, which commits first) and must not need
  ``PRAGMA foreign_keys`` toggled (a no-op inside a transaction);
- prefer additive changes (new tables, columns, indexes); validate enumerated
  values such as ``status`` in Python, because changing a ``CHECK`` constraint
  in SQLite means rebuilding the table.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: list[Migration] = []

TABLE = "_migrations"

_NAME = re.compile(r"^m(\d{3})_[a-z0-9_]+$")


def migration(fn: Migration, *, registry: list[Migration] = MIGRATIONS) -> Migration:
    """Register ``fn`` as the next migration.

    The number in the name must be the next one in sequence: two migrations
    with the same number, or one added out of order, would leave logs in an
    order-dependent state, so that mistake fails at import rather than in a
    user's log file.
    """
    match = _NAME.match(fn.__name__)
    expected = len(registry) + 1
    if match is None or int(match.group(1)) != expected:
        raise ValueError(
            f"migration {fn.__name__!r} must be named m{expected:03d}_<what_it_does>: "
            "migrations are numbered in the order they apply and only ever appended"
        )
    if any(existing.__name__ == fn.__name__ for existing in registry):
        raise ValueError(f"migration {fn.__name__!r} is registered twice")
    registry.append(fn)
    return fn


def applied(db: sqlite3.Connection) -> list[str]:
    """Names of the migrations this database has had, in the order they ran."""
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).fetchone()
    if exists is None:
        return []
    return [row[0] for row in db.execute(f"SELECT name FROM {TABLE} ORDER BY rowid")]


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration] | None = None) -> list[str]:
    """Apply the migrations ``db`` has not had yet; return the names applied now.

    ``migrations`` defaults to all of them (tests pass a prefix to build an
    older log). ``db`` must not be inside a transaction: this function runs
    every pending migration in one ``BEGIN IMMEDIATE`` transaction, so a log
    is always at one version or the next, never in between.

    Several processes may open a brand-new log at the same moment. The write
    lock serialises them, and the applied set is read again once the lock is
    held, so only the first one migrates and the others find nothing to do.
    """
    chosen = list(MIGRATIONS if migrations is None else migrations)
    # Checked without a write lock first: nearly every open finds the log
    # current and should not queue behind concurrent writers for nothing.
    if {fn.__name__ for fn in chosen} <= set(applied(db)):
        return []

    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = set(applied(db))
        ran: list[str] = []
        for fn in chosen:
            if fn.__name__ in done:
                continue
            fn(db)
            db.execute(
                f"INSERT INTO {TABLE} (name, applied_at) VALUES (?, ?)",
                (fn.__name__, datetime.now(timezone.utc).isoformat(timespec="milliseconds")),
            )
            ran.append(fn.__name__)
        db.execute("COMMIT")
    except BaseException:
        # SQLite rolls some failures back by itself; a second ROLLBACK would
        # raise and hide the original error.
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return ran


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    # One row per `vedder ask` or `vedder chat` turn. Structured parts
    # (columns, sources, tool calls) are JSON text so that owners can read the
    # file with any SQLite tool and new keys need no migration.
    db.execute(
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            question TEXT NOT NULL,
            cluster TEXT,
            status TEXT NOT NULL,
            answer TEXT,
            sql TEXT,
            columns_json TEXT,
            row_count INTEGER,
            sources_json TEXT,
            tool_calls_json TEXT,
            model TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            duration_ms INTEGER,
            confidence REAL,
            error TEXT,
            conversation_id TEXT,
            turn INTEGER
        )
        """
    )
    db.execute(
        """
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            rating TEXT NOT NULL,
            comment TEXT,
            "user" TEXT
        )
        """
    )


@migration
def m002_indexes(db: sqlite3.Connection) -> None:
    # The queries `vedder log` runs: newest first, optionally for one cluster
    # or status; the feedback of a page of runs; the turns of one chat.
    db.execute("CREATE INDEX runs_created_at ON runs (created_at)")
    db.execute("CREATE INDEX runs_cluster ON runs (cluster, created_at)")
    db.execute("CREATE INDEX runs_status ON runs (status, created_at)")
    db.execute("CREATE INDEX runs_conversation ON runs (conversation_id, turn)")
    db.execute("CREATE INDEX feedback_run_id ON feedback (run_id)")
