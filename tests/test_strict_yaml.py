"""The strict YAML loader: a record is read exactly as written, or refused with a reason and a place.

These tests call ``yibao.load.strict_yaml`` directly; ``test_validate.py`` shows the same refusals
through ``yibao validate`` (exit code, file and line, Chinese message).
"""
from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from yibao.load import strict_yaml

from conftest import CJK


def load(text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    value, problems, _ = strict_yaml.load_bytes(data)
    return value, problems


def refused(text: str | bytes) -> list[strict_yaml.Problem]:
    value, problems = load(text)
    assert value is None, f"expected a refusal, got {value!r}"
    assert problems, "a refused file must say why"
    for problem in problems:
        assert CJK.search(problem.message), problem.message
    return problems


def only(text: str | bytes) -> strict_yaml.Problem:
    problems = refused(text)
    assert len(problems) == 1, problems
    return problems[0]


# -- what is accepted, and as what -----------------------------------------------------------------
@pytest.mark.parametrize(
    "scalar, expected",
    [
        ("12", 12),
        ("-3", -3),
        ("0", 0),
        ("true", True),
        ("false", False),
        ("~", None),
        ("", None),
        ("中文文本", "中文文本"),
        ("'0123'", "0123"),
        ('"no"', "no"),
        ('"3.10"', "3.10"),
        ("2024-10-08", "2024-10-08"),  # dates stay ISO strings
        ("2024-02-29", "2024-02-29"),  # a leap day that exists
        ("2024-1-5", "2024-1-5"),  # not a date to any YAML reader: text (a date field refuses it)
        ("[1, x]", [1, "x"]),
        ("{a: 1}", {"a": 1}),
        ("|\n  012\n", "012\n"),  # a block scalar is always text
    ],
)
def test_accepted_values(scalar, expected):
    value, problems = load(f"a: {scalar}\n")
    assert problems == []
    assert value == {"a": expected}
    assert type(value["a"]) is type(expected)


def test_decimals_keep_their_places():
    value, problems = load("budget: 12480.50\nrate: 0.025\nversion: 3.10\n")
    assert problems == []
    assert value["budget"] == Decimal("12480.50") and str(value["budget"]) == "12480.50"
    assert isinstance(value["rate"], Decimal) and str(value["rate"]) == "0.025"
    # 3.10 is not turned into 3.1: it stays what was typed (a text field then refuses it, quoted hint)
    assert str(value["version"]) == "3.10"


def test_byte_order_mark_is_allowed():
    value, problems = load(b"\xef\xbb\xbfa: 1\n")
    assert problems == [] and value == {"a": 1}


# -- YAML 1.1 coercions are refused, never applied -------------------------------------------------
@pytest.mark.parametrize(
    "scalar, meaning",
    [
        ("no", "布尔值"), ("yes", "布尔值"), ("on", "布尔值"), ("On", "布尔值"), ("off", "布尔值"),
        ("True", "布尔值"), ("NO", "布尔值"),
        ("0123", "整数"), ("0x1F", "整数"), ("1_000", "整数"), ("+5", "整数"), ("1:20", "整数"),
        ("1e3", "数字"), (".inf", "数字"), ("-.inf", "数字"), (".NaN", "数字"), ("0o17", "数字"),
        (".5", "数字"), ("1.", "数字"), ("1_000.5", "数字"),
    ],
)
def test_yaml11_coercions_are_refused(scalar, meaning):
    problem = only(f"id: X\nsection:\n  name: {scalar}\n")
    assert problem.code == "ambiguous-value"
    assert (problem.line, problem.col) == (3, 9)
    assert meaning in problem.message
    assert f'"{scalar}"' in problem.message  # tells how to write it as text


@pytest.mark.parametrize(
    "scalar, words",
    [
        ("2024-02-30", "不存在"),
        ("2023-02-29", "不存在"),
        ("2024-13-01", "不存在"),
        ("2024-01-05T10:00:00", "格式不对"),
        ("2024-01-05 10:00:00", "格式不对"),
    ],
)
def test_impossible_or_timed_dates_are_refused(scalar, words):
    problem = only(f"id: X\nend_date: {scalar}\n")
    assert problem.code == "invalid-date"
    assert (problem.line, problem.col) == (2, 11)
    assert words in problem.message and scalar in problem.message


# -- file-level refusals ------------------------------------------------------------------------------
@pytest.mark.parametrize("content", [b"", b"   \n\n", b"# only a comment\n# and another\n"])
def test_empty_file(content):
    problem = only(content)
    assert problem.code == "empty-file"
    assert problem.line == 1


def test_not_utf8_names_the_first_bad_byte():
    problem = only("id: X\nname: 测试医院\n".encode("gbk"))
    assert problem.code == "not-utf8"
    assert (problem.line, problem.col) == (2, 7)
    assert "UTF-8" in problem.message


def test_utf16_is_not_utf8():
    assert only("id: X\n".encode("utf-16")).code == "not-utf8"


@pytest.mark.parametrize(
    "content, line",
    [
        ("id: A\n---\nid: B\n", 2),
        ("---\nid: A\n---\nid: B\n", 3),
        ("id: A\n...\n---\nid: B\n", 3),
    ],
)
def test_several_documents(content, line):
    problem = only(content)
    assert problem.code == "multiple-documents"
    assert problem.line == line


@pytest.mark.parametrize("content", ["- id: A\n- id: B\n", "just text\n", "12\n", "[a, b]\n"])
def test_top_level_must_be_a_mapping(content):
    problem = only(content)
    assert problem.code == "not-a-mapping"
    assert problem.line == 1


def test_duplicate_keys_top_level_and_nested():
    problems = refused("id: A\nname: x\nperiod:\n  start: 2024-01-01\n  start: 2024-02-01\nname: y\n")
    assert [(p.code, p.line) for p in problems] == [("duplicate-key", 5), ("duplicate-key", 6)]
    assert "第 4 行" in problems[0].message and "start" in problems[0].message
    assert "第 2 行" in problems[1].message and "name" in problems[1].message


def test_same_key_in_different_mappings_is_fine():
    value, problems = load("a:\n  name: x\nb:\n  name: y\nlist:\n  - {name: 1}\n  - {name: 2}\n")
    assert problems == [] and value["b"]["name"] == "y"


@pytest.mark.parametrize(
    "content, code, line, col",
    [
        ("id: A\nname: &n 测试\nnotes: x\n", "yaml-anchor", 2, 7),
        ("id: A\nlist: &l [1]\n", "yaml-anchor", 2, 7),
        ("id: A\nnotes: !!str 12\n", "yaml-tag", 2, 8),
        ("id: A\nnotes: !custom x\n", "yaml-tag", 2, 8),
        ("id: A\nnotes: ! x\n", "yaml-tag", 2, 8),
        ("id: A\nperiod: !!map {start: 2024-01-01}\n", "yaml-tag", 2, 9),
        ("%TAG !e! tag:example.com,2000:\n---\nid: !e!x A\n", "yaml-tag", 3, 5),
    ],
)
def test_anchors_and_tags_are_refused(content, code, line, col):
    problem = only(content)
    assert (problem.code, problem.line, problem.col) == (code, line, col)


def test_anchor_and_alias_are_both_reported():
    problems = refused("id: A\nname: &n 测试\nnotes: *n\n")
    assert [(p.code, p.line, p.col) for p in problems] == [("yaml-anchor", 2, 7), ("yaml-alias", 3, 8)]


def test_merge_key_is_refused():
    problem = only("id: A\nbase: {x: 1}\n<<: {notes: x}\n")
    assert (problem.code, problem.line) == ("yaml-merge", 3)


@pytest.mark.parametrize(
    "content, line",
    [("id: A\nyes: 1\n", 2), ("id: A\n123: x\n", 2), ("id: A\n? [a, b]\n: x\n", 2), ("id: A\nnull: x\n", 2)],
)
def test_keys_must_be_text(content, line):
    problem = only(content)
    assert (problem.code, problem.line) == ("non-text-key", line)


def test_syntax_error_is_placed():
    problem = only("id: A\nlist: [1, 2\nname: x\n")
    assert problem.code == "yaml-syntax"
    assert problem.line == 3


def test_syntax_error_is_not_hidden_by_an_anchor():
    problems = refused("id: A\nname: &n 测试\nlist: [1, 2\nnotes: x\n")
    assert [p.code for p in problems] == ["yaml-anchor", "yaml-syntax"]


@pytest.mark.parametrize(
    "content, col",
    [
        ("id: A\nnotes: a\x07b\n", 9),
        ("id: A\nnotes: &x a\x00b\n", 12),
        ("id: A\nnotes: !t a\x1bb\n", 12),
        ("id: 中文\nnotes: 中文\x07\n", 10),  # columns count characters, not UTF-8 bytes
    ],
)
def test_control_characters_are_refused_with_a_place(content, col):
    problem = only(content)
    assert problem.code == "control-character"
    assert (problem.line, problem.col) == (2, col)


def test_deep_nesting_is_refused_not_crashed():
    depth = 3000
    problem = only("id: A\nnotes: " + "[" * depth + "]" * depth + "\n")
    assert problem.code == "too-deep"


def test_every_problem_of_a_file_in_one_pass():
    problems = refused("id: A\nname: no\nname: x\nlevel: 0123\nend: 2024-02-30\n")
    assert [(p.code, p.line) for p in problems] == [
        ("ambiguous-value", 2), ("duplicate-key", 3), ("ambiguous-value", 4), ("invalid-date", 5)]


# -- tags never construct anything ---------------------------------------------------------------
PAYLOADS = [
    'notes: !!python/object/apply:os.system ["touch {marker}"]\n',
    'notes: [!!python/object/apply:os.system ["touch {marker}"]]\n',
    '!!python/object/apply:os.system ["touch {marker}"]: x\n',
    'notes: !!python/object/new:os.system ["touch {marker}"]\n',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_python_tags_construct_nothing(payload, tmp_path):
    marker = tmp_path / "MARKER"
    text = "id: A\n" + payload.format(marker=marker)
    # control: the payload is live -- PyYAML's unsafe loader does run it
    yaml.unsafe_load(text)
    assert marker.exists()
    marker.unlink()
    problems = refused(text)
    assert [p.code for p in problems] == ["yaml-tag"]
    assert "python/object" in problems[0].message
    assert not marker.exists()
    # placing a problem in such a file composes nodes only; it never constructs either
    strict_yaml.compose(text)
    strict_yaml.locate(text, ("notes",))
    assert not marker.exists()


# -- positions used for error messages -------------------------------------------------------------
def test_locate_points_at_values_keys_and_items():
    text = "id: A\nperiod:\n  start: 2024-01-01\nlist:\n  - a\n  - b\n"
    assert strict_yaml.locate(text, ("period", "start")) == (3, 10)
    assert strict_yaml.locate(text, ("period", "start"), key=True) == (3, 3)
    assert strict_yaml.locate(text, ("period",)) == (2, 1)  # a nested mapping: its key
    assert strict_yaml.locate(text, ("list", 1)) == (6, 5)
    assert strict_yaml.locate(text, ("period", "end")) == (2, 1)  # missing: the parent
    assert strict_yaml.locate(text, ()) == (1, 1)


@pytest.mark.parametrize("depth", [64, 999, 1000, 3000])
def test_nesting_limit_is_ours_whatever_the_pyyaml_version(depth):
    # PyYAML >= 6.0.4 stops at 1,000 inside libyaml with an English message; older builds
    # compose any depth. Either way the user gets the same Chinese too-deep error.
    problem = only("id: A\nnotes: " + "[" * depth + "]" * depth + "\n")
    assert problem.code == "too-deep"
    assert "64" in problem.message and "exceeded" not in problem.message


def test_ordinary_nesting_is_read():
    depth = strict_yaml.MAX_DEPTH - 2
    value, problems = strict_yaml.parse("id: A\nnotes: " + "[" * depth + "]" * depth + "\n")
    assert problems == []


@pytest.mark.parametrize("literal", ["9" * 5001, "-" + "9" * 19, "1" * 17 + ".55", "0." + "1" * 30])
def test_overlong_numbers_are_refused_before_conversion(literal):
    problem = only(f"id: A\nnotes: {literal}\n")
    assert problem.code == "number-too-large"
    assert (problem.line, problem.col) == (2, 8)


def test_longest_allowed_number_is_read():
    value, problems = strict_yaml.parse("id: A\nn: 999999999999999999\nm: 9999999999999999.99\n")
    assert problems == [] and value["n"] == 10**18 - 1
