"""Deciding whether a vetted pair answers a question, without running anything.

The pipeline, each step a small function:

1. route the question to the clusters that cover it (none: not covered);
2. gather candidate pairs: every phrasing of every pair of those clusters,
   ranked by BM25, then scored by how much of each side's topic words the
   other explains (idf-weighted, 0..1);
3. for the best candidates, plan value substitutions and run the ``CHECKS``:
   the question and the pair must agree on the aggregate, the direction, the
   breakdown (every "by month", "per country" a GROUP BY of the pair), what is
   counted (listeners are distinct users, not streams), the columns asked back,
   negation, comparisons, the period (relative, bounded, compared, changed),
   reasons, units, the words narrowing what is counted, and every value (a
   value only another cluster holds included);
4. answer with the best candidate only if it passes every check, is the best
   match or within a hair of it, is close enough, and is clearly ahead of any
   other passing pair that would give a different answer. Otherwise refuse.

An overconfident wrong answer is the worst outcome, so every doubt refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlglot.errors import SqlglotError

from vedder.answer.intent import (
    GENERIC_PERSONS,
    OPPOSITES,
    PERSONS,
    TIME_GRAINS,
    Intent,
    Shape,
    Slot,
    counted_nouns,
    parse,
    read_intent,
    read_shape,
    units,
)
from vedder.answer.result import Suggestion
from vedder.answer.substitute import Plan, Substitution, apply, plan
from vedder.answer.substitute import literal_stands_for as _literal_holds
from vedder.answer.substitute import same_value as _same_value
from vedder.answer.values import (
    Finder,
    Value,
    ValueRef,
    classify,
    described_values,
    routing_text,
)
from vedder.cluster.model import Cluster, Pair, Project
from vedder.retrieve import (
    GENERIC_TERMS,
    INTENT_TERMS,
    Index,
    Route,
    split_identifier,
    stem,
    term,
    terms,
    topic_terms,
    words,
)

MIN_SIMILARITY = 0.63  # below this the closest pair is about something else
NEAR_TIE = 0.06  # a passing pair this close to a better one is not trusted
MIN_MARGIN = 0.05  # over another passing pair that would answer differently
CANDIDATES = 8  # pairs examined in depth per question
SUBSTITUTION_COST = 0.04  # similarity given up per adapted literal when ranking pairs
ROUTE_GAP = 0.15  # clusters routed this far below the best are not searched for pairs


@dataclass(frozen=True)
class PairFacts:
    """What the matcher needs to know about one pair; computed once per index.

    Plain data, kept between runs (see :mod:`vedder.answer.prepared`): the parsed
    SQL itself is not kept, only what was read from it.
    """

    pair: Pair
    cluster: str
    shape: Shape
    support: frozenset[str]  # terms of the tables and columns the SQL reads
    weak_support: frozenset[str]  # terms of their descriptions
    error: str | None = None
    counted: frozenset[str] = frozenset()  # stems of the nouns for what its SQL counts
    group_support: frozenset[str] = frozenset()  # terms of what its GROUP BY is by


@dataclass(frozen=True)
class ClusterFacts:
    finder: Finder
    schema_terms: frozenset[str]  # names of its tables, columns and their synonyms
    pair_terms: frozenset[str] = frozenset()  # other words its pairs and tags use
    countables: frozenset[str] = frozenset()  # stems of the nouns for things it can count
    foreign_words: frozenset[str] = frozenset()  # other clusters' column synonyms, unknown here
    foreign_schema: frozenset[str] = frozenset()  # other clusters' column words, unknown here
    about: frozenset[str] = frozenset()  # stems of what its owners say it covers
    counted_terms: frozenset[str] = frozenset()  # what its pairs count: "refunds", "streams"


@dataclass(frozen=True)
class Asked:
    """The question, read once."""

    text: str
    values: list[Value]
    intent: Intent
    topic: tuple[str, ...]


@dataclass(frozen=True)
class Phrasing:
    """One vetted phrasing of a pair, read once per index."""

    text: str
    values: list[Value]
    topic: tuple[str, ...]
    intent: Intent


@dataclass(frozen=True)
class Said:
    """What a pair's own words say, over all its phrasings (and tags)."""

    phrasings: tuple[Phrasing, ...] = ()
    computes: frozenset[str] = frozenset()  # aggregates any phrasing names
    counted: frozenset[str] = frozenset()  # stems of the nouns its phrasings count
    grains: frozenset[str] = frozenset()  # calendar units its phrasings break down by
    grain_hints: frozenset[str] = frozenset()  # ... or hint at ("monthly")
    by: frozenset[str] = frozenset()  # terms of the phrases its phrasings break down by
    change: bool = False  # a phrasing asks for a change over time
    compares: bool = False  # a phrasing sets quantities against each other
    reason: bool = False  # a phrasing asks why
    units: frozenset[str] = frozenset()  # units its phrasings and output names use
    words: frozenset[str] = frozenset()  # stems of every word of its phrasings and tags


@dataclass
class Candidate:
    cluster: str
    pair: Pair
    phrasing: str
    similarity: float
    facts: PairFacts
    phrasing_values: list[Value] = field(default_factory=list)
    phrasing_intent: Intent = field(default_factory=Intent)
    plan: Plan = field(default_factory=Plan)
    problem: str | None = None  # the first check that failed
    failed: str | None = None  # the name of that check
    conflicts: tuple[str, ...] = ()  # question words that name other schema elements
    recall_p: float = 0.0  # share of the pair's words the question has
    said: Said = field(default_factory=Said)  # what all the pair's phrasings say
    known: ClusterFacts | None = None  # what the pair's cluster knows


@dataclass
class Match:
    """The decision for one question: a pair (and its adapted SQL) or a refusal."""

    question: str
    status: Literal["answered", "not_covered"]
    cluster: str | None = None
    pair: Pair | None = None
    phrasing: str | None = None
    sql: str | None = None
    substitutions: tuple[Substitution, ...] = ()
    similarity: float = 0.0
    margin: float = 0.0
    confidence: float = 0.0
    reason: str | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)  # every cluster, for refusals
    tables: tuple[str, ...] = ()  # the tables the SQL reads


# ------------------------------------------------------------------ facts (cached)


_ID_WORDS = frozenset({"id", "ids", "key", "code", "number", "no"})  # qualify a name


def _schema_terms(cluster: Cluster) -> frozenset[str]:
    found: set[str] = set()
    for dataset in cluster.datasets.values():
        found.update(terms(split_identifier(dataset.table.replace(".", " "))))
        found.update(terms(dataset.name))
        for column in dataset.columns:
            found.update(terms(column.name))
            for synonym in column.synonyms:
                # "music genre" names the genre: "music" alone does not name a column.
                named = [t for t in terms(synonym) if t not in _ID_WORDS]
                found.update(named[-1:] or terms(synonym))
    return frozenset(found)


def _last_noun(text: str) -> str | None:
    """The head noun of a name: "listener" in "listener id", "stream" in "podcast_streams"."""
    parts = [w for w in words(split_identifier(text)) if w not in _ID_WORDS]
    return stem(parts[-1]) if parts else None


def _alias_nouns(alias: str) -> set[str]:
    """What an output name says it holds: "active_subscribers" -> subscriber."""
    parts = words(alias)
    found = {stem(w) for w in parts if len(w) > 3 and w.endswith("s") and not w.endswith("ss")}
    if parts:
        found.add(stem(parts[-1]))
    return found


def _column_nouns(cluster: Cluster, table: str | None, column: str) -> set[str]:
    """Nouns for the things a column identifies: user_id -> user, listener, account."""
    found = {stem(w) for w in words(column) if w not in _ID_WORDS}
    base = column[:-3] if column.endswith("_id") else None
    for dataset in cluster.datasets.values():
        short = dataset.table.split(".")[-1].lower()
        if base is not None and _last_noun(short) == stem(base):
            found.add(stem(base))
            noun = _last_noun(dataset.name)
            if noun:
                found.add(noun)
        if table is not None and short != table.split(".")[-1].lower():
            continue
        for col in dataset.columns:
            if col.name.lower() == column:
                found.update(n for n in map(_last_noun, col.synonyms) if n)
    return found


def _table_nouns(cluster: Cluster, table: str | None) -> set[str]:
    """Nouns for one row of a table: streams -> stream; users -> user, account, listener."""
    if table is None:
        return set()
    short = table.split(".")[-1].lower()
    head = _last_noun(short)
    found = {head} if head else set()
    dataset = cluster.dataset_for_table(table)
    if dataset is None:
        dataset = next(
            (d for d in cluster.datasets.values() if d.table.split(".")[-1].lower() == short), None
        )
    if dataset is not None:
        noun = _last_noun(dataset.name)
        if noun:
            found.add(noun)
        for col in dataset.columns:
            name = col.name.lower()
            if name.endswith("_id") and head and stem(name[:-3]) == head:  # the table's own key
                found.update(n for n in map(_last_noun, col.synonyms) if n)
    return found


def _counted(cluster: Cluster, shape: Shape) -> frozenset[str]:
    """Stems of the nouns for what a statement counts or aggregates."""
    if not shape.aggregates:
        return frozenset()
    found: set[str] = set()
    for count in shape.counts:
        found |= _alias_nouns(count.alias)
        if count.distinct and count.column:
            found |= _column_nouns(cluster, count.table, count.column)
        else:
            found |= _table_nouns(cluster, count.table)
    for measure in shape.measures:
        found |= _alias_nouns(measure)
    return frozenset(found)


def _group_support(cluster: Cluster, shape: Shape) -> frozenset[str]:
    """Terms of what the GROUP BY is by: its columns, their synonyms, its output names."""
    found: set[str] = set(shape.group_grains)
    for name in shape.group_columns:
        found.update(terms(split_identifier(name)))
        for table in shape.tables:
            dataset = cluster.dataset_for_table(table)
            for column in dataset.columns if dataset else []:
                if column.name.lower() == name:
                    for synonym in column.synonyms:
                        found.update(terms(synonym))
    return frozenset(found)


def cluster_facts(index: Index, name: str, dialect: str | None = None) -> ClusterFacts:
    key = ("cluster-facts", name, dialect)
    cached = index.cache.get(key)
    if isinstance(cached, ClusterFacts):
        return cached
    cluster = index.project.clusters[name]
    known: dict[str, list[ValueRef]] = {}

    def remember(raw: str, table: str | None, column: str) -> None:
        kind, norm = classify(raw)
        if kind in ("number", "year", "date") or not norm:
            return
        refs = known.setdefault(norm, [])
        ref = ValueRef(table, column, raw.strip("%"))
        if ref not in refs:
            refs.append(ref)

    for dataset in cluster.datasets.values():
        profile = cluster.profiles.get(dataset.name)
        table = dataset.table.split(".")[-1].lower()
        profiled = set()
        for column_profile in profile.columns if profile else []:
            for share in column_profile.top_values or []:
                if isinstance(share.value, str) and share.value.strip():
                    remember(share.value, table, column_profile.name.lower())
                    profiled.add(column_profile.name.lower())
        # A column with no common values (every value distinct, such as plan names)
        # is known by the values its description lists.
        for column in dataset.columns:
            if column.name.lower() not in profiled:
                for raw in described_values(column.description or ""):
                    remember(raw, table, column.name.lower())
    for pair in cluster.pairs:
        facts = pair_facts(index, name, pair, dialect)
        for slot in facts.shape.slots:
            if slot.is_string and slot.role == "compare" and slot.column:
                remember(slot.value, slot.table, slot.column)
    schema = _schema_terms(cluster)
    countables = {stem(w) for w in PERSONS}
    for dataset in cluster.datasets.values():
        countables |= _table_nouns(cluster, dataset.table)
        for column in dataset.columns:
            countables |= _column_nouns(cluster, dataset.table, column.name.lower())
    # What the phrasings count, read once: countables and counted terms both need it.
    phrasings_count = [
        w for pair in cluster.pairs for q in pair.questions
        for w in counted_nouns(q.lower(), ranked=True)
    ]  # fmt: skip
    for pair in cluster.pairs:
        countables |= pair_facts(index, name, pair, dialect).counted
    countables.update(stem(w) for w in phrasings_count)
    # Words of the cluster's pairs tell pairs apart as much as its column names do:
    # "skip rate" belongs to the pair about skips, not to the one about shares.
    pair_words = {
        t
        for pair in cluster.pairs
        for q in [*pair.questions, *pair.tags]
        for t in topic_terms(q, generic=INTENT_TERMS)
    }
    # "On iOS" asked of the payments cluster, which has no devices, names a filter
    # that no pair of it can honour; so do "offline" and "by device".
    vocabulary = set(schema)
    if name in index.cluster_names:
        vocabulary |= index.cluster_terms[index.cluster_names.index(name)]
    unknown_here = vocabulary | GENERIC_TERMS
    others = [c for c in index.project.clusters.values() if c.name != name]
    foreign_values = {
        norm
        for other in others
        for profile in other.profiles.values()
        for column in profile.columns
        for share in column.top_values or []
        if isinstance(share.value, str)
        for kind, norm in [classify(share.value)]
        if kind == "string" and norm and norm not in known
        and not set(terms(norm)) <= unknown_here
    }  # fmt: skip
    foreign_schema = {t for other in others for t in _schema_terms(other)} - unknown_here
    foreign_words = {
        t
        for other in others
        for dataset in other.datasets.values()
        for column in dataset.columns
        for t in [
            *(t for synonym in column.synonyms for t in terms(synonym)),
            *(terms(column.name[3:]) if column.name.lower().startswith(("is_", "has_")) else []),
        ]
    } - unknown_here
    facts_ = ClusterFacts(
        Finder({k: tuple(v) for k, v in known.items()}, schema, frozenset(foreign_values)),
        frozenset(schema),
        frozenset(pair_words - schema),
        frozenset(countables),
        frozenset(foreign_words),
        frozenset(foreign_schema),
        frozenset(
            stem(w)
            for text in [cluster.title or "", cluster.description or "", *cluster.topics]
            for w in words(text)
        ),
        frozenset(_counted_terms(cluster, index, name, dialect, phrasings_count)),
    )
    index.cache[key] = facts_
    return facts_


def _counted_terms(
    cluster: Cluster, index: Index, name: str, dialect: str | None, phrasings_count: list[str]
) -> set[str]:
    """Terms of the nouns the cluster's pairs count or measure ("refunds", "listeners");
    ``phrasings_count``: the nouns their phrasings count."""
    found: set[str] = set()
    for pair in cluster.pairs:
        shape = pair_facts(index, name, pair, dialect).shape
        for alias in (*shape.measures, *(c.alias for c in shape.counts)):
            parts = words(alias)
            found.update(term(w) for w in parts if len(w) > 3 and w.endswith("s"))
    found.update(term(w) for w in phrasings_count)
    return found - {term(w) for w in GENERIC_PERSONS}


def pair_facts(index: Index, cluster: str, pair: Pair, dialect: str | None = None) -> PairFacts:
    key = ("pair-facts", cluster, pair.path, dialect)
    cached = index.cache.get(key)
    if isinstance(cached, PairFacts):
        return cached
    owner = index.project.clusters[cluster]
    try:
        tree = parse(pair.sql, dialect)
        shape, error = (read_shape(tree) if tree is not None else Shape()), None
    except (SqlglotError, ValueError) as exc:
        shape, error = Shape(), f"the pair's SQL does not parse: {exc}"
    support: set[str] = set()
    weak: set[str] = set()
    for table in shape.tables:
        support.update(terms(split_identifier(table)))
        dataset = owner.dataset_for_table(table)
        if dataset is None:
            continue
        support.update(terms(dataset.name))
        weak.update(terms(dataset.description or ""))
        for column in dataset.columns:
            if column.name.lower() in shape.columns:
                support.update(terms(column.name))
                for synonym in column.synonyms:
                    support.update(terms(synonym))
                weak.update(terms(column.description or ""))
    for name in shape.columns:
        support.update(terms(name))
    for tag in pair.tags:
        support.update(terms(tag))
    for output in shape.outputs:  # "charge_attempts": what the pair returns is what it is about
        support.update(terms(output))
    facts = PairFacts(
        pair,
        cluster,
        shape,
        frozenset(support),
        frozenset(weak),
        error,
        _counted(owner, shape),
        _group_support(owner, shape),
    )
    index.cache[key] = facts
    return facts


# ------------------------------------------------------------------ reading


def _without(text: str, values: list[Value]) -> str:
    for value in sorted(values, key=lambda v: -v.start):
        text = text[: value.start] + " " + text[value.end :]
    return text


def _topic(text: str, values: list[Value]) -> tuple[str, ...]:
    """Topic words for telling pairs apart: intent words and values are judged separately."""
    return tuple(dict.fromkeys(topic_terms(_without(text, values), generic=INTENT_TERMS)))


_WORD_VALUES = frozenset({"string", "country", "period"})  # values whose words are no intent


def read_question(text: str, finder: Finder) -> Asked:
    values = finder.find(text)
    spans = [(v.start, v.end) for v in values if v.kind in _WORD_VALUES]
    return Asked(
        text=text,
        values=values,
        intent=read_intent(text, values=spans),
        topic=_topic(text, values),
    )


# ------------------------------------------------------------------ similarity


UNKNOWN_WEIGHT = 2.0  # a word no cluster knows: usually a paraphrase's own wording
VALUE_WEIGHT = 3.0  # a named value weighs like a rare word: it pins a pair down
CONFLICT_WEIGHT = 2.0  # a schema word the pair does not use counts this much more


def _weight(index: Index, t: str) -> float:
    return index.idf(t) if t in index.df else UNKNOWN_WEIGHT


def _value_credit(value: Value, others: list[Value], slots: tuple[Slot, ...] = ()) -> float:
    """1 when the other side has the same value, 0.75 when it has one of the same kind."""
    if any(_same_value(value, o) for o in others):
        return 1.0
    if any(s.role != "other" and _literal_holds(s, value) for s in slots):
        return 1.0
    return 0.75 if any(o.kind == value.kind for o in others) else 0.0


def similarity(
    index: Index,
    asked: Asked,
    phrasing_topic: tuple[str, ...],
    phrasing_values: list[Value],
    facts: PairFacts,
    schema: frozenset[str],
    pair_terms: frozenset[str] = frozenset(),
    foreign: frozenset[str] = frozenset(),
) -> tuple[float, float, tuple[str, ...]]:
    """How well question and pair explain each other (0..1), how much of the pair's
    words the question has (0..1), and the conflicting words.

    Recall of the question's words (in the pair's words, or the names of what its
    SQL reads; half credit for their descriptions) weighs more than recall of the
    pair's words, because a paraphrase drops words freely but rarely adds topic
    words the pair does not cover. Named values count on both sides. A question
    word that names a table or column the pair does not use is a conflict: it
    weighs double against the pair.
    """
    strong = set(phrasing_topic) | facts.support
    conflicting: list[str] = []
    q_total = q_hit = 0.0
    for t in asked.topic:
        weight = _weight(index, t)
        if t in strong:
            q_hit += weight
        elif t in schema or t in foreign:
            # Named in a column description is not enough: the question names a
            # table or column that the pair's SQL does not read (or one that
            # only another cluster has).
            conflicting.append(t)
            weight *= CONFLICT_WEIGHT
        elif t in facts.weak_support:
            q_hit += weight / 2
        elif t in pair_terms:
            weight *= CONFLICT_WEIGHT  # a word another pair of the cluster is about
        q_total += weight
    for value in asked.values:
        q_total += VALUE_WEIGHT
        q_hit += VALUE_WEIGHT * _value_credit(value, phrasing_values, facts.shape.slots)
    p_total = p_hit = 0.0
    asked_terms = set(asked.topic)
    for t in phrasing_topic:
        weight = _weight(index, t)
        p_total += weight
        if t in asked_terms:
            p_hit += weight
    for value in phrasing_values:
        p_total += VALUE_WEIGHT
        p_hit += VALUE_WEIGHT * _value_credit(value, asked.values)
    recall_q = q_hit / q_total if q_total else 1.0
    recall_p = p_hit / p_total if p_total else 1.0
    return 0.6 * recall_q + 0.4 * recall_p, recall_p, tuple(conflicting)


# ------------------------------------------------------------------ checks

Check = Callable[[Asked, Candidate], "str | None"]
_COUNTING = {"count", "sum", "total"}


def check_parses(asked: Asked, c: Candidate) -> str | None:
    return c.facts.error


def _surface(text: str, stems: tuple[str, ...]) -> str:
    """The question's own words for some terms ("price" rather than the stem "pric")."""
    found = {t: w for w in re.findall(r"[\w'-]+", text) for t in terms(w) if t in stems}
    return ", ".join(repr(found.get(t, t)) for t in stems)


def check_topic(asked: Asked, c: Candidate) -> str | None:
    if c.conflicts:
        named = _surface(asked.text, c.conflicts)
        return f"the question mentions {named}, which the closest pair does not use"
    if c.similarity < MIN_SIMILARITY:
        return "no vetted pair is close enough to the question"
    return None


def check_aggregate(asked: Asked, c: Candidate) -> str | None:
    wants = asked.intent.aggregates
    words = c.phrasing_intent.aggregates
    shape = c.facts.shape
    gives = words | c.said.computes | shape.aggregates | ({"ratio"} if shape.ratio else set())
    for kind, name in (("avg", "an average"), ("median", "a median"), ("ratio", "a ratio")):
        if kind in wants and kind not in gives:
            return f"the question asks for {name}; the closest pair does not compute one"
        if kind in words and kind not in wants:
            return f"the closest pair computes {name}; the question does not ask for one"
    if "distinct" in wants and "distinct" not in shape.aggregates:
        return "the question counts distinct items; the closest pair does not"
    if "count" in wants and not gives & _COUNTING:
        return "the question asks how many; the closest pair does not count"
    if "sum" in wants and not gives & {"sum", "total"}:
        return "the question asks for a sum; the closest pair does not add up"
    if "total" in wants and not gives & _COUNTING:
        return "the question asks for a total; the closest pair does not compute one"
    for kind, direction in (("max", "desc"), ("min", "asc")):
        if kind in wants and kind not in gives and direction not in _pair_directions(c):
            return f"the question asks for the {kind}imum; the closest pair does not"
        if kind in wants and kind not in gives and shape.limit is None and shape.grouped:
            return f"the question asks for the {kind}imum; the closest pair lists every group"
    if (
        words & _COUNTING
        and asked.intent.listing
        and not wants & (_COUNTING | {"ratio", "avg"})
        and not asked.intent.directions
        and not asked.intent.grains  # "show me the month-by-month numbers" lists counts
    ):
        return "the closest pair gives a number; the question asks which"
    return None


def _pair_directions(c: Candidate) -> set[str]:
    shape = c.facts.shape
    found = set(c.phrasing_intent.directions)
    if shape.order:
        found.add(shape.order[0])
    if "max" in shape.aggregates:
        found.add("desc")
    if "min" in shape.aggregates:
        found.add("asc")
    return found


def check_direction(asked: Asked, c: Candidate) -> str | None:
    wants = asked.intent.directions
    if wants and not wants <= _pair_directions(c):
        return "the question asks for the other end of the ranking than the closest pair"
    shape = c.facts.shape
    if wants and not c.phrasing_intent.directions and shape.limit is None and not shape.order:
        return "the question asks for the top or bottom; the closest pair ranks nothing"
    if (
        wants
        and asked.intent.single
        and shape.limit is None
        and not shape.scalar
        and not (shape.aggregates & {"max", "min"})
    ):
        return "the question asks for the single top or bottom item; the closest pair lists all"
    if c.phrasing_intent.directions and not wants and c.facts.shape.limit is not None:
        return "the closest pair picks the top or bottom; the question does not"
    return None


def _asks_breakdown(asked: Asked, c: Candidate) -> bool:
    """Whether the question breaks down, counting "listened by country" when the pair's
    GROUP BY is by country (the words alone may read "by" as who did it)."""
    if asked.intent.grouped:
        return True
    return any(set(phrase) & c.facts.group_support for phrase in asked.intent.by_phrases)


def check_grouping(asked: Asked, c: Candidate) -> str | None:
    shape = c.facts.shape
    grouped = _asks_breakdown(asked, c)
    if grouped and not c.phrasing_intent.grouped:
        if not (shape.grouped and shape.limit is None):
            return "the question asks for a breakdown the closest pair does not have"
        unknown = [h for h in asked.intent.group_heads if h not in c.facts.support]
        if unknown:
            by = ", ".join(sorted(unknown))
            return f"the question breaks down by {by}; the closest pair does not"
    if c.phrasing_intent.grouped and not grouped and not asked.intent.listing:
        return "the closest pair gives a breakdown the question does not ask for"
    if grouped and c.phrasing_intent.grouped:
        asked_words = set(asked.topic) | asked.intent.group_heads
        missing = [h for h in c.phrasing_intent.group_heads if h not in asked_words]
        if missing and c.phrasing_intent.group_heads:
            by = ", ".join(sorted(missing))
            return f"the closest pair breaks down by {by}; the question does not"
    return None


def _counts_noun(noun: str, c: Candidate) -> bool:
    """Whether the pair counts what ``noun`` names (by its SQL, output names or own words)."""
    counted = c.facts.counted | c.said.counted
    st = stem(noun)
    if st in counted:
        return True
    if noun in GENERIC_PERSONS:
        persons = {stem(w) for w in PERSONS}
        return any(n.distinct for n in c.facts.shape.counts) or bool(counted & persons)
    countables = c.known.countables if c.known else frozenset()
    # A synonym the cluster does not tell apart from what the pair counts ("clients"
    # for "customers"); one it does tell apart ("subscribers", "subscriptions") is not.
    return st not in countables and term(noun) in {term(n) for n in counted}


def check_counted(asked: Asked, c: Candidate) -> str | None:
    """ "How many listeners" is not answered by a pair that counts streams."""
    if not c.facts.shape.aggregates:
        return None  # a pair that lists rows: the result-kind checks judge it
    for noun in asked.intent.counted:
        if not _counts_noun(noun, c):
            what = _what_is_counted(c)
            return f"the question counts {noun!r}; the closest pair counts {what}"
    # "The least streamed genre" ranks by streams: not by listeners.
    measured = c.facts.counted | c.said.words
    for verb in asked.intent.ranked_by:
        if c.facts.shape.counts and stem(verb) not in measured:
            what = _what_is_counted(c)
            return f"the question ranks by what was {verb}; the closest pair counts {what}"
    # A pair whose words say it counts papers does not answer a question that
    # neither counts nor names papers ("journals from the shortest name").
    says = c.phrasing_intent.counted
    if says and not asked.intent.counted and not asked.intent.aggregates & _COUNTING:
        asked_stems = {stem(w) for w in words(asked.text)}
        if not any(stem(w) in asked_stems for w in says):
            return f"the closest pair counts {says[0]!r}; the question does not ask for them"
    return None


def _what_is_counted(c: Candidate) -> str:
    for count in c.facts.shape.counts:
        if count.distinct and count.column:
            return f"distinct {count.column} ({count.alias})"
        if count.table:
            return f"rows of {count.table} ({count.alias})"
    measures = ", ".join(c.facts.shape.measures)
    return measures or "something else"


def check_breakdown(asked: Asked, c: Candidate) -> str | None:
    """Every "by month", "per country", "each week" needs a GROUP BY that does it, and back."""
    shape = c.facts.shape
    intent = asked.intent
    for grain in sorted(intent.grains):
        if grain not in shape.group_grains and grain not in c.said.grains:
            return f"the question breaks down by {grain}; the closest pair does not"
    for grain in sorted(intent.grain_hints):
        if grain not in shape.group_grains | c.said.grains | c.said.grain_hints:
            return f"the question breaks down by {grain}; the closest pair does not"
    asked_grains = intent.grains | intent.grain_hints
    for grain in sorted(shape.group_grains - asked_grains):
        if not asked_grains:
            return f"the closest pair breaks down by {grain}; the question does not"
    if c.known is None:
        return None
    measure = c.facts.counted | c.said.counted
    explained = c.facts.group_support | c.said.by | c.known.schema_terms
    for phrase in intent.by_phrases:
        named = set(phrase) & c.known.foreign_schema
        if named and not set(phrase) & explained:
            # "by device" of a cluster that has no device: no pair of it breaks down so.
            by = _surface(asked.text, tuple(sorted(named)))
            return f"the question breaks down by {by}; the closest pair does not"
    if not intent.grouped:
        return None
    for phrase in intent.group_phrases:
        named = set(phrase) - set(TIME_GRAINS)
        if not named & (c.known.schema_terms | c.known.foreign_schema):
            continue  # not a column of any cluster: other checks judge it
        if named & (c.facts.group_support | c.said.by) or {stem(t) for t in named} & measure:
            continue
        by = _surface(asked.text, tuple(sorted(named)))
        return f"the question breaks down by {by}; the closest pair does not"
    return None


def check_returns(asked: Asked, c: Candidate) -> str | None:
    """ "List the name and rating of ..." needs a pair that returns a rating."""
    if not asked.intent.returns or c.known is None:
        return None
    outputs = {t for name in c.facts.shape.outputs for t in terms(split_identifier(name))}
    said = {t for w in c.phrasing_intent.returns for t in terms(w)}
    for noun in asked.intent.returns:
        wanted = set(terms(noun)) - INTENT_TERMS
        if not wanted or not wanted <= c.known.schema_terms:
            continue  # not a column name: the topic checks judge it
        if not wanted & (outputs | said):
            named = _surface(asked.text, tuple(sorted(wanted)))
            return f"the question asks for {named}; the closest pair does not return it"
    return None


def check_result_kind(asked: Asked, c: Candidate) -> str | None:
    shape = c.facts.shape
    wants = asked.intent.aggregates
    if (
        "count" in wants
        and not asked.intent.grouped
        and shape.listing
        and not shape.aggregates
        and "count" not in c.phrasing_intent.aggregates
    ):
        return "the question asks how many; the closest pair lists rows"
    one_number = wants & {"count", "sum", "total", "avg", "median", "ratio", "max", "min"}
    if (
        one_number
        and not _asks_breakdown(asked, c)
        and not asked.intent.listing
        and not asked.intent.directions
        and shape.grouped
        and not c.phrasing_intent.grouped
        and shape.limit is None
        and shape.listing
        and not c.phrasing_intent.listing
    ):
        return "the question asks for one number; the closest pair gives one per group"
    numeric = wants | asked.intent.directions
    if asked.intent.listing and not numeric and shape.scalar:
        return "the question asks which; the closest pair returns a single number"
    return None


def check_negation(asked: Asked, c: Candidate) -> str | None:
    if asked.intent.negated != c.phrasing_intent.negated:
        return "one of the question and the closest pair excludes something the other does not"
    return None


def check_comparison(asked: Asked, c: Candidate) -> str | None:
    if asked.intent.comparisons != c.phrasing_intent.comparisons:
        return "the question compares differently (more than / less than) from the closest pair"
    return None


def check_time(asked: Asked, c: Candidate) -> str | None:
    if (
        asked.intent.relative_time != c.phrasing_intent.relative_time
        or asked.intent.relative_periods != c.phrasing_intent.relative_periods
    ):
        return "the question and the closest pair differ on the time period"
    return None


def check_change(asked: Asked, c: Candidate) -> str | None:
    if asked.intent.change and not c.said.change:
        return "the question asks how something changed; the closest pair gives one period"
    # A ratio the question asks for sets one quantity against the other too.
    ratio = "ratio" in asked.intent.aggregates and (
        c.facts.shape.ratio or "ratio" in c.said.computes
    )
    if asked.intent.compares and not (c.said.compares or c.said.change or ratio):
        return "the question compares two things; the closest pair gives one figure"
    return None


def check_including(asked: Asked, c: Candidate) -> str | None:
    if asked.intent.including and not any(p.intent.including for p in c.said.phrasings):
        return "the question includes something the closest pair may leave out"
    return None


_OPPOSITE_STEMS = tuple((frozenset(map(stem, a)), frozenset(map(stem, b))) for a, b in OPPOSITES)


def check_opposites(asked: Asked, c: Candidate) -> str | None:
    """ "Success rate" of a pair about failures; "subscriptions that ended" of one that started."""
    said = c.said.words
    stems = {stem(w) for w in words(asked.text)}
    for one, other in _OPPOSITE_STEMS:
        for mine, theirs in ((one, other), (other, one)):
            if stems & mine and not stems & theirs and said & theirs and not said & mine:
                word = next(w for w in words(asked.text) if stem(w) in mine)
                return f"the question asks about {word!r}; the closest pair about the opposite"
    return None


def check_reason(asked: Asked, c: Candidate) -> str | None:
    if asked.intent.reason and not c.said.reason:
        return "the question asks why; the closest pair does not give reasons"
    return None


def check_units(asked: Asked, c: Candidate) -> str | None:
    wants = asked.intent.units
    if wants - c.said.units:
        gives = ", ".join(sorted(c.said.units)) or "no unit it names"
        return f"the question asks in {', '.join(sorted(wants))}; the closest pair gives {gives}"
    return None


def _says_qualified(c: Candidate, word: str, noun: str) -> bool:
    """Whether a phrasing of the pair puts ``word`` next to ``noun`` ("authors associated"),
    or next to another noun for what the pair counts ("new users" for "new listeners")."""
    w = stem(word)
    nouns = {stem(noun)}
    if _counts_noun(noun, c):
        nouns |= c.facts.counted | c.said.counted
    for phrasing in c.pair.questions:
        stems = [stem(x) for x in words(phrasing)]
        for i, s in enumerate(stems):
            if s in nouns and w in stems[max(0, i - 3) : i + 3]:
                return True
    return False


def check_qualifiers(asked: Asked, c: Candidate) -> str | None:
    """ "How many repeat listeners" narrows what is counted: the pair must say so too."""
    about = c.known.about if c.known else frozenset()
    shape = c.facts.shape
    read = {t for name in (*shape.columns, *shape.tables) for t in terms(split_identifier(name))}
    for word, noun in asked.intent.qualifiers:
        if _says_qualified(c, word, noun) or term(word) in read:
            continue
        if stem(word) in about:
            continue  # "music streams" in the music cluster: every stream is one
        return f"the question asks about {word} {noun}; the closest pair does not narrow to them"
    return None


def check_values(asked: Asked, c: Candidate) -> str | None:
    return c.plan.problem


# Checks whose failure rules a pair out without casting doubt on the others.
_SKIPPABLE = frozenset({"check_parses", "check_topic", "check_values", "check_counted"})

CHECKS: tuple[Check, ...] = (
    check_parses,
    check_topic,
    check_values,
    check_aggregate,
    check_direction,
    check_grouping,
    check_breakdown,
    check_counted,
    check_returns,
    check_result_kind,
    check_negation,
    check_comparison,
    check_time,
    check_change,
    check_including,
    check_opposites,
    check_reason,
    check_units,
    check_qualifiers,
)


# ------------------------------------------------------------------ the pipeline


def pair_said(index: Index, cluster: str, pair: Pair, dialect: str | None = None) -> Said:
    """What a pair's phrasings say: read once per index, not once per question."""
    key = ("pair-said", cluster, pair.path, dialect)
    cached = index.cache.get(key)
    if isinstance(cached, Said):
        return cached
    finder = cluster_facts(index, cluster, dialect).finder
    facts = pair_facts(index, cluster, pair, dialect)
    phrasings = []
    for text in pair.questions:
        values = finder.find(text)
        spans = [(v.start, v.end) for v in values if v.kind in _WORD_VALUES]
        phrasings.append(
            Phrasing(text, values, _topic(text, values), read_intent(text, values=spans))
        )
    intents = [p.intent for p in phrasings]
    said = Said(
        phrasings=tuple(phrasings),
        computes=frozenset(a for i in intents for a in i.aggregates),
        counted=frozenset(stem(w) for i in intents for w in i.counted),
        grains=frozenset(g for i in intents for g in i.grains),
        grain_hints=frozenset(g for i in intents for g in i.grain_hints),
        by=frozenset(t for i in intents for phrase in i.group_phrases for t in phrase),
        change=any(i.change for i in intents),
        compares=any(i.compares for i in intents),
        reason=any(i.reason for i in intents),
        units=frozenset(
            {u for i in intents for u in i.units}
            | {u for m in facts.shape.measures for u in units(" ".join(words(m)))}
        ),
        words=frozenset(stem(w) for q in [*pair.questions, *pair.tags] for w in words(q)),
    )
    index.cache[key] = said
    return said


def _candidates(
    index: Index, asked_by_cluster: dict[str, Asked], clusters: list[str], dialect: str | None
) -> list[Candidate]:
    scored = index.pair_scores(
        next(iter(asked_by_cluster.values())).text, clusters, limit=CANDIDATES * 3
    )
    out: list[Candidate] = []
    for sp in scored:
        asked = asked_by_cluster[sp.cluster]
        facts = pair_facts(index, sp.cluster, sp.pair, dialect)
        known = cluster_facts(index, sp.cluster, dialect)
        said = pair_said(index, sp.cluster, sp.pair, dialect)
        best: Candidate | None = None
        for phrasing in said.phrasings:
            sim, recall_p, conflicting = similarity(
                index,
                asked,
                phrasing.topic,
                phrasing.values,
                facts,
                known.schema_terms,
                known.pair_terms,
                known.foreign_words | known.counted_terms,
            )
            if best is None or sim > best.similarity:
                best = Candidate(
                    sp.cluster,
                    sp.pair,
                    phrasing.text,
                    sim,
                    facts,
                    phrasing.values,
                    phrasing.intent,
                    conflicts=conflicting,
                    recall_p=recall_p,
                    said=said,
                    known=known,
                )
        if best is not None:
            out.append(best)
    out.sort(key=lambda c: -c.similarity)
    return out[:CANDIDATES]


def _examine(asked: Asked, candidate: Candidate) -> Candidate:
    values = asked.values
    limit = candidate.facts.shape.limit
    if asked.intent.single_top and limit and limit > 1 and all(v.kind != "number" for v in values):
        # "The top artist" of a pair that lists the top ten: the first of them.
        values = [*values, Value(asked.intent.single_top, "number", "1", -1, -1, "limit")]
    candidate.plan = plan(values, candidate.phrasing_values, candidate.facts.shape.slots)
    for check in CHECKS:
        problem = check(asked, candidate)
        if problem:
            candidate.problem = problem
            candidate.failed = check.__name__
            break
    return candidate


def _adapted_sql(candidate: Candidate, dialect: str | None) -> str:
    if not candidate.plan.substitutions or candidate.facts.error is not None:
        return candidate.pair.sql.strip()
    # Parsed again (the facts keep no tree): the same text gives the same tree,
    # so the planned slots are the same literals.
    tree = parse(candidate.pair.sql, dialect)
    if tree is None:
        return candidate.pair.sql.strip()
    return apply(tree, candidate.plan.substitutions).sql(dialect=dialect, pretty=True)


def _suggestions(candidates: list[Candidate]) -> list[Suggestion]:
    return [
        Suggestion(c.cluster, c.pair.path, c.phrasing, round(c.similarity, 3))
        for c in candidates[:3]
    ]


def _different(a: Candidate, b: Candidate) -> bool:
    """Whether two pairs would answer differently.

    Two pairs of one cluster that read the same columns of the same tables with the
    same aggregates, breakdown, limit and literals differ at most in row order,
    which the question did not ask about (else the direction checks would differ).
    """
    if a.cluster != b.cluster:
        return True
    x, y = a.facts.shape, b.facts.shape
    same = (
        x.tables == y.tables and x.columns == y.columns and x.aggregates == y.aggregates
        and x.grouped == y.grouped and x.limit == y.limit and x.ratio == y.ratio
        and sorted(s.value for s in x.slots if s.role != "other")
        == sorted(s.value for s in y.slots if s.role != "other")
    )  # fmt: skip
    return not same


def _confidence(similarity: float, margin: float, substituted: bool) -> float:
    """0..1 from closeness and margin; an adapted pair is a little less sure than a verbatim one."""
    closeness = (similarity - MIN_SIMILARITY) / (1 - MIN_SIMILARITY)
    lead = min(margin / 0.2, 1.0)
    value = 0.5 + 0.3 * max(closeness, 0.0) + 0.2 * lead
    return round(value * (0.95 if substituted else 1.0), 3)


def match(
    question: str,
    project: Project,
    index: Index,
    *,
    dialect: str | None = None,
    cluster: str | None = None,
) -> Match:
    """Decide, without executing anything, whether a vetted pair answers ``question``.

    ``cluster`` restricts matching to that cluster (it must still cover the question).
    """
    everything = sorted(project.clusters)
    # "German listeners" is about Germany: route it as such (the values step decides
    # whether a cluster really holds that country); a written date is a date.
    routes = index.route(routing_text(question), limit=len(everything) if cluster else 3)
    if cluster is not None:
        routes = [r for r in routes if r.cluster == cluster]
    best_route = max((r.score for r in routes if r.covered), default=0.0)
    covered = [r.cluster for r in routes if r.covered and r.score >= best_route - ROUTE_GAP]
    if not covered:
        return Match(
            question,
            "not_covered",
            routes=routes,
            clusters=everything,
            reason="no cluster covers this question",
        )
    asked_by_cluster = {
        name: read_question(question, cluster_facts(index, name, dialect).finder)
        for name in covered
    }
    candidates = _candidates(index, asked_by_cluster, covered, dialect)
    if not candidates:
        return Match(
            question,
            "not_covered",
            cluster=covered[0],
            routes=routes,
            clusters=everything,
            reason="no vetted pair in the covering clusters is close",
        )
    examined = [_examine(asked_by_cluster[c.cluster], c) for c in candidates]
    return _decide(question, examined, routes, everything, dialect)


def _decide(
    question: str,
    examined: list[Candidate],
    routes: list[Route],
    everything: list[str],
    dialect: str | None,
) -> Match:
    top = examined[0]
    passing = [c for c in examined if c.problem is None]

    def refuse(reason: str) -> Match:
        return Match(
            question,
            "not_covered",
            cluster=top.cluster,
            similarity=top.similarity,
            reason=reason,
            suggestions=_suggestions(examined),
            routes=routes,
            clusters=everything,
        )

    if not passing:
        return refuse(top.problem or "no vetted pair matches")
    # Between pairs that fit about equally, one that needs no adaptation is safer.
    passing.sort(key=lambda c: -(c.similarity - SUBSTITUTION_COST * len(c.plan.substitutions)))
    best = passing[0]
    # A closer pair that asks for a different kind of answer (not merely other
    # values or other words) means the question is probably that pair's variant:
    # a lesser pair that happens to pass is not trusted.
    blocking = [
        c for c in examined
        if c.failed not in _SKIPPABLE and c.problem and c.similarity > best.similarity + NEAR_TIE
        and c.recall_p >= 0.9
    ]  # fmt: skip
    # A closer pair of another cluster that counts something else means the clusters
    # read the question differently ("genres": of music or of podcasts?).
    blocking += [
        c for c in examined
        if c.failed == "check_counted" and c.cluster != best.cluster
        and c.similarity > best.similarity
    ]  # fmt: skip
    if blocking:
        return refuse(f"the closest vetted pair does not fit: {blocking[0].problem}")
    rivals = [c for c in passing[1:] if _different(best, c)]
    margin = best.similarity - rivals[0].similarity if rivals else best.similarity
    if rivals and margin < MIN_MARGIN:
        return refuse(
            f"two vetted pairs fit equally well ({best.pair.path}, {rivals[0].pair.path})"
        )
    sql = _adapted_sql(best, dialect)
    return Match(
        question,
        "answered",
        cluster=best.cluster,
        pair=best.pair,
        phrasing=best.phrasing,
        sql=sql,
        substitutions=best.plan.substitutions,
        similarity=round(best.similarity, 4),
        margin=round(margin, 4),
        confidence=_confidence(best.similarity, margin, bool(best.plan.substitutions)),
        suggestions=_suggestions([c for c in examined if c is not best]),
        routes=routes,
        clusters=everything,
        tables=best.facts.shape.tables,
    )
