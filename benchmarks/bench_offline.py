"""How often the offline answerer is right, wrong, or refuses.

    python benchmarks/bench_offline.py [--show wrong|refused|all] [--db NAME] [--perturb]

Two measurements, and a third on request:

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
3. With ``--perturb``: every phrasing of every demo pair, changed to ask for
   something the pair may not do (a breakdown, a filter, another counted noun,
   the other end of a ranking, an average, a bound of a period, growth, another
   unit). Each variant must be refused or answered with SQL that does it.

Targets: >90% of covered questions right, <2% of answers wrong, >=90% of
uncovered questions refused; no perturbed variant answered wrongly.
"""

from __future__ import annotations

import argparse
import json
import re
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


def demo_project() -> tuple[Any, Index]:
    """The demo clusters, profiled as `make demo` leaves them, and their index."""
    config = load_config(REPO / "vedder.yaml")
    project = load_project(config, use_cache=False, workers=1)
    profiled = profile_in_memory(config, project)
    if profiled:
        print(
            f"\n(profiled {profiled} datasets in memory, as `make demo` does with `vedder profile`)"
        )
    return project, Index.build(project)


def run_demo(show: str | None) -> dict[str, Any] | None:
    sets = sorted(DEMO_QUESTIONS.glob("*.jsonl"))
    if not sets:
        print("\nDemo question sets: none in examples/questions/ yet; skipped")
        return None
    if not DEMO_WAREHOUSE.exists():
        print(f"\nDemo warehouse missing: build it with `make warehouse` ({DEMO_WAREHOUSE})")
        return None
    import duckdb

    project, index = demo_project()
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


# ------------------------------------------------------------------ perturbations
#
# Every phrasing of every demo pair, changed so that it asks for something more or
# else: a breakdown, a filter, another counted noun, the other end of a ranking, an
# average, a bound of a period, growth, another unit. The answerer must refuse the
# variant or answer with a pair whose SQL does what was added; the checks below read
# the answered SQL with sqlglot, independently of the matcher.

Check = Any  # Callable[[exp.Expression, str], bool]: (parsed answer, its SQL) -> does it


def _group_text(tree: Any) -> str:
    from sqlglot import exp

    select = tree.find(exp.Select)
    group = select.args.get("group") if select is not None else None
    if group is None:
        return ""
    aliases = {p.alias.lower(): p.sql().lower() for p in select.expressions if p.alias}
    keys = [k.sql().lower() for k in group.expressions]
    return " ".join(aliases.get(k, k) for k in keys)


def _ordered(tree: Any) -> str | None:
    from sqlglot import exp

    select = tree.find(exp.Select)
    order = select.args.get("order") if select is not None else None
    if order is None or not order.expressions:
        return None
    return "desc" if order.expressions[0].args.get("desc") else "asc"


_PERSONS = ("listeners", "users", "people", "accounts", "subscribers")
_ROWS = ("streams", "plays", "payments", "subscriptions", "episodes", "follows")


def _counts(noun: str) -> Check:
    def check(tree: Any, sql: str) -> bool:
        low = sql.lower()
        if re.search(rf"\bas \w*{noun.rstrip('s')}", low):
            return True  # the vetted pair's own output name says what it counts
        if noun in _PERSONS:  # distinct people: COUNT(DISTINCT ...user_id) or rows of users
            return bool(re.search(r"count\(distinct [\w.]*user_id", low)) or bool(
                re.search(r"from analytics\.users\b", low)
            )
        singular = noun.rstrip("s")
        return "count(*)" in low.replace(" ", "") and bool(
            re.search(rf"from analytics\.\w*{singular}", low)
        )

    return check


def _bounds(sql: str, bound: str, year: int) -> bool:
    """Whether the SQL bounds its period the way "before/after/since <year>" asks: one
    side only (a range over the year itself is "in <year>")."""
    low = sql.lower()

    def compares(ops: str, y: int) -> bool:
        return bool(re.search(rf"(?:{ops})\s*(?:date\s*)?'?{y}", low))

    lower = compares(">=|>", year) or compares(">=|>", year + 1)
    upper = compares("<=|<", year) or compares("<=|<", year + 1)
    if re.search(rf"=\s*{year}\b", low) and not re.search(rf"[<>]=\s*{year}\b", low):
        return False  # year(d) = <year>
    return upper and not lower if bound == "before" else lower and not upper


def perturbations(question: str) -> list[tuple[str, str, Check]]:
    """(family, perturbed question, check of an answer) for one vetted phrasing."""
    stem = question.rstrip("?. ")
    out: list[tuple[str, str, Check]] = []
    for words_, grain in (
        ("by month", "month"), ("per week", "week"), ("by quarter", "quarter"),
        ("per country", "country"), ("by device", "device"), ("for each plan", "plan"),
    ):  # fmt: skip
        out.append(("breakdown", f"{stem} {words_}?", lambda t, s, g=grain: g in _group_text(t)))
    for words_, needle in (
        ("on iOS", "'ios'"), ("from playlists", "'playlist'"), ("paid by card", "'card'"),
        ("on weekends", "dayofweek"), ("for the rock genre", "'rock'"),
        ("in the comedy category", "'comedy'"), ("offline", "is_offline"),
        ("for new users", "signup_date"), ("excluding Sweden", "'se'"),
        ("in euros", "eur"), ("within a week", "interval"), ("including skips", "skip"),
    ):  # fmt: skip
        out.append(("filter", f"{stem} {words_}?", lambda t, s, n=needle: n in s.lower()))
    counted = re.search(r"\b(how many|number of|count of)\s+((?:\w+\s+)?)(\w+s)\b", question, re.I)
    if counted:
        for noun in (*_PERSONS, *_ROWS):
            if noun != counted.group(3).lower():
                changed = question[: counted.start(3)] + noun + question[counted.end(3) :]
                out.append(("counted", changed, _counts(noun)))
        average = (
            question[: counted.start(1)] + "the average number of" + question[counted.end(1) :]
        )
        out.append(("aggregate", average, lambda t, s: "avg(" in s.lower() or "/" in s))
    for a, b, want in (
        ("most", "least", "asc"), ("least", "most", "desc"), ("top", "bottom", "asc"),
        ("bottom", "top", "desc"), ("fewest", "most", "desc"), ("highest", "lowest", "asc"),
    ):  # fmt: skip
        if re.search(rf"\b{a}\b", question, re.I):
            flipped = re.sub(rf"\b{a}\b", b, question, count=1, flags=re.I)
            out.append(("direction", flipped, lambda t, s, w=want: _ordered(t) == w))
    year = re.search(r"\b(?:in|for|during|of) (20\d\d)\b", question)
    if year:
        y = year.group(1)
        for bound in ("before", "after", "since"):
            bounded = question[: year.start()] + f"{bound} {y}" + question[year.end() :]
            out.append(("period", bounded, lambda t, s, b=bound: _bounds(s, b, int(y))))
        versus = question[: year.end()] + f" compared with {int(y) - 1}" + question[year.end() :]
        out.append(("period", versus, lambda t, s: str(int(y) - 1) in s))
        start = question[: year.start()] + f"at the start of {y}" + question[year.end() :]
        out.append(("period", start, lambda t, s: f"<= date '{y}-01-01'" in s.lower()))
        quarter = question[: year.start()] + f"in the first quarter of {y}" + question[year.end() :]
        out.append(("period", quarter, lambda t, s: f"{y}-04-01" in s or f"{y}-03-31" in s))
    out.append(
        (
            "growth",
            f"What was the growth in {stem[0].lower()}{stem[1:]}?",
            lambda t, s: any(g in _group_text(t) for g in ("month", "year", "week")),
        )
    )
    for old, new in (("minutes", "hours"), ("hours", "minutes")):
        if re.search(rf"\b{old}\b", question):
            swapped = re.sub(rf"\b{old}\b", new, question, count=1)
            out.append(("unit", swapped, lambda t, s, n=new: n.rstrip("s") in s.lower()))
    return out


def run_perturbations(show: str | None) -> dict[str, Any] | None:
    if not DEMO_WAREHOUSE.exists():
        print(f"\nDemo warehouse missing: build it with `make warehouse` ({DEMO_WAREHOUSE})")
        return None
    import sqlglot

    project, index = demo_project()
    tally: Counter[tuple[str, str]] = Counter()
    phrasings = 0
    for cluster in project.clusters.values():
        for pair in cluster.pairs:
            for question in pair.questions:
                phrasings += 1
                for family, changed, does_it in perturbations(question):
                    found = match(changed, project, index, dialect="duckdb")
                    if found.status != "answered" or found.sql is None:
                        outcome = "refused"
                    else:
                        tree = sqlglot.parse_one(found.sql, read="duckdb")
                        outcome = "right" if does_it(tree, found.sql) else "wrong"
                    tally[(family, outcome)] += 1
                    if show == "all" or (show and outcome == show):
                        got = found.pair.slug if found.pair else "-"
                        print(f"  [{outcome}] {changed}\n      got {found.status} {got}")
    total = sum(tally.values())
    answered = sum(n for (_, o), n in tally.items() if o != "refused")
    wrong = sum(n for (_, o), n in tally.items() if o == "wrong")
    print(f"\nPerturbed demo phrasings: {total} variants of {phrasings} phrasings of vetted pairs")
    print(f"  answered:          {answered} ({answered - wrong} doing what was asked)")
    print(f"  answered wrongly:  {wrong}  (target 0; the checks are approximate: see --show wrong)")
    families = sorted({f for f, _ in tally})
    print(
        "  by family: "
        + ", ".join(
            f"{f} {tally[(f, 'wrong')]}/{tally[(f, 'wrong')] + tally[(f, 'right')]}"
            f"/{sum(tally[(f, o)] for o in ('wrong', 'right', 'refused'))}"
            for f in families
        )
        + "  (wrong/answered/variants)"
    )
    return {"variants": total, "answered": answered, "wrong": wrong}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", choices=["wrong", "refused", "right", "all"], default=None)
    parser.add_argument("--db", default=None, help="only this defog database (proxy)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--perturb",
        action="store_true",
        help="also perturb every demo phrasing and check refusals (slower, about a minute)",
    )
    args = parser.parse_args(argv)
    proxy = run_proxy(args.show, args.db)
    demo = run_demo(args.show)
    perturbed = run_perturbations(args.show) if args.perturb else None
    if args.json:
        print(json.dumps({"proxy": proxy, "demo": demo, "perturbed": perturbed}, indent=2))
    print(f"\nreproduce: {COMMAND}" + (" --perturb" if args.perturb else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
