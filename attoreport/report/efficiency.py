"""The efficiency section: Attocode's 0–100 score and its five parts, explained."""

from __future__ import annotations

from dataclasses import dataclass

from attoreport.analysis import Analysis
from attoreport.analysis.outcome import COMPLETED, COMPLETED_WITH_ERRORS
from attoreport.report import charts
from attoreport.report import format as fmt
from attoreport.report.common import Chart, Context

#: (lowest score, word, tone): the word says how economical the run was, not whether it worked.
SCORE_WORDS = ((85.0, "very economical", "good"), (70.0, "economical", "good"),
               (50.0, "some waste", "warn"), (float("-inf"), "wasteful", "bad"))
#: Said wherever the score appears.
WHAT_IT_IS = ("The efficiency score rates how economically the agent worked (cache use, errors, "
              "compactions, tool failures, output per input), not whether it did the job.")


@dataclass(frozen=True, slots=True)
class PartText:
    title: str
    formula: str
    improve: str
    if_missing: str


PARTS: dict[str, PartText] = {
    "cache_hit_rate": PartText(
        "Cache hit rate", "cache read ÷ (input + cache read), times 30",
        "Keep the start of the prompt stable (system prompt, tool list, early messages) so the "
        "provider can reuse its cache; avoid rewriting or reordering earlier messages.",
        "No input tokens recorded: 0 points."),
    "error_rate": PartText(
        "Errors per tool call", "(1 − errors ÷ tool calls, at least 0), times 25; errors are "
        "failed tool calls, model errors and error events",
        "Look at the failing calls in the event log; fix wrong paths or arguments and missing "
        "permissions, and make model errors retryable.",
        "No tool calls: full 25 points."),
    "compaction_frequency": PartText(
        "Compactions per iteration", "(1 − compactions ÷ iterations, at least 0), times 15",
        "Truncate large tool outputs and read files in parts, so the context fills more slowly.",
        "No iterations: full 15 points."),
    "tool_success_rate": PartText(
        "Tool success rate", "(1 − failed tool calls ÷ tool calls), times 20",
        "Give the agent correct tool names and required arguments; pre-approve safe commands.",
        "No tool calls: full 20 points."),
    "token_efficiency": PartText(
        "Output per input token", "output ÷ (input + cache read), at most 1, times 10",
        "Agents read far more than they write, so low values are normal; send less context "
        "per call (smaller tool results, fewer re-reads).",
        "No input tokens recorded: neutral 5 points."),
}
#: Parts that need the input/output/cache split of the tokens.
NEEDS_BREAKDOWN = ("cache_hit_rate", "token_efficiency")


@dataclass(frozen=True, slots=True)
class PartRow:
    name: str
    title: str
    #: The measured ratio as a percentage, or why there is none.
    measured: str
    formula: str
    #: Points earned and the part's maximum, formatted ("29.3", "30").
    points: str
    weight: str
    improve: str


@dataclass(frozen=True, slots=True)
class ScoreView:
    """The score as every output shows it."""

    score: str  # "88.6"
    value: float
    word: str
    tone: str
    parts: list[PartRow]
    #: The highest score this trace can reach (below 100 when it lacks data), formatted.
    ceiling: str
    #: Said next to the score: what it is not, and why it may be lower than deserved.
    caveat: str


@dataclass(frozen=True, slots=True)
class EfficiencyView:
    score: ScoreView
    chart: Chart


def score_view(analysis: Analysis) -> ScoreView:
    score = analysis.efficiency.score
    no_breakdown = bool(analysis.facts.llm_calls) and not analysis.tokens.has_breakdown
    rows = []
    ceiling = 0.0
    for part in analysis.efficiency.components:
        text = PARTS[part.name]
        missing = no_breakdown and part.name in NEEDS_BREAKDOWN
        if missing:
            measured = "not recorded"
            ceiling += part.points
        elif part.value is None:
            measured = text.if_missing
            ceiling += part.weight
        else:
            measured = fmt.percent(part.value)
            ceiling += part.weight
        rows.append(PartRow(part.name, text.title, measured, text.formula, f"{part.points:.1f}",
                            f"{part.weight:g}", text.improve))
    # The word judges the score against what this trace can reach at all.
    share = 100.0 * score / ceiling if ceiling else 0.0
    word, tone = next((w, t) for limit, w, t in SCORE_WORDS if share >= limit)
    caveats = [WHAT_IT_IS]
    if not analysis.facts.llm_calls:
        word, tone = "nothing to rate", ""
        caveats.append("This trace records no model calls, so the score has nothing to rate: "
                       "it is what Attocode's formula gives an empty session.")
    if no_breakdown:
        caveats.append(
            f"This trace records only total tokens per call, not input, output and cached tokens, "
            f"so the cache part earns 0 of its 30 points and the token part its neutral 5: the "
            f"highest score it can reach is {ceiling:.0f}, whatever the session did, and the word "
            f"beside the score judges it against that.")
    if analysis.outcome.state not in (COMPLETED, COMPLETED_WITH_ERRORS):
        caveats.append("This session did not end normally; a high score here does not mean the "
                       "work was done.")
    return ScoreView(f"{score:.1f}", score, word, tone, rows, f"{ceiling:.0f}", " ".join(caveats))


def build(ctx: Context, score: ScoreView) -> EfficiencyView:
    parts = ctx.analysis.efficiency.components
    figure = charts.efficiency_chart([PARTS[p.name].title for p in parts],
                                     [p.points for p in parts], [p.weight for p in parts])
    return EfficiencyView(score, ctx.chart("efficiency", figure,
                                           "Bar chart of the points each part of the "
                                           "efficiency score earned, out of its maximum"))
