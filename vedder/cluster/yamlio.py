"""YAML reading that remembers where every key is.

Cluster files are YAML, and every problem Vedder reports about them names a
line, so the loader needs the line of each mapping key and sequence item, which
``yaml.safe_load`` throws away. :func:`load_yaml` returns plain ``dict`` and
``list`` subclasses (:class:`Map`, :class:`Seq`) that carry those lines.

Two readers produce the same result:

* a fast reader for the block-style subset that cluster files are written in
  (``key: value``, ``- item``, one-line ``[a, b]`` and ``{k: v}``, plain and
  quoted scalars, comments). A monorepo holds tens of thousands of these
  files, and PyYAML, even with libyaml, spends most of a cold load building
  its node graph; this reader is several times faster. It resolves plain
  scalars with PyYAML's own resolver and constructors, so ``yes``, ``1e3``,
  ``2026-11-20`` and ``~`` mean exactly what they mean to PyYAML. Lines
  repeat across the files of a repository (``    type: VARCHAR``), so it
  remembers what it made of short lines and looks them up whole; lists and
  mappings it remembers are made anew for each use.
* PyYAML (libyaml when installed) for everything else. The fast reader gives
  up on anything outside its subset (anchors, tags, block scalars, multi-line
  scalars, escapes, tabs, ...) rather than guess, so the two never disagree;
  tests compare them on every fixture and on a generated monorepo.
"""

from __future__ import annotations

import datetime as _dt
import re
from itertools import compress
from itertools import count as numbered_from
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode

__all__ = ["Map", "Seq", "YamlError", "load_yaml"]


class YamlError(Exception):
    """The text is not valid YAML; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class Map(dict):  # type: ignore[type-arg,unused-ignore]
    """A YAML mapping with the line of the mapping and of each key."""

    __slots__ = ("duplicates", "line", "lines")

    def __init__(self, line: int) -> None:
        # No dict.__init__ call: the mapping starts empty, and this runs once
        # per mapping of every file loaded.
        self.line = line
        self.lines: dict[Any, int] = {}
        self.duplicates: list[tuple[Any, int]] = []  # (key, line) of keys given twice

    def put(self, key: Any, value: Any, line: int) -> None:
        if key in self:
            self.duplicates.append((key, line))
        self[key] = value
        self.lines[key] = line


class Seq(list):  # type: ignore[type-arg,unused-ignore]
    """A YAML sequence with the line of the sequence and of each item."""

    __slots__ = ("line", "lines")

    def __init__(self, line: int) -> None:
        self.line = line
        self.lines: list[int] = []

    def add(self, value: Any, line: int) -> None:
        self.append(value)
        self.lines.append(line)


# The fast reader makes its Map and Seq objects with these and sets the
# attributes itself: running ``__init__`` for each of the hundreds of thousands
# of mappings in a large repository is a measurable part of reading it.
_new_map = dict.__new__
_new_seq = list.__new__


def load_yaml(text: str, *, first_line: int = 1) -> Any:
    """Parse one YAML document into :class:`Map`, :class:`Seq` and scalars.

    ``first_line`` is the file line that ``text`` starts on (front matter
    starts below a ``---`` line). Raises :class:`YamlError`.
    """
    try:
        return _FastReader(text, first_line - 1).document()
    except _BadScalar as exc:
        raise YamlError(exc.message, exc.line) from None
    except (_Unsupported, IndexError, ValueError, RecursionError):
        pass  # outside the subset (or unclosed on its line): PyYAML decides
    return _pyyaml_load(text, first_line - 1)


# --- the fast reader ---------------------------------------------------------


class _Unsupported(Exception):
    """Outside the fast reader's subset: let PyYAML read it."""


class _BadScalar(Exception):
    """A plain scalar PyYAML resolves to a type but cannot build (e.g. 2026-13-01)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# Characters the fast reader leaves to PyYAML: tabs (indentation rules), other
# line breaks, a byte-order mark, and anything PyYAML's reader refuses. In
# ASCII text (nearly every file) those are the control characters other than
# the newline, found fastest by deleting them from the encoded text; the full
# pattern takes milliseconds to compile and is built on first need.
_ASCII_LEAVE_TO_PYYAML = bytes([*range(0x0A), *range(0x0B, 0x20), 0x7F])
_LEAVE_TO_PYYAML: re.Pattern[str] | None = None


def _outside_subset(text: str) -> bool:
    global _LEAVE_TO_PYYAML
    if text.isascii():
        data = text.encode("ascii")
        return len(data.translate(None, _ASCII_LEAVE_TO_PYYAML)) != len(data)
    if _LEAVE_TO_PYYAML is None:
        _LEAVE_TO_PYYAML = re.compile(
            "[^\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
            "\U00010000-\U0010ffff]"
        )
    return _LEAVE_TO_PYYAML.search(text) is not None


# A block mapping key the fast reader handles: plain, simple characters.
_KEY_TEXT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ ./-]*")
_FLOW_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ ./-]*")
_FLOW_PLAIN_END = re.compile(r"[,\[\]{}#:]")
# Anything inside [...] that needs the general flow reader.
_FLOW_SPECIAL = re.compile(r"[\[\]{}'\"#:&*!|>%@`]")
_PLAIN_START_BAD = frozenset(",[]{}#&*!|>'\"%@`")

_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_STR_TAG = "tag:yaml.org,2002:str"
_BUILDABLE = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_CONSTRUCTOR = SafeConstructor()


_PLAIN: dict[str, Any] = {}  # text -> value; every value here is immutable
_PLAIN_LIMIT = 200_000
_PLAIN_CACHED_LENGTH = 64
# Whole `key: value` lines whose value fits on the line and is short -> (key,
# value), the value a _Fresh for a list or mapping. Such lines (`type:
# VARCHAR`, `- name: user_id`) repeat across the files of a repository, and one
# look-up replaces splitting and resolving them.
_LINES: dict[str, tuple[Any, Any]] = {}
# First characters of plain scalars that no implicit resolver looks at: such a
# scalar is always text.
_TEXT_ONLY = (
    frozenset(map(chr, range(32, 127))) - set(_RESOLVERS) if None not in _RESOLVERS else frozenset()
)
_MISSING: Any = object()
# First characters of an inline value that need more than the plain-scalar path.
_NOT_SIMPLE = frozenset("'\"[{#&*!|>%@`,]}?:-")


def _resolve_plain(value: str) -> Any:
    """What PyYAML makes of an unquoted scalar."""
    cached = _PLAIN.get(value, _MISSING)
    if cached is not _MISSING:
        return cached
    candidates = _RESOLVERS.get(value[0] if value else "", [])
    tag = _STR_TAG
    for candidate, regexp in [*candidates, *_RESOLVERS.get(None, [])]:
        if regexp.match(value):
            tag = candidate
            break
    if tag == _STR_TAG:
        result: Any = value
    elif tag in _BUILDABLE:
        result = SafeConstructor.yaml_constructors[tag](_CONSTRUCTOR, ScalarNode(tag, value))
    else:
        raise _Unsupported
    if len(value) <= _PLAIN_CACHED_LENGTH:  # short values repeat (types, names); prose does not
        if len(_PLAIN) >= _PLAIN_LIMIT:
            _PLAIN.clear()
        _PLAIN[value] = result
    return result


# Raw line -> (indent, content without the indentation and trailing spaces),
# or () for a blank or comment line. Lines repeat across the files of a
# repository (`    type: VARCHAR`), so most are looked up rather than measured.
_LAYOUT: dict[str, tuple[int, str] | tuple[()]] = {}
_LAYOUT_CACHED_LENGTH = 80


def _layout(raw: str) -> tuple[int, str] | tuple[()]:
    content = raw.lstrip(" ")
    if not content or content[0] == "#":
        layout: tuple[int, str] | tuple[()] = ()
    else:
        indent = len(raw) - len(content)
        if (
            indent == 0
            and content[0] in "-.%"
            and (content.startswith(("---", "...")) or content[0] == "%")
        ):
            raise _Unsupported  # document markers and directives
        layout = (indent, content.rstrip(" "))
    if len(raw) <= _LAYOUT_CACHED_LENGTH:
        if len(_LAYOUT) >= _PLAIN_LIMIT:
            _LAYOUT.clear()
        _LAYOUT[raw] = layout
    return layout


class _FastReader:
    def __init__(self, text: str, offset: int) -> None:
        if _outside_subset(text):
            raise _Unsupported
        raw = text.split("\n")
        layouts: list[Any] = list(map(_LAYOUT.get, raw))
        at = -1
        for _ in range(layouts.count(None)):  # lines not seen before
            at = layouts.index(None, at + 1)
            layouts[at] = _layout(raw[at])
        # Blank and comment lines (an empty layout) are dropped.
        lines: list[tuple[int, str]] = list(compress(layouts, layouts))  # (indent, content)
        numbers = list(compress(numbered_from(offset + 1), layouts))  # their file lines
        self.count = len(lines)
        # A last line indented less than any other ends every block: loops
        # need no separate check for the end of the text.
        lines.append(_END)
        numbers.append(0)
        self.lines = lines
        self.numbers = numbers
        self.pos = 0

    def document(self) -> Any:
        if not self.count:
            return None
        indent, content = self.lines[0]
        if not (_is_item(content) or _split_key(content)):
            raise _Unsupported  # a bare scalar document
        value = self.block(indent)
        if self.pos != self.count:
            raise _Unsupported  # leftovers mean bad indentation: let PyYAML word the error
        return value

    def block(self, indent: int) -> Any:
        content = self.lines[self.pos][1]
        if _is_item(content):
            return self.sequence(indent)
        if _split_key(content):
            return self.mapping(indent)
        raise _Unsupported  # a scalar on its own line, possibly spanning several

    def mapping(self, indent: int, first: str | None = None) -> Map:
        """The block mapping at ``indent``; ``first`` is the text of its first
        line when that follows a dash (``- key: value``).

        The hot loop of a load: a line whose value is a short scalar or list is
        looked up whole in ``_LINES`` (names, types and flags repeat across
        files); other lines go to :func:`_entry`, and to :meth:`value` when
        their value is not on the line alone.
        """
        lines = self.lines
        numbers = self.numbers
        pos = self.pos
        result = _new_map(Map)
        result.line = numbers[pos]
        result.lines = key_lines = {}
        result.duplicates = []
        known = _LINES
        while True:
            at, content = lines[pos]
            if first is not None:
                content = first
                first = None
            elif at != indent:
                if at < indent:
                    break
                raise _Unsupported
            number = numbers[pos]
            pos += 1
            # A deeper next line would continue this line's value.
            alone = lines[pos][0] <= indent
            hit = known.get(content) if alone else None
            if hit is not None:
                key, value = hit
                if type(value) is _Fresh:  # a collection: each occurrence gets its own
                    value = value.make(number)
            else:
                key, rest, value = _entry(content, number, alone)
                if value is _MISSING:
                    self.pos = pos
                    value = self.value(indent, rest, number)
                    pos = self.pos
            if key in result:
                result.duplicates.append((key, number))
            result[key] = value
            key_lines[key] = number
        self.pos = pos
        return result

    def sequence(self, indent: int) -> Seq:
        lines = self.lines
        numbers = self.numbers
        pos = self.pos
        result = _new_seq(Seq)
        result.line = numbers[pos]
        item_lines: list[int] = []
        result.lines = item_lines
        add_item = result.append
        add_line = item_lines.append
        while True:
            at, content = lines[pos]
            if at != indent:
                if at < indent:
                    break
                raise _Unsupported
            if content[0] != "-" or (len(content) > 1 and content[1] != " "):
                break  # not an item: a compact sequence under a key ends at the next key
            number = numbers[pos]
            rest = content[1:].lstrip(" ")
            if not rest or rest[0] == "#":
                pos += 1
                if lines[pos][0] > indent:
                    self.pos = pos
                    item = self.block(lines[pos][0])
                    pos = self.pos
                else:
                    item = None
            elif rest in _LINES or _split_key(rest) is not None:
                # A mapping starts on the dash line: read it as if it started
                # on its own line at the column after "- ".
                self.pos = pos
                item = self.mapping(indent + len(content) - len(rest), rest)
                pos = self.pos
            elif rest[0] == "-" and (len(rest) == 1 or rest[1] == " "):
                inner = indent + len(content) - len(rest)
                lines[pos] = (inner, rest)
                self.pos = pos
                item = self.sequence(inner)
                pos = self.pos
            else:
                pos += 1
                self.pos = pos
                item = self.inline(rest, indent, number)
            add_item(item)
            add_line(number)
        self.pos = pos
        return result

    def value(self, indent: int, rest: str, number: int) -> Any:
        """The value after ``key:``: inline, a nested block, or null."""
        if not rest or rest[0] == "#":
            at, content = self.lines[self.pos]
            if at > indent:
                return self.block(at)
            if at == indent and _is_item(content):
                return self.sequence(indent)
            return None
        return self.inline(rest, indent, number)

    def inline(self, text: str, indent: int, number: int) -> Any:
        # A following line indented deeper would continue this scalar.
        if self.lines[self.pos][0] > indent:
            raise _Unsupported
        first = text[0]
        if first == "[" and text[-1] == "]" and not _FLOW_SPECIAL.search(text, 1, len(text) - 1):
            return _simple_list(text, number)
        if first in "[{":
            value, end = _Flow(text, number).node(0)
            _expect_end(text, end)
            return value
        if first in "'\"":
            value, end = _quoted(text, 0)
            _expect_end(text, end)
            return value
        if first in _PLAIN_START_BAD or (first in "-?:" and (len(text) == 1 or text[1] == " ")):
            raise _Unsupported
        cut = text.find(" #")
        plain = (text if cut < 0 else text[:cut]).rstrip(" ")
        if ": " in plain or plain.endswith(":"):
            raise _Unsupported  # PyYAML reports "mapping values are not allowed here"
        return _build_plain(plain, number)


_END = (-1, "")


def _entry(content: str, number: int, alone: bool) -> tuple[Any, str, Any]:
    """``(key, rest, value)`` of a ``key: rest`` line.

    ``value`` is read here when it is a plain or quoted scalar or a one-line
    ``[...]`` or ``{...}`` on the line ``alone`` (no deeper line follows), and
    is ``_MISSING`` otherwise: the caller reads it with
    :meth:`_FastReader.value`. Lines with short such values are remembered in
    ``_LINES``.
    """
    colon = content.find(": ")
    if colon > 0:
        text = content[:colon]
        rest = content[colon + 2 :]  # not empty: the line is right-stripped
        if rest[0] == " ":
            rest = rest.lstrip(" ")
    elif content[-1] == ":" and len(content) > 1:
        text = content[:-1]
        rest = ""
    else:
        raise _Unsupported
    key = _KEYS.get(text, _MISSING)
    if key is _MISSING:
        key = _new_key(text)
    if key is None:
        raise _Unsupported
    if not (alone and rest):
        return key, rest, _MISSING
    head = rest[0]
    value: Any = _MISSING
    if head not in _NOT_SIMPLE:
        if " #" not in rest and ": " not in rest and rest[-1] != ":":
            value = _PLAIN.get(rest, _MISSING)
            if value is _MISSING:
                if head in _TEXT_ONLY and len(rest) > _PLAIN_CACHED_LENGTH:
                    return key, rest, rest  # prose: nothing to resolve, not worth keeping
                value = _build_plain(rest, number)
    elif head == "'":
        if rest[-1] == "'" and len(rest) > 1 and rest.count("'") == 2:
            value = rest[1:-1]
    elif head == '"':
        if rest[-1] == '"' and len(rest) > 1 and rest.count('"') == 2 and "\\" not in rest:
            value = rest[1:-1]
    elif head == "[" and rest[-1] == "]" and not _FLOW_SPECIAL.search(rest, 1, len(rest) - 1):
        value = _simple_list(rest, number)
        if len(rest) <= _PLAIN_CACHED_LENGTH:
            _remember(content, key, _Fresh(value))
        return key, rest, value
    elif head == "{" or head == "[":
        value, end = _Flow(rest, number).node(0)
        _expect_end(rest, end)
        if len(rest) <= _PLAIN_CACHED_LENGTH and _Fresh.fits(value):
            _remember(content, key, _Fresh(value))
        return key, rest, value
    if value is not _MISSING and len(rest) <= _PLAIN_CACHED_LENGTH:
        _remember(content, key, value)
    return key, rest, value


def _remember(content: str, key: str, value: Any) -> None:
    if len(_LINES) >= _PLAIN_LIMIT:
        _LINES.clear()
    _LINES[content] = (key, value)


class _Fresh:
    """A remembered line's one-line list or mapping of scalars, made anew for each use."""

    __slots__ = ("items", "pairs")

    def __init__(self, value: Seq | Map) -> None:
        self.items = tuple(value) if isinstance(value, Seq) else None
        self.pairs = tuple(value.items()) if isinstance(value, Map) else None

    @staticmethod
    def fits(value: Any) -> bool:
        """Whether ``value`` is a flat list or mapping of immutable scalars."""
        if isinstance(value, Map):
            if value.duplicates:
                return False
            value = value.values()
        elif not isinstance(value, Seq):
            return False
        return all(type(item) in _SCALAR_TYPES for item in value)

    def make(self, number: int) -> Seq | Map:
        if self.items is not None:
            seq = _new_seq(Seq)
            seq.line = number
            seq.extend(self.items)
            seq.lines = [number] * len(self.items)
            return seq
        assert self.pairs is not None
        mapping = _new_map(Map)
        mapping.line = number
        mapping.update(self.pairs)
        mapping.lines = dict.fromkeys(mapping, number)
        mapping.duplicates = []
        return mapping


# What the fast reader's plain scalars resolve to; all immutable.
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None), _dt.date, _dt.datetime})


def _simple_list(text: str, number: int) -> Seq:
    """``[a, b, 3]``: plain scalars only (the caller checked), e.g. synonyms and tags."""
    result = _new_seq(Seq)
    result.line = number
    inner = text[1:-1]
    if inner.strip(" "):
        plain = _PLAIN
        for part in inner.split(","):
            item = part.strip(" ")
            if not item or item[0] in _NOT_SIMPLE:
                raise _Unsupported  # empty entries, `-x`, `?x`: the general reader decides
            value = plain.get(item, _MISSING)
            result.append(_build_plain(item, number) if value is _MISSING else value)
        result.lines = [number] * len(result)
    else:
        result.lines = []
    return result


def _build_plain(text: str, number: int) -> Any:
    try:
        return _resolve_plain(text)
    except (ValueError, TypeError, OverflowError) as exc:
        raise _BadScalar(f"invalid value {text!r}: {exc}", number) from None


_KEYS: dict[str, Any] = {}  # key text -> the key, or None when not a simple key


def _split_key(content: str) -> tuple[str, str] | None:
    """``(key, rest)`` for a ``key: rest`` line with a simple plain key, else None.

    Cheaper than a regular expression per line: the text before the first
    ": " is looked up in a table of keys already seen (they repeat in every
    file), and only new ones are checked. :func:`_entry` splits the same way.
    """
    colon = content.find(": ")
    if colon > 0:
        text, rest = content[:colon], content[colon + 2 :].lstrip(" ")
    elif len(content) > 1 and content[-1] == ":":
        text, rest = content[:-1], ""
    else:
        return None
    key = _KEYS.get(text, _MISSING)
    if key is _MISSING:
        key = _new_key(text)
    return None if key is None else (key, rest)


def _new_key(text: str) -> Any:
    """The key ``text`` (what precedes ": ") stands for, or None; remembered in ``_KEYS``."""
    stripped = text.rstrip(" ")
    key = _resolve_plain(stripped) if _KEY_TEXT.fullmatch(stripped) else None
    if not isinstance(key, str):
        key = None  # `1:`, `yes:`: PyYAML applies its rules for such keys
    if len(_KEYS) >= _PLAIN_LIMIT:
        _KEYS.clear()
    _KEYS[text] = key
    return key


def _is_item(content: str) -> bool:
    return content == "-" or content.startswith("- ")


def _expect_end(text: str, end: int) -> None:
    """Only spaces and a comment may follow a quoted or flow value."""
    tail = text[end:]
    if tail and not (tail[0] == " " and tail.lstrip(" ")[:1] in ("", "#")):
        raise _Unsupported


def _quoted(text: str, start: int) -> tuple[str, int]:
    """A one-line quoted scalar starting at ``start``; returns it and the index after it."""
    quote = text[start]
    if quote == "'":
        parts = []
        i = start + 1
        while True:
            close = text.index("'", i)  # ValueError when unclosed on this line
            parts.append(text[i:close])
            if text[close + 1 : close + 2] == "'":
                parts.append("'")
                i = close + 2
                continue
            return "".join(parts), close + 1
    close = text.index('"', start + 1)
    value = text[start + 1 : close]
    if "\\" in value:
        raise _Unsupported  # escapes: PyYAML decodes them
    return value, close + 1


class _Flow:
    """One-line flow collections: ``[a, 'b c', 3]`` and ``{k: v, k2: [x]}``."""

    def __init__(self, text: str, line: int) -> None:
        self.text = text
        self.line = line

    def skip(self, i: int) -> int:
        while self.text[i] == " ":
            i += 1
        return i

    def node(self, i: int) -> tuple[Any, int]:
        text = self.text
        i = self.skip(i)
        first = text[i]
        if first == "[":
            return self.sequence(i + 1)
        if first == "{":
            return self.mapping(i + 1)
        if first in "'\"":
            try:
                return _quoted(text, i)
            except ValueError:
                raise _Unsupported from None
        if first in _PLAIN_START_BAD or (first in "-?:" and text[i + 1] in " ,[]{}"):
            raise _Unsupported
        match = _FLOW_PLAIN_END.search(text, i)
        end = match.start() if match else len(text)
        if match is None or text[end] in "#:[{":
            raise _Unsupported  # unclosed, comments or colons inside flow scalars
        plain = text[i:end].rstrip(" ")
        if not plain:
            raise _Unsupported
        return _build_plain(plain, self.line), end

    def sequence(self, i: int) -> tuple[Seq, int]:
        result = Seq(self.line)
        i = self.skip(i)
        if self.text[i] == "]":
            return result, i + 1
        while True:
            item, i = self.node(i)
            result.add(item, self.line)
            i = self.skip(i)
            if self.text[i] == "]":
                return result, i + 1
            if self.text[i] != ",":
                raise _Unsupported
            i = self.skip(i + 1)
            if self.text[i] in ",]":
                raise _Unsupported  # empty or trailing entries

    def mapping(self, i: int) -> tuple[Map, int]:
        text = self.text
        result = Map(self.line)
        i = self.skip(i)
        if text[i] == "}":
            return result, i + 1
        while True:
            match = _FLOW_KEY.match(text, i)
            if match is None:
                raise _Unsupported
            key = _resolve_plain(match.group(0).rstrip(" "))
            i = match.end()
            if not isinstance(key, str) or text[i : i + 2] != ": ":
                raise _Unsupported
            value, i = self.node(i + 2)
            result.put(key, value, self.line)
            i = self.skip(i)
            if text[i] == "}":
                return result, i + 1
            if text[i] != ",":
                raise _Unsupported
            i = self.skip(i + 1)
            if text[i] in ",}":
                raise _Unsupported


# --- PyYAML, for everything else --------------------------------------------

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):  # type: ignore[misc,valid-type,unused-ignore]
    """A safe loader whose mappings and sequences remember their lines."""


def _construct_map(loader: Any, node: MappingNode) -> Any:
    result = Map(node.start_mark.line + 1 + loader.line_offset)
    yield result
    loader.flatten_mapping(node)  # applies `<<` merge keys like SafeLoader does
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found unhashable key",
                key_node.start_mark,
            ) from None
        value = loader.construct_object(value_node, deep=True)
        result.put(key, value, key_node.start_mark.line + 1 + loader.line_offset)


def _construct_seq(loader: Any, node: Any) -> Any:
    result = Seq(node.start_mark.line + 1 + loader.line_offset)
    yield result
    for item in node.value:
        result.add(
            loader.construct_object(item, deep=True),
            item.start_mark.line + 1 + loader.line_offset,
        )


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _pyyaml_load(text: str, offset: int) -> Any:
    loader = _LineLoader(text)
    loader.line_offset = offset
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and (
            mark is None or mark.index >= len(text.rstrip()) or "end of stream" in str(exc.problem)
        ):
            # Unclosed quotes and brackets fail at the end of the text; where
            # they opened is the line to fix.
            mark = exc.context_mark
        line = mark.line + 1 + offset if mark else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise YamlError(problem, line) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc).splitlines()[0] or "malformed YAML", None) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # PyYAML lets constructor failures escape as plain exceptions, e.g.
        # `2026-13-01` matches the timestamp pattern but is no date.
        raise YamlError(f"invalid value: {exc}", None) from None
    finally:
        loader.dispose()
