"""The fast YAML reader agrees with PyYAML on everything it accepts, lines included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from vedder.cluster import yamlio
from vedder.cluster.yamlio import Map, Seq, YamlError, load_yaml

FIXTURES = Path(__file__).parent / "fixtures" / "clusters"

SNIPPETS = [
    "a: 1\nb: 1.5\nc: -3\nd: 0x1F\ne: 010\nf: 1_000\ng: 1e3\nh: .5\n",
    "yes: no\non: off\nnull: ~\n",
    "a: yes\nb: No\nc: ON\nd: 'yes'\ne: true\nf: False\n",
    "a: null\nb: ~\nc:\nd: Null\n",
    "a: 2026-11-20\nb: 2026-11-20T17:00:00Z\nc: '2026-11-20'\nd: 2026-13-45\n",
    "a: it's fine\nb: 'it''s quoted'\nc: \"double\"\nd: \"esc\\taped\"\n",
    "a: x # comment\nb: x#not-a-comment\nc: 'q' # comment\n# full line\n",
    "a: [1, two, 'three', \"four\", [5], {six: 6}]\nb: {}\nc: []\nd: [ a , b ]\n",
    "a: {k: v, n: 1, z: null, d: 2026-01-01}\nb: {k: [x, y]}\n",
    "a: [a, b,]\nb: [a,, b]\nc: [a: b]\nd: {a: b, c}\n",
    "a: [unclosed\nb: 1\n",
    "a: {x: 1\n",
    "list:\n- a\n- b\nnext: 1\n",
    "list:\n  - a\n  -\n  - - x\n    - y\n  - k: v\n    k2: v2\n  -   spaced: 1\n",
    "- a\n- b: 1\n  c: 2\n- [x]\n",
    "a:\n  b:\n    c: 1\n  d: 2\ne: 3\n",
    "a: multi\n  line plain\n",
    "a: >\n  folded\n  text\nb: |\n  literal\n",
    "a: &anchor 1\nb: *anchor\n",
    "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n",
    "a: !!str 12\n",
    "a: b: c\n",
    "a: 'unclosed\n",
    "a: 1\na: 2\n",
    "  indented: 1\n  top: 2\n",
    "a: 1\n b: 2\n",
    "a:\n- 1\n - 2\n",
    "key with spaces: 1\nkey.with.dots: 2\nkey-dash: 3\nkey/slash: 4\n",
    "1: one\n2.5: x\n",
    "a: -\nb: - x\n",
    "a: ?x\nb: :x\nc: -x\nd: ? x\n",
    "a: @x\n",
    "a: %x\n",
    "%YAML 1.1\n---\na: 1\n",
    "---\na: 1\n...\n",
    "just a scalar\n",
    "",
    "# only a comment\n",
    "a: 1\r\nb: 2\r\n",
    "a:\t1\n",
    "\ufeffa: 1\n",
    "a: caf\u00e9 \u2603 \U0001f600\n",
    "a: [x, [y, [z]]]\n",
    "a: {b: {c: {d: e}}}\n",
    "a: 'x' y\n",
    "a: [x] y\n",
    "a: 12:30\n",
    "a: http://example.com/x\n",
    "a: [http://example.com]\n",
    "a: .inf\nb: -.Inf\nc: .NaN\n",
    "a: 0b101\nb: 0o17\nc: 190:20:30\n",
    "a: \"\"\nb: ''\n",
    'a: "x" # c\nb: "x"#c\n',
]


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def nan_safe(value: Any) -> Any:
    # nan != nan; compare its repr instead.
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, dict):
        return {k: nan_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nan_safe(v) for v in value]
    return value


def pyyaml(text: str) -> Any:
    # The loader the fallback uses: libyaml when installed (it differs from
    # pure-Python PyYAML in corners such as a tab after "key:").
    return yaml.load(text, Loader=yamlio._BaseLoader)


def lines_of(value: Any) -> Any:
    """Every recorded line, as a comparable tree."""
    if isinstance(value, Map):
        return (value.line, {k: (value.lines[k], lines_of(v)) for k, v in value.items()})
    if isinstance(value, Seq):
        return (value.line, [(n, lines_of(v)) for n, v in zip(value.lines, value, strict=True)])
    return None


def all_fixture_yaml() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.yaml") if p.is_file() and p.name != "expected.yaml")


@pytest.mark.parametrize("text", SNIPPETS)
def test_snippets_read_as_pyyaml_reads_them(text: str) -> None:
    try:
        expected = pyyaml(text)
    except (yaml.YAMLError, ValueError):
        with pytest.raises(YamlError):
            load_yaml(text)
        return
    assert nan_safe(plain(load_yaml(text))) == nan_safe(expected)


@pytest.mark.parametrize("text", SNIPPETS)
def test_fast_and_pyyaml_paths_record_the_same_lines(text: str) -> None:
    try:
        fast = yamlio._FastReader(text, 0).document()
    except Exception:
        return  # outside the fast reader's subset: only PyYAML reads it
    slow = yamlio._pyyaml_load(text, 0)
    assert nan_safe(plain(fast)) == nan_safe(plain(slow))
    if isinstance(fast, (Map, Seq)):
        assert lines_of(fast) == lines_of(slow)


@pytest.mark.parametrize("path", all_fixture_yaml(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_files_read_as_pyyaml_reads_them(path: Path) -> None:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
        expected = pyyaml(text)
    except (UnicodeDecodeError, yaml.YAMLError, ValueError):
        return
    assert plain(load_yaml(text)) == expected


def test_generated_monorepo_reads_as_pyyaml_reads_it(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_monorepo", Path(__file__).parent.parent / "benchmarks" / "make_monorepo.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(tmp_path / "m", clusters=3, datasets=12, pairs=6, docs=3, profiles=6)
    files = sorted((tmp_path / "m").rglob("*.yaml"))
    assert len(files) == 3 + 12 + 6 + 1
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast = yamlio._FastReader(text, 0).document()  # generated files stay in the fast subset
        assert plain(fast) == pyyaml(text), path
        assert lines_of(fast) == lines_of(yamlio._pyyaml_load(text, 0)), path


def test_front_matter_lines_are_offset() -> None:
    data = load_yaml("title: x\ntags: [a]\n", first_line=2)
    assert data.lines == {"title": 2, "tags": 3}
    with pytest.raises(YamlError) as error:
        load_yaml("title: x\n bad: [\n", first_line=2)
    assert error.value.line == 3


def test_duplicate_keys_are_recorded() -> None:
    data = load_yaml("a: 1\nb: 2\na: 3\n")
    assert data == {"a": 3, "b": 2}
    assert data.duplicates == [("a", 3)]


def _clear_caches() -> None:
    for cache in (yamlio._PLAIN, yamlio._KEYS, yamlio._LINES, yamlio._LAYOUT):
        cache.clear()


@pytest.mark.parametrize("text", SNIPPETS)
def test_remembered_lines_read_as_new_ones(text: str) -> None:
    def read() -> Any:
        try:
            value = load_yaml(text, first_line=3)
        except YamlError as exc:
            return ("error", exc.message, exc.line)
        return nan_safe(plain(value)), lines_of(value)

    _clear_caches()
    first = read()
    assert read() == first  # now from the caches of lines, keys and values
    _clear_caches()
    assert read() == first


def test_collections_from_remembered_lines_are_new_each_time() -> None:
    text = "tags: [a, b]\nowners: {team: x, contacts: [y]}\npartition: {column: d}\n"
    first = load_yaml(text)
    second = load_yaml(text, first_line=10)
    assert second == first
    assert second["tags"] is not first["tags"]
    assert second["partition"] is not first["partition"]
    assert lines_of(second["tags"]) == (10, [(10, None), (10, None)])
    assert second["partition"].lines == {"column": 12}
    first["tags"].append("c")
    first["partition"]["column"] = "changed"
    assert load_yaml(text) == second


def test_the_caches_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "_PLAIN_LIMIT", 10)
    _clear_caches()
    text = "".join(f"key_{i}: value_{i}\n" for i in range(100))
    for _ in range(2):
        data = load_yaml(text)
        assert data == {f"key_{i}": f"value_{i}" for i in range(100)}
        assert data.lines == {f"key_{i}": i + 1 for i in range(100)}
    for cache in (yamlio._PLAIN, yamlio._KEYS, yamlio._LINES, yamlio._LAYOUT):
        assert len(cache) <= 10
    _clear_caches()
