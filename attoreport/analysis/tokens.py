"""Token flow, breakdown, cost and cache efficiency, as Attocode's `TokenAnalyzer` computes them.

Computed from the table's LLM columns with C-level sums: runs of consecutive responses of
the same iteration (the usual shape) are summed a slice at a time.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate, groupby
from typing import Any

from attoreport.model import LlmColumns


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
        return {"iteration": self.iteration, "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "cache_read_tokens": self.cache_read_tokens,
                "cache_write_tokens": self.cache_write_tokens, "total_tokens": self.total_tokens,
                "cumulative_cost": self.cumulative_cost}


@dataclass(slots=True)
class TokenTotals:
    """Everything `TokenAnalyzer` reports."""

    token_flow: list[TokenFlowPoint]
    total_cost: float
    cost_by_iteration: dict[int, float]
    breakdown: dict[str, int]
    cache_efficiency: float

    @property
    def has_breakdown(self) -> bool:
        """False when the trace records only totals (the real agent writes no breakdown)."""
        return any(self.breakdown.values())


def token_totals(llm: LlmColumns, iterations: list[int | None]) -> TokenTotals:
    """Aggregate the `llm_response` rows (file order; `iterations` aligned with them, None
    counting as iteration 0, as in Attocode)."""
    keys = [0 if i is None else i for i in iterations]
    costs = llm.cost
    cumulative = array("d", accumulate(costs))
    # Integer sums of a run are differences of prefix sums (exact for integers).
    inputs, outputs = _prefix(llm.input_tokens), _prefix(llm.output_tokens)
    reads, writes = _prefix(llm.cache_read_tokens), _prefix(llm.cache_write_tokens)
    totals = _prefix(_event_totals(llm))
    buckets: dict[int, TokenFlowPoint] = {}
    by_iteration: dict[int, float] = {}
    for iteration, start, end in _runs(keys):
        point = buckets.get(iteration)
        if point is None:
            point = buckets[iteration] = TokenFlowPoint(iteration)
        point.input_tokens += inputs[end] - inputs[start]
        point.output_tokens += outputs[end] - outputs[start]
        point.cache_read_tokens += reads[end] - reads[start]
        point.cache_write_tokens += writes[end] - writes[start]
        point.total_tokens += totals[end] - totals[start]
        point.cumulative_cost = cumulative[end - 1]
        # Floats are added one by one, in file order, as Attocode adds them.
        by_iteration[iteration] = sum(costs[start:end], by_iteration.get(iteration, 0.0))
    breakdown = {"input": inputs[-1], "output": outputs[-1], "cache_read": reads[-1],
                 "cache_write": writes[-1]}
    denominator = breakdown["input"] + breakdown["cache_read"]
    efficiency = breakdown["cache_read"] / denominator if denominator else 0.0
    return TokenTotals(
        token_flow=sorted(buckets.values(), key=lambda p: p.iteration),
        total_cost=sum(costs),
        cost_by_iteration=by_iteration,
        breakdown=breakdown,
        cache_efficiency=efficiency,
    )


def _prefix(values: Any) -> Any:
    """Prefix sums (from 0): 64-bit integers when they cannot overflow (8 bytes an entry,
    not 36), else Python integers."""
    if sum(map(abs, values)) < 2**63:
        return array("q", accumulate(values, initial=0))
    return [0, *accumulate(values)]


def _runs(keys: list[int]) -> Iterator[tuple[int, int, int]]:
    """(key, start, end) of each run of equal consecutive keys."""
    start = 0
    for key, group in groupby(keys):
        end = start + sum(1 for _ in group)
        yield key, start, end
        start = end


def _event_totals(llm: LlmColumns) -> Any:
    """Per response: `int(tokens) or (input + output + cache_read + cache_write)`."""
    tokens = llm.tokens
    if 0 not in tokens:
        return tokens
    return [t or (i + o + r + w) for t, i, o, r, w in zip(
        tokens, llm.input_tokens, llm.output_tokens, llm.cache_read_tokens,
        llm.cache_write_tokens, strict=True)]
