"""Reading cluster folders into the model (DESIGN.md section 1).

:func:`load_project` reads every cluster under the configured folder and
returns a :class:`~vedder.cluster.model.Project` whose ``problems`` list what
was wrong, where (path relative to the project root, and line) and how to fix
it. Bad input never raises: a broken file is reported and skipped, and the
rest of its cluster still loads.

Loading works file by file: each file is parsed on its own into a model object
and its problems, which is what the cache (:mod:`vedder.cluster.cache`) keeps,
so a changed file costs one parse. Cross-file checks
(:mod:`vedder.cluster.validate`) run after assembly on every load. A cold load
of a large repository parses in worker processes as well as this one, one
process per CPU, because sqlglot and YAML parsing are CPU-bound pure Python:
the workers start as soon as enough files need parsing, while the rest are
still being scanned, and every process takes files from one shared queue.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import io
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from sys import intern
from typing import Any

from vedder.cluster import cache as cache_format
from vedder.cluster.cache import MISS, FileCache
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
    Project,
    ValueShare,
)
from vedder.cluster.schema import (
    CLUSTER,
    DATASET,
    DOC_FRONT_MATTER,
    PROFILE,
    Checker,
)
from vedder.cluster.validate import validate_cluster
from vedder.cluster.yamlio import Map, YamlError, load_yaml
from vedder.config import Config

__all__ = [
    "dialect_for_url",
    "load_cluster",
    "load_project",
    "parse_cluster_file",
    "parse_dataset",
    "parse_doc",
    "parse_pair",
    "parse_profile",
]

CLUSTER_FILE = "cluster.yaml"
# subfolder -> (file kind, extension)
SUBFOLDERS: dict[str, tuple[str, str]] = {
    "datasets": ("dataset", ".yaml"),
    "profiles": ("profile", ".yaml"),
    "docs": ("doc", ".md"),
    "pairs": ("pair", ".sql"),
    "candidates": ("candidate", ".sql"),
}
KNOWN_PAIR_KEYS = ("question", "verified_by", "verified_at", "tags", "status", "source")
DEFAULT_DIALECT = "duckdb"

# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 1500
# Worker processes and this one take files from a shared queue in chunks of
# this many (more in a repository so large that the queue would exceed MAX_CHUNKS),
# so a process that starts late, or shares its core with other work, takes fewer.
CHUNK_FILES = 32
MAX_CHUNKS = 2048  # two bytes each: the queue fits one page of a pipe
# Whether this process parses chunks as well as its workers (tests turn it off
# to see the workers' results).
PARENT_TAKES_CHUNKS = True
WORKER_SCRIPT = "from vedder.cluster.load import _worker; _worker({queue})"
# From this many files on, a load leaves its objects to reference counting alone.
FREEZE_MIN_FILES = 2000

FileResult = tuple[Any, list[Problem]]  # (model object or None, problems)


# --- reading files -----------------------------------------------------------


def read_text(path: str | Path, rel: str) -> tuple[str | None, list[Problem]]:
    """A file's text, or None and the problem that prevented reading it."""
    try:
        data = _read_bytes(path)
    except IsADirectoryError:
        return None, [_not_a_file(rel)]
    except OSError as exc:
        return None, [
            Problem(
                rel, None, "unreadable", f"cannot read: {exc.strerror or exc}", "check permissions"
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [
            Problem(
                rel,
                line,
                "not-utf8",
                f"not valid UTF-8 (byte {exc.start} is {data[exc.start]:#04x})",
                "save the file as UTF-8",
            )
        ]
    if text.startswith("\ufeff"):  # a byte-order mark some editors write
        text = text[1:]
    return text.replace("\r\n", "\n"), []


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)


def _read_bytes(path: str | Path) -> bytes:
    # Plain system calls: a file object costs more than reading a small file.
    fd = os.open(path, _READ_FLAGS)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _not_a_file(rel: str) -> Problem:
    return Problem(
        rel, None, "not-a-file", "expected a file but found a folder", "rename or remove it"
    )


def _yaml(text: str, check: Checker) -> tuple[Any, bool]:
    """Parsed YAML and whether it parsed; problems go to ``check``."""
    try:
        return load_yaml(text), True
    except YamlError as exc:
        check.report(
            exc.line,
            "yaml-syntax",
            f"invalid YAML: {exc.message}",
            hint="check indentation and quoting near that line",
        )
        return None, False


def _empty(check: Checker, what: str, example: str) -> None:
    check.report(1, "empty-file", f"the {what} file is empty", hint=f"start with {example}")


def _lines(data: Any) -> dict[str, int]:
    if isinstance(data, Map):
        return {k: v for k, v in data.lines.items() if isinstance(k, str)}
    return {}


# --- one parser per file kind ----------------------------------------------


def parse_cluster_file(text: str, path: str) -> tuple[Cluster, list[Problem]]:
    """``<folder>/cluster.yaml``. Always returns a cluster, named after its folder."""
    folder = path.rsplit("/", 1)[0] if "/" in path else "."
    name = folder.rsplit("/", 1)[-1]
    problems: list[Problem] = []
    check = Checker(path, problems)
    cluster = Cluster(name=name, path=folder)
    data, ok = _yaml(text, check)
    if not ok:
        return cluster, problems
    if data is None:
        _empty(check, "cluster", f"'name: {name}'")
        return cluster, problems
    values = check.check(data, CLUSTER, "cluster.yaml", 1) or {}
    if not isinstance(data, dict):
        return cluster, problems
    cluster.lines = _lines(data)
    given = values.get("name")
    if given is not None and given != name:
        check.report(
            cluster.lines.get("name"),
            "name-mismatch",
            f"name {given!r} differs from the folder name {name!r}",
            hint=f"set 'name: {name}' or rename the folder to {given}",
        )
    cluster.title = values.get("title")
    cluster.description = values.get("description")
    owners = values.get("owners") or {}
    cluster.owners = Owners(team=owners.get("team"), contacts=owners.get("contacts", []))
    cluster.topics = values.get("topics", [])
    cluster.warehouse = values.get("warehouse", "default")
    return cluster, problems


def parse_dataset(text: str, path: str) -> tuple[Dataset | None, list[Problem]]:
    """``datasets/<name>.yaml``: None when it has no usable ``table``."""
    problems: list[Problem] = []
    check = Checker(path, problems)
    data, ok = _yaml(text, check)
    if not ok:
        return None, problems
    if data is None:
        _empty(check, "dataset", "'table: schema.table_name'")
        return None, problems
    values = check.check(data, DATASET, "dataset", 1)
    if values is None:
        return None, problems
    columns = []
    seen: set[str] = set()
    for col, line in values.get("columns", ()):
        name = col["name"]
        lowered = name.lower()
        if lowered in seen:
            check.report(
                line,
                "duplicate-column",
                f"column {name!r} is listed twice",
                hint="merge the two entries",
            )
            continue
        seen.add(lowered)
        # Names, types and synonyms repeat across thousands of manifests:
        # sharing one string each keeps memory and the cache small.
        kind = col.get("type")
        synonyms = col.get("synonyms")
        columns.append(
            Column(
                intern(name),
                None if kind is None else intern(kind),
                col.get("description"),
                [] if synonyms is None else list(map(intern, synonyms)),
                col.get("avoid"),
                line,
            )
        )
    partition = values.get("partition")
    freshness = values.get("freshness")
    return (
        Dataset(
            name=_stem(path),
            table=values["table"],
            path=path,
            description=values.get("description"),
            partition=Partition(**partition) if partition else None,
            freshness=Freshness(**freshness) if freshness else None,
            columns=columns,
            lines=_lines(data),
        ),
        problems,
    )


def parse_profile(text: str, path: str) -> tuple[Profile | None, list[Problem]]:
    """``profiles/<name>.yaml`` as written by ``vedder profile``."""
    problems: list[Problem] = []
    check = Checker(path, problems)
    data, ok = _yaml(text, check)
    if not ok:
        return None, problems
    if data is None:
        _empty(check, "profile", "a run of `vedder profile`")
        return None, problems
    values = check.check(data, PROFILE, "profile", 1)
    if values is None:
        return None, problems
    name = _stem(path)
    lines = _lines(data)
    if values.get("dataset", name) != name:
        check.report(
            lines.get("dataset"),
            "name-mismatch",
            f"profile is for dataset {values['dataset']!r} but the file is named {name}.yaml",
            hint="re-run `vedder profile` instead of copying profiles",
            severity="warning",
        )
    partition = values.get("partition") or {}
    columns = []
    for col, line in values.get("columns", ()):
        top = col.get("top_values")
        columns.append(
            ColumnProfile(
                name=col["name"],
                type=col.get("type"),
                null_fraction=col.get("null_fraction"),
                distinct_count=col.get("distinct_count"),
                distinct_approximate=col.get("distinct_approximate", False),
                min=col.get("min"),
                max=col.get("max"),
                top_values=None
                if top is None
                else [ValueShare(v.get("value"), v["count"], v["share"]) for v, _ in top],
                line=line,
            )
        )
    return (
        Profile(
            dataset=name,
            table=values["table"],
            path=path,
            profiled_at=values.get("profiled_at"),
            row_count=values.get("row_count"),
            sample=values.get("sample"),
            partition_column=partition.get("column"),
            partition_min=partition.get("min"),
            partition_max=partition.get("max"),
            columns=columns,
            duration_ms=values.get("duration_ms"),
            lines=lines,
        ),
        problems,
    )


_FRONT_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def parse_doc(text: str, path: str) -> tuple[Doc | None, list[Problem]]:
    """``docs/<name>.md``: Markdown with optional YAML front matter."""
    problems: list[Problem] = []
    check = Checker(path, problems)
    body, body_line = text, 1
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    first, _, rest = text.partition("\n")
    if first.rstrip() == "---":
        end = _FRONT_END.search(rest)
        if end is None:
            check.report(
                1,
                "front-matter",
                "front matter starts with '---' but is never closed",
                hint="end it with a line of '---'",
                severity="warning",
            )
        else:
            front = rest[: end.start()]
            body = rest[end.end() :].removeprefix("\n")
            body_line = 3 + front.count("\n")
            try:
                data = load_yaml(front, first_line=2)
            except YamlError as exc:
                check.report(
                    exc.line,
                    "yaml-syntax",
                    f"invalid YAML in front matter: {exc.message}",
                    hint="check indentation and quoting near that line",
                )
                data = None
            if data is not None:
                values = check.check(data, DOC_FRONT_MATTER, "front matter", 2) or {}
                lines = _lines(data)
    if not body.strip() and not values:
        check.report(1, "empty-file", "the doc is empty", severity="warning")
    title = values.get("title")
    if title is None:
        heading = _HEADING.search(body)
        title = heading.group(1) if heading else None
    return (
        Doc(
            name=_stem(path),
            path=path,
            body=body,
            title=title,
            tags=values.get("tags", []),
            datasets=values.get("datasets", []),
            body_line=body_line,
            lines=lines,
        ),
        problems,
    )


_HEADER = re.compile(r"--[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(.*)$")


def parse_pair(
    text: str, path: str, *, dialect: str = DEFAULT_DIALECT, status: str | None = None
) -> tuple[Pair | None, list[Problem]]:
    """A pair or candidate: ``-- key: value`` header lines, then one SQL statement.

    The header is every leading line of that form (blank lines allowed); the SQL
    starts at the first other line. ``question`` may repeat, ``tags`` is
    comma-separated, and every key is kept in ``Pair.meta``. The SQL must
    parse in ``dialect``. ``status`` is the folder's verdict ("vetted" for
    pairs/, "candidate" for candidates/); None takes the header's. Returns
    None for the pair when it cannot be used.
    """
    problems: list[Problem] = []
    check = Checker(path, problems)
    lines = text.split("\n")
    meta: dict[str, list[str]] = {}
    key_lines: dict[str, int] = {}
    start = len(lines)
    for index, raw in enumerate(lines):
        stripped = raw.strip()
        if not stripped:
            continue
        match = _HEADER.fullmatch(stripped)
        if match is None:
            start = index
            break
        key, value = match.group(1).lower(), match.group(2).strip()
        if not value:
            check.report(
                index + 1,
                "pair-header",
                f"header '{key}' has no value",
                hint=f"write '-- {key}: ...' or remove the line",
                severity="warning",
            )
            continue
        if key not in KNOWN_PAIR_KEYS and key not in meta:
            close = difflib.get_close_matches(key, KNOWN_PAIR_KEYS, n=1, cutoff=0.75)
            if close:  # other keys are free-form metadata; near-misses are typos
                check.report(
                    index + 1,
                    "unknown-key",
                    f"header key {key!r} is not one Vedder reads; kept as metadata",
                    hint=f"did you mean {close[0]!r}?",
                    severity="warning",
                )
        meta.setdefault(key, []).append(value)
        key_lines.setdefault(key, index + 1)
    if not text.strip():
        check.report(1, "empty-file", "the pair file is empty", hint=_PAIR_EXAMPLE)
        return None, problems
    questions = meta.get("question", [])
    usable = True
    if not questions:
        check.report(
            1, "pair-no-question", "the pair has no '-- question:' line", hint=_PAIR_EXAMPLE
        )
        usable = False
    header_status = meta.get("status", [None])[0]
    if status is None:
        status = header_status or "vetted"
    elif header_status in ("vetted", "candidate") and header_status != status:
        # Other statuses (a miner's "rejected", say) are kept in meta; the folder decides.
        where = "candidates/" if header_status == "candidate" else "pairs/"
        check.report(
            key_lines["status"],
            "pair-status",
            f"header says status {header_status!r} but the file is in "
            f"{'candidates/' if status == 'candidate' else 'pairs/'}",
            hint=f"move the file to {where} or fix the status line",
            severity="warning",
        )
    sql = "\n".join(lines[start:]).strip()
    sql_line = start + 1
    if not sql:
        check.report(
            min(start, len(lines)) or 1,
            "pair-empty-sql",
            "the pair has a header but no SQL",
            hint="write the SQL statement below the header lines",
        )
        usable = False
    else:
        error = check_sql(sql, dialect)
        if error is not None:
            line, code, message = error
            check.report(
                sql_line + line - 1 if line else sql_line,
                code,
                message,
                hint=_SQL_HINTS.get(code),
            )
            usable = False
    if not usable:
        return None, problems
    tags = [tag.strip() for value in meta.get("tags", ()) for tag in value.split(",")]
    return (
        Pair(
            slug=_stem(path),
            path=path,
            questions=questions,
            sql=sql,
            sql_line=sql_line,
            verified_by=meta.get("verified_by", [None])[0],
            verified_at=meta.get("verified_at", [None])[0],
            tags=[tag for tag in tags if tag],
            status=status,
            meta=meta,
            lines=key_lines,
        ),
        problems,
    )


_PAIR_EXAMPLE = "start with '-- question: How many ...?' and put the SQL below it"
_SQL_HINTS = {
    "pair-sql": "run the statement in the warehouse to see the error, then fix it",
    "pair-empty-sql": "write the SQL statement below the header lines",
    "pair-multiple-statements": "keep one statement per pair; split the file",
}
_TOKEN_REPR = re.compile(r"<Token token_type: [\w.]+, text: (.*?), line: \d+.*?>")
_CLASS_REPR = re.compile(r"<class 'sqlglot\.[\w.]*?(\w+)'>")


_ERROR = 40  # logging.ERROR; logging itself is imported only with sqlglot


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    # sqlglot logs a warning for each statement it falls back to reading as an
    # opaque command; we report that as a problem instead.
    import logging

    logger = logging.getLogger(logger_name)
    previous = logger.level
    if previous >= _ERROR:  # already quiet, e.g. around a whole batch of files
        yield
        return
    logger.setLevel(_ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


_DIALECTS: dict[str, Any] = {}  # name -> sqlglot Dialect; parsing with one keeps no state
_SQLGLOT: tuple[Any, ...] | None = None


def _import_sqlglot() -> tuple[Any, ...]:
    """What :func:`check_sql` needs of sqlglot, imported on first use (the cached
    path never needs sqlglot) and kept: an import statement per call costs more
    than some statements take to parse."""
    global _SQLGLOT
    import logging

    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import ParseError, TokenError

    _SQLGLOT = (exp, Dialect, ParseError, TokenError, logging.getLogger("sqlglot"))
    return _SQLGLOT


def check_sql(sql: str, dialect: str) -> tuple[int | None, str, str] | None:
    """(line within ``sql``, code, message) when ``sql`` is not one parseable statement."""
    exp, dialect_class, ParseError, TokenError, logger = _SQLGLOT or _import_sqlglot()
    try:
        reader = _DIALECTS.get(dialect)
        if reader is None:
            reader = _DIALECTS[dialect] = dialect_class.get_or_raise(dialect or None)
        if logger.level >= _ERROR:  # already quiet, e.g. around a batch of files
            parsed = reader.parse(sql)
        else:
            with _quiet("sqlglot"):
                parsed = reader.parse(sql)
        # A lone `;` (after a comment) parses to a Semicolon node: no statement.
        statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        description = str(first.get("description") or exc).split("\n")[0]
        description = _CLASS_REPR.sub(r"\1", _TOKEN_REPR.sub(r"'\1'", description))
        near = first.get("highlight")
        message = f"SQL does not parse ({dialect}): {description}"
        if near and repr(near)[1:-1] not in description:
            message += f" near {near!r}"
        return first.get("line"), "pair-sql", message
    except TokenError as exc:
        start, end = getattr(exc, "start", None), getattr(exc, "end", None)
        line = None
        if isinstance(start, int) and isinstance(end, int):
            # sqlglot reports 50 characters either side of where it stopped.
            at = start + 50 if start > 0 else (len(sql) - 1 if end >= len(sql) - 1 else end - 50)
            line = sql.count("\n", 0, max(at, 0)) + 1
        return line, "pair-sql", f"SQL does not parse ({dialect}): unterminated string or comment"
    except ValueError as exc:  # an unknown dialect name
        return None, "pair-sql", f"cannot parse SQL: {exc}"
    if not statements:
        return None, "pair-empty-sql", "the pair has a header but no SQL"
    if len(statements) > 1:
        return None, "pair-multiple-statements", f"the pair holds {len(statements)} statements"
    if isinstance(statements[0], exp.Command):
        return (
            None,
            "pair-sql",
            f"SQL does not parse ({dialect}): sqlglot could only read it as an opaque command",
        )
    return None


def _stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


# --- dialects ----------------------------------------------------------------

_SCHEME_DIALECTS = {
    "duckdb": "duckdb",
    "sqlite": "sqlite",
    "postgresql": "postgres",
    "postgres": "postgres",
}


def dialect_for_url(url: str, options: Any = None) -> str:
    """The sqlglot dialect a warehouse URL speaks (``dbapi://...?dialect=`` names its own)."""
    from urllib.parse import parse_qs, urlsplit

    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme in _SCHEME_DIALECTS:
        return _SCHEME_DIALECTS[scheme]
    named = parse_qs(urlsplit(url).query).get("dialect")
    if named:
        return named[0]
    if isinstance(options, dict) and isinstance(options.get("dialect"), str):
        return str(options["dialect"])
    return DEFAULT_DIALECT


def _dialect(config: Config | None, warehouse: str) -> str:
    if config is None:
        return DEFAULT_DIALECT
    spec = config.warehouses.get(warehouse) or config.warehouses.get("default")
    return dialect_for_url(spec.url, spec.options) if spec else DEFAULT_DIALECT


# --- finding files -----------------------------------------------------------


@dataclass(slots=True)
class SourceFile:
    rel: str  # relative to the project root, posix style
    kind: str  # cluster, dataset, profile, doc, pair, candidate
    size: int
    mtime_ns: int


@dataclass
class ClusterFolder:
    name: str
    rel: str
    cluster_file: SourceFile | None = None
    files: list[SourceFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class _Scanner:
    """Walks cluster folders, refusing symlinks that leave the repository."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.boundary = os.path.realpath(root)

    def rel(self, path: str) -> str:
        return Path(os.path.relpath(path, self.root)).as_posix()

    def inside(self, entry: os.DirEntry[str], path: str | None = None) -> bool:
        """Whether ``entry`` (at ``path``, when listed by descriptor) stays in the repository."""
        if not entry.is_symlink():
            return True
        target = os.path.realpath(path or entry.path)
        return target == self.boundary or target.startswith(self.boundary + os.sep)

    def refuse(self, entry: os.DirEntry[str], rel: str, path: str | None = None) -> Problem:
        return Problem(
            rel,
            None,
            "symlink-outside",
            f"symlink leads outside the repository ({os.path.realpath(path or entry.path)}); "
            "not read",
            hint="copy the file into the repository or point the link inside it",
        )

    def folder(self, path: str, name: str) -> ClusterFolder:
        found = ClusterFolder(name=name, rel=self.rel(path))
        entries = _scandir(path, found.problems, found.rel)
        names = {entry.name for entry in entries}
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = f"{found.rel}/{entry.name}"
            if not self.inside(entry):
                found.problems.append(self.refuse(entry, rel))
                continue
            if entry.name == CLUSTER_FILE:
                if entry.is_dir():
                    found.problems.append(_not_a_file(rel))
                else:
                    found.cluster_file = self.source(entry, rel, "cluster", found.problems)
            elif entry.name in SUBFOLDERS:
                if not entry.is_dir():
                    found.problems.append(
                        Problem(
                            rel,
                            None,
                            "not-a-folder",
                            f"expected a folder of {entry.name} but found a file",
                            hint=f"move it to {entry.name}/<name>{SUBFOLDERS[entry.name][1]}",
                        )
                    )
                    continue
                self.subfolder(entry, rel, *SUBFOLDERS[entry.name], found)
            else:
                close = difflib.get_close_matches(
                    entry.name, [CLUSTER_FILE, *SUBFOLDERS], n=1, cutoff=0.75
                )
                if close:
                    found.problems.append(
                        Problem(
                            rel,
                            None,
                            "unknown-file",
                            f"{entry.name!r} is not read",
                            hint=f"did you mean {close[0]!r}?",
                            severity="warning",
                        )
                    )
        if found.cluster_file is None and CLUSTER_FILE not in names:
            found.problems.append(
                Problem(
                    f"{found.rel}/{CLUSTER_FILE}",
                    None,
                    "missing-file",
                    "the cluster has no cluster.yaml",
                    hint=f"create it with at least 'name: {name}'",
                )
            )
        return found

    def subfolder(
        self, folder: os.DirEntry[str], folder_rel: str, kind: str, ext: str, found: ClusterFolder
    ) -> None:
        # The loop a warm load spends its scan in: one stat per file, little else.
        # Listing by descriptor makes each stat a look-up in that folder rather
        # than a walk of the whole path.
        files = found.files
        path = folder.path
        fd = None
        if _SCANDIR_FD:
            try:
                fd = os.open(path, _DIRECTORY_FLAGS)
            except OSError as exc:
                message = f"cannot list: {exc.strerror or exc}"
                found.problems.append(Problem(folder_rel, None, "unreadable", message))
                return
        try:
            for entry in _scandir(path if fd is None else fd, found.problems, folder_rel):
                name = entry.name
                if name[0] == ".":
                    continue  # .gitkeep and editor files
                rel = f"{folder_rel}/{name}"
                if name.endswith(ext) and not entry.is_symlink() and not entry.is_dir():
                    try:
                        stat = entry.stat()
                    except OSError as exc:  # a race with a delete
                        message = f"cannot read: {exc.strerror or exc}"
                        found.problems.append(Problem(rel, None, "unreadable", message))
                        continue
                    files.append(SourceFile(rel, kind, stat.st_size, stat.st_mtime_ns))
                else:
                    full = os.path.join(path, name)  # noqa: PTH118 - hot loop; str paths are cheaper
                    self.odd_entry(entry, full, rel, folder.name, kind, ext, found)
        finally:
            if fd is not None:
                os.close(fd)

    def odd_entry(
        self,
        entry: os.DirEntry[str],
        path: str,
        rel: str,
        folder_name: str,
        kind: str,
        ext: str,
        found: ClusterFolder,
    ) -> None:
        """A subfolder entry that is not a plain file with the right extension."""
        if entry.is_symlink() and not self.inside(entry, path):
            found.problems.append(self.refuse(entry, rel, path))
        elif not entry.name.endswith(ext):
            found.problems.append(
                Problem(
                    rel,
                    None,
                    "unknown-file",
                    f"not read: {folder_name}/ holds *{ext} files",
                    hint=None if entry.is_dir() else f"rename it to end in {ext}",
                    severity="warning",
                )
            )
        elif entry.is_dir():
            found.problems.append(_not_a_file(rel))
        else:
            try:
                stat = entry.stat()
            except OSError as exc:  # a dangling symlink, a race with a delete
                message = f"cannot read: {exc.strerror or exc}"
                found.problems.append(Problem(rel, None, "unreadable", message))
                return
            found.files.append(SourceFile(rel, kind, stat.st_size, stat.st_mtime_ns))

    def source(
        self, entry: os.DirEntry[str], rel: str, kind: str, problems: list[Problem]
    ) -> SourceFile | None:
        try:
            stat = entry.stat()
        except OSError as exc:  # a dangling symlink, a race with a delete
            problems.append(Problem(rel, None, "unreadable", f"cannot read: {exc.strerror or exc}"))
            return None
        return SourceFile(rel, kind, stat.st_size, stat.st_mtime_ns)


_SCANDIR_FD = os.scandir in os.supports_fd
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)


def _scandir(path: str | int, problems: list[Problem], rel: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as listing:
            entries = list(listing)
    except OSError as exc:
        problems.append(Problem(rel, None, "unreadable", f"cannot list: {exc.strerror or exc}"))
        return []
    entries.sort(key=attrgetter("name"))
    return entries


# --- parsing, in this process or in worker processes -------------------------

Job = tuple[str, str, str]  # (path, kind, dialect)


def _parse_file(root: str, rel: str, kind: str, dialect: str) -> FileResult:
    try:
        return _parse_file_unguarded(root, rel, kind, dialect)
    except Exception as exc:  # the last line of defence: one bad file never stops a load
        return None, [
            Problem(
                rel,
                None,
                "internal-error",
                f"could not load this file: {type(exc).__name__}: {exc}",
                hint="this is a bug in Vedder; please report it with the file",
            )
        ]


def _parse_file_unguarded(root: str, rel: str, kind: str, dialect: str) -> FileResult:
    text, problems = read_text(os.path.join(root, rel), rel)  # noqa: PTH118 - hot path
    if text is None:
        return None, problems
    if kind == "pair":
        return parse_pair(text, rel, dialect=dialect, status="vetted")
    if kind == "candidate":
        return parse_pair(text, rel, dialect=dialect, status="candidate")
    if kind == "dataset":
        return parse_dataset(text, rel)
    if kind == "profile":
        return parse_profile(text, rel)
    if kind == "doc":
        return parse_doc(text, rel)
    return parse_cluster_file(text, rel)


def _parse_many(root: str, jobs: list[Job]) -> list[FileResult]:
    with _quiet("sqlglot"):
        return [_parse_file(root, rel, kind, dialect) for rel, kind, dialect in jobs]


def _worker(queue: int) -> None:
    """Entry point of a worker process: jobs from ``queue`` (see :func:`_parse_parallel`)."""
    import pickle
    import sys

    import sqlglot  # noqa: F401  (while this process waits for its jobs)

    stdout = sys.stdout.buffer
    root, jobs, size = pickle.load(sys.stdin.buffer)
    with _gc_paused():
        for start in _chunks(queue, size):
            message = io.BytesIO()
            cache_format.dump((start, _parse_many(root, jobs[start : start + size])), message)
            stdout.write(len(message.getbuffer()).to_bytes(8, "little"))
            stdout.write(message.getbuffer())
            stdout.flush()


def _chunks(queue: int, size: int) -> Iterator[int]:
    """Take chunk numbers from ``queue`` until it is empty; yields the first job of each."""
    while True:
        record = os.read(queue, 2)  # every process reads whole records: see _parse_parallel
        if not record:
            return
        yield int.from_bytes(record, "little") * size


def _parse_all(
    root: str, jobs: list[Job], workers: int, started: _Workers | None = None
) -> list[FileResult]:
    """Parse results of ``jobs``, in order, with ``started`` workers if any."""
    if started is None and workers > 1 and len(jobs) >= PARALLEL_MIN_FILES:
        started = _Workers.start(workers - 1)
    if started is not None:
        try:
            with contextlib.suppress(Exception):  # whatever went wrong, parse here instead
                return _parse_parallel(root, jobs, started)
        finally:
            started.stop()
    return _parse_many(root, jobs)


@dataclass
class _Workers:
    """Worker processes, started before their jobs are known so that their
    start-up overlaps the rest of the scan (see :func:`_parse_parallel`)."""

    children: list[Any]
    queue: int | None  # read end of the job queue, shared with the children; None once closed
    fill: int | None  # write end, open until the queue is filled

    @classmethod
    def start(cls, count: int) -> _Workers | None:
        """``count`` workers waiting for jobs, or None where that is not possible."""
        # Plain subprocesses rather than multiprocessing: spawn re-imports the
        # caller's __main__ (a script without a main guard would run again in
        # each worker) and fork is unsafe once a driver has started threads.
        if os.name != "posix":
            return None  # the queue is passed as an inherited descriptor
        import subprocess
        import sys

        import vedder

        env = dict(os.environ)
        package_parent = str(Path(vedder.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
        try:
            queue, fill = os.pipe()
        except OSError:  # out of descriptors: parse in this process
            return None
        command = [sys.executable, "-c", WORKER_SCRIPT.format(queue=queue)]
        workers = cls([], queue, fill)
        try:
            for _ in range(count):
                workers.children.append(
                    subprocess.Popen(
                        command,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        env=env,
                        pass_fds=(queue,),
                    )
                )
        except OSError:
            workers.stop()
            return None
        return workers

    def stop(self) -> None:
        """Close the queue and end workers still running (normally none). Idempotent."""
        for fd in (self.fill, self.queue):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.fill = self.queue = None
        for child in self.children:
            if child.poll() is None:
                child.kill()
                child.wait()
            for stream in (child.stdin, child.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()


def _parse_parallel(root: str, jobs: list[Job], workers: _Workers) -> list[FileResult]:
    """Parse ``jobs`` in this process and in ``workers``, sharing one queue.

    The queue is a pipe of chunk numbers, filled before anyone reads it; each
    process reads one number at a time (reads of a record this small are
    atomic) and parses that chunk, until the pipe is empty. This process takes
    chunks too, and a worker that is still starting takes fewer: no process
    waits for another's share. Workers send each chunk's results back as soon
    as it is parsed, pickled in the cache's form; a thread per worker collects
    them, so a worker never waits for this process to read.
    """
    import pickle
    import threading

    size = max(CHUNK_FILES, -(-len(jobs) // MAX_CHUNKS))
    count = -(-len(jobs) // size)
    assert workers.fill is not None and workers.queue is not None
    # At most one page, so the write completes at once.
    os.write(workers.fill, b"".join(i.to_bytes(2, "little") for i in range(count)))
    os.close(workers.fill)
    workers.fill = None
    payload = pickle.dumps((root, jobs, size), protocol=pickle.HIGHEST_PROTOCOL)
    received: list[bytes] = []  # messages of all workers, appended by their threads
    threads = [
        threading.Thread(target=_exchange, args=(child, payload, received))
        for child in workers.children
    ]
    for thread in threads:
        thread.start()
    results: list[FileResult | None] = [None] * len(jobs)

    starts = range(0, len(jobs), size)

    def take(messages: list[bytes]) -> None:
        # Unpickled between this process's own chunks, not all at the end.
        while messages:
            with contextlib.suppress(Exception):  # not a worker's: parsed again below
                start, part = cache_format.load(io.BytesIO(messages.pop()))
                expected = len(jobs[start : start + size]) if start in starts else -1
                if type(part) is list and len(part) == expected:
                    results[start : start + size] = part

    if PARENT_TAKES_CHUNKS:
        for start in _chunks(workers.queue, size):
            results[start : start + size] = _parse_many(root, jobs[start : start + size])
            take(received)
    for thread in threads:
        thread.join()
    take(received)
    for child in workers.children:
        child.wait()
    # Chunks a worker took but never sent back (it died): parse them here.
    for start in starts:
        if results[start] is None:
            results[start : start + size] = _parse_many(root, jobs[start : start + size])
    return results  # type: ignore[return-value]


def _exchange(child: Any, payload: bytes, received: list[bytes]) -> None:
    """Send a worker its jobs, then collect its messages until it exits.

    Whatever goes wrong ends the exchange quietly: the chunks the worker did
    not send back are parsed by the caller.
    """
    with contextlib.suppress(Exception):
        child.stdin.write(payload)
        child.stdin.close()
        read = child.stdout.read
        while len(header := read(8)) == 8:
            size = int.from_bytes(header, "little")
            if size > _MAX_MESSAGE:
                break  # not a message this module wrote
            message = read(size)
            if len(message) != size:
                break  # cut short: the worker died
            received.append(message)


_MAX_MESSAGE = 1 << 30


def _default_workers() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    # A load allocates hundreds of thousands of objects that all stay alive;
    # the cyclic collector would rescan them again and again for nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- assembling --------------------------------------------------------------


def load_project(config: Config, *, use_cache: bool = True, workers: int | None = None) -> Project:
    """Every cluster under ``config.clusters_dir``, with the problems found.

    ``use_cache`` reuses parses of unchanged files from ``config.cache_dir``
    and updates it; ``workers`` caps the processes used to parse many files
    (default: one per CPU; 1 parses in this process).
    """
    root = config.root
    scanner = _Scanner(root)
    project = Project(root=str(root))
    clusters_dir = config.clusters_dir
    if not clusters_dir.is_dir():
        project.problems.append(
            Problem(
                scanner.rel(str(clusters_dir)),
                None,
                "missing-folder",
                "the clusters folder does not exist",
                hint="create clusters/<name>/cluster.yaml or set 'clusters:' in vedder.yaml",
            )
        )
        return project
    real = os.path.realpath(clusters_dir)
    if real != scanner.boundary and not real.startswith(scanner.boundary + os.sep):
        # vedder.yaml points outside its own folder on purpose: trust that folder.
        scanner.boundary = real

    with _gc_paused():
        cache = FileCache.open(config.cache_dir) if use_cache else FileCache(None)
        found = _scan_clusters(scanner, str(clusters_dir), project.problems)
        folders, results = _results(config, found, cache, workers)
        project.file_stamps = _file_stamps(config, folders)
        for folder in folders:
            cluster = _assemble(folder, results, config)
            project.clusters[cluster.name] = cluster
            project.problems.extend(cluster.problems)
        if use_cache:
            cache.keep_only(results)
            cache.save()
        if len(results) >= FREEZE_MIN_FILES:
            # Once re-enabled, the collector would scan every object of a large
            # project again, several times as they age. A project holds no
            # reference cycles, so it is still freed by reference counting
            # when dropped; freezing only keeps the collector from rescanning.
            del cache
            gc.freeze()
    project.problems.sort(key=_problem_order)
    return project


def load_cluster(
    config: Config, folder: str | Path, *, dialect: str | None = None
) -> tuple[Cluster, list[Problem]]:
    """One cluster folder (a path, or a name under the clusters folder), uncached."""
    path = Path(folder)
    if not path.is_absolute():
        in_clusters = config.clusters_dir / path
        path = in_clusters if in_clusters.is_dir() else config.root / path
    scanner = _Scanner(config.root)
    found = scanner.folder(str(path), path.name)
    with _gc_paused():
        _, results = _results(config, [found], FileCache(None), 1, dialect=dialect)
        cluster = _assemble(found, results, config)
    return cluster, cluster.problems


def _scan_clusters(
    scanner: _Scanner, clusters_dir: str, problems: list[Problem]
) -> Iterator[ClusterFolder]:
    for entry in _scandir(clusters_dir, problems, scanner.rel(clusters_dir)):
        if entry.name.startswith(".") or not entry.is_dir():
            continue  # README.md and the like may sit next to the clusters
        if not scanner.inside(entry):
            problems.append(scanner.refuse(entry, scanner.rel(entry.path)))
            continue
        yield scanner.folder(entry.path, entry.name)


def _results(
    config: Config,
    found: Iterable[ClusterFolder],
    cache: FileCache,
    workers: int | None,
    *,
    dialect: str | None = None,
) -> tuple[list[ClusterFolder], dict[str, FileResult]]:
    """The folders ``found`` and the parse results of all their files: from the
    cache when unchanged, parsed otherwise.

    Folders are taken one at a time, so that when enough files turn out to
    need parsing, worker processes start while the rest are still scanned.
    """
    root = str(config.root)
    now = time.time_ns()
    workers = workers or _default_workers()
    folders: list[ClusterFolder] = []
    results: dict[str, FileResult] = {}
    jobs: list[Job] = []
    missed: list[SourceFile] = []
    dialects: dict[str, str] = {}
    started: _Workers | None = None
    try:
        for folder in found:
            folders.append(folder)
            # cluster.yaml first: its warehouse decides the dialect pairs are parsed in.
            source = folder.cluster_file
            header = None
            if source is not None:
                header = cache.get(source.rel, source.size, source.mtime_ns, "")
                if header is MISS:
                    header = _parse_file(root, source.rel, "cluster", "")
                    cache.put(source.rel, source.size, source.mtime_ns, "", header, now)
                results[source.rel] = header
            warehouse = header[0].warehouse if header and header[0] else "default"
            if warehouse not in dialects:
                dialects[warehouse] = dialect or _dialect(config, warehouse)
            folder_dialect = dialects[warehouse]
            for source in folder.files:
                kind = source.kind
                key = folder_dialect if kind == "pair" or kind == "candidate" else ""
                hit = cache.get(source.rel, source.size, source.mtime_ns, key)
                if hit is MISS:
                    jobs.append((source.rel, kind, key))
                    missed.append(source)
                else:
                    results[source.rel] = hit
            if started is None and workers > 1 and len(jobs) >= PARALLEL_MIN_FILES:
                started = _Workers.start(workers - 1)
        if jobs:
            parsed = _parse_all(root, jobs, workers, started)
            started = None  # stopped by _parse_all
            for source, job, result in zip(missed, jobs, parsed, strict=True):
                results[source.rel] = result
                cache.put(source.rel, source.size, source.mtime_ns, job[2], result, now)
    finally:
        if started is not None:
            started.stop()
    return folders, results


def _file_stamps(
    config: Config, folders: list[ClusterFolder]
) -> tuple[tuple[str, int, int], list[SourceFile]] | None:
    """What :attr:`Project.fingerprint` is made of: vedder.yaml's stamp (its warehouses
    decide the SQL dialect) and every file found. None while any was modified so
    recently that a further change might leave its size and time as they are."""
    try:
        stat = Path(config.path).stat()
    except OSError:  # a config given as defaults, not read from a file
        return None
    files = [f.cluster_file for f in folders if f.cluster_file is not None]
    for folder in folders:
        files += folder.files
    racy = time.time_ns() - cache_format.RACY_WINDOW_NS
    if max(stat.st_mtime_ns, *map(attrgetter("mtime_ns"), files)) >= racy:
        return None
    return (str(config.path), stat.st_size, stat.st_mtime_ns), files


def _assemble(folder: ClusterFolder, results: dict[str, FileResult], config: Config) -> Cluster:
    problems = list(folder.problems)
    header = None
    if folder.cluster_file is not None and folder.cluster_file.rel in results:
        header, header_problems = results[folder.cluster_file.rel]
        problems.extend(header_problems)
    # A new object: the cached header must not collect the children (the cache
    # would then store every dataset twice).
    cluster = Cluster(name=folder.name, path=folder.rel)
    if header is not None:
        cluster.title = header.title
        cluster.description = header.description
        cluster.owners = header.owners
        cluster.topics = header.topics
        cluster.warehouse = header.warehouse
        cluster.lines = header.lines
    datasets, profiles = cluster.datasets, cluster.profiles
    docs, pairs, candidates = cluster.docs, cluster.pairs, cluster.candidates
    for source in folder.files:
        value, file_problems = results[source.rel]
        if file_problems:
            problems.extend(file_problems)
        if value is None:
            continue
        kind = source.kind
        if kind == "dataset":
            datasets[value.name] = value
        elif kind == "profile":
            profiles[value.dataset] = value
        elif kind == "doc":
            docs.append(value)
        elif kind == "pair":
            pairs.append(value)
        else:
            candidates.append(value)
    problems.extend(validate_cluster(cluster, warehouses=config.warehouses.keys() or None))
    problems.sort(key=_problem_order)
    cluster.problems = problems
    return cluster


def _problem_order(problem: Problem) -> tuple[str, int, str]:
    return (problem.path, problem.line or 0, problem.code)
