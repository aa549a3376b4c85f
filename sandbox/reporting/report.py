"""One self-contained HTML report of a run, a replicate set, a comparison or a sweep.

    >>> from sandbox.reporting.report import write_report
    >>> write_report("out/compare", "report.html")       # or: sandbox report out/compare -o report.html

The folder is either a ``sandbox run`` output (``summary.json``,
``monthly.csv``...) or an experiment store (``manifest.json`` of kind
``replicate``, ``compare`` or ``sweep``, see :mod:`sandbox.experiments.store`). The report
holds a headline table of the key outcomes (with 95% intervals and, for a
comparison, paired differences), fan charts of the monthly series with the
rules' go-live dates marked, failures by cause and the largest failure waves,
how losses spread across investors and, for a sweep, the response of the
outcomes to each parameter and the sensitivity indices. Figures are embedded
as PNG (``data:`` URIs): the file opens offline and prints cleanly.

The pieces are usable on their own: :func:`~sandbox.reporting.load.load_experiment`
reads a folder into tidy tables (:mod:`sandbox.reporting.load`);
:func:`~sandbox.reporting.tables.headline_table`, ``largest_waves`` and ``go_live_table``
compute what the report shows (:mod:`sandbox.reporting.tables`); the sections are built
in :mod:`sandbox.reporting.sections`; and :func:`build_report` returns a :class:`Report`
whose ``headline`` and ``figures`` can be checked before :meth:`Report.to_html`. The
names of those modules are re-exported here.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sandbox.config.scenario import Scenario
from sandbox.reporting.load import KINDS, Experiment, ReportError, detect_kind, load_experiment
from sandbox.reporting.sections import (
    Block,
    Builder,
    ReportFigure,
    ReportTable,
    ReportText,
    compare_section,
    failures_section,
    headline_section,
    jurisdictions_section,
    losses_section,
    products_section,
    report_meta,
    report_title,
    rules_section,
    series_section,
    sweep_section,
)
from sandbox.reporting.tables import (
    ADDED,
    HEADLINE,
    ONE_SEED,
    RESPONSE,
    WHY_AVOIDED_DIFFERS,
    fmt,
    fmt_ci,
    fmt_diff,
    go_live_table,
    headline_table,
    largest_cascades,
    largest_waves,
    sweep_result,
)

_AMOUNT = r"[-+–]?[\d.,]*(?:%| pp|K|M| billion| trillion)?"
NUMBER = re.compile(rf"{_AMOUNT}( \(.*\)| to {_AMOUNT})?|–|")


# --- the report ----------------------------------------------------------------------------


@dataclass
class Report:
    """What :func:`build_report` puts together.

    Attributes:
        experiment: the folder read.
        title: the report's title.
        meta: (label, value) pairs describing the experiment.
        headline: the raw numbers of the headline table (see :func:`headline_table`).
        go_live: the rules' dates (see :func:`go_live_table`).
        blocks: headings, tables and figures, in reading order.
        notes: warnings worth reading (failed runs, indices not computed...).
        findings: the plain-language sentences that open the report (see :mod:`sandbox.reporting.findings`).
    """

    experiment: Experiment
    title: str
    meta: list[tuple[str, str]]
    headline: pd.DataFrame
    go_live: pd.DataFrame
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    @property
    def figures(self) -> list[ReportFigure]:
        """The figures, in order."""
        return [b for b in self.blocks if isinstance(b, ReportFigure)]

    @property
    def tables(self) -> list[ReportTable]:
        """The tables, in order (the headline table first)."""
        return [b for b in self.blocks if isinstance(b, ReportTable)]

    def to_html(self) -> str:
        """The report as one self-contained HTML page (no external references)."""
        return _render(self)

    def save(self, path: str | Path) -> Path:
        """Write the HTML to ``path`` (folders created as needed)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(), encoding="utf-8")
        return path


def build_report(
    path: str | Path,
    outcomes: Sequence[str] | None = None,
    scenario: Scenario | str | Path | None = None,
    title: str | None = None,
) -> Report:
    """Read a folder and build its report (figures rendered, nothing written).

    Args:
        path: a ``sandbox run`` output folder or an experiment store.
        outcomes: for a sweep, the metrics whose response and sensitivity are
            shown (default: :data:`RESPONSE`); other kinds ignore it.
        scenario: for a single run, its scenario (for the rules' dates) when
            the folder does not record it.
        title: the report's title (default: from the folder and its scenarios).

    Raises:
        ReportError: the folder is none of the four kinds, holds no finished
            run, or ``outcomes`` names a metric the runs do not have.
    """
    from sandbox.reporting import plots
    from sandbox.reporting.calibration import calibration_blocks, is_calibration

    if is_calibration(path):  # a 'sandbox calibrate' folder: its own pages
        pages = calibration_blocks(path)
        empty = Experiment("calibration", Path(path), pd.DataFrame(), pd.DataFrame(), [pages.title], {})
        return Report(
            empty, title or pages.title, pages.meta, pd.DataFrame(), pd.DataFrame(), pages.blocks, [], pages.findings
        )
    experiment = load_experiment(path, scenario)
    if experiment.kind == "sweep":
        outcomes = list(outcomes) if outcomes else [m for m in RESPONSE if m in experiment.runs.columns]
        unknown = [m for m in outcomes if m not in experiment.runs.columns]
        if unknown:
            from sandbox.experiments.statistics import metric_columns

            allowed = metric_columns(experiment.runs, exclude=list(experiment.parameters))
            raise ReportError(f"outcome {unknown[0]!r}: not a metric of these runs; allowed: {', '.join(allowed)}")
    go_live = go_live_table(experiment)
    report = Report(
        experiment=experiment,
        title=title or report_title(experiment),
        meta=report_meta(experiment),
        headline=headline_table(experiment),
        go_live=go_live,
    )
    if experiment.failed:
        report.notes.append(
            f"{len(experiment.failed)} runs raised and are left out (records in "
            f"{experiment.path / 'failed'}/); the figures and tables use the finished runs only."
        )
    if all(s is None for s in experiment.scenarios.values()):
        report.notes.append(
            "The folder does not record its scenario, so rule go-live dates are not marked"
            + (" (pass the scenario: sandbox report DIR --scenario FILE)." if experiment.kind == "run" else ".")
        )
    report.findings = report_findings(experiment, report.headline)
    b = Builder()
    headline_section(b, experiment, report.headline)
    if experiment.kind == "compare":
        compare_section(b, experiment, report.headline, plots)
    rules_section(b, go_live)
    series_section(b, experiment, go_live, plots)
    failures_section(b, experiment, go_live, plots)
    losses_section(b, experiment, plots)
    jurisdictions_section(b, experiment, plots)
    products_section(b, experiment, go_live, plots)
    if experiment.kind == "sweep":
        sweep_section(b, experiment, list(outcomes or []), report.notes, plots)
    report.blocks = b.blocks
    return report


def write_report(
    path: str | Path,
    out: str | Path = "report.html",
    outcomes: Sequence[str] | None = None,
    scenario: Scenario | str | Path | None = None,
) -> Path:
    """Build the report of ``path`` (see :func:`build_report`) and write it to ``out``; returns ``out``."""
    return build_report(path, outcomes=outcomes, scenario=scenario).save(out)


def report_findings(experiment: Experiment, headline: pd.DataFrame) -> list[str]:
    """The sentences that open the report, from the headline numbers (see :mod:`sandbox.reporting.findings`)."""
    from sandbox.reporting import findings as fd

    if experiment.kind == "run":
        return fd.run_findings({**(experiment.summary or {}), **experiment.runs.iloc[0].to_dict()})
    if experiment.kind == "replicate":
        return fd.replicate_findings(headline, experiment.names[0])
    if experiment.kind == "compare":
        return fd.findings(headline)
    return fd.sweep_findings(headline, len(experiment.runs), list(experiment.parameters))


# --- HTML ------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
       max-width: 62rem; margin: 2rem auto; padding: 0 1.2rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 2px solid #0072B2; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
table { border-collapse: collapse; font-size: .88rem; margin: .4rem 0 .3rem; }
th, td { padding: .28rem .6rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
th { background: #f1f4f8; font-weight: 600; }
th.num, td.num { text-align: right; }
table.meta td, table.meta th { text-align: left; border: none; padding: .1rem .8rem .1rem 0; background: none; }
figure { margin: 1.4rem 0 1.8rem; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption, .caption { font-size: .9rem; color: #333; max-width: 48rem; margin-top: .3rem; }
#summary .findings { font-size: 1.02rem; padding-left: 1.2rem; }
#summary .findings li { margin: .25rem 0; }
.notes { background: #fff6e0; border-left: 4px solid #E69F00; padding: .5rem .8rem; }
nav ol { columns: 2; font-size: .9rem; }
footer { margin-top: 3rem; font-size: .8rem; color: #666; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  figure, table, .block { break-inside: avoid; page-break-inside: avoid; }
  th { background: none; border-bottom: 1.5px solid #000; }
  a { color: inherit; text-decoration: none; }
}
"""


def _html_table(table: pd.DataFrame, css_class: str = "") -> str:
    """An HTML table; columns of numbers (and number ranges) are right-aligned, text columns left."""
    # Plain lists, not itertuples: columns are named after scenarios, which may be any text.
    rows = [["" if v is None else str(v) for v in row] for row in table.astype(object).to_numpy().tolist()]
    numeric = [all(NUMBER.fullmatch(row[j]) for row in rows) for j in range(len(table.columns))]
    align = [' class="num"' if n and j else "" for j, n in enumerate(numeric)]
    head = "".join(f"<th{a}>{html.escape(str(c))}</th>" for a, c in zip(align, table.columns, strict=True))
    body = "".join(
        "<tr>" + "".join(f"<td{a}>{html.escape(v)}</td>" for a, v in zip(align, row, strict=True)) + "</tr>"
        for row in rows
    )
    cls = f' class="{css_class}"' if css_class else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _render(report: Report) -> str:
    # The summary opens the body: the title, then the findings in plain language.
    findings = "".join(f"<li>{html.escape(s)}</li>" for s in report.findings)
    parts = [
        f'<section id="summary"><h1>{html.escape(report.title)}</h1>'
        f'<h2>Findings</h2><ul class="findings">{findings}</ul></section>'
    ]
    parts.append(
        '<table class="meta"><tbody>'
        + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in report.meta)
        + "</tbody></table>"
    )
    if report.notes:
        parts.append('<div class="notes">' + "".join(f"<p>{html.escape(n)}</p>" for n in report.notes) + "</div>")
    contents = [
        f'<li><a href="#{b.anchor}">{html.escape(b.title)}</a></li>'
        for b in report.blocks
        if isinstance(b, ReportFigure | ReportTable)
    ]
    parts.append(f"<nav><h3>Contents</h3><ol>{''.join(contents)}</ol></nav>")
    for block in report.blocks:
        if isinstance(block, ReportText):
            parts.append(
                f"<h2>{html.escape(block.text)}</h2>"
                if block.heading
                else f'<p class="caption">{html.escape(block.text)}</p>'
            )
        elif isinstance(block, ReportTable):
            parts.append(
                f'<div class="block" id="{block.anchor}"><h3>{html.escape(block.title)}</h3>'
                f'{_html_table(block.table)}<p class="caption">{html.escape(block.caption)}</p></div>'
            )
        else:
            data = base64.b64encode(block.png).decode("ascii")
            parts.append(
                f'<figure id="{block.anchor}"><h3>{html.escape(block.title)}</h3>'
                f'<img alt="{html.escape(block.title)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(block.caption)}</figcaption></figure>"
            )
    parts.append(
        "<footer>Made by sandbox report. Figures: medians with 90% bands across runs; intervals are 95% "
        "t-intervals of means. Colours: Okabe–Ito palette.</footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(report.title)}</title><style>{CSS}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>\n"
    )


__all__ = [
    "ADDED",
    "HEADLINE",
    "ONE_SEED",
    "KINDS",
    "RESPONSE",
    "Experiment",
    "Report",
    "ReportError",
    "ReportFigure",
    "ReportTable",
    "WHY_AVOIDED_DIFFERS",
    "build_report",
    "detect_kind",
    "fmt",
    "fmt_ci",
    "fmt_diff",
    "go_live_table",
    "headline_table",
    "largest_cascades",
    "largest_waves",
    "load_experiment",
    "report_findings",
    "sweep_result",
    "write_report",
]
