"""The strict pydantic base of everything read from a scenario file.

It lives at the bottom of the house (``common``) because both the market's
parameter classes (:mod:`sandbox.market.params`) and the rules
(:mod:`sandbox.rules`) are such models; the scenario loader
(:mod:`sandbox.config`) builds on it and formats its errors.

* :class:`StrictModel`: unknown keys are errors, numbers finite, types strict,
  and a few user spellings (``"24%"``, ``200.0`` for an int) read as meant.
* :class:`FieldProblem`: a validator's problems, each at a field path, so that
  messages point at the line of the offending field.
* :func:`percent_hint`: the "did you mean 0.24 (24%)?" hint for shares.
"""

from __future__ import annotations

import math
import re
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.fields import FieldInfo

__all__ = ["FieldProblem", "Loc", "StrictModel", "field_key", "percent_hint", "union_members"]

Loc = tuple[Any, ...]
"""A field path: keys (str) and list indexes (int), e.g. ``("regime", 2, "rate_cap")``."""


class FieldProblem(ValueError):  # noqa: N818 (a public name; it is a problem list, raised as an error)
    """Problems a model validator found, each at a field path below the model.

    Raise it from a ``model_validator`` instead of a plain ``ValueError`` so
    that :func:`~sandbox.config.yamlio.format_validation_error` reports each problem at the file and
    line of the offending field (a plain error points at the model's own key).

    Attributes:
        problems: ``(path, message)`` pairs; ``path`` is relative to the model
            being validated and uses the keys a user writes (``"from"``).
    """

    def __init__(self, problems: list[tuple[Loc, str]] | Loc, message: str | None = None) -> None:
        """Create it from a list of ``(path, message)`` or from one path and one message."""
        if message is not None:
            problems = [(tuple(problems), message)]
        self.problems: list[tuple[Loc, str]] = [(tuple(loc), text) for loc, text in problems]
        super().__init__("; ".join(text for _, text in self.problems))


def percent_hint(value: Any, upper: float | None) -> str:
    """``" did you mean 0.24 (24%)?"`` when ``value`` reads like a percentage of a share or rate.

    Shares and rates are fractions; a value from 1 to 100 above the field's
    upper bound, whose hundredth is within it, was almost surely a percentage.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or upper is None:
        return ""
    if 1 < value <= 100 and value > upper and value / 100 <= upper:
        return f"; did you mean {value / 100:g} ({value:g}%)?"
    return ""


_PERCENT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*%\s*$")


def _number_kind(annotation: Any) -> str | None:
    """``"int"`` or ``"float"`` if a field holds numbers (alone, in a list or dict, or dated)."""
    members, _ = union_members(annotation)
    kinds: set[str] = set()
    for tp in members:
        origin = get_origin(tp)
        container = isinstance(origin, type) and issubclass(origin, (Sequence, Mapping))
        if origin in (list, tuple, set, frozenset, dict) or container:
            args = get_args(tp)
            inner = _number_kind(args[-1]) if args else None
            kinds.add(inner or "")
        elif tp is float:
            kinds.add("float")
        elif tp is int:
            kinds.add("int")
    return "float" if "float" in kinds else "int" if "int" in kinds else None


def _plain_number(value: Any, kind: str) -> Any:
    """One input value in the user's spelling turned into what the strict schema checks.

    ``"24%"`` becomes 0.24 on a float field; numpy scalars become Python ones;
    a whole float (``200.0``) is accepted on an int field; lists are converted
    item by item. Everything else is left for strict validation to judge (so
    ``true`` is not read as 1, nor ``"no"`` as false).
    """
    if isinstance(value, (list, tuple)):
        return [_plain_number(v, kind) for v in value]
    if isinstance(value, dict):  # dated values: {values: {2016-08: 24%}}
        return {k: _plain_number(v, kind) for k, v in value.items()}
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    if kind == "float" and isinstance(value, str):
        match = _PERCENT.match(value)
        # Beyond 100% the converted number would draw a misleading "did you mean" hint:
        # leave it as written, so the error echoes "2400%".
        if match and abs(float(match.group(1))) <= 100:
            return float(match.group(1)) / 100
    if kind == "int" and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


class StrictModel(BaseModel):
    """Base of every model read from a scenario file.

    Unknown keys are errors; numbers must be finite (``.nan`` and ``.inf`` are
    refused, whatever the field's range); validation is strict, so ``true`` is
    not a number and ``no`` or ``1`` are not booleans. Before that, a few
    spellings are read as users mean them (see :func:`_plain_number`).
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _user_spellings(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        kinds = _field_number_kinds(cls)
        return {key: _plain_number(value, kinds[key]) if key in kinds else value for key, value in data.items()}


_KIND_CACHE: dict[type, dict[str, str]] = {}


def _field_number_kinds(model: type[BaseModel]) -> dict[str, str]:
    """Input key (name and alias) to ``"int"``/``"float"`` for the numeric fields of ``model``."""
    if model not in _KIND_CACHE:
        kinds: dict[str, str] = {}
        for name, field in model.model_fields.items():
            kind = _number_kind(field.annotation)
            if kind:
                kinds[name] = kinds[field_key(name, field)] = kind
        _KIND_CACHE[model] = kinds
    return _KIND_CACHE[model]


def union_members(tp: Any) -> tuple[list[Any], bool]:
    """Strip ``Annotated`` and split unions.

    Returns:
        The non-None member types, and whether pydantic will put a label for
        the chosen member into ``loc`` (it does for a union of two or more
        non-None types; ``X | None`` gets no label).
    """
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        found: list[Any] = []
        for arg in get_args(tp):
            if arg is not type(None):
                found.extend(union_members(arg)[0])
        return found, len(found) >= 2
    return [tp], False


def field_key(name: str, field: FieldInfo) -> str:
    """The key a user writes for a field: its alias if it has one."""
    alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
    return alias or name
