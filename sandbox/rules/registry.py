"""The rule registry: rule names as written in scenario files, mapped to classes.

A rule registers itself with :func:`register`; from then on scenario files can
use it by name. Nothing else in the package needs to change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.rules.base import Rule

_RULES: dict[str, type[Rule]] = {}


def register[R: type[Rule]](cls: R) -> R:
    """Class decorator: make a :class:`~sandbox.rules.base.Rule` usable by its ``name``."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"rule class {cls.__name__} needs a class attribute 'name' that is an identifier")
    if name in _RULES and _RULES[name] is not cls and _RULES[name].__qualname__ != cls.__qualname__:
        raise ValueError(f"a rule named '{name}' is already registered ({_RULES[name].__qualname__})")
    _RULES[name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a rule (for tests and notebooks that redefine one)."""
    _RULES.pop(name, None)


def get(name: str) -> type[Rule]:
    """The rule class registered as ``name``."""
    return _RULES[name]


def names() -> list[str]:
    """Every registered rule name, in registration order."""
    return list(_RULES)


def all_rules() -> dict[str, type[Rule]]:
    """A copy of the registry."""
    return dict(_RULES)
