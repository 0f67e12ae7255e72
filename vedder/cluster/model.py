"""Typed objects for what a cluster folder holds (DESIGN.md section 1).

These are plain dataclasses: the loader fills them from files, everything else
reads them. Paths are kept relative to the project root so that messages,
sources and cached copies do not depend on where the repository is checked out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

Severity = Literal["error", "warning"]


def same_table(a: str, b: str) -> bool:
    """Whether two table names mean the same table.

    Case-insensitive, quotes ignored; an unqualified name matches a qualified
    one with the same last part (``streams`` and ``analytics.streams``).
    """
    left = [part.strip('"`[] ').lower() for part in a.split(".")]
    right = [part.strip('"`[] ').lower() for part in b.split(".")]
    if len(left) == len(right):
        return left == right
    shorter, longer = sorted((left, right), key=len)
    return longer[-len(shorter) :] == shorter


@dataclass(frozen=True)
class Problem:
    """Something wrong with a file: where, what, and how to fix it."""

    path: str
    line: int | None
    code: str  # short stable id, e.g. "yaml-syntax", "unknown-key", "pair-sql"
    message: str
    hint: str | None = None
    severity: Severity = "error"

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


@dataclass
class Owners:
    team: str | None = None
    contacts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Column:
    name: str
    type: str | None = None
    description: str | None = None
    synonyms: list[str] = field(default_factory=list)
    avoid: str | None = None  # why this column must not be used, and what to use instead
    line: int | None = None


@dataclass
class Partition:
    column: str
    granularity: str = "day"


@dataclass
class Freshness:
    column: str
    warn_after: str | None = None  # a duration such as "2d" or "12h"
    error_after: str | None = None


@dataclass
class Dataset:
    """A hand-written table manifest: ``datasets/<name>.yaml``."""

    name: str  # the file stem
    table: str  # the name the warehouse knows, e.g. analytics.podcast_streams
    path: str
    description: str | None = None
    partition: Partition | None = None
    freshness: Freshness | None = None
    columns: list[Column] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # line of each top-level key

    def column(self, name: str) -> Column | None:
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)

    if not TYPE_CHECKING:  # to type checkers, columns is the plain field above

        def __getattr__(self, name: str) -> Any:
            return _packed_columns(self, name)


@dataclass(slots=True)
class ValueShare:
    value: Any
    count: int
    share: float  # of all rows, nulls included


@dataclass(slots=True)
class ColumnProfile:
    name: str
    type: str | None = None
    null_fraction: float | None = None
    distinct_count: int | None = None
    distinct_approximate: bool = False
    min: Any = None
    max: Any = None
    top_values: list[ValueShare] | None = None  # None when skipped (high cardinality, free text)
    line: int | None = None


@dataclass
class Profile:
    """What ``vedder profile`` measured: ``profiles/<dataset>.yaml``."""

    dataset: str
    table: str
    path: str
    profiled_at: str | None = None  # ISO 8601 timestamp, UTC
    row_count: int | None = None
    sample: float | None = None  # fraction sampled, None when the whole table was read
    partition_column: str | None = None
    partition_min: Any = None
    partition_max: Any = None
    columns: list[ColumnProfile] = field(default_factory=list)
    duration_ms: float | None = None
    lines: dict[str, int] = field(default_factory=dict)  # line of each top-level key

    def column(self, name: str) -> ColumnProfile | None:
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)

    if not TYPE_CHECKING:  # to type checkers, columns is the plain field above

        def __getattr__(self, name: str) -> Any:
            return _packed_columns(self, name)


def _packed_columns(obj: Dataset | Profile, name: str) -> Any:
    """``obj.columns`` built on first use, for an object read from the load cache.

    Most of a large project's objects are columns, and many commands never
    look at them: the cache (vedder.cluster.cache) leaves them packed, with a
    function that builds them, and the object has no ``columns`` attribute
    until it is first read.
    """
    build = obj.__dict__.get("_packed_columns") if name == "columns" else None
    if build is None:
        raise AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}")
    columns = obj.__dict__.setdefault("columns", build())
    obj.__dict__.pop("_packed_columns", None)
    return columns


@dataclass
class Doc:
    """A Markdown doc of business context: ``docs/<name>.md``."""

    name: str
    path: str
    body: str
    title: str | None = None
    tags: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    body_line: int = 1  # line of the file where the body starts (after front matter)
    lines: dict[str, int] = field(default_factory=dict)  # line of each front matter key


@dataclass
class Pair:
    """A question + SQL example: ``pairs/<slug>.sql`` (or ``candidates/``)."""

    slug: str
    path: str
    questions: list[str]
    sql: str
    sql_line: int = 1  # line of the file where the SQL starts
    verified_by: str | None = None
    verified_at: str | None = None
    tags: list[str] = field(default_factory=list)
    status: str = "vetted"  # "vetted" for pairs/, "candidate" for candidates/
    meta: dict[str, list[str]] = field(default_factory=dict)  # every header key, as written
    lines: dict[str, int] = field(default_factory=dict)  # first line of each header key


@dataclass
class Cluster:
    name: str
    path: str  # the cluster folder, relative to the project root
    title: str | None = None
    description: str | None = None
    owners: Owners = field(default_factory=Owners)
    topics: list[str] = field(default_factory=list)
    warehouse: str = "default"
    datasets: dict[str, Dataset] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    docs: list[Doc] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    candidates: list[Pair] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # line of each key in cluster.yaml
    problems: list[Problem] = field(default_factory=list)  # found loading this cluster's files

    @property
    def tables(self) -> list[str]:
        """Warehouse table names this cluster lists, in manifest order."""
        return [d.table for d in self.datasets.values()]

    def dataset_for_table(self, table: str) -> Dataset | None:
        return next((d for d in self.datasets.values() if same_table(d.table, table)), None)


@dataclass
class Project:
    """Everything under one ``vedder.yaml``: its clusters and the problems found loading them."""

    root: str
    clusters: dict[str, Cluster] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # What identifies the content loaded, or None when it cannot (see
    # ``fingerprint``): vedder.yaml's path, size and modification time, and the
    # files loaded, each with ``rel``, ``size`` and ``mtime_ns``.
    file_stamps: tuple[tuple[str, int, int], list[Any]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def fingerprint(self) -> str | None:
        """Changes whenever a file of the project (or vedder.yaml) does: what was
        worked out from one fingerprint holds for it. None when it cannot be
        trusted, such as when a file was modified moments before loading."""
        if self.file_stamps is None:
            return None
        import hashlib

        config, files = self.file_stamps
        digest = hashlib.blake2b(repr(config).encode(), digest_size=16)
        for file in sorted(files, key=lambda f: f.rel):
            digest.update(f"{file.rel}\0{file.size}\0{file.mtime_ns}\n".encode())
        return digest.hexdigest()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def clusters_listing(self, table: str) -> list[str]:
        """Names of clusters whose datasets list ``table`` (case-insensitive)."""
        return [c.name for c in self.clusters.values() if c.dataset_for_table(table)]
