"""Tool calls in words: what a call did, what it returned, and whether its output says it failed.

Pure functions over one tool call's decoded JSON: the tool's name, its arguments and its
result or error text. They know tools, not trace formats: the loader picks the values out of
an event and calls these. Every function takes ANY JSON value (or any Python object) and never
raises on it; each looks at a bounded window of its input (`WINDOW`, `TAIL_WINDOW` characters),
so a call costs microseconds whatever the trace holds.

Tools are recognised by name, case-insensitively, after dropping a namespace
(`mcp__github__search_code` -> `search_code`, `functions.bash` -> `bash`): Attocode's own tools
(`bash`, `read_file`, `write_file`, `edit_file`, `list_files`, `grep`, `glob_files`,
`spawn_agent` ...), Claude Code's (`Bash`, `Read`, `Write`, `Edit`, `MultiEdit`, `Grep`, `Glob`,
`WebFetch`, `Agent`/`Task` ...), Codex's (`shell` with an argv list, `apply_patch`) and common
others; unknown names are classified by the words in them (`run_shell_command` runs commands,
`search_code` searches). Arguments may also be given as a JSON string, even one cut short (as
Claude Code's `input_summary`): what can be read of it is used.

Text returned for display (`main_argument`, `result_excerpt`, `test_result`, `written_file`) is
one line, whitespace collapsed, without control or bidi-override characters or lone surrogates,
and bounded (`MAX_CHARS` + "…"). It is NOT escaped (the templates escape) and NOT redacted by
default: pass `redact=` to have a redaction function applied to the raw window *before* it is
collapsed and cut, so a secret is never cut in half before the redactor sees it.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from itertools import islice
from typing import Any

import orjson

#: Characters of display text kept; longer text ends with ELLIPSIS (so at most MAX_CHARS + 1).
MAX_CHARS = 160
#: A written file's path is kept up to this many characters (its end, which names the file).
MAX_PATH_CHARS = 300
ELLIPSIS = "…"
#: Characters of a value or of the start of a result looked at.
WINDOW = 2000
#: Characters of the end of a command's output looked at for a summary (tests, traceback).
TAIL_WINDOW = 4000
#: An arguments string longer than this is not parsed as JSON; its start is read leniently.
MAX_JSON_ARGS = 64 * 1024
#: Dictionary entries / list items looked at when searching for a string argument.
MAX_ITEMS = 50

Redact = Callable[[str], str]

# --- tool roles -------------------------------------------------------------------------------

COMMAND, READ, WRITE, EDIT, PATCH, LIST, SEARCH, FETCH, AGENT, OTHER = (
    "command", "read", "write", "edit", "patch", "list", "search", "fetch", "agent", "other")

_ROLE_NAMES: dict[str, tuple[str, ...]] = {
    COMMAND: ("bash", "shell", "sh", "zsh", "powershell", "pwsh", "cmd", "terminal", "exec",
              "execute", "run", "command", "run_command", "run_shell_command", "shell_command",
              "execute_command", "exec_command", "run_terminal_cmd", "run_in_terminal",
              "local_shell", "bash_tool", "execute_bash", "run_bash", "container_exec",
              "run_tests", "run_test", "bashoutput"),
    READ: ("read_file", "read", "view", "cat", "open_file", "view_file", "read_files",
           "read_many_files", "notebookread", "get_file", "get_file_contents", "file_read"),
    WRITE: ("write_file", "write", "create_file", "save_file", "write_to_file", "file_write",
            "create", "overwrite_file", "new_file"),
    EDIT: ("edit_file", "edit", "multiedit", "multi_edit", "str_replace", "str_replace_editor",
           "str_replace_based_edit_tool", "text_editor", "replace", "search_replace",
           "replace_in_file", "insert", "notebookedit", "edit_notebook", "file_edit",
           "replace_string_in_file", "insert_edit_into_file"),
    PATCH: ("apply_patch", "patch", "apply_diff", "applypatch", "apply_edit"),
    LIST: ("list_files", "ls", "list_dir", "list_directory", "list", "dir", "tree",
           "list_files_in_directory"),
    SEARCH: ("grep", "glob", "glob_files", "search", "search_code", "find", "find_files",
             "file_search", "grep_search", "codebase_search", "semantic_search", "ripgrep", "rg",
             "search_files", "toolsearch", "find_in_files", "search_text"),
    FETCH: ("fetch", "web_fetch", "webfetch", "http_get", "http_request", "curl", "browse",
            "open_url", "read_url", "fetch_url", "download", "web_search", "websearch",
            "browser_navigate", "navigate", "google_search"),
    AGENT: ("spawn_agent", "delegate", "delegate_task", "agent", "task", "subagent",
            "spawn_subagent", "run_agent", "dispatch_agent", "call_agent", "launch_agent"),
}
_ROLE_BY_NAME = {name: role for role, names in _ROLE_NAMES.items() for name in names}
#: Words in an unknown tool's name that give its role, tried in this order.
_ROLE_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    (AGENT, frozenset({"agent", "subagent", "delegate"})),
    (COMMAND, frozenset({"bash", "shell", "terminal", "command", "cmd", "exec", "test", "tests",
                         "lint", "build", "make", "compile"})),
    (FETCH, frozenset({"fetch", "url", "http", "web", "browse", "browser", "curl", "download"})),
    (SEARCH, frozenset({"grep", "search", "glob", "find"})),
    (PATCH, frozenset({"patch", "diff"})),
    (EDIT, frozenset({"edit", "replace", "modify", "insert"})),
    (WRITE, frozenset({"write", "save", "overwrite"})),
    (READ, frozenset({"read", "view", "cat", "open"})),
    (LIST, frozenset({"list", "ls", "dir", "tree"})),
)
_NAME_WORDS = re.compile(r"[a-z0-9]+")


#: Tool names whose role is remembered: MCP servers can offer a thousand tools, and a cache
#: smaller than the names a trace cycles through misses every time (2,000 tool names in
#: 500,000 calls: 21% of the load spent naming roles again).
ROLE_NAMES = 8192


@lru_cache(maxsize=ROLE_NAMES)
def _role_of_name(name: str) -> str:
    normal = name.strip().lower()
    for separator in ("__", ".", "/", ":"):
        if separator in normal:
            normal = normal.rsplit(separator, 1)[-1]
    normal = normal.replace("-", "_").replace(" ", "_")
    role = _ROLE_BY_NAME.get(normal)
    if role is not None:
        return role
    words = set(_NAME_WORDS.findall(normal))
    for word_role, role_words in _ROLE_WORDS:
        if words & role_words:
            return word_role
    return OTHER


def tool_role(tool: object) -> str:
    """What kind of tool this is: "command", "read", "write", "edit", "patch", "list",
    "search", "fetch", "agent" or "other" (also for a name that is not a string)."""
    if not isinstance(tool, str):
        return OTHER
    return _role_of_name(tool[:120])


# --- text helpers -----------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
#: C0/C1 controls, bidi overrides and isolates, and lone surrogates (the only surrogates a
#: decoded str can hold), none of which belong in one line of display text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")
_WORD_CHAR = re.compile(r"\w")


def _safe(line: str) -> str:
    """`line` (already one line) without control, bidi or surrogate characters."""
    if line.isprintable():
        return line
    line = _ANSI.sub("", line)
    return _UNSAFE.sub(lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else "", line)


def _head(text: str, size: int = WINDOW) -> tuple[str, bool]:
    """The first `size` characters, cut back to the last whitespace so no word (or secret)
    is split; and whether anything was cut."""
    if len(text) <= size:
        return text, False
    window = text[:size]
    space = max(window.rfind(" "), window.rfind("\n"), window.rfind("\t"))
    return (window[:space] if space > size // 2 else window), True


def _tail(text: str, size: int) -> tuple[str, bool]:
    """The last `size` characters, starting after a whitespace so no word is split."""
    if len(text) <= size:
        return text, False
    window = text[-size:]
    space = min((i for i in (window.find(" "), window.find("\n"), window.find("\t")) if i >= 0),
                default=-1)
    return (window[space + 1:] if 0 <= space < size // 2 else window), True


def _one_line(text: str, redact: Redact | None, *, limit: int = MAX_CHARS,
              keep_end: bool = False) -> str:
    """`text` as one bounded display line (see the module docstring)."""
    window, cut = _tail(text, WINDOW) if keep_end else _head(text)
    if redact is not None:
        window = redact(window)
    line = _safe(" ".join(window.split()))
    if keep_end:
        if cut or len(line) > limit:
            return ELLIPSIS + line[-limit:]
        return line
    if len(line) > limit:
        return line[:limit].rstrip() + ELLIPSIS
    return line + ELLIPSIS if cut and line else line


def _bounded_int(digits: str) -> int | None:
    """`int(digits)` for at most 10 digits (no huge-number work, no ValueError)."""
    stripped = digits.lstrip("-+")
    if not stripped.isdigit() or len(stripped) > 10:
        return None
    return int(digits)


# --- reading arguments ------------------------------------------------------------------------

#: Tokens of a JSON text: a string (maybe cut short: no closing quote) or a structural
#: character (numbers and literals are skipped: a comma or bracket follows them).
_JSON_TOKEN = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)("?)|([{}\[\]:,])')
_JSON_OBJECT_START = re.compile(r'\{\s*(?:"|\}|$)')
_WRAPPER_KEYS = ("input", "arguments", "args", "params", "parameters", "kwargs", "tool_input")


#: One `"key": value` pair of a flat JSON object and what follows it (`,`, `}` or the end).
_FLAT_PAIR = re.compile(
    r'\s*"([^"\\]*(?:\\.[^"\\]*)*)"\s*:\s*'
    r'(?:"([^"\\]*(?:\\.[^"\\]*)*)("?)|-?[0-9][0-9.eE+-]*|true|false|null)\s*(,|\}|$)')


def _decoded(body: str) -> str:
    return _json_string(body) if "\\" in body else body


def _lenient_json_strings(text: str) -> dict[str, str]:
    """The top-level string-valued pairs readable in a JSON object text that may be cut
    short (Claude Code's 200-character `input_summary`); a cut value ends with ELLIPSIS."""
    text = text[:WINDOW * 4]
    found: dict[str, str] = {}
    position = text.find("{") + 1
    while len(found) < MAX_ITEMS:  # the common case: a flat object, a pair at a time
        pair = _FLAT_PAIR.match(text, position)
        if pair is None:
            break
        key, body, closed, after = pair.groups()
        if body is not None:
            found.setdefault(_decoded(key), _decoded(body) + ("" if closed else ELLIPSIS))
        if after != ",":
            return found
        position = pair.end()
    return _lenient_nested(text) if len(found) < MAX_ITEMS else found


def _lenient_nested(text: str) -> dict[str, str]:
    """As `_lenient_json_strings`, for objects with nested values: a token scanner."""
    found: dict[str, str] = {}
    depth, key, after_colon = 0, None, False
    for token in _JSON_TOKEN.finditer(text):
        body, closed, mark = token.groups()
        if mark in ("{", "["):
            depth += 1
            key, after_colon = (None, False) if depth == 2 else (key, after_colon)
        elif mark in ("}", "]"):
            depth -= 1
        elif depth != 1:
            continue
        elif mark == ":":
            after_colon = key is not None
        elif body is not None and after_colon and key is not None:
            found.setdefault(key, _decoded(body) + ("" if closed else ELLIPSIS))
            key, after_colon = None, False
            if len(found) >= MAX_ITEMS:
                break
        elif body is not None and closed:
            key, after_colon = _decoded(body), False
        else:
            key, after_colon = None, False
    return found


_CUT_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{0,3})?$")


def _json_string(body: str) -> str:
    """The decoded JSON string whose escaped body is `body` (a cut-off escape is dropped;
    a lone surrogate escape, which orjson refuses, is read by the standard library)."""
    try:
        value = orjson.loads('"' + body + '"')
    except (orjson.JSONDecodeError, TypeError, ValueError):
        try:
            value = json.loads('"' + _CUT_ESCAPE.sub("", body) + '"')
        except ValueError:
            return body
    return value if isinstance(value, str) else body


def _decode_args(args: object) -> object:
    """Arguments as Python values: a JSON object string is parsed (leniently when cut short),
    and a lone wrapper (`{"input": {...}}`) is opened once."""
    if isinstance(args, str):
        stripped = args.lstrip()
        if not _JSON_OBJECT_START.match(stripped):
            return args  # plain text: a command, a patch, a path
        if len(stripped) <= MAX_JSON_ARGS and stripped.rstrip().endswith("}"):
            try:
                args = orjson.loads(stripped)
            except (orjson.JSONDecodeError, TypeError, ValueError):
                return _lenient_json_strings(stripped)
        else:
            return _lenient_json_strings(stripped)
    if isinstance(args, dict) and len(args) == 1:
        key, inner = next(iter(args.items()))
        if key in _WRAPPER_KEYS and isinstance(inner, (dict, str)) and inner is not args:
            opened = _decode_args(inner) if isinstance(inner, str) else inner
            if isinstance(opened, dict):
                return opened
    return args


def _string_at(args: Mapping[Any, Any], keys: Iterable[str]) -> str | None:
    """The first non-blank string among these keys."""
    for key in keys:
        value = args.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _first_short_string(values: Iterable[object]) -> str | None:
    """The first non-blank string of at most WINDOW characters, else the first non-blank one."""
    longer = None
    for value in islice(values, MAX_ITEMS):
        if isinstance(value, str) and value.strip():
            if len(value) <= WINDOW:
                return value
            longer = longer or value
    return longer


_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "fish", "pwsh", "powershell", "cmd"})


def _argv_text(argv: list[Any]) -> str | None:
    """A command given as an argv list (Codex's `["bash", "-lc", "ls"]`) as one string."""
    words = [w for w in islice(argv, MAX_ITEMS) if isinstance(w, str)]
    if not words:
        return None
    if (len(words) >= 3 and words[0].rsplit("/", 1)[-1] in _SHELLS
            and words[1].startswith(("-", "/")) and words[1].lower().endswith("c")):
        return words[2]
    return shlex.join(words)


_COMMAND_KEYS = ("command", "cmd", "commands", "script", "code", "shell_command", "input")
_PATH_KEYS = ("path", "file_path", "filePath", "file", "filename", "file_name", "notebook_path",
              "absolute_path", "target_file", "relative_path", "relative_workspace_path",
              "target_directory", "directory", "dir", "dir_path", "folder")
_PATTERN_KEYS = ("pattern", "query", "regex", "q", "search", "search_term", "search_query",
                 "text", "name", "glob")
_WHERE_KEYS = ("path", "directory", "dir", "target_directory", "include", "glob", "cwd",
               "file", "files", "include_pattern")
_URL_KEYS = ("url", "uri", "href", "link", "urls")
_QUERY_KEYS = ("query", "q", "search_term", "search_query", "prompt")
_TASK_KEYS = ("task", "description", "prompt", "objective", "goal", "instructions",
              "instruction", "message", "query")
_PATCH_KEYS = ("input", "patch", "diff", "content", "patch_text", "changes")


def _command_text(args: object) -> str | None:
    """The command a command tool was given (its argv list joined), or None."""
    if isinstance(args, str):
        return args if args.strip() else None
    if isinstance(args, list):
        return _argv_text(args)
    if isinstance(args, dict):
        for key in _COMMAND_KEYS:
            value = args.get(key)
            if isinstance(value, str) and value.strip():
                return value
            if isinstance(value, list) and value:
                return _argv_text(value)
    return None


# --- patches ----------------------------------------------------------------------------------

_PATCH_FILE = re.compile(
    r"^(?:\*\*\* (?:Add|Update|Delete) File: (?P<codex>.+?)|\*\*\* Move to: (?P<moved>.+?)"
    r"|\+\+\+ (?:[ab]/)?(?P<new>[^\t\n]+?)(?:\t.*)?|--- (?:[ab]/)?(?P<old>[^\t\n]+?)(?:\t.*)?)\s*$",
    re.MULTILINE)


def _patch_files(patch: str) -> list[str]:
    """The files a patch (Codex `*** Update File:` or unified diff) adds, changes or deletes."""
    files: list[str] = []
    for match in _PATCH_FILE.finditer(patch[:MAX_JSON_ARGS]):
        name = match.group("codex") or match.group("moved") or match.group("new")
        if name is None:
            old = match.group("old")
            # a deleted file's diff has `+++ /dev/null`: its name is only on the `---` line
            if old and old != "/dev/null" and not old.startswith("-"):
                name = old
        if name and name != "/dev/null" and name not in files:
            files.append(name)
        if len(files) >= MAX_ITEMS:
            break
    return files


def _patch_text(args: object) -> str | None:
    if isinstance(args, str):
        return args
    if isinstance(args, dict):
        return _string_at(args, _PATCH_KEYS)
    return None


def _patch_summary(files: list[str]) -> str:
    return files[0] + (f" (+{len(files) - 1} more)" if len(files) > 1 else "")


# --- main argument ----------------------------------------------------------------------------


def main_argument(tool: str, args: object, *, redact: Redact | None = None) -> str:
    """The one thing a reader needs to know about a call: the command (command tools), the
    path (file tools), the pattern and where (search tools), the URL or query (web tools), the
    task (agent tools); otherwise the first short string argument. One bounded line; "" when
    there is nothing to show. A path keeps its end (`…/pkg/models.py`).
    """
    role = tool_role(tool)
    args = _decode_args(args)
    if role == COMMAND:
        command = _command_text(args)
        if command is not None:
            return _one_line(command, redact)
    if role == PATCH:
        text = _patch_text(args)
        files = _patch_files(text) if text else []
        if files:
            return _one_line(_patch_summary(files), redact)
    if isinstance(args, dict):
        picked = _pick_for_role(role, args)
        if picked is not None:
            text, keep_end = picked
            return _one_line(text, redact, keep_end=keep_end)
        fallback = _first_short_string(args.values())
    elif isinstance(args, list):
        fallback = _first_short_string(args)
    else:
        fallback = args if isinstance(args, str) and args.strip() else None
    return _one_line(fallback, redact) if fallback is not None else ""


def _pick_for_role(role: str, args: dict[Any, Any]) -> tuple[str, bool] | None:
    """(text, keep its end) of the argument that says what this call did, if it has one."""
    if role in (READ, WRITE, EDIT, LIST, PATCH):
        path = _string_at(args, _PATH_KEYS)
        if path is None:
            return None
        action = args.get("command")  # the text editor tool: {"command": "view", "path": ...}
        if isinstance(action, str) and 0 < len(action) <= 20 and action.isidentifier():
            return f"{action} {path}", True
        return path, True
    if role == SEARCH:
        pattern = _string_at(args, _PATTERN_KEYS)
        where = _string_at(args, _WHERE_KEYS)
        if pattern is not None and where is not None and where != pattern:
            return f"{pattern} in {where}", False
        text = pattern or where
        return (text, False) if text is not None else None
    if role == FETCH:
        url = _string_at(args, _URL_KEYS)
        if url is None and isinstance(args.get("urls"), list):
            url = _first_short_string(args["urls"])
        text = url or _string_at(args, _QUERY_KEYS)
        return (text, False) if text is not None else None
    if role == AGENT:
        task = _string_at(args, _TASK_KEYS)
        return (task, False) if task is not None else None
    return None


# --- result excerpt ---------------------------------------------------------------------------

#: A line-number gutter: Attocode's `{n:>6}\t`, Claude Code's `{n}→`, or `{n} | `.
_GUTTER = re.compile(r"^\s*\d{1,9}(?:\t|→| \| ?)")
_EXIT_HEADER = re.compile(
    r"^\[?(?:exit code|exit status|return code|process exited with code|exited with code"
    r"|command exited with code)[:=\s]\s*(-?\d+)\]?\.?\s*$", re.IGNORECASE)
#: Lines that only label what follows (Attocode's bash `STDERR:`, Codex's `Output:`).
_LABEL_LINE = re.compile(r"^(?:stdout|stderr|output|result|wall time:.*)\s*:?\s*$",
                         re.IGNORECASE)


#: Rules around a heading: `===== test session starts =====`, `!!!!! Interrupted !!!!!`.
_DECORATION = re.compile(r"^[=\-*~!_]{3,}\s+|\s+[=\-*~!_]{3,}$")


def _meaningful_lines(text: str) -> Iterable[str]:
    """Non-blank lines with their gutter and heading rules removed, skipping lines without a
    letter or digit (rules like `=====`) and label-only lines (`STDERR:`)."""
    for raw in text.splitlines():
        line = _DECORATION.sub("", _GUTTER.sub("", raw, count=1).strip())
        if not line or not _WORD_CHAR.search(line) or _LABEL_LINE.match(line):
            continue
        yield line


def result_excerpt(text: object, *, redact: Redact | None = None) -> str:
    """The first meaningful line of a result or error: blank lines, line-number gutters and
    label lines skipped; an `Exit code: N` header is kept with the line after it
    ("Exit code: 2 · ls: cannot access 'config'…"). One bounded line; "" for non-strings.
    """
    if not isinstance(text, str):
        return ""
    head, cut = _head(text)
    if redact is not None:
        head = redact(head)
    header = None
    for line in _meaningful_lines(head):
        if header is None and _EXIT_HEADER.match(line):
            header = line
            continue
        return _one_line(f"{header} · {line}" if header else line, None)
    if header is not None:
        return _one_line(header, None)
    return ELLIPSIS if cut and head.strip() else ""


# --- test and build commands ------------------------------------------------------------------

_SEGMENT_SPLIT = re.compile(r"&&|\|\||[;|&\n()]")
_QUOTED = re.compile(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"")
_SHELL_C = re.compile(r"^\s*(?:\S*/)?(?:ba|z|da|k)?sh\s+-[a-z]*c[a-z]*\s+(['\"])(.*)\1\s*$", re.DOTALL)
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PYTHON = re.compile(r"^(?:python|pypy|py)[0-9.]*(?:\.exe)?$")
_WRAPPERS = frozenset({"sudo", "time", "nice", "nohup", "exec", "env", "stdbuf", "xvfb-run",
                       "caffeinate", "!", "{", "then", "do", "else"})
#: Runners whose next word is the program: `uv run pytest`, `npx jest`, `bundle exec rspec`.
_RUNNERS: dict[str, tuple[str, ...]] = {
    "uv": ("run",), "poetry": ("run",), "pipenv": ("run",), "pdm": ("run",), "hatch": ("run",),
    "rye": ("run",), "conda": ("run",), "pixi": ("run",), "bundle": ("exec",),
    "pnpm": ("exec", "dlx"), "yarn": ("dlx", "exec"), "npm": ("exec",), "dotenv": ("",),
    "npx": ("",), "bunx": ("",), "pnpx": ("",), "uvx": ("",), "pipx": ("run",),
}

TEST, BUILD, TYPECHECK, LINT = "test", "build", "typecheck", "lint"
_KIND_RANK = {TEST: 0, BUILD: 1, TYPECHECK: 2, LINT: 3}

_PROGRAM_KINDS: dict[str, str] = {
    **dict.fromkeys(("pytest", "py.test", "nose2", "nosetests", "tox", "nox", "jest", "vitest",
                     "mocha", "ava", "karma", "rspec", "phpunit", "pest", "ctest", "behave",
                     "trial", "tap", "jasmine", "cucumber", "cucumber-js", "bats", "runtests",
                     "run_tests", "run-tests"), TEST),
    **dict.fromkeys(("webpack", "rollup", "esbuild", "ninja", "gcc", "g++", "clang", "clang++",
                     "cc", "c++", "javac", "rustc", "scons", "msbuild", "xcodebuild", "bazel",
                     "meson", "cmake", "gmake", "make", "parcel", "tsup", "turbo", "nx"), BUILD),
    **dict.fromkeys(("mypy", "pyright", "basedpyright", "pytype", "pyre", "vue-tsc", "dmypy"),
                    TYPECHECK),
    **dict.fromkeys(("ruff", "flake8", "pylint", "pycodestyle", "pydocstyle", "bandit", "eslint",
                     "golangci-lint", "staticcheck", "rubocop", "shellcheck", "stylelint",
                     "markdownlint", "hadolint", "yamllint", "ktlint", "swiftlint", "biome",
                     "oxlint", "pre-commit", "prospector", "pyflakes", "vulture", "tslint",
                     "clippy-driver"), LINT),
}
#: `tool subcommand` -> kind.
_SUBCOMMAND_KINDS: dict[str, dict[str, str]] = {
    "cargo": {"test": TEST, "nextest": TEST, "t": TEST, "build": BUILD, "b": BUILD,
              "check": BUILD, "c": BUILD, "clippy": LINT},
    "go": {"test": TEST, "build": BUILD, "install": BUILD, "vet": LINT},
    "dotnet": {"test": TEST, "build": BUILD, "publish": BUILD, "msbuild": BUILD},
    "swift": {"test": TEST, "build": BUILD},
    "mix": {"test": TEST, "compile": BUILD, "credo": LINT, "dialyzer": TYPECHECK},
    "deno": {"test": TEST, "check": TYPECHECK, "lint": LINT, "compile": BUILD},
    "stack": {"test": TEST, "build": BUILD}, "cabal": {"test": TEST, "build": BUILD},
    "bazel": {"test": TEST, "build": BUILD}, "bazelisk": {"test": TEST, "build": BUILD},
    "rake": {"test": TEST, "spec": TEST}, "hatch": {"test": TEST, "build": BUILD},
    "poetry": {"build": BUILD}, "uv": {"build": BUILD}, "pdm": {"build": BUILD},
    "flit": {"build": BUILD}, "docker": {"build": BUILD}, "podman": {"build": BUILD},
    "vite": {"build": BUILD}, "next": {"build": BUILD}, "nuxt": {"build": BUILD},
    "ng": {"test": TEST, "build": BUILD, "lint": LINT}, "playwright": {"test": TEST},
    "cypress": {"run": TEST}, "flutter": {"test": TEST, "build": BUILD, "analyze": LINT},
    "dart": {"test": TEST, "analyze": LINT, "compile": BUILD}, "zig": {"test": TEST, "build": BUILD},
    "sbt": {"test": TEST, "compile": BUILD}, "lein": {"test": TEST}, "meson": {"test": TEST},
    "pip": {"wheel": BUILD}, "setup.py": {"test": TEST, "build": BUILD, "sdist": BUILD,
                                          "bdist_wheel": BUILD, "build_ext": BUILD},
    "manage.py": {"test": TEST}, "cmake": {"--build": BUILD},
}
_MAKE_TARGETS: dict[str, str] = {
    **dict.fromkeys(("test", "tests", "check", "unittest", "unit", "integration", "e2e",
                     "coverage", "test-all", "testall"), TEST),
    **dict.fromkeys(("all", "build", "compile", "release", "debug", "dist", "wheel", "package",
                     "install"), BUILD),
    **dict.fromkeys(("lint", "style", "flake8", "ruff", "fmt-check", "format-check"), LINT),
    **dict.fromkeys(("typecheck", "type-check", "types", "mypy", "pyright"), TYPECHECK),
}
#: `python -m MODULE` -> kind, beyond the programs above (`python -m pytest` is pytest).
_MODULE_KINDS = {"unittest": TEST, "build": BUILD, "compileall": BUILD, "py_compile": BUILD}
_JS_PACKAGE_MANAGERS = frozenset({"npm", "yarn", "pnpm", "bun"})
_MAVEN = frozenset({"mvn", "mvnw", "maven"})
_GRADLE = frozenset({"gradle", "gradlew"})
#: Formatters that only check when asked to (`black --check`): lint then, else nothing.
_CHECK_ONLY = frozenset({"black", "isort", "prettier", "gofmt", "rustfmt", "clang-format",
                         "autopep8", "yapf"})


def _script_kind(name: str) -> str | None:
    """Kind of a package.json script by its name (`test:unit`, `build`, `lint:fix` ...)."""
    name = name.lower()
    if name.startswith(("test", "e2e", "spec", "coverage", "cover")):
        return TEST
    if name.startswith(("build", "compile", "bundle", "dist")):
        return BUILD
    if name.startswith("lint"):
        return LINT
    if name.startswith(("typecheck", "type-check", "types", "tsc", "check-types", "typings")):
        return TYPECHECK
    return None


def _program_words(segment: str) -> list[str]:
    """The words of one shell segment from its program on (wrappers, runners, environment
    assignments and their options dropped)."""
    words = segment.split()
    i = 0
    while i < len(words):
        word = words[i]
        base = word.rsplit("/", 1)[-1].lower()
        if _ENV_ASSIGNMENT.match(word) or base in _WRAPPERS or (i > 0 and word.startswith("-")
                                                               and words[i - 1] in _WRAPPERS):
            i += 1
        elif base == "timeout":  # timeout [options] DURATION command
            i += 1
            while i < len(words) and words[i].startswith("-"):
                i += 1
            i += 1
        elif base in _RUNNERS and i + 1 < len(words) and (
                _RUNNERS[base] == ("",) or words[i + 1] in _RUNNERS[base]):
            i += 1 if _RUNNERS[base] == ("",) else 2
            while i < len(words) and words[i].startswith("-"):
                i += 1
        else:
            break
    return words[i:]


def _segment_kind(segment: str) -> str | None:
    """Kind of one simple command, by its program (and subcommand, script or target)."""
    words = _program_words(segment)
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1].lower().removesuffix(".exe")
    if _PYTHON.match(program):
        return _python_kind(words)
    return _program_kind(program, words)


def _python_kind(words: list[str]) -> str | None:
    """`python -m MODULE …` is MODULE; `python manage.py test` is manage.py; `-c` is nothing."""
    if len(words) >= 3 and words[1] == "-m":
        module = words[2].lower()
        if module in _MODULE_KINDS:
            return _MODULE_KINDS[module]
        if module == "pip":
            return BUILD if "wheel" in words[3:4] else None
        return _program_kind(module, words[2:])
    scripts = [w for w in words[1:] if not w.startswith("-")]
    if not scripts or "-c" in words:
        return None
    index = words.index(scripts[0])
    return _program_kind(scripts[0].rsplit("/", 1)[-1].lower(), words[index:])


def _program_kind(program: str, words: list[str]) -> str | None:
    """Kind of `program` run with `words` (words[0] is the program itself)."""
    rest = [w for w in words[1:] if not w.startswith("-")]
    if program in _JS_PACKAGE_MANAGERS:
        return _package_script_kind(rest)
    if program in ("make", "gmake"):
        targets = [w for w in rest if "=" not in w]
        return _best(k for k in (_MAKE_TARGETS.get(t.lower()) for t in targets[:5]) if k) \
            if targets else BUILD
    if program in _MAVEN or program in _GRADLE:
        return _jvm_kind(rest)
    if program == "tsc":
        return TYPECHECK if "--noEmit" in words else BUILD
    if program in _CHECK_ONLY:
        return LINT if any(w in ("--check", "--diff", "-c", "--list-different", "-l")
                           for w in words) else None
    if program in _SUBCOMMAND_KINDS:
        subcommands = _SUBCOMMAND_KINDS[program]
        for word in words[1:4]:
            if word in subcommands:
                return subcommands[word]
        if program not in _PROGRAM_KINDS:
            return None
    if program in ("pytest", "py.test") and ("--co" in words or "--collect-only" in words):
        return None  # lists the tests, runs none
    kind = _PROGRAM_KINDS.get(program)
    if kind is None and program.endswith((".py", ".sh")):
        stem = program.rsplit(".", 1)[0]
        if stem.startswith("test") or stem.endswith(("test", "tests")) or stem == "runtests":
            return TEST
    return kind


def _package_script_kind(rest: list[str]) -> str | None:
    """`npm test`, `npm run build`, `yarn lint`, `pnpm typecheck` …"""
    if not rest:
        return None
    if rest[0] in ("test", "t", "tst"):
        return TEST
    script = rest[1] if rest[0] in ("run", "run-script") and len(rest) > 1 else rest[0]
    return _script_kind(script)


def _jvm_kind(goals: list[str]) -> str | None:
    """Maven goals / Gradle tasks: `mvn test`, `./gradlew build` …"""
    names = [g.lower().rsplit(":", 1)[-1] for g in goals[:8]]
    if any(n in ("test", "verify", "check", "integration-test", "connectedchecks") for n in names):
        return TEST
    if any(n in ("package", "compile", "install", "build", "assemble", "jar", "deploy")
           for n in names):
        return BUILD
    return None


def _best(kinds: Iterable[str]) -> str | None:
    return min(kinds, key=_KIND_RANK.__getitem__, default=None)


def command_kind(command: object) -> str | None:
    """Whether a shell command runs tests ("test": pytest, `python -m pytest`, `npm test`,
    `cargo test`, `go test`, jest, vitest, tox, `make test`, unittest ...), builds ("build":
    make, `cargo build`, `npm run build`, tsc, `python -m build`, mvn/gradle ...), type-checks
    ("typecheck": mypy, pyright, `tsc --noEmit`) or lints ("lint": ruff, flake8, eslint ...);
    else None. Each `&&`/`;`/`|` part is judged by its program (after `cd`, `env X=1`,
    `uv run`, `npx` and the like); when parts differ, test beats build beats typecheck beats
    lint. An argv list is read as its words.
    """
    if isinstance(command, list):
        command = _argv_text(command)
    if not isinstance(command, str):
        return None
    if len(command) <= _CACHED_COMMAND_CHARS:  # agents repeat their commands: remember them
        return _cached_command_kind(command)
    return _command_kind(command)


#: Commands up to this long have their kind remembered (the last 1024 of them).
_CACHED_COMMAND_CHARS = 500


def _command_kind(command: str) -> str | None:
    return _best(k for k in map(_segment_kind, _segments(command)) if k)


_cached_command_kind = lru_cache(maxsize=1024)(_command_kind)


def _segments(command: str) -> list[str]:
    """The simple commands of a command line (at most 20), quoted text blanked out so that
    `echo "make"` runs no make; `bash -c '…'` is opened once."""
    head, _ = _head(command)
    shell_c = _SHELL_C.match(head)
    if shell_c is not None:
        head = shell_c.group(2)
    unquoted = _QUOTED.sub("''", head)
    return list(islice(_SEGMENT_SPLIT.split(unquoted), 20))


# --- test results -----------------------------------------------------------------------------

#: One line stating a test run's outcome, per runner.
_SUMMARY = re.compile(r"""[ \t=]*(?:
   (?P<pytest>(?:\d{1,9}[ ](?:failed|passed|errors?|skipped|xfailed|xpassed|warnings?|deselected
        |rerun)(?:,[ ])?)+|no[ ]tests[ ]ran)
      (?:[ ]in[ ][\d.]+[ ]?s(?:econds)?(?:[ ]\([\d:.]+\))?)?[ \t=]*
 | Tests:?[ \t]+(?P<jest>\d[^\n]*?(?:total|\(\d+\)))[ \t]*
 | test[ ]result:[ ](?P<cargo>(?:ok|FAILED)\.[^\n]*?)(?:;[ ]finished[ ]in[^\n]*)?
 | (?P<rspec>\d{1,9}[ ]examples?,[ ]\d{1,9}[ ]failures?(?:,[ ]\d{1,9}[ ]pending)?)[ \t]*
 | (?P<phpunit>OK[ ]\(\d{1,9}[ ]tests?,[ ]\d{1,9}[ ]assertions?\)
      |Tests:[ ]\d{1,9},[ ]Assertions:[^\n]*)
 | (?P<unittest>(?:OK|FAILED)(?:[ ]\([^)\n]{1,80}\))?)[ \t]*
 | (?:\[\w+\][ ])?(?P<maven>Tests[ ]run:[ ]\d{1,9},[ ]Failures:[ ]\d{1,9},[ ]Errors:[ ]\d{1,9}
      ,[ ]Skipped:[ ]\d{1,9})[^\n]*
 | (?P<dotnet>(?:Passed|Failed)![ \t]+-[ \t]+Failed:[^\n]*)
 | (?P<mocha>\d{1,9}[ ](?:passing|failing|pending))(?:[ ]\([^)\n]*\))?[ \t]*
 | (?P<go>(?:ok|FAIL)[ \t]+\S+[ \t]+(?:[\d.]+s|\(cached\)|\[)[^\n]*)
 | (?:\#|ℹ)[ \t]*(?P<tap>(?:pass|fail|tests|skip|todo|cancelled)[ \t]+\d{1,9})[ \t]*
)\s*$""", re.VERBOSE)
#: What a summary line can start with (after blanks and `=` rules): a cheap first check.
_SUMMARY_STARTS = frozenset("0123456789OFTtoP#ℹn[")
#: A summary line starting with a digit starts with a count and a word ("2 failed"), unlike
#: a line-number gutter ("  12\tcode").
_COUNT_START = re.compile(r"\d{1,9} [a-z]")
#: Summary lines are read among this many last lines of the output.
SUMMARY_LINES = 80
_UNITTEST_RAN = re.compile(r"Ran (\d{1,9}) tests? in ")
_COUNT = re.compile(r"(\d{1,9})[ \t]+([a-z]+)")
_FAILED_TEST = re.compile(r"^(?:FAILED|ERROR) \S+(?:::\S+| - ).*$", re.MULTILINE)
_GO_TEST_FAIL = re.compile(r"^\s*--- FAIL: (\S+)", re.MULTILINE)
_MAVEN_FAILURES = re.compile(r"(?:Failures|Errors): (\d{1,9})")
_FAIL_WORDS = frozenset({"failed", "error", "errors", "failing", "failures", "failure", "fail"})

Outcome = tuple[str, bool]


def _counts_fail(text: str) -> bool:
    """Whether a counts text ("1 failed, 2 passed") has a non-zero failing count."""
    return any(word in _FAIL_WORDS and int(n) > 0 for n, word in _COUNT.findall(text))


def _may_report_failures(tail: str) -> bool:
    """False when `tail` (an output's last TAIL_WINDOW characters) cannot hold a failing
    test summary: every failing summary `_test_outcome` reads names its failure ("failed",
    "FAIL", "failing", "Failures:", "errors"). Saves reading the lines of most outputs."""
    lowered = tail.lower()
    return "fail" in lowered or "error" in lowered or "\x1b" in tail


def _test_outcome(text: str, *, failed_lines: bool = False) -> Outcome | None:
    """(one-line summary, whether it reports failures) of a test run's output, read from the
    summary lines at its end; with `failed_lines`, pytest's `FAILED …` lines as a last resort."""
    tail, _ = _tail(text, TAIL_WINDOW)
    if "\x1b" in tail:
        tail = _ANSI.sub("", tail)
    lines = tail.splitlines()[-SUMMARY_LINES:]
    aggregated: dict[str, list[str]] = {"mocha": [], "go": [], "tap": []}
    for index in range(len(lines) - 1, -1, -1):
        start = lines[index].lstrip(" \t=")
        if start[:1] not in _SUMMARY_STARTS or (start[0].isdigit() and not _COUNT_START.match(start)):
            continue
        match = _SUMMARY.match(lines[index])
        group = match.lastgroup if match is not None else None
        if match is None or group is None:
            continue
        if group in aggregated:
            aggregated[group].append(" ".join(match.group(group).split()))
            continue
        outcome = _single_line_outcome(group, match, lines[max(0, index - 4):index])
        if outcome is not None:
            return outcome
    outcome = _aggregated_outcome(aggregated)
    if outcome is None and failed_lines:
        outcome = _failed_test_lines(text)
    return outcome


def _single_line_outcome(group: str, match: re.Match[str], before: list[str]) -> Outcome | None:
    """The outcome one summary line states (pytest, unittest, jest/vitest, cargo, RSpec,
    PHPUnit, Maven, dotnet), or None (a bare `OK` without unittest's `Ran N tests` in the
    lines just `before` it)."""
    text = " ".join(match.group(group).split())
    if group == "pytest":
        if text == "no tests ran":
            return text, False
        return text.rstrip(", "), _counts_fail(text)
    if group == "unittest":
        ran = None
        for line in before:
            ran = _UNITTEST_RAN.match(line) or ran
        status, _, details = text.partition(" ")
        details = details.strip("()")
        if ran is None:
            return (text, True) if status == "FAILED" and details else None
        return f"{status} ({ran.group(1)} tests{', ' + details if details else ''})", \
            status == "FAILED"
    if group == "cargo":
        return text, text.startswith("FAILED")
    if group == "phpunit":
        return text, "Failures:" in text or "Errors:" in text
    if group == "maven":
        failures, errors = _MAVEN_FAILURES.findall(text)[:2] or ["0", "0"]
        return text, int(failures) + int(errors) > 0
    if group == "dotnet":
        return text, text.startswith("Failed")
    return text, _counts_fail(text)  # jest/vitest, RSpec


def _aggregated_outcome(found: dict[str, list[str]]) -> Outcome | None:
    """The outcome told by several lines: mocha's passing/failing, go's package lines, TAP."""
    if found["mocha"]:
        lines = list(reversed(found["mocha"]))
        return ", ".join(lines), _counts_fail(" ".join(lines))
    if found["go"]:
        packages = [line.split()[:2] for line in reversed(found["go"])]
        failed = sum(1 for status, _ in packages if status == "FAIL")
        if len(packages) == 1:
            return " ".join(packages[0]), failed > 0
        if failed:
            return f"FAIL ({failed} of {len(packages)} packages)", True
        return f"ok ({len(packages)} packages)", False
    counts: dict[str, int] = {}
    for line in found["tap"]:
        word, number = line.split()
        counts.setdefault(word, int(number))
    if "pass" in counts or "fail" in counts:
        passed, failed = counts.get("pass", 0), counts.get("fail", 0)
        return f"{passed} passed, {failed} failed", failed > 0
    return None


def _failed_test_lines(text: str) -> Outcome | None:
    """pytest's `FAILED path::test - reason` lines (or go's `--- FAIL: TestX`), if any."""
    head, _ = _head(text, TAIL_WINDOW)
    if "FAILED " not in head and "ERROR " not in head and "--- FAIL: " not in head:
        return None
    for pattern, prefix in ((_FAILED_TEST, ""), (_GO_TEST_FAIL, "FAIL ")):
        found = pattern.findall(head)
        if found:
            more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
            return prefix + " ".join(_ANSI.sub("", found[0]).split()) + more, True
    return None


def test_result(text: object, *, redact: Redact | None = None) -> str | None:
    """A one-line summary of a test run's outcome read from its output, or None when the
    output states none: pytest's "3 failed, 12 passed" (timing dropped) or "no tests ran",
    unittest's "OK (5 tests)" / "FAILED (5 tests, failures=1)", jest/vitest's `Tests:` counts,
    cargo's "ok. 3 passed; 0 failed; …", go's "ok example.com/pkg" / "FAIL (1 of 3 packages)",
    mocha's "5 passing, 1 failing", RSpec, PHPUnit, Maven, dotnet and TAP counts; failing that,
    pytest's first "FAILED path::test - reason" line (+ how many more).
    """
    if not isinstance(text, str) or not text:
        return None
    outcome = _test_outcome(text, failed_lines=True)
    if outcome is None:
        return None
    return _one_line(outcome[0], redact) or None


test_result.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


# --- reported failures ------------------------------------------------------------------------

#: Error words a result of a non-command tool may start with (`Error: File not found: …`,
#: `Error reading file: …`, `fatal: …`, `ValueError: …`, `ToolNotFoundError: …`).
_DOING = (r"(?: (?:reading|writing|executing|running|listing|loading|parsing|spawning|calling"
          r"|creating|editing|opening|fetching|connecting|processing|deleting|moving|copying"
          r"|searching|applying|invoking|starting)\b[^:\n]{0,60})?:")
_ERROR_START = re.compile(r"^(?:error|fatal|fatal error)" + _DOING, re.IGNORECASE)
_EXCEPTION_START = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Z][A-Za-z]*(?:Error|Exception):\s")
#: The same, only Attocode-style `Error:` / `Error reading file:` (file content is not an error).
_READ_ERROR_START = re.compile(r"^Error" + _DOING)
#: What a command tool itself says when it could not run the command (Attocode's bash:
#: `Error: Command timed out after 120s`, `Error executing command: …`, sandbox and cwd errors).
_COMMAND_TOOL_ERROR = re.compile(
    r"^Error(?::| executing| running)\s*(?:command|tool|working directory|timed? ?out|timeout"
    r"|permission|sandbox|process|the command|shell)", re.IGNORECASE)
#: Phrases that, starting a result, say the operation failed.
_FAILURE_PHRASE = re.compile(
    r"^(?:error:\s*)?(?:old_string not found|old_string appears \d+ times|file not found"
    r"|no such file or directory|permission denied|tool not found|not a file|not a directory"
    r"|directory not found|access denied|command not found|no such tool)", re.IGNORECASE)
_COMMAND_NOT_FOUND = re.compile(
    r"(?::\s*command not found\s*$|^\S+: command not found: \S+$|^\S+: (?:\d+: )?\S+: not found\s*$"
    r"|is not recognized as an internal or external command)")
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt)\b")
#: Last lines that say the program crashed (beside any with "Segmentation fault" or "core
#: dumped").
_CRASH_LINES = frozenset({"Killed", "Aborted"})
#: Programs whose output shows other programs' output (logs, files): their output is not
#: judged by test summaries or tracebacks.
_VIEWERS = frozenset({"cat", "head", "tail", "less", "more", "grep", "egrep", "fgrep", "rg", "ag",
                      "gh", "git", "sed", "awk", "jq", "bat", "nl", "tac", "echo", "printf",
                      "find", "ls", "diff", "curl", "wget", "journalctl", "kubectl", "docker"})


def _first_line(head: str) -> str:
    """The first non-blank line that is not a label (`STDERR:`), stripped; "" when none."""
    for raw in head.splitlines():
        line = raw.strip()
        if line and not _LABEL_LINE.match(line):
            return line
    return ""


def _last_line(tail: str) -> str:
    for raw in reversed(tail.splitlines()):
        line = raw.strip()
        if line:
            return _ANSI.sub("", line)
    return ""


_NOT_PROGRAMS = frozenset({"cd", "pushd", "popd", "export", "source", ".", "set", "unset", ""})


def _views_output(args: object) -> bool:
    """Whether the call's command only shows text (cat, grep, gh run view …): the program of
    its first simple command that is not `cd`/`export`/`source`."""
    command = _command_text(_decode_args(args))
    if command is None:
        return False
    for segment in _segments(command):
        words = _program_words(segment)
        program = words[0].rsplit("/", 1)[-1].lower() if words else ""
        if program not in _NOT_PROGRAMS:
            return program in _VIEWERS
    return False


def reported_failure(tool: str, result: object, args: object = None) -> str | None:
    """Why a call recorded as a success failed after all, by what its output reports; or None.

    Reasons: "exit code N", "tests failed", "traceback", "command not found", "crashed",
    "error message". Only the start of the output (its first line) and, for commands, its end
    (the summary) are read, never the middle, and never file content:

    * The first line states a non-zero exit code (`Exit code: 3`, Attocode's bash header)
      -> "tests failed" if the output ends with a failing test summary, else "exit code 3".
      An exit code of 0 means success, whatever follows.
    * File and other tools (not command tools): the first line starts with an error
      (`Error: File not found: …`, `Error reading file: …`, `fatal: …`, `ValueError: …`) or a
      failure phrase (`old_string not found`, `No such file or directory`, `Permission
      denied` …) -> "error message". For reading tools only Attocode's `Error:` form and the
      phrases count, and a line-number gutter (`     1\\t`) marks file content: never a failure.
    * Command tools (bash, shell, run_command …): printing "Error: …" is a program's business,
      so only the tool's own errors count (`Error: Command timed out …`, `Error executing
      command: …`) -> "error message"; `…: command not found` on the first or last line ->
      "command not found"; and, unless `args` shows a command that only displays text (cat,
      grep, gh, git …), the end of the output: a test summary with failures (pytest "1 failed",
      unittest "FAILED (…)", cargo, go, jest …) -> "tests failed", a Python traceback ending in
      an exception -> "traceback", "Segmentation fault"/"Killed" -> "crashed"; a trailing
      `[exit code: 1]`-style line -> "exit code 1".
    * A dict result: a non-zero `exit_code`/`returncode`, `is_error`/`isError` true, `success`
      or `ok` false, or a non-empty `error` -> as above; else its `output`/`stdout` text.
    """
    if isinstance(result, dict):
        return _mapping_failure(tool, result, args)
    if not isinstance(result, str) or not result:
        return None
    role = tool_role(tool)
    head, _ = _head(result)
    first = _first_line(head)
    if not first or _GUTTER.match(first):
        return None
    exit_header = _EXIT_HEADER.match(first)
    if exit_header is not None:
        code = _bounded_int(exit_header.group(1))
        if code is None or code == 0:
            return None
        judged = role == COMMAND and not (args is not None and _views_output(args))
        outcome = _test_outcome(result) if judged else None
        return "tests failed" if outcome is not None and outcome[1] else f"exit code {code}"
    if role == COMMAND:
        return _command_failure(first, result, args)
    if role in (READ, FETCH):
        if _READ_ERROR_START.match(first) or _FAILURE_PHRASE.match(first):
            return "error message"
        return None
    if _ERROR_START.match(first) or _FAILURE_PHRASE.match(first) or _exception_start(first):
        return "error message"
    return None


def _command_failure(first: str, result: str, args: object) -> str | None:
    if _COMMAND_TOOL_ERROR.match(first):
        return "error message"
    if _not_found(first):
        return "command not found"
    if _FAILURE_PHRASE.match(first) and "command not found" in first.lower():
        return "command not found"
    tail, _ = _tail(result, TAIL_WINDOW)
    last = _last_line(tail)
    if _not_found(last):
        return "command not found"
    trailing_exit = _EXIT_HEADER.match(last)
    if trailing_exit is not None:
        code = _bounded_int(trailing_exit.group(1))
        if code:
            return f"exit code {code}"
    outcome = _test_outcome(result) if _may_report_failures(tail) else None
    if outcome is not None and outcome[1]:
        found = "tests failed"
    elif "Traceback (most recent call last):" in tail and _EXCEPTION_LINE.match(last):
        found = "traceback"
    elif last in _CRASH_LINES or "Segmentation fault" in last or "core dumped" in last:
        found = "crashed"
    else:
        return None
    # Output that only shows text (a log, a file) is not judged: asked only when it matters,
    # as reading the command is the costliest step.
    return None if args is not None and _views_output(args) else found


def _exception_start(line: str) -> bool:
    """`_EXCEPTION_START` at the start of `line`, which needs "Error:" or "Exception:"."""
    return ("Error:" in line or "Exception:" in line) and bool(_EXCEPTION_START.match(line))


def _not_found(line: str) -> bool:
    """`_COMMAND_NOT_FOUND` in `line`; its every form holds one of the two phrases tested
    first, which rule out most lines at a fraction of the search's cost."""
    return ("not found" in line or "is not recognized" in line) and bool(
        _COMMAND_NOT_FOUND.search(line))


_EXIT_CODE_KEYS = ("exit_code", "exitCode", "returncode", "return_code", "exit_status")
_ERROR_FLAG_KEYS = ("is_error", "isError", "error_occurred")
_OUTPUT_KEYS = ("output", "stdout", "result", "text")


def _mapping_failure(tool: str, result: dict[Any, Any], args: object) -> str | None:
    for key in _EXIT_CODE_KEYS:
        code = result.get(key)
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            return f"exit code {code}" if -(2**32) < code < 2**32 else "exit code"
    if any(result.get(key) is True for key in _ERROR_FLAG_KEYS):
        return "error message"
    if result.get("success") is False or result.get("ok") is False:
        return "error message"
    error = result.get("error")
    if (isinstance(error, str) and error.strip()) or (isinstance(error, dict) and error):
        return "error message"
    for key in _OUTPUT_KEYS:
        output = result.get(key)
        if isinstance(output, str) and output:
            return reported_failure(tool, output, args)
    return None


# --- written files ----------------------------------------------------------------------------


def written_files(tool: str, args: object) -> list[str]:
    """Paths a call creates, changes or deletes: a write or edit tool's path argument (`path`,
    `file_path`, `notebook_path` …) or every file named in an `apply_patch` patch; [] for
    other tools and for the text editor's `view`. Each path is one line of at most
    MAX_PATH_CHARS (+ "…"), keeping its end. Whether the call succeeded is the caller's
    business (see `reported_failure`)."""
    role = tool_role(tool)
    if role not in (WRITE, EDIT, PATCH):
        return []
    args = _decode_args(args)
    paths: list[str] = []
    if isinstance(args, dict):
        if args.get("command") in ("view", "read"):
            return []
        path = _string_at(args, _PATH_KEYS)
        if path is not None:
            paths.append(path)
    if not paths and role == PATCH:
        text = _patch_text(args)
        paths = _patch_files(text) if text else []
    return [line for line in (_one_line(p, None, limit=MAX_PATH_CHARS, keep_end=True)
                              for p in paths) if line]


def written_file(tool: str, args: object) -> str | None:
    """The (first) path a call writes or edits (see `written_files`), or None."""
    paths = written_files(tool, args)
    return paths[0] if paths else None
