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
  ``2026-11-20`` and ``~`` mean exactly what they mean to PyYAML.
* PyYAML (libyaml when installed) for everything else. The fast reader gives
  up on anything outside its subset (anchors, tags, block scalars, multi-line
  scalars, escapes, tabs, ...) rather than guess, so the two never disagree;
  tests compare them on every fixture and on a generated monorepo.
"""

from __future__ import annotations

import datetime as _dt
import re
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
# line breaks, a byte-order mark, and anything PyYAML's reader refuses. The
# full pattern takes milliseconds to compile, so ASCII text (nearly every
# file) is checked with a small one and the full one is built on first need.
_ASCII_LEAVE_TO_PYYAML = re.compile("[\x00-\x09\x0b-\x1f\x7f]")
_LEAVE_TO_PYYAML: re.Pattern[str] | None = None


def _outside_subset(text: str) -> bool:
    global _LEAVE_TO_PYYAML
    if text.isascii():
        return _ASCII_LEAVE_TO_PYYAML.search(text) is not None
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
    if len(value) <= 64:  # short values repeat (types, names, flags); prose does not
        if len(_PLAIN) >= _PLAIN_LIMIT:
            _PLAIN.clear()
        _PLAIN[value] = result
    return result


class _FastReader:
    def __init__(self, text: str, offset: int) -> None:
        if _outside_subset(text):
            raise _Unsupported
        lines: list[tuple[int, str, int]] = []  # (indent, content, file line)
        for number, raw in enumerate(text.split("\n"), start=offset + 1):
            content = raw.lstrip(" ")
            if not content or content[0] == "#":
                continue
            indent = len(raw) - len(content)
            if (
                indent == 0
                and content[0] in "-.%"
                and (content.startswith(("---", "...")) or content[0] == "%")
            ):
                raise _Unsupported  # document markers and directives
            lines.append((indent, content.rstrip(" "), number))
        self.lines = lines
        self.pos = 0

    def document(self) -> Any:
        if not self.lines:
            return None
        indent, content, _ = self.lines[0]
        if not (_is_item(content) or _split_key(content)):
            raise _Unsupported  # a bare scalar document
        value = self.block(indent)
        if self.pos != len(self.lines):
            raise _Unsupported  # leftovers mean bad indentation: let PyYAML word the error
        return value

    def block(self, indent: int) -> Any:
        content = self.lines[self.pos][1]
        if _is_item(content):
            return self.sequence(indent)
        if _split_key(content):
            return self.mapping(indent)
        raise _Unsupported  # a scalar on its own line, possibly spanning several

    def mapping(self, indent: int) -> Map:
        # The hot loop of a load: plain `key: value` lines are handled inline.
        lines = self.lines
        count = len(lines)
        pos = self.pos
        result = Map(lines[pos][2])
        key_lines = result.lines
        split_key = _split_key
        plain = _PLAIN
        while pos < count:
            at, content, number = lines[pos]
            if at != indent:
                if at < indent:
                    break
                raise _Unsupported
            pair = split_key(content)
            if pair is None:
                raise _Unsupported
            key, rest = pair
            pos += 1
            if (
                rest
                and rest[0] not in _NOT_SIMPLE
                and (pos == count or lines[pos][0] <= indent)
                and " #" not in rest
                and ": " not in rest
                and rest[-1] != ":"
            ):
                value = plain.get(rest, _MISSING)
                if value is _MISSING:
                    value = _build_plain(rest, number)
            else:
                self.pos = pos
                value = self.value(indent, rest or "", number)
                pos = self.pos
            if key in result:
                result.duplicates.append((key, number))
            result[key] = value
            key_lines[key] = number
        self.pos = pos
        return result

    def sequence(self, indent: int) -> Seq:
        lines = self.lines
        result = Seq(lines[self.pos][2])
        while self.pos < len(lines):
            at, content, number = lines[self.pos]
            if at < indent:
                break
            if at > indent:
                raise _Unsupported
            if not _is_item(content):
                break  # a compact sequence under a key ends at the next key
            rest = content[1:].lstrip(" ")
            if not rest or rest[0] == "#":
                self.pos += 1
                if self.pos < len(lines) and lines[self.pos][0] > indent:
                    item = self.block(lines[self.pos][0])
                else:
                    item = None
            elif _split_key(rest):
                # A mapping starts on the dash line: read it as if it started
                # on its own line at the column after "- ".
                inner = indent + len(content) - len(rest)
                lines[self.pos] = (inner, rest, number)
                item = self.mapping(inner)
            elif _is_item(rest):
                inner = indent + len(content) - len(rest)
                lines[self.pos] = (inner, rest, number)
                item = self.sequence(inner)
            else:
                self.pos += 1
                item = self.inline(rest, indent, number)
            result.add(item, number)
        return result

    def value(self, indent: int, rest: str, number: int) -> Any:
        """The value after ``key:``: inline, a nested block, or null."""
        if not rest or rest[0] == "#":
            lines = self.lines
            if self.pos < len(lines):
                at, content, _ = lines[self.pos]
                if at > indent:
                    return self.block(at)
                if at == indent and _is_item(content):
                    return self.sequence(indent)
            return None
        return self.inline(rest, indent, number)

    def inline(self, text: str, indent: int, number: int) -> Any:
        # A following line indented deeper would continue this scalar.
        if self.pos < len(self.lines) and self.lines[self.pos][0] > indent:
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


def _simple_list(text: str, number: int) -> Seq:
    """``[a, b, 3]``: plain scalars only (the caller checked), e.g. synonyms and tags."""
    result = Seq(number)
    inner = text[1:-1]
    if inner.strip(" "):
        for part in inner.split(","):
            item = part.strip(" ")
            if not item or item[0] in _NOT_SIMPLE:
                raise _Unsupported  # empty entries, `-x`, `?x`: the general reader decides
            result.append(_build_plain(item, number))
        result.lines = [number] * len(result)
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
    file), and only new ones are checked.
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
        stripped = text.rstrip(" ")
        key = _resolve_plain(stripped) if _KEY_TEXT.fullmatch(stripped) else None
        if not isinstance(key, str):
            key = None  # `1:`, `yes:`: PyYAML applies its rules for such keys
        if len(_KEYS) >= _PLAIN_LIMIT:
            _KEYS.clear()
        _KEYS[text] = key
    return None if key is None else (key, rest)


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


def to_plain(value: Any) -> Any:
    """Scalars as the model stores them: dates as ISO strings, the rest unchanged."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value
