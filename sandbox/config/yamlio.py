"""Safe, strict YAML loading for scenario files, and readable validation errors.

Scenario files are written by hand, so this module is deliberately strict and
deliberately plain:

* ``StrictLoader`` is a ``yaml.SafeLoader`` that refuses duplicate keys,
  aliases (``*name``) and any tag that would build something other than plain
  data, keeps dates as strings, and only treats ``true``/``false`` as booleans.
* ``load_yaml`` returns the data together with a map from field paths to line
  numbers, so later validation errors can point at ``file:line``.
* ``format_validation_error`` turns a pydantic ``ValidationError`` into one
  short line per problem, in the user's terms (their paths, their key names).
"""

from __future__ import annotations

import difflib
import io
import os
import re
import stat
from collections.abc import Callable, Hashable, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pydantic
import yaml
from pydantic import BaseModel
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, SequenceNode
from yaml.resolver import Resolver

# The strict base lives below the market (whose parameters are such models); re-exported here.
from sandbox.common.validation import FieldProblem, Loc, StrictModel, field_key, percent_hint, union_members

__all__ = [
    "MAX_FILE_BYTES",
    "FieldProblem",
    "ScenarioError",
    "StrictModel",
    "StrictLoader",
    "format_validation_error",
    "line_locator",
    "load_yaml",
    "path_str",
]

Locate = Callable[[Loc], tuple[str, int | None]]

_MAX_SHOWN = 40  # longest repr of a found value shown in a message

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest scenario file read (4 MB): the biggest real scenario is a few KB, and a
bound keeps a mistaken ``extends: /dev/zero`` or a huge file from eating memory."""


class ScenarioError(ValueError):
    """One or more problems with a scenario file, each a one-line message.

    Attributes:
        problems: The individual messages, e.g.
            ``"baseline.yaml:14: duplicate key 'months' (first at line 3)"``.
    """

    def __init__(self, problems: str | list[str]) -> None:
        """Create the error.

        Args:
            problems: A single message or a list of messages.
        """
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        # Pass the list itself so the error pickles and unpickles intact.
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(self.problems)


# --------------------------------------------------------------------------
# Strict loader
# --------------------------------------------------------------------------

_TAG = "tag:yaml.org,2002:"

# Implicit resolvers we drop from the SafeLoader set:
# - timestamp: "2016-08-01" must stay the string the user typed;
# - bool: YAML 1.1 also reads yes/no/on/off as booleans (re-added below, 1.2 style);
# - merge ("<<") and value ("="): only useful with aliases, which we refuse.
_DROPPED_RESOLVERS = {_TAG + "timestamp", _TAG + "bool", _TAG + "merge", _TAG + "value"}

# Explicit tags that SafeLoader would honour but that produce non-plain data
# (dates, bytes, sets, ordered pairs). Scenario files have no use for them.
_REFUSED_TAGS = ("timestamp", "binary", "set", "omap", "pairs")


class StrictLoader(yaml.SafeLoader):
    """A ``SafeLoader`` for hand-written scenario files.

    Differences from ``yaml.SafeLoader``:

    * a duplicate key in a mapping raises ``ScenarioError`` (PyYAML silently
      keeps the last one);
    * dates and timestamps stay strings;
    * only ``true``/``false`` (any case) are booleans, as in YAML 1.2;
      ``yes``, ``no``, ``on``, ``off``, ``y``, ``n`` stay strings;
    * aliases (``*name``) are refused. This rules out "billion laughs"
      expansion bombs outright, and scenarios are short enough not to need
      them. Anchors (``&name``) on their own are harmless and ignored;
    * tags other than the plain YAML types (``!!python/...``, custom ``!tags``,
      ``!!timestamp``, ``!!binary``, ``!!set``, ...) are refused, so the
      result contains only dicts, lists, str, int, float, bool and None.

    The class has its own copies of the resolver and constructor tables, so the
    global ``yaml.SafeLoader`` is not changed.
    """

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED_RESOLVERS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """Compose a node, refusing aliases (see the class docstring)."""
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ScenarioError(
                f"{_where(event.start_mark)}: YAML aliases (*{event.anchor}) are not "
                "allowed in scenario files; write the value out in full"
            )
        # Named, not super(): the libyaml loader below borrows this method.
        return Composer.compose_node(self, parent, index)

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        """Build a dict from a mapping node, refusing duplicate keys.

        Args:
            node: The mapping node.
            deep: Construct nested values immediately rather than lazily.

        Returns:
            The mapping as a dict, keys in file order.

        Raises:
            ScenarioError: On a duplicate or non-scalar key.
        """
        if not isinstance(node, MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping node, but found {getattr(node, 'id', '?')}", node.start_mark
            )
        mapping: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                raise ScenarioError(
                    f"{_where(key_node.start_mark)}: a mapping key must be a plain value, "
                    f"not a {'list' if isinstance(key, list) else 'mapping'}"
                )
            if key in mapping:
                raise ScenarioError(
                    f"{_where(key_node.start_mark)}: duplicate key {key!r} (first at line {first_line[key]})"
                )
            first_line[key] = key_node.start_mark.line + 1
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_refused(self, node: Node) -> Any:
        """Refuse a node whose tag would build something other than plain data."""
        tag = node.tag.replace(_TAG, "!!", 1)
        raise ScenarioError(
            f"{_where(node.start_mark)}: YAML tag '{tag}' is not allowed in scenario files; use plain values only"
        )


# YAML 1.2 booleans: true/false in any case (the constructor lower-cases them).
StrictLoader.add_implicit_resolver(
    _TAG + "bool", re.compile(r"^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"), list("tTfF")
)
# `None` is the fallback for tags with no constructor: python/*, custom !tags.
StrictLoader.add_constructor(None, StrictLoader.construct_refused)
for _tag in _REFUSED_TAGS:
    StrictLoader.add_constructor(_TAG + _tag, StrictLoader.construct_refused)


def _libyaml_loader() -> type | None:
    """``StrictLoader`` with libyaml's C scanner and parser, or None without libyaml.

    PyYAML's pure-Python scanner is most of the time spent loading a file (1.5 s
    for 30,000 keys); libyaml's is about 10 times faster. Only the event stream
    comes from C: composing nodes (where aliases are refused) and constructing
    values (duplicate keys, refused tags, YAML 1.2 booleans) stay the Python code
    of ``StrictLoader``, so the rules and the line marks are the same.
    """
    cparser = getattr(getattr(yaml, "_yaml", None), "CParser", None)
    if not yaml.__with_libyaml__ or cparser is None:
        return None

    def __init__(self: Any, stream: Any) -> None:  # noqa: N807 (the class's, made by type())
        cparser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    # CParser's own composer (get_node, ...) would skip compose_node: use Composer's.
    borrowed = {name: getattr(Composer, name) for name in ("get_single_node", "get_node", "check_node")}
    borrowed |= {
        name: StrictLoader.__dict__[name]
        for name in (
            "yaml_implicit_resolvers",
            "yaml_constructors",
            "compose_node",
            "construct_mapping",
            "construct_refused",
        )
    }
    return type(
        "CStrictLoader",
        (cparser, Composer, SafeConstructor, Resolver),
        {"__init__": __init__, "__doc__": "StrictLoader on libyaml's events.", **borrowed},
    )


_CStrictLoader = _libyaml_loader()


def _strict_loader(text: str, name: str) -> Any:
    """A strict loader over ``text`` whose marks carry ``name``: libyaml's when installed.

    Raises:
        ScenarioError: On a character YAML does not allow (checked up front
            for both loaders, with the same message).
    """
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise ScenarioError(
            f"{name}:{line}: invalid YAML: unacceptable character "
            f"#x{ord(bad.group()):04x} (special characters are not allowed)"
        )
    if _CStrictLoader is None:
        loader = StrictLoader(text)
        loader.name = name  # marks (and so our messages) carry the user's file name
        return loader
    stream = io.StringIO(text)
    stream.name = name  # libyaml takes the marks' file name from here
    return _CStrictLoader(stream)


def _where(mark: yaml.Mark | None, name: str | None = None) -> str:
    """Return ``"FILE:LINE"`` (1-based) for a YAML mark, or just the file."""
    name = name or (mark.name if mark is not None else "<yaml>")
    return f"{name}:{mark.line + 1}" if mark is not None else name


def _one_line(text: str) -> str:
    """Collapse whitespace so a message stays on one line."""
    return " ".join(str(text).split())


def _yaml_error_message(exc: yaml.YAMLError, name: str) -> str:
    """Turn a PyYAML error into ``"FILE:LINE: invalid YAML: ..."``."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        # Unmarked errors are rare (reader errors are handled by the caller).
        return f"{name}: invalid YAML: {_one_line(str(exc))}"
    mark = exc.problem_mark or exc.context_mark
    what = _one_line(exc.problem or "")
    if exc.context:
        # PyYAML splits a message into "while doing X (here)" + "found Y (there)".
        context = _one_line(exc.context)
        if exc.context_mark is not None and mark is not None and exc.context_mark.line != mark.line:
            context += f" (line {exc.context_mark.line + 1})"
        what = f"{context}: {what}" if what else context
    return f"{_where(mark, name)}: invalid YAML: {what}"


def _type_word(value: Any) -> str:
    """Name the YAML kind of a constructed value, for messages."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _record_lines(node: Node, data: Any, path: Loc, lines: dict[Loc, int]) -> None:
    """Fill ``lines`` with the 1-based line of every key and list item under ``node``.

    Walks the node tree alongside the constructed data: the data gives the
    real key values (``1`` vs ``"1"``), the nodes give the positions. Keys are
    in file order in both, because duplicates and merges are refused.
    """
    if isinstance(node, MappingNode) and isinstance(data, dict):
        for (key_node, value_node), (key, value) in zip(node.value, data.items(), strict=False):
            lines[path + (key,)] = key_node.start_mark.line + 1
            _record_lines(value_node, value, path + (key,), lines)
    elif isinstance(node, SequenceNode) and isinstance(data, list):
        for index, (item_node, item) in enumerate(zip(node.value, data, strict=False)):
            lines[path + (index,)] = item_node.start_mark.line + 1
            _record_lines(item_node, item, path + (index,), lines)


def read_scenario_text(path: Path, name: str) -> str:
    """The text of a scenario file: a regular file of at most ``MAX_FILE_BYTES``, UTF-8.

    The file type is checked with ``os.stat`` before opening, because opening a
    FIFO blocks until a writer appears and a device such as ``/dev/zero`` never
    ends; the size is checked again while reading, in case the file grows.

    Raises:
        ScenarioError: One line naming the file and what is wrong with it.
    """
    try:
        info = os.stat(path)  # follows symlinks; a symlink loop fails here (ELOOP)
    except FileNotFoundError:
        raise ScenarioError(f"scenario file not found: {name}") from None
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {name}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError(f"scenario path is a directory, not a file: {name}")
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(f"{name}: is {_file_kind(info.st_mode)}, not a regular file; allowed: a YAML file")
    too_big = (
        f"{name}: file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; allowed: a scenario file up to that size"
    )
    if info.st_size > MAX_FILE_BYTES:
        raise ScenarioError(too_big)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {name}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(too_big)
    try:
        return raw.decode("utf-8-sig")  # -sig: tolerate a BOM
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{name}: cannot read scenario file: not UTF-8 text (bad byte at offset {exc.start})"
        ) from None


def _file_kind(mode: int) -> str:
    """A word for a non-regular file type, for messages."""
    kinds = {
        stat.S_ISFIFO: "a named pipe (FIFO)",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((word for test, word in kinds.items() if test(mode)), "a special file")


def load_yaml(path: str | Path) -> tuple[Any, dict[Loc, int]]:
    """Load one scenario file strictly, remembering where every field is.

    Args:
        path: The YAML file. Messages name it exactly as given here.

    Returns:
        ``(data, lines)``: the plain data (a dict at the top level) and a map
        from field paths to 1-based line numbers. A key's path maps to the
        line of the key, a list item's path to the line of the item, and
        ``()`` to the start of the document, e.g.
        ``{("market",): 5, ("regime", 2, "rate_cap", "multiple"): 17, ...}``.

    Raises:
        ScenarioError: If the file is missing or unreadable, is not valid
            YAML, breaks a ``StrictLoader`` rule, is empty, or its top level is
            not a mapping. The message is one line naming the file.
    """
    name = str(path)
    text = read_scenario_text(Path(path), name)
    loader = _strict_loader(text, name)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise ScenarioError(_yaml_error_message(exc, name)) from None
    except RecursionError:
        raise ScenarioError(f"{name}: invalid YAML: nesting is too deep") from None
    finally:
        loader.dispose()

    if node is None:
        raise ScenarioError(f"{name}: file is empty; expected a mapping of 'key: value' fields")
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{_where(node.start_mark, name)}: the top level must be a mapping of "
            f"'key: value' fields, found {_type_word(data)}"
        )
    lines: dict[Loc, int] = {(): node.start_mark.line + 1}
    _record_lines(node, data, (), lines)
    return data, lines


def line_locator(file_name: str, lines: Mapping[Loc, int]) -> Locate:
    """Make a ``locate`` callable for ``format_validation_error`` from one file.

    Args:
        file_name: The name to show in messages.
        lines: The line map returned by ``load_yaml``.

    Returns:
        A function mapping a field path to ``(file_name, line or None)``.
    """
    return lambda loc: (file_name, lines.get(tuple(loc)))


# --------------------------------------------------------------------------
# Validation error formatting
# --------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

# Loc entries pydantic makes up for union members and validator wrappers.
# Normally caught by tracking unions while walking the model; this is the
# backstop for shapes the walk does not understand.
_INTERNAL_LOC = re.compile(r"^(?:function-(?:after|before|wrap|plain)|json-or-python|lax-or-strict|chain)\[")


def path_str(loc: Loc) -> str:
    """Render a field path the way a user would write it.

    Args:
        loc: Path elements: keys (str) and list indexes (int).

    Returns:
        e.g. ``"regime[2].rate_cap.multiple"`` for
        ``("regime", 2, "rate_cap", "multiple")``. Keys that are not plain
        names are bracketed and quoted: ``cohorts['new borrowers']``.
    """
    out = ""
    for part in loc:
        if isinstance(part, str) and _IDENTIFIER.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _accepted_keys(model: type[BaseModel]) -> list[str]:
    """All keys ``model`` accepts in input: aliases, plus names if allowed by config."""
    by_name = model.model_config.get("validate_by_name") or model.model_config.get("populate_by_name")
    keys: list[str] = []
    for name, field in model.model_fields.items():
        keys.append(field_key(name, field))
        if by_name and name not in keys:
            keys.append(name)
    return keys


def _children(tp: Any, part: Any) -> list[Any] | None:
    """Types found one step (``part``) below ``tp``, or None if ``part`` is not a step of ``tp``."""
    if _is_model(tp):
        for name, field in tp.model_fields.items():
            if part in (name, field_key(name, field)):
                return [field.annotation]
        return None
    origin, args = get_origin(tp), get_args(tp)
    if origin is None or not isinstance(origin, type):
        return None
    if issubclass(origin, Mapping):
        return [args[1] if len(args) == 2 else Any]
    if isinstance(part, int) and issubclass(origin, tuple):
        if len(args) == 2 and args[1] is Ellipsis:
            return [args[0]]
        return [args[part]] if 0 <= part < len(args) else [Any]
    if isinstance(part, int) and issubclass(origin, (Sequence, set, frozenset)):
        return [args[0] if args else Any]
    return None


def _narrow(alternatives: list[Any], label: Any) -> list[Any]:
    """Keep the union members a pydantic loc label points at (class name or tag)."""

    def matches(tp: Any) -> bool:
        if not _is_model(tp):
            return False
        if tp.__name__ == label:
            return True
        # Tagged unions label members by tag: a Literal field holding the tag.
        return any(
            get_origin(f.annotation) is Literal and label in get_args(f.annotation) for f in tp.model_fields.values()
        )

    return [tp for tp in alternatives if matches(tp)] or alternatives


def _walk(model: type[BaseModel], loc: Loc) -> tuple[Loc, list[Any]]:
    """Follow a pydantic ``loc`` through ``model``'s field types.

    Returns:
        The user's path (pydantic's union labels and wrapper names dropped)
        and the candidate types at its end (several if a union is ambiguous,
        none if the path left the known schema).
    """
    path: list[Any] = []
    alternatives: list[Any] = [model]
    expect_label = False
    for part in loc:
        if expect_label:
            # This element names the union member pydantic tried, not a user key.
            alternatives = _narrow(alternatives, part)
            expect_label = False
            continue
        if part == "[key]" or (isinstance(part, str) and _INTERNAL_LOC.match(part)):
            continue
        path.append(part)
        found: list[Any] = []
        for tp in alternatives:
            found.extend(_children(tp, part) or [])
        alternatives = []
        for tp in found:
            members, labelled = union_members(tp)
            alternatives.extend(members)
            expect_label = expect_label or labelled
    return tuple(path), alternatives


def _brief(value: Any) -> str:
    """A short rendering of a found value, in YAML spelling for scalars."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _number(bound: Any) -> str:
    """Show a bound as the user would write it: pydantic turns ``ge=0`` into ``0.0`` on float fields."""
    if isinstance(bound, float) and bound.is_integer():
        return str(int(bound))
    return str(bound)


def _found_with_kind(value: Any) -> str:
    """``'abc' (text)``, ``[1, 2] (a list)``: the value plus its YAML kind."""
    if value is None or isinstance(value, bool):
        return _brief(value)
    return f"{_brief(value)} ({_type_word(value)})"


def _choices(alternatives: list[Any]) -> list[Any]:
    """The allowed values if the types at a path are Literals or Enums."""
    values: list[Any] = []
    for tp in alternatives:
        if get_origin(tp) is Literal:
            values.extend(get_args(tp))
        elif isinstance(tp, type) and issubclass(tp, Enum):
            values.extend(member.value for member in tp)
    return values


# What each pydantic error type says is allowed, for wrong-type errors.
_TYPE_ALLOWED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "decimal_type": "a number",
    "decimal_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "frozen_set_type": "a list",
    "dict_type": "a mapping of 'key: value' fields",
    "model_type": "a mapping of 'key: value' fields",
    "model_attributes_type": "a mapping of 'key: value' fields",
    "dataclass_type": "a mapping of 'key: value' fields",
    "none_required": "an empty value",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
}

_BOUNDS = {
    "greater_than_equal": ("ge", ">="),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="),
    "less_than": ("lt", "<"),
}


def _describe(error: Mapping[str, Any], alternatives: list[Any]) -> str:
    """The ``"<what was found>; <what is allowed>"`` part of one message."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    found = f"found {_brief(value)}"

    if kind == "missing":
        return "required value missing"
    if kind in _BOUNDS:
        key, op = _BOUNDS[kind]
        hint = percent_hint(value, ctx.get(key)) if key in ("le", "lt") else ""
        return f"{found}; allowed: a number {op} {_number(ctx.get(key))}{hint}"
    if kind == "multiple_of":
        return f"{found}; allowed: a multiple of {_number(ctx.get('multiple_of'))}"
    if kind in _TYPE_ALLOWED:
        return f"found {_found_with_kind(value)}; allowed: {_TYPE_ALLOWED[kind]}"
    if kind in ("literal_error", "enum"):
        choices = _choices(alternatives)
        if len(choices) == 1:
            return f"{found}; allowed: {choices[0]!r}"
        if choices:
            return f"{found}; allowed: one of {', '.join(repr(c) for c in choices)}"
        return f"{found}; allowed: {ctx.get('expected')}"
    if kind in ("too_short", "too_long"):
        count = ctx.get("actual_length")
        bound = f"at least {ctx.get('min_length')}" if kind == "too_short" else f"at most {ctx.get('max_length')}"
        return f"found {count} item{'s' if count != 1 else ''}; allowed: {bound} items"
    if kind in ("string_too_short", "string_too_long"):
        bound = (
            f"at least {ctx.get('min_length')}" if kind == "string_too_short" else f"at most {ctx.get('max_length')}"
        )
        length = len(value) if isinstance(value, str) else "?"
        return f"found {_brief(value)} ({length} characters); allowed: {bound} characters"
    if kind == "string_pattern_mismatch":
        return f"{found}; allowed: text matching {ctx.get('pattern')!r}"
    if kind in ("value_error", "assertion_error"):
        # A custom validator's own words; drop pydantic's "Value error, " prefix.
        text = str(ctx.get("error") or error["msg"].split(", ", 1)[-1])
        scalar = value is None or isinstance(value, (str, int, float, bool))
        # Validators that already say what they found are not prefixed twice.
        return f"{found}; {text}" if scalar and not text.startswith("found ") else text
    if kind == "union_tag_invalid":
        # ctx values arrive pre-quoted: discriminator "'kind'", expected_tags "'a', 'b'".
        return (
            f"found {_brief(ctx.get('tag'))} for {ctx.get('discriminator')}; allowed: one of {ctx.get('expected_tags')}"
        )
    if kind == "union_tag_not_found":
        return f"required key {ctx.get('discriminator')} missing"
    return f"{found}; {error['msg']}"


def _unknown_key(key: Any, alternatives: list[Any]) -> str:
    """Message for an ``extra_forbidden`` key, with a did-you-mean suggestion."""
    allowed: list[str] = []
    for tp in alternatives:
        if _is_model(tp):
            allowed.extend(k for k in _accepted_keys(tp) if k not in allowed)
    text = f"unknown key {key!r}"
    if not allowed:
        return text
    close = difflib.get_close_matches(str(key), allowed, n=1)
    if close:
        text += f"; did you mean {close[0]!r}?"
    return f"{text} (allowed: {', '.join(sorted(allowed))})"


def _place(path: Loc, locate: Locate) -> str:
    """``"FILE:LINE"`` for a path: the longest prefix of it that has a line."""
    file_name = ""
    for end in range(len(path), -1, -1):
        file_name, line = locate(path[:end])
        if line is not None:
            return f"{file_name}:{line}"
    file_name, _ = locate(path)
    return file_name


def format_validation_error(
    exc: pydantic.ValidationError,
    *,
    model: type[BaseModel],
    locate: Locate,
) -> list[str]:
    """Turn a pydantic validation error into one readable line per problem.

    Every error in ``exc`` is reported (exact duplicates, which pydantic can
    produce across union members, are shown once). Each line reads
    ``"FILE:LINE: PATH: <what was found>; <what is allowed>"``, e.g.
    ``"baseline.yaml:17: regime[2].rate_cap.multiple: found -1; allowed: a number >= 0"``.

    Args:
        exc: The error raised by validating data against ``model``.
        model: The model that was validated; its fields are used to clean up
            paths, list allowed keys and suggest corrections for typos.
        locate: Maps a field path (e.g. ``("regime", 2, "rate_cap")``) to
            ``(file name, line or None)``. Paths without a line of their own
            (missing fields) are placed at their nearest located parent. If it
            has a ``written(path)`` method, messages show the path it returns
            (the path as written in the file that holds it, after ``extends``).
            A :class:`FieldProblem` raised by a validator is reported at each
            of its fields.

    Returns:
        The messages, in pydantic's order.
    """
    # A dict keeps order and finds duplicates in constant time: a file with
    # tens of thousands of unknown keys is reported in linear time.
    messages: dict[str, None] = {}
    written = getattr(locate, "written", None)
    for error in exc.errors():
        for loc, what_of in _problems_of(error):
            if error["type"] == "extra_forbidden" and loc:
                # The last element is the user's unknown key: keep it verbatim.
                parent, alternatives = _walk(model, loc[:-1])
                path = parent + (loc[-1],)
                what = _unknown_key(loc[-1], alternatives)
            else:
                path, alternatives = _walk(model, loc)
                what = what_of if what_of is not None else _describe(error, alternatives)
            shown_path = path_str(written(path) if written else path) or "top level"
            messages.setdefault(f"{_place(path, locate)}: {shown_path}: {what}")
    return list(messages)


def _problems_of(error: Mapping[str, Any]) -> list[tuple[Loc, str | None]]:
    """The ``(path, message)`` pairs of one pydantic error: several for a :class:`FieldProblem`.

    ``None`` as message means "describe the error as usual".
    """
    loc = tuple(error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if error["type"] == "value_error" and isinstance(cause, FieldProblem):
        return [(loc + rel, text) for rel, text in cause.problems]
    return [(loc, None)]
