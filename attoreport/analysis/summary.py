"""Session summary and the efficiency score with its five components."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from attoreport.analysis.facts import SessionFacts
from attoreport.analysis.tokens import TokenTotals
from attoreport.model import Session


@dataclass(frozen=True, slots=True)
class SessionSummaryView:
    """Aggregate metrics of a session, field for field as Attocode's `SessionSummaryView`."""

    session_id: str
    goal: Any
    model: Any
    duration_seconds: float
    total_tokens: int
    total_cost: float
    iterations: int
    tool_calls: int
    llm_calls: int
    errors: int
    compactions: int
    efficiency_score: float
    cache_hit_rate: float
    avg_tokens_per_iteration: float
    avg_cost_per_iteration: float

    def to_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class EfficiencyComponent:
    """One term of the efficiency score."""

    name: str
    weight: float
    #: The measured ratio, before Attocode caps it at 1; None when its denominator is 0.
    value: float | None
    points: float

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "weight": self.weight, "value": self.value,
                "points": self.points}


@dataclass(frozen=True, slots=True)
class Efficiency:
    score: float
    components: tuple[EfficiencyComponent, ...]


def efficiency(facts: SessionFacts, tokens: TokenTotals) -> Efficiency:
    """Attocode's 0-100 score: 30 cache + 25 errors + 15 compactions + 20 tools + 10 tokens."""
    components = [EfficiencyComponent(
        "cache_hit_rate", 30, tokens.cache_efficiency, tokens.cache_efficiency * 30.0)]
    # `value` is the measured ratio before Attocode caps it; `points` use the capped one.
    if facts.tool_calls > 0:
        errors = facts.errors / facts.tool_calls
        components.append(EfficiencyComponent("error_rate", 25, errors,
                                              (1.0 - min(errors, 1.0)) * 25.0))
        success = max(0.0, 1.0 - facts.tool_errors / facts.tool_calls)
        tool_component = EfficiencyComponent("tool_success_rate", 20, success, success * 20.0)
    else:
        components.append(EfficiencyComponent("error_rate", 25, None, 25.0))
        tool_component = EfficiencyComponent("tool_success_rate", 20, None, 20.0)
    if facts.iterations > 0:
        ratio = facts.compactions / facts.iterations
        components.append(EfficiencyComponent("compaction_frequency", 15, ratio,
                                              max(0.0, 1.0 - min(ratio, 1.0)) * 15.0))
    else:
        components.append(EfficiencyComponent("compaction_frequency", 15, None, 15.0))
    components.append(tool_component)
    total_input = tokens.breakdown["input"] + tokens.breakdown["cache_read"]
    if total_input > 0:
        ratio = tokens.breakdown["output"] / total_input
        components.append(EfficiencyComponent("token_efficiency", 10, ratio,
                                              min(ratio, 1.0) * 10.0))
    else:
        components.append(EfficiencyComponent("token_efficiency", 10, None, 5.0))
    raw = sum(c.points for c in components)
    return Efficiency(round(raw, 1), tuple(components))


def summarize(session: Session, facts: SessionFacts, tokens: TokenTotals,
              score: Efficiency) -> SessionSummaryView:
    """The session summary. Open sessions last from their first to their last event."""
    if session.end_time is not None:
        duration = session.end_time - session.start_time
    elif facts.first_timestamp is not None and facts.last_timestamp is not None:
        duration = facts.last_timestamp - facts.first_timestamp
    else:
        duration = 0.0
    iterations = facts.iterations
    return SessionSummaryView(
        session_id=session.session_id,
        goal=session.goal,
        model=session.model,
        duration_seconds=duration,
        total_tokens=facts.total_tokens,
        total_cost=tokens.total_cost,
        iterations=iterations,
        tool_calls=facts.tool_calls,
        llm_calls=facts.llm_calls,
        errors=facts.errors,
        compactions=facts.compactions,
        efficiency_score=score.score,
        cache_hit_rate=round(tokens.cache_efficiency, 4),
        avg_tokens_per_iteration=round(facts.total_tokens / iterations, 1) if iterations else 0.0,
        avg_cost_per_iteration=round(tokens.total_cost / iterations, 6) if iterations else 0.0,
    )
