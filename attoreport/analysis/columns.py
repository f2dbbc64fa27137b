"""Whole-column questions about a session's events (rows of some kinds, counts per kind or
per iteration, the time range), answered at C speed.

A table's columns are `array.array`s. Small tables are answered with C-level builtins
(`compress`, `map`, `Counter`); from `VECTOR_ROWS` rows on, with numpy views of the same
memory (no copy), which answer in a few milliseconds what the builtins take tenths of a
second for. numpy is imported only then: a small trace does not pay for its import. Once it
is imported (by the loader for a large file, or for another session of the same run), tables
from a twelfth of that size on are read through it too.

Both ways give the same answers (tests/test_fast_analysis.py runs both on every fixture);
callers get plain Python values either way. Floating-point sums are never taken here:
Attocode adds its figures one by one in file order, and the analysis does the same.
"""

from __future__ import annotations

import sys
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from itertools import accumulate, compress
from operator import eq
from typing import Any, overload

from attoreport.model import NO_ITERATION, EventTable

#: Tables with this many rows or more are read through numpy (a 100k-event trace's report:
#: 0.89-1.10 -> 0.80-1.01 s, six runs each, the import included); from a twelfth of it on
#: (4,166 rows) when numpy is imported already. The import (0.05-0.1 s) is what a smaller
#: table cannot repay (10k events: 0.04 s slower); the reading itself is about twice as fast
#: from a few thousand rows on (100 sessions of 10,000 events in one file: analysis
#: 0.85-0.93 -> 0.42 s).
VECTOR_ROWS = 50_000

_DTYPES = {"H": "uint16", "B": "uint8", "i": "int32", "q": "int64", "d": "float64"}


def numpy_for(table: EventTable) -> Any | None:
    """The numpy module when the table is large enough to be read through it, else None."""
    rows = len(table)
    if rows < VECTOR_ROWS:
        return sys.modules.get("numpy") if rows >= VECTOR_ROWS // 12 else None
    import numpy

    return numpy


def view(np: Any, column: Any) -> Any:
    """A numpy array over an `array.array` column's memory, not a copy (written through
    only to fill a column just made)."""
    return np.frombuffer(column, dtype=_DTYPES[column.typecode])


def as_array(typecode: str, values: Any) -> array[Any]:
    """A numpy array's values as an `array.array` of `typecode` (Python numbers when
    indexed; converted to the type as numpy's astype converts).

    Copied once, into the new column's memory: through `tobytes` (and `astype` when the
    type differed), a column of half a million spans was three copies at once."""
    column = array(typecode, [0]) * len(values)
    if len(values):
        sys.modules["numpy"].frombuffer(column, dtype=_DTYPES[typecode])[:] = values
    return column


def below(np: Any, bound: int, *columns: array[int]) -> bool:
    """Whether every value of these integer columns is within ±`bound` (strictly)."""
    return all(not len(c) or (abs(int(view(np, c).min())) < bound
                              and abs(int(view(np, c).max())) < bound) for c in columns)


class Iterations(Sequence[int | None]):
    """Iteration numbers, None for none: 8 bytes each (NO_ITERATION for None), not a
    Python integer each (a million LLM calls in 100,000 iterations: 40 MB -> 8 MB)."""

    __slots__ = ("values",)

    def __init__(self, values: array[int]) -> None:
        #: The numbers as the table's column holds them (NO_ITERATION: none).
        self.values = values

    @classmethod
    def of_rows(cls, table: EventTable, rows: array[int]) -> Iterations:
        """The iterations of these rows of the table."""
        np = numpy_for(table)
        if np is None:
            return cls(array("q", map(table.iterations.__getitem__, rows)))
        return cls(as_array("q", view(np, table.iterations)[view(np, rows)]))

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[int | None]:
        return (None if i == NO_ITERATION else i for i in self.values)

    @overload
    def __getitem__(self, index: int) -> int | None: ...

    @overload
    def __getitem__(self, index: slice) -> list[int | None]: ...

    def __getitem__(self, index: int | slice) -> int | None | list[int | None]:
        if isinstance(index, slice):
            return [None if i == NO_ITERATION else i for i in self.values[index]]
        value = self.values[index]
        return None if value == NO_ITERATION else value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Iterations):
            return self.values == other.values
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def numbers_or_0(self) -> array[int]:
        """The numbers, 0 for None (Attocode counts a call outside any iteration as in 0)."""
        values = self.values
        if NO_ITERATION not in values:
            return values
        return array("q", (0 if i == NO_ITERATION else i for i in values))


def kind_mask(np: Any, table: EventTable, codes: Collection[int]) -> Any:
    """Boolean array: the row's kind is one of `codes`."""
    lookup = np.zeros(max(len(table.kind_names), max(codes, default=0) + 1), dtype=bool)
    lookup[list(codes)] = True
    return lookup[view(np, table.kinds)]


def rows_of_kinds(table: EventTable, codes: Collection[int]) -> list[int]:
    """Rows whose kind is one of `codes`, in file order."""
    np = numpy_for(table)
    if np is None:
        wanted = set(codes)
        return list(compress(range(len(table.kinds)), map(wanted.__contains__, table.kinds)))
    return np.flatnonzero(kind_mask(np, table, codes)).tolist()  # type: ignore[no-any-return]


def kind_counts(table: EventTable) -> dict[int, int]:
    """Kind code -> number of rows (codes that occur only)."""
    np = numpy_for(table)
    if np is None:
        return dict(Counter(table.kinds))
    counts = np.bincount(view(np, table.kinds))
    return {code: int(n) for code, n in enumerate(counts.tolist()) if n}


def counts_by_iteration(table: EventTable, codes: Collection[int] | None = None,
                        ) -> dict[int, int]:
    """Iteration -> rows in it (only rows of these kinds, when given), ascending; rows
    without an iteration are left out."""
    np = numpy_for(table)
    if np is None:
        iterations = table.iterations
        if codes is not None:
            wanted = set(codes)
            iterations = compress(iterations, map(wanted.__contains__, table.kinds))
        counts = Counter(iterations)
        counts.pop(NO_ITERATION, None)
        return dict(sorted(counts.items()))
    iterations = view(np, table.iterations)
    if codes is not None:
        iterations = iterations[kind_mask(np, table, codes)]
    iterations = iterations[iterations != NO_ITERATION]
    numbers, counts = np.unique(iterations, return_counts=True)
    return dict(zip(numbers.tolist(), counts.tolist(), strict=True))


def first_timestamps(table: EventTable) -> dict[int, float]:
    """Iteration -> timestamp of its first row that has one (rows without an iteration
    left out)."""
    np = numpy_for(table)
    if np is None:
        iterations, timestamps = table.iterations, table.timestamps
        if table.missing_timestamps:
            known = list(map(eq, timestamps, timestamps))
            iterations = list(compress(iterations, known))
            timestamps = list(compress(timestamps, known))
        # The last write of each key, walking backwards, is its first row.
        found = dict(zip(reversed(iterations), reversed(timestamps), strict=True))
        found.pop(NO_ITERATION, None)
        return found
    iterations, timestamps = view(np, table.iterations), view(np, table.timestamps)
    keep = iterations != NO_ITERATION
    if table.missing_timestamps:
        keep &= ~np.isnan(timestamps)
    iterations, timestamps = iterations[keep], timestamps[keep]
    numbers, first = np.unique(iterations, return_index=True)
    return dict(zip(numbers.tolist(), timestamps[first].tolist(), strict=True))


def time_range(table: EventTable) -> tuple[float, float] | None:
    """(first, last) timestamp of the rows that have one, or None."""
    stamps = table.timestamps
    np = numpy_for(table)
    if np is None:
        if table.missing_timestamps:
            known = [t for t in stamps if t == t]
            return (min(known), max(known)) if known else None
        return (min(stamps), max(stamps)) if len(stamps) else None
    values = view(np, stamps)
    if table.missing_timestamps:
        values = values[~np.isnan(values)]
    if not len(values):
        return None
    return float(values.min()), float(values.max())


def max_iteration(table: EventTable) -> int | None:
    """The largest iteration number (None for an empty table)."""
    if not len(table.iterations):
        return None
    np = numpy_for(table)
    if np is None:
        return max(table.iterations)
    return int(view(np, table.iterations).max())


def prefix_sums(values: Iterable[int]) -> Any:
    """Prefix sums from 0 (`[0, v0, v0 + v1, …]`): 64-bit integers when they cannot overflow
    (8 bytes an entry, not 36), else Python integers."""
    items = values if isinstance(values, Sequence) else list(values)
    if sum(map(abs, items)) < 2**63:
        return array("q", accumulate(items, initial=0))
    return [0, *accumulate(items)]
