"""Token flow, breakdown, cost and cache efficiency, as Attocode's `TokenAnalyzer` computes them.

Computed from the table's LLM columns with C-level sums: runs of consecutive responses of
the same iteration (the usual shape) are summed a slice at a time.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import ItemsView, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass
from itertools import accumulate, groupby
from operator import eq, gt
from typing import Any, overload

from attoreport.analysis.columns import Iterations, prefix_sums
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


class TokenFlow(Sequence[TokenFlowPoint]):
    """The token flow as columns, one entry per iteration in iteration order: 56 bytes an
    iteration instead of a 300-byte object (a million-event trace has about 90,000
    iterations). A point is made when it is asked for."""

    __slots__ = ("iterations", "input_tokens", "output_tokens", "cache_read_tokens",
                 "cache_write_tokens", "total_tokens", "cumulative_cost")

    def __init__(self, iterations: Any, input_tokens: Any, output_tokens: Any,
                 cache_read_tokens: Any, cache_write_tokens: Any, total_tokens: Any,
                 cumulative_cost: Any) -> None:
        self.iterations = iterations
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.cache_read_tokens = cache_read_tokens
        self.cache_write_tokens = cache_write_tokens
        self.total_tokens = total_tokens
        self.cumulative_cost = cumulative_cost

    def __len__(self) -> int:
        return len(self.iterations)

    @overload
    def __getitem__(self, index: int) -> TokenFlowPoint: ...

    @overload
    def __getitem__(self, index: slice) -> list[TokenFlowPoint]: ...

    def __getitem__(self, index: int | slice) -> TokenFlowPoint | list[TokenFlowPoint]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return TokenFlowPoint(self.iterations[index], self.input_tokens[index],
                              self.output_tokens[index], self.cache_read_tokens[index],
                              self.cache_write_tokens[index], self.total_tokens[index],
                              self.cumulative_cost[index])

    def __iter__(self) -> Iterator[TokenFlowPoint]:
        return map(TokenFlowPoint, self.iterations, self.input_tokens, self.output_tokens,
                   self.cache_read_tokens, self.cache_write_tokens, self.total_tokens,
                   self.cumulative_cost)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(map(eq, self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def point(self, iteration: int) -> TokenFlowPoint | None:
        """The point of `iteration`, or None when it has no LLM response."""
        at = bisect_left(self.iterations, iteration)
        if at < len(self.iterations) and self.iterations[at] == iteration:
            return self[at]
        return None


@dataclass(slots=True)
class TokenTotals:
    """Everything `TokenAnalyzer` reports."""

    token_flow: TokenFlow
    total_cost: float
    #: Iteration -> its LLM calls' cost, in the order iterations first occur.
    cost_by_iteration: Mapping[int, float]
    breakdown: dict[str, int]
    cache_efficiency: float

    @property
    def has_breakdown(self) -> bool:
        """False when the trace records only totals (the real agent writes no breakdown)."""
        return any(self.breakdown.values())


class IterationCosts(Mapping[int, float]):
    """`cost_by_iteration` of a long session as 8-byte columns, not a dict (333,000
    iterations: 29 MB -> 5 MB): the iterations in ascending order with their costs (looked up
    by bisection), and the order they first occur in when it differs (None: the same)."""

    __slots__ = ("_numbers", "_costs", "_order")

    def __init__(self, numbers: array[int], costs: array[float],
                 order: array[int] | None) -> None:
        self._numbers, self._costs, self._order = numbers, costs, order

    def _met(self, column: array[Any]) -> Iterator[Any]:
        """A column's values in the order the iterations first occur."""
        return iter(column) if self._order is None else map(column.__getitem__, self._order)

    def __len__(self) -> int:
        return len(self._numbers)

    def __iter__(self) -> Iterator[int]:
        return self._met(self._numbers)

    def __getitem__(self, iteration: int) -> float:
        k = bisect_left(self._numbers, iteration)
        if k == len(self._numbers) or self._numbers[k] != iteration:
            raise KeyError(iteration)
        return self._costs[k]

    def items(self) -> ItemsView[int, float]:
        return _Pairs(self)

    def values(self) -> ValuesView[float]:
        return _Costs(self)


class _Pairs(ItemsView[int, float]):
    """(iteration, cost) pairs straight from the columns."""

    _mapping: IterationCosts

    def __iter__(self) -> Iterator[tuple[int, float]]:
        costs = self._mapping
        return zip(costs, costs._met(costs._costs), strict=True)


class _Costs(ValuesView[float]):
    """The costs straight from their column."""

    _mapping: IterationCosts

    def __iter__(self) -> Iterator[float]:
        return self._mapping._met(self._mapping._costs)


def token_totals(llm: LlmColumns, iterations: Sequence[int | None],
                 np: Any = None) -> TokenTotals:
    """Aggregate the `llm_response` rows (file order; `iterations` aligned with them, None
    counting as iteration 0, as in Attocode). `np`: numpy, for a large table (the same
    result, computed with whole-column operations)."""
    keys: Sequence[int] = (iterations.numbers_or_0() if isinstance(iterations, Iterations)
                           else [0 if i is None else i for i in iterations])
    costs = llm.cost
    cumulative = array("d", accumulate(costs))
    if np is not None and keys and _fits(llm):
        return _totals(llm, *_flow_numpy(np, llm, keys, cumulative))
    # Integer sums of a run are differences of prefix sums (exact for integers).
    inputs, outputs = prefix_sums(llm.input_tokens), prefix_sums(llm.output_tokens)
    reads, writes = prefix_sums(llm.cache_read_tokens), prefix_sums(llm.cache_write_tokens)
    totals = prefix_sums(_event_totals(llm))
    position: dict[int, int] = {}  # iteration -> its index in the columns below
    # Built as 64-bit columns (no object per value) when the prefix sums are.
    numbers, last_end = array("q"), array("q")
    ins, outs = _column_like(inputs), _column_like(outputs)
    cache_reads, cache_writes, alls = _column_like(reads), _column_like(writes), _column_like(totals)
    by_iteration: dict[int, float] = {}
    for iteration, start, end in _runs(keys):
        at = position.get(iteration)
        if at is None:
            position[iteration] = len(numbers)
            numbers.append(iteration)
            ins.append(inputs[end] - inputs[start])
            outs.append(outputs[end] - outputs[start])
            cache_reads.append(reads[end] - reads[start])
            cache_writes.append(writes[end] - writes[start])
            alls.append(totals[end] - totals[start])
            last_end.append(end)
        else:
            ins[at] += inputs[end] - inputs[start]
            outs[at] += outputs[end] - outputs[start]
            cache_reads[at] += reads[end] - reads[start]
            cache_writes[at] += writes[end] - writes[start]
            alls[at] += totals[end] - totals[start]
            last_end[at] = end
        # Floats are added one by one, in file order, as Attocode adds them.
        by_iteration[iteration] = sum(costs[start:end], by_iteration.get(iteration, 0.0))
    del position
    columns = [numbers, ins, outs, cache_reads, cache_writes, alls,
               [cumulative[end - 1] for end in last_end]]
    if any(map(gt, numbers, numbers[1:])):  # iterations met out of order: sort them
        order = sorted(range(len(numbers)), key=numbers.__getitem__)
        columns = [[column[i] for i in order] for column in columns]
    numbers, ins, outs, cache_reads, cache_writes, alls, costs_so_far = columns
    flow = TokenFlow(_compact(numbers), _compact(ins), _compact(outs), _compact(cache_reads),
                     _compact(cache_writes), _compact(alls), array("d", costs_so_far))
    return _totals(llm, flow, by_iteration)


def _totals(llm: LlmColumns, flow: TokenFlow, by_iteration: Mapping[int, float]) -> TokenTotals:
    breakdown = {"input": sum(llm.input_tokens), "output": sum(llm.output_tokens),
                 "cache_read": sum(llm.cache_read_tokens),
                 "cache_write": sum(llm.cache_write_tokens)}
    denominator = breakdown["input"] + breakdown["cache_read"]
    efficiency = breakdown["cache_read"] / denominator if denominator else 0.0
    return TokenTotals(
        token_flow=flow,
        total_cost=sum(llm.cost),
        cost_by_iteration=by_iteration,
        breakdown=breakdown,
        cache_efficiency=efficiency,
    )


#: numpy sums 64-bit integers: taken only when no sum of a column (or of four) can overflow.
_NUMPY_BOUND = 2**60


def _fits(llm: LlmColumns) -> bool:
    return all(sum(map(abs, column)) < _NUMPY_BOUND for column in (
        llm.tokens, llm.input_tokens, llm.output_tokens, llm.cache_read_tokens,
        llm.cache_write_tokens))


def _flow_numpy(np: Any, llm: LlmColumns, keys: Sequence[int],
                cumulative: array[float]) -> tuple[TokenFlow, IterationCosts]:
    """`token_totals`'s loop as whole-column operations: integer sums by iteration (exact
    in 64 bits, see `_fits`), costs added one by one in file order (`np.add.at` adds in
    index order, as Attocode's loop does)."""
    from attoreport.analysis.columns import as_array, view

    numbers, first, inverse = np.unique(np.array(keys, dtype=np.int64), return_index=True,
                                        return_inverse=True)
    inverse = inverse.reshape(-1)
    size = len(numbers)

    def summed(values: Any) -> Any:
        out = np.zeros(size, dtype=np.int64)
        np.add.at(out, inverse, values)
        return out

    inputs, outputs = view(np, llm.input_tokens), view(np, llm.output_tokens)
    reads, writes = view(np, llm.cache_read_tokens), view(np, llm.cache_write_tokens)
    tokens = view(np, llm.tokens)
    totals = np.where(tokens != 0, tokens, inputs + outputs + reads + writes)
    by_iteration = np.zeros(size, dtype=np.float64)
    np.add.at(by_iteration, inverse, view(np, llm.cost))
    last = np.zeros(size, dtype=np.int64)
    np.maximum.at(last, inverse, np.arange(len(keys), dtype=np.int64))
    flow = TokenFlow(as_array("q", numbers), as_array("q", summed(inputs)),
                     as_array("q", summed(outputs)), as_array("q", summed(reads)),
                     as_array("q", summed(writes)), as_array("q", summed(totals)),
                     as_array("d", view(np, cumulative)[last]))
    met = np.argsort(first, kind="stable")  # the order iterations first occur in
    order = None if bool((met[1:] > met[:-1]).all()) else as_array("q", met)
    return flow, IterationCosts(flow.iterations, as_array("d", by_iteration), order)



def _column_like(prefix: Any) -> Any:
    return array("q") if isinstance(prefix, array) else []


def _compact(values: Any) -> Any:
    """64-bit integers when they fit (8 bytes an entry, not 36), else the list itself."""
    if isinstance(values, array):
        return values
    try:
        return array("q", values)
    except OverflowError:
        return values


def _runs(keys: Sequence[int]) -> Iterator[tuple[int, int, int]]:
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
