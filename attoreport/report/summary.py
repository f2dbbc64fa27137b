"""The summary section: the session in plain words for a reader who is not an engineer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from attoreport.analysis import Analysis
from attoreport.analysis import outcome as states
from attoreport.analysis.detectors import severity_rank
from attoreport.analysis.outcome import Outcome
from attoreport.model import EventDetail
from attoreport.report import format as fmt
from attoreport.report.common import Context, plural
from attoreport.report.efficiency import ScoreView
from attoreport.report.issues import IssueGroup
from attoreport.textsafe import shown

#: Changed files named in the summary; the rest are counted.
FILES_LISTED = 12

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
class RunLine:
    """A test or build command the agent ran, and how it ended."""

    kind: str  # "Tests" or "Build"
    command: str
    result: str
    passed: bool
    #: The event's node in the tree ("s1-event-54"), or "".
    link: str


@dataclass(frozen=True, slots=True)
class EvidenceView:
    """Did it work? What the trace says about the result."""

    runs: list[RunLine]
    #: Files the agent changed (bounded), and how many more.
    files: list[str]
    more_files: int
    #: Tool calls recorded as successes whose output reports a failure, in a sentence ("").
    reported: str

    @property
    def empty(self) -> bool:
        return not (self.runs or self.files or self.reported)


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
    evidence: EvidenceView
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
    tests = outcome.evidence.tests_passed
    if outcome.state in (states.COMPLETED, states.COMPLETED_WITH_ERRORS) and tests is not None:
        if not tests:
            return OutcomeView("Completed: tests fail", "The session ran to its end, but its last "
                               "test run failed.", "bad")
        along = (f" {plural(c.errors, 'step')} failed along the way (see Issues and the event "
                 "log)." if c.errors else "")
        test_runs = [run for run in outcome.evidence.runs if run.kind == "test"]
        earlier = (" An earlier test run failed: check that the last one covered the same "
                   "tests (see below)." if any(not run.passed for run in test_runs[:-1]) else "")
        return OutcomeView("Completed: tests pass", "The session ran to its end and its last "
                           "test run passed." + earlier + along, "good")
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
        return OutcomeView("Completed, every tool call failed", "The session ran to its end, but "
                           "every one of its tool calls failed (see Issues and the event log).",
                           "bad")
    if outcome.state == states.COMPLETED_WITH_ERRORS:
        return OutcomeView("Completed with errors", f"The session ran to its end, but "
                           f"{plural(c.errors, 'step')} failed along the way (see Issues and "
                           "the event log).", "warn")
    if c.failed_tasks:
        return OutcomeView("Completed with failed tasks", f"The run ended, but "
                           f"{plural(c.failed_tasks, 'swarm task')} failed (see the swarm view).",
                           "warn")
    return OutcomeView("Completed", "The session ran to its end without errors.", "good")


def stats(ctx: Context) -> list[Stat]:
    """The figure tiles; every count is worded the same way as in the narrative."""
    a = ctx.analysis
    s, c = a.summary, a.outcome.counts
    session = a.session
    tool_note = (f"{fmt.count(c.failed_tool_calls)} failed" if c.failed_tool_calls
                 else "none failed")
    reported = a.outcome.evidence.reported_failures
    if reported:
        tool_note += (f"; {fmt.count(reported)} more "
                      f"{'reports a failure in its' if reported == 1 else 'report a failure in their'}"
                      " output")
    error_parts = [plural(c.failed_tool_calls, "failed tool call"),
                   plural(c.failed_model_calls, "model error"),
                   plural(c.error_events, "error event")]
    spent = a.spend
    cost_note = (f"{fmt.cost(spent.model_cost)} model calls (Attocode's total) + "
                 f"{fmt.cost(spent.swarm_task_cost)} reported by swarm tasks"
                 if spent.swarm_task_cost else "model calls, as recorded")
    first = a.facts.first_timestamp
    started, started_note = "not recorded", "the first event of the trace"
    if first is not None and 0 < first < 32503680000:  # the date fits a tile; the time below
        moment = datetime.fromtimestamp(first, timezone.utc)
        started = moment.strftime("%Y-%m-%d")
        started_note = moment.strftime("%H:%M UTC") + ", the first event of the trace"
    return [
        Stat("Started", started, started_note),
        Stat("Duration", fmt.duration_s(a.outcome.wall_seconds),
             "first event to the last (no end recorded)" if session.is_open
             else "first event to the end"),
        Stat("Cost", fmt.cost(spent.total_cost), cost_note),
        Stat("Iterations", fmt.count(s.iterations)),
        Stat("Model calls", fmt.count(c.model_calls),
             f"plus {fmt.count(c.failed_model_calls)} that failed" if c.failed_model_calls
             else ""),
        Stat("Tool calls", fmt.count(c.tool_calls), tool_note,
             "bad" if c.tool_calls and (c.failed_tool_calls + reported) / c.tool_calls > 0.3
             else ""),
        Stat("Errors", fmt.count(c.errors), ", ".join(p for p in error_parts
                                                     if not p.startswith("0 ")),
             "bad" if c.errors else ""),
        Stat("Tokens", fmt.tokens(spent.total_tokens),
             f"{fmt.count(spent.model_tokens)} in model calls + "
             f"{fmt.count(spent.swarm_task_tokens)} reported by swarm tasks"
             if spent.swarm_task_tokens else fmt.count(spent.model_tokens)),
        Stat("Compactions", fmt.count(s.compactions)),
    ]


def narrative(ctx: Context) -> str:
    a = ctx.analysis
    s, c = a.summary, a.outcome.counts
    failed_tools = f" ({fmt.count(c.failed_tool_calls)} failed)" if c.failed_tool_calls else ""
    failed_calls = (f" (and {fmt.count(c.failed_model_calls)} more that failed)"
                    if c.failed_model_calls else "")
    spent = a.spend
    spend = fmt.cost(spent.total_cost)
    where = (f" ({fmt.cost(spent.model_cost)} on its own model calls, "
             f"{fmt.cost(spent.swarm_task_cost)} reported by its swarm tasks)"
             if spent.swarm_task_cost else "")
    worked = (f"The agent worked for {fmt.duration_s(a.outcome.wall_seconds)} over "
              f"{plural(s.iterations, 'iteration')}, made {plural(c.model_calls, 'model call')}"
              f"{failed_calls} and {plural(c.tool_calls, 'tool call')}{failed_tools}, and spent "
              f"{spend}{where}.")
    tests = a.outcome.evidence.tests_passed
    if tests is not None:
        worked += (" Its last test run passed." if tests else " Its last test run failed.")
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


def evidence_view(analysis: Analysis, details: dict[int, EventDetail],
                  link: Callable[[int], str] = lambda row: "",
                  limit: int = 240) -> EvidenceView:
    """The evidence of `analysis.outcome` in words; `details` must hold the rows of its runs
    and file changes (see `evidence_rows`)."""
    evidence = analysis.outcome.evidence
    runs = []
    for run in evidence.runs:
        detail = details.get(run.row)
        command = shown(detail.subject if detail else "", limit)
        result = shown(detail.excerpt if detail else "", limit)
        runs.append(RunLine("Tests" if run.kind == "test" else "Build", command,
                            result or ("passed" if run.passed else "failed"), run.passed,
                            link(run.row)))
    paths = list(evidence.changed_files)
    for row in evidence.file_change_rows:
        detail = details.get(row)
        if detail is not None and detail.subject and detail.subject not in paths:
            paths.append(detail.subject)
    listed = [shown(p, 120) for p in paths[:FILES_LISTED]]
    more = len(paths) - len(listed) + evidence.more_changed_files
    reported = ""
    if evidence.reported_failures:
        n = evidence.reported_failures
        reported = (f"{plural(n, 'tool call')} that Attocode counts as "
                    f"{'a success' if n == 1 else 'successes'} reported a failure in "
                    f"{'its' if n == 1 else 'their'} output (an error message or a non-zero "
                    "exit code).")
    return EvidenceView(runs, listed, more, reported)


def evidence_rows(analysis: Analysis) -> list[int]:
    """The rows `evidence_view` reads: runs and file changes."""
    evidence = analysis.outcome.evidence
    return [run.row for run in evidence.runs] + list(evidence.file_change_rows)


def build(ctx: Context, score: ScoreView, groups: list[IssueGroup],
          glossary: bool = True) -> SummaryView:
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
        evidence=evidence_view(ctx.analysis, ctx.details, ctx.event_link, ctx.limits.label_chars),
        score=score,
        stats=stats(ctx),
        findings=groups[:3],
        damage=damage,
        glossary=GLOSSARY if glossary else (),
    )
