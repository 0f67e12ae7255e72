"""The per-file load cache: hits, invalidation, and robustness against bad cache files."""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from vedder.cluster import cache as cache_module
from vedder.cluster import load, model
from vedder.cluster.cache import CACHE_NAME
from vedder.cluster.load import load_project
from vedder.config import Config, load_config

GOOD = Path(__file__).parent / "fixtures" / "clusters" / "good"
PAST = 1_700_000_000


@pytest.fixture
def config(tmp_path: Path) -> Config:
    root = tmp_path / "good"
    shutil.copytree(GOOD, root)
    # Files written this second are never cached (their stat could still change
    # unseen), so date the copies in the past.
    for folder, _, files in os.walk(root):
        for file in files:
            os.utime(Path(folder, file), (PAST, PAST))
    return load_config(root / "vedder.yaml")


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths parsed, in this process (the good project is far below the parallel threshold)."""
    seen: list[str] = []
    real = load._parse_file

    def counting(root: str, rel: str, kind: str, dialect: str) -> Any:
        seen.append(rel)
        return real(root, rel, kind, dialect)

    monkeypatch.setattr(load, "_parse_file", counting)
    return seen


def test_second_load_reparses_nothing(config: Config, parses: list[str]) -> None:
    first = load_project(config)
    assert len(parses) == 11
    assert (config.cache_dir / CACHE_NAME).is_file()
    parses.clear()
    second = load_project(config)
    assert parses == []
    assert second == first


def test_cached_load_equals_uncached_load_field_for_field(config: Config) -> None:
    load_project(config)
    cached = load_project(config)
    fresh = load_project(config, use_cache=False)
    assert dataclasses.asdict(cached) == dataclasses.asdict(fresh)


def test_a_changed_file_is_reparsed_alone(config: Config, parses: list[str]) -> None:
    load_project(config)
    streams = config.root / "clusters/podcasts/datasets/streams.yaml"
    streams.write_text(
        streams.read_text(encoding="utf-8").replace("One row per", "A row per"), encoding="utf-8"
    )
    os.utime(streams, (PAST + 10, PAST + 10))
    parses.clear()
    project = load_project(config)
    assert parses == ["clusters/podcasts/datasets/streams.yaml"]
    description = project.clusters["podcasts"].datasets["streams"].description
    assert description == "A row per stream of at least 30 seconds."


def test_added_and_removed_files(config: Config, parses: list[str]) -> None:
    load_project(config)
    (config.root / "clusters/podcasts/docs/gotchas.md").unlink()
    new = config.root / "clusters/podcasts/docs/new.md"
    new.write_text("# New\n", encoding="utf-8")
    os.utime(new, (PAST, PAST))
    parses.clear()
    project = load_project(config)
    assert parses == ["clusters/podcasts/docs/new.md"]
    assert sorted(d.name for d in project.clusters["podcasts"].docs) == ["definitions", "new"]
    parses.clear()
    load_project(config)
    assert parses == []


def test_recently_modified_files_are_not_cached(config: Config, parses: list[str]) -> None:
    # Within the file system's timestamp resolution, a file can change again
    # without its stat changing; such files are parsed on every load.
    (config.root / "clusters/music/pairs/top-artists.sql").touch()
    load_project(config)
    parses.clear()
    load_project(config)
    assert parses == ["clusters/music/pairs/top-artists.sql"]


def test_a_different_dialect_reparses_pairs(config: Config, parses: list[str]) -> None:
    load_project(config)
    cluster_yaml = config.root / "clusters/podcasts/cluster.yaml"
    cluster_yaml.write_text(
        cluster_yaml.read_text(encoding="utf-8").replace("warehouse: default", "warehouse: pg"),
        encoding="utf-8",
    )
    os.utime(cluster_yaml, (PAST + 10, PAST + 10))
    parses.clear()
    load_project(config)
    assert sorted(parses) == [
        "clusters/podcasts/candidates/avg-minutes.sql",
        "clusters/podcasts/cluster.yaml",
        "clusters/podcasts/pairs/listeners-se.sql",
        "clusters/podcasts/pairs/top-shows.sql",
    ]


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage", b"\x80\x05K\x01.", pickle.dumps({"stamp": ("old",), "entries": {}})],
    ids=["empty", "garbage", "not-a-dict", "old-version"],
)
def test_a_corrupt_or_old_cache_is_ignored_and_rebuilt(
    config: Config, parses: list[str], content: bytes
) -> None:
    expected = load_project(config, use_cache=False)
    config.cache_dir.mkdir()
    (config.cache_dir / CACHE_NAME).write_bytes(content)
    parses.clear()
    assert load_project(config) == expected
    assert len(parses) == 11
    parses.clear()
    load_project(config)
    assert parses == []  # rebuilt


def test_a_truncated_cache_is_ignored(config: Config, parses: list[str]) -> None:
    load_project(config)
    path = config.cache_dir / CACHE_NAME
    path.write_bytes(path.read_bytes()[:-100])
    parses.clear()
    load_project(config)
    assert len(parses) == 11


class _Exploit:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (os.environ["EXPLOIT_MARKER"],))


def test_a_crafted_cache_runs_no_code(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "pwned"
    monkeypatch.setenv("EXPLOIT_MARKER", str(marker))
    config.cache_dir.mkdir()
    payload = {"stamp": cache_module._stamp(), "entries": {"x": _Exploit()}}
    (config.cache_dir / CACHE_NAME).write_bytes(pickle.dumps(payload))
    project = load_project(config)
    assert not marker.exists()
    assert project.problems == []


class _CacheFunction:
    """Names a function of the cache module that is not one of its builders."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (cache_module.FileCache, (os.environ["EXPLOIT_MARKER"],))


class _BadBuilder:
    """Calls a builder with arguments it cannot take."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (cache_module._dataset, ("only", "three", "values"))


@pytest.mark.parametrize("entry", [_CacheFunction(), _BadBuilder()], ids=["function", "builder"])
def test_a_cache_naming_other_code_is_ignored(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: Any
) -> None:
    monkeypatch.setenv("EXPLOIT_MARKER", str(tmp_path / "pwned"))
    config.cache_dir.mkdir()
    payload = {"stamp": cache_module._stamp(), "entries": {"x": entry}}
    (config.cache_dir / CACHE_NAME).write_bytes(pickle.dumps(payload))
    assert cache_module.FileCache.open(config.cache_dir).entries == {}
    assert load_project(config).problems == []


def test_an_unwritable_cache_is_no_error(config: Config) -> None:
    config.cache_dir.write_text("a file where the cache folder should be", encoding="utf-8")
    project = load_project(config)
    assert project.problems == []


def test_no_cache_leaves_no_files(config: Config) -> None:
    load_project(config, use_cache=False)
    assert not config.cache_dir.exists()


def test_the_cache_write_is_atomic(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    load_project(config)
    before = (config.cache_dir / CACHE_NAME).read_bytes()

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    streams = config.root / "clusters/podcasts/datasets/streams.yaml"
    os.utime(streams, (PAST + 10, PAST + 10))
    monkeypatch.setattr(cache_module, "dump", fail)
    load_project(config)
    assert (config.cache_dir / CACHE_NAME).read_bytes() == before
    assert [p.name for p in config.cache_dir.iterdir()] == [CACHE_NAME]  # no temp file left


MODEL_CLASSES = [
    model.Cluster,
    model.Column,
    model.ColumnProfile,
    model.Dataset,
    model.Doc,
    model.Freshness,
    model.Owners,
    model.Pair,
    model.Partition,
    model.Problem,
    model.Profile,
    model.ValueShare,
]


def roundtrip(value: Any) -> Any:
    buffer = io.BytesIO()
    cache_module.dump(value, buffer)
    buffer.seek(0)
    return cache_module.load(buffer)


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: c.__name__)
def test_every_field_of_every_model_class_survives_the_cache(cls: type) -> None:
    # A distinct value in every field, so a field the cache dropped would show.
    instance = cls(**{f.name: f"<{f.name}>" for f in dataclasses.fields(cls)})
    copy = roundtrip([instance])[0]
    assert type(copy) is cls
    assert dataclasses.asdict(copy) == dataclasses.asdict(instance)


def test_columns_are_stored_compactly_and_come_back_whole() -> None:
    columns = [
        model.Column("id", "BIGINT", "the id", ["key"], None, 5),
        model.Column("country", None, None, [], "use market", 8),
    ]
    dataset = model.Dataset("d", "s.t", "clusters/c/datasets/d.yaml", columns=columns)
    shares = [model.ValueShare("SE", 3, 0.5), model.ValueShare(None, 1, 0.1)]
    profile = model.Profile(
        "d", "s.t", "p", columns=[model.ColumnProfile("id", top_values=shares, line=9)]
    )
    buffer = io.BytesIO()
    cache_module.dump([dataset, profile], buffer)
    # One flat tuple per dataset, not an object per column.
    assert buffer.getvalue().count(b"Column") == 0
    copy, profile_copy = roundtrip([dataset, profile])
    assert copy == dataset and profile_copy == profile
    assert [type(c) for c in copy.columns] == [model.Column, model.Column]
    assert type(profile_copy.columns[0]) is model.ColumnProfile
    copy.columns[0].synonyms.append("changed")  # lists are the copy's own
    assert dataset.columns[0].synonyms == ["key"]


def test_cached_cluster_headers_hold_no_children(config: Config) -> None:
    project = load_project(config)
    assert project.clusters["podcasts"].datasets
    with (config.cache_dir / CACHE_NAME).open("rb") as handle:
        entries = cache_module.load(handle)["entries"]
    header = entries["clusters/podcasts/cluster.yaml"][3][0]
    assert header.title == "Podcast consumption"
    assert (header.datasets, header.pairs, header.docs) == ({}, [], [])


def test_a_warm_load_does_not_import_sqlglot(config: Config) -> None:
    load_project(config)
    script = (
        "import sys\n"
        "from vedder.config import load_config\n"
        "from vedder.cluster.load import load_project\n"
        f"project = load_project(load_config({str(config.path)!r}))\n"
        "assert project.clusters['podcasts'].pairs\n"
        "print('sqlglot' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_cached_columns_are_built_when_first_read(config: Config) -> None:
    expected = load_project(config, use_cache=False)
    load_project(config)
    cached = load_project(config)
    streams = cached.clusters["podcasts"].datasets["streams"]
    assert "columns" not in vars(streams)  # still packed
    assert not hasattr(streams, "no_such_field")
    columns = streams.columns
    assert columns is streams.columns and "columns" in vars(streams)
    assert all(type(column) is model.Column for column in columns)
    assert cached == expected  # builds every other dataset's and profile's columns
    profile = cached.clusters["podcasts"].profiles["streams"]
    assert profile.columns == expected.clusters["podcasts"].profiles["streams"].columns


def test_packed_columns_survive_copies_and_new_caches(config: Config) -> None:
    import copy

    expected = load_project(config, use_cache=False)
    load_project(config)
    cached = load_project(config)  # every dataset packed
    dataset = cached.clusters["podcasts"].datasets["streams"]
    assert pickle.loads(pickle.dumps(dataset)) == expected.clusters["podcasts"].datasets["streams"]
    assert copy.deepcopy(dataset).columns == dataset.columns
    # A cache written from packed objects, without building them, reads back whole.
    shows = cached.clusters["podcasts"].datasets["shows"]
    assert "columns" not in vars(shows)
    config.cache_dir.joinpath(CACHE_NAME).unlink()
    cache = cache_module.FileCache(config.cache_dir / CACHE_NAME)
    cache.entries = {"x": (1, 1, "", (shows, []))}
    cache.changed = True
    assert cache.save()
    again = cache_module.FileCache.open(config.cache_dir).entries["x"][3][0]
    assert "columns" not in vars(shows)
    assert again == expected.clusters["podcasts"].datasets["shows"]


def test_a_malformed_packed_dataset_is_a_corrupt_cache() -> None:
    fields = ("d", "s.t", "p", None, None, None, ("only", "five", "of", "six", None), {})
    with pytest.raises(pickle.UnpicklingError):
        cache_module._dataset(*fields)


def test_corrupt_packed_columns_are_a_clear_error_when_read() -> None:
    from vedder.errors import ClusterError

    width = len(dataclasses.fields(model.Column))
    for blob in (b"not a pickle", pickle.dumps(("five", "of", "six", None, None)[: width - 1])):
        fields = ("d", "s.t", "p", None, None, None, blob, {})
        dataset = cache_module._dataset(*fields)  # read back without looking inside
        with pytest.raises(ClusterError, match="cluster cache is corrupt"):
            dataset.columns  # noqa: B018
