"""How long ``vedder profile`` takes on the demo's largest table, next to DuckDB's SUMMARIZE.

    python benchmarks/bench_profile.py [--db examples/warehouse/streaming.duckdb] [--runs 3]

SUMMARIZE computes, for every column, an approximate distinct count, min, max, average,
standard deviation, quartiles and null percentage in one statement: the yardstick for "a
profile of the whole table". The target is a profile in at most 1.5x the time of one
SUMMARIZE. Both run through the same read-only Vedder connection (same settings, same
threads), interleaved and alternating which goes first, after one warm-up of each; the
medians are compared. The machine's other load affects both alike.

Without the demo warehouse the script builds it with examples/warehouse/generate.py; with
``--synthetic`` (or without the generator) it benchmarks a 1.5M-row table it makes itself.
Exit code: 0 when the target is met, 1 when not.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from vedder.warehouse.base import Warehouse

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "examples" / "warehouse" / "streaming.duckdb"
GENERATOR = REPO / "examples" / "warehouse" / "generate.py"
TARGET = 1.5

SYNTHETIC_SQL = """
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE OR REPLACE TABLE analytics.streams AS
SELECT
    i AS stream_id,
    TIMESTAMP '2024-01-01' + to_seconds(CAST(i * 61 AS BIGINT)) AS stream_ts,
    DATE '2024-01-01' + CAST(i % 1055 AS INTEGER) AS stream_date,
    CAST(hash(i) % 60000 AS INTEGER) AS user_id,
    CAST(hash(i * 7) % 80000 AS INTEGER) AS track_id,
    ['SE', 'US', 'GB', 'DE', 'FR', 'BR', 'MX', 'AR', 'JP', 'ZA'][
        1 + CAST(hash(i * 3) % 10 AS INTEGER)] AS country_code,
    ['ios', 'android', 'web', 'desktop', 'tv'][1 + CAST(hash(i * 5) % 5 AS INTEGER)] AS device_type,
    CASE WHEN i % 3 = 0 THEN 'playlist' ELSE 'album' END AS source,
    CAST(hash(i * 11) % 300000 AS INTEGER) AS ms_played,
    CASE WHEN i % 9 = 0 THEN CAST(hash(i * 13) % 300000 AS INTEGER) END AS ms_played_legacy,
    i % 25 = 0 AS is_offline
FROM range(1500000) AS t(i);
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEMO, help="DuckDB file (default: the demo)")
    parser.add_argument("--table", help="table to profile (default: the largest)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (median)")
    parser.add_argument("--synthetic", action="store_true", help="bench a synthetic table")
    args = parser.parse_args(argv)

    from vedder.cluster.model import Dataset
    from vedder.profile import profile_dataset
    from vedder.warehouse import open_warehouse

    db = args.db.resolve()
    scratch: tempfile.TemporaryDirectory[str] | None = None
    if args.synthetic or (not db.exists() and not GENERATOR.exists()):
        scratch = tempfile.TemporaryDirectory(prefix="vedder-bench-")
        db = Path(scratch.name) / "synthetic.duckdb"
        print(f"building a synthetic 1.5M-row table in {db}")
        _build_synthetic(db)
    elif not db.exists():
        print(f"{db} is missing; generating it with {GENERATOR.relative_to(REPO)} ...")
        subprocess.run([sys.executable, str(GENERATOR), "--out", str(db)], check=True)

    try:
        warehouse = open_warehouse(f"duckdb:///{db}", name="bench", timeout_s=600)
        with warehouse:
            table = args.table or _largest_table(warehouse)
            rows = warehouse.execute(f"SELECT count(*) FROM {table}").rows[0][0]
            columns = len(warehouse.columns(table))
            dataset = Dataset(name=table.rsplit(".", 1)[-1], table=table, path="bench.yaml")

            def profile() -> None:
                profile_dataset(warehouse, dataset)

            def summarize() -> None:
                warehouse.execute(f"SUMMARIZE {table}")

            # Warm-up: the first read of a file pays for the disk, not for the SQL.
            profile()
            summarize()
            timings: dict[str, list[float]] = {"profile": [], "summarize": []}
            for run in range(args.runs):
                pair: list[tuple[str, Callable[[], None]]] = [
                    ("profile", profile),
                    ("summarize", summarize),
                ]
                for name, work in pair if run % 2 == 0 else reversed(pair):
                    started = time.perf_counter()
                    work()
                    timings[name].append(time.perf_counter() - started)
    finally:
        if scratch is not None:
            scratch.cleanup()

    profiled = statistics.median(timings["profile"])
    summarized = statistics.median(timings["summarize"])
    ratio = profiled / summarized
    met = ratio <= TARGET
    command = "python benchmarks/bench_profile.py" + (
        "" if args.db == DEMO else f" --db {shlex.quote(str(args.db))}"
    )
    if args.synthetic:
        command += " --synthetic"
    if args.table:
        command += f" --table {shlex.quote(args.table)}"
    if args.runs != 3:
        command += f" --runs {args.runs}"
    print(f"table      {table} ({rows:,} rows, {columns} columns) in {db.name}")
    each = f"median of {args.runs}"
    print(f"profile    {profiled * 1000:8.1f} ms  ({each}: {_list(timings['profile'])})")
    print(f"SUMMARIZE  {summarized * 1000:8.1f} ms  ({each}: {_list(timings['summarize'])})")
    print(f"ratio      {ratio:8.2f}x  target <= {TARGET}x: {'met' if met else 'NOT MET'}")
    print(f"reproduce  {command}")
    return 0 if met else 1


def _largest_table(warehouse: Warehouse) -> str:
    rows = warehouse.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "ORDER BY estimated_size DESC, schema_name, table_name LIMIT 1"
    ).rows
    if not rows:
        raise SystemExit("the database has no tables")
    schema, name = rows[0]
    return f"{schema}.{name}"


def _build_synthetic(path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        con.execute(SYNTHETIC_SQL)
    finally:
        con.close()


def _list(values: list[float]) -> str:
    return ", ".join(f"{v * 1000:.0f}" for v in values) + " ms"


if __name__ == "__main__":
    sys.exit(main())
