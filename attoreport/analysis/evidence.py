"""Did it work? What the trace itself says about the result: the last test and build runs,
the files the agent changed, and tool calls recorded as successes whose output says they
failed (the real agent records "Error: File not found" or "Exit code: 3" so)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress

from attoreport.analysis.columns import rows_of_kinds
from attoreport.model import (
    FLAG_BUILD_COMMAND,
    FLAG_REPORTED_FAILURE,
    FLAG_TEST_COMMAND,
    Session,
)

#: How many of the last test (and build) runs the evidence keeps.
LAST_RUNS = 3
#: `file_change` events whose paths are read for the list of changed files.
FILE_CHANGE_ROWS = 200


@dataclass(frozen=True, slots=True)
class Run:
    """A test or build command the agent ran."""

    row: int
    kind: str  # "test" or "build"
    #: False when the call failed (a tool error, or output that reports a failure).
    passed: bool


@dataclass(frozen=True, slots=True)
class Evidence:
    #: The last test runs and the last build runs, in file order.
    runs: list[Run]
    #: The last test run passed (True), failed (False), or there was none (None).
    tests_passed: bool | None
    #: Files the tool calls wrote or edited (-> writes), bounded, and how many more.
    changed_files: dict[str, int]
    more_changed_files: int
    #: `file_change` events (rows), whose paths the report reads.
    file_change_rows: list[int]
    #: Tool calls recorded as successes whose output reports a failure: beside Attocode's
    #: own count of failed tool calls, never added to it.
    reported_failures: int


def gather(session: Session) -> Evidence:
    table = session.table
    calls = table.tool_calls
    flags = table.flags
    tests: list[Run] = []
    builds: list[Run] = []
    reported = 0
    error_code = table.kind_names.index("tool_error")
    if calls is not None and flags is not None:
        flagged = compress(calls.rows, map(flags.__getitem__, calls.rows))  # most have none
        for row in flagged:
            bits = flags[row]
            if bits & FLAG_REPORTED_FAILURE:
                reported += 1
            if bits & (FLAG_TEST_COMMAND | FLAG_BUILD_COMMAND):
                passed = table.kinds[row] != error_code and not bits & FLAG_REPORTED_FAILURE
                if bits & FLAG_TEST_COMMAND:
                    tests.append(Run(row, "test", passed))
                    del tests[:-LAST_RUNS]
                else:
                    builds.append(Run(row, "build", passed))
                    del builds[:-LAST_RUNS]
    change_code = table.kind_names.index("file_change")
    file_changes = rows_of_kinds(table, (change_code,))
    runs = sorted(tests + builds, key=lambda run: run.row)
    return Evidence(
        runs=runs,
        tests_passed=tests[-1].passed if tests else None,
        changed_files=dict(session.changed_files),
        more_changed_files=session.changed_files_more,
        file_change_rows=file_changes[-FILE_CHANGE_ROWS:],
        reported_failures=reported,
    )
