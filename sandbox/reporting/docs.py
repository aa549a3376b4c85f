"""Reference text generated from the code: the rule catalogue (``docs/rules.md``).

``sandbox rules`` prints the same text, so the docs and the command cannot drift
apart; a test checks that ``docs/rules.md`` is up to date.
"""

from __future__ import annotations

import inspect
import types
import typing

from sandbox.common.dates import DatedRange
from sandbox.rules import registry
from sandbox.rules.base import Rule

HEADER = """# Policy rules

Every rule of the regime, generated from the code by `sandbox rules`
(regenerate this file with `sandbox rules > docs/rules.md`).

A regime is a list of rules in a scenario file's `regime:` section, each entry a
single rule name with its parameters. Every rule takes:

- `from` (required): the month it goes live, `YYYY-MM`;
- `until`: the month it is lifted (default: never);
- `grace_months`: months that platforms already operating have to comply
  (entrants are bound at once).

Rules compose: each month every rule in force writes what it requires into the
month's policy (the lowest cap, the highest required disclosure, ...), then
rules that act on the market (exit campaign, licensing deadline, pool ban) act.
A rule of your own registers itself with `@sandbox.register` and is then usable
by name in scenario files; see `notebooks/custom_rule.ipynb`. A rule sees the
market only through the `Market` protocol in `sandbox/market/interface.py` (the
month, the platform book, dates, the benchmark rate, and methods to order exits,
revoke, fine, suspend, add platforms and keep its own state); a test checks
that the rules use nothing else.

A rule may be given several times with different dates (a 36% cap, then 4x the
benchmark from 2020-08); giving a rule twice with the same `from` is an error.
Numbers must be finite; shares and rates are fractions (`0.24`), and `24%` is
read as 0.24.

## Changing the rules of a scenario you extend

A scenario that `extends:` another changes its regime like this (OpenFisca
semantics: a dated value supersedes from its date, never retroactively):

- **Supersede from a date**: write the rule with its new `from`. The parent's
  entries of that rule stay in force until that date (their `until` is set to
  it); parent entries that start on or after it are dropped. Before the date the
  child runs exactly as the parent.

  ```yaml
  extends: baseline.yaml          # 36% cap from 2014-01
  regime:
    - rate_cap: {from: 2015-01, apr: 0.24}   # 36% until 2015-01, then 24%
  ```

- **Replace entirely**: remove the inherited rule, then give the new entries.

  ```yaml
  regime:
    - rate_cap: remove
    - rate_cap: {from: 2015-01, apr: 0.24}   # no cap at all before 2015-01
  ```

- **Remove**: `- rate_cap: remove` drops every entry of the rule the parent had
  (removing a rule the parent does not have is an error).

Dated parameters (`values: {YYYY-MM: value}`) merge the same way: the parent's
values before the child's first date stay in force.
"""


def allowed_text(info: object) -> str:
    """What a field accepts, in words: a range, a month, a choice, true/false."""
    lo = hi = None
    for meta in getattr(info, "metadata", []):
        for name in ("ge", "gt"):
            lo = getattr(meta, name, None) if getattr(meta, name, None) is not None else lo
        for name in ("le", "lt"):
            hi = getattr(meta, name, None) if getattr(meta, name, None) is not None else hi
        if getattr(meta, "pattern", None):
            return "one of " + ", ".join(meta.pattern.strip("^$()").split("|"))
    if lo is not None or hi is not None:
        return f"{'-inf' if lo is None else lo} to {'inf' if hi is None else hi}"
    ann = getattr(info, "annotation", None)
    args = [a for a in typing.get_args(ann) if a is not type(None)]
    if typing.get_origin(ann) in (typing.Union, types.UnionType) and args:
        ann = args[0]
    for meta in getattr(ann, "__metadata__", ()):
        if isinstance(meta, DatedRange):
            lo = "-inf" if meta.ge is None else f"{meta.ge:g}"
            hi = "inf" if meta.le is None else f"{meta.le:g}"
            return f"{lo} to {hi}, or dated values"
    if typing.get_origin(ann) is typing.Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(ann))
    if ann is bool:
        return "true or false"
    if typing.get_origin(ann) is typing.Annotated or ann is str:
        return "YYYY-MM"  # the only text fields of rules are months
    return getattr(ann, "__name__", str(ann))


def rule_markdown(cls: type[Rule]) -> str:
    """One rule's section: what it does, what it stands for, its parameters."""
    lines = [f"## `{cls.name}`", "", f"**{cls.summary}.**", ""]
    doc = inspect.cleandoc(cls.__doc__ or "")
    if doc:
        lines += [doc, ""]
    if cls.stands_for:
        lines += [f"Stands for: {cls.stands_for}.", ""]
    lines += ["| parameter | meaning | allowed | default |", "|---|---|---|---|"]
    for fname, info in cls.model_fields.items():
        shown = info.alias or fname
        default = "required" if info.is_required() else f"`{info.default!r}`"
        lines.append(f"| `{shown}` | {info.description or ''} | {allowed_text(info)} | {default} |")
    return "\n".join(lines) + "\n"


def rules_markdown() -> str:
    """The whole catalogue, as in ``docs/rules.md``."""
    body = "\n".join(rule_markdown(cls) for cls in registry.all_rules().values())
    return HEADER + "\n" + body
