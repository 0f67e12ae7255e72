"""Write a deterministic synthetic cluster monorepo for load benchmarks.

    python benchmarks/make_monorepo.py OUT [--clusters 200 --datasets 10000 --columns 30
                                            --pairs 10000 --docs 1000 --profiles 0
                                            --candidates 0 --seed 1]

The same arguments always produce byte-identical files, so figures measured on
one machine can be reproduced on another. Content is shaped like a real
repository: descriptions of varied length, synonyms on some columns, partitions
and freshness on most datasets, pair SQL of several shapes (filters, joins,
CTEs, window functions) that sqlglot parses, and docs with and without front
matter.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

DOMAINS = [
    "podcasts", "music", "ads", "payments", "search", "playlists", "artists", "growth",
    "devices", "support", "fraud", "catalog", "social", "video", "audiobooks", "events",
]  # fmt: skip
NOUNS = [
    "stream", "listener", "episode", "show", "track", "album", "session", "impression",
    "click", "invoice", "refund", "subscription", "query", "follow", "device", "ticket",
    "signup", "campaign", "creative", "payout", "upload", "review", "share", "like",
]  # fmt: skip
ADJECTIVES = [
    "daily", "weekly", "monthly", "raw", "clean", "enriched", "deduplicated", "sampled",
    "active", "paid", "free", "regional", "global", "hourly", "legacy", "curated",
]  # fmt: skip
COUNTRIES = ["SE", "US", "GB", "DE", "BR", "MX", "JP", "IN", "FR", "NO", "ES", "AU"]
FIRST_NAMES = ["alice", "bob", "chen", "dana", "emil", "fatima", "goran", "hana", "ivan", "jo"]

# (name, type, description, synonyms): the column pool datasets draw from.
COLUMN_POOL: list[tuple[str, str, str, list[str]]] = [
    ("country", "VARCHAR", "ISO 3166 alpha-2 country of the user at event time.", ["market"]),
    ("event_date", "DATE", "Day the event happened, in UTC.", ["day", "date"]),
    ("event_ts", "TIMESTAMP", "Exact time of the event, in UTC.", []),
    ("user_id", "BIGINT", "Pseudonymous user id; ids below 100 are test accounts.", ["account"]),
    ("listener_id", "BIGINT", "Stable id of the listener across devices.", ["user"]),
    ("platform", "VARCHAR", "Client platform: ios, android, web or desktop.", ["client", "os"]),
    ("ms_played", "BIGINT", "Milliseconds of playback in this row.", ["playtime", "duration"]),
    (
        "revenue_eur",
        "DECIMAL(18,4)",
        "Recognised revenue converted to EUR at the daily rate.",
        ["income", "sales"],
    ),
    ("is_premium", "BOOLEAN", "Whether the user had a paid plan at event time.", ["paid"]),
    ("content_id", "VARCHAR", "URI of the played item.", ["item"]),
    ("product", "VARCHAR", "Subscription product name at event time.", ["plan", "tier"]),
    ("age_bucket", "VARCHAR", "Self-reported age group, bucketed (18-24, 25-34, ...).", ["age"]),
    (
        "source",
        "VARCHAR",
        "Where the event was triggered from (search, home, playlist...).",
        ["origin", "surface"],
    ),
    ("session_id", "VARCHAR", "Client session; resets after 30 minutes of inactivity.", []),
    ("amount", "DECIMAL(18,2)", "Amount in the transaction currency.", ["value"]),
    ("currency", "VARCHAR", "ISO 4217 currency code.", []),
    ("status", "VARCHAR", "Lifecycle state: created, active, cancelled or expired.", ["state"]),
    ("campaign_id", "BIGINT", "Advertising campaign the impression belongs to.", []),
    ("clicks", "INTEGER", "Clicks attributed within 24 hours.", []),
    ("impressions", "INTEGER", "Served impressions, after bot filtering.", ["views"]),
]


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(NOUNS + ADJECTIVES) for _ in range(n))


def _sentence(rng: random.Random) -> str:
    text = (
        f"{rng.choice(ADJECTIVES).capitalize()} {rng.choice(NOUNS)} data "
        f"for {rng.choice(DOMAINS)} reporting, {_words(rng, rng.randint(3, 12))}."
    )
    return text


def _q(text: str) -> str:
    """Quote a YAML scalar only when it would otherwise change meaning."""
    if any(ch in text for ch in ":#{}[],&*!|>'\"%@`") or text.strip() != text:
        return "'" + text.replace("'", "''") + "'"
    return text


def _columns(rng: random.Random, count: int, stem: str) -> list[tuple[str, str, str, list[str]]]:
    picked = rng.sample(COLUMN_POOL, min(count, len(COLUMN_POOL)))
    for i in range(len(picked), count):
        noun = rng.choice(NOUNS)
        picked.append(
            (
                f"{noun}_{rng.choice(['count', 'id', 'type', 'name', 'flag'])}_{i}",
                rng.choice(["VARCHAR", "BIGINT", "DOUBLE", "DATE", "BOOLEAN"]),
                f"The {noun} {_words(rng, rng.randint(2, 8))} of the {stem.replace('_', ' ')}.",
                [rng.choice(NOUNS)] if rng.random() < 0.3 else [],
            )
        )
    return picked


def _dataset_yaml(
    rng: random.Random, table: str, columns: list[tuple[str, str, str, list[str]]]
) -> str:
    lines = [f"table: {table}", f"description: {_q(_sentence(rng))}"]
    names = [c[0] for c in columns]
    date_col = next((n for n in names if n.endswith("date")), None)
    if date_col and rng.random() < 0.8:
        lines.append(f"partition: {{column: {date_col}, granularity: day}}")
        lines.append(f"freshness: {{column: {date_col}, warn_after: 2d, error_after: 7d}}")
    lines.append("columns:")
    for name, typ, description, synonyms in columns:
        lines.append(f"  - name: {name}")
        lines.append(f"    type: {typ}")
        lines.append(f"    description: {_q(description)}")
        if synonyms:
            lines.append(f"    synonyms: [{', '.join(synonyms)}]")
        if rng.random() < 0.02:
            lines.append(f"    avoid: {_q('Deprecated; use ' + rng.choice(names) + ' instead.')}")
    return "\n".join(lines) + "\n"


def _profile_yaml(
    rng: random.Random, name: str, table: str, columns: list[tuple[str, str, str, list[str]]]
) -> str:
    rows = rng.randint(1_000, 5_000_000_000)
    lines = [
        "# Written by `vedder profile`; regenerate instead of editing.",
        f"dataset: {name}",
        f"table: {table}",
        "profiled_at: '2026-11-25T17:00:00Z'",
        f"duration_ms: {rng.uniform(10, 9000):.1f}",
        f"row_count: {rows}",
        "sample: null" if rows < 10_000_000 else "sample: 0.01",
        "partition: {column: event_date, min: '2024-01-01', max: '2026-11-20'}",
        "columns:",
    ]
    for col, typ, _description, _synonyms in columns:
        distinct = rng.randint(1, rows)
        lines += [
            f"  - name: {col}",
            f"    type: {typ}",
            f"    null_fraction: {rng.random() * 0.1:.4f}",
            f"    distinct_count: {distinct}",
            f"    distinct_approximate: {'true' if rows > 1_000_000 else 'false'}",
        ]
        if typ == "VARCHAR":
            lines += ["    min: AR", "    max: ZA", "    top_values:"]
            share = 0.5
            for value in rng.sample(COUNTRIES, 5):
                share *= rng.uniform(0.3, 0.9)
                lines.append(
                    f"      - {{value: {value}, count: {int(rows * share)}, share: {share:.4f}}}"
                )
        else:
            lines += [f"    min: {rng.randint(0, 100)}", f"    max: {rng.randint(100, 10**9)}"]
    return "\n".join(lines) + "\n"


def _pair_sql(rng: random.Random, tables: list[tuple[str, list[str]]]) -> tuple[list[str], str]:
    """Questions and a SQL statement over this cluster's tables (several shapes)."""
    table, cols = rng.choice(tables)
    group = rng.choice(cols)
    measure = rng.choice(cols)
    country = rng.choice(COUNTRIES)
    shape = rng.randrange(5)
    noun = rng.choice(NOUNS)
    questions = [f"How many {noun}s by {group.replace('_', ' ')} in {country} last week?"]
    if shape == 0:
        sql = (
            f"SELECT count(DISTINCT {measure}) AS n\nFROM {table}\n"
            f"WHERE {group} IS NOT NULL AND {measure} IS NOT NULL\n"
            f"  AND {rng.choice(cols)} >= {rng.randint(1, 1000)};"
        )
    elif shape == 1:
        sql = (
            f"SELECT {group}, count(*) AS n, count(DISTINCT {measure}) AS distinct_n\n"
            f"FROM {table}\nWHERE {rng.choice(cols)} = '{country}'\n"
            f"GROUP BY {group}\nORDER BY n DESC\nLIMIT {rng.choice([5, 10, 20, 100])};"
        )
    elif shape == 2:
        other, other_cols = rng.choice(tables)
        key = rng.choice(other_cols)
        sql = (
            f"SELECT a.{group}, sum(b.{key}) AS total\nFROM {table} AS a\n"
            f"JOIN {other} AS b ON a.{measure} = b.{key}\n"
            f"WHERE a.{group} IN ('{country}', '{rng.choice(COUNTRIES)}')\n"
            f"GROUP BY a.{group};"
        )
    elif shape == 3:
        sql = (
            f"WITH per_day AS (\n  SELECT {group} AS k, count(*) AS n\n  FROM {table}\n"
            f"  GROUP BY {group}\n)\nSELECT k, n, n * 1.0 / sum(n) OVER () AS share\n"
            f"FROM per_day\nORDER BY share DESC\nLIMIT 10;"
        )
    else:
        sql = (
            f"SELECT {group}, {measure},\n"
            f"       row_number() OVER (PARTITION BY {group} ORDER BY {measure} DESC) AS rank\n"
            f"FROM {table}\nQUALIFY rank <= 3;"
        )
    for _ in range(rng.choice([0, 0, 1, 2])):
        questions.append(f"{rng.choice(ADJECTIVES).capitalize()} {noun} {_words(rng, 3)}?")
    return questions, sql


def _pair_file(rng: random.Random, questions: list[str], sql: str, candidate: bool) -> str:
    header = [f"-- question: {q}" for q in questions]
    if candidate:
        header += ["-- status: candidate", f"-- source: query-log#{rng.randint(1, 10**6)}"]
    else:
        header += [
            f"-- verified_by: {rng.choice(FIRST_NAMES)}@example.com",
            f"-- verified_at: 2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        ]
    header.append(f"-- tags: {', '.join(rng.sample(NOUNS, rng.randint(1, 3)))}")
    return "\n".join(header) + "\n" + sql + "\n"


def _doc(rng: random.Random, datasets: list[str]) -> str:
    title = f"{rng.choice(ADJECTIVES).capitalize()} {rng.choice(NOUNS)} definitions"
    body = [f"# {title}", ""]
    for _ in range(rng.randint(2, 8)):
        body.append(" ".join(_sentence(rng) for _ in range(rng.randint(1, 5))))
        body.append("")
    if rng.random() < 0.6:
        tags = ", ".join(rng.sample(NOUNS, 2))
        front = [
            "---",
            f"title: {title}",
            f"tags: [{tags}]",
            f"datasets: [{', '.join(rng.sample(datasets, min(2, len(datasets))))}]",
            "---",
        ]
        return "\n".join(front + body)
    return "\n".join(body)


def _spread(total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` near-equal counts."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def generate(
    out: Path,
    *,
    clusters: int = 200,
    datasets: int = 10_000,
    columns: int = 30,
    pairs: int = 10_000,
    docs: int = 1_000,
    profiles: int = 0,
    candidates: int = 0,
    seed: int = 1,
) -> None:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    root = out / "clusters"
    root.mkdir(parents=True)
    (out / "vedder.yaml").write_text(
        "version: 1\nclusters: clusters\nwarehouses:\n"
        '  default: {url: "duckdb:///warehouse.duckdb"}\nmodel: offline\n',
        encoding="utf-8",
    )
    per = {
        "datasets": _spread(datasets, clusters),
        "pairs": _spread(pairs, clusters),
        "docs": _spread(docs, clusters),
        "profiles": _spread(profiles, clusters),
        "candidates": _spread(candidates, clusters),
    }
    for c in range(clusters):
        domain = DOMAINS[c % len(DOMAINS)]
        name = f"{domain}-{c:04d}"
        folder = root / name
        for sub in ("datasets", "profiles", "docs", "pairs", "candidates"):
            (folder / sub).mkdir(parents=True)
        team = f"{domain}-insights"
        (folder / "cluster.yaml").write_text(
            f"name: {name}\n"
            f"title: {domain.capitalize()} {rng.choice(NOUNS)}s ({c})\n"
            f"description: {_q(_sentence(rng))}\n"
            f"owners:\n  team: {team}\n"
            f"  contacts: [{rng.choice(FIRST_NAMES)}@example.com]\n"
            f"topics: [{', '.join(rng.sample(NOUNS, 4))}]\n"
            "warehouse: default\n",
            encoding="utf-8",
        )
        tables: list[tuple[str, list[str]]] = []
        stems: list[str] = []
        for d in range(per["datasets"][c]):
            stem = f"{rng.choice(ADJECTIVES)}_{rng.choice(NOUNS)}s_{d:03d}"
            table = f"{domain}_{c:04d}.{stem}"
            cols = _columns(rng, columns, stem)
            (folder / "datasets" / f"{stem}.yaml").write_text(
                _dataset_yaml(rng, table, cols), encoding="utf-8"
            )
            if d < per["profiles"][c]:
                (folder / "profiles" / f"{stem}.yaml").write_text(
                    _profile_yaml(rng, stem, table, cols), encoding="utf-8"
                )
            tables.append((table, [col[0] for col in cols]))
            stems.append(stem)
        if not tables:
            tables = [(f"{domain}.events", ["country", "event_date", "user_id"])]
            stems = ["events"]
        for kind, count in (("pairs", per["pairs"][c]), ("candidates", per["candidates"][c])):
            for p in range(count):
                questions, sql = _pair_sql(rng, tables)
                text = _pair_file(rng, questions, sql, candidate=kind == "candidates")
                (folder / kind / f"{rng.choice(NOUNS)}-{p:04d}.sql").write_text(
                    text, encoding="utf-8"
                )
        for k in range(per["docs"][c]):
            (folder / "docs" / f"{rng.choice(NOUNS)}-{k:03d}.md").write_text(
                _doc(rng, stems), encoding="utf-8"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write (replaced if it exists)")
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=30)
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--docs", type=int, default=1_000)
    parser.add_argument("--profiles", type=int, default=0, help="datasets that have a profile")
    parser.add_argument("--candidates", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.clusters < 1:
        parser.error("--clusters must be at least 1")
    generate(
        args.out,
        clusters=args.clusters,
        datasets=args.datasets,
        columns=args.columns,
        pairs=args.pairs,
        docs=args.docs,
        profiles=args.profiles,
        candidates=args.candidates,
        seed=args.seed,
    )
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
