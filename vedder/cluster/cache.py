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

Unpickling runs code named in the file, and a repository can hold a crafted
``.vedder/`` (a pull request from a fork, run by CI), so the reader only
accepts the model classes and plain containers; anything else marks the cache
corrupt.
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
from vedder.cluster import model

CACHE_NAME = "cluster-cache.pickle"
# Bump when what a parse returns changes shape or meaning.
FORMAT = 1

# Files modified this recently may change again within the file system's
# timestamp resolution without their stat changing; leave them out of the
# cache so the next load reparses them (the "racy git" problem).
RACY_WINDOW_NS = 2_000_000_000

Entry = tuple[int, int, str, Any]  # size, mtime_ns, parse key (e.g. SQL dialect), result

_ALLOWED = frozenset(
    name
    for name in dir(model)
    if isinstance(getattr(model, name), type) and getattr(model, name).__module__ == model.__name__
)
_MISS: Any = object()


class _ModelUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == model.__name__ and name in _ALLOWED:
            return getattr(model, name)
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
                data = _ModelUnpickler(io.BufferedReader(handle, 1 << 20)).load()
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
        tmp: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{CACHE_NAME}.")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
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
