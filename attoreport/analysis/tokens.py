"""Token flow, breakdown, cost and cache efficiency, as Attocode's `TokenAnalyzer` computes them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from attoreport.model import TraceEvent


@dataclass(slots=True)
class TokenFlowPoint:
    """Tokens of one iteration's LLM responses, and the session's cost so far."""

    iteration: int
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    total_tokens: int = 0
    cumulative_cost: float = 0.0

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(slots=True)
class TokenTotals:
    """Everything `TokenAnalyzer` reports, computed in one walk over the LLM responses."""

    token_flow: list[TokenFlowPoint]
    total_cost: float
    cost_by_iteration: dict[int, float]
    breakdown: dict[str, int]
    cache_efficiency: float

    @property
    def has_breakdown(self) -> bool:
        """False when the trace records only totals (the real agent writes no breakdown)."""
        return any(self.breakdown.values())


def token_totals(llm_responses: list[TraceEvent]) -> TokenTotals:
    """Aggregate `llm_response` events (file order); events without iteration count as 0."""
    buckets: dict[int, TokenFlowPoint] = {}
    by_iteration: dict[int, float] = {}
    breakdown = {"input": 0, "output": 0, "cache_read": 0, "cache_write": 0}
    cumulative = 0.0
    for event in llm_responses:
        usage = event.usage
        assert usage is not None
        iteration = event.iteration if event.iteration is not None else 0
        cumulative += usage.cost
        by_iteration[iteration] = by_iteration.get(iteration, 0.0) + usage.cost
        point = buckets.get(iteration)
        if point is None:
            point = buckets[iteration] = TokenFlowPoint(iteration)
        point.input_tokens += usage.input_tokens
        point.output_tokens += usage.output_tokens
        point.cache_read_tokens += usage.cache_read_tokens
        point.cache_write_tokens += usage.cache_write_tokens
        point.total_tokens += usage.tokens or (
            usage.input_tokens + usage.output_tokens
            + usage.cache_read_tokens + usage.cache_write_tokens
        )
        point.cumulative_cost = cumulative
        breakdown["input"] += usage.input_tokens
        breakdown["output"] += usage.output_tokens
        breakdown["cache_read"] += usage.cache_read_tokens
        breakdown["cache_write"] += usage.cache_write_tokens
    total_cost = sum(e.usage.cost for e in llm_responses if e.usage is not None)
    denominator = breakdown["input"] + breakdown["cache_read"]
    efficiency = breakdown["cache_read"] / denominator if denominator else 0.0
    return TokenTotals(
        token_flow=sorted(buckets.values(), key=lambda p: p.iteration),
        total_cost=total_cost,
        cost_by_iteration=by_iteration,
        breakdown=breakdown,
        cache_efficiency=efficiency,
    )
