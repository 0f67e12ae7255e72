"""What the offline matcher works out about a project, kept between runs.

Before it can match a question, the matcher reads every vetted pair of the
clusters the question is routed to: it parses each pair's SQL, reads what each
phrasing asks and gathers the values and words each cluster knows
(:func:`vedder.answer.match.cluster_facts` and friends). That is most of the
time a single ``vedder ask`` spends matching, and it is the same for every
question until a file of the project changes. :class:`PreparedFacts` stands in
for the index's in-memory cache and keeps it under ``.vedder/matcher/``, one
file per cluster, so that a later run reads what an earlier one worked out.

A file is used only when it was written for the same project content (the
loader's :attr:`~vedder.cluster.model.Project.fingerprint`), by the same code
and sqlglot; anything else, or anything unreadable, is ignored and worked out
anew. Like the loader's cache, the files are read by an unpickler that builds
only the matcher's own plain-data classes: a ``.vedder/`` folder may come from
anyone's pull request.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import sqlglot

from vedder import __version__
from vedder.answer.intent import Counted, Intent, Shape, Slot
from vedder.answer.match import ClusterFacts, PairFacts, Phrasing, Said
from vedder.answer.values import Finder, Value, ValueRef
from vedder.cluster.cache import code_stamp, write_atomically
from vedder.cluster.model import Pair, Project

FOLDER = "matcher"
# Bump when what the matcher keeps changes shape or meaning.
FORMAT = 1
_CLASSES: tuple[type, ...] = (ClusterFacts, PairFacts, Phrasing, Said, Counted, Intent, Shape)
_CLASSES += (Slot, Finder, Value, ValueRef)
_ALLOWED = {(cls.__module__, cls.__qualname__): cls for cls in _CLASSES}
# The code whose changes change what is worked out (an edited checkout changes
# it without a version bump).
_CODE = ("match.py", "intent.py", "values.py", "substitute.py", "../retrieve.py")
_MISSING = object()


def _stamp(fingerprint: str) -> tuple[Any, ...]:
    code = code_stamp(Path(__file__).parent / name for name in _CODE)
    return (FORMAT, __version__, sqlglot.__version__, sys.version_info[:2], fingerprint, code)


class _Pickler(pickle.Pickler):
    """Refers to the project's pairs by path instead of copying them."""

    @classmethod
    def writer(cls, stamp: tuple[Any, ...], entries: dict[Any, Any]) -> Callable[[IO[bytes]], None]:
        """What writes one cluster's file."""
        return lambda handle: cls(handle, protocol=pickle.HIGHEST_PROTOCOL).dump(
            {"stamp": stamp, "entries": entries}
        )

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, Pair):
            return ("pair", obj.path)
        return None


class _Unpickler(pickle.Unpickler):
    """Builds the matcher's classes and finds pairs in the project; nothing else."""

    def __init__(self, handle: Any, pairs: dict[str, Pair]) -> None:
        super().__init__(handle)
        self.pairs = pairs

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"unexpected {module}.{name} in the matcher's cache")
        return found

    def persistent_load(self, pid: Any) -> Any:
        if isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "pair" and pid[1] in self.pairs:
            return self.pairs[pid[1]]
        raise pickle.UnpicklingError(f"the matcher's cache names an unknown pair: {pid!r}")


class PreparedFacts(dict[Any, Any]):
    """The matcher's cache, read from and written to one file per cluster.

    Keys are the matcher's: ``(kind, cluster, ...)``. A cluster's file is read
    the first time one of its keys is looked up; :meth:`save` writes the
    clusters that gained entries.
    """

    def __init__(self, project: Project, folder: Path, fingerprint: str) -> None:
        super().__init__()
        self.project = project
        self.folder = folder
        self.stamp = _stamp(fingerprint)
        self._read: set[str] = set()
        self._changed: set[str] = set()

    @classmethod
    def open(cls, project: Project, cache_dir: Path) -> dict[Any, Any]:
        """The cache for ``project``: kept under ``cache_dir`` when its content can be
        identified, a plain dict (nothing kept) when it cannot."""
        fingerprint = project.fingerprint
        if fingerprint is None:
            return {}
        return cls(project, cache_dir / FOLDER, fingerprint)

    def get(self, key: Any, default: Any = None) -> Any:
        found = super().get(key, _MISSING)
        if found is _MISSING and isinstance(key, tuple) and len(key) > 1:
            self._read_cluster(str(key[1]))
            found = super().get(key, _MISSING)
        return default if found is _MISSING else found

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        if isinstance(key, tuple) and len(key) > 1:
            self._changed.add(str(key[1]))

    def _path(self, cluster: str) -> Path:
        return self.folder / f"{cluster}.pickle"

    def _read_cluster(self, cluster: str) -> None:
        if cluster in self._read:
            return
        self._read.add(cluster)
        found = self.project.clusters.get(cluster)
        if found is None:
            return
        try:
            with self._path(cluster).open("rb") as handle:
                pairs = {pair.path: pair for pair in found.pairs}
                data = _Unpickler(handle, pairs).load()
        except Exception:  # missing, unreadable, truncated, foreign: work it out anew
            return
        if not isinstance(data, dict) or data.get("stamp") != self.stamp:
            return
        entries = data.get("entries")
        if not isinstance(entries, dict):
            return
        for key, value in entries.items():
            if isinstance(key, tuple) and len(key) > 1 and key[1] == cluster:
                super().setdefault(key, value)

    def save(self) -> None:
        """Write the clusters that gained entries; quietly nothing when the folder
        cannot be written (a read-only checkout only makes the next run slower)."""
        for cluster in sorted(self._changed):
            self._read_cluster(cluster)  # keep what an earlier run found as well
            entries = {
                key: value
                for key, value in self.items()
                if isinstance(key, tuple) and len(key) > 1 and key[1] == cluster
            }
            write_atomically(self._path(cluster), _Pickler.writer(self.stamp, entries))
        self._changed.clear()
