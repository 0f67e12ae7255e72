"""The shape of each cluster file, and the checker that holds YAML to it.

Each file kind is a small explicit description (:class:`Shape`): its keys, the
kind of value each takes, which are required. :func:`check` walks parsed YAML
(:class:`~vedder.cluster.yamlio.Map` with its key lines) against a shape and
returns only the values that fit, reporting every mismatch as a
:class:`~vedder.cluster.model.Problem` on the line of the offending key. A
wrong value is dropped, never guessed at; an unknown key is a warning with a
"did you mean" so that a typo cannot silently drop a setting.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from vedder.cluster.model import Problem, Severity
from vedder.cluster.yamlio import Map, Seq

# Value kinds. Strings rather than classes keep the shapes below readable.
STR = "str"  # text; numbers and dates are read as their text
INT = "int"
NUMBER = "number"  # int or float
BOOL = "bool"
SCALAR = "scalar"  # any single value (profile min/max); dates become ISO text
STR_LIST = "str-list"  # a list of text: [a, b]


@dataclass(frozen=True)
class ListOf:
    item: Shape


Kind = Union[str, "Shape", ListOf]


@dataclass(frozen=True)
class Shape:
    """A YAML mapping with known keys. ``examples`` feed the hints."""

    name: str
    fields: Mapping[str, Kind]
    required: frozenset[str] = frozenset()
    examples: Mapping[str, str] = field(default_factory=dict)
    fix: str | None = None  # the hint when no example fits
    # The keys taking text and lists of text, for :func:`_simple_item`.
    text_keys: frozenset[str] = field(init=False, repr=False, compare=False)
    list_keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kinds = self.fields.items()
        object.__setattr__(self, "text_keys", frozenset(k for k, v in kinds if v == STR))
        object.__setattr__(self, "list_keys", frozenset(k for k, v in kinds if v == STR_LIST))


class Checker:
    """Collects problems for one file while shapes are checked."""

    __slots__ = ("path", "problems")

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems

    def report(
        self,
        line: int | None,
        code: str,
        message: str,
        hint: str | None = None,
        severity: Severity = "error",
    ) -> None:
        self.problems.append(Problem(self.path, line, code, message, hint, severity))

    def check(
        self, value: Any, shape: Shape, where: str, line: int | None
    ) -> dict[str, Any] | None:
        """The values of ``value`` that fit ``shape``; None when a required key is missing.

        ``where`` names the mapping in messages ("column 3 (user_id)").
        """
        if not isinstance(value, dict):
            self.report(
                line,
                "wrong-type",
                f"{where} must be a mapping of keys, not {describe(value)}",
                hint=_example_block(shape),
            )
            return None
        lines: dict[Any, int] = value.lines if isinstance(value, Map) else {}
        here = value.line if isinstance(value, Map) else line
        fields = shape.fields
        if isinstance(value, Map):
            for key, dup_line in value.duplicates:
                self.report(
                    dup_line,
                    "duplicate-key",
                    f"{where}: key {key!r} is given more than once; the last one wins",
                    hint="remove one of them",
                )
        out: dict[str, Any] = {}
        complete = True
        for key, raw in value.items():
            kind = fields.get(key) if isinstance(key, str) else None
            if kind == STR and type(raw) is str:
                out[key] = raw  # the common case, without the general dispatch
                continue
            if kind is None:
                self.report(
                    lines.get(key, here),
                    "unknown-key",
                    f"{where}: unknown key {key!r} is ignored",
                    hint=did_you_mean(str(key), fields),
                    severity="warning",
                )
                continue
            if raw is None:
                continue  # `key:` with nothing after it: treated as absent
            checked = self.value(raw, kind, key, where, lines.get(key, here), shape)
            if checked is not _INVALID:
                out[key] = checked
        for key in shape.required:
            if key in out:
                continue
            complete = False
            if value.get(key) is None:  # absent or empty; a wrong type was reported above
                self.report(here, "missing-key", f"{where} has no {key!r}", hint=_hint(shape, key))
        return out if complete else None

    def value(
        self, raw: Any, kind: Kind, key: str, where: str, line: int | None, shape: Shape
    ) -> Any:
        if kind == STR:
            if isinstance(raw, str):
                return raw
            if isinstance(raw, (int, float, _dt.date)) and not isinstance(raw, bool):
                return raw.isoformat() if isinstance(raw, _dt.date) else str(raw)
        elif kind == STR_LIST:
            if isinstance(raw, list):
                return self.str_list(raw, key, where, line, shape)
            if isinstance(raw, str):
                self.report(
                    line,
                    "wrong-type",
                    f"{where}: {key!r} should be a list; read as a one-item list",
                    hint=_hint(shape, key),
                    severity="warning",
                )
                return [raw]
        elif kind == INT:
            if isinstance(raw, int) and not isinstance(raw, bool):
                return raw
        elif kind == NUMBER:
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                return raw
        elif kind == BOOL:
            if isinstance(raw, bool):
                return raw
        elif kind == SCALAR:
            if isinstance(raw, (str, int, float, bool)):
                return raw
            if isinstance(raw, _dt.date):
                return raw.isoformat()
        elif isinstance(kind, Shape):
            checked = self.check(raw, kind, f"{where}: {key!r}", line)
            return _INVALID if checked is None else checked
        elif isinstance(kind, ListOf) and isinstance(raw, list):
            # Name the parent in messages when it is itself a list item.
            nested = where not in (shape.name, "cluster.yaml")
            return self.list_of(raw, kind.item, key, where, line, nested)
        self.wrong_type(raw, kind, key, where, line, shape)
        return _INVALID

    def str_list(self, raw: list[Any], key: str, where: str, line: int | None, shape: Shape) -> Any:
        items: list[str] = []
        item_lines = raw.lines if isinstance(raw, Seq) else []
        for i, item in enumerate(raw):
            if isinstance(item, str):
                items.append(item)
            elif isinstance(item, (int, float, _dt.date)) and not isinstance(item, bool):
                items.append(item.isoformat() if isinstance(item, _dt.date) else str(item))
            else:
                at = item_lines[i] if i < len(item_lines) else line
                self.report(
                    at,
                    "wrong-type",
                    f"{where}: {key!r} item {i + 1} must be text, not {describe(item)}",
                    hint=_quote_hint(item) or _hint(shape, key),
                )
        return items

    def list_of(
        self,
        raw: list[Any],
        item_shape: Shape,
        key: str,
        where: str,
        line: int | None,
        nested: bool = False,
    ) -> list[tuple[dict[str, Any], int | None]]:
        """Items that fit, each with its line; broken items are reported and skipped."""
        items: list[tuple[dict[str, Any], int | None]] = []
        item_lines: Sequence[int | None] = raw.lines if isinstance(raw, Seq) else []
        if len(item_lines) < len(raw):
            item_lines = [*item_lines, *[line] * (len(raw) - len(item_lines))]
        for i, (item, at) in enumerate(zip(raw, item_lines, strict=False)):
            simple = _simple_item(item, item_shape)
            if simple is not None:
                items.append((simple, at))
                continue
            label = f"{item_shape.name} {i + 1}"
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                label += f" ({item['name']})"
            if nested:
                label = f"{where}: {label}"
            checked = self.check(item, item_shape, label, at)
            if checked is not None:
                items.append((checked, at))
        return items

    def wrong_type(
        self, raw: Any, kind: Kind, key: str, where: str, line: int | None, shape: Shape
    ) -> None:
        self.report(
            line,
            "wrong-type",
            f"{where}: {key!r} must be {_kind_name(kind)}, not {describe(raw)}",
            hint=(_quote_hint(raw) if kind in (STR, SCALAR) else None)
            or _hint(shape, key)
            or f"make {key!r} {_kind_name(kind)}",
        )


_INVALID: Any = object()


def _simple_item(item: Any, shape: Shape) -> dict[str, Any] | None:
    """The item itself when it is a mapping with nothing to report, else None.

    Thousands of columns per repository are plain text keys; this answers for
    them without building messages or copying them (lists stay the reader's
    :class:`Seq`), and defers anything else to the full check.
    """
    if type(item) is not Map or item.duplicates:
        return None
    text_keys = shape.text_keys
    for key, raw in item.items():
        if type(raw) is str:
            if key not in text_keys:
                return None
        elif type(raw) is not Seq or key not in shape.list_keys:
            return None
        else:
            for text in raw:
                if type(text) is not str:
                    return None
    for key in shape.required:
        if key not in item:
            return None
    return item


def describe(value: Any) -> str:
    """A value's YAML type in a user's words, with a short excerpt."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, _dt.datetime):
        return f"a timestamp ({value.isoformat()})"
    if isinstance(value, _dt.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, str):
        excerpt = value if len(value) <= 30 else value[:27] + "..."
        return f"text ({excerpt!r})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def did_you_mean(key: str, known: Mapping[str, Any] | frozenset[str]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"known keys: {', '.join(sorted(known))}"


def _kind_name(kind: Kind) -> str:
    if isinstance(kind, Shape):
        return "a mapping"
    if isinstance(kind, ListOf):
        return f"a list of {kind.item.name}s"
    return {
        STR: "text",
        INT: "a whole number",
        NUMBER: "a number",
        BOOL: "true or false",
        SCALAR: "a single value",
        STR_LIST: "a list of text",
    }[kind]


def _hint(shape: Shape, key: str) -> str | None:
    example = shape.examples.get(key)
    return f"for example: {example}" if example else shape.fix


def _quote_hint(value: Any) -> str | None:
    if isinstance(value, bool):
        return "YAML reads yes/no/on/off/true/false as true/false; quote it: 'NO'"
    return None


def _example_block(shape: Shape) -> str | None:
    if not shape.examples:
        return None
    return "for example: " + "; ".join(shape.examples.values())


# --- the shapes of DESIGN.md section 1 --------------------------------------

REGENERATE = "profiles are written by `vedder profile`; re-run it instead of editing"

OWNERS = Shape(
    "owners",
    {"team": STR, "contacts": STR_LIST},
    examples={"team": "team: podcast-insights", "contacts": "contacts: [alice@example.com]"},
)

CLUSTER = Shape(
    "cluster",
    {
        "name": STR,
        "title": STR,
        "description": STR,
        "owners": OWNERS,
        "topics": STR_LIST,
        "warehouse": STR,
    },
    required=frozenset({"name"}),
    examples={
        "name": "name: podcasts   (the folder name)",
        "owners": "owners: {team: podcast-insights, contacts: [alice@example.com]}",
        "topics": "topics: [podcast, episode]",
        "warehouse": "warehouse: default",
    },
)

PARTITION = Shape(
    "partition",
    {"column": STR, "granularity": STR},
    required=frozenset({"column"}),
    examples={"column": "partition: {column: stream_date, granularity: day}"},
)

FRESHNESS = Shape(
    "freshness",
    {"column": STR, "warn_after": STR, "error_after": STR},
    required=frozenset({"column"}),
    examples={"column": "freshness: {column: stream_date, warn_after: 2d, error_after: 7d}"},
)

COLUMN = Shape(
    "column",
    {"name": STR, "type": STR, "description": STR, "synonyms": STR_LIST, "avoid": STR},
    required=frozenset({"name"}),
    examples={
        "name": "- name: country",
        "synonyms": "synonyms: [market, region]",
        "avoid": "avoid: Use listener_id instead.",
    },
)

DATASET = Shape(
    "dataset",
    {
        "table": STR,
        "description": STR,
        "partition": PARTITION,
        "freshness": FRESHNESS,
        "columns": ListOf(COLUMN),
    },
    required=frozenset({"table"}),
    examples={
        "table": "table: analytics.podcast_streams",
        "columns": "columns:\n    - name: country\n      type: VARCHAR",
    },
)

VALUE_SHARE = Shape(
    "top value",
    {"value": SCALAR, "count": INT, "share": NUMBER},
    required=frozenset({"count", "share"}),  # value may be null: nulls can be the top value
    fix=REGENERATE,
    examples={
        "count": "- {value: SE, count: 400000, share: 0.2626}",
        "share": "- {value: SE, count: 400000, share: 0.2626}",
    },
)

COLUMN_PROFILE = Shape(
    "column",
    {
        "name": STR,
        "type": STR,
        "null_fraction": NUMBER,
        "distinct_count": INT,
        "distinct_approximate": BOOL,
        "min": SCALAR,
        "max": SCALAR,
        "top_values": ListOf(VALUE_SHARE),
    },
    required=frozenset({"name"}),
    fix=REGENERATE,
)

PROFILE_PARTITION = Shape(
    "partition", {"column": STR, "min": SCALAR, "max": SCALAR}, fix=REGENERATE
)

PROFILE = Shape(
    "profile",
    {
        "dataset": STR,
        "table": STR,
        "profiled_at": STR,
        "duration_ms": NUMBER,
        "row_count": INT,
        "sample": NUMBER,
        "partition": PROFILE_PARTITION,
        "columns": ListOf(COLUMN_PROFILE),
    },
    required=frozenset({"table"}),
    examples={"table": "table: analytics.podcast_streams"},
    fix=REGENERATE,
)

DOC_FRONT_MATTER = Shape(
    "front matter",
    {"title": STR, "tags": STR_LIST, "datasets": STR_LIST},
    examples={"tags": "tags: [listeners, definitions]", "datasets": "datasets: [streams]"},
)
