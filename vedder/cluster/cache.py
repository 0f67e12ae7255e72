"""A per-file cache of parsed cluster files, so unchanged files are not parsed again.

One file, ``.vedder/cluster-cache.pickle``, maps each cluster file (path
relative to the project root) to the size and modification time it had when it
was parsed, plus what parsing gave: the model object and its problems. A load
stats every file (cheap) and reparses only those whose stat changed. A single
file loads much faster than thousands of small ones, and a pickle of the model
objects is the fastest form to read back that needs no rebuilding step.

The cache is disposable: a missing, corrupt, foreign or out-of-date file is
ignored and rebuilt, never an error. Writes go to a temporary file that is
renamed over the old one, so a reader never sees half a cache.

Results are stored as plain tuples (:func:`encode`) and rebuilt into model
objects on load (:func:`decode`): calling a dataclass with a tuple is twice as
fast as unpickling the instance, and a cache of plain values lets the reader
refuse every class and function. That matters because a repository can hold a
crafted ``.vedder/`` (a pull request from a fork, run by CI) and unpickling
otherwise runs whatever the file names.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from vedder import __version__
from vedder.cluster.model import (
    Cluster,
    Column,
    ColumnProfile,
    Dataset,
    Doc,
    Freshness,
    Owners,
    Pair,
    Partition,
    Problem,
    Profile,
    ValueShare,
)

CACHE_NAME = "cluster-cache.pickle"
# Bump when what a parse returns changes shape or meaning.
FORMAT = 1

# Files modified this recently may change again within the file system's
# timestamp resolution without their stat changing; leave them out of the
# cache so the next load reparses them (the "racy git" problem).
RACY_WINDOW_NS = 2_000_000_000

# size, mtime_ns, parse key (e.g. the SQL dialect), encoded parse result
Entry = tuple[int, int, str, Any]

_MISS: Any = object()


class _PlainUnpickler(pickle.Unpickler):
    """The cache holds only tuples, lists, dicts and scalars: refuse any class or function."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"unexpected {module}.{name} in the cluster cache")


def _stamp() -> tuple[Any, ...]:
    """What else a cached parse depends on: the code that parsed and the SQL parser."""
    try:
        sqlglot = metadata.version("sqlglot")
    except metadata.PackageNotFoundError:
        sqlglot = None
    here = Path(__file__).parent
    code = []
    for name in ("load.py", "yamlio.py", "schema.py", "model.py", "cache.py"):
        # An edited checkout changes what parsing returns without a version bump.
        try:
            stat = (here / name).stat()
            code.append((name, stat.st_size, stat.st_mtime_ns))
        except OSError:
            code.append((name, 0, 0))
    return (FORMAT, __version__, sys.version_info[:2], sqlglot, tuple(code))


class FileCache:
    """Parsed files keyed by path, valid while size, mtime and parse key match."""

    def __init__(self, path: Path | None, entries: dict[str, Entry] | None = None) -> None:
        self.path = path
        self.entries: dict[str, Entry] = entries or {}
        self.changed = False
        self.hits = 0

    @classmethod
    def open(cls, cache_dir: Path) -> FileCache:
        path = cache_dir / CACHE_NAME
        try:
            with path.open("rb") as handle:
                data = _PlainUnpickler(io.BufferedReader(handle, 1 << 20)).load()
        except Exception:  # missing, unreadable, truncated, foreign: start afresh
            return cls(path)
        if (
            not isinstance(data, dict)
            or data.get("stamp") != _stamp()
            or not isinstance(data.get("entries"), dict)
        ):
            return cls(path)
        return cls(path, data["entries"])

    def get(self, rel: str, size: int, mtime_ns: int, key: str) -> Any:
        """The cached (encoded) result, or ``MISS``."""
        entry = self.entries.get(rel)
        if entry is not None and entry[0] == size and entry[1] == mtime_ns and entry[2] == key:
            self.hits += 1
            return entry[3]
        return _MISS

    def put(self, rel: str, size: int, mtime_ns: int, key: str, result: Any, now_ns: int) -> None:
        if mtime_ns >= now_ns - RACY_WINDOW_NS:
            self.entries.pop(rel, None)
        else:
            self.entries[rel] = (size, mtime_ns, key, result)
        self.changed = True

    def keep_only(self, paths: Iterable[str]) -> None:
        """Forget files that no longer exist."""
        keep = set(paths)
        stale = [rel for rel in self.entries if rel not in keep]
        for rel in stale:
            del self.entries[rel]
        self.changed = self.changed or bool(stale)

    def save(self) -> bool:
        """Write the cache atomically; False (and no error) when it cannot be written."""
        if self.path is None or not self.changed:
            return False
        payload = {"stamp": _stamp(), "entries": self.entries}
        tmp: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{CACHE_NAME}.")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
            Path(tmp).replace(self.path)
            tmp = None
        except (OSError, pickle.PicklingError):
            # A read-only checkout or a full disk: loading still works, only slower.
            return False
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    Path(tmp).unlink()
        self.changed = False
        return True


MISS = _MISS


# --- the codec: parse results <-> plain tuples ---------------------------------
#
# Positional, in dataclass field order; tests/test_cluster_cache.py checks that
# every field of every model class survives a round trip, so a field added to
# the model without a line here fails loudly instead of vanishing from cache hits.


def _problem_out(p: Problem) -> tuple[Any, ...]:
    return (p.path, p.line, p.code, p.message, p.hint, p.severity)


def _column_out(c: Column) -> tuple[Any, ...]:
    return (c.name, c.type, c.description, c.synonyms, c.avoid, c.line)


def _column_profile_out(c: ColumnProfile) -> tuple[Any, ...]:
    top = None if c.top_values is None else [(v.value, v.count, v.share) for v in c.top_values]
    return (
        c.name,
        c.type,
        c.null_fraction,
        c.distinct_count,
        c.distinct_approximate,
        c.min,
        c.max,
        top,
        c.line,
    )


def _value_out(kind: str, v: Any) -> Any:
    if kind == "dataset":
        return (
            v.name,
            v.table,
            v.path,
            v.description,
            None if v.partition is None else (v.partition.column, v.partition.granularity),
            None
            if v.freshness is None
            else (v.freshness.column, v.freshness.warn_after, v.freshness.error_after),
            [_column_out(c) for c in v.columns],
            v.lines,
        )
    if kind in ("pair", "candidate"):
        return (
            v.slug,
            v.path,
            v.questions,
            v.sql,
            v.sql_line,
            v.verified_by,
            v.verified_at,
            v.tags,
            v.status,
            v.meta,
            v.lines,
        )
    if kind == "doc":
        return (v.name, v.path, v.body, v.title, v.tags, v.datasets, v.body_line, v.lines)
    if kind == "profile":
        return (
            v.dataset,
            v.table,
            v.path,
            v.profiled_at,
            v.row_count,
            v.sample,
            v.partition_column,
            v.partition_min,
            v.partition_max,
            [_column_profile_out(c) for c in v.columns],
            v.duration_ms,
            v.lines,
        )
    # cluster.yaml: the header only; children are assembled from their own files
    return (
        v.name,
        v.path,
        v.title,
        v.description,
        (v.owners.team, v.owners.contacts),
        v.topics,
        v.warehouse,
        v.lines,
    )


def _value_in(kind: str, t: Any) -> Any:
    if kind == "dataset":
        name, table, path, description, partition, freshness, columns, lines = t
        return Dataset(
            name,
            table,
            path,
            description,
            None if partition is None else Partition(*partition),
            None if freshness is None else Freshness(*freshness),
            [Column(*c) for c in columns],
            lines,
        )
    if kind in ("pair", "candidate"):
        return Pair(*t)
    if kind == "doc":
        return Doc(*t)
    if kind == "profile":
        return Profile(
            t[0],
            t[1],
            t[2],
            t[3],
            t[4],
            t[5],
            t[6],
            t[7],
            t[8],
            [
                ColumnProfile(
                    c[0],
                    c[1],
                    c[2],
                    c[3],
                    c[4],
                    c[5],
                    c[6],
                    None if c[7] is None else [ValueShare(*v) for v in c[7]],
                    c[8],
                )
                for c in t[9]
            ],
            t[10],
            t[11],
        )
    name, path, title, description, owners, topics, warehouse, lines = t
    return Cluster(
        name,
        path,
        title,
        description,
        Owners(*owners),
        topics,
        warehouse,
        lines=lines,
    )


def encode(kind: str, result: tuple[Any, list[Problem]]) -> tuple[Any, ...]:
    """A parse result (model object or None, problems) as plain values."""
    value, problems = result
    return (
        None if value is None else _value_out(kind, value),
        [_problem_out(p) for p in problems],
    )


def decode(kind: str, data: tuple[Any, ...]) -> tuple[Any, list[Problem]]:
    value, problems = data
    return (
        None if value is None else _value_in(kind, value),
        [Problem(*p) for p in problems],
    )
