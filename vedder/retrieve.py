"""Routing a question to clusters, and choosing the context an answerer sees.

One :class:`Index` is built per project. It holds a BM25 index (SQLite's FTS5
full-text engine, in memory) over everything a cluster knows: its title, description and topics;
each dataset with its columns, descriptions, synonyms and profiled values; each
Markdown section of each doc; and each phrasing of each vetted pair. Routing
scores clusters by their best items and decides *coverage* separately, as the
idf-weighted share of the question's topic words a cluster knows. That share
lies in 0..1 whatever the corpus size, so one threshold works for a project of
three clusters and one of two hundred. Below it, routing says "not covered":
never a guess.

The small text toolkit (tokenising, stemming, synonyms, country names) lives
here too because the offline answerer must see words exactly as routing does.
"""

from __future__ import annotations

import gc
import math
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import cast

from vedder.cluster.model import Cluster, Column, Dataset, Doc, Pair, Project
from vedder.errors import VedderError

DEFAULT_THRESHOLD = 0.5  # share of the question's topic words a cluster must know
# A word no cluster knows weighs like a fairly rare one, not like the rarest: it
# may be a paraphrase's own wording as much as a sign of another subject.
UNKNOWN_TERM_WEIGHT = 3.0
CHARS_PER_TOKEN = 4  # rough, model-independent estimate used for budgets

# --------------------------------------------------------------------------- words


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _word_set(
    """a an the and or but if of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such
    no nor not only own same so than too very s t can will just don should now is are
    was were be been being have has had having do does did doing i me my we our you your
    he him his she her it its they them their what which who whom this that these those
    am would could shall may might must also as per please give tell find get
    return list display provide want need know like many much let lets us whose yet via
    within across along among upon whether there's what's it's that's let's does doesn't
    don't did didn't isn't aren't"""
)

# Words that say what kind of answer a question wants (the offline answerer reads
# them as intent) or that any data question may use: never evidence of a topic.
INTENT_WORDS = _word_set(
    """number count total sum average avg mean median maximum minimum max min top bottom
    highest lowest most least fewest largest smallest biggest greatest best worst
    longest shortest ratio proportion percentage percent share fraction how many much
    which what data database table record records row rows result results information
    info detail details overall all every each order ordered sort sorted rank ranked
    descending ascending increasing decreasing alphabetical alphabetically respective
    respectively corresponding related including include includes along together
    breakdown broken split grouped group distribution vary varies change changes
    difference compared comparison list lists listed ever entire whole give
    return more less fewer greater higher lower above below over under than exceed
    exceeding exceeds"""
)
# Plus the words of names, values and time: common to every cluster, so they say
# nothing about which cluster a question is for (but do tell pairs apart).
GENERIC = INTENT_WORDS | _word_set(
    """name names value values first last latest earliest recent current currently today
    yesterday ago past previous next week weeks month months year years day days quarter
    date time one two three four five six seven eight nine ten eleven twelve fifteen
    twenty thirty fifty hundred thousand million january february march april may june
    july august september october november december monday tuesday wednesday thursday
    friday saturday sunday"""
)

# Groups of words a question may use for the same thing. General English and the
# spelling variants of data questions only: cluster-specific words belong in the
# cluster's topics and column synonyms, where their owners keep them.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("customer", "client"),
    ("purchase", "buy", "bought"),
    ("price", "cost"),
    ("revenue", "income", "earnings", "turnover"),
    ("film", "movie"),
    ("begin", "start"),
    ("finish", "end"),
    ("city", "town"),
    ("country", "nation"),
    ("shop", "store"),
    ("paper", "article"),
    ("fly", "flight"),
    ("author", "writer"),
    ("instructor", "teacher", "lecturer", "professor", "tutor"),
    ("student", "pupil", "learner"),
    ("physician", "doctor"),
    ("drug", "medication", "medicine"),
    ("aircraft", "airplane"),
    ("airline", "carrier"),
    ("altitude", "elevation"),
    ("population", "inhabitants", "residents"),
    ("phone", "telephone"),
    ("salary", "wage"),
    ("employee", "staff", "worker"),
    ("register", "registration", "signup", "sign-up"),
    ("subscriber", "subscription", "subscribe"),
    ("advertisement", "advert", "ad", "ads"),
    ("trip", "journey"),
    ("restaurant", "eatery"),
    ("kind", "type", "variety"),
    ("speed", "velocity"),
    ("gender", "sex"),
    ("vendor", "supplier"),
    ("coupon", "voucher"),
    ("notification", "alert"),
    ("car", "vehicle", "automobile"),
    ("ticker", "symbol"),
    ("neighbourhood", "neighborhood", "district"),
    ("organisation", "organization"),
    ("programme", "program"),
    ("colour", "color"),
    ("favourite", "favorite"),
    ("cancelled", "canceled"),
    ("day", "daily"),
    ("week", "weekly"),
    ("month", "monthly"),
    ("quarter", "quarterly"),
    ("year", "yearly", "annual", "annually"),
    ("hour", "hourly"),
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[^\W_]+(?:['’][a-z]+)?(?:-[^\W_]+)*")
_UNDOUBLE = re.compile(r"([b-df-hj-km-np-rtv-z])\1$")


def split_identifier(text: str) -> str:
    """``sbCustName`` -> ``sb Cust Name`` so identifiers match the words of a question."""
    return _CAMEL.sub(" ", text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: plurals, -ed, -ing and a final e.

    Deliberately crude but consistent: what matters is that "ratings", "rated"
    and "rating" meet, not that the stem is a real word.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "ches", "shes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ation") and len(word) > 7:
        word = word[:-5]  # "citation" meets "cited", "registration" meets "registered"
    elif word.endswith("tion") and len(word) > 6:
        word = word[:-3]  # "completion" meets "completed"
    elif word.endswith("ing") and len(word) > 5:
        word = _UNDOUBLE.sub(r"\1", word[:-3])
    elif word.endswith("ed") and not word.endswith("eed") and len(word) > 4:
        word = _UNDOUBLE.sub(r"\1", word[:-2])
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _canonical_map() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for group in SYNONYM_GROUPS:
        head = stem(group[0])
        for word in group:
            mapping[stem(word.replace("-", ""))] = head
    return mapping


CANONICAL = _canonical_map()
GENERIC_TERMS = frozenset(CANONICAL.get(stem(w), stem(w)) for w in GENERIC)
INTENT_TERMS = frozenset(CANONICAL.get(stem(w), stem(w)) for w in INTENT_WORDS)


_RAW_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?(?:-[^\W_]+)*")


@lru_cache(maxsize=262144)
def _split_word(raw: str) -> tuple[str, ...]:
    """The lower-case words of one raw token (cached: vocabularies are small, texts are not)."""
    out: list[str] = []
    for piece in _WORD.findall(split_identifier(raw)):
        low = piece.lower().replace("’", "'")
        if "-" in low:
            parts = [p for p in low.split("-") if p]
            out.extend(parts)
            out.append("".join(parts))
        elif "'" in low:
            out.append(low.split("'")[0] if low.endswith("'s") else low)
        else:
            out.append(low)
    return tuple(out)


def words(text: str) -> list[str]:
    """Lower-case words of ``text``, identifiers split, stopwords kept.

    A hyphenated word yields its parts and the joined form ("check-ins" gives
    "check", "ins" and "checkins") so that it meets an identifier either way.
    """
    return [w for raw in _RAW_WORD.findall(text) for w in _split_word(raw)]


def term(word: str) -> str:
    """The comparable form of one word: stemmed, then mapped to its synonym group."""
    stemmed = stem(word)
    return CANONICAL.get(stemmed, stemmed)


_STOPWORD_STEMS = frozenset(stem(w) for w in STOPWORDS)


@lru_cache(maxsize=262144)
def _raw_terms(raw: str) -> tuple[str, ...]:
    return tuple(
        term(w) for w in _split_word(raw) if w not in STOPWORDS and stem(w) not in _STOPWORD_STEMS
    )


def terms(text: str) -> list[str]:
    """Comparable terms of ``text``: words without stopwords, stemmed, synonyms merged."""
    return list(chain.from_iterable(map(_raw_terms, _RAW_WORD.findall(text))))


# "Show me ...", "List the ...": the verb that opens a request says nothing about
# its subject, but the same word may be a noun elsewhere ("podcast shows").
_LEADING_VERB = re.compile(
    r"(^|[.?!;:]\s*)(?:please\s+)?(?:show|list|give|tell|display|return|find|get|provide)\b"
    r"(?:\s+(?:me|us))?",
    re.IGNORECASE,
)


def without_leading_verb(text: str) -> str:
    return _LEADING_VERB.sub(r"\1", text)


def topic_terms(text: str, *, generic: frozenset[str] = GENERIC_TERMS) -> list[str]:
    """Terms that say what a question is about: no ``generic`` words, no bare numbers."""
    return [t for t in terms(without_leading_verb(text)) if t not in generic and not t.isdigit()]


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


# ------------------------------------------------------------------ country names

# ISO 3166 alpha-2 code: English name and common aliases. Values such as 'SE' are
# how warehouses store countries; questions say "Sweden".
_COUNTRY_TABLE = """
AE United Arab Emirates|UAE;AR Argentina;AT Austria;AU Australia;BD Bangladesh;BE Belgium;
BG Bulgaria;BO Bolivia;BR Brazil;BY Belarus;CA Canada;CH Switzerland;CL Chile;CN China;
CO Colombia;CR Costa Rica;CU Cuba;CY Cyprus;CZ Czechia|Czech Republic;DE Germany;DK Denmark;
DO Dominican Republic;DZ Algeria;EC Ecuador;EE Estonia;EG Egypt;ES Spain;ET Ethiopia;
FI Finland;FR France;GB United Kingdom|UK|Great Britain|Britain;GH Ghana;GR Greece;
GT Guatemala;HK Hong Kong;HN Honduras;HR Croatia;HU Hungary;ID Indonesia;IE Ireland;
IL Israel;IN India;IQ Iraq;IR Iran;IS Iceland;IT Italy;JM Jamaica;JO Jordan;JP Japan;
KE Kenya;KR South Korea|Korea;KW Kuwait;KZ Kazakhstan;LB Lebanon;LK Sri Lanka;
LT Lithuania;LU Luxembourg;LV Latvia;MA Morocco;MT Malta;MX Mexico;MY Malaysia;
NG Nigeria;NL Netherlands|Holland;NO Norway;NP Nepal;NZ New Zealand;PA Panama;PE Peru;
PH Philippines;PK Pakistan;PL Poland;PR Puerto Rico;PT Portugal;PY Paraguay;QA Qatar;
RO Romania;RS Serbia;RU Russia;SA Saudi Arabia;SE Sweden;SG Singapore;SI Slovenia;
SK Slovakia;SV El Salvador;TH Thailand;TN Tunisia;TR Turkey|Türkiye;TW Taiwan;
TZ Tanzania;UA Ukraine;UG Uganda;US United States|USA|United States of America|America;
UY Uruguay;VE Venezuela;VN Vietnam;ZA South Africa;ZW Zimbabwe
"""


def _countries() -> tuple[dict[str, str], dict[str, str]]:
    by_name: dict[str, str] = {}
    names: dict[str, str] = {}
    for entry in _COUNTRY_TABLE.replace("\n", "").split(";"):
        code, _, rest = entry.strip().partition(" ")
        aliases = rest.split("|")
        names[code] = aliases[0]
        for alias in aliases:
            by_name[" ".join(words(alias))] = code
    return by_name, names


COUNTRY_CODES, COUNTRY_NAMES = _countries()  # "sweden" -> "SE"; "SE" -> "Sweden"
_MAX_COUNTRY_WORDS = max(len(name.split()) for name in COUNTRY_CODES)


def find_countries(text: str) -> list[tuple[str, str]]:
    """Countries named in ``text`` as (the words used, ISO code), longest names first."""
    seq = words(text)
    found: list[tuple[str, str]] = []
    i = 0
    while i < len(seq):
        for size in range(min(_MAX_COUNTRY_WORDS, len(seq) - i), 0, -1):
            phrase = " ".join(seq[i : i + size])
            code = COUNTRY_CODES.get(phrase)
            # "us" and "in" are English words long before they are countries.
            if code and not (size == 1 and phrase in STOPWORDS):
                found.append((phrase, code))
                i += size
                break
        else:
            i += 1
    return found


def query_terms(question: str) -> list[str]:
    """Terms of a question plus the ISO codes of countries it names."""
    out = terms(without_leading_verb(question))
    out += [code.lower() for _, code in find_countries(question)]
    return out


_SINGLE_WORD_COUNTRIES = {
    name: code.lower()
    for name, code in COUNTRY_CODES.items()
    if " " not in name and name not in STOPWORDS
}
_COUNTRY_TERMS = {term(name): code for name, code in _SINGLE_WORD_COUNTRIES.items()}


def text_terms(text: str) -> list[str]:
    """Terms of an indexed text plus the codes of the one-word countries it names.

    Cheaper than :func:`query_terms` (no multi-word names), which matters when a
    repository has hundreds of thousands of descriptions.
    """
    out = terms(text)
    out += [_COUNTRY_TERMS[t] for t in _COUNTRY_TERMS.keys() & out]
    return out


# ------------------------------------------------------------------ doc sections

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Section:
    doc: Doc
    heading: str  # "Title > Sub" path; empty before the first heading
    text: str


def split_sections(doc: Doc) -> list[Section]:
    """A doc cut at its Markdown headings; code fences are not searched for headings."""
    sections: list[Section] = []
    path: list[str] = []
    lines: list[str] = []
    in_fence = False

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body or path:
            sections.append(Section(doc, " > ".join(path), body))

    for line in doc.body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match:
            flush()
            lines = []
            level = len(match.group(1))
            path = [*path[: level - 1], match.group(2)]
            path = [p for p in path if p]
            continue
        lines.append(line)
    flush()
    return [s for s in sections if s.text or s.heading]


# ------------------------------------------------------------------ the index


@dataclass(frozen=True)
class Route:
    """A cluster ranked for a question. ``score`` is in 0..1; ``covered`` passed the threshold."""

    cluster: str
    score: float
    covered: bool
    coverage: float = 0.0  # idf-weighted share of the question's topic words the cluster knows
    matched: tuple[str, ...] = ()  # the topic terms it knows


@dataclass(frozen=True)
class ScoredPair:
    cluster: str
    pair: Pair
    score: float
    phrasing: str  # the phrasing that scored best


@dataclass(frozen=True)
class DocSlice:
    path: str
    heading: str
    text: str
    score: float
    truncated: bool = False


@dataclass(frozen=True)
class ColumnSlice:
    name: str
    type: str | None
    description: str | None
    synonyms: tuple[str, ...] = ()
    avoid: str | None = None
    common_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetSlice:
    name: str
    table: str
    path: str
    description: str | None
    columns: tuple[ColumnSlice, ...]
    score: float
    omitted_columns: int = 0  # columns left out to stay within the budget


@dataclass
class Context:
    """What an answerer sees about one cluster, within a token budget."""

    question: str
    cluster: str
    budget_tokens: int
    title: str | None = None
    description: str | None = None
    pairs: list[ScoredPair] = field(default_factory=list)
    docs: list[DocSlice] = field(default_factory=list)
    datasets: list[DatasetSlice] = field(default_factory=list)
    dropped: int = 0  # items left out to stay within the budget

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.render())

    def render(self) -> str:
        blocks = [_render_header(self.cluster, self.title, self.description)]
        blocks += [_render_pair(p) for p in self.pairs]
        blocks += [_render_dataset(d) for d in self.datasets]
        blocks += [_render_doc(d) for d in self.docs]
        return "\n\n".join(blocks)


def _render_header(cluster: str, title: str | None, description: str | None) -> str:
    head = f"# Cluster {cluster}" + (f": {title}" if title else "")
    return f"{head}\n{description}" if description else head


def _render_pair(p: ScoredPair) -> str:
    questions = "\n".join(f"-- question: {q}" for q in p.pair.questions)
    return f"## Vetted pair {p.pair.path} (score {p.score:.2f})\n{questions}\n{p.pair.sql.strip()}"


def _render_column(c: ColumnSlice) -> str:
    text = f"- {c.name}" + (f" {c.type}" if c.type else "")
    if c.description:
        text += f": {c.description}"
    if c.synonyms:
        text += f" (also called: {', '.join(c.synonyms)})"
    if c.avoid:
        text += f" AVOID: {c.avoid}"
    if c.common_values:
        text += f" [common values: {', '.join(c.common_values)}]"
    return text


def _render_dataset(d: DatasetSlice) -> str:
    lines = [f"## Dataset {d.name}: table {d.table}"]
    if d.description:
        lines.append(d.description)
    lines += [_render_column(c) for c in d.columns]
    if d.omitted_columns:
        lines.append(f"- ... {d.omitted_columns} more columns not shown")
    return "\n".join(lines)


def _render_doc(d: DocSlice) -> str:
    heading = f" — {d.heading}" if d.heading else ""
    return f"## Doc {d.path}{heading}\n{d.text}" + (" [...]" if d.truncated else "")


@dataclass(frozen=True)
class _Item:
    """One searchable unit: which cluster, what kind, and what it points to."""

    cluster: int
    kind: str  # "cluster", "dataset", "doc", "pair"
    ref: object  # Dataset, Section or (Pair, phrasing)


def _dataset_terms(dataset: Dataset, cluster: Cluster) -> list[str]:
    """Terms of a dataset's names, descriptions and synonyms, and of its profiled values.

    Values count whole, stopwords or not ('NO' is Norway, 'IT' Italy).
    """
    values: list[str] = []
    profile = cluster.profiles.get(dataset.name)
    for column_profile in profile.columns if profile else []:
        for share in column_profile.top_values or []:
            if isinstance(share.value, str):
                values.append(share.value)
    return terms(_dataset_text(dataset)) + [w for v in values for w in words(v)]


def _dataset_text(dataset: Dataset) -> str:
    parts = [dataset.name, dataset.table, dataset.description or ""]
    for column in dataset.columns:
        parts.append(column.name)
        if column.description:
            parts.append(column.description)
        parts.extend(column.synonyms)
    # Each word once: whether a dataset mentions a word matters for routing, how
    # often its column descriptions repeat it does not, and it halves the work.
    return " ".join(dict.fromkeys(" ".join(parts).split()))


class Index:
    """A project's search index: build once, then route and select context cheaply."""

    def __init__(self, project: Project, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.project = project
        self.threshold = threshold
        self.cluster_names: list[str] = list(project.clusters)
        self._cluster_at = {name: i for i, name in enumerate(self.cluster_names)}
        self.items: list[_Item] = []
        self.item_terms: list[list[str]] = []
        self.vocab: dict[str, int] = {}  # term -> its token in the full-text table
        self.df: dict[str, int] = {}
        self.cluster_terms: list[frozenset[str]] = []
        self.cluster_items: list[list[int]] = []  # item positions of each cluster
        # The BM25 engine: an in-memory FTS5 table, one row per item (rowid =
        # its position in ``items``). One connection, so one query at a time.
        self._fts = sqlite3.connect(":memory:", check_same_thread=False)
        self._fts_lock = threading.Lock()
        self.cache: dict[object, object] = {}  # per-pair analyses computed lazily by answerers

    # ---- building

    @classmethod
    def build(cls, project: Project, *, threshold: float | None = None) -> Index:
        """Index every cluster of ``project``; ``threshold`` overrides the coverage cut-off."""
        index = cls(project, DEFAULT_THRESHOLD if threshold is None else threshold)
        # Millions of small lists and no cycles among them: collecting garbage
        # while building only costs time.
        enabled = gc.isenabled()
        gc.disable()
        try:
            index._collect()
            index._fit()
        finally:
            if enabled:
                gc.enable()
        return index

    def _add(self, cluster: int, kind: str, ref: object, tokens: list[str]) -> None:
        self.items.append(_Item(cluster, kind, ref))
        self.item_terms.append(tokens)

    def _collect(self) -> None:
        for ci, name in enumerate(self.cluster_names):
            cluster = self.project.clusters[name]
            about = " ".join(
                [name, cluster.title or "", cluster.description or "", " ".join(cluster.topics)]
            )
            self._add(ci, "cluster", cluster, text_terms(about) * 2)  # what owners say it covers
            for dataset in cluster.datasets.values():
                self._add(ci, "dataset", dataset, _dataset_terms(dataset, cluster))
            for doc in cluster.docs:
                head = " ".join([doc.title or "", " ".join(doc.tags), " ".join(doc.datasets)])
                for section in split_sections(doc):
                    text = f"{head} {section.heading} {section.text}"
                    self._add(ci, "doc", section, text_terms(text))
            for pair in cluster.pairs:
                for k, question in enumerate(pair.questions):
                    text = f"{question} {' '.join(pair.tags)}"
                    self._add(ci, "pair", (pair, k), text_terms(text))

    def _fit(self) -> None:
        # Each distinct term becomes a token "t<number>" in the full-text table,
        # so that FTS5's tokenizer splits rows exactly where this module did,
        # whatever characters a term holds. Built with C-level helpers: a large
        # repository has millions of terms, and a Python loop over them
        # dominates the build.
        vocab = {t: i for i, t in enumerate(dict.fromkeys(chain.from_iterable(self.item_terms)))}
        tokens = [f"t{i}" for i in range(len(vocab))]
        token = dict(zip(vocab, tokens, strict=True)).__getitem__
        rows = (
            (position, " ".join(map(token, toks)), f"c{item.cluster} k{item.kind}")
            for position, (item, toks) in enumerate(zip(self.items, self.item_terms, strict=True))
        )
        with self._fts:
            # ascii: split on spaces only ("t12" is one token). The scope column
            # ("c3 kpair": cluster 3, a pair) lets a query reach one cluster's
            # items through the index instead of scoring every item and
            # filtering; it weighs nothing in the scores (see scores()).
            try:
                self._fts.execute(
                    "CREATE VIRTUAL TABLE items USING fts5(terms, scope, tokenize = 'ascii')"
                )
            except sqlite3.OperationalError as error:  # "no such module: fts5"
                raise VedderError(
                    f"this Python's SQLite ({sqlite3.sqlite_version}) lacks FTS5, "
                    f"which Vedder's search needs ({error})",
                    hint="use a Python built with a standard SQLite (python.org, Debian, "
                    "Homebrew and conda builds all include FTS5)",
                ) from None
            self._fts.executemany("INSERT INTO items (rowid, terms, scope) VALUES (?, ?, ?)", rows)
        self.vocab = vocab
        per_cluster: list[set[str]] = [set() for _ in self.cluster_names]
        self.cluster_items = [[] for _ in self.cluster_names]
        df: Counter[str] = Counter()
        for position, (item, toks) in enumerate(zip(self.items, self.item_terms, strict=True)):
            unique = set(toks)
            per_cluster[item.cluster] |= unique
            self.cluster_items[item.cluster].append(position)
            df.update(unique)
        self.df = dict(df)
        self.cluster_terms = [frozenset(s) for s in per_cluster]

    # ---- scoring

    @property
    def size(self) -> int:
        return len(self.items)

    def idf(self, t: str) -> float:
        """Inverse document frequency over all items; unknown terms weigh the most."""
        n = max(len(self.items), 1)
        df = self.df.get(t, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def weight(self, t: str) -> float:
        """How much a term says about a topic: its idf, capped for terms nobody knows."""
        return self.idf(t) if t in self.df else UNKNOWN_TERM_WEIGHT

    def scores(
        self,
        tokens: Sequence[str],
        clusters: Iterable[str] | None = None,
        kind: str | None = None,
    ) -> dict[int, float]:
        """BM25 scores of the items that share a term with ``tokens``.

        Keys are positions in :attr:`items`; items of other ``clusters`` or
        kinds are left out, but every item counts for how rare a term is. A
        term the question repeats counts again.
        """
        known = [f"t{self.vocab[t]}" for t in tokens if t in self.vocab]
        if not known:
            return {}
        query = f"terms : ({' OR '.join(known)})"
        if clusters is not None:
            wanted = [f"c{self._cluster_at[c]}" for c in clusters if c in self._cluster_at]
            if not wanted:
                return {}
            query += f" AND scope : ({' OR '.join(wanted)})"
        if kind is not None:
            query += f" AND scope : k{kind}"
        # bm25() with weights per column: the terms count, the scope does not
        # (its two tokens only make every row longer alike).
        sql = "SELECT rowid, -bm25(items, 1.0, 0.0) FROM items WHERE items MATCH ?"
        with self._fts_lock:
            return dict(self._fts.execute(sql, [query]).fetchall())

    # ---- routing

    def _topic(self, question: str) -> tuple[list[str], list[str]]:
        """The question's topic terms and the codes of the countries it names."""
        # "best-rated" also yields "bestrated": useful when a cluster knows it, noise if not.
        joined = {
            term("".join(w.lower().split("-"))) for w in re.findall(r"\w+(?:-\w+)+", question)
        }
        topic = [t for t in dict.fromkeys(topic_terms(question)) if t not in joined or t in self.df]
        countries = {phrase: code.lower() for phrase, code in find_countries(question)}
        country_terms = {term(w) for phrase in countries for w in phrase.split()}
        return [t for t in topic if t not in country_terms], list(countries.values())

    def _coverage(
        self, topic: tuple[list[str], list[str]], ci: int
    ) -> tuple[float, tuple[str, ...]]:
        """Idf-weighted share of the question's ``topic`` terms that cluster ``ci``
        knows, and the terms it knows.

        Countries count when the cluster knows their code. A question whose only
        topic words are values (a name, a country) is judged on those values.
        """
        terms_, codes = topic
        known = self.cluster_terms[ci]
        matched = [t for t in terms_ if t in known]
        matched_codes = [code for code in codes if code in known]
        total = sum(self.weight(t) for t in terms_)
        if total == 0:
            share = 1.0 if matched_codes else 0.0
            return share, tuple(matched_codes)
        share = sum(self.weight(t) for t in matched) / total
        return share, tuple(matched + matched_codes)

    def route(self, question: str, *, limit: int = 3) -> list[Route]:
        """Clusters ranked for ``question``, best first; ``covered`` says which may answer.

        Coverage decides; BM25 (each cluster's best item, relative to the best
        of all) orders near ties. Only the clusters that cover the question best
        are scored, which keeps routing in a project of hundreds of clusters
        from scoring every item that shares a common word with the question.
        """
        if not self.cluster_names:
            return []
        topic = self._topic(question)
        coverage = [self._coverage(topic, ci) for ci in range(len(self.cluster_names))]
        by_share = sorted(range(len(coverage)), key=lambda ci: -coverage[ci][0])  # stable
        chosen = by_share[: max(limit * 3, limit)]
        everyone = len(chosen) == len(self.cluster_names)
        scope = None if everyone else [self.cluster_names[ci] for ci in chosen]
        best = dict.fromkeys(chosen, 0.0)
        for i, score in self.scores(query_terms(question), scope).items():
            ci = self.items[i].cluster
            best[ci] = max(best[ci], score)
        top = max(best.values())
        routes: list[Route] = []
        for ci in chosen:
            share, matched = coverage[ci]
            relative = best[ci] / top if top > 0 else 0.0
            # Coverage decides; BM25 relative to the best cluster orders near ties.
            score = share * (0.75 + 0.25 * relative)
            covered = share >= self.threshold and bool(matched)
            routes.append(
                Route(self.cluster_names[ci], round(score, 4), covered, round(share, 4), matched)
            )
        routes.sort(key=lambda r: (-r.covered, -r.score))
        return routes[:limit]

    # ---- context

    def pair_scores(
        self, question: str, clusters: Iterable[str], *, limit: int = 10
    ) -> list[ScoredPair]:
        """Vetted pairs of ``clusters`` closest to ``question`` by BM25 (best phrasing each)."""
        seen: set[str] = set()
        out: list[ScoredPair] = []
        scores = self.scores(query_terms(question), clusters, "pair")
        for i, score in sorted(scores.items(), key=lambda s: (-s[1], s[0])):  # ties: index order
            if score <= 0 or len(out) >= limit:
                break
            item = self.items[i]
            pair, k = cast("tuple[Pair, int]", item.ref)
            if pair.path in seen:
                continue
            seen.add(pair.path)
            name = self.cluster_names[item.cluster]
            out.append(ScoredPair(name, pair, score, pair.questions[k]))
        return out

    def context(self, question: str, cluster: str, *, budget_tokens: int = 6000) -> Context:
        """The closest pairs, doc sections and dataset slices of ``cluster``, within budget."""
        found = self.project.clusters.get(cluster)
        if found is None:
            raise KeyError(cluster)
        tokens = query_terms(question)
        item_scores = self.scores(tokens, [cluster])
        pairs = self.pair_scores(question, [cluster], limit=8)
        docs: list[tuple[float, Section]] = []
        datasets: dict[str, float] = {}
        for i in self.cluster_items[self.cluster_names.index(cluster)]:
            item = self.items[i]
            score = item_scores.get(i, 0.0)
            if item.kind == "doc" and score > 0:
                docs.append((score, item.ref))  # type: ignore[arg-type]
            elif item.kind == "dataset":
                datasets[item.ref.name] = score  # type: ignore[attr-defined]
        # Datasets the closest pairs read are relevant whatever their own score.
        for rank, scored in enumerate(pairs[:3]):
            for table in _tables_in(scored.pair.sql):
                dataset = found.dataset_for_table(table)
                if dataset:
                    datasets[dataset.name] = max(datasets[dataset.name], scored.score - rank)
        docs.sort(key=lambda d: -d[0])
        ranked = sorted(datasets.items(), key=lambda d: -d[1])
        return _pack(question, found, pairs, docs, ranked, set(tokens), budget_tokens)


_TABLE_REF = re.compile(r"\b(?:from|join)\s+([\w.\"`]+)", re.IGNORECASE)


def _tables_in(sql: str) -> list[str]:
    """Table names after FROM/JOIN: enough to rank datasets without parsing SQL."""
    return [m.strip('"`') for m in _TABLE_REF.findall(sql)]


def _column_slice(column: Column, profile_values: list[str]) -> ColumnSlice:
    return ColumnSlice(
        name=column.name,
        type=column.type,
        description=column.description,
        synonyms=tuple(column.synonyms),
        avoid=column.avoid,
        common_values=tuple(profile_values[:5]),
    )


def _dataset_slice(
    dataset: Dataset, cluster: Cluster, tokens: set[str], score: float, budget: int
) -> DatasetSlice | None:
    """The dataset with its most relevant columns first, as many as fit in ``budget`` tokens.

    Columns to avoid always come first after the relevant ones: an answerer must
    see the warning more than any other column.
    """
    profile = cluster.profiles.get(dataset.name)

    def values(column: Column) -> list[str]:
        cp = profile.column(column.name) if profile else None
        return [str(v.value) for v in (cp.top_values or [])] if cp else []

    def relevance(column: Column) -> tuple[int, int]:
        text = " ".join([column.name, column.description or "", " ".join(column.synonyms)])
        hits = len(tokens & set(terms(text)))
        hits += len(tokens & {t for v in values(column) for t in terms(v)})
        return (-hits, 0 if column.avoid else 1)

    order = sorted(dataset.columns, key=relevance)
    base = DatasetSlice(dataset.name, dataset.table, dataset.path, dataset.description, (), score)
    if estimate_tokens(_render_dataset(base)) > budget:
        return None
    chosen: list[ColumnSlice] = []
    used = estimate_tokens(_render_dataset(base)) + 10  # room for the "more columns" line
    for column in order:
        piece = _column_slice(column, values(column))
        cost = estimate_tokens(_render_column(piece)) + 1
        if used + cost > budget:
            continue
        chosen.append(piece)
        used += cost
    keep = {c.name for c in chosen}
    in_manifest_order = tuple(
        c for c in (_column_slice(col, values(col)) for col in dataset.columns) if c.name in keep
    )
    return DatasetSlice(
        dataset.name,
        dataset.table,
        dataset.path,
        dataset.description,
        in_manifest_order,
        score,
        omitted_columns=len(dataset.columns) - len(chosen),
    )


def _pack(
    question: str,
    cluster: Cluster,
    pairs: list[ScoredPair],
    docs: list[tuple[float, Section]],
    datasets: list[tuple[str, float]],
    tokens: set[str],
    budget: int,
) -> Context:
    """Fill the budget in order of usefulness: pairs, then datasets, then docs.

    Each kind gets a share first so one huge dataset cannot crowd out the docs;
    whatever a kind leaves unused goes to the next. Items that do not fit are
    dropped (lowest scores first) or, for datasets and docs, cut down.
    """
    context = Context(question, cluster.name, budget, cluster.title, cluster.description)
    used = estimate_tokens(_render_header(cluster.name, cluster.title, cluster.description))
    if used > budget:
        context.title = context.description = None
        used = estimate_tokens(_render_header(cluster.name, None, None))
    separator = 1  # the blank line between blocks

    def room() -> int:
        return budget - used

    shares = {"pairs": 0.35, "datasets": 0.4}
    limit = used + int((budget - used) * shares["pairs"])
    for scored in pairs:
        cost = estimate_tokens(_render_pair(scored)) + separator
        if used + cost <= limit:
            context.pairs.append(scored)
            used += cost
        else:
            context.dropped += 1
    limit = used + int((budget - used) * (shares["datasets"] / (1 - shares["pairs"])))
    for name, score in datasets[:8]:
        slice_ = _dataset_slice(
            cluster.datasets[name], cluster, tokens, score, min(limit - used, room()) - separator
        )
        if slice_ is None or (not slice_.columns and cluster.datasets[name].columns):
            context.dropped += 1
            continue
        context.datasets.append(slice_)
        used += estimate_tokens(_render_dataset(slice_)) + separator
    context.dropped += max(len(datasets) - 8, 0)
    for score, section in docs[:6]:
        full = DocSlice(section.doc.path, section.heading, section.text, score)
        cost = estimate_tokens(_render_doc(full)) + separator
        if cost <= room():
            context.docs.append(full)
            used += cost
            continue
        keep_chars = (
            room()
            - separator
            - estimate_tokens(
                _render_doc(DocSlice(section.doc.path, section.heading, "", score, True))
            )
        ) * CHARS_PER_TOKEN
        if keep_chars >= 200:
            cut = DocSlice(
                section.doc.path, section.heading, section.text[:keep_chars], score, True
            )
            context.docs.append(cut)
            used += estimate_tokens(_render_doc(cut)) + separator
        else:
            context.dropped += 1
    # The per-block estimates round up, so the total can only be below them; this
    # loop is the guarantee, not the estimate.
    while context.tokens > budget and (context.docs or context.datasets or context.pairs):
        for items in (context.docs, context.datasets, context.pairs):
            if items:
                items.pop()
                context.dropped += 1
                break
    return context
