"""The extreme values a request model's constraints allow, and the first ones they refuse.

Read from the models themselves (pydantic field metadata: `ge`/`le`, lengths, patterns and
the date windows of `ishc_contracts.bounds`), never from a hand list, so a field added to a
contract is covered the day it is added, and a field without a bound is found
(`unbounded`). For every field (and, inside lists and nested models, their items):

- integers and floats: the minimum and maximum, and one step beyond each;
- text: the longest string (4-byte characters when the pattern allows them) and one longer;
- lists: the largest list and one larger, the smallest allowed and one smaller;
- dates and instants: the earliest and latest of the window, and one day (second) beyond.

Each `Extreme` says whether the contract accepts it (`allowed`); a test puts it into a valid
payload (`apply`) and checks what the system does with it.
"""

from __future__ import annotations

import copy
import importlib
import math
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, Literal
from uuid import UUID, uuid4

import annotated_types
from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo

from ishc_contracts.bounds import NOW, TODAY, DateWindow, InstantWindow
from ishc_contracts.catalogue import SERVICE_COMMANDS
from ishc_contracts.reference import ReferenceFields, with_valid_codes

Path = tuple[str | int, ...]

# Text that fills a length: the first a pattern accepts. A 4-byte character makes the
# longest string the longest in bytes too.
_FILLERS = ("\U0001f404", "ầ", "a", "A", "1")


@dataclass
class Shape:
    """What a type allows, with the constraints gathered from every `Annotated` layer."""

    kind: Literal["int", "float", "str", "date", "datetime", "seq", "model", "other"]
    nullable: bool = False
    low: float | None = None
    low_exclusive: bool = False
    high: float | None = None
    high_exclusive: bool = False
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    window: DateWindow | InstantWindow | None = None
    allow_inf_nan: bool = True
    item: Shape | None = None
    model: type[BaseModel] | None = None
    choices: tuple[Any, ...] = ()
    examples: tuple[Any, ...] = ()
    base: Any = None


@dataclass(frozen=True)
class Extreme:
    path: Path
    label: str
    value: Any
    allowed: bool
    # Containers on the way to `path` (a nested model, a list) and an ordinary value for each,
    # set first where the payload has none: an extreme systolic needs a diastolic beside it.
    scaffold: tuple[tuple[Path, Any], ...] = ()

    @property
    def field(self) -> str:
        return ".".join(str(p) for p in self.path)

    def names(self, field: str) -> bool:
        """Whether a refusal naming `field` names this extreme: the field itself, something
        inside it, or the list that holds it (a list refused for one of its items)."""
        if field == self.field or field.startswith(f"{self.field}."):
            return True
        return any(
            field == ".".join(str(p) for p in self.path[:i])
            for i, key in enumerate(self.path)
            if isinstance(key, int)
        )

    def apply(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A copy of `payload` with this value at `path` (lists grown to hold the index)."""
        result = copy.deepcopy(payload)
        for where, value in self.scaffold:
            _fill(result, where, value)
        target: Any = result
        for key, nxt in zip(self.path[:-1], self.path[1:], strict=True):
            if isinstance(key, int):
                while len(target) <= key:
                    target.append({} if isinstance(nxt, str) else [])
            elif target.get(key) is None:
                target[key] = [] if isinstance(nxt, int) else {}
            target = target[key]
        last = self.path[-1]
        if isinstance(last, int):
            while len(target) <= last:
                target.append(None)
        target[last] = self.value
        return result


def _fill(payload: dict[str, Any], path: Path, value: Any) -> None:
    """Put `value` at `path` if nothing (or an empty list) is there."""
    target: Any = payload
    for key in path[:-1]:
        if isinstance(key, int):
            if len(target) <= key:
                return
        elif target.get(key) is None:
            return
        target = target[key]
    last = path[-1]
    if isinstance(last, int):
        if len(target) <= last:
            target.append(copy.deepcopy(value))
        return
    current = target.get(last)
    if current is None or current == []:
        target[last] = copy.deepcopy(value)


@dataclass(frozen=True)
class Clock:
    """The instant the system under test validates against."""

    now: datetime
    today: date

    @classmethod
    def of(cls, context: dict[str, Any]) -> Clock:
        return cls(now=context[NOW], today=context[TODAY])


def shape_of(annotation: Any, metadata: Sequence[Any] = (), examples: Sequence[Any] = ()) -> Shape:
    """The shape of `annotation`, with `metadata` (a field's own constraints) applied."""
    layers = list(metadata)
    found_examples = list(examples)
    nullable = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            layers = [*_flatten(extra), *layers]
            found_examples += [
                e for i in extra if isinstance(i, FieldInfo) for e in i.examples or ()
            ]
            continue
        if origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            nullable = nullable or len(options) < len(typing.get_args(annotation))
            if len(options) == 1:
                annotation = options[0]
                continue
            return Shape("other", nullable=nullable, base=annotation)
        break
    shape = _base_shape(annotation)
    shape.nullable = nullable
    shape.examples = tuple(found_examples)
    for item in layers:
        _constrain(shape, item)
    return shape


def _flatten(items: Sequence[Any]) -> list[Any]:
    found: list[Any] = []
    for item in items:
        if isinstance(item, FieldInfo):
            found += item.metadata
        else:
            found.append(item)
    return found


def _base_shape(annotation: Any) -> Shape:
    origin = typing.get_origin(annotation)
    if origin in (tuple, list, set, frozenset):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return Shape("seq", item=shape_of(args[0]) if args else Shape("other"))
    if origin is Literal:
        return Shape("other", choices=typing.get_args(annotation), base=annotation)
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return Shape("model", model=annotation)
        if issubclass(annotation, bool):
            return Shape("other", choices=(True, False), base=bool)
        if issubclass(annotation, Enum):
            return Shape("other", choices=tuple(annotation), base=annotation)
        if issubclass(annotation, int):
            return Shape("int")
        if issubclass(annotation, float):
            return Shape("float")
        if issubclass(annotation, str):
            return Shape("str")
        if issubclass(annotation, datetime | AwareDatetime):
            return Shape("datetime")
        if issubclass(annotation, date):
            return Shape("date")
    return Shape("other", base=annotation)


def _number(bound: Any) -> float:
    return float(bound)


def _constrain(shape: Shape, item: Any) -> None:
    match item:
        case annotated_types.Ge():
            shape.low, shape.low_exclusive = _number(item.ge), False
        case annotated_types.Gt():
            shape.low, shape.low_exclusive = _number(item.gt), True
        case annotated_types.Le():
            shape.high, shape.high_exclusive = _number(item.le), False
        case annotated_types.Lt():
            shape.high, shape.high_exclusive = _number(item.lt), True
        case annotated_types.MinLen(min_length=v):
            shape.min_length = v
        case annotated_types.MaxLen(max_length=v):
            shape.max_length = v
        case DateWindow() | InstantWindow():
            shape.window = item
        case _:
            pattern = getattr(item, "pattern", None)
            if isinstance(pattern, str):
                shape.pattern = pattern
            if getattr(item, "allow_inf_nan", None) is False:
                shape.allow_inf_nan = False


def field_shapes(model: type[BaseModel]) -> dict[str, Shape]:
    return {
        name: shape_of(info.annotation, info.metadata, info.examples or ())
        for name, info in model.model_fields.items()
    }


# -- what is unbounded ------------------------------------------------------------------


def unbounded(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Fields of `model` (nested too) that a caller could make arbitrarily large or long."""
    found: list[str] = []
    for name, shape in field_shapes(model).items():
        found += _unbounded(shape, f"{prefix}{name}")
    return found


def _unbounded(shape: Shape, where: str) -> list[str]:
    match shape.kind:
        case "int" | "float":
            missing = shape.low is None or shape.high is None
            if shape.kind == "float" and shape.allow_inf_nan:
                missing = True
            return [f"{where}: number without both bounds"] if missing else []
        case "str":
            ok = shape.max_length is not None
            return [] if ok else [f"{where}: text without max_length"]
        case "date" | "datetime":
            return [] if shape.window is not None else [f"{where}: date without a window"]
        case "seq":
            found = [] if shape.max_length is not None else [f"{where}: list without max_length"]
            assert shape.item is not None
            return found + _unbounded(shape.item, f"{where}[]")
        case "model":
            assert shape.model is not None
            return unbounded(shape.model, f"{where}.")
        case _:
            if shape.choices or shape.base in (UUID, bool):
                return []
            return [f"{where}: {shape.base!r} is not a bounded type"]


# -- values -----------------------------------------------------------------------------


def sample(shape: Shape, clock: Clock) -> Any:
    """A valid, ordinary value of `shape` (JSON-ready)."""
    match shape.kind:
        case "int":
            # The middle of the range: clear of the edges, where rules beside the contract
            # (a physiological range inside the contract's) would refuse it.
            low, high = _int_low(shape), _int_high(shape)
            if low is not None and high is not None:
                return (low + high) // 2
            return max(low if low is not None else 1, 1)
        case "float":
            return shape.low if shape.low is not None else 1.0
        case "str":
            if shape.examples:
                return shape.examples[0]
            return _text(shape, max(shape.min_length or 1, 1)) or "x"
        case "date":
            day = _window_dates(shape, clock)[0][1] if shape.window else clock.today
            return day.isoformat()
        case "datetime":
            at = _window_instants(shape, clock)[0][1] if shape.window else clock.now
            return at.isoformat()
        case "seq":
            assert shape.item is not None
            return [sample(shape.item, clock) for _ in range(max(shape.min_length or 0, 1))]
        case "model":
            assert shape.model is not None
            return sample_model(shape.model, clock)
    if shape.choices:
        choice = shape.choices[0]
        return choice.value if isinstance(choice, Enum) else choice
    if shape.base is UUID:
        return str(uuid4())
    return None


def sample_model(model: type[BaseModel], clock: Clock) -> dict[str, Any]:
    """The required fields of `model`, each an ordinary value (a coded field: a code of its
    reference list valid on the sample's date)."""
    values = {
        name: sample(shape, clock)
        for (name, shape), info in zip(
            field_shapes(model).items(), model.model_fields.values(), strict=True
        )
        if info.is_required()
    }
    return with_valid_codes(_reference_fields(model), values)


def _reference_fields(model: type[BaseModel]) -> ReferenceFields:
    found: ReferenceFields = getattr(model, "reference_fields", None) or {}
    return found


def extremes(model: type[BaseModel], clock: Clock) -> list[Extreme]:
    """Every extreme of every field of `model`, nested fields and list items included."""
    found: list[Extreme] = []
    coded = _reference_fields(model)
    for name, shape in field_shapes(model).items():
        here = _extremes(shape, (name,), clock)
        if name in coded:
            # Text made up to a length is no code of the list: refused naming the field.
            here = [replace(e, allowed=False) for e in here]
        found += here
    return found


def _extremes(shape: Shape, path: Path, clock: Clock) -> list[Extreme]:
    found: list[tuple[str, Any, bool]]
    match shape.kind:
        case "int":
            found = _int_extremes(shape)
        case "float":
            found = _float_extremes(shape)
        case "str":
            found = _text_extremes(shape)
        case "date":
            found = [(label, d.isoformat(), ok) for label, d, ok in _window_dates(shape, clock)]
        case "datetime":
            found = [(label, t.isoformat(), ok) for label, t, ok in _window_instants(shape, clock)]
        case "seq":
            return _seq_extremes(shape, path, clock)
        case "model":
            assert shape.model is not None
            nested: list[Extreme] = []
            for name, sub in field_shapes(shape.model).items():
                nested += _extremes(sub, (*path, name), clock)
            here = (path, sample_model(shape.model, clock))
            return [replace(e, scaffold=(here, *e.scaffold)) for e in nested]
        case _:
            return []
    return [Extreme(path, label, value, ok) for label, value, ok in found]


def _int_extremes(shape: Shape) -> list[tuple[str, Any, bool]]:
    low, high = _int_low(shape), _int_high(shape)
    found: list[tuple[str, Any, bool]] = []
    if low is not None:
        found += [("minimum", low, True), ("below minimum", low - 1, False)]
    if high is not None:
        found += [("maximum", high, True), ("above maximum", high + 1, False)]
    else:  # unbounded (`unbounded` reports it): what no bigint column holds must be refused
        found += [("beyond int64", 2**63, False)]
    return found


def _float_extremes(shape: Shape) -> list[tuple[str, Any, bool]]:
    found: list[tuple[str, Any, bool]] = []
    if shape.low is not None:
        found += [("minimum", shape.low, not shape.low_exclusive)]
        found += [("below minimum", math.nextafter(shape.low, -math.inf), False)]
    if shape.high is not None:
        found += [("maximum", shape.high, not shape.high_exclusive)]
        found += [("above maximum", math.nextafter(shape.high, math.inf), False)]
    return found


def _text_extremes(shape: Shape) -> list[tuple[str, Any, bool]]:
    if shape.max_length is None:  # unbounded: a text no index could hold must be refused
        return [("huge", _text(shape, 100_000) or "a" * 100_000, False)]
    found: list[tuple[str, Any, bool]] = []
    longest = _text(shape, shape.max_length)
    if longest is None:  # a fixed format (a week, a period): its example, one longer
        longest = next((e for e in shape.examples if len(e) == shape.max_length), None)
    if longest is not None:
        found += [("longest", longest, True), ("too long", longest + longest[-1], False)]
    if shape.min_length and (shortest := _text(shape, shape.min_length - 1)) is not None:
        found.append(("too short", shortest, False))
    return found


def _seq_extremes(shape: Shape, path: Path, clock: Clock) -> list[Extreme]:
    assert shape.item is not None
    item = shape.item
    found: list[Extreme] = []
    if shape.max_length is not None:
        largest = _distinct(item, shape.max_length, clock)
        found.append(Extreme(path, "largest list", largest, True))
        found.append(Extreme(path, "list too large", [*largest, sample(item, clock)], False))
    else:  # unbounded: must be refused
        found.append(Extreme(path, "huge list", _distinct(item, 10_000, clock), False))
    if shape.min_length:
        smaller = _distinct(item, shape.min_length - 1, clock)
        found.append(Extreme(path, "list too small", smaller, False))
    # An item's own extremes, as the first item (an ordinary one first if there is none).
    here = (path, [sample(item, clock)])
    found += [replace(e, scaffold=(here, *e.scaffold)) for e in _extremes(item, (*path, 0), clock)]
    return found


def _distinct(item: Shape, count: int, clock: Clock) -> list[Any]:
    """`count` valid items, distinct where the type allows (ids, codes)."""
    if item.base is UUID:
        return [str(uuid4()) for _ in range(count)]
    if item.kind == "str":
        width = len(str(count))
        numbered = [f"a{n:0{width}d}" for n in range(count)]
        if all(_fits(item, text) for text in numbered):
            return numbered
    return [sample(item, clock) for _ in range(count)]


def _fits(shape: Shape, text: str) -> bool:
    if shape.max_length is not None and len(text) > shape.max_length:
        return False
    return shape.pattern is None or re.search(shape.pattern, text) is not None


def _text(shape: Shape, length: int) -> str | None:
    """A string of `length` characters the pattern accepts (None if no filler does)."""
    for filler in _FILLERS:
        text = filler * length
        if shape.pattern is None or re.search(shape.pattern, text):
            return text
    return None


def _int_low(shape: Shape) -> int | None:
    if shape.low is None:
        return None
    return int(shape.low) + (1 if shape.low_exclusive else 0)


def _int_high(shape: Shape) -> int | None:
    if shape.high is None:
        return None
    return int(shape.high) - (1 if shape.high_exclusive else 0)


def _window_dates(shape: Shape, clock: Clock) -> list[tuple[str, date, bool]]:
    window = shape.window
    if window is None:  # unbounded: the calendar's ends must be refused
        return [("first day", date.min, False), ("last day", date.max, False)]
    assert isinstance(window, DateWindow), shape
    latest = window.latest(clock.today)
    return [
        ("earliest", window.earliest, True),
        ("before earliest", window.earliest - timedelta(days=1), False),
        ("latest", latest, True),
        ("after latest", latest + timedelta(days=1), False),
    ]


def _window_instants(shape: Shape, clock: Clock) -> list[tuple[str, datetime, bool]]:
    window = shape.window
    if window is None:  # unbounded: the calendar's ends must be refused
        edges = (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
        return [("first instant", edges[0], False), ("last instant", edges[1], False)]
    assert isinstance(window, InstantWindow), shape
    latest = clock.now + window.ahead
    second = timedelta(seconds=1)
    return [
        ("earliest", window.earliest, True),
        ("before earliest", window.earliest - second, False),
        ("latest", latest, True),
        ("after latest", latest + second, False),
    ]


def request_models() -> list[tuple[str, type[BaseModel]]]:
    """(service, model) for every command and query in the contracts."""
    found: list[tuple[str, type[BaseModel]]] = [
        (service, model) for service, models in SERVICE_COMMANDS.items() for model in models
    ]
    for service in (*SERVICE_COMMANDS, "reporting"):
        module = importlib.import_module(f"ishc_contracts.{service}.queries")
        found += [(service, model) for model in getattr(module, "QUERIES", ())]
    return found
