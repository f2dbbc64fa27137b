"""Make sense of what attoswarm kept of a worker's output: tool inputs and stdout.

attoswarm keeps a tool call's input only as `input_summary`, the first 100 (events) or 200
(agent trace) characters of `json.dumps(input)`: usually cut in the middle of a string.
`main_argument` pulls the one argument a reader wants (the command, the path, the
pattern) out of such a prefix. A task's `result_summary` is the start of the worker's raw
stdout (Claude Code stream-json or codex JSONL); `worker_said` picks the worker's own
words out of it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from attoreport.swarm.values import bounded

#: Input keys that say what a tool call did, most telling first.
MAIN_KEYS = ("command", "file_path", "notebook_path", "pattern", "path", "url", "query",
             "prompt", "description", "content", "subject", "skill")
ARGUMENT_CHARS = 200
SAID_CHARS = 600
_KEY_VALUE = re.compile(r'"(?P<key>[A-Za-z_]+)"\s*:\s*"(?P<value>(?:[^"\\]|\\.)*)(?P<end>"?)')


def main_argument(input_summary: str) -> str:
    """The most telling argument of a tool call, from its (possibly cut) JSON input.

    `{"command": "pytest -q", "description": "Run the te` -> `pytest -q`; a value cut by
    attoswarm ends with an ellipsis; input that is not an object is returned as it is."""
    if not input_summary:
        return ""
    try:
        whole = json.loads(input_summary)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        for key in MAIN_KEYS:
            value = whole.get(key)
            if isinstance(value, str) and value:
                return bounded(" ".join(value.split()), ARGUMENT_CHARS)
        return bounded(input_summary, ARGUMENT_CHARS)
    found: dict[str, str] = {}
    for match in _KEY_VALUE.finditer(input_summary):
        key = match.group("key")
        if key in MAIN_KEYS and key not in found:
            value = _unescape(match.group("value"))
            found[key] = value if match.group("end") else value + "…"
    for key in MAIN_KEYS:
        if found.get(key):
            return bounded(" ".join(found[key].split()), ARGUMENT_CHARS)
    return bounded(input_summary, ARGUMENT_CHARS)


def _unescape(value: str) -> str:
    """JSON string escapes decoded; a cut escape at the end is dropped."""
    for cut in range(0, 7):
        candidate = value[: len(value) - cut] if cut else value
        try:
            decoded = json.loads(f'"{candidate}"')
        except ValueError:
            continue
        return decoded if isinstance(decoded, str) else value
    return value


def worker_said(stdout_start: str) -> str:
    """The worker's own words in the start of its stdout (assistant text, codex agent
    messages, the final result), or the text itself when it is not JSON Lines."""
    said: list[str] = []
    json_lines = False
    for line in stdout_start.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        json_lines = True
        try:
            item = json.loads(line)
        except ValueError:  # the last line is usually cut
            continue
        if isinstance(item, dict):
            said.extend(_texts_of(item))
        if sum(len(s) for s in said) > SAID_CHARS:
            break
    if not json_lines:
        return bounded(" ".join(stdout_start.split()), SAID_CHARS)
    return bounded(" ".join(" ".join(s.split()) for s in said if s.strip()), SAID_CHARS)


def _texts_of(item: dict[str, Any]) -> list[str]:
    kind = item.get("type")
    if kind == "assistant":
        message = item.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        return [block["text"] for block in content or []
                if isinstance(block, dict) and block.get("type") == "text"
                and isinstance(block.get("text"), str)] if isinstance(content, list) else []
    if kind == "result" and isinstance(item.get("result"), str):
        return [item["result"]]
    if kind == "item.completed":
        inner = item.get("item")
        if isinstance(inner, dict) and inner.get("type") == "agent_message" \
                and isinstance(inner.get("text"), str):
            return [inner["text"]]
    return []
