"""The diagnostics section: which lines of the trace were skipped or repaired, and why."""

from __future__ import annotations

from dataclasses import dataclass

from attoreport.diagnostics import damage
from attoreport.model import Diagnostic
from attoreport.report import format as fmt
from attoreport.report.common import Context, plural


@dataclass(frozen=True, slots=True)
class DiagnosticRow:
    file: str
    #: "12", or "" for a note about a whole file.
    line: str
    action: str
    message: str


@dataclass(frozen=True, slots=True)
class DiagnosticsView:
    rows: list[DiagnosticRow]
    #: "3 damaged lines: 2 skipped, 1 repaired."
    headline: str
    #: Said when only the first diagnostics are listed one by one.
    note: str


def build(ctx: Context) -> DiagnosticsView | None:
    diagnostics: list[Diagnostic] = ctx.analysis.session.diagnostics
    if not diagnostics:
        return None
    limit = ctx.limits.diagnostics
    rows = [DiagnosticRow(ctx.path(d.file), str(d.line) if d.line > 0 else "", d.action,
                          ctx.text(d.message)) for d in diagnostics[:limit]]
    counted = damage(diagnostics, ctx.analysis.session.damaged_lines)
    headline = (f"{plural(counted.lines, 'damaged line')}: {fmt.count(counted.skipped)} "
                f"skipped, {fmt.count(counted.repaired)} repaired. Every other line was read.")
    if counted.notes:
        headline += f" {plural(counted.notes, 'input')} skipped as a whole."
    note = (f"Listing the first {fmt.count(limit)} of {fmt.count(len(diagnostics))}."
            if len(diagnostics) > limit else "")
    return DiagnosticsView(rows, headline, note)
