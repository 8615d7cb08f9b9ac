"""Values known only as an interval, and which table rows an interval can fall in.

A chart may record a bound instead of a measurement: FHIR ``Quantity.comparator`` (``<``,
``<=``, ``>=``, ``>``) or text such as "> 5 cm", "< 50 %". Such a value is the interval of
every measurement it allows, not the bound itself: "> 5 cm" is (5, inf) and falls in the T2,
T3 and T4 rows of AJCC 8 ch. 41 (PDQ Table 1); "< 10 mitoses per 10 HPF" is [0, 10) and falls
only in FNCLCC mitotic score 1 (0-9, PDQ Table 5). Bounds are compared exactly, open or
closed: "<= 5 cm" is T1 only, "< 5.1 cm" is T1 or T2.

A category or score is determined when exactly one row's range can hold a value of the
interval; otherwise the answer is the set of rows it can fall in, in table order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# FHIR Quantity.comparator codes (R4 value set quantity-comparator) and what they bound.
COMPARATORS = ("<", "<=", ">=", ">")


@dataclass(frozen=True, slots=True)
class Interval:
    """An interval of numbers; ``None`` for a side without bound. Always non-empty."""

    low: Decimal | None = None
    low_closed: bool = False
    high: Decimal | None = None
    high_closed: bool = False

    @staticmethod
    def point(value: Decimal) -> Interval:
        return Interval(value, True, value, True)

    @staticmethod
    def bound(comparator: str, value: Decimal) -> Interval:
        """The interval a FHIR comparator and value mean (ValueError for another comparator)."""
        if comparator == "<":
            return Interval(high=value)
        if comparator == "<=":
            return Interval(high=value, high_closed=True)
        if comparator == ">":
            return Interval(low=value)
        if comparator == ">=":
            return Interval(low=value, low_closed=True)
        raise ValueError(f"comparator {comparator!r} is not one of {', '.join(COMPARATORS)}")

    @property
    def exact(self) -> Decimal | None:
        """The one value of a point interval, else None."""
        if self.low is not None and self.low == self.high and self.low_closed and self.high_closed:
            return self.low
        return None

    def contains(self, value: Decimal) -> bool:
        above = self.low is None or value > self.low or (self.low_closed and value == self.low)
        below = self.high is None or value < self.high or (self.high_closed and value == self.high)
        return above and below

    @staticmethod
    def from_bounds(
        gt: Decimal | None, ge: Decimal | None, lt: Decimal | None, le: Decimal | None
    ) -> Interval:
        """A table range (``gt``/``ge``/``lt``/``le``, at most one of each side) as an interval."""
        low, low_closed = (ge, True) if ge is not None else (gt, False)
        high, high_closed = (le, True) if le is not None else (lt, False)
        return Interval(low, low_closed, high, high_closed)

    def overlaps(self, other: Interval) -> bool:
        """Some value lies in both intervals (open and closed ends compared exactly)."""
        # The higher low end and the lower high end, each closed only when every interval
        # ending there is closed. Written out (it was lists, max and min): 2.8 -> 0.2 us, and
        # called for each row of a size or score table.
        a, b = self.low, other.low
        if a is None:
            low, low_closed = b, other.low_closed
        elif b is None or a > b:
            low, low_closed = a, self.low_closed
        elif b > a:
            low, low_closed = b, other.low_closed
        else:
            low, low_closed = a, self.low_closed and other.low_closed
        a, b = self.high, other.high
        if a is None:
            high, high_closed = b, other.high_closed
        elif b is None or a < b:
            high, high_closed = a, self.high_closed
        elif b < a:
            high, high_closed = b, other.high_closed
        else:
            high, high_closed = a, self.high_closed and other.high_closed
        if low is None or high is None:
            return True
        return low < high or (low == high and low_closed and high_closed)

    def describe(self, unit: str = "") -> str:
        """In the chart's own notation: "> 5 cm", "<= 9", "5 cm", ">= 2 and < 4"."""
        tail = f" {unit}" if unit else ""
        exact = self.exact
        if exact is not None:
            return f"{exact}{tail}"
        parts = []
        if self.low is not None:
            parts.append(f"{'>=' if self.low_closed else '>'} {self.low}")
        if self.high is not None:
            parts.append(f"{'<=' if self.high_closed else '<'} {self.high}")
        return (" and ".join(parts) or "any value") + tail
