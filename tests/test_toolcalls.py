"""Tool calls in words: main argument, result excerpt, reported failures, test/build commands,
test results and written files, on the real fixture traces and on hostile values."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attoreport import toolcalls
from attoreport.toolcalls import (
    ELLIPSIS,
    MAX_CHARS,
    MAX_PATH_CHARS,
    WINDOW,
    command_kind,
    main_argument,
    reported_failure,
    result_excerpt,
    test_result,
    tool_role,
    written_file,
    written_files,
)
from tests.conftest import FIXTURES, SAMPLES

SUCCESS_KINDS = ("tool", "tool_end", "tool.complete")
CALL_KINDS = SUCCESS_KINDS + ("tool_error", "tool.error")


def tool_calls(trace: Path) -> Iterator[tuple[str, Any, Any, Any]]:
    """(kind, tool, args, result or error) of every tool call in a fixture trace."""
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            raw = json.loads(line)
        except ValueError:
            continue
        if not isinstance(raw, dict):
            continue
        kind = raw.get("kind", raw.get("type"))
        data = raw.get("data", {}) if "kind" in raw else raw
        if kind in CALL_KINDS and isinstance(data, dict):
            outcome = data.get("result") if kind in SUCCESS_KINDS else data.get("error")
            yield kind, data.get("tool"), data.get("args"), outcome


def calls_of(name: str) -> list[tuple[str, Any, Any, Any]]:
    return list(tool_calls(next(FIXTURES.glob(f"*/{name}.jsonl"))))


# --- main argument ----------------------------------------------------------------------------

#: Claude Code's `input_summary` strings as attoswarm writes them (cut at 200 characters),
#: copied from /work/shared/traces/swarm/*/.agent/hybrid-swarm/agents/*.trace.jsonl.
CLAUDE_WRITE = ('{"file_path": "/home/dev/projects/swarm-budget/project/invtrack/pricing.py", '
                '"content": "\\"\\"\\"Create a pricing module.\\"\\"\\"\\nfrom __future__ import '
                'annotations\\n\\n\\ndef clamp_price(value, low, high)')
CLAUDE_EDIT = ('{"replace_all": false, "file_path": "/home/dev/projects/swarm-clean/project/invtrack/'
               'models.py", "old_string": "    return problems", "new_string": "    return problems'
               '\\n\\n\\ndef clamp_qty(value, low, ')
CLAUDE_TODO = ('{"todos": [{"content": "Read invtrack/discounts.py and related code", "status": '
               '"in_progress", "activeForm": "Reading invtrack/discounts.py and related code"}, '
               '{"content": "Implement changes in invtra')
CLAUDE_AGENT = ('{"description": "Explore codebase structure", "subagent_type": "Explore", "prompt": '
                '"Explore this codebase thoroughly. I need to understand:\\n\\n1. The overall '
                'project structure\\n2. How invtrack/export')
PATCH = """*** Begin Patch
*** Update File: src/app.py
@@
-print(len(items))
+print(len(items), 'items')
*** Add File: docs/notes.md
+hello
*** End Patch"""
UNIFIED_DIFF = """diff --git a/old.txt b/old.txt
deleted file mode 100644
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-gone
--- a/src/util.py
+++ b/src/util.py
@@ -1 +1 @@
-x
+y
"""

MAIN_ARGUMENTS = [
    # the real agent (tests/fixtures/agent)
    ("bash", {"command": "ls config"}, "ls config"),
    ("bash", {"command": "python3 -c \"print(sum(1 for _ in open('items.csv')) - 1)\""},
     "python3 -c \"print(sum(1 for _ in open('items.csv')) - 1)\""),
    ("read_file", {"path": "docs/design.md", "offset": 0, "limit": 40}, "docs/design.md"),
    ("write_file", {"path": "NOTES.md", "content": "# Notes\n\n- `src/app.py` loads"}, "NOTES.md"),
    ("edit_file", {"path": "README.md", "old_string": "Small demo service",
                   "new_string": "Small demo inventory service"}, "README.md"),
    ("list_files", {"path": "."}, "."),
    ("grep", {"pattern": "line 1[0-9]"}, "line 1[0-9]"),
    ("glob_files", {"pattern": "**/*4*"}, "**/*4*"),
    ("search_code", {"query": "def load_items"}, "def load_items"),
    ("run_tests", None, ""),
    ("read_file", None, ""),
    # the collector family
    ("grep", {"pattern": "def export", "path": "acme_cli"}, "def export in acme_cli"),
    ("spawn_agent", {"task": "Download and cluster failure logs for runs 1-10",
                     "max_iterations": 15}, "Download and cluster failure logs for runs 1-10"),
    ("mcp__github__search_code", {"q": "PaymentGateway repo:acme/billing"},
     "PaymentGateway repo:acme/billing"),
    # Claude Code, arguments as parsed JSON and as attoswarm's cut `input_summary` strings
    ("Bash", '{"command": "ls -la /home/dev/projects/swarm-clean/project", "description": '
             '"List project directory contents"}', "ls -la /home/dev/projects/swarm-clean/project"),
    ("Read", '{"file_path": "/home/dev/projects/swarm-clean/project/README.md"}',
     "/home/dev/projects/swarm-clean/project/README.md"),
    ("Grep", '{"pattern": "def pricin", "path": "/home/dev/projects/swarm-budget/project", '
             '"output_mode": "files_with_matches"}', "def pricin in /home/dev/projects/swarm-budget/project"),
    ("Glob", {"pattern": "**/*.py", "path": "/p"}, "**/*.py in /p"),
    ("Write", CLAUDE_WRITE, "/home/dev/projects/swarm-budget/project/invtrack/pricing.py"),
    ("Edit", CLAUDE_EDIT, "/home/dev/projects/swarm-clean/project/invtrack/models.py"),
    ("Agent", CLAUDE_AGENT, "Explore codebase structure"),
    ("TodoWrite", CLAUDE_TODO, ""),  # nothing at the top level but a list
    ("ToolSearch", '{"query": "select:TodoWrite", "max_results": 1}', "select:TodoWrite"),
    ("WebFetch", {"url": "https://example.com/docs", "prompt": "summarise"}, "https://example.com/docs"),
    ("WebSearch", {"query": "pytest exit codes"}, "pytest exit codes"),
    ("Task", {"description": "Find flaky tests", "prompt": "Look at CI logs..."}, "Find flaky tests"),
    # Codex and the text editor tool
    ("shell", {"command": ["bash", "-lc", "pytest -q"], "workdir": "/w"}, "pytest -q"),
    ("shell", {"command": ["git", "commit", "-m", "fix it"]}, "git commit -m 'fix it'"),
    ("apply_patch", {"input": PATCH}, "src/app.py (+1 more)"),
    ("apply_patch", PATCH, "src/app.py (+1 more)"),
    ("str_replace_based_edit_tool", {"command": "view", "path": "/repo/a.py"}, "view /repo/a.py"),
    ("run_shell_command", {"command": "make test", "description": "run"}, "make test"),
    ("functions.bash", {"cmd": "echo hi"}, "echo hi"),
    ("unknown_tool", {"n": 3, "label": "first", "other": "second"}, "first"),
    ("unknown_tool", ["positional", 2], "positional"),
    ("unknown_tool", "plain words", "plain words"),
    ("unknown_tool", {"n": 3, "flag": True}, ""),
    ("bash", {"command": "   "}, ""),
    ("bash", "{ make; } 2>&1", "{ make; } 2>&1"),  # a plain-text command, not JSON
    ("bash", "{}", ""),
    ("bash", {"command": "cd repo &&\n   pytest\t-q"}, "cd repo && pytest -q"),
]


@pytest.mark.parametrize(("tool", "args", "expected"), MAIN_ARGUMENTS,
                         ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(MAIN_ARGUMENTS)])
def test_main_argument(tool: str, args: Any, expected: str) -> None:
    assert main_argument(tool, args) == expected


def test_main_argument_of_every_fixture_tool_call_is_its_command_or_path() -> None:
    for trace in sorted(FIXTURES.glob("*/*.jsonl")):
        for _, tool, args, _ in tool_calls(trace):
            shown = main_argument(tool, args)
            if isinstance(args, dict) and isinstance(args.get("command"), str):
                assert shown == " ".join(args["command"].split())[:MAX_CHARS].rstrip() + (
                    ELLIPSIS if len(" ".join(args["command"].split())) > MAX_CHARS else "")
            elif isinstance(args, dict) and isinstance(args.get("path"), str) and tool != "grep":
                assert shown == args["path"], (trace.name, tool, args)


def test_main_argument_is_bounded_and_a_long_path_keeps_its_end() -> None:
    command = "python -m pytest " + " ".join(f"tests/test_{i}.py" for i in range(100))
    shown = main_argument("bash", {"command": command})
    assert len(shown) == MAX_CHARS + 1 and shown.endswith(ELLIPSIS)
    assert shown.startswith("python -m pytest tests/test_0.py")
    path = "/very/" + "deep/" * 60 + "models.py"
    shown = main_argument("read_file", {"path": path})
    assert shown.startswith(ELLIPSIS) and shown.endswith("/deep/models.py")
    assert len(shown) == MAX_CHARS + 1


def test_cut_claude_code_value_is_marked_as_cut() -> None:
    shown = main_argument("Agent", '{"prompt": "Explore this codebase thoroughly. I need')
    assert shown == "Explore this codebase thoroughly. I need" + ELLIPSIS


# --- result excerpt ---------------------------------------------------------------------------

RESULT_EXCERPTS = [
    ("     1\t# inventory-service\n     2\t\n     3\tSmall demo service used for agent traces.\n",
     "# inventory-service"),
    ("\n\n     1\t\n     2\timport csv\n", "import csv"),
    ("     1→from util import load_items\n", "from util import load_items"),
    ("Exit code: 2\nSTDERR:\nls: cannot access 'config': No such file or directory",
     "Exit code: 2 · ls: cannot access 'config': No such file or directory"),
    ("Exit code: 1\n", "Exit code: 1"),
    ("Error: File not found: /home/dev/projects/agent-doom-loop/config/settings.yaml",
     "Error: File not found: /home/dev/projects/agent-doom-loop/config/settings.yaml"),
    ("STDERR:\nwarning: skipped", "warning: skipped"),
    ("========== test session starts ==========\nplatform linux", "test session starts"),
    ("==========\n----\n1 passed in 0.38s", "1 passed in 0.38s"),
    ("3", "3"),
    ("\x1b[31mFAILED\x1b[0m tests/x.py", "FAILED tests/x.py"),
    ("", ""),
    ("   \n\t\n", ""),
    (None, ""),
    (42, ""),
    ({"stdout": "ok"}, ""),
    (["a"], ""),
]


@pytest.mark.parametrize(("text", "expected"), RESULT_EXCERPTS)
def test_result_excerpt(text: Any, expected: str) -> None:
    assert result_excerpt(text) == expected


def test_result_excerpt_is_one_bounded_line() -> None:
    long_line = "word " * 500
    excerpt = result_excerpt(long_line + "\nsecond line")
    assert len(excerpt) <= MAX_CHARS + 1 and excerpt.endswith(ELLIPSIS)
    assert "second" not in excerpt
    assert result_excerpt("x" * 100_000) == "x" * MAX_CHARS + ELLIPSIS


def test_result_excerpts_of_the_fixture_traces() -> None:
    excerpts = Counter(result_excerpt(outcome) for _, _, _, outcome in calls_of("agent-doom-loop"))
    assert excerpts["Exit code: 2 · ls: cannot access 'config': No such file or directory"] == 3
    assert excerpts["Error: File not found: /home/dev/projects/agent-doom-loop/config/settings.yaml"] == 5
    assert excerpts["from util import load_items"] == 1


# --- reported failures ------------------------------------------------------------------------

#: Fixture trace -> how many of its calls recorded as successes report a failure.
#: Checked by hand: agent-doom-loop's 5 `read_file config/settings.yaml` return "Error: File not
#: found: …" and its 3 `bash ls config` return "Exit code: 2"; collector-doom-loop's `pytest -q`
#: returns "1 failed, 211 passed in 47.81s" (damaged-blank-lines is a copy of it). The
#: subagents' `gh run view --log-failed` calls print FAILED lines of CI logs: not failures.
REPORTED_FAILURES = {
    "agent-budget-exhausted": 0, "agent-doom-loop": 8, "agent-llm-auth-error": 0,
    "agent-normal-task": 0, "agent-tool-errors": 0,
    "collector-all-kinds-markdown-goal": 0, "collector-clean-feature": 0,
    "collector-context-pressure": 0, "collector-crashed-open-session": 0,
    "collector-doom-loop-tool-errors": 1, "collector-spinning-research": 0,
    "collector-subagents-hierarchy": 0, "collector-swarm-run": 0,
    "damaged-blank-lines": 1, "damaged-garbage-lines": 0, "damaged-non-object-line": 0,
    "damaged-tokens-as-string": 0, "damaged-truncated-last-line": 0, "damaged-unknown-kind": 0,
    "legacy-basic-session": 0, "legacy-open-mixed-types": 0, "hostile-payloads": 0,
}


@pytest.mark.parametrize("trace", sorted(FIXTURES.glob("*/*.jsonl")), ids=lambda p: p.stem)
def test_reported_failures_per_fixture_trace(trace: Path) -> None:
    found = [reported_failure(tool, outcome, args) for kind, tool, args, outcome
             in tool_calls(trace) if kind in SUCCESS_KINDS]
    assert sum(1 for reason in found if reason) == REPORTED_FAILURES[trace.stem]
    # the reason does not depend on whether the arguments are passed
    assert found == [reported_failure(tool, outcome) for kind, tool, _, outcome
                     in tool_calls(trace) if kind in SUCCESS_KINDS]


def test_reported_failure_reasons_in_the_agent_doom_loop() -> None:
    reasons = Counter(reported_failure(tool, outcome, args)
                      for kind, tool, args, outcome in calls_of("agent-doom-loop")
                      if kind in SUCCESS_KINDS)
    assert reasons == Counter({"error message": 5, "exit code 2": 3, None: 2})


def test_reported_failure_of_the_collector_doom_loop_full_run() -> None:
    full_runs = [(tool, args, outcome) for kind, tool, args, outcome
                 in calls_of("collector-doom-loop-tool-errors")
                 if kind in SUCCESS_KINDS and args == {"command": "pytest -q"}]
    assert [reported_failure(*call[:1], call[2], call[1]) for call in full_runs] == ["tests failed"]


PYTEST_FAILED = """============================= test session starts ==============================
collected 4 items

test_a.py .F.F                                                           [100%]

=========================== short test summary info ============================
FAILED test_a.py::test_bad - assert 52 == 53
FAILED test_a.py::T::test_y - AssertionError: 1 != 2
========================= 2 failed, 2 passed in 2.24s =========================="""
TRACEBACK = """Traceback (most recent call last):
  File "/w/run.py", line 3, in <module>
    main()
ValueError: bad input"""

FAILURES = [
    # Attocode's own tool messages (file tools: any `Error:` start)
    ("read_file", "Error: File not found: /w/config/settings.yaml", "error message"),
    ("read_file", "Error reading file: [Errno 21] Is a directory", "error message"),
    ("edit_file", "Error: old_string not found in /w/README.md", "error message"),
    ("edit_file", "Error: old_string appears 3 times in /w/a.py. Use replace_all=true", "error message"),
    ("edit_file", "old_string not found in dates/parse.py", "error message"),
    ("write_file", "Error writing file: [Errno 13] Permission denied: '/etc/x'", "error message"),
    ("list_files", "Error: Directory not found: /w/nope", "error message"),
    ("glob_files", "Error: [Errno 2] No such file or directory", "error message"),
    ("spawn_agent", "Error spawning subagent: ProviderError 529", "error message"),
    ("mcp__github__create_issue", "ERROR: 422 Validation Failed", "error message"),
    ("mcp__db__query", "sqlite3.OperationalError: no such table: x", "error message"),
    ("mcp__db__query", "UndefinedTable: relation x does not exist", None),
    ("Read", "File does not exist.", None),
    ("Edit", "No such file or directory: /w/a.py", "error message"),
    # bash: exit codes (first line, Attocode's header; or a last `[exit code: N]` line)
    ("bash", "Exit code: 3\n", "exit code 3"),
    ("bash", "Exit code: 2\nSTDERR:\nls: cannot access 'config': No such file or directory",
     "exit code 2"),
    ("bash", "Exit code: -9\nKilled", "exit code -9"),
    ("bash", "Exit code: 1\n" + PYTEST_FAILED, "tests failed"),
    ("bash", "building...\ndone with errors\n[exit code: 1]", "exit code 1"),
    ("bash", "Error: Command timed out after 120s", "error message"),
    ("bash", "Error executing command: [Errno 2] No such file or directory: 'bash'",
     "error message"),
    ("bash", "Error: Working directory does not exist: /w/gone", "error message"),
    ("bash", "bash: line 1: pytset: command not found", "command not found"),
    ("bash", "/bin/sh: 1: pytset: not found", "command not found"),
    ("bash", "STDERR:\nzsh: command not found: foo", "command not found"),
    ("bash", PYTEST_FAILED, "tests failed"),
    ("bash", "1 failed, 211 passed in 47.81s", "tests failed"),
    ("bash", "\x1b[31m\x1b[1m2 failed\x1b[0m, \x1b[32m2 passed\x1b[0m\x1b[31m in 3.91s\x1b[0m",
     "tests failed"),
    ("bash", "1 error in 4.27s", "tests failed"),
    ("bash", "Ran 2 tests in 0.001s\n\nFAILED (failures=1)", "tests failed"),
    ("bash", "test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; "
             "finished in 0.22s\n\nerror: test failed, to rerun pass `--lib`", "tests failed"),
    ("bash", TRACEBACK, "traceback"),
    ("bash", "STDERR:\n" + TRACEBACK, "traceback"),
    ("bash", "Segmentation fault (core dumped)", "crashed"),
    ("write_file", "java.io.IOException: disk full", "error message"),
    ("bash", "loading the model\nKilled\n", "crashed"),
    ("bash", "starting\n./run.sh: line 3:  4242 Aborted                 (core dumped) ./app",
     "crashed"),
    ("bash", "checking\nAborted", "crashed"),
    ("bash", "C:\\w> pytset\n'pytset' is not recognized as an internal or external command,",
     "command not found"),
    ("run_tests", "3 failed, 12 passed in 4.2s", "tests failed"),
]

NOT_FAILURES = [
    # file content is never a failure, whatever it says
    ("read_file", "     1\tError: this file documents errors\n     2\tExit code: 3\n"),
    ("read_file", "     1\tTraceback (most recent call last):\n     2\tValueError: x\n"),
    ("Read", "     1→Error: config missing\n"),
    ("bash", "     1\tbash: line 1: foo: command not found\n     2\t1 failed in 2s\n"),  # cat -n
    ("read_file", "ERROR: a log line without gutter\n"),  # only Attocode's `Error:` form counts
    ("read_file", "     1\tfrom util import load_items\n"),
    ("WebFetch", "fatal: a page about git errors"),
    # exit code 0 is success
    ("bash", "Exit code: 0\nError: printed by the program\n1 failed"),
    ("bash", "all good\n[exit code: 0]"),
    # a program printing errors, with no exit code header, succeeded (Attocode omits code 0)
    ("bash", "Error: printed by a program that then exited 0"),
    ("bash", "error: this is what grep found"),
    ("bash", "3"),
    ("bash", "(no output)"),
    ("bash", "48 passed in 6.02s"),
    ("bash", "no tests ran in 0.01s"),
    ("bash", "test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out"),
    ("bash", "Ran 5 tests in 0.010s\n\nOK"),
    ("bash", "Successfully installed payment-gateway-2.1.0"),
    ("bash", "FAILED tests/test_net.py::test_timeout (sub-logs-1)"),  # a log line, no summary
    ("bash", "  File \"x.py\", line 1\nTraceback (most recent call last): was fixed\nall ok"),
    ("grep", "docs/design.md:13: line 10: retry sku error sku warehouse"),
    ("grep", "src/errors.py:3:Error: raised when"),
    ("glob_files", "No matches found"),
    ("write_file", "Successfully wrote 90 bytes to /w/NOTES.md"),
    ("edit_file", "Successfully edited /w/README.md"),
    ("spawn_agent", "7/10 failures are tests/test_net.py::test_timeout"),
    ("unknown", "Error rate: 0%"),
    ("bash", ""),
    ("bash", None),
    ("bash", 3),
    ("bash", ["Error: x"]),
]


@pytest.mark.parametrize(("tool", "result", "reason"), FAILURES)
def test_reported_failure(tool: str, result: str, reason: str | None) -> None:
    assert reported_failure(tool, result) == reason


@pytest.mark.parametrize(("tool", "result"), NOT_FAILURES)
def test_not_a_reported_failure(tool: str, result: Any) -> None:
    assert reported_failure(tool, result) is None


def test_output_of_commands_that_show_text_is_not_judged_by_its_summary() -> None:
    log = "collected 3 items\n1 failed, 2 passed in 1.0s"
    assert reported_failure("bash", log, {"command": "cat ci.log"}) is None
    assert reported_failure("bash", log, {"command": "cd w && gh run view 981 --log"}) is None
    assert reported_failure("bash", TRACEBACK, {"command": "tail -5 crash.log"}) is None
    assert reported_failure("bash", log, {"command": "cd w && ./ci.sh"}) == "tests failed"
    assert reported_failure("bash", log, {"command": "pytest -q | tail -3"}) == "tests failed"
    # an exit code is a failure whatever the command
    assert reported_failure("bash", "Exit code: 1\n" + log, {"command": "cat x"}) == "exit code 1"


@pytest.mark.parametrize(("result", "reason"), [
    ({"exit_code": 2, "stdout": ""}, "exit code 2"),
    ({"returncode": 0, "stdout": "ok"}, None),
    ({"returncode": 0, "stdout": "Exit code: 5"}, "exit code 5"),
    ({"isError": True, "content": [{"type": "text", "text": "boom"}]}, "error message"),
    ({"success": False}, "error message"),
    ({"error": "connection refused"}, "error message"),
    ({"error": ""}, None),
    ({"exit_code": True}, None),
    ({"exit_code": 10**400}, "exit code"),
    ({"output": "1 failed, 1 passed in 0.1s"}, "tests failed"),
])
def test_reported_failure_of_a_structured_result(result: dict[str, Any], reason: str | None) -> None:
    assert reported_failure("bash", result) == reason


# --- test and build commands ------------------------------------------------------------------

COMMAND_KINDS = [
    ("pytest -q", "test"),
    ("pytest tests/test_dates.py::test_parse_iso_week -x -q", "test"),
    ("python -m pytest -q 2>&1 | tail -5", "test"),
    ("python3.12 -m pytest", "test"),
    (".venv/bin/python -m pytest tests", "test"),
    ("cd repo && PYTHONPATH=src pytest", "test"),
    ("uv run pytest -x", "test"),
    ("poetry run pytest", "test"),
    ("timeout 60 pytest", "test"),
    ("time npm test", "test"),
    ("npm run test:unit", "test"),
    ("yarn test", "test"),
    ("pnpm test", "test"),
    ("bun test", "test"),
    ("npx jest --ci", "test"),
    ("npx vitest run", "test"),
    ("cargo test --all", "test"),
    ("go test ./...", "test"),
    ("tox -e py311", "test"),
    ("make test", "test"),
    ("make -C sub check", "test"),
    ("python -m unittest discover", "test"),
    ("python manage.py test", "test"),
    ("mvn -q test", "test"),
    ("./gradlew test", "test"),
    ("dotnet test", "test"),
    ("bundle exec rspec", "test"),
    ("bash -lc 'pytest -q'", "test"),
    ("make", "build"),
    ("make -j4", "build"),
    ("cargo build --release", "build"),
    ("npm run build", "build"),
    ("tsc -p .", "build"),
    ("python -m build", "build"),
    ("mvn package", "build"),
    ("gradle assemble", "build"),
    ("go build ./cmd/x", "build"),
    ("docker build -t x .", "build"),
    ("cmake --build build", "build"),
    ("python -m py_compile textkit/summary.py", "build"),
    ("mypy src", "typecheck"),
    ("pyright", "typecheck"),
    ("npx tsc --noEmit", "typecheck"),
    ("npm run typecheck", "typecheck"),
    ("ruff check .", "lint"),
    ("flake8", "lint"),
    ("npx eslint src", "lint"),
    ("cargo clippy", "lint"),
    ("black --check .", "lint"),
    ("ruff check . && mypy src && pytest", "test"),
    ("npm run build && npm run lint", "build"),
    ("echo " + "x" * 600 + " && pytest -q", "test"),  # longer than what is remembered
    # not test or build
    ("ls config", None),
    ("python3 -c \"print(sum(1 for _ in open('items.csv')) - 1)\"", None),
    ("python -m pytest -q --co 2>&1 | tail -3", None),
    ("pip install pytest", None),
    ("grep -rn pytest .", None),
    ("echo 'make test && pytest'", None),
    ("git commit -m 'fix dates; cargo test --all'", None),
    ("cat Makefile", None),
    ("git commit -m 'run pytest'", None),
    ("test -f setup.py", None),
    ("command -v pytest", None),
    ("python script.py --test", None),
    ("python -c 'import pytest'", None),
    ("python tests/runtests.py", "test"),
    ("./scripts/test.sh", "test"),
    ("black .", None),
    ("npm install", None),
    ("go run .", None),
    ("make clean", None),
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("command", "kind"), COMMAND_KINDS)
def test_command_kind(command: str, kind: str | None) -> None:
    assert command_kind(command) == kind


@pytest.mark.parametrize("value", [None, 3, 2.5, True, {"command": "pytest"}, ["ls"], "\ud800"])
def test_command_kind_of_other_values(value: Any) -> None:
    assert command_kind(value) is None


def test_command_kind_of_an_argv_list() -> None:
    assert command_kind(["bash", "-lc", "cargo test"]) == "test"
    assert command_kind(["pytest", "-q"]) == "test"


# --- test results -----------------------------------------------------------------------------

GO_OUTPUT = ("--- FAIL: TestParse (0.00s)\nFAIL\nFAIL\texample.com/dates\t0.012s\n"
             "ok  \texample.com/util\t0.003s\n")

TEST_RESULTS = [
    # the collector fixtures
    ("1 passed in 0.38s", "1 passed"),
    ("1 failed, 211 passed in 47.81s", "1 failed, 211 passed"),
    ("27 passed in 41.07s", "27 passed"),
    ("1 failed", "1 failed"),
    ("Exit code: 1\n1 failed, 9 passed", "1 failed, 9 passed"),
    ("FAILED tests/test_dates.py::test_parse_iso_week - AssertionError: assert 52 == 53",
     "FAILED tests/test_dates.py::test_parse_iso_week - AssertionError: assert 52 == 53"),
    # real runner output (pytest 9, unittest, node --test, cargo 1.9x)
    (PYTEST_FAILED, "2 failed, 2 passed"),
    ("test_b.py .                                                              [100%]\n\n"
     "============================== 1 passed in 2.43s ===============================\n",
     "1 passed"),
    ("\x1b[31m\x1b[31m\x1b[1m2 failed\x1b[0m, \x1b[32m2 passed\x1b[0m\x1b[31m in 3.91s\x1b[0m\x1b[0m",
     "2 failed, 2 passed"),
    ("ERROR test_c.py\n!!!!!!!! Interrupted: 1 error during collection !!!!!!!!\n1 error in 4.27s",
     "1 error"),
    ("==== 3 passed, 1 skipped, 2 warnings in 0.50s (0:00:00) ====", "3 passed, 1 skipped, 2 warnings"),
    ("no tests ran in 0.01s", "no tests ran"),
    ("----------------------------------------------------------------------\n"
     "Ran 2 tests in 0.001s\n\nFAILED (failures=1)\n", "FAILED (2 tests, failures=1)"),
    ("Ran 5 tests in 0.010s\n\nOK\n", "OK (5 tests)"),
    ("Ran 5 tests in 0.010s\n\nOK (skipped=1)\n", "OK (5 tests, skipped=1)"),
    ("TAP version 13\n1..2\n# tests 2\n# suites 0\n# pass 1\n# fail 1\n# cancelled 0\n",
     "1 passed, 1 failed"),
    ("failures:\n    b\n\ntest result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered "
     "out; finished in 0.22s\n\nerror: test failed, to rerun pass `--lib`",
     "FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"),
    # other runners' summary lines
    ("Tests:       1 failed, 4 passed, 5 total\nSnapshots:   0 total\nTime:        1.2 s",
     "1 failed, 4 passed, 5 total"),
    (" Test Files  1 passed (1)\n      Tests  4 passed (4)\n   Start at  10:00:00", "4 passed (4)"),
    ("  5 passing (20ms)\n  1 failing\n\n  1) suite\n     fails:\n     Error: x", "5 passing, 1 failing"),
    (GO_OUTPUT, "FAIL (1 of 2 packages)"),
    ("ok  \texample.com/util\t0.003s\n", "ok example.com/util"),
    ("Finished in 0.1 seconds\n5 examples, 0 failures\n", "5 examples, 0 failures"),
    ("OK (5 tests, 10 assertions)", "OK (5 tests, 10 assertions)"),
    ("[INFO] Tests run: 5, Failures: 1, Errors: 0, Skipped: 0",
     "Tests run: 5, Failures: 1, Errors: 0, Skipped: 0"),
    ("Failed!  - Failed:     1, Passed:     4, Skipped:     0, Total:     5",
     "Failed! - Failed: 1, Passed: 4, Skipped: 0, Total: 5"),
    # nothing stated
    ("ok", None),
    ("3", None),
    ("collected 12 items", None),
    ("OK", None),
    ("", None),
    (None, None),
    ({"stdout": "1 passed"}, None),
]


@pytest.mark.parametrize(("text", "summary"), TEST_RESULTS)
def test_test_result(text: Any, summary: str | None) -> None:
    assert test_result(text) == summary


def test_the_doom_loop_sample_ends_with_a_passing_test_run() -> None:
    runs = [(outcome, test_result(outcome)) for kind, _, args, outcome
            in tool_calls(SAMPLES / "collector-doom-loop-tool-errors.jsonl")
            if isinstance(args, dict) and command_kind(args.get("command")) == "test"]
    assert [summary for _, summary in runs][-2:] == ["1 failed, 211 passed", "1 passed"]
    assert len(runs) == 6


def test_failed_test_lines_say_how_many_more() -> None:
    assert test_result("FAILED a.py::x - e\nFAILED a.py::y - e\n") == "FAILED a.py::x - e (+1 more)"
    assert test_result("--- FAIL: TestA (0.00s)\n--- FAIL: TestB (0.00s)\n") == "FAIL TestA (+1 more)"


# --- written files ----------------------------------------------------------------------------

WRITTEN = [
    ("write_file", {"path": "NOTES.md", "content": "x"}, ["NOTES.md"]),
    ("edit_file", {"path": "README.md", "old_string": "a", "new_string": "b"}, ["README.md"]),
    ("Write", CLAUDE_WRITE, ["/home/dev/projects/swarm-budget/project/invtrack/pricing.py"]),
    ("Edit", CLAUDE_EDIT, ["/home/dev/projects/swarm-clean/project/invtrack/models.py"]),
    ("MultiEdit", {"file_path": "/w/a.py", "edits": []}, ["/w/a.py"]),
    ("NotebookEdit", {"notebook_path": "/w/n.ipynb", "new_source": "x"}, ["/w/n.ipynb"]),
    ("str_replace_based_edit_tool", {"command": "str_replace", "path": "/w/a.py"}, ["/w/a.py"]),
    ("str_replace_based_edit_tool", {"command": "view", "path": "/w/a.py"}, []),
    ("apply_patch", {"input": PATCH}, ["src/app.py", "docs/notes.md"]),
    ("apply_patch", UNIFIED_DIFF, ["old.txt", "src/util.py"]),
    ("apply_patch", "not a patch", []),
    ("read_file", {"path": "README.md"}, []),
    ("bash", {"command": "echo x > out.txt"}, []),
    ("TodoWrite", CLAUDE_TODO, []),
    ("write_file", None, []),
    ("write_file", {"path": ""}, []),
    (None, {"path": "x"}, []),
]


@pytest.mark.parametrize(("tool", "args", "paths"), WRITTEN)
def test_written_files(tool: Any, args: Any, paths: list[str]) -> None:
    assert written_files(tool, args) == paths
    assert written_file(tool, args) == (paths[0] if paths else None)


def test_files_written_in_the_fixture_traces() -> None:
    def written(name: str) -> list[str | None]:
        return [written_file(tool, args) for kind, tool, args, _ in calls_of(name)
                if kind in SUCCESS_KINDS and written_file(tool, args)]
    assert written("agent-normal-task") == ["NOTES.md", "README.md"]
    assert written("collector-clean-feature") == [
        "acme_cli/commands/export.py", "acme_cli/commands/export.py", "tests/test_export_dry_run.py"]


def test_a_long_written_path_keeps_its_end() -> None:
    path = "/" + "d/" * 400 + "file.py"
    shown = written_file("write_file", {"path": path})
    assert shown is not None and shown.endswith("/d/file.py") and shown.startswith(ELLIPSIS)
    assert len(shown) == MAX_PATH_CHARS + 1


# --- tool roles -------------------------------------------------------------------------------

@pytest.mark.parametrize(("tool", "role"), [
    ("bash", "command"), ("Bash", "command"), ("run_shell_command", "command"),
    ("mcp__server__execute_command", "command"), ("read_file", "read"), ("Read", "read"),
    ("write_file", "write"), ("Write", "write"), ("edit_file", "edit"), ("MultiEdit", "edit"),
    ("apply_patch", "patch"), ("list_files", "list"), ("grep", "search"), ("Glob", "search"),
    ("search_code", "search"), ("WebFetch", "fetch"), ("spawn_agent", "agent"), ("Task", "agent"),
    ("TodoWrite", "other"), ("mcp__github__create_issue", "other"), (None, "other"), (3, "other"),
])
def test_tool_role(tool: Any, role: str) -> None:
    assert tool_role(tool) == role


def test_the_roles_of_thousands_of_tool_names_are_worked_out_once(tmp_path: Path) -> None:
    """A trace that cycles through 2,000 tool names (an agent with many MCP tools): each
    name's role is worked out once while it loads, not again on every call (a cache of
    1,024 names missed every time: 21% of the load)."""
    from attoreport import loader
    from tests.conftest import event, write_trace

    names = [f"mcp__server{i}__tool_{i}" for i in range(2000)]
    trace = write_trace(tmp_path / "t.jsonl", [
        event("tool_end", float(n), 1, tool=names[n % 2000], args={"n": n}, result="ok")
        for n in range(6000)])
    toolcalls._role_of_name.cache_clear()
    [session] = loader.load([str(trace)], jobs=1)
    assert len(session.table) == 6000
    assert toolcalls._role_of_name.cache_info().misses == 2000


# --- hostile values ---------------------------------------------------------------------------

SECRET = "ghp_" + "A1b2C3d4E5" * 4


def redact(text: str) -> str:
    return re.sub(r"ghp_[A-Za-z0-9]{36,}", "[redacted:github-token]", text)


def test_redaction_runs_before_the_cut() -> None:
    command = "x" * 120 + " curl -H 'Authorization: token " + SECRET + "' https://api.github.com"
    plain = main_argument("bash", {"command": command})
    assert "ghp_" in plain and SECRET not in plain  # cut mid-secret without a redactor
    shown = main_argument("bash", {"command": command}, redact=redact)
    assert "ghp_" not in shown and "[redacted" in shown
    excerpt = result_excerpt("y" * 150 + " " + SECRET, redact=redact)
    assert "ghp_" not in excerpt
    summary = test_result("FAILED t.py::x - " + "z" * 140 + " " + SECRET, redact=redact)
    assert summary is not None and "ghp_" not in summary


def test_a_word_straddling_the_window_is_dropped_not_cut() -> None:
    # a long run of spaces pushes a token across the window's edge: what is left of it
    # must not surface (it could be half a secret the redactor no longer recognises)
    text = " " * (WINDOW - 10) + SECRET
    assert main_argument("bash", {"command": text}) in ("", ELLIPSIS)
    assert SECRET[:8] not in result_excerpt(text)


@pytest.mark.parametrize("text", [
    "a\u202eevil\u202c b", "ansi \x1b[31mred\x1b[0m", "nul\x00byte", "lone \ud800 surrogate",
    "bell\x07 and \x9b c1", "line\u2028separator", "rlm\u200f mark",
])
def test_display_text_is_safe(text: str) -> None:
    for shown in (main_argument("bash", {"command": text}), result_excerpt(text),
                  main_argument("read_file", {"path": text}),
                  written_file("write_file", {"path": text}) or ""):
        assert shown.isprintable(), repr(shown)
        shown.encode("utf-8")  # no lone surrogates


def test_huge_and_deep_values() -> None:
    huge = "Error: " + "x" * 5_000_000
    assert reported_failure("read_file", huge) == "error message"
    assert len(result_excerpt(huge)) == MAX_CHARS + 1
    assert test_result("y\n" * 1_000_000 + "1 passed in 1s") == "1 passed"
    deep: Any = "leaf"
    for _ in range(100_000):
        deep = [deep]
    for value in (deep, {"command": deep}, {"path": {"a": deep}}):
        assert main_argument("bash", value) == ""
        assert written_files("write_file", value) == []
        assert reported_failure("bash", value) is None
    deep_json = "{" + '"a": [' * 50_000
    assert main_argument("bash", deep_json) == ""
    assert main_argument("bash", {"command": "x" * 10**6, "description": "y"}).endswith(ELLIPSIS)
    assert reported_failure("bash", "Exit code: " + "9" * 5000) is None
    assert reported_failure("bash", "1" * 5000 + " failed, 1 passed") is None


def test_many_keys_are_not_all_read() -> None:
    args = {f"k{i}": i for i in range(100_000)}
    args["late"] = "found too late"
    assert main_argument("unknown", args) == ""


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
              st.text(st.characters(exclude_categories=()), max_size=60),
              # pieces that meet the rules, mixed with lone surrogates and controls
              st.lists(st.sampled_from(["\ud800", "\udfff", "a", "\n", "\x1b[31m", "\u202e", " ",
                                        "Error: ", "Exit code: 1", "     1\t", "passed", "1 failed",
                                        "{", "\"", ":", "\\", "pytest", "&&", "'"]),
                       max_size=20).map("".join),
              st.sampled_from(["Exit code: 3", "Error: x", "1 failed, 2 passed in 1s", "\ud800",
                               "Traceback (most recent call last):\nValueError: x", "{\"path\": \"",
                               "*** Update File: a", "FAILED a::b - c"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["command", "path", "file_path", "pattern", "url", "task",
                                         "input", "content", "exit_code", "error", "isError",
                                         "stdout", "x"]), inner, max_size=5)),
    max_leaves=15)
tool_names = st.one_of(st.sampled_from(["bash", "Bash", "read_file", "Read", "write_file", "Edit",
                                        "apply_patch", "grep", "Glob", "WebFetch", "spawn_agent",
                                        "str_replace_based_edit_tool", "run_tests", "mcp__a__b"]),
                       json_values)


#: What display text never holds: controls, line breaks, bidi overrides, lone surrogates.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                    "\ud800-\udfff]")


def check_display(text: str, limit: int = MAX_CHARS + 1) -> None:
    assert len(text) <= limit
    assert not UNSAFE.search(text), repr(text)
    text.encode("utf-8")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tool=tool_names, args=json_values, result=json_values)
def test_nothing_raises_and_display_text_is_bounded(tool: Any, args: Any, result: Any) -> None:
    check_display(main_argument(tool, args))
    check_display(main_argument(tool, json.dumps(args)[:200]))
    check_display(result_excerpt(result))
    summary = test_result(result)
    if summary is not None:
        check_display(summary)
    reason = reported_failure(tool, result, args)
    assert reason is None or re.fullmatch(
        r"exit code( -?\d{1,10})?|tests failed|traceback|command not found|crashed|error message",
        reason)
    kind = command_kind(args)
    assert kind in (None, "test", "build", "typecheck", "lint")
    for path in written_files(tool, args):
        check_display(path, MAX_PATH_CHARS + 1)


def test_recursion_limit_is_not_needed() -> None:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        test_huge_and_deep_values()
    finally:
        sys.setrecursionlimit(limit)


# --- the cheap first check before a command's output is read line by line ---------------------

_SUMMARY_PIECES = [t for t, _ in TEST_RESULTS if isinstance(t, str)] + [
    "All good", "42", "  ==== 3 passed in 1s ====", "FAILURES!", "Tests: 3, Assertions: 3, Errors: 1.",
    "test result: ok. 3 passed; 0 failed", "# fail 0", "# fail 2", "FAIL\texample.com/x\t0.1s",
    "  2 failing", "1 error in 0.1s", "\x1b[31mFAIL\x1b[0m", "3 xfailed in 1s", "Failed!  - Failed: 2,"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_SUMMARY_PIECES) | st.text(max_size=40), max_size=6))
def test_outputs_without_a_failure_word_state_no_failing_summary(pieces: list[str]) -> None:
    """`_may_report_failures` lets `_command_failure` skip reading an output's lines: it
    must never skip one whose summary says tests failed."""
    text = "\n".join(pieces)
    tail, _ = toolcalls._tail(text, toolcalls.TAIL_WINDOW)
    outcome = toolcalls._test_outcome(text)
    if outcome is not None and outcome[1]:
        assert toolcalls._may_report_failures(tail)


@pytest.mark.parametrize(("text", "summary"), [r for r in TEST_RESULTS if isinstance(r[0], str)])
def test_every_failing_summary_passes_the_first_check(text: str, summary: str | None) -> None:
    outcome = toolcalls._test_outcome(text)
    assert toolcalls._may_report_failures(text) or not (outcome and outcome[1])
    if outcome is not None and outcome[1]:
        assert reported_failure("bash", text, {"command": "pytest"}) == "tests failed"


#: The patterns the cheap tests in front of them stand in for (as they were written first).
COMMAND_NOT_FOUND = re.compile(
    r"(?::\s*command not found\s*$|^\S+: command not found: \S+$|^\S+: (?:\d+: )?\S+: not found\s*$"
    r"|is not recognized as an internal or external command)")
CRASH_LINE = re.compile(r"(?:Segmentation fault|core dumped|^Killed$|^Aborted$)")
PIECES = ["not found", "command not found", "is not recognized as an internal or external command",
          ": ", "sh", "1", " ", "\n", "\t", "Killed", "Aborted", "Segmentation fault",
          "core dumped", "Error:", "Exception:", "ValueError", "x.", "Error", ":", "K", "a"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=8).map("".join))
def test_the_quick_checks_give_the_patterns_answers(line: str) -> None:
    """Substring tests in front of the slow searches (command not found, crashes, exception
    names) never change an answer: each pattern's every form holds what they look for."""
    assert toolcalls._not_found(line) == bool(COMMAND_NOT_FOUND.search(line))
    one_line = line.strip().splitlines()[-1] if line.strip() else ""
    crashed = ("Segmentation fault" in one_line or "core dumped" in one_line
               or one_line in toolcalls._CRASH_LINES)
    assert crashed == bool(CRASH_LINE.search(one_line))
    assert toolcalls._exception_start(line) == bool(toolcalls._EXCEPTION_START.match(line))
