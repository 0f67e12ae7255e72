"""How often the offline answerer is right, wrong, or refuses.

    python benchmarks/bench_offline.py [--show wrong|refused|all] [--db NAME]

Two measurements:

1. The paraphrase proxy (``benchmarks/paraphrase/``): one cluster per defog
   database, built in a temporary folder from its ``<db>.json`` descriptions and
   the vetted pairs in ``<db>.pairs.jsonl`` (the pairs marked ``withheld`` are
   left out). Every question of ``<db>.asked.jsonl`` goes through ``match``:
   a covered question is right when the matched pair is its own (or an
   equivalent one it lists) with the expected substitutions; an uncovered one
   (a withheld pair's paraphrase, a near miss, an unrelated question) must be
   refused.
2. The demo question sets (``examples/questions/*.jsonl``) against the demo
   clusters: answered questions are executed on the demo warehouse and compared
   with the gold SQL's rows (as multisets).

Targets: >90% of covered questions right, <2% of answers wrong, >=90% of
uncovered questions refused.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PARAPHRASE = REPO / "benchmarks" / "paraphrase"
DEFOG = REPO.parent / "shared" / "benchmarks" / "defog" / "databases"
DEMO_QUESTIONS = REPO / "examples" / "questions"
DEMO_WAREHOUSE = REPO / "examples" / "warehouse" / "streaming.duckdb"
COMMAND = "python benchmarks/bench_offline.py"

sys.path.insert(0, str(REPO))

from vedder.answer.match import Match, match  # noqa: E402
from vedder.answer.values import normalise  # noqa: E402
from vedder.cluster.load import load_project  # noqa: E402
from vedder.config import load_config  # noqa: E402
from vedder.retrieve import Index  # noqa: E402


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _yaml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON strings are valid YAML scalars


def write_defog_project(root: Path, databases: Iterable[str]) -> None:
    """One cluster per defog database: manifests from ``<db>.json``, pairs from the proxy."""
    (root / "vedder.yaml").write_text(
        "version: 1\nclusters: clusters\n"
        'warehouses:\n  default: {url: "postgresql://localhost/defog"}\nmodel: offline\n',
        encoding="utf-8",
    )
    for db in databases:
        folder = root / "clusters" / db
        for sub in ("datasets", "pairs", "docs"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        (folder / "cluster.yaml").write_text(
            f"name: {db}\ntitle: {_yaml_text(db.replace('_', ' ').title())}\n"
            f"description: {_yaml_text('The ' + db.replace('_', ' ') + ' database.')}\n"
            "owners:\n  team: benchmark\n",
            encoding="utf-8",
        )
        meta = json.loads((DEFOG / db / f"{db}.json").read_text(encoding="utf-8"))
        for table, columns in meta["table_metadata"].items():
            lines = [f"table: {table}", "columns:"]
            for column in columns:
                lines.append(f"  - name: {column['column_name']}")
                lines.append(f"    type: {_yaml_text(column['data_type'])}")
                if column.get("column_description"):
                    lines.append(f"    description: {_yaml_text(column['column_description'])}")
            name = table.split(".")[-1]
            (folder / "datasets" / f"{name}.yaml").write_text("\n".join(lines) + "\n", "utf-8")
        glossary = (meta.get("glossary") or "").strip()
        if glossary:
            (folder / "docs" / "glossary.md").write_text(f"# Glossary\n\n{glossary}\n", "utf-8")
        for pair in read_jsonl(PARAPHRASE / f"{db}.pairs.jsonl"):
            if pair.get("withheld"):
                continue
            header = [
                f"-- question: {pair['question']}",
                "-- verified_by: defog",
                "-- verified_at: 2024-01-01",
            ]
            (folder / "pairs" / f"{pair['id']}.sql").write_text(
                "\n".join(header) + "\n" + pair["sql"] + "\n", "utf-8"
            )


def _substitutions_ok(found: Match, expected: list[list[str]]) -> bool:
    changes = [(normalise(s.old), normalise(s.new)) for s in found.substitutions]
    if not expected:
        return not changes
    return all(
        any(normalise(old) in o and normalise(new) in n for o, n in changes)
        for old, new in expected
    )


def judge(found: Match, case: dict[str, Any]) -> str:
    """ "right", "wrong" or "refused" for a covered case; "refused" or "wrong" otherwise."""
    if found.status != "answered":
        return "refused"
    if case["expect"] != "answered":
        return "wrong"
    accepted = {case["pair"], *case.get("also", [])}
    if found.pair is None or found.pair.slug not in accepted:
        return "wrong"
    return "right" if _substitutions_ok(found, case.get("substitutions", [])) else "wrong"


def summarise(title: str, outcomes: list[tuple[dict[str, Any], str]]) -> dict[str, Any]:
    covered = [o for c, o in outcomes if c["expect"] == "answered"]
    uncovered = [o for c, o in outcomes if c["expect"] != "answered"]
    answered = [o for o in covered + uncovered if o in ("right", "wrong")]
    wrong = sum(1 for o in answered if o == "wrong")
    right = sum(1 for o in covered if o == "right")
    refused_uncovered = sum(1 for o in uncovered if o == "refused")
    figures = {
        "covered": len(covered),
        "covered_right": right,
        "covered_right_pct": 100 * right / len(covered) if covered else 0.0,
        "answered": len(answered),
        "wrong": wrong,
        "wrong_pct_of_answered": 100 * wrong / len(answered) if answered else 0.0,
        "uncovered": len(uncovered),
        "uncovered_refused": refused_uncovered,
        "uncovered_refused_pct": 100 * refused_uncovered / len(uncovered) if uncovered else 0.0,
    }
    print(f"\n{title}")
    print(
        f"  covered right:     {figures['covered_right_pct']:5.1f}%  "
        f"({right}/{len(covered)}; target > 90%)"
    )
    print(
        f"  wrong of answered: {figures['wrong_pct_of_answered']:5.1f}%  "
        f"({wrong}/{len(answered)}; target < 2%)"
    )
    print(
        f"  uncovered refused: {figures['uncovered_refused_pct']:5.1f}%  "
        f"({refused_uncovered}/{len(uncovered)}; target >= 90%)"
    )
    kinds = Counter((c.get("kind", c["expect"]), o) for c, o in outcomes)
    print("  by kind: " + ", ".join(f"{k}/{o}={n}" for (k, o), n in sorted(kinds.items())))
    return figures


def _show(case: dict[str, Any], found: Match, outcome: str) -> None:
    expected = case.get("pair") or case.get("near") or case.get("of") or "-"
    got = found.pair.slug if found.pair else "-"
    print(f"  [{outcome}] {case['question']}")
    print(
        f"      expected {case['expect']} {expected}; got {found.status} {got} "
        f"sim={found.similarity:.2f} margin={found.margin:.2f}"
    )
    if found.substitutions:
        print("      substitutions: " + ", ".join(f"{s.old}->{s.new}" for s in found.substitutions))
    if found.reason:
        print(f"      reason: {found.reason}")


def run_proxy(show: str | None, only: str | None) -> dict[str, Any]:
    databases = sorted(p.name.split(".")[0] for p in PARAPHRASE.glob("*.pairs.jsonl"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_defog_project(root, databases)
        project = load_project(load_config(root / "vedder.yaml"), use_cache=False, workers=1)
        errors = [p for p in project.problems if p.severity == "error"]
        if errors:
            for problem in errors[:10]:
                print(f"  project problem: {problem}")
        started = time.perf_counter()
        index = Index.build(project)
        build_ms = (time.perf_counter() - started) * 1000
        outcomes: list[tuple[dict[str, Any], str]] = []
        timings: list[float] = []
        for db in databases:
            if only and db != only:
                continue
            for case in read_jsonl(PARAPHRASE / f"{db}.asked.jsonl"):
                started = time.perf_counter()
                found = match(case["question"], project, index, dialect="postgres")
                timings.append((time.perf_counter() - started) * 1000)
                outcome = judge(found, case)
                outcomes.append((case, outcome))
                if show == "all" or (show and outcome == show):
                    _show(case, found, outcome)
    pairs = sum(len(c.pairs) for c in project.clusters.values())
    title = (
        f"Paraphrase proxy: {len(project.clusters)} defog databases, {pairs} vetted pairs, "
        f"{len(outcomes)} questions (index {build_ms:.0f} ms, "
        f"match median {sorted(timings)[len(timings) // 2]:.1f} ms)"
    )
    return summarise(title, outcomes)


def _rows(connection: Any, sql: str) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(row) for row in connection.execute(sql).fetchall())


def profile_in_memory(config: Any, project: Any) -> int:
    """Profile every dataset that has no profile file, keeping the results in memory only."""
    from vedder.profile import profile_cluster
    from vedder.warehouse import connect

    count = 0
    for cluster in project.clusters.values():
        missing = [name for name in cluster.datasets if name not in cluster.profiles]
        if not missing:
            continue
        with connect(config, cluster.warehouse) as warehouse:
            for outcome in profile_cluster(warehouse, cluster, datasets=missing):
                if outcome.profile is not None:
                    cluster.profiles[outcome.dataset] = outcome.profile
                    count += 1
    return count


def run_demo(show: str | None) -> dict[str, Any] | None:
    sets = sorted(DEMO_QUESTIONS.glob("*.jsonl"))
    if not sets:
        print("\nDemo question sets: none in examples/questions/ yet; skipped")
        return None
    if not DEMO_WAREHOUSE.exists():
        print(f"\nDemo warehouse missing: build it with `make warehouse` ({DEMO_WAREHOUSE})")
        return None
    import duckdb

    config = load_config(REPO / "vedder.yaml")
    project = load_project(config, use_cache=False, workers=1)
    profiled = profile_in_memory(config, project)
    if profiled:
        print(
            f"\n(profiled {profiled} datasets in memory, as `make demo` does with `vedder profile`)"
        )
    index = Index.build(project)
    connection = duckdb.connect(str(DEMO_WAREHOUSE), read_only=True)
    outcomes: list[tuple[dict[str, Any], str]] = []
    for path in sets:
        for case in read_jsonl(path):
            found = match(case["question"], project, index, dialect="duckdb")
            if found.status != "answered" or found.sql is None:
                outcome = "refused"
            elif case["expect"] != "answered":
                outcome = "wrong"
            else:
                try:
                    same = _rows(connection, found.sql) == _rows(connection, case["sql"])
                except duckdb.Error as error:
                    print(f"  could not run: {error}")
                    same = False
                outcome = "right" if same else "wrong"
            outcomes.append((case, outcome))
            if show == "all" or (show and outcome == show):
                _show({**case, "pair": found.pair.slug if found.pair else None}, found, outcome)
    connection.close()
    return summarise(
        f"Demo question sets ({', '.join(p.name for p in sets)}) on the demo warehouse", outcomes
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", choices=["wrong", "refused", "right", "all"], default=None)
    parser.add_argument("--db", default=None, help="only this defog database (proxy)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    proxy = run_proxy(args.show, args.db)
    demo = run_demo(args.show)
    if args.json:
        print(json.dumps({"proxy": proxy, "demo": demo}, indent=2))
    print(f"\nreproduce: {COMMAND}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
