"""Follow-up questions in a chat: "and in Norway?", "what about 2024?", "by month?".

A follow-up leans on the previous question. When it does not stand on its own,
it is rewritten into a full question: each value it names replaces the value of
the same kind (or the same column) in the previous question, and what remains
of it ("by month", "for premium") is added. The rewritten question then goes
through the same matching as any other, so a follow-up is answered only when a
vetted pair answers the full question.
"""

from __future__ import annotations

import re

from vedder.answer.match import cluster_facts
from vedder.answer.values import Value
from vedder.retrieve import Index

# Openers that carry no meaning of their own in a follow-up.
_OPENER = re.compile(
    r"^\s*(?:and|but|also|ok(?:ay)?|now|then)?[\s,]*"
    r"(?:what|how)\s+about\s+|^\s*(?:and|but|also|now|then)\b[\s,]*",
    re.I,
)
_TRAILING = re.compile(r"[\s?.!]+$")
_FILLER = frozenset({"in", "for", "on", "during", "from", "at", "of", "the", "and", "to", "with"})
_BREAKDOWN = re.compile(
    r"^\s*(?:break\s+(?:that|it|this)\s+down|split\s+(?:that|it|this))\s+", re.I
)
_LOOKS_LIKE = re.compile(
    r"^\s*(?:and|but|also|or|what\s+about|how\s+about|now|then|same|break\s+(?:that|it|this)|"
    r"split\s+(?:that|it|this)|only|just|instead)\b",
    re.I,
)


def looks_like_follow_up(question: str) -> bool:
    """Whether a question leans on the one before ("and in Norway?", "break that down by month")."""
    return bool(_LOOKS_LIKE.match(question)) or len(question.split()) <= 3


def _same_slot(new: Value, old: Value) -> bool:
    if new.refs and old.refs:
        columns = {(r.table, r.column) for r in new.refs}
        if columns & {(r.table, r.column) for r in old.refs}:
            return True
    return new.kind == old.kind and new.role == old.role


def rewrite(
    follow_up: str, previous: str, index: Index, cluster: str, dialect: str | None = None
) -> str | None:
    """The full question a follow-up stands for, or None when it cannot be read as one."""
    finder = cluster_facts(index, cluster, dialect).finder
    old_values = finder.find(previous)
    rest = _OPENER.sub("", follow_up, count=1)
    rest = _BREAKDOWN.sub("", rest, count=1)
    new_values = finder.find(rest)
    text = previous.rstrip(" ?.!")
    # Replace from the end so earlier offsets stay valid.
    replacements: list[tuple[Value, Value]] = []
    used: set[int] = set()
    for new in new_values:
        target = next(
            (i for i, old in enumerate(old_values) if i not in used and _same_slot(new, old)), None
        )
        if target is not None:
            used.add(target)
            replacements.append((old_values[target], new))
    for old, new in sorted(replacements, key=lambda pair: pair[0].start, reverse=True):
        text = text[: old.start] + new.text + text[old.end :]
    # Whatever the follow-up says beyond the replaced values is added to the question.
    leftover = rest
    for _, new in sorted(replacements, key=lambda pair: pair[1].start, reverse=True):
        leftover = leftover[: new.start] + leftover[new.end :]
    leftover = _TRAILING.sub("", leftover).strip(" ,")
    if all(word.lower() in _FILLER for word in re.findall(r"[\w']+", leftover)):
        leftover = ""  # only the prepositions that held the replaced values are left
    if not replacements and not leftover:
        return None
    if leftover:
        text = f"{text} {leftover}"
    return text + "?"
