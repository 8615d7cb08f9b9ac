"""Element rules written as data, compiled into one plain Python function per element.

``hooks.fhir.shape`` states which elements a resource may carry and of which type each is (the
whitelist). Checking that tree with one small function per element costs a Python call for
every element of every resource. This module turns the same rules, once at import, into one
function per element type whose text has every nested element, list and primitive check
written out in it: a resource is checked by a single call, with loops and comparisons only.
Any failed test anywhere answers False for the whole value, so the written-out code simply
returns False at that point.

The generated code tests exactly what the rules say, in the same way for every use of an
element; the rules stay the single source of truth (``compiled_source`` shows the text).

A resource's own fields are many (an Observation may carry 30): finding which one a key is
costs a lookup and several comparisons per key. Charts from one source write their resources
with the same fields in the same order, so ``by_shape`` gives each order met (up to
``SHAPES_MAX``) a function of its own, written the same way for exactly those fields: the
values are taken by position and each checked by its field's statements, nothing looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

Check = Callable[[Any], bool]

#: Elements with more fields find a field by its number (a dict lookup, then halves).
CHAIN_MAX = 8
#: Field orders (shapes) of one element given a function of their own (``by_shape``); an
#: element of a shape past these is checked by the general function. Charts from one source
#: come in a few shapes (the bench charts: 4 in all). The bound is never reset, so hostile
#: inputs cannot make the service compile again and again, and bounds the memory the
#: functions take (about 20 KiB for a bench Observation's, 150 KiB for one with every field).
SHAPES_MAX = 16


@dataclass(frozen=True)
class OneOf:
    """A code from a fixed list (a FHIR ``code`` bound to a required value set)."""

    codes: tuple[str, ...]


@dataclass(frozen=True)
class Many:
    """A JSON array of at least one ``item`` (FHIR cardinality ``0..*``, present)."""

    item: Type


@dataclass(frozen=True)
class Element:
    """A JSON object: only these ``fields``, the ``required`` ones present, at most one field
    of each group in ``choices`` (``value[x]``), exactly ``size`` fields when given.
    ``common``: the sets of fields real charts give this element most often, commonest first;
    the functions of a resource's field order test them first (``_Writer.element``)."""

    name: str
    fields: Mapping[str, Type]
    required: tuple[str, ...] = ()
    choices: tuple[tuple[str, ...], ...] = ()
    size: int | None = None
    common: tuple[tuple[str, ...], ...] = ()


#: A primitive type's name (a key of the ``primitives`` given to ``compile_checks``), a code
#: list, an array or an object.
Type: TypeAlias = str | OneOf | Many | Element


def compile_checks(
    elements: list[Element],
    primitives: Mapping[str, str],
    names: dict[str, Any],
) -> dict[str, Check]:
    """One function per element, by name. ``primitives``: per primitive type, an expression
    that is true when ``{x}`` is valid; ``names``: what those expressions use."""
    namespace = dict(names)
    source = compiled_source(elements, primitives, namespace)
    exec(compile(source, "<hooks.fhir.element_check>", "exec"), namespace)  # noqa: S102 - our own text, built from the rules above
    return {element.name: namespace[element.name] for element in elements}


def by_shape(
    element: Element,
    general: Check,
    primitives: Mapping[str, str],
    names: dict[str, Any],
    known_shapes: dict[tuple[Any, ...], Check] | None = None,
) -> Check:
    """``general`` (the compiled check of ``element``), with a function of its own for each
    order of fields met (``shape_check``), kept in ``known_shapes`` (given: a caller may look a
    dict's order up there itself, one call fewer). Callgrind, bench charts: the validity check
    of a new chart's Conditions and Observations from 1.16 to 0.95 million instructions."""
    shapes: dict[tuple[Any, ...], Check] = {} if known_shapes is None else known_shapes

    def check(v: Any) -> bool:
        if type(v) is dict:
            keys = tuple(v)
            known = shapes.get(keys)
            if known is not None:
                return known(v)
            if len(shapes) < SHAPES_MAX:
                known = shape_check(element, keys, primitives, names)
                if known is not None:
                    shapes[keys] = known
                    return known(v)
        return general(v)

    return check


def shape_check(
    element: Element,
    keys: tuple[Any, ...],
    primitives: Mapping[str, str],
    names: dict[str, Any],
) -> Check | None:
    """The check of ``element`` for dicts whose fields are ``keys`` in this order, or None
    when no such dict can be valid (``_fits``). Each value is checked where it stands by its
    field's rule, with the general function's statements: the verdict is the general
    function's, found without looking up what each field is or counting choices."""
    namespace = dict(names)
    source = shape_source(element, keys, primitives, namespace)
    if source is None:
        return None
    exec(compile(source, "<hooks.fhir.element_check>", "exec"), namespace)  # noqa: S102 - our own text: field names from the rules, values by position
    check: Check = namespace["SHAPE"]
    return check


def shape_source(
    element: Element,
    keys: tuple[Any, ...],
    primitives: Mapping[str, str],
    namespace: dict[str, Any],
) -> str | None:
    """The text of ``shape_check``'s function (its constants are put into ``namespace``)."""
    if not _fits(element, keys):
        return None
    writer = _Writer(primitives, namespace, common=True)
    values = [f"a{i}" for i in range(len(keys))]
    for key, value in zip(keys, values, strict=True):
        writer.value(element.fields[key], value, 1)
    # The caller compared the dict's keys with ``keys``: the values come in the same order.
    return "\n".join(
        [
            "def SHAPE(v):",
            f"    {', '.join(values)}, = v.values()",
            *writer.lines,
            "    return True",
        ]
    )


def _fits(element: Element, keys: tuple[Any, ...]) -> bool:
    """Whether a dict with these keys can be a valid ``element`` (its values aside)."""
    return (
        bool(keys)
        and all(type(key) is str and key in element.fields for key in keys)
        and all(name in keys for name in element.required)
        and all(sum(key in group for key in keys) <= 1 for group in element.choices)
        and (element.size is None or len(keys) == element.size)
    )


def compiled_source(
    elements: list[Element],
    primitives: Mapping[str, str],
    namespace: dict[str, Any],
) -> str:
    """The text of the functions (the constants they read are put into ``namespace``)."""
    lines: list[str] = []
    for element in elements:
        writer = _Writer(primitives, namespace)
        writer.value(element, "v", 1)
        lines += [f"def {element.name}(v):", *writer.lines, "    return True", ""]
    return "\n".join(lines)


class _Writer:
    def __init__(
        self, primitives: Mapping[str, str], namespace: dict[str, Any], *, common: bool = False
    ):
        self.primitives = primitives
        self.namespace = namespace
        self.common = common  # test the elements' common sets of fields first (``element``)
        self.lines: list[str] = []
        self.n = 0  # numbers the local names of nested values

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def constant(self, prefix: str, value: Any) -> str:
        name = f"{prefix}_{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def value(self, t: Type, x: str, indent: int) -> None:
        """Statements that return False unless ``x`` is a valid ``t``."""
        if isinstance(t, str):
            self.emit(indent, f"if not ({self.primitives[t].format(x=x)}):")
            self.emit(indent + 1, "return False")
        elif isinstance(t, OneOf):
            codes = self.constant("ONE_OF", frozenset(t.codes))
            self.emit(indent, f"if type({x}) is not str or {x} not in {codes}:")
            self.emit(indent + 1, "return False")
        elif isinstance(t, Many):
            self.n += 1
            item = f"i{self.n}"
            self.emit(indent, f"if type({x}) is not list or not {x}:")
            self.emit(indent + 1, "return False")
            self.emit(indent, f"for {item} in {x}:")
            self.value(t.item, item, indent + 1)
        else:
            self.element(t, x, indent)

    def field(self, name: str, t: Type, group_of: dict[str, int], n: int, indent: int) -> None:
        if name in group_of:  # one value per choice group (value[x])
            chosen = f"c{n}_{group_of[name]}"
            self.emit(indent, f"if {chosen}:")
            self.emit(indent + 1, "return False")
            self.emit(indent, f"{chosen} = True")
        self.value(t, f"x{n}", indent)

    def element(self, e: Element, x: str, indent: int) -> None:
        if self.common and e.common:
            self.common_fields(e, x, indent)
        else:
            self.general(e, x, indent)

    def common_fields(self, e: Element, x: str, indent: int) -> None:
        """Statements with ``general``'s verdict that read a dict of one of the sets of fields
        in ``e.common`` (told apart by their sizes) by key, each value checked by its field's
        statements: a dict of that size with those keys has nothing else to test (those fields
        are known, the required ones among them, at most one per choice group: ``_fits``). A
        key missing (KeyError), or another size, and the general function decides; a value
        refused is refused by it too (it checks every value by the same statements).
        Callgrind, bench charts: extract 2.086 to 1.968 million instructions per chart (the key
        loop with its comparisons costs more than the size and a lookup per key)."""
        sizes = [len(names) for names in e.common]
        if len(set(sizes)) != len(sizes):
            raise ValueError(f"{e.name}: two common sets of fields of one size")
        for names in e.common:
            if not _fits(e, names) or len(set(names)) != len(names):
                raise ValueError(f"{e.name}: no valid dict has the fields {names}")
        general = f"GENERAL_{e.name}"
        if general not in self.namespace:
            self.namespace[general] = compile_checks([e], self.primitives, self.namespace)[e.name]
        self.n += 1
        n = self.n
        size, value = f"n{n}", f"x{n}"
        self.emit(indent, "try:")
        self.emit(indent + 1, f"if type({x}) is not dict:")
        self.emit(indent + 2, "return False")
        self.emit(indent + 1, f"{size} = len({x})")
        for i, names in enumerate(e.common):
            self.emit(indent + 1, f"{'if' if i == 0 else 'elif'} {size} == {len(names)}:")
            for name in names:
                self.emit(indent + 2, f"{value} = {x}[{name!r}]")
                self.value(e.fields[name], value, indent + 2)
        self.emit(indent + 1, f"elif not {general}({x}):")
        self.emit(indent + 2, "return False")
        self.emit(indent, "except KeyError:  # not the common set of fields of its size")
        self.emit(indent + 1, f"if not {general}({x}):")
        self.emit(indent + 2, "return False")

    def general(self, e: Element, x: str, indent: int) -> None:
        """Statements that return False unless ``x`` is a valid ``e``, for any dict."""
        self.n += 1
        n = self.n
        self.emit(indent, f"if type({x}) is not dict or not {x}:")
        self.emit(indent + 1, "return False")
        tests = [f"{name!r} not in {x}" for name in e.required]
        if e.size is not None:
            tests.append(f"len({x}) != {e.size}")
        if tests:
            self.emit(indent, f"if {' or '.join(tests)}:")
            self.emit(indent + 1, "return False")
        group_of = {name: g for g, group in enumerate(e.choices) for name in group}
        for g in range(len(e.choices)):
            self.emit(indent, f"c{n}_{g} = False")
        # Keys, each value read by its key: no items view and no pair per field (callgrind,
        # bench charts: 0.95 to 0.89 million instructions per chart).
        self.emit(indent, f"for k{n} in {x}:")
        self.emit(indent + 1, f"x{n} = {x}[k{n}]")
        fields = list(e.fields.items())
        if len(fields) <= CHAIN_MAX:
            for i, (name, t) in enumerate(fields):
                self.emit(indent + 1, f"{'if' if i == 0 else 'elif'} k{n} == {name!r}:")
                self.field(name, t, group_of, n, indent + 2)
            self.emit(indent + 1, "else:  # an element the rules do not know")
            self.emit(indent + 2, "return False")
        else:
            index = self.constant("INDEX", {name: i for i, (name, _) in enumerate(fields)})
            self.emit(indent + 1, "try:")
            self.emit(indent + 2, f"j{n} = {index}[k{n}]")
            self.emit(indent + 1, "except KeyError:  # an element the rules do not know")
            self.emit(indent + 2, "return False")

            def halves(lo: int, hi: int, indent: int) -> None:
                """Branches on the field's number (lo <= j < hi) by halves."""
                if hi - lo == 1:
                    self.field(*fields[lo], group_of, n, indent)
                    return
                mid = (lo + hi) // 2
                self.emit(indent, f"if j{n} < {mid}:")
                halves(lo, mid, indent + 1)
                self.emit(indent, "else:")
                halves(mid, hi, indent + 1)

            halves(0, len(fields), indent + 1)
