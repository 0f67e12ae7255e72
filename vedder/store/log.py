"""Writing runs and feedback to the conversation log, and reading them back.

The log is one SQLite file (``log:`` in vedder.yaml, ``.vedder/log.db`` by
default). Many ``vedder ask`` processes may write to it at once, for example
a team sharing a checkout or an eval run in parallel, so every write:

- runs in WAL mode, where readers never block the writer nor it them;
- takes the write lock up front with ``BEGIN IMMEDIATE``: a deferred
  transaction that later upgrades from read to write can fail with
  ``database is locked`` without SQLite ever calling the busy handler;
- waits for the lock (``busy_timeout``) and keeps its transaction short;
- retries the whole operation, on a fresh connection, with jittered
  exponential backoff when SQLite still answers busy, which it does in the
  few places the busy handler is not consulted (switching a new file to WAL,
  recovering the WAL after a crash).
"""

from __future__ import annotations

import json
import random
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

from vedder.errors import VedderError
from vedder.store.migrations import migrate

STATUSES: tuple[str, ...] = ("answered", "not_covered", "error")
RATINGS: tuple[str, ...] = ("good", "bad")

LIST_HINT = "run `vedder log` to list recent runs and their ids"

T = TypeVar("T")


@dataclass
class Feedback:
    """One person's verdict on one run."""

    run_id: str
    rating: str  # "good" | "bad"
    created_at: str
    comment: str | None = None
    user: str | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunRecord:
    """One question and what Vedder did with it.

    ``id`` and ``created_at`` are filled in by :meth:`Log.record` when left
    empty. ``feedback`` is read back from the log, never written with the run.
    """

    question: str
    status: str = "answered"  # one of STATUSES
    cluster: str | None = None
    answer: str | None = None
    sql: str | None = None
    columns: list[str] = field(default_factory=list)
    row_count: int | None = None
    # {"pairs": [...], "docs": [...], "datasets": [...]}: what the answer relied on
    sources: dict[str, list[str]] = field(default_factory=dict)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    duration_ms: int | None = None
    confidence: float | None = None
    error: str | None = None
    conversation_id: str | None = None  # a chat session; None for `vedder ask`
    turn: int | None = None  # position within the chat session, from 1
    id: str | None = None
    created_at: str | None = None  # ISO 8601, UTC
    feedback: list[Feedback] = field(default_factory=list)

    @property
    def good(self) -> int:
        return sum(1 for item in self.feedback if item.rating == "good")

    @property
    def bad(self) -> int:
        return sum(1 for item in self.feedback if item.rating == "bad")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``feedback`` carries the counts and the entries."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "feedback"}
        data["feedback"] = {
            "good": self.good,
            "bad": self.bad,
            "entries": [item.to_dict() for item in self.feedback],
        }
        return data


# The columns a run is written to, in the order of the ``runs`` table.
_RUN_COLUMNS = (
    "id",
    "created_at",
    "question",
    "cluster",
    "status",
    "answer",
    "sql",
    "columns_json",
    "row_count",
    "sources_json",
    "tool_calls_json",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "duration_ms",
    "confidence",
    "error",
    "conversation_id",
    "turn",
)

_JSON_FIELDS = {
    "columns_json": "columns",
    "sources_json": "sources",
    "tool_calls_json": "tool_calls",
}


# --- ids and times ---------------------------------------------------------

_id_lock = threading.Lock()
_last_id: tuple[int, int] = (0, 0)
_RANDOM_BITS = 32
_ID_DRAWS = 5  # a clash needs two processes, one millisecond and 31 equal random bits


def new_run_id(now: datetime | None = None) -> str:
    """A short id that sorts by creation time: 12 hex digits of milliseconds, 8 random.

    Within one process ids are strictly increasing even inside the same
    millisecond (the random part is incremented, as ULIDs do), so "newest
    first" is exact for one writer; across processes the random part makes a
    clash unlikely and :meth:`Log.record` retries the rare one.
    """
    global _last_id
    millis = int((now or datetime.now(timezone.utc)).timestamp() * 1000)
    with _id_lock:
        last_millis, last_random = _last_id
        if millis <= last_millis:
            millis, rand = last_millis, last_random + 1
            if rand >= 1 << _RANDOM_BITS:
                millis, rand = millis + 1, secrets.randbits(_RANDOM_BITS - 1)
        else:
            # One bit of headroom so that incrementing within a busy
            # millisecond does not overflow at once.
            rand = secrets.randbits(_RANDOM_BITS - 1)
        _last_id = (millis, rand)
    return f"{millis:012x}{rand:08x}"


def _iso(moment: datetime) -> str:
    # One fixed format, so that comparing the text compares the times.
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _id_time(run_id: str) -> datetime:
    return datetime.fromtimestamp(int(run_id[:12], 16) / 1000, tz=timezone.utc)


_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """``7d``, ``12h``, ``30m``, ``2w``, ``45s`` ago, or a date or time (local when no zone)."""
    now = now or datetime.now(timezone.utc)
    match = _DURATION.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return now - timedelta(**{_UNITS[unit]: amount})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise VedderError(
            f"cannot read {text!r} as a time",
            hint="use a duration such as 30m, 12h, 7d or 2w, or a date such as 2026-11-20",
        ) from None
    # A bare date or time means the user's own clock, as in `git log --since`.
    return moment if moment.tzinfo else moment.astimezone()


# --- the log ---------------------------------------------------------------


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(error).lower()
    return "locked" in text or "busy" in text


class Log:
    """The conversation log at ``path``.

    Nothing touches the disk until it is needed: reading a log that does not
    exist yet finds no runs, and the first write creates the folder and the
    file. Each operation uses its own short-lived connection, so a ``Log``
    can be kept for a whole chat session or shared with worker processes.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout: float = 5.0,
        retries: int = 8,
        backoff: float = 0.05,
        max_backoff: float = 1.0,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._migrated = False

    def __repr__(self) -> str:
        return f"Log({str(self.path)!r})"

    # writes

    def record(self, run: RunRecord) -> str:
        """Append ``run`` to the log and return its id."""
        if run.status not in STATUSES:
            raise ValueError(f"run status must be one of {', '.join(STATUSES)}, not {run.status!r}")
        if not run.question:
            raise ValueError("a run needs the question that was asked")

        def write(conn: sqlite3.Connection) -> str:
            run_id = run.id or new_run_id()
            # A fresh id already carries the time: store that same instant.
            created_at = run.created_at or _iso(_now() if run.id else _id_time(run_id))
            placeholders = ", ".join("?" for _ in _RUN_COLUMNS)
            conn.execute(
                f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({placeholders})",
                self._row_values(run, run_id, created_at),
            )
            return run_id

        for _ in range(_ID_DRAWS - 1):
            try:
                return self._write(write)
            except sqlite3.IntegrityError:
                if run.id is not None:
                    raise VedderError(
                        f"a run with id {run.id!r} is already in the log at {self.path}",
                        hint="leave RunRecord.id empty and the log assigns a fresh one",
                    ) from None
                # Two processes drew the same id in the same millisecond: draw again.
        return self._write(write)

    def feedback(
        self,
        run_id: str,
        good: bool,
        comment: str | None = None,
        user: str | None = None,
    ) -> Feedback:
        """Record a good or bad verdict on a run (a unique prefix of its id is enough)."""
        if not self.path.exists():
            raise self._not_found(run_id)

        def write(conn: sqlite3.Connection) -> Feedback:
            # Resolved inside the write transaction so the run cannot vanish
            # between the lookup and the insert.
            full_id = self._resolve(conn, run_id)
            item = Feedback(
                run_id=full_id,
                rating="good" if good else "bad",
                created_at=_iso(_now()),
                comment=comment or None,
                user=user or None,
            )
            cursor = conn.execute(
                'INSERT INTO feedback (run_id, created_at, rating, comment, "user") '
                "VALUES (?, ?, ?, ?, ?)",
                (item.run_id, item.created_at, item.rating, item.comment, item.user),
            )
            item.id = cursor.lastrowid
            return item

        return self._write(write)

    # reads

    def runs(
        self,
        cluster: str | None = None,
        status: str | None = None,
        since: datetime | str | None = None,
        limit: int | None = 50,
    ) -> list[RunRecord]:
        """Runs newest first, with their feedback; ``limit=None`` returns all of them."""
        if status is not None and status not in STATUSES:
            raise VedderError(
                f"unknown status {status!r}", hint=f"use one of: {', '.join(STATUSES)}"
            )
        if isinstance(since, str):
            since = parse_since(since)
        if not self.path.exists():
            return []

        conditions: list[str] = []
        params: list[Any] = []
        if cluster is not None:
            conditions.append("cluster = ?")
            params.append(cluster)
        if status is not None:
            conditions.append("status = ?")
            params.append(status)
        if since is not None:
            conditions.append("created_at >= ?")
            params.append(_iso(since))
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        page = f"SELECT * FROM runs {where} ORDER BY created_at DESC, id DESC"
        if limit is not None:
            page += " LIMIT ?"
            params.append(limit)

        def read(conn: sqlite3.Connection) -> list[RunRecord]:
            rows = conn.execute(page, params).fetchall()
            feedback = conn.execute(
                f"SELECT * FROM feedback WHERE run_id IN (SELECT id FROM ({page})) "
                "ORDER BY created_at, id",
                params,
            ).fetchall()
            return self._attach(rows, feedback)

        return self._read(read)

    def get(self, run_id: str) -> RunRecord:
        """One run with its feedback; like git, a unique prefix of the id is enough."""
        if not self.path.exists():
            raise self._not_found(run_id)

        def read(conn: sqlite3.Connection) -> RunRecord:
            full_id = self._resolve(conn, run_id)
            rows = conn.execute("SELECT * FROM runs WHERE id = ?", (full_id,)).fetchall()
            feedback = conn.execute(
                "SELECT * FROM feedback WHERE run_id = ? ORDER BY created_at, id", (full_id,)
            ).fetchall()
            return self._attach(rows, feedback)[0]

        return self._read(read)

    # plumbing

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # isolation_level=None: transactions are begun and ended explicitly
        # here, never implicitly by the sqlite3 module.
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        with closing(conn):
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self._migrated:
                # WAL is a property of the file, so setting it once per Log is
                # enough; it may be refused (e.g. on a network share), in which
                # case the rollback journal still works, only with more waiting.
                conn.execute("PRAGMA journal_mode = WAL")
                migrate(conn)
                self._migrated = True
            yield conn

    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def attempt() -> T:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                return result

        return self._with_retry(attempt)

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def attempt() -> T:
            with self._connect() as conn:
                # One read transaction, so runs and their feedback come from
                # the same snapshot while others keep writing.
                conn.execute("BEGIN")
                try:
                    return work(conn)
                finally:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")

        return self._with_retry(attempt)

    def _with_retry(self, attempt: Callable[[], T]) -> T:
        tries = 0
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise self._unusable(error) from error
                if tries >= self.retries:
                    attempts = f"{tries + 1} attempt{'s' if tries else ''}"
                    raise VedderError(
                        f"the conversation log at {self.path} stayed locked after {attempts}",
                        hint="another process is holding a write lock on it; try again, "
                        "and check that no open sqlite3 shell or stuck process holds it",
                    ) from error
                delay = min(self.max_backoff, self.backoff * 2**tries)
                time.sleep(delay * random.uniform(0.5, 1.5))  # jitter spreads the retries out
                tries += 1
            except sqlite3.IntegrityError:
                raise  # record() handles id clashes
            except sqlite3.DatabaseError as error:
                raise self._unusable(error) from error

    def _unusable(self, error: sqlite3.Error) -> VedderError:
        return VedderError(
            f"cannot use the conversation log at {self.path}: {error}",
            hint="check that the file is a Vedder log and is writable; "
            "to start a new log, move the file away or set 'log:' in vedder.yaml",
        )

    def _resolve(self, conn: sqlite3.Connection, run_id: str) -> str:
        prefix = run_id.strip()
        if not prefix:
            raise VedderError("no run id given", hint=LIST_HINT)
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (prefix,)).fetchone():
            return prefix
        # GLOB rather than LIKE: it is case-sensitive and can use the primary
        # key index; its wildcards are escaped as one-character classes.
        pattern = re.sub(r"([*?\[])", r"[\1]", prefix) + "*"
        matches = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM runs WHERE id GLOB ? ORDER BY id LIMIT 6", (pattern,)
            )
        ]
        if len(matches) == 1:
            return str(matches[0])
        if not matches:
            raise self._not_found(run_id)
        shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
        raise VedderError(
            f"run id {prefix!r} is ambiguous: it starts {len(matches)}"
            f"{'+' if len(matches) > 5 else ''} runs ({shown})",
            hint="type more characters of the id; " + LIST_HINT,
        )

    def _not_found(self, run_id: str) -> VedderError:
        return VedderError(f"no run {run_id.strip()!r} in the log at {self.path}", hint=LIST_HINT)

    @staticmethod
    def _row_values(run: RunRecord, run_id: str, created_at: str) -> tuple[Any, ...]:
        values: list[Any] = []
        for column in _RUN_COLUMNS:
            if column == "id":
                values.append(run_id)
            elif column == "created_at":
                values.append(created_at)
            elif column in _JSON_FIELDS:
                # default=str: tool arguments and results may hold dates or
                # decimals; the log keeps their text rather than failing.
                value = getattr(run, _JSON_FIELDS[column])
                values.append(json.dumps(value, default=str, ensure_ascii=False))
            else:
                values.append(getattr(run, column))
        return tuple(values)

    @staticmethod
    def _attach(rows: list[sqlite3.Row], feedback: list[sqlite3.Row]) -> list[RunRecord]:
        by_run: dict[str, list[Feedback]] = {}
        for row in feedback:
            by_run.setdefault(row["run_id"], []).append(
                Feedback(
                    id=row["id"],
                    run_id=row["run_id"],
                    rating=row["rating"],
                    created_at=row["created_at"],
                    comment=row["comment"],
                    user=row["user"],
                )
            )
        records = []
        for row in rows:
            keys = set(row.keys())
            values: dict[str, Any] = {}
            for column in _RUN_COLUMNS:
                if column not in keys:
                    continue
                if column in _JSON_FIELDS:
                    text = row[column]
                    if text is not None:
                        values[_JSON_FIELDS[column]] = json.loads(text)
                else:
                    values[column] = row[column]
            records.append(RunRecord(**values, feedback=by_run.get(row["id"], [])))
        return records


def _now() -> datetime:
    return datetime.now(timezone.utc)
