"""The Markdown summary for a pull-request comment (`--markdown`): always within a comment's size.

    render_markdown(analyses, version=..., limits=..., comparison=None, report_name=None) -> str

The text starts with the hidden marker `<!-- attoreport -->`, so a workflow can update one
comment in place. With several sessions a table lists them all; then, per session and in this
order: the goal, the model, the outcome with its evidence, the key figures (with their changes
against the baseline), the efficiency score's five parts, the issues (new ones first, each with
what to do), the caveats; last, a line pointing to the HTML report.

It never exceeds `Limits.markdown_chars` (GitHub holds 65,536 characters in a comment): the
document is built as parts, some of them lists, and when it is too long the longest lists are
cut first (down to `FLOOR` items each), then whole session sections from the end, then every
list; each cut says what it left out ("+312 more issues in the HTML report").

Every string from a trace goes through `escape_text`: bounded to one honest line
(`textsafe.shown`: no control or bidi tricks), Markdown punctuation escaped (no emphasis,
headings, tables, strikethrough, math, HTML or entities), links and e-mail addresses defused
with a word joiner after `:` of `://`, after `www` and after `@` (which also stops @mentions).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING

from attoreport.analysis import Analysis
from attoreport.analysis.compare import (
    BaselineComparison,
    IssueChange,
    SessionComparison,
    SessionFigures,
    classify_issues,
)
from attoreport.limits import DEFAULT_LIMITS, Limits
from attoreport.redact import Redactor, redaction_note
from attoreport.report import format as fmt
from attoreport.report.common import plural
from attoreport.report.comparison import (
    KEY_METRICS,
    NO_CHANGE,
    FigureRow,
    baseline_view,
    duration_matches,
    figure_rows,
    issue_line,
    regression_text,
    too_little_data_text,
    value_rows,
)
from attoreport.report.efficiency import WHAT_IT_IS, score_view
from attoreport.report.mdtext import escape_path, escape_text
from attoreport.report.summary import evidence_rows, evidence_view, outcome_view

if TYPE_CHECKING:
    from attoreport.swarm.results import SwarmAnalysis

MARKER = "<!-- attoreport -->"
#: Lists keep at least this many items until whole sessions have been left out.
FLOOR = 3
#: Fewer characters than any row of a list takes ("| s | … |", "- x (from y)").
MIN_ROW_CHARS = 16
#: Characters of the goal shown (one line).
GOAL_CHARS = 300
DESCRIPTION_CHARS = 300
SUGGESTION_CHARS = 300
def _money(value: float) -> str:
    """A cost; the dollar escaped so that two on a line cannot start math."""
    return fmt.cost(value).replace("$", "\\$")


def _escape_ours(text: str) -> str:
    """Our own wording with figures in it (dollars) made literal."""
    return text.replace("$", "\\$")


# ---------------------------------------------------------------------------------------------
# The document as parts that can be cut


@dataclass(slots=True)
class Listing:
    """A heading and a list of items; items are cut from the end, and a line says how many
    (and how many things they stood for) were left out."""

    head: str
    items: list[str]
    #: What each item stands for (issues of a kind, sessions) for the "+N more" line.
    weights: list[int]
    #: (items left out, weight left out) -> the line that says so.
    more: Callable[[int, int], str] = field(default=lambda n, w: "")
    keep: int = -1
    #: Characters of the first k items, and weight of the items from k on.
    _prefix: list[int] = field(default_factory=list)
    _suffix: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.keep < 0:
            self.keep = len(self.items)
        self._prefix = [0, *accumulate(len(item) for item in self.items)]
        self._suffix = [*accumulate(reversed(self.weights), initial=0)][::-1]

    def size(self, keep: int | None = None) -> int:
        keep = self.keep if keep is None else keep
        return len(self.head) + self._prefix[keep] + len(self._more(keep))

    def _more(self, keep: int) -> str:
        left = len(self.items) - keep
        return self.more(left, self._suffix[keep]) if left else ""

    def render(self) -> str:
        return self.head + "".join(self.items[: self.keep]) + self._more(self.keep)


def fixed(text: str) -> Listing:
    return Listing(text, [], [])


@dataclass(slots=True)
class Section:
    """One session's part of the document (dropped whole when even short lists do not fit)."""

    parts: list[Listing]

    def size(self) -> int:
        return sum(p.size() for p in self.parts)

    def smallest(self) -> int:
        """The size with every list cut to FLOOR: fit() never cuts a section further
        before it leaves sessions out."""
        return sum(p.size(min(p.keep, FLOOR)) for p in self.parts)

    def render(self) -> str:
        return "".join(p.render() for p in self.parts)


@dataclass(slots=True)
class Document:
    top: list[Listing]
    sections: list[Section]
    #: Said in place of the sections left out ("+N more sessions …").
    dropped: Callable[[int], str]
    bottom: list[Listing]
    keep_sections: int = -1
    #: Sessions whose sections were not even built (they could not fit): left out too.
    unbuilt: int = 0

    def __post_init__(self) -> None:
        if self.keep_sections < 0:
            self.keep_sections = len(self.sections)

    def size(self) -> int:
        return (sum(p.size() for p in self.top) + sum(p.size() for p in self.bottom)
                + sum(s.size() for s in self.sections[: self.keep_sections])
                + len(self.dropped_line()))

    def dropped_line(self) -> str:
        left = len(self.sections) - self.keep_sections + self.unbuilt
        return self.dropped(left) if left else ""

    def render(self) -> str:
        return ("".join(p.render() for p in self.top)
                + "".join(s.render() for s in self.sections[: self.keep_sections])
                + self.dropped_line() + "".join(p.render() for p in self.bottom))


def fit(document: Document, budget: int) -> str:
    """The document's text within `budget` characters: longest lists cut first (to FLOOR),
    then sessions from the end, then lists to nothing, then (never in practice) a hard cut."""
    total = document.size()
    if total > budget:
        lists = [p for s in document.sections for p in s.parts if p.items]
        total = _trim(lists, total, budget, FLOOR)
    while total > budget and document.keep_sections > 1:
        dropped_before = len(document.dropped_line())
        document.keep_sections -= 1
        total += (len(document.dropped_line()) - dropped_before
                  - document.sections[document.keep_sections].size())
    if total > budget:
        kept = [p for s in document.sections[: document.keep_sections] for p in s.parts]
        total = _trim([p for p in kept + document.top if p.items], total, budget, 0)
    text = document.render()
    return text if len(text) <= budget else _hard_cut(text, budget)


def _trim(lists: list[Listing], total: int, budget: int, floor: int) -> int:
    """Cut items from the longest list until the total fits or every list is at `floor`."""
    heap = [(-p.size(), i) for i, p in enumerate(lists) if p.keep > floor]
    heapq.heapify(heap)
    while total > budget and heap:
        negative, i = heapq.heappop(heap)
        listing = lists[i]
        if -negative != listing.size():  # stale entry
            continue
        before = listing.size()
        listing.keep -= 1
        total += listing.size() - before
        if listing.keep > floor:
            heapq.heappush(heap, (-listing.size(), i))
    return total


def _hard_cut(text: str, budget: int) -> str:
    note = "\n\n*(cut to fit a comment: see the HTML report)*\n"
    cut = text[: budget - len(note)]
    return cut[: cut.rfind("\n") + 1] + note


# ---------------------------------------------------------------------------------------------
# Wording


def _lines(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


def _more_issues(items: int, weight: int) -> str:
    return f"- +{plural(weight, 'more issue')} in the HTML report.\n"


def outcome_part(analysis: Analysis) -> Listing:
    """The outcome in a sentence, then its evidence, one bullet each.

    `outcome_evidence` is the one place that says what the trace shows of the ending."""
    view = outcome_view(analysis.outcome)
    evidence = [f"- {line}\n" for line in outcome_evidence(analysis)]
    return Listing(_lines("", f"**Outcome: {escape_text(view.word, 200)}.** "
                              f"{escape_text(view.sentence, 300)}"),
                   evidence, [1] * len(evidence),
                   lambda n, w: f"- +{plural(n, 'more line')} of evidence in the HTML report.\n")


def outcome_evidence(analysis: Analysis) -> list[str]:
    """What the trace shows of how the session ended, one line each (Markdown, escaped): how
    it ended, the calls and errors, the last test and build runs with their results, the
    files changed, and the tool calls whose output reports a failure Attocode does not count.

    This is the one place that says it: new evidence is added here."""
    outcome = analysis.outcome
    counts = outcome.counts
    ending = ("No end record" if analysis.session.is_open
              else f"Ended with status “{escape_text(outcome.status, 60)}”" if outcome.status
              else "Ended")
    lines = [f"{ending} after {fmt.duration_s(outcome.wall_seconds)} (first event to "
             f"{'the last' if analysis.session.is_open else 'the end'})."]
    calls = [plural(counts.model_calls, "model call")
             + (f" ({fmt.count(counts.failed_model_calls)} more failed)"
                if counts.failed_model_calls else ""),
             plural(counts.tool_calls, "tool call")
             + (f" ({fmt.count(counts.failed_tool_calls)} failed)"
                if counts.failed_tool_calls else ""),
             plural(counts.errors, "error")]
    lines.append(", ".join(calls) + ".")
    evidence = evidence_view(analysis, analysis.session.details(evidence_rows(analysis)))
    for run in evidence.runs:
        verdict = "passed" if run.passed else "failed"
        command = escape_text(run.command, 160) or "(command not recorded)"
        result = escape_text(run.result, 160)
        lines.append(f"{run.kind} {verdict}: {command}"
                     + (f" → {result}" if result and result != verdict else "") + ".")
    if evidence.files:
        more = f" and {fmt.count(evidence.more_files)} more" if evidence.more_files else ""
        lines.append("Files changed: " + ", ".join(escape_text(f, 120) for f in evidence.files)
                     + more + ".")
    if evidence.reported:
        lines.append(evidence.reported)
    return lines


def _figure_line(row: FigureRow, compared: bool) -> str:
    if not compared:
        return f"| {row.label} | {_escape_ours(row.current)} |"
    change = _change_words(row) + (f" **{row.mark}**" if row.mark else "")
    return (f"| {row.label} | {_escape_ours(row.current)} | {_escape_ours(row.baseline)} | "
            f"{_escape_ours(change)} |")


def key_figures(analysis: Analysis, compared: SessionComparison | None) -> list[str]:
    """The key figures table (with the baseline and the change when there is one)."""
    has_baseline = compared is not None and not compared.added
    if compared is None or compared.added:
        rows = value_rows(SessionFigures.from_analysis(analysis), KEY_METRICS,
                          duration_matches(analysis))
    else:
        rows = figure_rows(compared, KEY_METRICS, duration_matches(analysis))
    lines = ["**Key figures**", ""]
    if has_baseline and compared is not None and compared.baseline is not None:
        lines[0] += (f" against baseline session {escape_text(compared.baseline.session_id, 100)}"
                     f" from {escape_path(compared.baseline.source, 120)}")
    if has_baseline:
        lines += ["| Figure | This run | Baseline | Change |", "|---|---:|---:|---|"]
    else:
        lines += ["| Figure | Value |", "|---|---:|"]
    lines += [_figure_line(row, has_baseline) for row in rows]
    swarm = analysis.spend.swarm_task_cost
    if swarm:
        lines.append(f"| Spend reported by swarm tasks (not in Cost) | {_money(swarm)} |"
                     + (" | |" if has_baseline else ""))
    return lines


def score_lines(analysis: Analysis, compared: SessionComparison | None) -> list[str]:
    """The efficiency score, labelled as such, its caveats and its five parts with points."""
    score = score_view(analysis)
    has_baseline = compared is not None and not compared.added
    changes: dict[str, FigureRow] = {}
    if has_baseline and compared is not None:
        changes = {r.name: r for r in figure_rows(compared)}
    head = f"**Efficiency score: {score.score} / 100 ({score.word})**"
    total = changes.get("efficiency_score")
    if total is not None:
        head += f" — {_change_words(total)} against the baseline"
        head += f" (**{total.mark}**)" if total.mark else ""
    caveat = score.caveat.removeprefix(WHAT_IT_IS).strip()
    lines = [head, "", f"*{_escape_ours(WHAT_IT_IS)}*"
             + (f" {_escape_ours(caveat)}" if caveat else ""), ""]
    if has_baseline:
        lines += ["| Part | Measured | Points | Change |", "|---|---:|---:|---|"]
    else:
        lines += ["| Part | Measured | Points |", "|---|---:|---:|"]
    for part in score.parts:
        row = f"| {part.title} | {part.measured} | {part.points} of {part.weight} |"
        moved = changes.get(f"points_{part.name}")
        if has_baseline:
            row += f" {_change_words(moved) if moved is not None else ''} |"
        lines.append(row)
    lines.append(f"| Total (this trace can reach {score.ceiling}) | | {score.score} of 100 |"
                 + (" |" if has_baseline else ""))
    return lines


def _change_words(row: FigureRow) -> str:
    return row.change if row.verdict == NO_CHANGE else f"{row.arrow} {row.change} {row.verdict}"


def issue_item(change: IssueChange, limits: Limits, with_suggestion: bool = True) -> str:
    line = issue_line(change, limits)
    subject = f" {escape_text(line.subject, 60)}" if line.subject else ""
    counts = f" ({_escape_ours(line.counts)})" if line.counts else ""
    text = (f"- **{escape_text(line.severity, 12)}** {escape_text(line.name, 80)}{subject}{counts}: "
            f"{escape_text(change.issue.description, DESCRIPTION_CHARS)}")
    if with_suggestion and change.issue.suggestion:
        text += f" *What to do:* {escape_text(change.issue.suggestion, SUGGESTION_CHARS)}"
    return text + "\n"


def _issue_listing(title: str, changes: Sequence[IssueChange], limits: Limits,
                   with_suggestion: bool = True) -> Listing | None:
    if not changes:
        return None
    return Listing(_lines("", f"**{title}**", ""),
                   [issue_item(c, limits, with_suggestion) for c in changes],
                   [max(c.count, c.baseline_count, 1) for c in changes], _more_issues)


def issue_parts(analysis: Analysis, compared: SessionComparison | None,
                limits: Limits) -> list[Listing]:
    """New issues first (all of them without a baseline), then those also in the baseline,
    then those fixed since; each kind of issue once, with its count and what to do."""
    if compared is None:
        everything = classify_issues((), analysis.issues).new
        listing = _issue_listing("Issues", everything, limits)
        return [listing] if listing else [fixed(_lines("", "**Issues:** none found by "
                                                        "Attocode's rules."))]
    issues = compared.issues
    title = "New issues" if not compared.added else "Issues (all new: no baseline session)"
    parts = [_issue_listing(title, issues.new, limits),
             _issue_listing("Issues also in the baseline", issues.unchanged, limits),
             _issue_listing("Fixed since the baseline", issues.fixed, limits, False)]
    found = [p for p in parts if p is not None]
    if not issues.new:
        found.insert(0, fixed(_lines("", "**New issues:** none.")))
    return found


def caveat_lines(analysis: Analysis, compared: SessionComparison | None) -> list[str]:
    """What a reader should know before trusting the numbers."""
    session = analysis.session
    caveats = []
    if session.damaged_lines:
        caveats.append(f"{plural(session.damaged_lines, 'damaged trace line')} "
                       f"{'was' if session.damaged_lines == 1 else 'were'} skipped or repaired; "
                       "the numbers cover every good line.")
    if session.is_open:
        caveats.append("The trace has no end record: the session may have crashed, been "
                       "stopped, or still be running.")
    if analysis.facts.llm_calls and not analysis.tokens.has_breakdown:
        caveats.append("The trace records only total tokens per call: cache and token parts "
                       f"of the score are missing, so it cannot exceed "
                       f"{score_view(analysis).ceiling}.")
    if not analysis.facts.llm_calls:
        caveats.append("The trace records no model calls: tokens and cost are zero.")
    if compared is not None and compared.too_little_data:
        caveats.append(too_little_data_text(compared))
    return caveats


def model_names(analysis: Analysis) -> str:
    """The session's model, or the models its calls name (the first three)."""
    session = analysis.session
    if session.model_text.strip():
        return session.model_text
    table = session.table
    names = dict.fromkeys(table.strings[m] for m in table.llm.models if m >= 0)
    return ", ".join(list(names)[:3])


def session_section(analysis: Analysis, compared: SessionComparison | None,
                    limits: Limits) -> Section:
    """One session, in the order a reviewer reads it."""
    session = analysis.session
    goal = (escape_text(session.goal_text, GOAL_CHARS) if session.goal_text.strip()
            else "*(not recorded in the trace)*")
    model = escape_text(model_names(analysis), 160) or "*(not recorded in the trace)*"
    parts = [fixed(_lines("", f"### Session {escape_text(session.session_id, 100)}", "",
                          f"**Goal:** {goal}  ", f"**Model:** {model}")),
             outcome_part(analysis),
             fixed(_lines("", *key_figures(analysis, compared), "",
                          *score_lines(analysis, compared)))]
    if compared is not None and not compared.added and compared.regressions:
        parts.append(Listing(_lines("", "**Thresholds crossed**", ""),
                             [f"- {_escape_ours(regression_text(r))}\n"
                              for r in compared.regressions],
                             [1] * len(compared.regressions),
                             lambda n, w: f"- +{plural(n, 'more threshold')} crossed.\n"))
    parts += issue_parts(analysis, compared, limits)
    caveats = caveat_lines(analysis, compared)
    if caveats:
        parts.append(Listing(_lines("", "**Caveats**", ""), [f"- {c}\n" for c in caveats],
                             [1] * len(caveats)))
    return Section(parts)


def overview_table(analyses: Sequence[Analysis], comparison: BaselineComparison | None,
                   limits: Limits = DEFAULT_LIMITS) -> Listing:
    """One row per session (only when there are several)."""
    compared = list(comparison.sessions) if comparison is not None else []
    head = ["| Session | Outcome | Efficiency | Cost | Duration | Errors | Issues |"
            + (" Against the baseline |" if compared else ""),
            "|---|---|---:|---:|---:|---:|---:|" + ("---|" if compared else "")]
    rows = []
    listed = analyses[: most_rows(limits)]
    for i, a in enumerate(listed):
        s = a.summary
        row = (f"| {escape_text(a.session.session_id, 60)} | "
               f"{escape_text(outcome_view(a.outcome).word, 40)} | {score_view(a).score} | "
               f"{_money(a.spend.total_cost)} | "
               f"{fmt.duration_s(a.outcome.wall_seconds)} | {fmt.count(s.errors)} | "
               f"{fmt.count(len(a.issues))} |")
        if compared:
            row += f" {_against(compared[i])} |" if i < len(compared) else " |"
        rows.append(row + "\n")
    unlisted = len(analyses) - len(listed)
    return Listing(_lines("", *head), rows, [1] * len(rows),
                   lambda n, w: f"\n+{plural(n + unlisted, 'more session')} in the HTML "
                   "report.\n")


def most_rows(limits: Limits) -> int:
    """More rows of a list than can fit in the Markdown (every row takes more than
    `MIN_ROW_CHARS`): rows beyond these are only counted, never built."""
    return limits.markdown_chars // MIN_ROW_CHARS


def fitting_sections(analyses: Sequence[Analysis],
                     compared: Sequence[SessionComparison | None],
                     limits: Limits) -> list[Section]:
    """The sessions' sections, built while they could still fit: once those built exceed
    the budget even with every list at FLOOR, fit() would leave every later session out,
    so 80,000 sessions cost no more time than a few hundred."""
    sections: list[Section] = []
    smallest = 0
    for analysis, comparison in zip(analyses, compared, strict=True):
        if smallest > limits.markdown_chars:
            break
        section = session_section(analysis, comparison, limits)
        sections.append(section)
        smallest += section.smallest()
    return sections


def _against(compared: SessionComparison) -> str:
    if compared.added:
        return "added (no baseline session)"
    words = [plural(len(compared.regressions), "threshold") + " crossed",
             plural(len(compared.issues.new), "new issue")]
    if compared.too_little_data:
        words.append("too little data")
    return ", ".join(words)


def baseline_part(comparison: BaselineComparison, limits: Limits) -> list[Listing]:
    view = baseline_view(comparison, limits)
    parts = [fixed(_lines("", f"**Baseline:** {view.headline} Thresholds: {view.thresholds}."))]
    removed = comparison.removed
    unlisted = max(0, len(removed) - most_rows(limits))
    if removed:
        parts.append(Listing(_lines("", "Sessions in the baseline only:", ""),
                             [f"- {escape_text(f.session_id, 80)} (from "
                              f"{escape_path(f.source, 100)})\n"
                              for f in removed[: most_rows(limits)]],
                             [1] * min(len(removed), most_rows(limits)),
                             lambda n, w: f"- +{plural(n + unlisted, 'more session')}.\n"))
    return parts


def pointer(report_name: str | None) -> str:
    """The line pointing to the HTML report."""
    if report_name:
        return (f"**Full report:** {escape_text(report_name, 200)}, the HTML report with every "
                "issue, the timeline, the event log and the tree.")
    return ("**Full report:** no HTML report was written with this summary; run attoreport "
            "with -o report.html for every issue, the timeline and the event log.")


def render_markdown(analyses: Sequence[Analysis], *, version: str,
                    limits: Limits = DEFAULT_LIMITS,
                    swarms: Sequence[SwarmAnalysis] = (),
                    comparison: BaselineComparison | None = None,
                    report_name: str | None = None, redactor: Redactor | None = None) -> str:
    """The Markdown summary, at most `limits.markdown_chars` characters.

    swarms: attoswarm runs, each summarised first (in a share of the budget).
    comparison: one comparison per analysis, as `compare()` returns them.
    report_name: the HTML report's file name when one is written with it."""
    compared: list[SessionComparison | None] = (list(comparison.sessions) if comparison
                                                else [None] * len(analyses))
    if swarms and not analyses:
        title = "## Swarm run report"
    else:
        title = "## Agent session report" + (f": {fmt.count(len(analyses))} sessions"
                                             if len(analyses) > 1 else "")
    top = [fixed(_lines(MARKER, title))]
    share = limits.markdown_chars // (len(swarms) + 1)
    if swarms:  # the swarm modules are imported only for a run folder
        from attoreport.report.swarm import swarm_markdown

        top += [fixed(_lines("", swarm_markdown(swarm, share))) for swarm in swarms]
    if len(analyses) > 1:
        top.append(overview_table(analyses, comparison, limits))
    if comparison is not None:
        top += baseline_part(comparison, limits)
    sections = fitting_sections(analyses, compared, limits)
    redaction = redaction_note(redactor)
    bottom = [fixed(_lines("", "---", "", pointer(report_name),
                           *(["", escape_text(redaction, 400)] if redaction else []), "",
                           f"<sub>Made by attoreport {escape_text(version, 40)}; numbers "
                           "follow Attocode's own trace analysis.</sub>"))]
    document = Document(top, sections, lambda n: _lines(
        "", f"+{plural(n, 'more session')} in the HTML report (all are in the table above)."
        if len(analyses) > 1 else f"+{plural(n, 'more session')} in the HTML report."), bottom,
        unbuilt=len(analyses) - len(sections))
    return fit(document, limits.markdown_chars)

