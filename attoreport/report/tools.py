"""The tools section: per tool, how often it was called, failed, and how long it took."""

from __future__ import annotations

from dataclasses import dataclass

from attoreport.report import format as fmt
from attoreport.report.common import Context, showing


@dataclass(frozen=True, slots=True)
class ToolRow:
    name: str
    calls: str
    failures: str
    failure_rate: str
    mean: str
    p95: str
    longest: str
    failing: bool


@dataclass(frozen=True, slots=True)
class ToolsView:
    rows: list[ToolRow]
    note: str


def build(ctx: Context) -> ToolsView:
    tools = ctx.insights.tools
    listed = tools[: ctx.limits.tool_rows]
    rows = [ToolRow(ctx.name(t.name), fmt.count(t.calls), fmt.count(t.failures),
                    fmt.percent(t.failure_rate, 0), fmt.duration_ms(t.mean_ms),
                    fmt.duration_ms(t.p95_ms), fmt.duration_ms(t.max_ms), t.failures > 0)
            for t in listed]
    note = showing(len(listed), len(tools), "tools")
    return ToolsView(rows, note + ", the most used." if note else "")
