"""The SQL guard: cases as data files, the row limit, and a second wall of real engines.

Every ``tests/fixtures/guard/<dialect>/*.sql`` file is one case. Its header says what the
guard must decide::

    -- about: why the case exists (optional)
    -- verdict: allow | refuse
    -- rule: read_only                      (refusals: the check that must refuse)
    -- allowed_tables: analytics.streams     (optional; absent means no restriction,
                                             empty means the cluster lists no tables)
    -- expect_limit: 1000 | none             (optional; the outermost row limit after rewriting)
    -- expect_tables: analytics.streams      (optional; the tables the verdict reports)
    -- row_limit: 50                         (optional; the policy's row limit)

The whole file, header included, is the SQL the guard judges. Allowed DuckDB, SQLite and
PostgreSQL cases also run for real against a small streaming schema.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from vedder import sqlguard
from vedder.errors import ClusterError, ConfigError, GuardRefused
from vedder.sqlguard import (
    FORBIDDEN_FUNCTIONS,
    HINTS,
    RULE_NAMES,
    RULES,
    GuardPolicy,
    Statement,
    check,
    enforce,
    run_guarded,
)
from vedder.warehouse.base import Result, Warehouse

CASES = Path(__file__).resolve().parent / "fixtures" / "guard"
DIALECTS = ("duckdb", "sqlite", "postgres")
HEADER_LINE = re.compile(r"^--\s*([a-z_]+):\s*(.*?)\s*$")
HEADER_KEYS = {
    "about",
    "verdict",
    "rule",
    "allowed_tables",
    "expect_limit",
    "expect_tables",
    "row_limit",
}
LISTED = ("analytics.streams", "analytics.users", "analytics.episodes")


# --------------------------------------------------------------------------- case files


@dataclass(frozen=True)
class GuardCase:
    path: Path
    dialect: str
    sql: str
    header: dict[str, str]

    @property
    def id(self) -> str:
        return f"{self.dialect}/{self.path.stem}"

    @property
    def allow(self) -> bool:
        return self.header["verdict"] == "allow"

    @property
    def rule(self) -> str | None:
        return self.header.get("rule")

    @property
    def allowed_tables(self) -> tuple[str, ...] | None:
        if "allowed_tables" not in self.header:
            return None
        return _names(self.header["allowed_tables"])

    @property
    def policy(self) -> GuardPolicy:
        if "row_limit" in self.header:
            return GuardPolicy(row_limit=int(self.header["row_limit"]))
        return GuardPolicy()


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def load_case(path: Path) -> GuardCase:
    """Read one case file; a malformed header fails loudly instead of testing nothing."""
    sql = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in sql.splitlines():
        match = HEADER_LINE.match(line)
        if not match:
            break
        key, value = match.groups()
        if key not in HEADER_KEYS:
            raise ValueError(f"{path}: unknown header key {key!r}")
        if key in header:
            raise ValueError(f"{path}: {key} given twice")
        header[key] = value
    if header.get("verdict") not in {"allow", "refuse"}:
        raise ValueError(f"{path}: needs '-- verdict: allow' or '-- verdict: refuse'")
    if header["verdict"] == "refuse" and header.get("rule") not in RULE_NAMES:
        raise ValueError(f"{path}: a refusal needs '-- rule:' naming one of {RULE_NAMES}")
    if header["verdict"] == "allow" and "rule" in header:
        raise ValueError(f"{path}: an allowed case names no rule")
    return GuardCase(path=path, dialect=path.parent.name, sql=sql, header=header)


ALL_CASES = [load_case(path) for path in sorted(CASES.glob("*/*.sql"))]
ALLOWED = [case for case in ALL_CASES if case.allow]


def _ids(cases: list[GuardCase]) -> list[str]:
    return [case.id for case in cases]


def outer_limit(sql: str, dialect: str) -> int | None:
    """The row count the outermost query is limited to, or None without a limit."""
    tree = sqlglot.parse_one(sql, read=dialect)
    limit = tree.args.get("limit")
    if limit is None:
        return None
    count = limit.expression if isinstance(limit, exp.Limit) else limit.args.get("count")
    return int(count.name)


# --------------------------------------------------------------------------- the cases


def test_case_files_cover_every_dialect_and_rule() -> None:
    assert len(ALL_CASES) >= 60
    assert {case.dialect for case in ALL_CASES} == set(DIALECTS)
    for dialect in DIALECTS:
        verdicts = {case.header["verdict"] for case in ALL_CASES if case.dialect == dialect}
        assert verdicts == {"allow", "refuse"}, dialect
    assert {case.rule for case in ALL_CASES if not case.allow} == set(RULE_NAMES)


@pytest.mark.parametrize("case", ALL_CASES, ids=_ids(ALL_CASES))
def test_case(case: GuardCase) -> None:
    verdict = check(
        case.sql, dialect=case.dialect, allowed_tables=case.allowed_tables, policy=case.policy
    )
    if not case.allow:
        assert not verdict.allowed, f"allowed: {verdict.sql}"
        assert (verdict.rule, verdict.sql) == (case.rule, ""), verdict.reason
        assert verdict.reason and verdict.reason.endswith("."), verdict.reason
        return

    assert verdict.allowed, verdict.message
    assert verdict.rule is verdict.reason is None
    # The rewritten SQL is one statement in the same dialect, carries no comments, and
    # is a fixed point: judging it again lets it through unchanged.
    statements = sqlglot.parse(verdict.sql, read=case.dialect)
    assert len(statements) == 1 and statements[0] is not None
    assert not any(node.comments for node in statements[0].walk())
    again = check(
        verdict.sql, dialect=case.dialect, allowed_tables=case.allowed_tables, policy=case.policy
    )
    assert (again.allowed, again.sql) == (True, verdict.sql)

    expected_limit = case.header.get("expect_limit")
    if expected_limit == "none":
        assert outer_limit(verdict.sql, case.dialect) is None
    elif expected_limit is not None:
        assert outer_limit(verdict.sql, case.dialect) == int(expected_limit)
    if "expect_tables" in case.header:
        assert sorted(verdict.tables) == sorted(_names(case.header["expect_tables"]))


# --------------------------------------------------------------------------- the row limit


@pytest.mark.parametrize(
    ("dialect", "sql", "expected"),
    [
        ("duckdb", "SELECT * FROM t", "SELECT * FROM t LIMIT 1000"),
        ("duckdb", "SELECT * FROM t LIMIT 10", "SELECT * FROM t LIMIT 10"),
        ("duckdb", "SELECT * FROM t LIMIT 1000", "SELECT * FROM t LIMIT 1000"),
        ("duckdb", "SELECT * FROM t LIMIT 1001", "SELECT * FROM t LIMIT 1000"),
        ("duckdb", "SELECT * FROM t LIMIT 5000 OFFSET 20", "SELECT * FROM t LIMIT 1000 OFFSET 20"),
        ("duckdb", "SELECT * FROM t OFFSET 20", "SELECT * FROM t LIMIT 1000 OFFSET 20"),
        ("duckdb", "(SELECT 1)", "SELECT 1 LIMIT 1000"),
        ("duckdb", "((SELECT 1 LIMIT 3))", "SELECT 1 LIMIT 3"),
        ("duckdb", "SELECT 1 UNION ALL SELECT 2", "SELECT 1 UNION ALL SELECT 2 LIMIT 1000"),
        (
            "duckdb",
            "(SELECT 1 LIMIT 5000) UNION (SELECT 2) LIMIT 2000",
            "(SELECT 1 LIMIT 5000) UNION (SELECT 2) LIMIT 1000",
        ),
        (
            "duckdb",
            "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
            "WITH x AS (SELECT 1 AS a) SELECT a FROM x LIMIT 1000",
        ),
        (
            "duckdb",
            "SELECT * FROM (SELECT * FROM t LIMIT 5000) AS s",
            "SELECT * FROM (SELECT * FROM t LIMIT 5000) AS s LIMIT 1000",
        ),
        (
            "duckdb",
            "SELECT * FROM t LIMIT 10%",
            "SELECT * FROM (SELECT * FROM t LIMIT 10 PERCENT) AS limited LIMIT 1000",
        ),
        (
            "duckdb",
            "SELECT * FROM t LIMIT 2 + 3",
            "SELECT * FROM (SELECT * FROM t LIMIT 2 + 3) AS limited LIMIT 1000",
        ),
        ("duckdb", "VALUES (1), (2)", "VALUES (1), (2)"),
        ("sqlite", "SELECT * FROM t LIMIT 5, 10", "SELECT * FROM t LIMIT 10 OFFSET 5"),
        ("sqlite", "SELECT * FROM t LIMIT 5, 5000", "SELECT * FROM t LIMIT 1000 OFFSET 5"),
        (
            "sqlite",
            "SELECT * FROM t LIMIT -1",
            "SELECT * FROM (SELECT * FROM t LIMIT -1) AS limited LIMIT 1000",
        ),
        (
            "postgres",
            "SELECT * FROM t FETCH FIRST 5 ROWS ONLY",
            "SELECT * FROM t FETCH FIRST 5 ROWS ONLY",
        ),
        (
            "postgres",
            "SELECT * FROM t FETCH FIRST 5000 ROWS ONLY",
            "SELECT * FROM t FETCH FIRST 1000 ROWS ONLY",
        ),
        (
            "postgres",
            "SELECT * FROM t FETCH FIRST ROW ONLY",
            "SELECT * FROM t FETCH FIRST ROWS ONLY",
        ),
        (
            "postgres",
            "SELECT * FROM t ORDER BY a FETCH FIRST 5 ROWS WITH TIES",
            "SELECT * FROM (SELECT * FROM t ORDER BY a FETCH FIRST 5 ROWS WITH TIES) AS limited "
            "LIMIT 1000",
        ),
        (
            "postgres",
            "SELECT * FROM t LIMIT ALL",
            "SELECT * FROM (SELECT * FROM t LIMIT ALL) AS limited LIMIT 1000",
        ),
        (
            "postgres",
            "SELECT * FROM t LIMIT $1",
            "SELECT * FROM (SELECT * FROM t LIMIT $1) AS limited LIMIT 1000",
        ),
        (
            "postgres",
            "(SELECT a FROM t) ORDER BY a LIMIT 5000",
            "(SELECT a FROM t) ORDER BY a LIMIT 1000",
        ),
    ],
)
def test_row_limit_rewriting(dialect: str, sql: str, expected: str) -> None:
    verdict = check(sql, dialect=dialect, allowed_tables=None)
    assert verdict.allowed, verdict.message
    assert verdict.sql == expected


def test_row_limit_follows_the_policy() -> None:
    policy = GuardPolicy(row_limit=25)
    assert enforce("SELECT * FROM t", dialect="duckdb", allowed_tables=None, policy=policy) == (
        "SELECT * FROM t LIMIT 25"
    )
    assert enforce(
        "SELECT * FROM t LIMIT 10", dialect="duckdb", allowed_tables=None, policy=policy
    ) == ("SELECT * FROM t LIMIT 10")
    assert enforce(
        "SELECT * FROM t LIMIT 100", dialect="duckdb", allowed_tables=None, policy=policy
    ) == ("SELECT * FROM t LIMIT 25")


def test_values_beyond_the_row_limit_are_wrapped() -> None:
    sql = "VALUES " + ", ".join(f"({i})" for i in range(5))
    verdict = check(sql, dialect="postgres", allowed_tables=None, policy=GuardPolicy(row_limit=3))
    assert verdict.limited
    assert verdict.sql.startswith("SELECT * FROM (VALUES (0), (1)")
    assert verdict.sql.endswith(") AS limited LIMIT 3")


def test_limited_says_whether_the_guard_changed_the_limit() -> None:
    assert check("SELECT 1", dialect="duckdb", allowed_tables=None).limited
    assert not check("SELECT 1 LIMIT 1", dialect="duckdb", allowed_tables=None).limited


# --------------------------------------------------------------------------- rewriting


def test_tables_are_spelled_as_listed() -> None:
    verdict = check("SELECT streams.country FROM Streams", dialect="duckdb", allowed_tables=LISTED)
    assert verdict.sql == "SELECT streams.country FROM analytics.streams LIMIT 1000"
    assert verdict.tables == ("analytics.streams",)


def test_quoted_names_keep_their_alias_where_case_matters() -> None:
    # In PostgreSQL "STREAMS" is not streams; the reference is pointed at the listed table
    # and keeps the written name as its alias so qualified columns still resolve.
    verdict = check(
        'SELECT "STREAMS".country FROM "Analytics"."STREAMS"',
        dialect="postgres",
        allowed_tables=LISTED,
    )
    assert verdict.sql == (
        'SELECT "STREAMS".country FROM analytics.streams AS "STREAMS" LIMIT 1000'
    )


def test_a_bare_string_is_one_listed_table() -> None:
    verdict = check("SELECT * FROM streams", dialect="duckdb", allowed_tables="analytics.streams")
    assert verdict.tables == ("analytics.streams",)


def test_listed_names_may_be_quoted() -> None:
    verdict = check(
        'SELECT * FROM "Sales Data".orders',
        dialect="postgres",
        allowed_tables=['"Sales Data".orders'],
    )
    assert verdict.sql == 'SELECT * FROM "Sales Data".orders LIMIT 1000'


def test_comments_never_reach_the_warehouse() -> None:
    verdict = check("SELECT 1 -- */ DROP TABLE t; /*\n", dialect="duckdb", allowed_tables=None)
    assert verdict.sql == "SELECT 1 LIMIT 1000"


def test_unrestricted_tables_are_reported() -> None:
    verdict = check(
        "SELECT * FROM Analytics.Streams s JOIN users u USING (user_id)",
        dialect="duckdb",
        allowed_tables=None,
    )
    assert verdict.tables == ("analytics.streams", "users")


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("sql", ["", "   \n", ";", ";;", "-- nothing\n", "/* */"])
def test_empty_input_is_refused(sql: str) -> None:
    assert check(sql, dialect="duckdb", allowed_tables=None).rule == "single_statement"


def test_refusal_names_the_rule_and_says_why() -> None:
    with pytest.raises(GuardRefused) as raised:
        enforce("INSERT INTO t VALUES (1)", dialect="duckdb", allowed_tables=None)
    error = raised.value
    assert error.rule == "read_only"
    assert error.message == (
        "read_only: INSERT writes to the warehouse; Vedder only runs read-only queries."
    )
    assert error.hint == HINTS["read_only"]
    assert error.exit_code == 1


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("duckdb", "UPDATE t SET a = 1"),
        ("duckdb", "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE"),
        ("duckdb", "DROP TABLE t"),
        ("duckdb", "ALTER TABLE t ADD COLUMN b INT"),
        ("duckdb", "DETACH other"),
        ("duckdb", "USE other"),
        ("duckdb", "SUMMARIZE t"),
        ("duckdb", "SHOW TABLES"),
        ("duckdb", "EXPLAIN SELECT 1"),
        ("duckdb", "VACUUM"),
        ("duckdb", "ANALYZE"),
        ("duckdb", "COMMIT"),
        ("duckdb", "ROLLBACK"),
        ("duckdb", "PIVOT t ON a USING sum(b)"),
        ("duckdb", "CREATE SECRET (TYPE s3, KEY_ID 'k', SECRET 's')"),
        ("duckdb", "UNPIVOT t ON a INTO NAME k VALUE v"),
        ("sqlite", "REINDEX"),
        ("sqlite", "DETACH DATABASE other"),
        ("sqlite", "UPDATE t SET a = 1"),
        ("sqlite", "CREATE TRIGGER x AFTER INSERT ON t BEGIN DELETE FROM u; END"),
        ("sqlite", "SAVEPOINT a"),
        ("postgres", "NOTIFY events"),
        ("postgres", "DISCARD ALL"),
        ("postgres", "RESET ALL"),
        ("postgres", "PREPARE p AS SELECT 1"),
        ("postgres", "EXECUTE p"),
        ("postgres", "DECLARE c CURSOR FOR SELECT 1"),
        ("postgres", "LOCK TABLE t"),
        ("postgres", "REFRESH MATERIALIZED VIEW v"),
        ("postgres", "VACUUM FULL t"),
        ("postgres", "SECURITY LABEL ON TABLE t IS 'x'"),
        ("postgres", "ALTER SYSTEM SET fsync = off"),
        ("postgres", "REVOKE ALL ON t FROM PUBLIC"),
        ("postgres", "WITH x AS (MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE) SELECT 1"),
        ("postgres", "SELECT * FROM t FOR NO KEY UPDATE"),
        ("postgres", "SELECT nextval FROM (SELECT 1 AS nextval) s FOR KEY SHARE"),
        ("postgres", "VALUES ((SELECT 1 FROM t FOR UPDATE))"),
    ],
)
def test_statements_that_are_not_read_only_queries(dialect: str, sql: str) -> None:
    verdict = check(sql, dialect=dialect, allowed_tables=None)
    # sqlglot cannot read some of these at all ("parse") or splits them at an inner
    # semicolon ("single_statement"); whichever rule refuses, the statement never runs.
    assert verdict.rule in {"read_only", "parse", "single_statement"}, verdict.sql
    assert not verdict.allowed


FORBIDDEN_CALLS: dict[str, list[str]] = {
    "duckdb": [
        "SELECT * FROM read_csv_auto('x.csv')",
        "SELECT * FROM read_parquet(['a.parquet', 'b.parquet'])",
        "SELECT * FROM parquet_metadata('x.parquet')",
        "SELECT * FROM read_json('x.json')",
        "SELECT * FROM read_json_objects('x.json')",
        "SELECT * FROM read_ndjson_auto('x.json')",
        "SELECT * FROM read_blob('x')",
        "SELECT * FROM read_xlsx('x.xlsx')",
        "SELECT * FROM st_read('x.shp')",
        "SELECT * FROM mysql_query('db', 'SELECT 1')",
        "SELECT * FROM postgres_query('db', 'SELECT 1')",
        "SELECT * FROM sqlite_attach('x.db')",
        "SELECT * FROM iceberg_metadata('s3://x')",
        "SELECT * FROM ducklake_snapshots('lake')",
        "SELECT * FROM duckdb_extensions()",
        "SELECT * FROM pragma_database_list()",
        "SELECT which_secret('s3://x', 's3')",
        "SELECT * FROM load_aws_credentials()",
        "SELECT * FROM checkpoint()",
        "SELECT * FROM dbgen(sf = 1)",
        "SELECT json_execute_serialized_sql('{}')",
        "SELECT * FROM from_substrait('\\x00'::BLOB)",
        "SELECT * FROM http_get('https://example.com')",
        "SELECT nextval('seq')",
        "SELECT 1 FROM (SELECT getenv('HOME') AS h) AS s",
        "SELECT list_transform([1], x -> getenv('HOME'))",
        "SELECT CASE WHEN true THEN current_setting('threads') END",
    ],
    "sqlite": [
        "SELECT readfile('x') || 'y'",
        "SELECT * FROM zipfile('x.zip')",
        "SELECT load_extension('mod_spatialite')",
        "SELECT sqlite_compileoption_get(0)",
        "SELECT * FROM pragma_compile_options()",
        "SELECT (SELECT writefile('x', 'y'))",
    ],
    "postgres": [
        "SELECT * FROM pg_ls_waldir()",
        "SELECT * FROM pg_ls_logdir()",
        "SELECT pg_file_write('x', 'y', false)",
        "SELECT lo_get(16400)",
        "SELECT lo_from_bytea(0, 'x')",
        "SELECT dblink_connect('dbname=x')",
        "SELECT pg_sleep_for('5 minutes')",
        "SELECT pg_advisory_lock(1)",
        "SELECT pg_try_advisory_lock(1)",
        "SELECT pg_create_restore_point('x')",
        "SELECT pg_drop_replication_slot('x')",
        "SELECT * FROM pg_logical_slot_get_changes('x', NULL, NULL)",
        "SELECT pg_switch_wal()",
        "SELECT pg_stat_reset()",
        "SELECT pg_notify('c', 'x')",
        "SELECT setval('s', 1)",
        "SELECT pg_rotate_logfile()",
        "SELECT pg_current_logfile()",
        "SELECT cursor_to_xml('c', 1, false, false, '')",
        "SELECT database_to_xml(true, false, '')",
        "SELECT schema_to_xml('public', true, false, '')",
        "SELECT pg_catalog.set_config('a', 'b', false)",
        "SELECT count(*) FILTER (WHERE pg_read_file('x') IS NOT NULL) FROM t",
    ],
}


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [(dialect, sql) for dialect, calls in FORBIDDEN_CALLS.items() for sql in calls],
)
def test_forbidden_functions_anywhere(dialect: str, sql: str) -> None:
    verdict = check(sql, dialect=dialect, allowed_tables=None)
    assert verdict.rule == "forbidden_function", verdict.message or verdict.sql


@pytest.mark.parametrize("dialect", DIALECTS)
def test_harmless_functions_are_allowed(dialect: str) -> None:
    sql = (
        "SELECT upper(country), coalesce(plan, 'none'), length(country), abs(-1), "
        "round(2.5), lower('READ_CSV'), count(*) FROM users GROUP BY 1, 2, 3, 4, 5, 6"
    )
    assert check(sql, dialect=dialect, allowed_tables=None).allowed


def test_every_family_says_what_it_does() -> None:
    assert all(family.what and family.patterns for family in FORBIDDEN_FUNCTIONS)


def test_extra_forbidden_functions_from_the_policy() -> None:
    policy = GuardPolicy.from_mapping(
        {"extra_forbidden_functions": ["export_to_bucket", "unsafe_*"]}
    )
    for sql in ("SELECT export_to_bucket(1)", "SELECT * FROM UNSAFE_table_fn()"):
        verdict = check(sql, dialect="duckdb", allowed_tables=None, policy=policy)
        assert verdict.rule == "forbidden_function"
        assert "vedder.yaml" in (verdict.reason or "")
    assert check("SELECT safe_fn(1)", dialect="duckdb", allowed_tables=None, policy=policy).allowed


def test_system_catalogs_are_refused_without_a_table_list() -> None:
    for dialect, sql in [
        ("postgres", "SELECT * FROM pg_catalog.pg_settings"),
        ("postgres", "SELECT * FROM pg_user"),
        ("postgres", "SELECT * FROM information_schema.role_table_grants"),
        ("sqlite", "SELECT * FROM sqlite_temp_master"),
        ("sqlite", "SELECT * FROM pragma_compile_options"),
        ("duckdb", "SELECT * FROM duckdb_tables"),
        ("duckdb", "SELECT * FROM pg_catalog.pg_class"),
    ]:
        assert check(sql, dialect=dialect, allowed_tables=None).rule == "system_catalog", sql


def test_listed_tables_do_not_lift_the_system_catalog_rule() -> None:
    verdict = check(
        "SELECT * FROM pg_catalog.pg_shadow",
        dialect="postgres",
        allowed_tables=["pg_catalog.pg_shadow"],
    )
    assert verdict.rule == "system_catalog"


def test_four_part_names_are_refused() -> None:
    verdict = check("SELECT * FROM a.b.c.d", dialect="duckdb", allowed_tables=None)
    assert verdict.rule == "allowed_tables"


def test_an_empty_table_list_allows_no_tables() -> None:
    verdict = check("SELECT * FROM analytics.streams", dialect="duckdb", allowed_tables=[])
    assert verdict.rule == "allowed_tables"
    assert "lists no tables" in (verdict.reason or "")
    assert check("SELECT 1", dialect="duckdb", allowed_tables=[]).allowed


def test_nul_characters_are_refused() -> None:
    verdict = check("SELECT 'a\x00'; DROP TABLE t", dialect="duckdb", allowed_tables=None)
    assert verdict.rule == "parse"


def test_a_check_that_fails_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    def brittle(statement: Statement) -> str | None:
        """Bad: anything. Good: nothing."""
        raise RuntimeError("unexpected tree")

    monkeypatch.setattr(sqlguard, "RULES", (*RULES, brittle))
    verdict = check("SELECT 1", dialect="duckdb", allowed_tables=None)
    assert (verdict.allowed, verdict.rule) == (False, "brittle")
    assert "unexpected tree" in (verdict.reason or "")


def test_fixtures_cover_every_function_family() -> None:
    reasons = []
    for case in ALL_CASES:
        if case.rule == "forbidden_function":
            verdict = check(case.sql, dialect=case.dialect, allowed_tables=case.allowed_tables)
            reasons.append(verdict.reason or "")
    for family in FORBIDDEN_FUNCTIONS:
        assert any(family.what in reason for reason in reasons), family.what


def test_non_text_is_refused() -> None:
    verdict = check(b"SELECT 1", dialect="duckdb", allowed_tables=None)  # type: ignore[arg-type]
    assert verdict.rule == "parse"


def test_parse_reasons_carry_no_terminal_escapes() -> None:
    verdict = check("SELECT FROM WHERE (", dialect="duckdb", allowed_tables=None)
    assert verdict.rule == "parse"
    assert "\x1b" not in (verdict.reason or "")


def test_unknown_dialect_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError):
        check("SELECT 1", dialect="not-a-dialect", allowed_tables=None)


def test_a_listed_name_that_is_not_a_table_is_a_cluster_error() -> None:
    with pytest.raises(ClusterError):
        check("SELECT 1", dialect="duckdb", allowed_tables=["a.b.c.d"])


def test_rules_are_documented() -> None:
    names = [rule.__name__ for rule in RULES]
    assert len(names) == len(set(names))
    for rule in RULES:
        assert rule.__doc__ and "Bad" in rule.__doc__ and "Good" in rule.__doc__, rule.__name__
    assert set(HINTS) == set(RULE_NAMES)


# --------------------------------------------------------------------------- policy


def test_policy_from_the_guard_section() -> None:
    policy = GuardPolicy.from_mapping(
        {"row_limit": 50, "timeout_s": 5, "max_result_bytes": 1000,
         "extra_forbidden_functions": ["My_UDF"]}
    )  # fmt: skip
    assert policy == GuardPolicy(
        row_limit=50,
        timeout_s=5.0,
        max_result_bytes=1000,
        extra_forbidden_functions=frozenset({"my_udf"}),
    )
    assert GuardPolicy.from_mapping({}) == GuardPolicy()
    assert GuardPolicy.from_mapping(None) == GuardPolicy()


@pytest.mark.parametrize(
    "data",
    [
        {"row_limits": 10},
        {"row_limit": 0},
        {"row_limit": True},
        {"row_limit": "1000"},
        {"timeout_s": -1},
        {"max_result_bytes": 1.5},
        {"extra_forbidden_functions": "read_csv"},
        {"extra_forbidden_functions": [1]},
    ],
)
def test_bad_guard_sections_are_configuration_errors(data: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as raised:
        GuardPolicy.from_mapping(data)
    assert raised.value.hint


def test_unknown_keys_are_named() -> None:
    with pytest.raises(ConfigError, match="row_limits") as raised:
        GuardPolicy.from_mapping({"row_limits": 10})
    assert "row_limit" in (raised.value.hint or "")


# --------------------------------------------------------------------------- real engines

COUNTRIES = ("SE", "NO", "DK", "FI", "DE")
PLANS = ("free", "premium", "family")
STREAM_ROWS = 3000


def _users() -> list[tuple[Any, ...]]:
    start = dt.date(2024, 1, 1)
    return [
        (i, COUNTRIES[i % 5], PLANS[i % 3], start + dt.timedelta(days=i % 90))
        for i in range(1, 201)
    ]


def _episodes() -> list[tuple[Any, ...]]:
    start = dt.date(2024, 1, 1)
    return [
        (i, f"Show {i % 7}", f"Episode {i}", start + dt.timedelta(days=i)) for i in range(1, 51)
    ]


def _streams() -> list[tuple[Any, ...]]:
    start = dt.date(2024, 3, 1)
    return [
        (
            i,
            (i * 7) % 250 + 1,
            i % 200 + 1,
            i % 50 + 1,
            COUNTRIES[i % 5],
            start + dt.timedelta(days=i % 61),
            30 + (i * 37) % 3600,
        )
        for i in range(1, STREAM_ROWS + 1)
    ]


SCHEMA = {
    "users": "user_id INTEGER, country VARCHAR(2), plan VARCHAR(16), signup_date DATE",
    "episodes": "episode_id INTEGER, show_name VARCHAR(32), title VARCHAR(64), published_at DATE",
    "streams": (
        "stream_id INTEGER, listener_id INTEGER, user_id INTEGER, episode_id INTEGER, "
        "country VARCHAR(2), stream_date DATE, seconds INTEGER"
    ),
}
ROWS = {"users": _users, "episodes": _episodes, "streams": _streams}


@dataclass
class Engine(Warehouse):
    """A real DB-API connection behind the Warehouse protocol; it records every call.

    The guard's own wall: the engine runs exactly what the guard returns, on a plain
    read-write connection, so nothing but the guard stands between a statement and the data.
    """

    connection: Any = None
    calls: list[tuple[str, int | None, float]] = field(default_factory=list)

    def execute(self, sql: str, *, max_rows: int | None = None) -> Result:
        self.calls.append((sql, max_rows, self.timeout_s))
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            columns = [column[0] for column in cursor.description or ()]
            rows = cursor.fetchall() if max_rows is None else cursor.fetchmany(max_rows + 1)
        finally:
            cursor.close()
        truncated = max_rows is not None and len(rows) > max_rows
        kept = rows if max_rows is None else rows[:max_rows]
        return Result(columns=columns, rows=[tuple(r) for r in kept], truncated=truncated)


@dataclass
class DuckDBEngine(Engine):
    dialect: ClassVar[str] = "duckdb"


@dataclass
class SQLiteEngine(Engine):
    dialect: ClassVar[str] = "sqlite"


@dataclass
class PostgresEngine(Engine):
    dialect: ClassVar[str] = "postgres"


def _load(
    connection: Any,
    placeholder: str,
    *,
    iso_dates: bool = False,
    columnar: bool = False,
    schema: str = "analytics",
) -> None:
    cursor = connection.cursor()
    for table, columns in SCHEMA.items():
        cursor.execute(f"CREATE TABLE {schema}.{table} ({columns})")
        rows = ROWS[table]()
        if iso_dates:  # sqlite3's implicit date adapter is deprecated; dates are ISO text
            rows = [tuple(v.isoformat() if isinstance(v, dt.date) else v for v in r) for r in rows]
        if columnar:
            # DuckDB inserts row by row through executemany, which takes seconds; one list
            # per column, unnested side by side, takes milliseconds.
            lists = ", ".join(["unnest(?)"] * len(rows[0]))
            cursor.execute(
                f"INSERT INTO {schema}.{table} SELECT {lists}",
                [list(c) for c in zip(*rows, strict=True)],
            )
            continue
        marks = ", ".join([placeholder] * len(rows[0]))
        cursor.executemany(f"INSERT INTO {schema}.{table} VALUES ({marks})", rows)
    cursor.close()


@pytest.fixture(scope="module")
def duckdb_warehouse() -> Iterator[DuckDBEngine]:
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA analytics")
    _load(connection, "?", columnar=True)
    yield DuckDBEngine(name="test", url="duckdb:///:memory:", connection=connection)
    connection.close()


@pytest.fixture(scope="module")
def sqlite_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteEngine]:
    folder = tmp_path_factory.mktemp("sqlite")
    connection = sqlite3.connect(folder / "warehouse.db")
    # Schema-qualified names in SQLite are attached databases: analytics is its own file.
    connection.execute("ATTACH DATABASE ? AS analytics", (str(folder / "analytics.db"),))
    _load(connection, "?", iso_dates=True)
    connection.commit()
    url = f"sqlite:///{folder / 'warehouse.db'}"
    yield SQLiteEngine(name="test", url=url, connection=connection)
    connection.close()


@pytest.fixture(scope="module")
def postgres_warehouse(pg_url: str) -> Iterator[PostgresEngine]:
    import psycopg
    from psycopg.conninfo import make_conninfo

    # A database of its own, so concurrent test runs on the same server never collide.
    database = f"vedder_guard_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    connection = psycopg.connect(make_conninfo(pg_url, dbname=database), autocommit=True)
    try:
        connection.execute("CREATE SCHEMA analytics")
        _load(connection, "%s")
        yield PostgresEngine(name="test", url=pg_url, connection=connection)
    finally:
        connection.close()
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def _run_case(warehouse: Engine, case: GuardCase) -> None:
    verdict = check(
        case.sql, dialect=case.dialect, allowed_tables=case.allowed_tables, policy=case.policy
    )
    result = run_guarded(
        warehouse, case.sql, allowed_tables=case.allowed_tables, policy=case.policy
    )
    assert warehouse.calls[-1][:2] == (verdict.sql, case.policy.row_limit)
    assert result.sql == verdict.sql
    assert len(result.rows) <= case.policy.row_limit
    expected = case.header.get("expect_limit")
    if expected and expected != "none":
        assert len(result.rows) <= int(expected)


def _engine_cases(dialect: str) -> list[GuardCase]:
    return [case for case in ALLOWED if case.dialect == dialect]


@pytest.mark.parametrize("case", _engine_cases("duckdb"), ids=_ids(_engine_cases("duckdb")))
def test_allowed_cases_run_on_duckdb(duckdb_warehouse: DuckDBEngine, case: GuardCase) -> None:
    _run_case(duckdb_warehouse, case)


@pytest.mark.parametrize("case", _engine_cases("sqlite"), ids=_ids(_engine_cases("sqlite")))
def test_allowed_cases_run_on_sqlite(sqlite_warehouse: SQLiteEngine, case: GuardCase) -> None:
    _run_case(sqlite_warehouse, case)


@pytest.mark.postgres
@pytest.mark.parametrize("case", _engine_cases("postgres"), ids=_ids(_engine_cases("postgres")))
def test_allowed_cases_run_on_postgres(postgres_warehouse: PostgresEngine, case: GuardCase) -> None:
    _run_case(postgres_warehouse, case)


@pytest.fixture(params=["duckdb", "sqlite"])
def warehouse(
    request: pytest.FixtureRequest,
    duckdb_warehouse: DuckDBEngine,
    sqlite_warehouse: SQLiteEngine,
) -> Engine:
    return duckdb_warehouse if request.param == "duckdb" else sqlite_warehouse


def test_rows_come_back_limited(warehouse: Engine) -> None:
    result = run_guarded(warehouse, "SELECT * FROM streams", allowed_tables=LISTED)
    assert len(result.rows) == 1000
    assert result.truncated  # the guard's LIMIT stopped the engine short of 3000 rows
    assert result.columns[0] == "stream_id"


def test_a_smaller_limit_is_honoured(warehouse: Engine) -> None:
    result = run_guarded(
        warehouse,
        "SELECT stream_id FROM analytics.streams ORDER BY stream_id LIMIT 7",
        allowed_tables=LISTED,
    )
    assert [row[0] for row in result.rows] == list(range(1, 8))
    assert not result.truncated


def test_a_policy_limit_is_honoured(warehouse: Engine) -> None:
    policy = GuardPolicy(row_limit=42)
    result = run_guarded(
        warehouse, "SELECT * FROM analytics.users", allowed_tables=LISTED, policy=policy
    )
    assert len(result.rows) == 42
    assert warehouse.calls[-1][1] == 42


def test_sqlite_unlimited_limit_is_capped(sqlite_warehouse: SQLiteEngine) -> None:
    result = run_guarded(
        sqlite_warehouse, "SELECT * FROM analytics.streams LIMIT -1", allowed_tables=LISTED
    )
    assert len(result.rows) == 1000


def test_result_bytes_are_capped(warehouse: Engine) -> None:
    # Each row is one integer (8) and a two-letter country (2): 200 rows fit 2000 bytes.
    policy = GuardPolicy(max_result_bytes=2000)
    result = run_guarded(
        warehouse,
        "SELECT stream_id, country FROM analytics.streams ORDER BY stream_id",
        allowed_tables=LISTED,
        policy=policy,
    )
    assert len(result.rows) == 200
    assert result.truncated


def test_the_stricter_timeout_applies_for_the_call(warehouse: Engine) -> None:
    warehouse.timeout_s = 60.0
    run_guarded(warehouse, "SELECT 1", allowed_tables=LISTED, policy=GuardPolicy(timeout_s=5))
    assert warehouse.calls[-1][2] == 5.0
    assert warehouse.timeout_s == 60.0
    warehouse.timeout_s = 2.0
    run_guarded(warehouse, "SELECT 1", allowed_tables=LISTED, policy=GuardPolicy(timeout_s=5))
    assert warehouse.calls[-1][2] == 2.0
    warehouse.timeout_s = 30.0


def test_refused_statements_never_reach_the_warehouse(warehouse: Engine) -> None:
    before = len(warehouse.calls)
    with pytest.raises(GuardRefused) as raised:
        run_guarded(warehouse, "DELETE FROM analytics.streams", allowed_tables=LISTED)
    assert raised.value.rule == "read_only"
    assert len(warehouse.calls) == before
    count = run_guarded(warehouse, "SELECT count(*) FROM analytics.streams", allowed_tables=LISTED)
    assert count.rows == [(STREAM_ROWS,)]


# Literals that hide a second statement from a naive reader. The guard lets them through
# as one statement; the engine must agree, returning one row holding the whole text.
LITERAL_TRICKS = [
    ("duckdb", "SELECT 'x''; SELECT 2; --' AS v", "x'; SELECT 2; --"),
    ("duckdb", "SELECT $q$a\\'; SELECT 2; --$q$ AS v", "a\\'; SELECT 2; --"),
    ("duckdb", "SELECT 'a\\\\' AS v -- '; SELECT 2", "a\\\\"),
    ("sqlite", "SELECT 'x''; SELECT 2; --' AS v", "x'; SELECT 2; --"),
    ("sqlite", "SELECT 'a\\' AS v /* '; SELECT 2; */", "a\\"),
    ("postgres", "SELECT $tag$'; SELECT 2; --$tag$ AS v", "'; SELECT 2; --"),
    ("postgres", "SELECT E'a\\'; SELECT 2; --' AS v", "a'; SELECT 2; --"),
    ("postgres", "SELECT 'a\\' AS v /* '; SELECT 2; */", "a\\"),
]


@pytest.mark.parametrize(
    ("dialect", "sql", "expected"),
    [
        pytest.param(*trick, marks=[pytest.mark.postgres] if trick[0] == "postgres" else [])
        for trick in LITERAL_TRICKS
    ],
)
def test_literal_tricks_stay_one_statement_on_the_engine(
    request: pytest.FixtureRequest, dialect: str, sql: str, expected: str
) -> None:
    warehouse = request.getfixturevalue(f"{dialect}_warehouse")
    result = run_guarded(warehouse, sql, allowed_tables=LISTED)
    assert result.rows == [(expected,)]


def test_the_shipped_backends_run_guarded_sql(tmp_path: Path) -> None:
    """The same wall through the real backends, which also open their files read-only."""
    from vedder.warehouse import open_warehouse

    duck = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(duck)) as writer:
        writer.execute("CREATE SCHEMA analytics")
        _load(writer, "?", columnar=True)
    lite = tmp_path / "warehouse.sqlite"
    scribe = sqlite3.connect(lite)
    _load(scribe, "?", iso_dates=True, schema="main")
    scribe.commit()
    scribe.close()

    for url, listed in [
        (f"duckdb:///{duck}", LISTED),
        (f"sqlite:///{lite}", ("streams", "users", "episodes")),
    ]:
        with open_warehouse(url, timeout_s=10) as warehouse:
            result = run_guarded(warehouse, "SELECT * FROM streams", allowed_tables=listed)
            assert len(result.rows) == 1000
            assert result.truncated
            with pytest.raises(GuardRefused):
                run_guarded(warehouse, "DELETE FROM streams", allowed_tables=listed)
            count = run_guarded(warehouse, "SELECT count(*) FROM streams", allowed_tables=listed)
            assert count.rows == [(STREAM_ROWS,)]
