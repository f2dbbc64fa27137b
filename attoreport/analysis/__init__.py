"""Pure analysis of a Session: no I/O, no formatting.

`analyse(session)` computes everything in one pass over the events (plus a walk over
the LLM responses). The classes below mirror Attocode's analysis API
(`SessionAnalyzer`, `TokenAnalyzer`, `InefficiencyDetector`, `CacheBoundaryTracker`)
for people who know it.
"""

from __future__ import annotations

from dataclasses import dataclass

from attoreport import gcpause
from attoreport.analysis.cache import CacheBoundary, CacheBoundaryTracker, CacheStats, track_cache
from attoreport.analysis.columns import numpy_for
from attoreport.analysis.detectors import RULES, DetectedIssue, detect
from attoreport.analysis.facts import SessionFacts, ToolStats, collect_facts
from attoreport.analysis.iterations import iteration_stats
from attoreport.analysis.outcome import Outcome, decide
from attoreport.analysis.spend import Spend, spend
from attoreport.analysis.summary import (
    Efficiency,
    EfficiencyComponent,
    SessionSummaryView,
    efficiency,
    summarize,
)
from attoreport.analysis.timeline import TimelineEntry, attocode_timeline
from attoreport.analysis.tokens import TokenFlow, TokenFlowPoint, TokenTotals, token_totals
from attoreport.analysis.tree import Tree, TreeNode, build_tree
from attoreport.model import Session

__all__ = [
    "RULES",
    "Analysis",
    "CacheBoundary",
    "CacheBoundaryTracker",
    "CacheStats",
    "DetectedIssue",
    "Efficiency",
    "EfficiencyComponent",
    "InefficiencyDetector",
    "Outcome",
    "SessionAnalyzer",
    "SessionSummaryView",
    "TimelineEntry",
    "TokenAnalyzer",
    "TokenFlow",
    "TokenFlowPoint",
    "ToolStats",
    "Tree",
    "TreeNode",
    "analyse",
]


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything attoreport computes for one session."""

    session: Session
    facts: SessionFacts
    summary: SessionSummaryView
    efficiency: Efficiency
    tokens: TokenTotals
    cache: CacheBoundary
    issues: list[DetectedIssue]
    outcome: Outcome
    #: The total spend and its parts (Attocode's totals are `summary.total_cost`/`_tokens`).
    spend: Spend

    @property
    def event_counts(self) -> dict[str, int]:
        return dict(sorted(self.facts.event_counts.items()))


@gcpause.pausing
def analyse(session: Session) -> Analysis:
    """Summary, score, tokens, cache and issues of one session."""
    facts = collect_facts(session)
    tokens = token_totals(session.table.llm, facts.llm_iterations, numpy_for(session.table))
    score = efficiency(facts, tokens)
    summary = summarize(session, facts, tokens, score)
    return Analysis(
        session=session,
        facts=facts,
        summary=summary,
        efficiency=score,
        tokens=tokens,
        cache=track_cache(session.table.llm, facts.llm_iterations),
        issues=detect(facts),
        outcome=decide(session, facts),
        spend=spend(summary, facts),
    )


class SessionAnalyzer:
    """Attocode's `SessionAnalyzer` API over attoreport's analysis."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._analysis: Analysis | None = None

    @property
    def analysis(self) -> Analysis:
        if self._analysis is None:
            self._analysis = analyse(self._session)
        return self._analysis

    def summary(self) -> SessionSummaryView:
        return self.analysis.summary

    def timeline(self) -> list[TimelineEntry]:
        return attocode_timeline(self._session)

    def tree(self) -> list[TreeNode]:
        table = self._session.table
        return build_tree(table, iteration_stats(table)).roots

    def token_flow(self) -> list[TokenFlowPoint]:
        return list(self.analysis.tokens.token_flow)


class TokenAnalyzer:
    """Attocode's `TokenAnalyzer` API."""

    def __init__(self, session: Session) -> None:
        self._totals = token_totals(session.table.llm, collect_facts(session).llm_iterations,
                                    numpy_for(session.table))

    def token_flow(self) -> list[TokenFlowPoint]:
        return list(self._totals.token_flow)

    def total_cost(self) -> float:
        return self._totals.total_cost

    def cost_by_iteration(self) -> dict[int, float]:
        return dict(self._totals.cost_by_iteration.items())

    def cache_efficiency(self) -> float:
        return self._totals.cache_efficiency

    def token_breakdown(self) -> dict[str, int]:
        return dict(self._totals.breakdown)


class InefficiencyDetector:
    """Attocode's `InefficiencyDetector`: all 13 rules, in its order."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def detect(self) -> list[DetectedIssue]:
        return detect(collect_facts(self._session))

    detect_all = detect
