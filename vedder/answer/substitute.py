"""Adapting a vetted pair to the values a question names, through the sqlglot AST.

Planning pairs each value of the question with a value of the pair: the same
value (kept), or a different value of the same kind that a literal of the SQL
stands for (substituted): another profiled value of the same column, another
country, month or weekday, another year or date, another number in the same
role (``top 5``, ``more than 5``, ``last 5 days``). Applying replaces those
literal nodes in a copy of the tree; SQL text is never edited as a string.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlglot import exp

from vedder.answer.intent import Slot
from vedder.answer.values import MONTHS, Value, classify
from vedder.retrieve import COUNTRY_NAMES


@dataclass(frozen=True)
class Substitution:
    slot: int  # index of the literal among the statement's literals
    old: str  # the literal as the pair has it
    new: str  # the literal as the adapted SQL has it
    because: str  # the words of the question that asked for it


@dataclass(frozen=True)
class Plan:
    substitutions: tuple[Substitution, ...] = ()
    kept: tuple[str, ...] = ()  # the question's values the pair already has
    problem: str | None = None  # why the values cannot be accounted for


_TIME_ROLES = frozenset({"range", "start", "end", "middle", "close"})


def _time_role(value: Value) -> str:
    return value.role if value.role in _TIME_ROLES else ""


def same_value(a: Value, b: Value) -> bool:
    if _time_role(a) != _time_role(b):
        return False  # "before 2025" and "at the end of 2025" are not "in 2025"
    if a.kind == b.kind or {a.kind, b.kind} <= {"number", "year"}:
        return a.norm == b.norm
    return a.norm == b.norm and "string" in (a.kind, b.kind)


def literal_stands_for(slot: Slot, value: Value, *, range_end: bool = False) -> bool:
    """Whether a literal of the SQL holds ``value`` (wildcards and case aside).

    A year stands for the dates of that year, and for the exclusive end of a range
    over it: ``d < '2026-01-01'`` ends 2025. With ``range_end``, a year also stands
    for the first day of the next year however that is compared.
    """
    kind, norm = classify(slot.value)
    if value.kind == "year":
        if norm == value.norm:
            return True
        if kind != "date":
            return False
        year = int(norm[:4])
        if slot.operator == "lt" and norm[5:10] == "01-01":
            year -= 1  # "d < '2026-01-01'" ends 2025; it does not name 2026
        elif range_end and norm[:4] == str(int(value.norm) + 1):
            return True
        return str(year) == value.norm
    if value.kind == "number" and kind in ("number", "year"):
        return norm == value.norm
    return norm == value.norm


def _compatible(asked: Value, pair_value: Value) -> bool:
    if asked.kind != pair_value.kind:
        return False
    if _time_role(asked) != _time_role(pair_value):
        return False
    if asked.kind == "number":
        return asked.role == pair_value.role or "" in (asked.role, pair_value.role)
    return True


def _column_holds(slot: Slot, value: Value) -> bool:
    """Whether ``value`` is known to be a value of the column the slot compares with."""
    if slot.column is None:
        return False
    return any(
        ref.column.lower() == slot.column
        and (slot.table is None or ref.table is None or ref.table.lower() == slot.table)
        for ref in value.refs
    )


def _shape_like(old: str, new: str) -> str:
    """``new`` written the way ``old`` is: same wildcards, same letter case."""
    core = old.strip("%")
    prefix = old[: len(old) - len(old.lstrip("%"))]
    suffix = old[len(old.rstrip("%")) :]
    if core.islower():
        new = new.lower()
    elif core.isupper() and len(core) > 1:
        new = new.upper()
    return f"{prefix}{new}{suffix}"


def _new_literal(slot: Slot, old_value: Value, new_value: Value) -> str | None:
    kind, _ = classify(slot.value)
    if new_value.kind == "year":
        delta = int(new_value.norm) - int(old_value.norm)
        if kind == "date":
            return f"{int(slot.value[:4]) + delta}{slot.value[4:]}"
        return str(int(slot.value) + delta) if slot.value.isdigit() else None
    if new_value.kind == "date":
        return new_value.norm + slot.value[10:]
    if new_value.kind == "number":
        return new_value.norm
    if new_value.kind == "country":
        core = slot.value.strip("%")
        code = new_value.norm.upper()
        if len(core) == 2:
            return _shape_like(slot.value, code)
        raw = next((r.raw for r in new_value.refs if r.column == slot.column), None)
        return _shape_like(slot.value, raw or COUNTRY_NAMES.get(code, new_value.text))
    if new_value.kind in ("month", "weekday"):
        return _shape_like(slot.value, new_value.norm.capitalize())
    raw = next((r.raw for r in new_value.refs if r.column.lower() == slot.column), None)
    return _shape_like(slot.value, (raw or new_value.text).strip("%"))


def plan(asked: list[Value], pair_values: list[Value], slots: tuple[Slot, ...]) -> Plan:
    """Account for every value on both sides, or say which one cannot be."""
    open_asked = list(asked)
    open_pair = list(pair_values)
    kept: list[str] = []
    for value in asked:
        same = next((p for p in open_pair if same_value(value, p)), None)
        if same is not None:
            open_pair.remove(same)
            open_asked.remove(value)
            kept.append(value.text)

    changes: dict[int, Substitution] = {}  # slot index -> its (latest) replacement
    for value in list(open_asked):
        if (
            _substitute_limit(value, open_pair, slots, changes)
            or _substitute_value(value, open_pair, slots, changes)
            or _substitute_month(value, open_pair, slots, changes)
        ):
            open_asked.remove(value)
    substitutions = sorted(changes.values(), key=lambda c: c.slot)
    used = set(changes)
    # Last, a value the pair's words do not name but its SQL already holds
    # ("SE" asked, "... = 'SE'" in the SQL): after substitutions, so that the end
    # of a date range is not taken for a year the question names.
    for value in list(open_asked):
        if _time_role(value):
            continue  # a bound or a point of a period is never an equality the SQL has
        if value.kind == "number" and value.role != "limit":
            continue  # "user id 100" is not the pair's own "user_id >= 100" test filter
        if any(
            literal_stands_for(s, value) for s in slots if s.role != "other" and s.index not in used
        ):
            open_asked.remove(value)
            kept.append(value.text)
    if open_asked:
        names = ", ".join(repr(v.text) for v in open_asked)
        return Plan(
            problem=f"the question names {names}, which the closest vetted pair "
            "neither uses nor can be adapted to"
        )
    if open_pair:
        names = ", ".join(repr(v.text) for v in open_pair)
        return Plan(
            problem=f"the closest vetted pair is about {names}, which the question does not mention"
        )
    return Plan(tuple(substitutions), tuple(kept))


def _current(slot: Slot, changes: dict[int, Substitution]) -> Slot:
    """The slot as earlier substitutions left it (a year and a month may change one date)."""
    change = changes.get(slot.index)
    return slot if change is None else replace(slot, value=change.new)


def _record(changes: dict[int, Substitution], slot: Slot, new: str, because: str) -> None:
    earlier = changes.get(slot.index)
    old = earlier.old if earlier else slot.value
    reason = f"{earlier.because}, {because}" if earlier else because
    changes[slot.index] = Substitution(slot.index, old, new, reason)


def _substitute_limit(
    value: Value, open_pair: list[Value], slots: tuple[Slot, ...], changes: dict[int, Substitution]
) -> bool:
    """``top 3`` for a pair with ``LIMIT n``, whether or not the pair's words name n."""
    if value.kind != "number" or value.role != "limit":
        return False
    slot = next((s for s in slots if s.role == "limit" and s.index not in changes), None)
    if slot is None:
        return False
    named = next(
        (
            p
            for p in open_pair
            if p.kind == "number" and p.role in ("limit", "") and p.norm == slot.value
        ),
        None,
    )  # "which 3 genres" names the limit without saying "top"
    if named is not None:
        open_pair.remove(named)
    _record(changes, slot, value.norm, value.text)
    return True


def _substitute_value(
    value: Value, open_pair: list[Value], slots: tuple[Slot, ...], changes: dict[int, Substitution]
) -> bool:
    for pair_value in open_pair:
        if not _compatible(value, pair_value):
            continue
        # Dates may be changed twice (a year, then a month); other literals once.
        current = [
            _current(s, changes) for s in slots
            if s.role in ("compare", "interval", "limit")
            and (s.index not in changes or classify(changes[s.index].new)[0] == "date")
        ]  # fmt: skip
        targets = [s for s in current if literal_stands_for(s, pair_value, range_end=True)]
        if not targets:
            continue
        if value.kind == "string" and not all(_column_holds(s, value) for s in targets):
            continue  # only a value known to live in that column may take its place
        planned = [(slot, _new_literal(slot, pair_value, value)) for slot in targets]
        if any(new is None for _, new in planned):
            continue
        open_pair.remove(pair_value)
        for slot, new in planned:
            _record(changes, slot, str(new), value.text)
        return True
    return False


def _substitute_month(
    value: Value, open_pair: list[Value], slots: tuple[Slot, ...], changes: dict[int, Substitution]
) -> bool:
    """Another month for a pair whose SQL spans one month as a date range.

    ``d >= '2026-10-01' AND d < '2026-11-01'`` becomes ``'2026-03-01'`` and
    ``'2026-04-01'`` for March: the start moves to the month asked, the exclusive
    end to the month after it (across a year end when needed).
    """
    if value.kind != "month":
        return False
    pair_value = next(
        (p for p in open_pair if p.kind == "month" and _time_role(p) == _time_role(value)), None
    )
    if pair_value is None:
        return False
    old = MONTHS.index(pair_value.norm) + 1
    new = MONTHS.index(value.norm) + 1
    planned: list[tuple[Slot, str]] = []
    for slot in (_current(s, changes) for s in slots if s.role == "compare"):
        kind, norm = classify(slot.value)
        if kind != "date":
            continue
        year, month, day = int(norm[:4]), int(norm[5:7]), norm[8:10]
        if month == old:
            planned.append((slot, f"{year:04d}-{new:02d}-{day}{slot.value[10:]}"))
        elif day == "01" and month == old % 12 + 1:
            start_year = year - (1 if old == 12 else 0)
            end_year = start_year + (1 if new == 12 else 0)
            planned.append((slot, f"{end_year:04d}-{new % 12 + 1:02d}-01{slot.value[10:]}"))
    if not planned:
        return False
    open_pair.remove(pair_value)
    for slot, literal in planned:
        _record(changes, slot, literal, value.text)
    return True


def apply(tree: exp.Expression, substitutions: tuple[Substitution, ...]) -> exp.Expression:
    """A copy of ``tree`` with the planned literals replaced."""
    if not substitutions:
        return tree
    copy = tree.copy()
    literals = list(copy.find_all(exp.Literal))
    by_index = {s.slot: s for s in substitutions}
    for i, literal in enumerate(literals):
        change = by_index.get(i)
        if change is None:
            continue
        node = (
            exp.Literal.string(change.new) if literal.is_string else exp.Literal.number(change.new)
        )
        literal.replace(node)
    return copy
