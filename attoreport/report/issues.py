"""The issues section: Attocode's findings grouped by kind and subject, worst first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from attoreport.analysis import RULES, DetectedIssue
from attoreport.analysis.detectors import SEVERITIES, severity_rank
from attoreport.analysis.subjects import issue_subject
from attoreport.report import format as fmt
from attoreport.report.common import Context, plural

CATEGORY_NAMES = {
    "spinning": "Iterations without tool calls",
    "doom_loop": "Repeated identical tool calls",
    "cache_drop": "Cache hit rate drops",
    "token_spike": "Token usage spikes",
    "compaction_frequency": "Frequent compaction",
    "empty_response": "Empty model responses",
    "tool_error_rate": "High tool error rate",
    "long_tool": "Slow tool calls",
    "context_overflow": "Context overflow",
    "budget_warning_ignored": "Budget warnings ignored",
    "subagent_timeout": "Subagent timeouts",
    "swarm_cascade_failures": "Swarm cascade failures",
    "swarm_excessive_conflicts": "Swarm file conflicts",
}

#: What each kind of issue means, for a reader who is not an engineer.
CATEGORY_MEANINGS = {
    "spinning": "The agent went many turns without doing anything: it was thinking in circles.",
    "doom_loop": "The agent repeated exactly the same action several times, a sign that it "
                 "was stuck at that point.",
    "cache_drop": "The model suddenly had to re-read the whole conversation at full price.",
    "token_spike": "One request was far bigger than the others, usually because a huge file "
                   "or command output was pasted into it.",
    "compaction_frequency": "The conversation kept overflowing and had to be summarised often, "
                            "which loses detail and costs time.",
    "empty_response": "The model answered with nothing at all.",
    "tool_error_rate": "Many of the agent's actions failed.",
    "long_tool": "An action took more than 30 seconds.",
    "context_overflow": "The conversation grew larger than the model can hold, so parts of it "
                        "were cut off in an emergency.",
    "budget_warning_ignored": "The agent was warned it was running out of budget but carried on "
                              "as before.",
    "subagent_timeout": "A helper agent ran out of time before finishing its part.",
    "swarm_cascade_failures": "Many parallel tasks failed or were skipped because a task they "
                              "depended on failed.",
    "swarm_excessive_conflicts": "Parallel workers kept editing the same files and had to "
                                 "reconcile their changes.",
}


@dataclass(frozen=True, slots=True)
class IssueInstance:
    severity: str
    title: str
    description: str
    iteration: int | None
    #: Fragment of the iteration's node ("s1-iter-12"), or "".
    link: str
    #: Tokens and cost of that iteration, when the trace has them.
    involved: str


@dataclass(frozen=True, slots=True)
class IssueGroup:
    """Issues of one category about one subject (a tool, an agent, or the session)."""

    category: str
    name: str
    #: The tool or agent it concerns ("" for the session).
    subject: str
    severity: str
    count: int
    #: The worst instances (most severe, then most expensive iteration), at most the limit.
    instances: list[IssueInstance]
    #: Instances not listed.
    hidden: int
    meaning: str
    suggestion: str

    @property
    def count_text(self) -> str:
        return f"{fmt.count(self.count)}×" if self.count > 1 else ""

    @property
    def found_text(self) -> str:
        """'found once', 'found 1,204 times': how often the checks found it."""
        return "found once" if self.count == 1 else f"found {fmt.count(self.count)} times"


@dataclass(frozen=True, slots=True)
class IssuesView:
    groups: list[IssueGroup]
    total: int
    #: (severity, count) for the severities present, most severe first.
    severity_counts: list[tuple[str, int]]
    #: "3 issues found" or the no-issue sentence.
    headline: str
    #: Said when not every group is listed.
    note: str


def build(ctx: Context) -> IssuesView:
    groups = issue_groups(ctx, ctx.analysis.issues)
    total = len(ctx.analysis.issues)
    counts = Counter(i.severity for i in ctx.analysis.issues)
    shown_groups = groups[: ctx.limits.issue_groups]
    note = ""
    if len(groups) > len(shown_groups):
        note = (f"Listing the {len(shown_groups)} most serious of {fmt.count(len(groups))} "
                "kinds of issue; the JSON output has every instance.")
    headline = (f"{plural(total, 'issue')} found, in {plural(len(groups), 'group')}."
                if total else
                f"No issues: none of Attocode's {len(RULES)} inefficiency rules fired for this "
                "session.")
    return IssuesView(shown_groups, total, [(s, counts[s]) for s in SEVERITIES if counts[s]],
                      headline, note)


def issue_groups(ctx: Context, issues: list[DetectedIssue]) -> list[IssueGroup]:
    """Issues grouped by (category, subject), most severe group first."""
    stats = ctx.insights.iterations
    by_key: dict[tuple[str, str], list[DetectedIssue]] = {}
    for issue in issues:
        by_key.setdefault((issue.category, issue_subject(issue)), []).append(issue)

    def cost_of(issue: DetectedIssue) -> float:
        at = stats.position(issue.iteration) if issue.iteration is not None else -1
        return stats.cost[at] if at >= 0 else 0.0

    groups = []
    for (category, subject), members in by_key.items():
        worst = sorted(members, key=lambda i: (severity_rank(i.severity), -cost_of(i)))
        listed = worst[: ctx.limits.issue_instances]
        groups.append(IssueGroup(
            category=category,
            name=CATEGORY_NAMES.get(category, ctx.name(category.replace("_", " "))),
            subject=ctx.name(subject),
            severity=worst[0].severity,
            count=len(members),
            instances=[_instance(ctx, i) for i in listed],
            hidden=len(members) - len(listed),
            meaning=CATEGORY_MEANINGS.get(category, ""),
            suggestion=ctx.text(worst[0].suggestion),
        ))
    return sorted(groups, key=lambda g: (severity_rank(g.severity), -g.count))


def _instance(ctx: Context, issue: DetectedIssue) -> IssueInstance:
    stats = ctx.insights.iterations.get(issue.iteration) if issue.iteration is not None else None
    involved = ""
    if stats is not None and (stats.tokens or stats.cost):
        involved = (f"Iteration {issue.iteration} used {fmt.count(stats.tokens)} tokens, "
                    f"{fmt.cost(stats.cost)}.")
    return IssueInstance(issue.severity, ctx.label(issue.title), ctx.text(issue.description),
                         issue.iteration, ctx.iteration_link(issue.iteration), involved)
