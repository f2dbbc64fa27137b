"""No secret from a trace reaches any output: HTML, JSON, Markdown, Perfetto export, stderr."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from attoreport.cli import main
from tests.conftest import event, write_trace

SECRETS = {
    "github-token": "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "github-pat": "github_pat_11ABCDEFG0123456789abc_" + "x" * 59,
    "aws-access-key": "AKIAZ7Q4LMN2PXYT6WRA",
    "aws-secret": "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",
    "anthropic": "sk-ant-api03-" + "Zy9x" * 20 + "AA",
    "openai": "sk-proj-" + "Qw3rTy" * 8,
    "google": "AIza" + "SyDk3J9vQ2mN7pL5xW8rT1yU4oI6eA0sDxy",  # 4 + 35 characters
    "stripe": "sk_live_" + "51HqLyjWDarjtT1zdp7dc",
    "slack": "xoxb-1234567890123-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpv"
           "aG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "bearer": "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg",
    "url-password": "hunter2-Cobalt-Lantern",
    "env-password": "correct-horse-battery-staple-42",
    "private-key": "MIIEowIBAAKCAQEA7bq98QjJzWl5Zy9xZy9x",
}


def hostile_trace(path: Path) -> Path:
    s = SECRETS
    lines: list[dict[str, object] | str] = [
        event("session_start", 1.0, goal=f"Deploy with token {s['github-token']} please",
              model="claude"),
        event("iteration_start", 2.0, 1),
        event("llm_request", 2.1, 1, messages_count=3, model="claude"),
        event("llm_response", 3.0, 1, tokens=100, cost=0.01, input_tokens=50,
              output_tokens=50, cache_read_tokens=0, cache_write_tokens=0),
        event("tool_end", 4.0, 1, tool="bash",
              args={"command": f"curl -H 'Authorization: Bearer {s['bearer']}' "
                               f"https://api.example.com"},
              result=f"AWS_SECRET_ACCESS_KEY={s['aws-secret']}\nAWS_ACCESS_KEY_ID="
                     f"{s['aws-access-key']}", duration_ms=120.0),
        event("tool_end", 5.0, 1, tool="bash", args={"command": "env"},
              result=f"OPENAI_API_KEY={s['openai']}\nDB_PASSWORD={s['env-password']}",
              duration_ms=80.0),
        event("tool_error", 6.0, 1, tool="read_file", args={"path": ".env"},
              error=f"ANTHROPIC_API_KEY={s['anthropic']} is not allowed", duration_ms=5.0),
        event("tool_end", 7.0, 1, tool="write_file",
              args={"path": "config.py", "content": f"STRIPE = '{s['stripe']}'"},
              result="ok", duration_ms=3.0),
        event("error", 8.0, 1, error=f"connect postgres://admin:{s['url-password']}@db:5432"),
        event("subagent_spawn", 9.0, 1, agent_id="helper", task=f"use key {s['google']}"),
        event("custom", 10.0, 1, message=f"slack {s['slack']}",
              **{s["github-pat"]: "a key named like a secret"}),
        event("budget_warning", 11.0, 1, message=f"jwt {s['jwt']}"),
        event("file_change", 12.0, 1, path="keys/id_rsa",
              diff="-----BEGIN RSA PRIVATE KEY-----\n" + s["private-key"]),
        f"not json at all: {s['github-token']}",
        event("session_end", 13.0, status="completed"),
    ]
    return write_trace(path, lines)


def test_no_secret_reaches_any_output(tmp_path: Path) -> None:
    trace = hostile_trace(tmp_path / "secrets.jsonl")
    outputs = {"-o": "r.html", "--json": "r.json", "--markdown": "r.md",
               "--export-trace": "r.trace.json"}
    args = [str(trace)] + [part for flag, name in outputs.items()
                           for part in (flag, str(tmp_path / name))]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    texts = {name: (tmp_path / name).read_text() for name in outputs.values()}
    texts["stderr"] = result.stderr
    for where, text in texts.items():
        for kind, secret in SECRETS.items():
            assert secret not in text, f"{kind} leaked into {where}"
            assert secret[:24] not in text, f"the start of {kind} leaked into {where}"
    assert "[redacted:" in texts["r.html"] and "[redacted:" in texts["r.json"]
    receipt = json.loads(texts["r.json"])["redaction"]
    assert receipt["enabled"] and receipt["total"] >= 10
    assert "secrets redacted:" in result.stderr
    assert "secrets redacted:" in texts["r.html"] and "secrets redacted" in texts["r.md"]


def test_ordinary_values_survive(tmp_path: Path) -> None:
    trace = hostile_trace(tmp_path / "secrets.jsonl")
    result = CliRunner().invoke(main, [str(trace), "-o", str(tmp_path / "r.html")])
    html = (tmp_path / "r.html").read_text()
    assert result.exit_code == 0
    for ordinary in ("config.py", "keys/id_rsa", "curl -H", "https:", "read_file", "write_file"):
        assert ordinary in html, ordinary


def test_no_redact_keeps_everything_and_warns(tmp_path: Path) -> None:
    trace = hostile_trace(tmp_path / "secrets.jsonl")
    result = CliRunner().invoke(main, [str(trace), "--json", str(tmp_path / "r.json"),
                                       "--no-redact"])
    assert result.exit_code == 0
    assert "warning: --no-redact" in result.stderr
    text = (tmp_path / "r.json").read_text()
    assert SECRETS["github-token"] in text
    assert json.loads(text)["redaction"]["enabled"] is False
