"""The table engine on tiny inline tables: matching, first match, tracing, loud failures."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from cds.tables import Range, Row, Table, TableError, load_tables, parse_table

SIZE_TABLE = """
id = "tiny-size"
title = "tiny"
source = "test source, table 1"
[match]
size = "range"
[fields]
t = "text"
[[rows]]
row = "small"
size = { gt = 0, le = 5 }
t = "T1"
[[rows]]
row = "big"
size = { gt = 5 }
t = "T2"
"""

VALUE_TABLE = """
id = "tiny-value"
title = "tiny"
source = "test source"
[match]
grade = "value"
code = "prefix"
flag = "value"
[fields]
out = "text"
score = "int?"
names = "texts?"
high = "bool?"
[[rows]]
row = "specific"
grade = ["G2", "G3"]
code = ["C54", "C55"]
out = "a"
score = 3
[[rows]]
row = "flagged"
flag = true
out = "b"
names = ["x", "y"]
high = true
[[rows]]
row = "catch-all"
out = "c"
"""


def table_from(text: str) -> Table:
    return parse_table(tomllib.loads(text), "inline.toml")


def key(row: Row | None) -> str | None:
    return row.key if row is not None else None


def test_range_bounds_are_exact() -> None:
    t = table_from(SIZE_TABLE)
    assert key(t.first(size=Decimal("5"))) == "small"
    assert key(t.first(size=Decimal("5.0"))) == "small"
    assert key(t.first(size=Decimal("5.0001"))) == "big"
    assert key(t.first(size=5)) == "small"
    assert t.first(size=Decimal("0")) is None
    assert t.first(size=None) is None


def test_range_describe() -> None:
    assert Range(gt=Decimal(5), le=Decimal(10)).describe() == "> 5 and <= 10"
    assert Range(ge=Decimal(20)).describe() == ">= 20"


def test_first_match_wins_and_wildcards() -> None:
    t = table_from(VALUE_TABLE)
    row = t.first(grade="G2", code="C54.1", flag=True)
    assert row is not None
    assert row.key == "specific"
    assert row.integer("score") == 3
    assert key(t.first(grade="G1", code="C54.1", flag=True)) == "flagged"
    assert key(t.first(grade=None, code=None, flag=None)) == "catch-all"


def test_prefix_and_value_types_are_strict() -> None:
    t = table_from(VALUE_TABLE)
    assert key(t.first(grade="G2", code="C49.2", flag=False)) == "catch-all"
    # a bool never equals an int: True must not match a row that says 1
    assert key(t.first(grade="G2", code="C55", flag=1)) == "specific"
    assert key(t.first(grade="G1", code="C55", flag=1)) == "catch-all"


def test_remembered_answers_keep_value_types_apart() -> None:
    # Lookups are remembered; 1 and True are equal as dict keys but must not share an answer.
    t = table_from(VALUE_TABLE)
    for _ in range(2):
        assert key(t.first(grade="G1", code="C49", flag=True)) == "flagged"
        assert key(t.first(grade="G1", code="C49", flag=1)) == "catch-all"
    small, big = table_from(SIZE_TABLE), Decimal("5.1")
    assert [key(small.first(size=v)) for v in (5, big, 5, big)] == ["small", "big", "small", "big"]


def test_every_returns_all_matches_in_order() -> None:
    t = table_from(VALUE_TABLE)
    keys = [r.key for r in t.every(grade="G3", code="C54", flag=True)]
    assert keys == ["specific", "flagged", "catch-all"]


def test_fields_and_trace_step() -> None:
    t = table_from(VALUE_TABLE)
    row = t.row("flagged")
    assert row.texts("names") == ("x", "y")
    assert row.flag("high") is True
    assert row.opt_text("missing") is None
    assert row.opt_integer("score") is None
    with pytest.raises(KeyError):
        row.integer("score")
    step = t.step(row, "because")
    assert (step.table, step.row, step.source, step.explanation) == (
        "tiny-value",
        "flagged",
        "test source",
        "because",
    )


def test_query_must_name_every_match_column() -> None:
    t = table_from(SIZE_TABLE)
    with pytest.raises(KeyError):
        t.first()
    with pytest.raises(KeyError):
        t.first(size=1, other=2)


MALFORMED = {
    "no id": ('title = "x"\nsource = "s"\n[[rows]]\nrow = "a"\n', "missing or empty 'id'"),
    "no rows": ('id = "x"\ntitle = "x"\nsource = "s"\n', "no [[rows]]"),
    "bad match kind": (
        'id = "x"\ntitle = "x"\nsource = "s"\n[match]\na = "fuzzy"\n[[rows]]\nrow = "r"\n',
        "is not one of",
    ),
    "missing row key": (
        'id = "x"\ntitle = "x"\nsource = "s"\n[fields]\nv = "text"\n[[rows]]\nv = "a"\n',
        "row 1: missing 'row' key",
    ),
    "duplicate row": (
        'id = "x"\ntitle = "x"\nsource = "s"\n[[rows]]\nrow = "a"\n[[rows]]\nrow = "a"\n',
        "row 2 ('a'): duplicate row key",
    ),
    "unknown column": (
        'id = "x"\ntitle = "x"\nsource = "s"\n[[rows]]\nrow = "a"\ntypo = 1\n',
        "unknown columns ['typo']",
    ),
    "missing field": (
        'id = "x"\ntitle = "x"\nsource = "s"\n[fields]\nv = "int"\n[[rows]]\nrow = "a"\n',
        "missing field 'v'",
    ),
    "wrong field type": (
        'id = "x"\ntitle = "x"\nsource = "s"\n[fields]\nv = "int"\n[[rows]]\nrow = "a"\nv = "3"\n',
        "expected int",
    ),
    "bad range": (
        'id = "x"\ntitle = "x"\nsource = "s"\n[match]\ns = "range"\n[[rows]]\nrow = "a"\n'
        "s = { between = 3 }\n",
        "a range is an inline table",
    ),
    "range not a number": (
        'id = "x"\ntitle = "x"\nsource = "s"\n[match]\ns = "range"\n[[rows]]\nrow = "a"\n'
        's = { gt = "five" }\n',
        "is not a number",
    ),
}


@pytest.mark.parametrize(("text", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_table_fails_loudly_naming_file_and_row(text: str, message: str) -> None:
    with pytest.raises(TableError) as err:
        parse_table(tomllib.loads(text), "broken.toml")
    assert str(err.value).startswith("broken.toml")
    assert message in str(err.value)


def test_load_tables_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(SIZE_TABLE, encoding="utf-8")
    assert set(load_tables(tmp_path)) == {"tiny-size"}
    (tmp_path / "bad.toml").write_text("id = [unclosed", encoding="utf-8")
    with pytest.raises(TableError, match=r"^bad\.toml: not valid TOML"):
        load_tables(tmp_path)


def test_duplicate_table_ids_fail(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(SIZE_TABLE, encoding="utf-8")
    (tmp_path / "b.toml").write_text(SIZE_TABLE, encoding="utf-8")
    with pytest.raises(TableError, match=r"also in a\.toml"):
        load_tables(tmp_path)
