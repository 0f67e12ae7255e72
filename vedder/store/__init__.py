"""The conversation log: every ``vedder ask`` and ``vedder chat`` turn, with feedback.

Owners read it with ``vedder log`` to learn what people ask and how it went.
"""

from __future__ import annotations

from vedder.store.log import (
    RATINGS,
    STATUSES,
    Feedback,
    Log,
    RunRecord,
    new_run_id,
    parse_since,
)
from vedder.store.migrations import MIGRATIONS, applied, migrate

__all__ = [
    "MIGRATIONS",
    "RATINGS",
    "STATUSES",
    "Feedback",
    "Log",
    "RunRecord",
    "applied",
    "migrate",
    "new_run_id",
    "parse_since",
]
