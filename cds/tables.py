"""The table engine: clinical rules as data, read once, looked up first match first.

Every file in ``cds/tables/`` is one published source table (AJCC Cancer Staging Manual, 8th
ed., as reproduced in the NCI PDQ "Adult Soft Tissue Sarcoma Treatment" summary, and the other
sources each file names). A file holds::

    id = "ajcc8-t-trunk-extremity"            # stable id, cited in every trace step
    title = "..."
    source = "AJCC 8th ed., ch. 41, via NCI PDQ Table 1"
    [match]                                   # input columns and how a row constrains them
    size_cm = "range"                         # "value", "range" or "prefix"
    [fields]                                  # result columns and their types
    t = "text"                                # "text", "int", "bool", "texts"; "?" = optional
    [[rows]]
    row = "T2"                                # the row's key in the source's own notation
    size_cm = { gt = 5, le = 10 }
    t = "T2"

A row that leaves out a match column matches any value of it. ``value`` cells are a scalar or a
list of scalars; ``range`` cells are an inline table of ``gt``/``ge``/``lt``/``le`` bounds
(compared exactly, as decimals); ``prefix`` cells are a string or a list of strings that the
query value must start with. A query value of ``None`` (unknown) matches only rows that leave
the column out.

Tables are loaded at import. A malformed table stops the process at start-up with the file
and the row: a clinical rule must never be silently skipped.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType

from cds.frozen import builder
from cds.interval import Interval
from cds.model import TraceStep

TABLE_DIR = Path(__file__).parent / "tables"

Scalar = str | int | bool
Query = str | int | bool | Decimal | None
FieldValue = str | int | bool | tuple[str, ...] | None

MATCH_KINDS = frozenset({"value", "range", "prefix"})
FIELD_TYPES = frozenset({"text", "int", "bool", "texts"})
RANGE_OPS = ("gt", "ge", "lt", "le")


class TableError(ValueError):
    """A table file is malformed; the message names the file and the row."""


@dataclass(frozen=True, slots=True)
class Range:
    """Numeric bounds, each optional, compared exactly (5.0 <= 5 is true, 5.1 <= 5 false)."""

    gt: Decimal | None = None
    ge: Decimal | None = None
    lt: Decimal | None = None
    le: Decimal | None = None

    def contains(self, value: Decimal) -> bool:
        return (
            (self.gt is None or value > self.gt)
            and (self.ge is None or value >= self.ge)
            and (self.lt is None or value < self.lt)
            and (self.le is None or value <= self.le)
        )

    @property
    def interval(self) -> Interval:
        return Interval.from_bounds(self.gt, self.ge, self.lt, self.le)

    def describe(self) -> str:
        """The bounds in words a clinician reads, e.g. "> 5 and <= 10"."""
        parts = [
            f"{sign} {bound}"
            for sign, bound in ((">", self.gt), (">=", self.ge), ("<", self.lt), ("<=", self.le))
            if bound is not None
        ]
        return " and ".join(parts)


Condition = tuple[Scalar, ...] | Range


@dataclass(frozen=True, slots=True)
class Row:
    """One table row: its key in source notation, its conditions and its result fields."""

    table: str
    key: str
    index: int
    conditions: Mapping[str, Condition]
    fields: Mapping[str, FieldValue]

    def matches(self, kinds: Mapping[str, str], query: Mapping[str, Query]) -> bool:
        for column, cond in self.conditions.items():
            value = query[column]
            if value is None:
                return False
            if isinstance(cond, Range):
                if isinstance(value, bool) or not isinstance(value, int | Decimal):
                    return False
                if not Decimal(value).is_finite() or not cond.contains(Decimal(value)):
                    return False
            elif kinds[column] == "prefix":
                if not isinstance(value, str) or not any(
                    isinstance(p, str) and value.startswith(p) for p in cond
                ):
                    return False
            elif not any(type(value) is type(c) and value == c for c in cond):
                return False
        return True

    def condition(self, column: str) -> Condition | None:
        return self.conditions.get(column)

    def bounds(self, column: str) -> Range:
        """The range condition on ``column`` (KeyError when the row has none)."""
        cond = self.conditions.get(column)
        if not isinstance(cond, Range):
            raise KeyError(f"{self.table} row {self.key!r} has no range on {column!r}")
        return cond

    def text(self, name: str) -> str:
        value = self.fields.get(name)
        if not isinstance(value, str):
            raise KeyError(f"{self.table} row {self.key!r} has no text field {name!r}")
        return value

    def opt_text(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value if isinstance(value, str) else None

    def integer(self, name: str) -> int:
        value = self.fields.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise KeyError(f"{self.table} row {self.key!r} has no int field {name!r}")
        return value

    def opt_integer(self, name: str) -> int | None:
        value = self.fields.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def flag(self, name: str) -> bool:
        return self.fields.get(name) is True

    def texts(self, name: str) -> tuple[str, ...]:
        value = self.fields.get(name)
        return value if isinstance(value, tuple) else ()


_MEMO_SIZE = 4096
#: A ``TraceStep`` built through its slots, not its frozen __init__ (cds.frozen): several per
#: tumor (``Table.step``, and ``cds.grading``'s own steps).
new_step = builder(TraceStep)


def _cell_matches(kind: str, cond: Condition, value: Query) -> bool:
    """One value or prefix cell against one query value, as ``Row.matches`` decides it."""
    if value is None or isinstance(cond, Range):
        return False
    if kind == "prefix":
        return isinstance(value, str) and any(
            isinstance(p, str) and value.startswith(p) for p in cond
        )
    return any(type(value) is type(c) and value == c for c in cond)


def _as_number(value: Query) -> Decimal | None:
    """A query value as the decimal a range cell compares, or None when no range can hold it
    (unknown, a bool, not a number, not finite), as ``Row.matches`` decides it."""
    # Most queries hold a measured number, already a Decimal: compared as it is, not copied
    # (with the written-out row loop of ``first`` and the plausibility verdicts read once,
    # cds.assess of a bench chart 0.51 to 0.46 million instructions).
    if type(value) is Decimal:
        return value if value.is_finite() else None
    if value is None or isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    number = Decimal(value)
    return number if number.is_finite() else None


@dataclass(frozen=True, slots=True)
class Table:
    id: str
    title: str
    source: str
    path: str
    match: Mapping[str, str]
    fields: Mapping[str, str]
    rows: tuple[Row, ...]
    # Rows already found for the value and prefix columns of a query: tables never change
    # after loading, so those columns always select the same rows. Keyed by value type and
    # value (1, True and Decimal(1) are equal in Python but match differently). Range columns
    # are not part of the key (a chart's measurements are rarely seen twice): the few rows
    # found are then checked against them. Bounded; cleared when full.
    _memo: dict[tuple[object, ...], tuple[Row, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Derived from ``match`` and ``rows`` when the table is built (see ``__post_init__``).
    _columns: frozenset[str] = field(init=False, compare=False, repr=False)
    _keyed: tuple[str, ...] = field(init=False, compare=False, repr=False)
    _ranged: tuple[str, ...] = field(init=False, compare=False, repr=False)
    # Per row (by position), its range cells: (column, range).
    _row_ranges: tuple[tuple[tuple[str, Range], ...], ...] = field(
        init=False, compare=False, repr=False
    )
    # Per range column, the rows with a range on it and that range as an interval.
    _intervals: Mapping[str, tuple[tuple[Row, Interval], ...]] = field(
        init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        # A new measured value was a memo miss and a scan of every row (and a memo entry per
        # value): now one memo hit on the other columns and a range check of the rows found.
        ranged = tuple(c for c, kind in self.match.items() if kind == "range")
        set_ = object.__setattr__
        set_(self, "_columns", frozenset(self.match))
        set_(self, "_keyed", tuple(c for c in self.match if c not in ranged))
        set_(self, "_ranged", ranged)
        set_(
            self,
            "_row_ranges",
            tuple(
                tuple((c, r) for c, r in row.conditions.items() if isinstance(r, Range))
                for row in self.rows
            ),
        )
        intervals: dict[str, tuple[tuple[Row, Interval], ...]] = {}
        for row in self.rows:
            for column, cond in row.conditions.items():
                if isinstance(cond, Range):
                    intervals[column] = (*intervals.get(column, ()), (row, cond.interval))
        set_(self, "_intervals", MappingProxyType(intervals))

    def _check_query(self, query: Mapping[str, Query]) -> None:
        unknown = set(query) - set(self.match)
        absent = set(self.match) - set(query)
        if unknown or absent:
            raise KeyError(
                f"table {self.id}: query columns {sorted(query)} != match columns "
                f"{sorted(self.match)}"
            )

    def _candidates(self, query: Mapping[str, Query]) -> tuple[Row, ...]:
        """The rows whose value and prefix cells all match ``query``, in table order."""
        if query.keys() != self._columns:
            self._check_query(query)
        key = tuple([(type(value), value) for value in [query[c] for c in self._keyed]])
        found = self._memo.get(key)
        if found is None:
            kinds = self.match
            found = tuple(
                row
                for row in self.rows
                if all(
                    _cell_matches(kinds[c], cond, query[c])
                    for c, cond in row.conditions.items()
                    if not isinstance(cond, Range)
                )
            )
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = found
        return found

    def _in_ranges(self, row: Row, numbers: Mapping[str, Decimal | None]) -> bool:
        for column, bounds in self._row_ranges[row.index - 1]:
            number = numbers[column]
            if number is None or not bounds.contains(number):
                return False
        return True

    def first(self, **query: Query) -> Row | None:
        """The first row matching ``query`` (which names every match column), or None."""
        rows = self._candidates(query)
        if not self._ranged:
            return rows[0] if rows else None
        numbers = {c: _as_number(query[c]) for c in self._ranged}
        in_ranges = self._in_ranges
        for row in rows:
            if in_ranges(row, numbers):
                return row
        return None

    def every(self, **query: Query) -> tuple[Row, ...]:
        """All rows matching ``query``, in table order (for tables of options, not rules)."""
        rows = self._candidates(query)
        if not self._ranged:
            return rows
        numbers = {c: _as_number(query[c]) for c in self._ranged}
        return tuple(row for row in rows if self._in_ranges(row, numbers))

    def overlapping(self, column: str, interval: Interval) -> tuple[Row, ...]:
        """The rows whose range on ``column`` holds some value of ``interval``, in table order
        (for one-range tables such as T by size or FNCLCC scores; see ``cds/interval.py``)."""
        return tuple(
            row for row, held in self._intervals.get(column, ()) if held.overlaps(interval)
        )

    def row(self, key: str) -> Row:
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(f"table {self.id} has no row {key!r}")

    def step(self, row: Row, explanation: str) -> TraceStep:
        """The trace step saying that ``row`` of this table decided something, and why."""
        return new_step(self.id, row.key, self.source, explanation)


def _number(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TableError(f"{where}: range bound {value!r} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise TableError(f"{where}: range bound {value!r} is not a number") from exc
    if not number.is_finite():
        raise TableError(f"{where}: range bound {value!r} is not finite")
    return number


def _condition(kind: str, value: object, where: str) -> Condition:
    if kind == "range":
        if not isinstance(value, dict) or not value or set(value) - set(RANGE_OPS):
            raise TableError(f"{where}: a range is an inline table of {', '.join(RANGE_OPS)}")
        bounds = {op: _number(v, where) for op, v in value.items()}
        return Range(**bounds)
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str | int | bool) for i in items):
        raise TableError(f"{where}: a {kind} condition is a scalar or a list of scalars")
    if kind == "prefix" and not all(isinstance(i, str) for i in items):
        raise TableError(f"{where}: a prefix condition is a string or a list of strings")
    return tuple(items)


def _field(kind: str, value: object, where: str) -> FieldValue:
    if kind == "text" and isinstance(value, str) and value.strip():
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "texts" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise TableError(f"{where}: expected {kind}, got {value!r}")


def _columns(
    data: Mapping[str, object], name: str, allowed: frozenset[str], origin: str
) -> dict[str, str]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise TableError(f"{origin}: [{name}] must be a table")
    out: dict[str, str] = {}
    for column, kind in section.items():
        if not isinstance(kind, str) or kind.removesuffix("?") not in allowed:
            raise TableError(
                f"{origin}: [{name}] {column} = {kind!r} is not one of {sorted(allowed)}"
            )
        out[column] = kind
    return out


def parse_table(data: Mapping[str, object], origin: str) -> Table:
    """Check and build one table from its parsed TOML; raise TableError naming file and row."""
    for key in ("id", "title", "source"):
        if not isinstance(data.get(key), str) or not str(data.get(key)).strip():
            raise TableError(f"{origin}: missing or empty {key!r}")
    table_id = str(data["id"])
    match = _columns(data, "match", MATCH_KINDS, origin)
    fields = _columns(data, "fields", FIELD_TYPES, origin)
    if set(match) & set(fields) or "row" in match or "row" in fields:
        raise TableError(f"{origin}: a column is both match and field, or is named 'row'")
    raw_rows = data.get("rows")
    if not isinstance(raw_rows, list) or not raw_rows:
        raise TableError(f"{origin}: no [[rows]]")
    rows: list[Row] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rows, start=1):
        where = f"{origin}: row {index}"
        if not isinstance(raw, dict):
            raise TableError(f"{where}: not a table")
        raw_key: object = raw.get("row")
        if not isinstance(raw_key, str) or not raw_key.strip():
            raise TableError(f"{where}: missing 'row' key")
        key = raw_key
        where = f"{origin}: row {index} ({key!r})"
        if key in seen:
            raise TableError(f"{where}: duplicate row key")
        seen.add(key)
        extra = set(raw) - {"row"} - set(match) - set(fields)
        if extra:
            raise TableError(f"{where}: unknown columns {sorted(extra)}")
        conditions = {c: _condition(k, raw[c], where) for c, k in match.items() if c in raw}
        values: dict[str, FieldValue] = {}
        for column, kind in fields.items():
            if column in raw:
                values[column] = _field(kind.removesuffix("?"), raw[column], where)
            elif not kind.endswith("?"):
                raise TableError(f"{where}: missing field {column!r}")
        rows.append(
            Row(
                table=table_id,
                key=key,
                index=index,
                conditions=MappingProxyType(conditions),
                fields=MappingProxyType(values),
            )
        )
    return Table(
        id=table_id,
        title=str(data["title"]),
        source=str(data["source"]),
        path=origin,
        match=MappingProxyType(match),
        fields=MappingProxyType(fields),
        rows=tuple(rows),
    )


def load_tables(directory: Path = TABLE_DIR) -> Mapping[str, Table]:
    """Every ``*.toml`` table in ``directory`` by id; a malformed file raises TableError."""
    tables: dict[str, Table] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise TableError(f"{path.name}: not valid TOML: {exc}") from exc
        table = parse_table(data, path.name)
        if table.id in tables:
            raise TableError(f"{path.name}: table id {table.id!r} also in {tables[table.id].path}")
        tables[table.id] = table
    return MappingProxyType(tables)


TABLES: Mapping[str, Table] = load_tables()


def table(table_id: str) -> Table:
    """The shipped table with this id (KeyError names the id when there is none)."""
    try:
        return TABLES[table_id]
    except KeyError:
        raise KeyError(f"no table {table_id!r} in {TABLE_DIR}") from None
