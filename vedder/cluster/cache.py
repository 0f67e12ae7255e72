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

Model objects are pickled as "call this model class with these field values"
(a reducer per class, derived from its dataclass fields, so a new field is
cached without anyone remembering to). Unpickling then runs the dataclass
constructors straight from C, twice as fast as restoring instance dicts, and
the reader can refuse every class but the model's (and this module's two
builders, below): a repository can hold a crafted ``.vedder/`` (a pull request
from a fork, run by CI), and unpickling otherwise runs whatever the file names.

Columns are most of a large project's objects. A dataset's (or profile's) are
stored as one flat tuple of their field values, pickled on its own into one
bytes object, and a dataset read back keeps them packed until its ``columns``
are first read: loading a cached project creates neither column objects nor
their strings, and a command that reads only some datasets builds only theirs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from itertools import chain, starmap
from operator import attrgetter
from pathlib import Path
from typing import IO, Any

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
# Bump when what a parse returns changes shape or meaning, or how it is stored.
FORMAT = 5

# Files modified this recently may change again within the file system's
# timestamp resolution without their stat changing; leave them out of the
# cache so the next load reparses them (the "racy git" problem).
RACY_WINDOW_NS = 2_000_000_000

# size, mtime_ns, parse key (e.g. the SQL dialect), parse result
Entry = tuple[int, int, str, Any]

_MISS: Any = object()


_MODEL_CLASSES: tuple[type, ...] = (
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


def _fields(cls: type) -> tuple[str, ...]:
    names = tuple(f.name for f in dataclasses.fields(cls))
    # Objects are rebuilt as cls(*values): every field must be positional.
    assert all(f.init and not f.kw_only for f in dataclasses.fields(cls)), cls
    return names


def _reducer(cls: type) -> Any:
    fields = attrgetter(*_fields(cls))
    return lambda obj: (cls, fields(obj))


class _PackedColumns:
    """A dataset's or profile's columns as the cache keeps them, the pickle of one
    flat tuple of their field values, and the function that builds them when
    first read (see ``vedder.cluster.model._packed_columns``)."""

    __slots__ = ("blob", "item_cls", "width")

    def __init__(self, item_cls: type, width: int, blob: bytes) -> None:
        self.item_cls = item_cls
        self.width = width
        self.blob = blob

    def __call__(self) -> list[Any]:
        try:
            flat = load(io.BytesIO(self.blob))
        except Exception:
            flat = None
        if type(flat) is not tuple or len(flat) % self.width:
            from vedder.errors import ClusterError

            raise ClusterError(
                "the cluster cache is corrupt",
                hint="delete .vedder/cluster-cache.pickle; the next command rebuilds it",
            )
        return list(starmap(self.item_cls, zip(*[iter(flat)] * self.width, strict=False)))


def _packed(cls: type, list_field: str, item_cls: type, builder: Any) -> Any:
    """A reducer that stores ``cls``'s list of ``item_cls`` as the pickle of one flat tuple.

    A repository has hundreds of thousands of columns: one bytes object per
    dataset unpickles much faster than an object per column and per string,
    and ``builder`` (below) leaves it packed until the columns are first read.
    """
    names = _fields(cls)
    index = names.index(list_field)
    values = attrgetter(*names)
    others = attrgetter(*(name for name in names if name != list_field))
    item_values = attrgetter(*_fields(item_cls))
    plain = _reducer(cls)

    def reduce(obj: Any) -> Any:
        if list_field not in obj.__dict__:  # still packed: stored as it came
            packed = obj.__dict__.get("_packed_columns")
            if type(packed) is _PackedColumns and packed.item_cls is item_cls:
                fields = others(obj)
                return builder, (*fields[:index], packed.blob, *fields[index:])
        fields = values(obj)
        items = fields[index]
        if type(items) is not list or not all(type(item) is item_cls for item in items):
            return plain(obj)
        flat = tuple(chain.from_iterable(map(item_values, items)))
        return builder, (*fields[:index], _dumps(flat), *fields[index + 1 :])

    return reduce


def _unpacker(name: str, cls: type, list_field: str, item_cls: type) -> Any:
    """The inverse of :func:`_packed`, to be stored in this module as ``name``."""
    index = _fields(cls).index(list_field)
    width = len(_fields(item_cls))

    def build(*fields: Any) -> Any:
        blob = fields[index]
        if type(blob) is not bytes:
            raise pickle.UnpicklingError(f"malformed {cls.__name__} in the cluster cache")
        obj = cls(*fields[:index], [], *fields[index + 1 :])
        del obj.__dict__[list_field]
        obj.__dict__["_packed_columns"] = _PackedColumns(item_cls, width, blob)
        return obj

    build.__name__ = build.__qualname__ = name  # what pickle stores and looks up
    return build


_dataset = _unpacker("_dataset", Dataset, "columns", Column)
_profile = _unpacker("_profile", Profile, "columns", ColumnProfile)
_BUILDERS = {"_dataset": _dataset, "_profile": _profile}

_REDUCERS = {cls: _reducer(cls) for cls in _MODEL_CLASSES}
_REDUCERS[Dataset] = _packed(Dataset, "columns", Column, _dataset)
_REDUCERS[Profile] = _packed(Profile, "columns", ColumnProfile, _profile)
_ALLOWED = {
    **{(Cluster.__module__, cls.__name__): cls for cls in _MODEL_CLASSES},
    **{(__name__, name): builder for name, builder in _BUILDERS.items()},
}


class _ModelUnpickler(pickle.Unpickler):
    """Builds model objects; any other class or function marks the file as corrupt."""

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"unexpected {module}.{name} in the cluster cache")
        return found


def _dumps(obj: Any) -> bytes:
    handle = io.BytesIO()
    dump(obj, handle)
    return handle.getvalue()


def dump(obj: Any, handle: IO[bytes]) -> None:
    """Pickle parse results (model objects, lists, dicts, scalars)."""
    pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCERS
    pickler.dump(obj)


def load(handle: IO[bytes]) -> Any:
    """Unpickle what :func:`dump` wrote, refusing anything else."""
    return _ModelUnpickler(handle).load()


def _stamp() -> tuple[Any, ...]:
    """What else a cached parse depends on: the code that parsed, and the SQL parser."""
    import importlib.util  # loaded at start-up already; importlib.metadata is slow to import

    files = [Path(__file__).with_name(name) for name in _CODE]
    spec = importlib.util.find_spec("sqlglot")
    if spec is not None and spec.origin:
        # sqlglot's own files change with its version (and decide what parses).
        files += [Path(spec.origin), Path(spec.origin).with_name("_version.py")]
    return (FORMAT, __version__, sys.version_info[:2], code_stamp(files))


def code_stamp(files: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of each source file: an edited checkout
    changes what the code computes without a version bump."""
    stats = []
    for path in files:
        try:
            stat = path.stat()
            stats.append((path.name, stat.st_size, stat.st_mtime_ns))
        except OSError:
            stats.append((path.name, 0, 0))
    return tuple(stats)


# An edited checkout changes what parsing returns without a version bump.
_CODE = ("load.py", "yamlio.py", "schema.py", "model.py", "cache.py")


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
                data = load(io.BufferedReader(handle, 1 << 20))
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
        """The cached result, or ``MISS``."""
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
        if not write_atomically(self.path, lambda handle: dump(payload, handle)):
            return False
        self.changed = False
        return True


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> bool:
    """Have ``write`` fill a temporary file, then rename it over ``path``: readers see
    the old file or the new one, never half of one. False, and no error, when it
    cannot be written (a read-only checkout, a full disk, something unpicklable):
    a cache that is not written only makes the next run slower."""
    import tempfile

    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        Path(tmp).replace(path)
        tmp = None
        return True
    except Exception:
        return False
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()


MISS = _MISS
