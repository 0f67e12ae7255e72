"""The values a question names: numbers, years, dates, months, countries, names.

The offline answerer may only answer when it accounts for every value the
question names, so finding them is the first step. A value is found in this
order, and a later kind never overlaps an earlier one: quoted text, ISO dates,
values the cluster is known to hold (profiled common values and the literals of
its vetted pairs), countries, months and weekdays, numbers, and finally runs of
capitalised words that are not schema words (proper names such as "Nepal").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from vedder.retrieve import COUNTRY_CODES, STOPWORDS, find_countries, stem, term, words

Kind = str  # "number", "year", "date", "month", "weekday", "period", "country", "string"

MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PARTS_OF_TIME = frozenset(
    {"weekend", "weekday", "holiday", "morning", "afternoon", "evening", "night", "overnight"}
)
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "dozen": 12, "million": 1_000_000,
}  # fmt: skip
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
TIME_UNITS = (
    r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|quarters?|years?|semesters?|halves|half)"
)
_QUARTER = re.compile(r"\b[QH][1-4]\b")
# Acronyms that name a convention, not a value to filter on.
NOT_VALUES = frozenset(
    {"id", "ids", "iso", "utc", "sql", "url", "api", "i", "no", "ok", "true", "false", "null"}
)

# A quoted name is short and holds no sentence: longer quotes are prose.
_QUOTED = re.compile(
    r"\"([^\".?!]{1,80})\"|“([^”.?!]{1,80})”|(?<![\w])'([^'.?!]{1,80})'(?![\w])|"
    r"`([^`]{1,80})`|‘([^’.?!]{1,80})’"
)
_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_NAME = (
    r"(january|february|march|april|may|june|july|august|september|october|november|december)"
)
_WRITTEN_DATE = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH_NAME},?\s+(\d{{4}})\b|"
    rf"\b{_MONTH_NAME}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b",
    re.I,
)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:st|nd|rd|th)?(?![\w])")
_WORDS_RE = re.compile(r"[A-Za-z]+(?:['’][a-z]+)?")
_CAPITALISED = re.compile(r"\b([A-Z][\w&’'-]*(?:\s+(?:[A-Z][\w&’'-]*|of|de|la|du|and|&))*)")
_LIMIT_BEFORE = re.compile(r"\b(top|first|bottom|best|worst|last|highest|lowest)\s+$", re.I)
_LIMIT_AFTER = re.compile(
    r"^\s+(?:\w+\s+)?(most|highest|largest|biggest|best|top|lowest|least|fewest|smallest|"
    r"worst|longest|shortest|greatest|oldest|newest|latest|earliest)\b",
    re.I,
)
_COMPARE_BEFORE = re.compile(
    r"(more|greater|higher|larger|bigger|fewer|less|lower|smaller|over|above|under|below|"
    r"exceeds?|exceeding|least|most|than|>=?|<=?|=)\s*$",
    re.I,
)
_CURRENCY_AFTER = re.compile(r"\s+(dollars?|cents?|euros?|pounds?|currency)\b", re.I)
_TIME_AFTER = re.compile(rf"^\s+(?:calendar\s+|full\s+)?{TIME_UNITS}\b", re.I)
_BREAKDOWN_BEFORE = re.compile(r"\b(?:by|per|each|every|across)\s+(?:the\s+)?$", re.I)


# Nationality adjectives. "German listeners" names a country only when the cluster
# holds country codes, and only before a word for people or a market:
# "German podcasts" may be a language, "Swedish krona" a currency.
DEMONYMS = {
    "american": "US", "argentine": "AR", "argentinian": "AR", "australian": "AU",
    "austrian": "AT", "belgian": "BE", "brazilian": "BR", "british": "GB", "canadian": "CA",
    "chilean": "CL", "chinese": "CN", "colombian": "CO", "czech": "CZ", "danish": "DK",
    "dutch": "NL", "egyptian": "EG", "english": "GB", "estonian": "EE", "filipino": "PH",
    "finnish": "FI", "french": "FR", "german": "DE", "greek": "GR", "hungarian": "HU",
    "icelandic": "IS", "indian": "IN", "indonesian": "ID", "irish": "IE", "israeli": "IL",
    "italian": "IT", "japanese": "JP", "kenyan": "KE", "korean": "KR", "latvian": "LV",
    "lithuanian": "LT", "malaysian": "MY", "mexican": "MX", "moroccan": "MA", "nigerian": "NG",
    "norwegian": "NO", "pakistani": "PK", "peruvian": "PE", "polish": "PL", "portuguese": "PT",
    "romanian": "RO", "russian": "RU", "saudi": "SA", "singaporean": "SG", "slovak": "SK",
    "slovenian": "SI", "spanish": "ES", "swedish": "SE", "swiss": "CH", "taiwanese": "TW",
    "thai": "TH", "turkish": "TR", "ukrainian": "UA", "vietnamese": "VN",
}  # fmt: skip
_DEMONYM_BEFORE = re.compile(
    r"^\s+(?:(?:unique|distinct|active|new|paying|premium|free|registered|monthly)\s+)*"
    r"(people|persons|users?|customers?|clients?|members?|accounts?|listeners?|subscribers?|"
    r"followers?|fans?|audiences?|payers?|market|markets)\b",
    re.I,
)


def routing_text(text: str) -> str:
    """``text`` as routing should read it: "German listeners" as "Germany listeners",
    "November 1st, 2026" as "2026-11-01" (an ordinal is not a topic word)."""
    from vedder.retrieve import COUNTRY_NAMES

    for value in sorted(written_dates(text), key=lambda v: -v.start):
        text = text[: value.start] + value.norm + text[value.end :]

    def name(m: re.Match[str]) -> str:
        code = DEMONYMS.get(m.group(0).lower())
        if (
            code is None
            or not m.group(0)[0].isupper()
            or not _DEMONYM_BEFORE.match(text[m.end() :])
        ):
            return m.group(0)
        return COUNTRY_NAMES.get(code, m.group(0))

    return re.sub(r"\b[A-Za-z]+\b", name, text)


@dataclass(frozen=True)
class ValueRef:
    """A column known to hold a value, and the value exactly as stored."""

    table: str | None
    column: str
    raw: str


@dataclass(frozen=True)
class Value:
    text: str  # as written in the question
    kind: Kind
    norm: str  # comparable form: "se", "2025", "2025-01-31", "april", "5", "machine learning"
    start: int
    end: int
    role: str = ""  # numbers: "limit" (top 5), "compare" (more than 5), "time" (last 5 days)
    refs: tuple[ValueRef, ...] = field(default=(), compare=False)


def normalise(text: str) -> str:
    """The comparable form of a string value: its words, lower-case, single-spaced."""
    return " ".join(words(text.strip("%_ ")))


def number_norm(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def classify(text: str) -> tuple[Kind, str]:
    """Kind and comparable form of a literal value, as found in SQL or a question."""
    stripped = text.strip().strip("%").strip()
    low = stripped.lower()
    if _DATE.fullmatch(stripped[:10]) and (len(stripped) == 10 or stripped[10] in " T"):
        return "date", stripped[:10]
    try:
        number = float(stripped.replace(",", ""))
    except ValueError:
        pass
    else:
        if number.is_integer() and 1900 <= number <= 2100:
            return "year", number_norm(number)
        return "number", number_norm(number)
    if low in MONTHS:
        return "month", low
    if low.rstrip("s") in WEEKDAYS:
        return "weekday", low.rstrip("s")
    if stripped.upper() in _COUNTRY_NAMES_BY_CODE and len(stripped) == 2:
        return "country", low
    code = COUNTRY_CODES.get(normalise(stripped))
    if code:
        return "country", code.lower()
    return "string", normalise(stripped)


_COUNTRY_NAMES_BY_CODE = frozenset(COUNTRY_CODES.values())


def written_dates(text: str) -> list[Value]:
    """ "30 June 2026", "November 1st, 2026": one date, not a number, a month and a year."""
    out = []
    for m in _WRITTEN_DATE.finditer(text):
        day, month, year = (
            (m.group(1), m.group(2), m.group(3))
            if m.group(1)
            else (m.group(5), m.group(4), m.group(6))
        )
        try:
            when = date(int(year), MONTHS.index(month.lower()) + 1, int(day))
        except ValueError:
            continue
        out.append(Value(m.group(0), "date", when.isoformat(), m.start(), m.end()))
    return out


def _by_stem(known: Mapping[str, object]) -> dict[str, str]:
    """Single-word known values by their stem: "refund" -> "refunded"."""
    return {stem(k): k for k in known if " " not in k and len(k) > 3 and k not in STOPWORDS}


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < e and s < end for s, e in spans)


def _number_role(text: str, start: int, end: int) -> str:
    before, after = text[:start], text[end:]
    if _LIMIT_BEFORE.search(before) or _LIMIT_AFTER.match(after):
        return "limit"
    if _TIME_AFTER.match(after):
        return "time"
    if _COMPARE_BEFORE.search(before):
        return "compare"
    return ""


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".?!:;\n"


class Finder:
    """Finds values in questions for one cluster: its known values and schema words."""

    def __init__(
        self,
        known: Mapping[str, tuple[ValueRef, ...]] | None = None,
        schema_terms: frozenset[str] = frozenset(),
        foreign: frozenset[str] = frozenset(),
    ) -> None:
        self.known = dict(known or {})
        self.schema_terms = schema_terms
        # Values only other clusters hold ("card", "iOS" asked of the listening
        # cluster): still values, so a pair that cannot honour them is refused.
        self.foreign: dict[str, tuple[ValueRef, ...]] = {
            k: () for k in foreign if k not in self.known
        }
        self.max_words = max((len(k.split()) for k in [*self.known, *self.foreign]), default=1)
        self.holds_countries = any(len(k) == 2 and classify(k)[0] == "country" for k in self.known)
        self._known_stems = _by_stem(self.known)
        self._foreign_stems = _by_stem(self.foreign)

    def find(self, text: str) -> list[Value]:
        found: list[Value] = []
        spans: list[tuple[int, int]] = []

        def add(value: Value) -> None:
            if value.kind == "country" and _CURRENCY_AFTER.match(text[value.end :]):
                return  # "US dollars" names a currency
            if not _overlaps(spans, value.start, value.end):
                found.append(value)
                spans.append((value.start, value.end))

        for step in (
            self._quoted,
            self._dates,
            written_dates,
            self._known,
            self._foreign,
            self._countries,
            self._demonyms,
            self._calendar,
            self._numbers,
            self._names,
        ):
            for value in step(text):
                add(value)
        return _mark_ranges(text, sorted(found, key=lambda v: v.start))

    def _refs(self, norm: str) -> tuple[ValueRef, ...]:
        return self.known.get(norm, ())

    def _quoted(self, text: str) -> list[Value]:
        out = []
        for m in _QUOTED.finditer(text):
            inner = next(g for g in m.groups() if g is not None)
            kind, norm = classify(inner)
            out.append(Value(inner, kind, norm, m.start(), m.end(), refs=self._refs(norm)))
        return out

    def _dates(self, text: str) -> list[Value]:
        return [
            Value(m.group(0), "date", m.group(0), m.start(), m.end()) for m in _DATE.finditer(text)
        ]

    def _word_spans(self, text: str) -> list[tuple[str, int, int]]:
        return [(m.group(0), m.start(), m.end()) for m in _WORDS_RE.finditer(text)]

    def _lookup(
        self, surface: str, foreign: bool = False
    ) -> tuple[str, tuple[ValueRef, ...] | None]:
        """A known value as written, in lower case ("iOS" for ios), singular ("playlists")
        or another form of the same word ("refunds" for refunded)."""
        known = self.foreign if foreign else self.known
        norm = normalise(surface)
        tries = [norm, " ".join(surface.lower().split())]
        if " " not in norm and norm.islower():
            if norm.endswith("ies") and len(norm) > 4:
                tries.append(norm[:-3] + "y")
            elif norm.endswith("s") and not norm.endswith("ss") and len(norm) > 3:
                tries.append(norm[:-1])
            if len(norm) > 3 and norm in (stem(norm), stem(norm) + "s"):
                # "refund", "refunds" for refunded; not "closing" for closed.
                stems = self._foreign_stems if foreign else self._known_stems
                tries.append(stems.get(stem(norm), norm))
        for candidate in tries:
            refs = known.get(candidate)
            if refs is not None:
                return candidate, refs
        return norm, None

    def _longest(self, text: str, value_at: Callable[[str, int, int], Value | None]) -> list[Value]:
        """The values ``value_at(text, start, end)`` finds among word n-grams, longest
        first, each word in at most one."""
        seq = self._word_spans(text)
        out: list[Value] = []
        i = 0
        while i < len(seq):
            for size in range(min(self.max_words, len(seq) - i), 0, -1):
                value = value_at(text, seq[i][1], seq[i + size - 1][2])
                if value is not None:
                    out.append(value)
                    i += size
                    break
            else:
                i += 1
        return out

    def _foreign(self, text: str) -> list[Value]:
        """Values only other clusters hold, as word n-grams, longest first."""
        return self._longest(text, self._foreign_at) if self.foreign else []

    def _foreign_at(self, text: str, start: int, end: int) -> Value | None:
        surface = text[start:end]
        norm, refs = self._lookup(surface, foreign=True)
        if refs is None or len(norm) < 3 or norm in STOPWORDS:
            return None
        if term(norm) in self.schema_terms:
            return None  # a word this cluster uses for a column of its own
        return Value(surface, "string", norm, start, end)

    def _known(self, text: str) -> list[Value]:
        """Known values as word n-grams, longest first; short or common words need exact case."""
        return self._longest(text, self._known_at) if self.known else []

    def _known_at(self, text: str, start: int, end: int) -> Value | None:
        surface = text[start:end]
        norm, refs = self._lookup(surface)
        if not refs:
            return None
        if term(norm) in self.schema_terms and _BREAKDOWN_BEFORE.search(text[:start]):
            return None  # "per country" breaks down by a column, it is not the genre
        weak = len(norm) < 3 or norm in STOPWORDS
        if weak and not (
            any(r.raw.strip("%") == surface for r in refs) and not _sentence_start(text, start)
        ):
            return None
        kind, _ = classify(surface)
        kind = kind if kind in ("month", "weekday", "country") else "string"
        cnorm = classify(surface)[1] if kind != "string" else norm
        return Value(surface, kind, cnorm, start, end, refs=refs)

    def _countries(self, text: str) -> list[Value]:
        out = []
        low = text.lower()
        for phrase, code in find_countries(text):
            pattern = r"\b" + r"[\s-]+".join(map(re.escape, phrase.split())) + r"\b"
            for m in re.finditer(pattern, low):
                surface = text[m.start() : m.end()]
                if len(phrase) <= 3 and not surface.isupper():
                    continue  # "us", "uk" as words, not countries
                if _CURRENCY_AFTER.match(text[m.end() :]):
                    continue  # "US dollars" names a currency
                out.append(
                    Value(
                        surface,
                        "country",
                        code.lower(),
                        m.start(),
                        m.end(),
                        refs=self._refs(code.lower()),
                    )
                )
        return out

    def _demonyms(self, text: str) -> list[Value]:
        """ "German listeners" -> DE, when the cluster holds DE and people follow."""
        out = []
        for word, start, end in self._word_spans(text):
            code = DEMONYMS.get(word.lower())
            if code is None or not word[0].isupper():
                continue
            refs = self._refs(code.lower())
            if (refs or self.holds_countries) and _DEMONYM_BEFORE.match(text[end:]):
                out.append(Value(word, "country", code.lower(), start, end, refs=refs))
        return out

    def _calendar(self, text: str) -> list[Value]:
        out = []
        for word, start, end in self._word_spans(text):
            low = word.lower()
            part = low[:-1] if low.endswith("s") else low
            if part in PARTS_OF_TIME and not _BREAKDOWN_BEFORE.search(text[:start]):
                # "on weekends", "in the evening": a filter on time, not a breakdown.
                out.append(Value(word, "period", part, start, end, refs=self._refs(part)))
                continue
            dated = re.match(r"\s+\d", text[end:]) is not None
            if low in MONTHS and (word[0].isupper() or dated or low not in ("may", "march")):
                out.append(Value(word, "month", low, start, end, refs=self._refs(low)))
            elif low.rstrip("s") in WEEKDAYS:
                norm = low.rstrip("s")
                out.append(Value(word, "weekday", norm, start, end, refs=self._refs(norm)))
        return out

    def _numbers(self, text: str) -> list[Value]:
        out = []
        for m in _NUMBER.finditer(text):
            raw = m.group(1).replace(",", "")
            kind, norm = classify(raw)
            role = _number_role(text, m.start(), m.end())
            unit = _TIME_AFTER.match(text[m.end() :])
            if unit and m.group(0) != m.group(1):  # "the 1st quarter", as "the first quarter"
                period = _period(norm, unit)
                out.append(Value(m.group(0), "period", period, m.start(), m.end(), "time"))
                continue
            if kind == "year" and role in ("limit", "time"):
                kind = "number"
            out.append(Value(m.group(0), kind, norm, m.start(), m.end(), role))
        for word, start, end in self._word_spans(text):
            low = word.lower()
            if low in NUMBER_WORDS and text[end : end + 1] != "-":
                role = _number_role(text, start, end)
                if low == "one" and role not in ("compare", "limit"):
                    continue  # "one of", "each one": not a count
                previous = words(text[:start])[-1:] or [""]
                if low in ("hundred", "thousand", "million") and not (
                    previous[0] in ("a", "one")
                    or previous[0] in NUMBER_WORDS
                    or previous[0].isdigit()
                ):
                    continue
                out.append(Value(word, "number", str(NUMBER_WORDS[low]), start, end, role))
            elif low in ORDINALS and (unit := _TIME_AFTER.match(text[end:])):
                # "the first quarter" names a period: only the same period stands for it.
                period = _period(str(ORDINALS[low]), unit)
                out.append(Value(word, "period", period, start, end, "time"))
        for m in _QUARTER.finditer(text):
            out.append(Value(m.group(0), "period", m.group(0).lower(), m.start(), m.end(), "time"))
        return _merge_magnitudes(text, out)

    def _names(self, text: str) -> list[Value]:
        """Capitalised words that are not schema words, generic words or sentence starts."""
        out = []
        for m in _CAPITALISED.finditer(text):
            phrase = m.group(1)
            start = m.start(1)
            tokens = phrase.split()
            if _sentence_start(text, start):
                tokens = tokens[1:]
                if not tokens:
                    continue
                start = text.index(tokens[0], start + 1)
            while tokens and tokens[-1].lower() in ("of", "de", "la", "du", "and", "&"):
                tokens = tokens[:-1]
            if not tokens:
                continue
            surface = text[start : text.index(tokens[-1], start) + len(tokens[-1])]
            if all(w.lower().strip("'’s") in NOT_VALUES for w in surface.split()):
                continue
            content = [w for w in words(surface) if w not in STOPWORDS]
            if not content or all(
                w in NOT_VALUES or term(w) in self.schema_terms or w in MONTHS or w.isdigit()
                for w in content
            ):
                continue
            norm = normalise(surface)
            out.append(
                Value(surface, "string", norm, start, start + len(surface), refs=self._refs(norm))
            )
        return out


_TIME_KINDS = frozenset({"year", "date", "month", "weekday"})
_RANGE_BEFORE = re.compile(
    r"\b(before|after|since|until|till|through|thru|prior to|up to|up until|earlier than|"
    r"later than|starting(?: in| from| on)?|beginning(?: in| on)?|ending(?: in| on)?|"
    r"onwards from|no later than|by the end of|from|between)"
    r"\s+(?:the\s+)?(?:(?:start|end|beginning|middle) of\s+)?$",
    re.I,
)
_RANGE_AFTER = re.compile(
    r"^\s*(?:onwards|onward|and later|and earlier|or later|or earlier)\b", re.I
)
_RANGE_JOIN = re.compile(r"^\s*(?:-|–|to|until|till|through|and)\s*$", re.I)
_ADJACENT = re.compile(r"^[\s,]*$")
_POINT_BEFORE = re.compile(r"\b(start|end|beginning|middle|close)\s+of\s+(?:the\s+)?$", re.I)
_RANGE_TO = re.compile(
    r"^[\s,]*(?:[A-Za-z]+[\s,]+)?(?:\d{4}[\s,]*)?(?:-|–|to|until|till|through)\b"
)


def _mark_ranges(text: str, values: list[Value]) -> list[Value]:
    """Times that bound a period rather than name it: "before 2025", "from 2023 to 2025".

    Such a value is a different question from one that names the period ("in 2025"):
    it may only stand for a value the pair's own words bound the same way.
    """
    out = list(values)
    for i, value in enumerate(out):
        if value.kind not in _TIME_KINDS:
            continue
        before, after = text[: value.start], text[value.end :]
        bound = _RANGE_BEFORE.search(before)
        if bound and bound.group(1).lower() == "from" and not _RANGE_TO.match(after):
            bound = None  # "streams from 2025" names a year; "from 2023 to 2025" bounds
        ranged = bool(bound) or bool(_RANGE_AFTER.match(after))
        previous = out[i - 1] if i else None
        if previous is not None and previous.role == "range":
            gap = text[previous.end : value.start]
            # "before March 2025" bounds with both; "from 2023 to 2025" with either end.
            ranged = ranged or bool(_ADJACENT.match(gap) or _RANGE_JOIN.match(gap))
        if ranged:
            out[i] = replace(value, role="range")
        elif value.kind in ("year", "month") and (point := _POINT_BEFORE.search(before)):
            # "at the end of 2025" is a day of 2025, not the year.
            out[i] = replace(value, role=point.group(1).lower().replace("beginning", "start"))
    return out


_PARENTHESES = re.compile(r"\([^)]*\)")
_LIST_ITEM = re.compile(r"^[A-Za-z][\w&'-]*(?: [A-Za-z][\w&'-]*){0,2}$")


def described_values(description: str) -> list[str]:
    """The values a column description enumerates: "... in SQL: free, premium, family."

    Only a list of three or more short items counts; prose is not a list of values.
    """
    text = _PARENTHESES.sub("", description.replace("e.g.", ":"))
    found: list[str] = []
    for sentence in re.split(r"[.;:](?:\s|$)", text):
        items = [i.strip() for i in re.split(r",\s*|\s+or\s+|\s+and\s+", sentence.strip())]
        items = [i for i in items if i]
        if len(items) >= 3 and all(_LIST_ITEM.match(i) for i in items):
            found = items  # the last list wins: "Client that played: ios, android, web"
    return found


def _period(number: str, unit: re.Match[str]) -> str:
    """ "1 quarter" for "the 1st quarter" or "the first quarters" (``unit`` matched _TIME_AFTER)."""
    return f"{number} {unit.group(0).split()[-1].lower().rstrip('s')}"


def _merge_magnitudes(text: str, numbers: list[Value]) -> list[Value]:
    """ "a hundred thousand" is one number, not two."""
    numbers = sorted(numbers, key=lambda v: v.start)
    merged: list[Value] = []
    for value in numbers:
        if merged and value.kind == "number" and merged[-1].kind == "number":
            gap = text[merged[-1].end : value.start]
            prev = merged[-1]
            if (
                gap.strip() == ""
                and value.norm in ("100", "1000", "1000000")
                and prev.end <= value.start
            ):
                total = float(prev.norm) * float(value.norm)
                merged[-1] = Value(
                    text[prev.start : value.end],
                    "number",
                    number_norm(total),
                    prev.start,
                    value.end,
                    prev.role or value.role,
                )
                continue
        merged.append(value)
    return merged
