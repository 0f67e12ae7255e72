"""How fast a large cluster monorepo loads: cold, warm (cached) and peak memory.

    python benchmarks/bench_load.py [--only cold|warm] [--runs 5] [--cold-runs 3]
                                    [generator options]

Generates the synthetic monorepo of ``make_monorepo.py`` into benchmarks/out/
(git-ignored) unless it is already there with the same options, then loads it
in fresh subprocesses, as a command would:

* cold: no cache (``use_cache=False``), parsing every file; median of
  ``--cold-runs``;
* warm: with the cache a previous load wrote, median of ``--runs``. The cache
  leaves each dataset's columns packed until they are first read; two more
  runs report what reading them all afterwards costs, with the garbage
  collector paused (as building the search index does) and running;
* peak memory: the largest ``ru_maxrss`` of the loading process and of the
  worker processes it started.

Targets (two cores): cold < 10 s, warm < 1 s, peak < 1 GiB. Exit code 1 when a
target is missed. Wall times depend on what else runs on the machine, so the
CPU time of all loading processes and the load average are printed too. Cold
time is dominated by sqlglot parsing every pair; its compiled build
(``pip install 'sqlglot[c]'``) parses about twice as fast.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out" / "monorepo"
TARGETS = {"cold_s": 10.0, "warm_s": 1.0, "peak_mib": 1024.0}

# Runs in a fresh interpreter: imports, loads, reports on stdout as JSON.
CHILD = """
import json, resource, sys, time
start = time.perf_counter()
from vedder.config import load_config
from vedder.cluster.load import load_project
project = load_project(load_config(sys.argv[1]), use_cache=sys.argv[2] == "1")
elapsed = time.perf_counter() - start
columns_s = None
if sys.argv[3] != "no":  # then read every column: "paused" or "running" collector
    import gc

    started = time.perf_counter()
    if sys.argv[3] == "paused":
        gc.disable()
    for cluster in project.clusters.values():
        for item in [*cluster.datasets.values(), *cluster.profiles.values()]:
            item.columns
    gc.enable()
    columns_s = time.perf_counter() - started
me = resource.getrusage(resource.RUSAGE_SELF)
workers = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "load_s": elapsed,
    "columns_s": columns_s,
    "cpu_s": me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime,
    "maxrss_mib": me.ru_maxrss / 1024,
    "worker_maxrss_mib": workers.ru_maxrss / 1024,
    "clusters": len(project.clusters),
    "datasets": sum(len(c.datasets) for c in project.clusters.values()),
    "pairs": sum(len(c.pairs) for c in project.clusters.values()),
    "problems": len(project.problems),
    "sqlglot_imported": "sqlglot" in sys.modules,
}))
"""

GENERATOR_OPTIONS = {
    "clusters": 200,
    "datasets": 10_000,
    "columns": 30,
    "pairs": 10_000,
    "docs": 1_000,
    "profiles": 0,
    "candidates": 0,
    "seed": 1,
}


def ensure_monorepo(out: Path, options: dict[str, int]) -> None:
    marker = out / ".options.json"
    if marker.is_file() and json.loads(marker.read_text()) == options:
        return
    print(f"generating {out} ...", file=sys.stderr)
    sys.path.insert(0, str(HERE))
    from make_monorepo import generate

    generate(out, **options)
    marker.write_text(json.dumps(options))


def load_once(out: Path, *, cached: bool, read_columns: str = "no") -> dict[str, float]:
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(out / "vedder.yaml"),
            "1" if cached else "0",
            read_columns,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    report: dict[str, float] = json.loads(done.stdout)
    report["wall_s"] = time.perf_counter() - start  # includes interpreter start-up
    return report


def sqlglot_build() -> str:
    """Pure Python, or compiled (``pip install 'sqlglot[c]'``): it decides cold-load time."""
    from importlib import metadata

    try:
        return f"compiled (sqlglotc {metadata.version('sqlglotc')})"
    except metadata.PackageNotFoundError:
        return "pure Python"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["cold", "warm"])
    parser.add_argument("--runs", type=int, default=5, help="warm runs (median)")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold runs (median)")
    parser.add_argument("--out", type=Path, default=OUT)
    for name, default in GENERATOR_OPTIONS.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args(argv)
    options = {name: getattr(args, name) for name in GENERATOR_OPTIONS}
    ensure_monorepo(args.out, options)

    python = sys.executable
    with_options = " ".join(f"--{k} {v}" for k, v in options.items() if v != GENERATOR_OPTIONS[k])
    base = f"{python} benchmarks/bench_load.py {with_options}".rstrip()
    print(f"monorepo: {args.out} ({', '.join(f'{k}={v}' for k, v in options.items())})")
    print(f"sqlglot: {sqlglot_build()}; CPUs: {os.cpu_count()}; load average: {load_average()}")
    failed = False
    peaks: list[float] = []

    if args.only in (None, "cold"):
        shutil.rmtree(args.out / ".vedder", ignore_errors=True)
        colds = [load_once(args.out, cached=False) for _ in range(args.cold_runs)]
        peaks += [max(r["maxrss_mib"], r["worker_maxrss_mib"]) for r in colds]
        cold = colds[0]
        median = statistics.median(r["wall_s"] for r in colds)
        ok = median < TARGETS["cold_s"]
        failed |= not ok
        walls = [r["wall_s"] for r in colds]
        print(
            f"cold load: median {median:.2f} s wall over {args.cold_runs} runs "
            f"(min {min(walls):.2f}, max {max(walls):.2f}; CPU median "
            f"{statistics.median(r['cpu_s'] for r in colds):.2f} s over all processes; "
            f"{cold['datasets']:.0f} datasets, {cold['pairs']:.0f} pairs, "
            f"{cold['problems']:.0f} problems); target < {TARGETS['cold_s']:.0f} s: "
            f"{'PASS' if ok else 'FAIL'}\n"
            f"  reproduce: {base} --only cold --cold-runs {args.cold_runs}"
        )

    if args.only in (None, "warm"):
        load_once(args.out, cached=True)  # writes the cache when missing or stale
        runs = [load_once(args.out, cached=True) for _ in range(args.runs)]
        peaks += [r["maxrss_mib"] for r in runs]
        median = statistics.median(r["wall_s"] for r in runs)
        ok = median < TARGETS["warm_s"]
        failed |= not ok
        imported = any(r["sqlglot_imported"] for r in runs)
        paused = load_once(args.out, cached=True, read_columns="paused")["columns_s"]
        running = load_once(args.out, cached=True, read_columns="running")["columns_s"]
        print(
            f"warm load: median {median:.2f} s wall over {args.runs} runs "
            f"(min {min(r['wall_s'] for r in runs):.2f}, max {max(r['wall_s'] for r in runs):.2f};"
            f" CPU median {statistics.median(r['cpu_s'] for r in runs):.2f} s; sqlglot "
            f"{'imported' if imported else 'not imported'}); target < {TARGETS['warm_s']:.0f} s: "
            f"{'PASS' if ok else 'FAIL'}\n  then reading every column: {paused:.2f} s "
            f"({running:.2f} s with the garbage collector running)\n"
            f"  reproduce: {base} --only warm --runs {args.runs}"
        )

    print(f"load average after: {load_average()} (other processes compete for the CPUs)")
    peak = max(peaks)
    ok = peak < TARGETS["peak_mib"]
    failed |= not ok
    print(
        f"peak memory: {peak:.0f} MiB (ru_maxrss of the loading process and its workers); "
        f"target < {TARGETS['peak_mib']:.0f} MiB: {'PASS' if ok else 'FAIL'}\n"
        f"  reproduce: {base}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
