"""Tool calls in words: the main argument, the result's first line, what kind of command.

Minimal stand-in (same names and signatures) until the full module lands; pure functions of
already-parsed values, called by the loader once per tool call. They never raise on odd
values and bound what they return.
"""

from __future__ import annotations

import re
from typing import Any

SUBJECT_CHARS = 200
EXCERPT_CHARS = 200
#: Argument names that hold what a call is about, most telling first.
_MAIN_KEYS = ("command", "cmd", "path", "file_path", "file", "pattern", "query", "url", "glob")
_WRITING_TOOLS = frozenset({"write_file", "edit_file", "create_file", "apply_patch", "str_replace",
                            "replace_in_file", "append_file", "write", "edit"})
_TEST = re.compile(r"(^|[\s;&|(/])(pytest|py\.test|tox|nox|jest|vitest|mocha|unittest|"
                   r"go test|cargo test|npm (run )?test|yarn test|pnpm test|make test|rspec|"
                   r"phpunit|ctest|mvn test|gradle test)\b")
_BUILD = re.compile(r"(^|[\s;&|(/])(make|cmake|cargo build|go build|npm (run )?build|yarn build|"
                    r"pnpm build|pip install|npm install|yarn install|uv pip|poetry install|"
                    r"mvn|gradle|tsc|gcc|g\+\+|clang|ruff|mypy|eslint|flake8|pylint)\b")
_FAILURE = re.compile(r"^\s*(error\b|error:|failed\b|failure\b|traceback \(most recent call last\)|"
                      r"command failed|exit code [1-9]|non-zero exit)", re.IGNORECASE)


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main_argument(tool: str, args: Any) -> str:
    """The argument that says what a call is about (its command, path, pattern or URL)."""
    if isinstance(args, dict):
        for key in _MAIN_KEYS:
            value = args.get(key)
            if isinstance(value, str) and value:
                return _bounded(" ".join(value.split()), SUBJECT_CHARS)
        for value in args.values():
            if isinstance(value, str) and value:
                return _bounded(" ".join(value.split()), SUBJECT_CHARS)
    elif isinstance(args, str):
        return _bounded(" ".join(args.split()), SUBJECT_CHARS)
    return ""


def result_excerpt(text: str) -> str:
    """The first non-blank line of a result or error, bounded."""
    for line in text[: EXCERPT_CHARS * 4].splitlines():
        if line.strip():
            return _bounded(line.strip(), EXCERPT_CHARS)
    return ""


def reported_failure(tool: str, result: Any) -> bool:
    """True when a call that was recorded as a success says in its result that it failed."""
    return isinstance(result, str) and bool(_FAILURE.match(result[:200]))


def command_kind(command: str) -> str:
    """"test", "build" or "" for a shell command."""
    head = command[:1000]
    if _TEST.search(head):
        return "test"
    if _BUILD.search(head):
        return "build"
    return ""


def written_file(tool: str, args: Any) -> str | None:
    """The path a call wrote or edited, if it is a file-writing tool with a path argument."""
    if tool not in _WRITING_TOOLS or not isinstance(args, dict):
        return None
    for key in ("path", "file_path", "file", "filename"):
        value = args.get(key)
        if isinstance(value, str) and value:
            return value[:500]
    return None
