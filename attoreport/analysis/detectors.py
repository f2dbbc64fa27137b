"""Attocode's inefficiency rules: one small function per rule, listed in `RULES`.

Each rule reads the session's facts (gathered in one pass) and returns its issues,
worded exactly as attocode 0.2.30's `InefficiencyDetector` words them, in its order.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from attoreport.analysis.cache import hit_rates_numpy, numpy_for_calls
from attoreport.analysis.columns import below, view
from attoreport.analysis.facts import SessionFacts
from attoreport.model import LlmColumns

SEVERITIES = ("critical", "high", "medium", "low")


def severity_rank(severity: str) -> int:
    """0 for critical … 3 for low; unknown severities rank after low."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


@dataclass(frozen=True, slots=True)
class DetectedIssue:
    """One detected inefficiency."""

    severity: str
    category: str
    title: str
    description: str
    iteration: int | None = None
    suggestion: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"severity": self.severity, "category": self.category, "title": self.title,
                "description": self.description, "iteration": self.iteration,
                "suggestion": self.suggestion}


Rule = Callable[[SessionFacts], list[DetectedIssue]]


def spinning(f: SessionFacts) -> list[DetectedIssue]:
    """More than 15 consecutive iterations (1..max) without a tool call."""
    issues = []
    for start, length, trailing in _runs_without_tools(f):
        if length <= 15:
            continue
        span = f"{length} consecutive iterations ({start}-{start + length - 1}) without any tool invocations"
        if trailing:
            description = f"{span} at end of session."
            suggestion = ("The agent may have been spinning at session end. "
                          "Review the iteration budget and loop detection.")
        else:
            description = f"{span}. The agent may be spinning."
            suggestion = ("Check if the agent is stuck in a reasoning loop. Consider adding a "
                          "nudge or reducing the iteration budget.")
        issues.append(DetectedIssue("high", "spinning", "Excessive iterations without tool calls",
                                    description, start, suggestion))
    return issues


def _runs_without_tools(f: SessionFacts) -> Iterator[tuple[int, int, bool]]:
    """(first iteration, length, is_trailing) of each gap in 1..max_iteration."""
    previous = 0
    for used in sorted(i for i in f.iterations_with_tools if 1 <= i <= f.max_iteration):
        if used - previous > 1:
            yield previous + 1, used - previous - 1, False
        previous = used
    if f.max_iteration > previous:
        yield previous + 1, f.max_iteration - previous, True


def doom_loop(f: SessionFacts) -> list[DetectedIssue]:
    """The same tool with identical arguments called 3 or more times."""
    issues = []
    for call in f.repeated_calls.values():
        if call.count < 3:
            continue
        tool = call.tool.split(":", 1)[0]
        issues.append(DetectedIssue(
            "high", "doom_loop", f"Repeated tool call: {tool}",
            f"Tool '{tool}' called {call.count} times with identical arguments. "
            "This is a doom loop indicator.",
            call.first_iteration,
            "The agent is calling the same tool repeatedly. The loop detector should break "
            "this pattern. Consider reviewing doom loop thresholds.",
        ))
    return issues


def _rate(inputs: Sequence[int], reads: Sequence[int], k: int) -> float | None:
    i, r = inputs[k], reads[k]
    return r / (i + r) if i + r else None


def _rate_pairs(llm: LlmColumns) -> Iterator[tuple[int, float | None, float | None]]:
    """(k, rate of call k - 1, rate of call k) for each call after the first; through numpy
    (the same rates), only the calls that follow a drop of more than 50 points."""
    inputs, reads = llm.input_tokens, llm.cache_read_tokens
    np = numpy_for_calls(llm)
    if np is not None and below(np, 2**52, inputs, reads):
        rates = hit_rates_numpy(np, inputs, reads)
        after_drop = np.flatnonzero((rates[:-1] > 0) & (rates[:-1] - rates[1:] > 0.5)) + 1
        del rates
        return ((k, _rate(inputs, reads, k - 1), _rate(inputs, reads, k))
                for k in after_drop.tolist())
    every = [r / (i + r) if i + r else None for i, r in zip(inputs, reads, strict=True)]
    return ((k, every[k - 1], every[k]) for k in range(1, len(every)))


def cache_drop(f: SessionFacts) -> list[DetectedIssue]:
    """The per-call cache hit rate falls by more than 50 points between LLM calls."""
    if f.llm is None:
        return []
    issues = []
    for k, previous, rate in _rate_pairs(f.llm):
        if rate is None or previous is None or previous <= 0 or previous - rate <= 0.5:
            continue
        drop = previous - rate
        issues.append(DetectedIssue(
            "medium", "cache_drop", "Cache hit rate dropped significantly",
            f"Cache hit rate dropped from {previous:.0%} to {rate:.0%} (a {drop:.0%} "
            "decrease). This may indicate context restructuring or compaction "
            "invalidating the KV cache.",
            f.llm_iterations[k],
            "Review context management around this iteration. Compactions and message "
            "reordering can invalidate KV cache prefixes.",
        ))
    return issues


def token_spike(f: SessionFacts) -> list[DetectedIssue]:
    """An LLM call using more than twice the mean tokens (needs 3 calls)."""
    if f.llm is None or len(f.llm.tokens) < 3:
        return []
    counts = f.llm.tokens
    mean = sum(counts) / len(counts)
    if mean == 0:
        return []
    threshold = mean * 2.0
    calls: Iterable[int] = range(len(counts))
    np = numpy_for_calls(f.llm)
    if np is not None:  # those surely not above the threshold left out (floats: a margin)
        margin = abs(threshold) * 2**-40 + 2
        calls = np.flatnonzero(view(np, counts) > threshold - margin).tolist()
    return [
        DetectedIssue(
            "medium", "token_spike", "Token usage spike",
            f"LLM call used {tokens:,} tokens, which is {tokens / mean:.1f}x the average "
            f"({mean:,.0f}). This may indicate context bloat or an oversized tool result.",
            f.llm_iterations[k],
            "Check if a large tool result was injected before this call. Consider truncating "
            "tool outputs or using context overflow guards.",
        )
        for k, tokens in zip(calls, map(counts.__getitem__, calls), strict=True)
        if tokens > threshold
    ]


def compaction_frequency(f: SessionFacts) -> list[DetectedIssue]:
    """More than 3 compactions within 20 iterations (first window only)."""
    marks = sorted(f.compaction_iterations)
    if len(marks) < 4:
        return []
    for i, start in enumerate(marks):
        count = bisect_right(marks, start + 20) - i
        if count > 3:
            return [DetectedIssue(
                "medium", "compaction_frequency", "Excessive compaction frequency",
                f"{count} compactions within 20 iterations (starting at iteration {start}). "
                "Frequent compaction degrades cache efficiency and increases latency.",
                start,
                "The context window is filling too quickly. Consider more aggressive tool "
                "output truncation or raising the compaction threshold.",
            )]
    return []


def empty_response(f: SessionFacts) -> list[DetectedIssue]:
    """An LLM response with 0 output tokens and 0 tokens."""
    if f.llm is None:
        return []
    llm = f.llm
    calls: Iterable[int] = range(len(llm.tokens))
    np = numpy_for_calls(llm)
    if np is not None:
        calls = np.flatnonzero(view(np, llm.has_token_keys).astype(bool)
                               & (view(np, llm.output_tokens) == 0)
                               & (view(np, llm.tokens) == 0)).tolist()
    return [
        DetectedIssue(
            "low", "empty_response", "Empty LLM response",
            "An LLM call returned 0 output tokens. This may indicate a malformed request, "
            "context overflow, or a provider-side issue.",
            f.llm_iterations[k],
            "Check the request that preceded this response. Verify the context window was "
            "not exceeded.",
        )
        for k in calls
        if llm.has_token_keys[k] and llm.output_tokens[k] == 0 and llm.tokens[k] == 0
    ]


def tool_error_rate(f: SessionFacts) -> list[DetectedIssue]:
    """More than 30% of at least 3 tool calls failed."""
    if f.tool_calls < 3:
        return []
    rate = f.tool_errors / f.tool_calls
    if rate <= 0.3:
        return []
    return [DetectedIssue(
        "high", "tool_error_rate", "High tool error rate",
        f"{f.tool_errors}/{f.tool_calls} tool calls failed ({rate:.0%} error rate). "
        "This exceeds the 30% threshold.",
        None,
        "Review the failing tools and their inputs. Common causes: incorrect file paths, "
        "permission denials, or sandbox restrictions.",
    )]


def long_tool(f: SessionFacts) -> list[DetectedIssue]:
    """A tool call that took longer than 30 seconds."""
    return [
        DetectedIssue(
            "medium", "long_tool", f"Long tool execution: {tool}",
            f"Tool '{tool}' took {ms / 1000:.1f}s to execute, exceeding the 30s threshold.",
            iteration,
            "Consider adding a timeout to this tool or breaking the operation into smaller steps.",
        )
        for tool, ms, iteration in f.long_tools
    ]


def context_overflow(f: SessionFacts) -> list[DetectedIssue]:
    """Any context_overflow event."""
    return [
        DetectedIssue(
            "critical", "context_overflow", "Context overflow detected",
            "A context overflow event was recorded. The agent's context window was exceeded, "
            "requiring emergency truncation of tool results or messages.",
            iteration,
            "Review the context overflow guard configuration. Consider lowering compaction "
            "thresholds or truncating large tool outputs earlier.",
        )
        for iteration in f.overflow_iterations
    ]


def budget_warning_ignored(f: SessionFacts) -> list[DetectedIssue]:
    """A budget warning not followed, within 3 iterations, by fewer tool calls or a mode change."""
    issues = []
    for warned in f.warning_iterations:
        before = f.tools_per_iteration.get(warned, 0)
        changed = False
        for offset in range(1, 4):
            later = warned + offset
            if later in f.mode_change_iterations:
                changed = True
                break
            if before > 0 and f.tools_per_iteration.get(later, 0) < before * 0.5:
                changed = True
                break
        if not changed:
            issues.append(DetectedIssue(
                "medium", "budget_warning_ignored", "Budget warning without behavior change",
                f"A budget warning at iteration {warned} was not followed by reduced tool usage "
                "or a mode change within 3 iterations.",
                warned,
                "The agent should reduce tool calls or switch to text-only mode after a budget "
                "warning. Review the budget enforcement configuration.",
            ))
    return issues


def subagent_timeout(f: SessionFacts) -> list[DetectedIssue]:
    """Any subagent_timeout event."""
    return [
        DetectedIssue(
            "high", "subagent_timeout", f"Subagent timeout: {agent}",
            f"Subagent '{agent}' timed out. This wastes tokens and delays the parent agent.",
            iteration,
            "Consider increasing the subagent timeout, reducing the delegated task scope, or "
            "using a faster model for subagent work.",
        )
        for agent, iteration in f.subagent_timeouts
    ]


def swarm_cascade_failures(f: SessionFacts) -> list[DetectedIssue]:
    """Failed plus cascade-skipped swarm tasks exceed 30% of started tasks."""
    if f.swarm_tasks_started == 0:
        return []
    share = (f.swarm_tasks_failed + f.swarm_tasks_skipped) / f.swarm_tasks_started
    if share <= 0.30:
        return []
    return [DetectedIssue(
        "high", "swarm_cascade_failures", f"Cascade failures affecting {share:.0%} of tasks",
        f"{f.swarm_tasks_failed} tasks failed and {f.swarm_tasks_skipped} were cascade-skipped "
        f"out of {f.swarm_tasks_started} total tasks. This suggests a structural problem in task "
        "dependencies or a critical foundation task failure.",
        None,
        "Review task dependencies. Consider making foundation tasks more robust with retries, "
        "or split large dependency chains.",
    )]


def swarm_excessive_conflicts(f: SessionFacts) -> list[DetectedIssue]:
    """More than 2 file conflicts per swarm wave."""
    if f.swarm_waves == 0 or f.swarm_conflicts == 0:
        return []
    per_wave = f.swarm_conflicts / f.swarm_waves
    if per_wave <= 2.0:
        return []
    return [DetectedIssue(
        "medium", "swarm_excessive_conflicts", f"High conflict rate: {per_wave:.1f} conflicts/batch",
        f"{f.swarm_conflicts} file conflicts across {f.swarm_waves} batches. Frequent conflicts "
        "slow execution and risk merge errors.",
        None,
        "Improve task file scoping to reduce overlap, or increase serialization for tasks with "
        "shared files.",
    )]


#: Every rule, in Attocode's order (its issue list comes out in this order).
RULES: tuple[Rule, ...] = (
    spinning,
    doom_loop,
    cache_drop,
    token_spike,
    compaction_frequency,
    empty_response,
    tool_error_rate,
    long_tool,
    context_overflow,
    budget_warning_ignored,
    subagent_timeout,
    swarm_cascade_failures,
    swarm_excessive_conflicts,
)


def detect(facts: SessionFacts) -> list[DetectedIssue]:
    """Run every rule; issues in Attocode's order."""
    return [issue for rule in RULES for issue in rule(facts)]
