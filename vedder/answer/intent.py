"""What a question asks for, and what a pair's SQL does: the two sides of a match.

A vetted pair may only answer a question that asks for the same *kind* of
result: the same aggregate (an average is not a count), the same direction (the
top is not the bottom), the same breakdown (per month is not overall), the same
filters. :class:`Intent` is read from words; :class:`Shape` from the sqlglot
AST of the pair's SQL. The matcher compares them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

import sqlglot
from sqlglot import exp

# ------------------------------------------------------------------ from words

AGGREGATE_WORDS: tuple[tuple[str, str], ...] = (
    ("avg", r"\b(average|averages|avg|mean)\b"),
    ("median", r"\bmedian\b"),
    ("distinct", r"\b(unique|distinct)\b"),
    (
        "ratio",
        r"\b(ratios?|rates?|proportions?|percentages?|percent|fractions?|share of|relative to|"
        r"divide|divided|dividing)\b|%",
    ),
    (
        "count",
        r"\b(how many(?! (\w+ )?(seconds|minutes|hours|days|weeks|months|years|times)\b)|"
        r"number of|count|counts|tally)\b",
    ),
    ("sum", r"\b(sum|summed|combined|altogether|in total|add(s|ed)? up)\b"),
    ("total", r"\btotal\b"),  # "total sales" is a sum, "total number of" a count
    ("max", r"\b(maximum|max)\b"),
    ("min", r"\b(minimum|min)\b"),
)
_DESC_PHRASES = (
    r"\b(highest|largest|biggest|greatest|most|top|best|longest|heaviest|latest|newest|"
    r"descending|decreasing|high to low|largest to smallest|most to least|"
    r"longest to shortest|highest to lowest|biggest to smallest|best to worst|"
    r"most recent|reverse order)\b"
)
_ASC_PHRASES = (
    r"\b(lowest|least|fewest|smallest|bottom|worst|shortest|cheapest|earliest|oldest first|"
    r"ascending|increasing|low to high|smallest to largest|least to most|shortest to longest|"
    r"lowest to highest|worst to best)\b"
)
_RANGE_DESC = re.compile(
    r"\b(high(?:est)?|larg(?:e|est)|big(?:gest)?|most|long(?:est)?|best|great(?:est)?)"
    r" (?:\w+ )?to (?:the )?(low(?:est)?|small(?:est)?|least|short(?:est)?|worst|fewest)\b"
)
_RANGE_ASC = re.compile(
    r"\b(low(?:est)?|small(?:est)?|least|short(?:est)?|worst|fewest)"
    r" (?:\w+ )?to (?:the )?(high(?:est)?|larg(?:e|est)|big(?:gest)?|most|long(?:est)?|best)\b"
)
_ALPHA = re.compile(r"\b(alphabetical(?:ly)?|a to z|a-z)\b")
_GROUP = re.compile(
    r"\b(each|for every|in every|per|respective|broken down|breakdown|split by|grouped by|group by|"
    r"for all the|across (?:the )?different|vary|varies|differ|daily|weekly|monthly|quarterly|"
    r"yearly|annual|annually)\b"
)
_BY = re.compile(r"\b(\w+) by (?:the |their |its )?(\w+)")
_NOT_GROUP_BEFORE = re.compile(
    r"(ed|en|order|sort|rank|ranked|sorted|ordered|made|paid|done|run|taken|held|followed|"
    r"broken|grouped|split|driven|caused|owned|cited)$"
)
# Verb forms only: "listeners" and "podcast shows" are nouns, not an ordering.
_ORDERING_VERB = re.compile(
    r"\b(sort|sorted|sorting|order|ordered|ordering|rank|ranked|ranking|list|listed|listing|"
    r"arrange|arranged|arranging|show|showing|shown)\b(?!.*[.?!;])"
)
_SINGLE = re.compile(
    r"^\s*(which|what|who)\s+(\w+\s+){0,2}?(has|is|was|had|did|does|got|gets)\b|"
    r"\bthe \w+( \w+)? (with|that has|that had|who has|who had) the\b"
)
_LISTING = re.compile(
    r"^\s*(which|who|list|name|show|display|give|return|get|find|what are|what were|"
    r"what is the name|what are the names|what's the name|tell me which|provide)\b|"
    r"\b(which|list of|names? of|titles? of)\b"
)
_NEGATION = re.compile(
    r"\b(not|no|without|never|none|excluding|exclude|except|non|neither|nor|lack|lacking)\b|"
    r"n't\b"
)
_COMPARE_GT = re.compile(
    r"\b(more|greater|higher|larger|bigger|over|above|exceed\w*|at_least|or more|and up|"
    r"plus|minimum of)\b(?= (than|\d|[a-z]+ \d|one|two|three|four|five|a |an ))|>"
)
_COMPARE_LT = re.compile(
    r"\b(fewer|less|lower|smaller|under|below|at_most|or less|or fewer|up to|maximum of)\b"
    r"(?= (than|\d|[a-z]+ \d|one|two|three|four|five|a |an ))|<"
)
# "The top artist" asks for one: a pair that lists the top ten answers with its first row.
_SINGLE_TOP = re.compile(
    r"\bthe\s+(?:single\s+)?(?:top|bottom|best|worst|biggest|largest|smallest|highest|lowest|"
    r"(?:most|least)\s+[a-z]+(?:-[a-z]+)?)\s+([a-z]+)\b"
)
# "Including skips" widens what a pair may deliberately leave out.
_INCLUDING = re.compile(r"\b(including|inclusive of|incl)\b")
# Words for opposite things. A question that says one side while the pair's words
# say only the other asks the opposite question ("success rate" of a failure-rate pair).
OPPOSITES: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (
        frozenset({"success", "successes", "successful", "succeed", "succeeded", "succeeds"}),
        frozenset({"failure", "failures", "fail", "failed", "fails", "failing", "unsuccessful",
                   "declined"}),
    ),
    (
        frozenset({"start", "started", "starts", "begin", "began", "begun", "beginning",
                   "create", "created", "join", "joined", "open", "opened", "launch",
                   "launched", "signup", "signups"}),
        frozenset({"end", "ended", "ends", "finish", "finished", "stop", "stopped", "close",
                   "closed", "delete", "deleted", "leave", "left", "churn", "churned",
                   "cancel", "cancelled", "canceled", "quit", "lost", "lose"}),
    ),
    (
        frozenset({"follow", "followed", "follows", "follower", "followers"}),
        frozenset({"unfollow", "unfollowed", "unfollows"}),
    ),
    (frozenset({"active"}), frozenset({"inactive"})),
    (frozenset({"paid", "paying"}), frozenset({"unpaid", "nonpaying"})),
    (frozenset({"gain", "gained", "gains", "won", "win", "wins"}),
     frozenset({"loss", "losses", "lost", "lose", "loses"})),
)  # fmt: skip
# "Why" asks for reasons: a pair that counts or sums does not give them.
_REASON = re.compile(r"^\s*why\b|\bwhy (?:did|do|does|are|were|is|was)\b|\breasons?\b")
# Units an amount is measured in: minutes are not hours. "30 seconds" is a value.
_UNIT = re.compile(
    r"\b(milliseconds|ms|seconds|minutes|hours|days|dollars?|usd|euros?|eur|pounds?|gbp|"
    r"kronor|krona|krone|sek|nok|dkk|reais|brl|pesos?|mxn|yen|jpy|cents?)\b|([$€£¥])"
)
_UNIT_NAMES = {
    "ms": "milliseconds", "dollar": "usd", "dollars": "usd", "$": "usd", "euro": "eur",
    "euros": "eur", "€": "eur", "pound": "gbp", "pounds": "gbp", "£": "gbp", "kronor": "sek",
    "krona": "sek", "krone": "nok", "reais": "brl", "peso": "mxn", "pesos": "mxn", "yen": "jpy",
    "¥": "jpy", "cent": "cents",
}  # fmt: skip
_NUMBER_BEFORE = re.compile(
    r"(\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|"
    r"sixty|hundred|few|several|last|past|next|previous))\s*$"
)
# Growth and change ask for a quantity at two times; a comparison for two
# quantities set against each other. A pair that gives one figure answers neither.
_GROWTH = re.compile(
    r"\b(growth|grow|grows|grew|grown|growing|change|changed|changes|changing|increas\w*|"
    r"decreas\w*|decline|declines|declining|dropped|drops|rise|rises|rose|delta|year over year|"
    r"yoy|trend|trends|trending|evolv\w*|evolution)\b"
)
_COMPARISON = re.compile(r"\b(difference|compare|compared|comparing|comparison|versus|vs)\b")
_RELATIVE_TIME = re.compile(
    r"\b(last|past|previous|prior|recent|next|coming)\s+(\d+\s+|\w+\s+)?"
    r"(calendar\s+|full\s+|iso\s+)?(days?|weeks?|months?|years?|quarters?|hours?)\b|"
    r"\bwithin\s+(?:a|an|one|the first|the same|\d+)\s+(?:\w+\s+)?"
    r"(days?|weeks?|months?|years?|hours?)\b|"
    r"\b(today|yesterday|tomorrow|currently|current date|this (week|month|year|quarter)|"
    r"ago|so far|to date|year to date|since)\b"
)


# A calendar unit after "by", "per", "each" is always a breakdown, however the
# rest of the question reads ("which ten artists ... during 2025 by month").
TIME_GRAINS = ("hour", "day", "weekday", "week", "month", "quarter", "year")
_TIME_BREAKDOWN = re.compile(
    r"\b(?:by|per|each|every)\s+(?:the\s+|single\s+|individual\s+|calendar\s+|given\s+)*"
    r"(hour|day|date|weekday|week|month|quarter|year)s?\b"
    r"|\b(hour|day|week|month|quarter|year)s?[\s-]+(?:by|over|on|to)[\s-]+(?:the[\s-]+)?"
    r"(hour|day|week|month|quarter|year)s?\b"
)
_NOT_GRAIN_BEFORE = re.compile(r"\b(sort|sorted|order|ordered|rank|ranked|arranged)\s+$")
# "monthly signups" is a breakdown, "monthly active users" the name of a metric:
# an adjective is only a breakdown when the pair's own words do not use it.
_GRAIN_ADJECTIVES = {
    "hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month",
    "quarterly": "quarter", "yearly": "year", "annual": "year", "annually": "year",
}  # fmt: skip
_GRAIN_ADJECTIVE = re.compile(r"\b(" + "|".join(_GRAIN_ADJECTIVES) + r")\b")


_WHICH_GRAIN = re.compile(
    r"\b(?:which|what)\s+(?:calendar\s+)?(hour|day|date|weekday|week|month|quarter|year)s?\b|"
    r"\bthe\s+(hour|day|date|weekday|week|month|quarter|year)s?\s+(?:with|that|when|in which)\b"
)


def time_grains(low: str) -> tuple[frozenset[str], frozenset[str]]:
    """Calendar units a question breaks down by: said outright ("by month", "each week"),
    and hinted ("monthly", "which month") which the pair's own words may also explain."""
    said: set[str] = set()
    for m in _TIME_BREAKDOWN.finditer(low):
        if _NOT_GRAIN_BEFORE.search(low[: m.start()]):
            continue  # "sorted by date" orders, it does not break down
        unit = m.group(1) or m.group(2)
        said.add("day" if unit == "date" else unit)
    hinted = {_GRAIN_ADJECTIVES[m.group(1)] for m in _GRAIN_ADJECTIVE.finditer(low)}
    for m in _WHICH_GRAIN.finditer(low):
        unit = m.group(1) or m.group(2)
        hinted.add("day" if unit == "date" else unit)
    return frozenset(said), frozenset(hinted - said)


# What "how many X" counts. Rows of an event table (streams, payments) are not
# the distinct people or things behind them (listeners, customers, artists).
_COUNT_TRIGGER = re.compile(
    r"\b(?:how many|number of|numbers of|count the|count all(?: the)?|tally of|total)\s+"
)
# "citation count" counts citations; "the count of papers" and "yearly counts of
# papers" count papers.
_COUNT_NOUN = re.compile(r"(?:\b([a-z][\w'-]*)\s+)?\bcounts?\b(\s+of\s+)?")
_RANK_TRIGGER = re.compile(
    r"\b(?:most|fewest|least|(?:to|and) (?:the )?(?:lowest|highest|smallest|largest))\s+"
    r"(?:the\s+)?([a-z][\w'-]*)"
)
_RANK_VERB = re.compile(r"\b(?:most|least|fewest)\s+([a-z]+ed)\b")  # "most streamed"
_RANK_MEASURE = re.compile(r"\bby\s+(?:(?:unique|distinct|active|total|new)\s+)?([a-z][\w'-]*)")
IRREGULAR_PLURALS = frozenset({"people", "persons", "children", "men", "women", "staff"})
# Counting these counts distinct people, never the rows of an event table.
PERSONS = frozenset(
    {"people", "persons", "person", "individuals", "humans", "users", "customers", "clients",
     "members", "accounts", "listeners", "subscribers", "followers", "fans", "visitors",
     "viewers", "readers", "buyers", "sellers", "employees", "students", "patients", "payers"}
)  # fmt: skip
GENERIC_PERSONS = frozenset({"people", "persons", "person", "individuals", "humans"})
_NOT_COUNTED = frozenset(
    {"row", "rows", "record", "records", "entry", "entries", "item", "items", "result", "results",
     "thing", "things", "times", "occurrences", "instances", "cases", "total", "overall",
     "distinct", "unique", "final", "exact", "approximate", "current", "the", "a", "an", "x",
     "seconds", "minutes", "hours", "days", "weeks", "months", "quarters", "years", "semesters",
     "dollars", "cents", "euros", "percent", "units"}
)  # fmt: skip
_TIME_NOUNS = frozenset(
    {"seconds", "minutes", "hours", "days", "weeks", "months", "quarters", "years", "semesters",
     "times", "dollars", "cents", "euros", "percent"}
)  # fmt: skip


def _plural(word: str) -> bool:
    if word in IRREGULAR_PLURALS:
        return True
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s"))


def _adjective(word: str) -> bool:
    return word in _GRAIN_ADJECTIVES or word in _NOT_COUNTED or word.endswith("ly")


def _noun_after(low: str, start: int) -> str | None:
    """The plural noun that heads the phrase starting at ``start`` ("new show follows")."""
    return _noun_phrase(low, start)[0]


def _noun_phrase(low: str, start: int) -> tuple[str | None, tuple[str, ...]]:
    """The plural noun heading the phrase at ``start``, and the words qualifying it."""
    from vedder.retrieve import STOPWORDS

    before: list[str] = []
    for word in re.findall(r"[a-z0-9][\w'-]*", low[start : start + 80])[:4]:
        if word in _TIME_NOUNS or word in STOPWORDS:
            return None, ()  # "how many hours": an amount of time, not a count of things
        if _plural(word):
            return (None, ()) if word in _NOT_COUNTED else (word, tuple(before))
        before.append(word)
    return None, ()


_PLAIN_QUALIFIERS = frozenset(
    {"unique", "distinct", "different", "individual", "separate", "total", "overall", "x",
     "number", "numbers", "count", "all", "our", "the"}
)  # fmt: skip
_PERSON_FILTER = re.compile(
    r"\b(?:for|among|from|by|of|with)\s+(?:the\s+|our\s+|all\s+)?((?:[a-z][\w-]*\s+){1,2})"
    r"(users|listeners|subscribers|customers|accounts|people|members|fans|followers)\b"
)


def qualifiers(low: str) -> tuple[tuple[str, str], ...]:
    """Words that narrow what is counted or who, with the noun they narrow: ("repeat",
    "listeners") in "how many repeat listeners", ("new", "users") in "... for new users"."""
    from vedder.retrieve import STOPWORDS

    found: list[tuple[str, str]] = []
    for m in _COUNT_TRIGGER.finditer(low):
        noun, before = _noun_phrase(low, m.end())
        found.extend((w, noun) for w in before if noun)
    for m in _PERSON_FILTER.finditer(low):
        found.extend((w, m.group(2)) for w in m.group(1).split())
    return tuple(
        dict.fromkeys(
            (w, noun) for w, noun in found
            if w not in STOPWORDS and w not in _PLAIN_QUALIFIERS and not w[0].isdigit()
        )
    )  # fmt: skip


def single_top(low: str) -> str:
    """ "the top artist" when a question asks for the one top item (not "the top artists")."""
    from vedder.retrieve import INTENT_WORDS, STOPWORDS

    if re.search(r"\bto (?:the )?(?:lowest|highest|least|most|worst|best)\b", low):
        return ""  # "from the highest to the lowest" orders
    for m in _SINGLE_TOP.finditer(low):
        word = m.group(1)
        if _plural(word) or word in STOPWORDS or word in INTENT_WORDS or word in _NOT_COUNTED:
            continue  # "the largest number of", "the highest average", "the top artists"
        if word != "x":
            return m.group(0)
    return ""


_PERIOD_WORDS = re.compile(
    r"\b(last|past|previous|prior|recent|within|next|coming|this|yesterday|tomorrow)\b"
)
_PERIOD_UNIT = re.compile(r"\b(hour|day|week|month|quarter|year)s?\b")


def relative_periods(low: str) -> frozenset[str]:
    """The relative periods a question names, as direction and unit: "last 7 days" ->
    "back day" (the number is a value, judged apart), "next quarter" -> "ahead quarter".
    Anchors ("today", "so far", "since") do not change which period it is."""
    found = set()
    for m in _RELATIVE_TIME.finditer(low):
        text = m.group(0)
        word = _PERIOD_WORDS.search(text)
        unit = _PERIOD_UNIT.search(text)
        if word is None:
            continue
        if word.group(1) in ("yesterday", "tomorrow"):
            found.add(("ahead" if word.group(1) == "tomorrow" else "back") + " day")
        elif unit is not None:
            direction = {"next": "ahead", "coming": "ahead", "this": "this"}.get(
                word.group(1), "back"
            )
            found.add(f"{direction} {unit.group(1)}")
    return frozenset(found)


def units(low: str) -> frozenset[str]:
    """Units an amount is asked in ("how many hours", "in minutes"), not "30 seconds"."""
    found = set()
    for m in _UNIT.finditer(low):
        if m.group(2) and re.match(r"\s*\d", low[m.end() :]):
            continue  # "$5" is a value
        if not _NUMBER_BEFORE.search(low[: m.start()]):
            unit = m.group(1) or m.group(2)
            found.add(_UNIT_NAMES.get(unit, unit))
    return frozenset(found)


def counted_nouns(low: str, *, ranked: bool = False) -> tuple[str, ...]:
    """The nouns a question counts: "listeners" in "how many listeners streamed ...".

    With ``ranked`` (the question asks for a top or bottom), the measure a ranking is
    by counts too: "top 10 artists by streams", "the fewest listeners".
    """
    from vedder.retrieve import STOPWORDS

    found: list[str | None] = [_noun_after(low, m.end()) for m in _COUNT_TRIGGER.finditer(low)]
    for m in _COUNT_NOUN.finditer(low):
        word = m.group(1) or ""
        if word and word not in STOPWORDS and not _adjective(word) and not word.isdigit():
            found.append(word)
        elif m.group(2):
            found.append(_noun_after(low, m.end()))
    if ranked:
        for rx in (_RANK_TRIGGER, _RANK_MEASURE):
            for m in rx.finditer(low):
                word = m.group(1)
                if _plural(word) and word not in _NOT_COUNTED and word not in STOPWORDS:
                    found.append(word)
    return tuple(dict.fromkeys(w for w in found if w))


# "List the name and rating of ...": the columns a question wants returned.
_RETURNS = re.compile(
    r"^\s*(?:list|show|give|return|display|get|find|provide|tell me|what (?:is|are|was|were)|"
    r"what's)\s+(?:me\s+|us\s+)?(?:all\s+)?(?:the\s+|their\s+|its\s+)?"
    r"([a-z][\w-]*(?:\s*,\s*(?:the\s+|their\s+)?[a-z][\w-]*)*,?\s+(?:and|&)\s+"
    r"(?:the\s+|their\s+)?[a-z][\w-]*)\s+(?:of|for)\b"
)


def returned_columns(low: str) -> tuple[str, ...]:
    """The names an enumeration asks back: ("name", "rating") in "list the name and rating of"."""
    m = _RETURNS.search(low)
    if m is None:
        return ()
    parts = re.split(r"\s*,\s*|\s+(?:and|&)\s+", m.group(1))
    return tuple(re.sub(r"^(the|their)\s+", "", part).strip() for part in parts if part.strip())


_GROUP_PHRASE = re.compile(
    r"\b(?:each|every|per|by|across|for all)\s+(?:the\s+|their\s+|its\s+|different\s+)?"
    r"([a-z][\w-]*(?:\s+[a-z][\w-]*)?)"
)
_QUALIFIERS = frozenset(
    {"id", "ids", "name", "names", "code", "codes", "number", "key", "type", "types"}
)


@dataclass(frozen=True)
class Intent:
    """What a question asks for, read from its words."""

    aggregates: frozenset[str] = frozenset()  # "avg", "count", "sum", "total", "ratio", ...
    directions: frozenset[str] = frozenset()  # "desc", "asc"
    alphabetical: bool = False
    grouped: bool = False
    listing: bool = False  # asks for names or rows ("which", "list")
    negated: bool = False
    comparisons: frozenset[str] = frozenset()  # "gt", "lt"
    relative_time: bool = False
    relative_periods: frozenset[str] = frozenset()  # "last days", "today", "within week"
    single: bool = False  # asks for one item: "which country has the most ..."
    group_heads: frozenset[str] = frozenset()  # what a breakdown is by: "country", "month"
    group_phrases: tuple[tuple[str, ...], ...] = ()  # the terms of each "by/per/each ..." phrase
    by_phrases: tuple[tuple[str, ...], ...] = ()  # ... of every such phrase, agents included
    grains: frozenset[str] = frozenset()  # calendar units said outright: "by month", "each week"
    grain_hints: frozenset[str] = frozenset()  # "monthly", "which month": units hinted at
    counted: tuple[str, ...] = ()  # the nouns it counts, as written: "listeners", "streams"
    returns: tuple[str, ...] = ()  # what an enumeration asks back: ("name", "rating")
    change: bool = False  # asks for growth or a change over time
    compares: bool = False  # sets two quantities against each other ("versus")
    reason: bool = False  # asks why
    units: frozenset[str] = frozenset()  # units an amount is asked in: "hours", "minutes"
    qualifiers: tuple[tuple[str, str], ...] = ()  # ("repeat", "listeners"): word, noun it narrows
    single_top: str = ""  # "the top artist": one item asked for, without a number
    ranked_by: tuple[str, ...] = ()  # what a ranking is by, said as a verb: "streamed"
    including: bool = False  # widens: "including skips"


def group_phrases(
    low: str, by_breakdowns: frozenset[int] | None = None
) -> tuple[tuple[str, ...], ...]:
    """The terms of each phrase a question breaks down by ("per business category").

    ``by_breakdowns``: where a "by" phrase starts that is a breakdown ("revenue by
    country"), not an ordering or an agent ("sorted by date", "papers by authors").
    """
    from vedder.retrieve import STOPWORDS, term

    phrases: list[tuple[str, ...]] = []
    for m in _GROUP_PHRASE.finditer(low):
        if (
            by_breakdowns is not None
            and m.group(0).startswith("by")
            and (m.start(1) not in by_breakdowns)
        ):
            continue
        phrase: list[str] = []
        for w in m.group(1).split():
            if w in STOPWORDS:
                break
            phrase.append(w)
        phrase = [w for w in phrase if w not in _QUALIFIERS]
        if phrase:
            phrases.append(tuple(term(w) for w in phrase))
    return tuple(dict.fromkeys(phrases))


def group_heads(low: str) -> frozenset[str]:
    """The nouns a question breaks its answer down by ("per business category" -> category)."""
    return frozenset(phrase[-1] for phrase in group_phrases(low))


def read_intent(question: str, *, values: list[tuple[int, int]] | None = None) -> Intent:
    """The intent signature of a question. ``values`` are spans to ignore (quoted names)."""
    text = question
    for start, end in sorted(values or [], reverse=True):
        text = text[:start] + " X " + text[end:]  # a value's words are not intent words
    low = " " + text.lower().replace("’", "'") + " "
    low = re.sub(r"\bno\.(?=\s)", "number", low)  # "the no. of students"
    low = re.sub(r"\bat (least|most)\b", r"at_\1", low)  # comparisons, not rankings
    aggregates = {name for name, pattern in AGGREGATE_WORDS if re.search(pattern, low)}
    if "total" in aggregates and re.search(r"\btotal (number|count|amount of \w+s)\b", low):
        aggregates.discard("total")
        aggregates.add("count")
    directions: set[str] = set()
    ranged = False
    if _RANGE_DESC.search(low):
        directions.add("desc")
        ranged = True
    if _RANGE_ASC.search(low):
        directions.add("asc")
        ranged = True
    if not ranged:
        if re.search(_DESC_PHRASES, low):
            directions.add("desc")
        if re.search(_ASC_PHRASES, low):
            directions.add("asc")
    # "by X" is a breakdown in "revenue by country", an agent in "papers by authors".
    listing = bool(_LISTING.search(low))
    grains, grain_hints = time_grains(low)
    by_breakdowns = frozenset(
        m.start(2)
        for m in _BY.finditer(low)
        if (aggregates or not listing)
        and not _NOT_GROUP_BEFORE.search(m.group(1))
        and not _ORDERING_VERB.search(low[: m.start()])
        and not re.match(r"\s+(who|that|which|whose|with)\b", low[m.end() :])
    )
    grouped = bool(grains) or bool(_GROUP.search(low)) or bool(by_breakdowns)
    return Intent(
        aggregates=frozenset(aggregates),
        directions=frozenset(directions),
        alphabetical=bool(_ALPHA.search(low)),
        grouped=grouped,
        listing=listing,
        negated=bool(_NEGATION.search(low)),
        comparisons=frozenset(
            name for name, rx in (("gt", _COMPARE_GT), ("lt", _COMPARE_LT)) if rx.search(low)
        ),
        relative_time=bool(_RELATIVE_TIME.search(low)),
        relative_periods=relative_periods(low),
        group_heads=group_heads(low) if grouped else frozenset(),
        group_phrases=group_phrases(low, by_breakdowns) if grouped else (),
        by_phrases=group_phrases(low),
        single=bool(_SINGLE.search(low)),
        grains=grains,
        grain_hints=grain_hints,
        counted=counted_nouns(low, ranked=bool(directions)),
        returns=returned_columns(low),
        change=bool(_GROWTH.search(low)),
        compares=bool(_COMPARISON.search(low)),
        reason=bool(_REASON.search(low)),
        units=units(low),
        qualifiers=qualifiers(low),
        single_top=single_top(low),
        ranked_by=tuple(m.group(1) for m in _RANK_VERB.finditer(low)),
        including=bool(_INCLUDING.search(low)),
    )


# ------------------------------------------------------------------ from SQL

_AGGREGATES: dict[type[exp.Expression], str] = {
    exp.Count: "count",
    exp.Sum: "sum",
    exp.Avg: "avg",
    exp.Max: "max",
    exp.Min: "min",
    exp.Median: "median",
    exp.PercentileCont: "median",
    exp.PercentileDisc: "median",
}
_COMPARISONS = (
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike, exp.In,
    exp.Between, exp.Is, exp.NullSafeEQ, exp.NullSafeNEQ,
)  # fmt: skip


@dataclass(frozen=True)
class Slot:
    """A literal in the SQL that a question's value might replace."""

    index: int  # position among the statement's literals (find_all order)
    value: str  # the literal as written, e.g. "%Italian%", "2025", "7"
    is_string: bool
    role: str  # "limit", "compare", "interval", "other"
    column: str | None = None  # lower-case name of the column it is compared with
    table: str | None = None  # the table that column belongs to, when it can be told
    operator: str = ""  # "eq", "gt", "lt", "like", "in", ...


@dataclass(frozen=True)
class Counted:
    """One COUNT of a statement: what it counts and what it calls the result."""

    distinct: bool  # COUNT(DISTINCT col): distinct things, not rows
    column: str | None  # the counted column, lower-case; None for COUNT(*)
    table: str | None  # the table of that column, or the table whose rows are counted
    alias: str  # the output name of the projection holding the count, lower-case


@dataclass(frozen=True)
class Shape:
    """What a statement does, read from its AST."""

    aggregates: frozenset[str] = frozenset()
    ratio: bool = False  # divides one quantity by another
    order: tuple[str, ...] = ()  # directions of the outer ORDER BY keys
    order_on_aggregate: bool = False
    grouped: bool = False  # the outer query has GROUP BY
    limit: int | None = None
    scalar: bool = False  # returns one row of aggregates
    listing: bool = False  # returns plain columns (names, rows)
    slots: tuple[Slot, ...] = field(default=(), compare=False)
    tables: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()  # every column name the statement uses, lower-case
    counts: tuple[Counted, ...] = ()
    group_columns: tuple[str, ...] = ()  # columns and output names of the outer GROUP BY
    group_grains: frozenset[str] = frozenset()  # calendar units the outer GROUP BY buckets by
    measures: tuple[str, ...] = ()  # output names of the aggregated projections, lower-case
    outputs: tuple[str, ...] = ()  # output names of every projection, lower-case


def parse(sql: str, dialect: str | None = None) -> exp.Expression:
    return cast(exp.Expression, sqlglot.parse_one(sql, read=dialect))


def _outer_select(tree: exp.Expression) -> exp.Select | None:
    if isinstance(tree, exp.Select):
        return tree
    if isinstance(tree, exp.SetOperation):
        return _outer_select(cast(exp.Expression, tree.left))
    return tree.find(exp.Select)


def _has_aggregate(node: exp.Expression) -> bool:
    return any(isinstance(n, tuple(_AGGREGATES)) for n in node.walk()) or bool(
        node.find(exp.AggFunc)
    )


def _alias_map(tree: exp.Expression) -> dict[str, str]:
    """Alias (or name) -> table name, for every table the statement reads."""
    mapping: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        mapping[name] = name
        if table.alias:
            mapping[table.alias.lower()] = name
    return mapping


def _column_of(node: exp.Expression) -> exp.Column | None:
    """The column a comparison operand names, looking through LOWER(), CAST() and the like."""
    if isinstance(node, exp.Column):
        return node
    if isinstance(node, (exp.Lower, exp.Upper, exp.Cast, exp.Trim, exp.TryCast, exp.Paren)):
        return _column_of(node.this)
    if isinstance(node, (exp.Extract, exp.Year, exp.Month, exp.Day, exp.Date, exp.DateTrunc)):
        inner = node.expression if isinstance(node, exp.Extract) else node.this
        return _column_of(inner) if isinstance(inner, exp.Expression) else None
    return None


def _comparison_of(literal: exp.Literal) -> exp.Expression | None:
    node = literal.parent
    while node is not None and isinstance(node, (exp.Paren, exp.Cast, exp.Neg, exp.Tuple)):
        node = node.parent
    return node if isinstance(node, _COMPARISONS) else None


_OPERATORS: dict[type[exp.Expression], str] = {
    exp.EQ: "eq", exp.NEQ: "neq", exp.GT: "gt", exp.GTE: "gt", exp.LT: "lt", exp.LTE: "lt",
    exp.Like: "like", exp.ILike: "like", exp.In: "in", exp.Between: "between",
}  # fmt: skip


def _slots(tree: exp.Expression, tables: dict[str, str]) -> tuple[Slot, ...]:
    single = next(iter(set(tables.values()))) if len(set(tables.values())) == 1 else None
    slots = []
    for i, literal in enumerate(tree.find_all(exp.Literal)):
        parent = literal.parent
        value = str(literal.this)
        if isinstance(parent, exp.Limit):
            slots.append(Slot(i, value, False, "limit"))
            continue
        if isinstance(parent, exp.Interval):
            slots.append(Slot(i, value, literal.is_string, "interval"))
            continue
        comparison = _comparison_of(literal)
        if comparison is None:
            slots.append(Slot(i, value, literal.is_string, "other"))
            continue
        column = None
        for operand in comparison.iter_expressions():
            column = _column_of(operand)
            if column is not None:
                break
        name = column.name.lower() if column is not None else None
        table = tables.get(column.table.lower()) if column is not None and column.table else single
        slots.append(
            Slot(
                i,
                value,
                literal.is_string,
                "compare",
                name,
                table,
                _OPERATORS.get(type(comparison), ""),
            )
        )
    return tuple(slots)


def _projection_of(node: exp.Expression) -> tuple[exp.Select | None, exp.Expression | None]:
    """The SELECT whose projection list holds ``node``, and that projection."""
    child: exp.Expression = node
    parent = node.parent
    while isinstance(parent, exp.Expression):
        if isinstance(parent, exp.Select):
            # Not in the projection list: in a WHERE, HAVING or ORDER BY.
            return parent, child if child in parent.expressions else None
        child, parent = parent, parent.parent
    return None, None


def _from_table(select: exp.Select, tables: dict[str, str]) -> str | None:
    source = select.args.get("from_") or select.args.get("from")
    first = source.this if source is not None else None
    if isinstance(first, exp.Table):
        return tables.get((first.alias or first.name).lower(), first.name.lower())
    return None


def _counts(tree: exp.Expression, tables: dict[str, str]) -> tuple[Counted, ...]:
    found: list[Counted] = []
    for count in tree.find_all(exp.Count):
        select, projection = _projection_of(count)
        alias = projection.alias_or_name.lower() if projection is not None else ""
        inner = count.this
        distinct = isinstance(inner, exp.Distinct)
        if isinstance(inner, exp.Distinct) and inner.expressions:
            inner = inner.expressions[0]
        column = _column_of(inner) if isinstance(inner, exp.Expression) else None
        if column is not None:
            table = tables.get(column.table.lower()) if column.table else None
            if table is None and select is not None:
                table = _from_table(select, tables)
            found.append(Counted(distinct, column.name.lower(), table, alias))
        else:
            table = _from_table(select, tables) if select is not None else None
            found.append(Counted(distinct, None, table, alias))
    return tuple(found)


_TRUNCATIONS = (exp.DateTrunc, exp.TimestampTrunc, exp.DatetimeTrunc, exp.TimeTrunc)
_PART_GRAINS: dict[type[exp.Expression], str] = {
    exp.Year: "year", exp.Quarter: "quarter", exp.Month: "month", exp.Week: "week",
    exp.WeekOfYear: "week", exp.DayOfWeek: "weekday", exp.DayOfWeekIso: "weekday",
}  # fmt: skip


_UNIT_GRAINS = {
    "hour": "hour", "hours": "hour", "hh": "hour", "day": "day", "days": "day", "dd": "day",
    "d": "day", "week": "week", "weeks": "week", "w": "week", "wk": "week", "isoweek": "week",
    "month": "month", "months": "month", "mon": "month", "mm": "month",
    "quarter": "quarter", "quarters": "quarter", "q": "quarter", "qq": "quarter",
    "year": "year", "years": "year", "y": "year", "yy": "year", "yyyy": "year",
    "isoyear": "year", "dow": "weekday", "isodow": "weekday", "dayofweek": "weekday",
    "weekday": "weekday",
}  # fmt: skip


def _grain_of_unit(unit: str) -> str | None:
    return _UNIT_GRAINS.get(unit.lower().strip("'\""))


def _grain_of_format(fmt: str) -> str | None:
    if re.search(r"%[dj]|\bDD\b|-DD", fmt):
        return "day"
    if re.search(r"%[WVU]|IW|WW", fmt):
        return "week"
    if re.search(r"%m|MM|%b|Mon", fmt):
        return "month"
    if re.search(r"Q", fmt):
        return "quarter"
    if re.search(r"%Y|YYYY", fmt):
        return "year"
    return None


def _grains(node: exp.Expression) -> set[str]:
    """Calendar units an expression of a GROUP BY buckets dates by."""
    while isinstance(node, (exp.Cast, exp.TryCast, exp.Paren, exp.Alias)):
        node = node.this
    if isinstance(node, exp.Column):
        name = node.name.lower()
        grain = next((g for g in ("month", "quarter", "week", "year", "hour") if g in name), None)
        if grain is None and (name in ("date", "day") or name.endswith(("_date", "_day"))):
            grain = "day"
        return {grain} if grain else set()
    found: set[str] = set()
    for part in node.walk():
        if isinstance(part, _TRUNCATIONS):
            unit = part.args.get("unit")
            grain = _grain_of_unit(unit.name if isinstance(unit, exp.Expression) else str(unit))
        elif isinstance(part, exp.Extract):
            grain = _grain_of_unit(part.this.name if isinstance(part.this, exp.Expression) else "")
        elif isinstance(part, tuple(_PART_GRAINS)):
            grain = next(g for kind, g in _PART_GRAINS.items() if isinstance(part, kind))
        elif isinstance(part, (exp.TimeToStr, exp.ToChar)):
            fmt = part.args.get("format")
            grain = _grain_of_format(fmt.name) if isinstance(fmt, exp.Expression) else None
        else:
            grain = None
        if grain:
            found.add(grain)
    return found


def _group_by(select: exp.Select) -> tuple[tuple[str, ...], frozenset[str]]:
    """Column and output names of the GROUP BY, and the calendar units it buckets by."""
    group = select.args.get("group")
    if group is None:
        return (), frozenset()
    by_alias = {p.alias.lower(): p.this for p in select.expressions if isinstance(p, exp.Alias)}
    names: list[str] = []
    grains: set[str] = set()
    for key in group.expressions:
        target = key
        if isinstance(key, exp.Literal) and not key.is_string and key.this.isdigit():
            position = int(key.this) - 1  # GROUP BY 1
            if 0 <= position < len(select.expressions):
                target = select.expressions[position]
        elif isinstance(key, exp.Column) and not key.table and key.name.lower() in by_alias:
            names.append(key.name.lower())
            target = by_alias[key.name.lower()]
        if isinstance(target, exp.Alias):
            names.append(target.alias.lower())
            target = target.this
        names.extend(c.name.lower() for c in target.find_all(exp.Column))
        grains |= _grains(target)
        if isinstance(key, exp.Column) and target is not key:
            grains |= _grains(key)  # an output name such as "month" or "launch_year"
    return tuple(dict.fromkeys(names)), frozenset(grains)


def read_shape(tree: exp.Expression) -> Shape:
    """The shape of a parsed statement: aggregates, ordering, grouping, limit, slots."""
    select = _outer_select(tree)
    aggregates = {_AGGREGATES[type(n)] for n in tree.walk() if type(n) in _AGGREGATES}  # type: ignore[index]
    if any(isinstance(c.this, exp.Distinct) for c in tree.find_all(exp.Count)) or any(
        s.args.get("distinct") for s in tree.find_all(exp.Select)
    ):
        aggregates.add("distinct")
    tables = _alias_map(tree)
    columns = tuple(sorted({c.name.lower() for c in tree.find_all(exp.Column)}))
    if select is None:
        return Shape(aggregates=frozenset(aggregates), slots=_slots(tree, tables))
    projections = select.expressions
    with_agg = [p for p in projections if _has_aggregate(p) or p.find(exp.Subquery)]
    # A rate is a division, or the average of a 0/1 condition.
    ratio = any(p.find(exp.Div) for p in projections) or any(
        a.find(exp.Case) for p in projections for a in p.find_all(exp.Avg)
    )
    order_node = select.args.get("order")
    order: tuple[str, ...] = ()
    order_on_aggregate = False
    if order_node is not None:
        keys = order_node.expressions
        order = tuple("desc" if k.args.get("desc") else "asc" for k in keys)
        aliases = {p.alias_or_name.lower() for p in with_agg}
        first = keys[0].this if keys else None
        order_on_aggregate = first is not None and (
            _has_aggregate(first)
            or (isinstance(first, exp.Column) and first.name.lower() in aliases)
        )
    limit = None
    limit_node = select.args.get("limit")
    if limit_node is not None and isinstance(limit_node.expression, exp.Literal):
        try:
            limit = int(limit_node.expression.this)
        except ValueError:
            limit = None
    grouped = select.args.get("group") is not None
    group_columns, group_grains = _group_by(select)
    plain = [p for p in projections if p not in with_agg and not isinstance(p, exp.Star)]
    return Shape(
        aggregates=frozenset(aggregates),
        ratio=ratio,
        order=order,
        order_on_aggregate=order_on_aggregate,
        grouped=grouped,
        limit=limit,
        scalar=not grouped and bool(projections) and not plain,
        listing=bool(plain) or any(isinstance(p, exp.Star) for p in projections),
        slots=_slots(tree, tables),
        tables=tuple(sorted(set(tables.values()))),
        columns=columns,
        counts=_counts(tree, tables),
        group_columns=group_columns,
        group_grains=group_grains,
        measures=tuple(p.alias_or_name.lower() for p in with_agg),
        outputs=tuple(p.alias_or_name.lower() for p in projections),
    )
