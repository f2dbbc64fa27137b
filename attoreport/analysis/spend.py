"""What a session spent, counted once: Attocode's own totals (its model calls) plus what swarm
tasks report themselves (Attocode leaves those out)."""

from __future__ import annotations

from dataclasses import dataclass

from attoreport.analysis.facts import SessionFacts
from attoreport.analysis.summary import SessionSummaryView


@dataclass(frozen=True, slots=True)
class Spend:
    #: Attocode's `total_cost` and `total_tokens`: the session's own model calls.
    model_cost: float
    model_tokens: int
    #: What `swarm_task_complete` / `swarm_task_failed` events report.
    swarm_task_cost: float
    swarm_task_tokens: int

    @property
    def total_cost(self) -> float:
        return self.model_cost + self.swarm_task_cost

    @property
    def total_tokens(self) -> int:
        return self.model_tokens + self.swarm_task_tokens

    @property
    def has_parts(self) -> bool:
        return bool(self.swarm_task_cost or self.swarm_task_tokens)


def spend(summary: SessionSummaryView, facts: SessionFacts) -> Spend:
    return Spend(summary.total_cost, summary.total_tokens, facts.swarm_cost, facts.swarm_tokens)
