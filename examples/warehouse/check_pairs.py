"""Check the example clusters and question sets against the demo warehouse.

    python examples/warehouse/check_pairs.py [--db examples/warehouse/streaming.duckdb]

For every ``clusters/*/pairs/*.sql``: the header has at least one ``question``, a
``verified_by``, a ``verified_at`` date and ``tags``; the SQL parses as one DuckDB statement,
reads only schema-qualified tables that the cluster lists in ``datasets/``, does not depend on
the day it runs, executes on the warehouse (opened read-only) and returns at least one row.

For every line of ``examples/questions/*.jsonl``: the fields are valid, the cluster exists,
answered questions carry gold SQL that executes and returns rows, refused ones carry none, and
no question repeats a pair's ``-- question:`` line word for word.

Exits 0 when everything passes, 1 when something failed, 2 when the warehouse is missing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / "examples" / "warehouse" / "streaming.duckdb"

HEADER_LINE = re.compile(r"^--\s*([a-z_]+)\s*:\s*(.*?)\s*$")
REQUIRED_KEYS = ("question", "verified_by", "verified_at", "tags")
KINDS = {"paraphrase", "substitution", "refuse"}
EXPECTS = {"answered", "not_covered"}
MOVING_TIME = ("current_date", "current_timestamp", "now()", "today()", "get_current_time")
MAX_ROWS = 200  # a vetted answer is a small table, not a dump


@dataclass
class Pair:
    path: Path
    header: dict[str, list[str]]
    sql: str

    @property
    def questions(self) -> list[str]:
        return self.header.get("question", [])


@dataclass
class Report:
    checked: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, where: str, message: str) -> None:
        self.failures.append(f"{where}: {message}")


def parse_pair(path: Path) -> Pair:
    """Split a pair file into its ``-- key: value`` header and the SQL below it."""
    header: dict[str, list[str]] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    body_start = len(lines)
    for index, line in enumerate(lines):
        match = HEADER_LINE.match(line)
        if match:
            header.setdefault(match.group(1), []).append(match.group(2))
            continue
        if line.strip() == "":
            continue
        body_start = index
        break
    return Pair(path, header, "\n".join(lines[body_start:]).strip())


def cluster_tables(cluster_dir: Path) -> set[str]:
    """The tables a cluster lists in its dataset manifests, lower-cased."""
    import yaml

    tables = set()
    for manifest in sorted((cluster_dir / "datasets").glob("*.yaml")):
        data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
        if isinstance(data.get("table"), str):
            tables.add(data["table"].lower())
    return tables


def referenced_tables(sql: str) -> tuple[set[str], list[str]]:
    """Schema-qualified tables the statement reads, and problems found while parsing it."""
    problems: list[str] = []
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as error:
        return set(), [f"does not parse: {str(error).splitlines()[0]}"]
    if len(statements) != 1:
        return set(), [f"expected one statement, found {len(statements)}"]
    tree = statements[0]
    if not isinstance(tree, (exp.Select, exp.Union, exp.Subquery)) and not tree.find(exp.Select):
        problems.append("is not a SELECT")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    tables = set()
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function such as range(...)
        name = table.name.lower()
        if table.db:
            tables.add(f"{table.db}.{name}".lower())
        elif name not in ctes:
            problems.append(f"table {table.name} is not schema-qualified")
    return tables, problems


def run(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description or []]
    return columns, cursor.fetchall()


def check_pairs(root: Path, con: duckdb.DuckDBPyConnection, report: Report) -> dict[str, Pair]:
    """Check every pair file; returns the pairs by their path relative to ``root``."""
    pairs: dict[str, Pair] = {}
    seen_questions: dict[str, str] = {}
    for cluster_dir in sorted(p for p in (root / "clusters").iterdir() if p.is_dir()):
        allowed = cluster_tables(cluster_dir)
        for path in sorted((cluster_dir / "pairs").glob("*.sql")):
            where = str(path.relative_to(root))
            pair = parse_pair(path)
            pairs[where] = pair
            report.checked += 1
            for key in REQUIRED_KEYS:
                if not pair.header.get(key):
                    report.fail(where, f"header has no '-- {key}:' line")
            for when in pair.header.get("verified_at", []):
                try:
                    date.fromisoformat(when)
                except ValueError:
                    report.fail(where, f"verified_at {when!r} is not a YYYY-MM-DD date")
            for question in pair.questions:
                key = question.casefold()
                if key in seen_questions:
                    report.fail(where, f"question {question!r} also in {seen_questions[key]}")
                seen_questions[key] = where
            if any(word in pair.sql.lower() for word in MOVING_TIME):
                report.fail(where, "depends on the day it runs (current_date); use explicit dates")
            tables, problems = referenced_tables(pair.sql)
            for problem in problems:
                report.fail(where, problem)
            for table in sorted(tables - allowed):
                report.fail(
                    where, f"reads {table}, which {cluster_dir.name}/datasets does not list"
                )
            try:
                _, rows = run(con, pair.sql)
            except duckdb.Error as error:
                report.fail(where, f"fails on the warehouse: {str(error).splitlines()[0]}")
                continue
            if not rows:
                report.fail(where, "returns no rows")
            elif len(rows) > MAX_ROWS:
                report.fail(where, f"returns {len(rows)} rows; a vetted answer should be small")
    return pairs


def check_questions(
    root: Path, con: duckdb.DuckDBPyConnection, pairs: dict[str, Pair], report: Report
) -> dict[str, int]:
    """Check every question set line; returns how many questions there are of each kind."""
    clusters = {p.name for p in (root / "clusters").iterdir() if p.is_dir()}
    pair_questions = {q.casefold(): where for where, pair in pairs.items() for q in pair.questions}
    kinds: dict[str, int] = {}
    seen: set[str] = set()
    for path in sorted((root / "examples" / "questions").glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            where = f"{path.relative_to(root)}:{number}"
            if not line.strip():
                continue
            report.checked += 1
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:
                report.fail(where, f"not JSON: {error}")
                continue
            question, cluster = item.get("question"), item.get("cluster")
            expect, kind, sql = item.get("expect"), item.get("kind"), item.get("sql")
            if not isinstance(question, str) or not question.strip():
                report.fail(where, "no question")
                continue
            if question.casefold() in seen:
                report.fail(where, "question appears twice in the question sets")
            seen.add(question.casefold())
            if question.casefold() in pair_questions:
                report.fail(where, f"repeats a question of {pair_questions[question.casefold()]}")
            if cluster is not None and cluster not in clusters:
                report.fail(where, f"cluster {cluster!r} does not exist")
            if expect not in EXPECTS:
                report.fail(where, f"expect must be one of {sorted(EXPECTS)}")
            if kind not in KINDS:
                report.fail(where, f"kind must be one of {sorted(KINDS)}")
            kinds[kind] = kinds.get(kind, 0) + 1
            if expect == "not_covered":
                if sql is not None:
                    report.fail(where, "a question that must be refused has no gold SQL")
                if kind != "refuse":
                    report.fail(where, "a question that must be refused has kind 'refuse'")
                continue
            if cluster is None:
                report.fail(where, "an answered question names its cluster")
            if not isinstance(sql, str) or not sql.strip():
                report.fail(where, "an answered question needs gold SQL")
                continue
            if any(word in sql.lower() for word in MOVING_TIME):
                report.fail(where, "gold SQL depends on the day it runs; use explicit dates")
            tables, problems = referenced_tables(sql)
            for problem in problems:
                report.fail(where, problem)
            if cluster in clusters:
                allowed = cluster_tables(root / "clusters" / cluster)
                for table in sorted(tables - allowed):
                    report.fail(where, f"gold SQL reads {table}, which {cluster} does not list")
            try:
                _, rows = run(con, sql)
            except duckdb.Error as error:
                report.fail(where, f"gold SQL fails: {str(error).splitlines()[0]}")
                continue
            if not rows:
                report.fail(where, "gold SQL returns no rows")
    return kinds


def check_all(
    root: Path = ROOT, db: Path = DEFAULT_DB
) -> tuple[Report, dict[str, Pair], dict[str, int]]:
    """Check pairs and question sets; the entry point tests call."""
    report = Report()
    con = duckdb.connect(str(db), read_only=True)
    try:
        pairs = check_pairs(root, con, report)
        kinds = check_questions(root, con, pairs, report)
    finally:
        con.close()
    return report, pairs, kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="the demo warehouse")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(
            f"{args.db} does not exist; run: python examples/warehouse/generate.py", file=sys.stderr
        )
        return 2

    report, pairs, kinds = check_all(args.root, args.db)
    for failure in report.failures:
        print(f"FAIL {failure}")
    by_cluster: dict[str, int] = {}
    for where in pairs:
        cluster = Path(where).parts[1]
        by_cluster[cluster] = by_cluster.get(cluster, 0) + 1
    print(
        "pairs: "
        + ", ".join(f"{c} {n}" for c, n in sorted(by_cluster.items()))
        + f" (total {len(pairs)})"
    )
    print(
        "questions: "
        + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        + f" (total {sum(kinds.values())})"
    )
    print(f"{report.checked} checked, {len(report.failures)} failed")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
