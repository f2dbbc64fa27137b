"""The summary section: the session in plain words for a reader who is not an engineer."""

from __future__ import annotations

from dataclasses import dataclass

from attoreport.analysis import outcome as states
from attoreport.analysis.outcome import Outcome
from attoreport.report import format as fmt
from attoreport.report.common import Context, plural, severity_rank
from attoreport.report.efficiency import ScoreView
from attoreport.report.issues import IssueGroup
from attoreport.textsafe import shown

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Iteration", "One turn of the agent's loop: it asks the model what to do next, then "
     "runs the tools the model asked for."),
    ("Model call", "One request to the language model and its answer."),
    ("Tool call", "One action the agent took on the computer: reading a file, running a "
     "command, editing code."),
    ("Token", "The unit models read and write text in; roughly ¾ of a word. Cost follows "
     "tokens."),
    ("Prompt cache", "Providers can reuse the unchanged start of a prompt from the previous "
     "call. Cached tokens (\u201ccache read\u201d) are much cheaper and faster than new input."),
    ("Cache hit rate", "The share of prompt tokens that came from the cache: "
     "cache read ÷ (input + cache read)."),
    ("Compaction", "When the conversation gets too long, the agent summarises older messages "
     "to make room. Frequent compaction costs time and breaks the cache."),
    ("Subagent", "A helper agent started by the main agent for part of the task."),
    ("Efficiency score", "Attocode's 0–100 rating of how economically the session ran, made "
     "of five weighted parts (see Efficiency). It does not say whether the job got done."),
    ("Doom loop", "The agent repeating the same action with the same inputs without making "
     "progress."),
)


@dataclass(frozen=True, slots=True)
class Stat:
    label: str
    value: str
    note: str = ""
    #: "", "good", "warn" or "bad": a colour; the words always say it too.
    tone: str = ""


@dataclass(frozen=True, slots=True)
class OutcomeView:
    word: str
    sentence: str
    tone: str


@dataclass(frozen=True, slots=True)
class SummaryView:
    #: The session in two or three plain sentences.
    narrative: str
    #: Markdown source of the goal (bounded; rendered safely by the html stage), or "".
    goal: str
    model: str
    #: "read_file ×12, bash ×3, …": what the agent did, in a line.
    tools_used: str
    outcome: OutcomeView
    score: ScoreView
    stats: list[Stat]
    #: The three most important issue groups.
    findings: list[IssueGroup]
    #: "2 damaged lines were skipped or repaired" (or "").
    damage: str
    glossary: tuple[tuple[str, str], ...] = GLOSSARY


def outcome_view(outcome: Outcome) -> OutcomeView:
    c = outcome.counts
    status = shown(outcome.status or "", 60)
    if outcome.state == states.OPEN:
        return OutcomeView("Did not finish", "The trace stops without an end record: the agent "
                           "probably crashed or was stopped, or the file was cut short.", "bad")
    if outcome.state == states.OUT_OF_BUDGET:
        return OutcomeView("Out of budget", "The agent stopped because its token or cost budget "
                           "ran out before it finished.", "bad")
    if outcome.state == states.MODEL_FAILED:
        return OutcomeView("Failed", "The model never answered: every call ended in an error.",
                           "bad")
    if outcome.state == states.ENDED_WITH_STATUS:
        return OutcomeView(f"Ended: {status}",
                           f"The session ended with status \u201c{status}\u201d.", "warn")
    if outcome.state == states.ALL_TOOLS_FAILED:
        return OutcomeView("Completed with errors", "The session ran to its end, but every one "
                           "of its tool calls failed (see Issues and the event log).", "bad")
    if outcome.state == states.COMPLETED_WITH_ERRORS:
        return OutcomeView("Completed with errors", f"The session ran to its end, but "
                           f"{plural(c.errors, 'step')} failed along the way (see Issues and "
                           "the event log).", "warn")
    return OutcomeView("Completed", "The session ran to its end without errors.", "good")


def stats(ctx: Context) -> list[Stat]:
    """The figure tiles; every count is worded the same way as in the narrative."""
    a = ctx.analysis
    s, f, c = a.summary, a.facts, a.outcome.counts
    session = a.session
    tool_note = (f"{fmt.count(c.failed_tool_calls)} failed" if c.failed_tool_calls
                 else "none failed")
    error_parts = [plural(c.failed_tool_calls, "failed tool call"),
                   plural(c.failed_model_calls, "model error"),
                   plural(c.error_events, "error event")]
    total_cost = s.total_cost + f.swarm_cost
    cost_note = (f"{fmt.cost(s.total_cost)} model calls (Attocode's total) + "
                 f"{fmt.cost(f.swarm_cost)} reported by swarm tasks" if f.swarm_cost
                 else "model calls, as recorded")
    return [
        Stat("Duration", fmt.duration_s(a.outcome.wall_seconds),
             "first event to the last (no end recorded)" if session.is_open
             else "first event to the end"),
        Stat("Cost", fmt.cost(total_cost), cost_note),
        Stat("Iterations", fmt.count(s.iterations)),
        Stat("Model calls", fmt.count(c.model_calls),
             f"plus {fmt.count(c.failed_model_calls)} that failed" if c.failed_model_calls
             else ""),
        Stat("Tool calls", fmt.count(c.tool_calls), tool_note,
             "bad" if c.tool_calls and c.failed_tool_calls / c.tool_calls > 0.3 else ""),
        Stat("Errors", fmt.count(c.errors), ", ".join(p for p in error_parts
                                                     if not p.startswith("0 ")),
             "bad" if c.errors else ""),
        Stat("Tokens", fmt.tokens(s.total_tokens + f.swarm_tokens),
             f"{fmt.count(s.total_tokens)} in model calls + {fmt.count(f.swarm_tokens)} "
             "reported by swarm tasks" if f.swarm_tokens else fmt.count(s.total_tokens)),
        Stat("Compactions", fmt.count(s.compactions)),
    ]


def narrative(ctx: Context) -> str:
    a = ctx.analysis
    s, f, c = a.summary, a.facts, a.outcome.counts
    failed_tools = f" ({fmt.count(c.failed_tool_calls)} failed)" if c.failed_tool_calls else ""
    failed_calls = (f" (and {fmt.count(c.failed_model_calls)} more that failed)"
                    if c.failed_model_calls else "")
    spend = fmt.cost(s.total_cost + f.swarm_cost)
    where = (f" ({fmt.cost(s.total_cost)} on its own model calls, {fmt.cost(f.swarm_cost)} "
             "reported by its swarm tasks)" if f.swarm_cost else "")
    worked = (f"The agent worked for {fmt.duration_s(a.outcome.wall_seconds)} over "
              f"{plural(s.iterations, 'iteration')}, made {plural(c.model_calls, 'model call')}"
              f"{failed_calls} and {plural(c.tool_calls, 'tool call')}{failed_tools}, and spent "
              f"{spend}{where}.")
    issues = a.issues
    if issues:
        worst = min((i.severity for i in issues), key=severity_rank)
        found = (f" Attocode's checks found {plural(len(issues), 'issue')}, the most serious "
                 f"rated {worst}.")
    else:
        found = " Attocode's checks found no issues."
    return worked + found


def tools_used(ctx: Context) -> str:
    tools = ctx.insights.tools
    listed = ", ".join(f"{shown(t.name, 40)} ×{fmt.count(t.calls)}" for t in tools[:6])
    return listed + (f" and {len(tools) - 6} more" if len(tools) > 6 else "")


def model_names(ctx: Context) -> str:
    session = ctx.analysis.session
    if session.model_text:
        return ctx.name(session.model_text)
    table = session.table
    names = dict.fromkeys(table.strings[m] for m in table.llm.models if m >= 0)
    return ", ".join(ctx.name(n) for n in list(names)[:3])


def build(ctx: Context, score: ScoreView, groups: list[IssueGroup]) -> SummaryView:
    damaged = ctx.analysis.session.damaged_lines
    damage = (f"{plural(damaged, 'damaged line')} in the trace "
              f"{'was' if damaged == 1 else 'were'} skipped or repaired; the numbers cover every "
              "good line." if damaged else "")
    return SummaryView(
        narrative=narrative(ctx),
        goal=shown(ctx.analysis.session.goal_text, ctx.limits.goal_chars, one_line=False),
        model=model_names(ctx),
        tools_used=tools_used(ctx),
        outcome=outcome_view(ctx.analysis.outcome),
        score=score,
        stats=stats(ctx),
        findings=groups[:3],
        damage=damage,
    )
