"""The `--json` document: every session's analysis, with Attocode's field names.

Built from plain dicts and written by orjson; the standard library writes it only when
orjson cannot (integers beyond 64 bits, which Attocode's values may hold).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any

import orjson

from attoreport.analysis import Analysis
from attoreport.analysis.compare import BaselineComparison, baseline_document, comparison_document
from attoreport.limits import DEFAULT_LIMITS, Limits
from attoreport.redact import Redactor, redaction_document
from attoreport.report.summary import evidence_rows, evidence_view
from attoreport.textsafe import bounded, json_escaped_bytes

if TYPE_CHECKING:
    from attoreport.swarm.results import SwarmAnalysis


def session_document(analysis: Analysis, *, native: bool = False,
                     limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """One session's entry of the `sessions` list (schema in README, "JSON output").

    `native`: the long lists (token flow, issues) stay dataclasses, which orjson writes
    field by field without a dict per entry, and are written a batch at a time (see
    `dump_pieces`): the same text, with much less memory on big traces.
    The goal keeps its first `limits.goal_chars` characters (Attocode's collector keeps 500).
    """
    session = analysis.session
    tokens = analysis.tokens
    costs = tokens.cost_by_iteration
    cache = analysis.cache
    summary = analysis.summary.to_dict()
    goal = summary.get("goal")
    if isinstance(goal, str):
        summary["goal"] = bounded(goal, limits.goal_chars)
    return {
        "session_id": session.session_id,
        "source": session.source,
        "open": session.is_open,
        "summary": summary,
        "efficiency": {
            "score": analysis.efficiency.score,
            "components": [c.to_dict() for c in analysis.efficiency.components],
        },
        "token_flow": _Streamed(tokens.token_flow) if native
        else [p.to_dict() for p in tokens.token_flow],
        "tokens": {
            "total_cost": tokens.total_cost,
            "cache_efficiency": tokens.cache_efficiency,
            "breakdown": dict(tokens.breakdown),
            "cost_by_iteration": _Streamed(_StrKeys(costs)) if native and all(
                type(k) is int for k in costs)  # distinct keys, distinct texts in any batch
            else {str(k): v for k, v in costs.items()},
        },
        "cache_boundary": {
            "hit_rate": cache.hit_rate,
            "boundary_position": cache.boundary_position,
            "stats": cache.stats.to_dict(),
        },
        "issues": _Streamed(analysis.issues) if native
        else [issue.to_dict() for issue in analysis.issues],
        "event_counts": analysis.event_counts,
        "diagnostics": [d.to_dict() for d in session.diagnostics],
        "outcome": outcome_document(analysis),
        "spend": spend_document(analysis),
    }


def render_json(analyses: Sequence[Analysis], version: str,
                swarms: Sequence[SwarmAnalysis] = (),
                comparison: BaselineComparison | None = None,
                redactor: Redactor | None = None, limits: Limits = DEFAULT_LIMITS) -> str:
    """The whole document as indented JSON text.

    With a comparison (one per analysis, as `compare()` returns them), the document gains a
    top-level `baseline` object (thresholds, removed sessions) and each session a
    `comparison` object (its baseline session, deltas, regressions, issues new / fixed /
    unchanged); see README, "JSON output". The first `limits.json_sessions` sessions are
    written, the rest counted in `sessions_left_out`: a file of 80,000 session ids must not
    make a JSON of hundreds of megabytes."""
    return dumps(document(analyses, version, swarms, comparison, redactor, limits))


def render_json_bytes(analyses: Sequence[Analysis], version: str,
                      swarms: Sequence[SwarmAnalysis] = (),
                      comparison: BaselineComparison | None = None,
                      redactor: Redactor | None = None,
                      limits: Limits = DEFAULT_LIMITS) -> Iterator[bytes]:
    """`render_json`'s text as UTF-8 pieces to write one after the other: the document of a
    large trace is tens of megabytes, and this never holds it whole (see `dump_pieces`)."""
    return dump_pieces(document(analyses, version, swarms, comparison, redactor, limits))


def document(analyses: Sequence[Analysis], version: str, swarms: Sequence[SwarmAnalysis] = (),
             comparison: BaselineComparison | None = None,
             redactor: Redactor | None = None,
             limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The `--json` document as plain values (see `render_json`)."""
    document: dict[str, Any] = {"tool": {"name": "attoreport", "version": version}}
    kept = analyses[: limits.json_sessions]
    sessions = [session_document(a, native=True, limits=limits) for a in kept]
    if comparison is not None:
        document["baseline"] = baseline_document(comparison)
        for entry, compared in zip(sessions, comparison.sessions[: len(kept)], strict=True):
            entry["comparison"] = comparison_document(compared)
    document["sessions"] = sessions
    document["sessions_left_out"] = len(analyses) - len(kept)
    if swarms:  # the swarm modules are imported only for a run folder
        from attoreport.report.swarm import swarm_document

        document["swarms"] = [swarm_document(s) for s in swarms]
    else:
        document["swarms"] = []
    document["redaction"] = redaction_document(redactor)  # last: details were read above
    return document


def outcome_document(analysis: Analysis) -> dict[str, Any]:
    """How the session ended and what the trace shows about the result: attoreport's own
    reading, beside Attocode's numbers (which it never changes)."""
    outcome = analysis.outcome
    evidence = outcome.evidence
    details = analysis.session.details(evidence_rows(analysis))
    view = evidence_view(analysis, details)
    return {
        "state": outcome.state,
        "status": outcome.status,
        "wall_seconds": outcome.wall_seconds,
        "counts": {
            "model_calls": outcome.counts.model_calls,
            "failed_model_calls": outcome.counts.failed_model_calls,
            "tool_calls": outcome.counts.tool_calls,
            "failed_tool_calls": outcome.counts.failed_tool_calls,
            "error_events": outcome.counts.error_events,
            "errors": outcome.counts.errors,
            "reported_failures": evidence.reported_failures,
        },
        "tests_passed": evidence.tests_passed,
        "runs": [{"kind": run.kind, "command": line.command, "result": line.result,
                  "passed": run.passed, "line": analysis.session.table.lines[run.row]}
                 for run, line in zip(evidence.runs, view.runs, strict=True)],
        "changed_files": view.files,
        "more_changed_files": view.more_files,
    }


def spend_document(analysis: Analysis) -> dict[str, Any]:
    """The total spend and its parts: Attocode's own total (model calls) plus what swarm
    tasks report themselves (which Attocode leaves out)."""
    spent = analysis.spend
    return {
        "total_cost": spent.total_cost,
        "model_cost": spent.model_cost,
        "swarm_task_cost": spent.swarm_task_cost,
        "total_tokens": spent.total_tokens,
        "model_tokens": spent.model_tokens,
        "swarm_task_tokens": spent.swarm_task_tokens,
    }


def dumps(document: Any) -> str:
    """Indented JSON: orjson, or the standard library for integers beyond 64 bits; bidi
    controls and invisible characters escaped (`json_escaped`)."""
    return "".join(piece.decode("utf-8") for piece in dump_pieces(document))


#: Items of a long list written at a time (`dump_pieces`).
STREAM_ITEMS = 4096


class _Streamed:
    """A long list or object of the document (a token flow point and a cost per iteration,
    an issue per instance: 87,000, 87,000 and 19,000 of them in a million-event trace),
    written a batch at a time by `dump_pieces`: its items are made and held only a batch at
    a time."""

    __slots__ = ("items",)

    def __init__(self, items: Sequence[Any] | _StrKeys) -> None:
        self.items = items

    def to_dict(self) -> Any:  # any other writer: the whole of it
        items = self.items
        return next(items.batches(len(items)), {}) if isinstance(items, _StrKeys) else list(items)

    def batches(self) -> Iterator[Any]:
        """The items, `STREAM_ITEMS` at a time."""
        items = self.items
        if isinstance(items, _StrKeys):
            return items.batches(STREAM_ITEMS)
        return (items[first:first + STREAM_ITEMS] for first in range(0, len(items), STREAM_ITEMS))


class _StrKeys:
    """A mapping's items as a JSON object's, their keys as text, a batch at a time."""

    __slots__ = ("mapping",)

    def __init__(self, mapping: Mapping[Any, Any]) -> None:
        self.mapping = mapping

    def __len__(self) -> int:
        return len(self.mapping)

    def batches(self, size: int) -> Iterator[dict[str, Any]]:
        pairs = iter(self.mapping.items())
        while batch := {str(k): v for k, v in islice(pairs, size)}:
            yield batch


def dump_pieces(document: Any) -> Iterator[bytes]:
    """`dumps` as UTF-8 pieces, with bidi controls and invisible characters escaped
    (`json_escaped_bytes`: a piece that has none is not copied).

    The document is written with a placeholder for each long list or object (`_Streamed`),
    then each placeholder gives way to its items, written `STREAM_ITEMS` at a time and
    indented as they would be in place: the same text as writing it whole, without holding
    all of it (a trace of 100,000 iterations: 29 MB of JSON written with 4.6 MB of memory at
    the peak, not 100)."""
    # By id, numbered in the order met: a writer that gives up and the next meet them alike.
    longs: dict[int, tuple[int, _Streamed]] = {}
    mark = f"attoreport:streamed:{secrets.token_hex(8)}:"

    def placeholder(value: Any) -> Any:
        if isinstance(value, _Streamed):
            number, _ = longs.setdefault(id(value), (len(longs), value))
            return f"{mark}{number}"
        return _plain(value)

    data = _dump(document, placeholder)
    start = 0
    for number, long in longs.values():
        quoted = f'"{mark}{number}"'.encode()
        at = data.index(quoted, start)
        line = data[data.rfind(b"\n", 0, at) + 1:at]
        yield json_escaped_bytes(data[start:at])
        yield from _long_pieces(long, len(line) - len(line.lstrip(b" ")), placeholder)
        start = at + len(quoted)
    yield json_escaped_bytes(data[start:])
    yield b"\n"


def _long_pieces(long: _Streamed, indent: int, default: Any) -> Iterator[bytes]:
    """A long list or object as `_dump` writes it inside a document, on a line indented by
    `indent`."""
    brackets = b"{}" if isinstance(long.items, _StrKeys) else b"[]"
    if not len(long.items):
        yield brackets
        return
    newline = b"\n" + b" " * indent
    yield brackets[:1]
    for number, batch in enumerate(long.batches()):
        text = _dump(batch, default)  # b"[\n  ...\n]" or b"{\n  ...\n}"
        if number:
            yield b","
        yield json_escaped_bytes(text[1:-2].replace(b"\n", newline))
    yield newline + brackets[1:]


def _dump(value: Any, default: Any) -> bytes:
    """Indented JSON: orjson, or the standard library for integers beyond 64 bits."""
    try:
        return orjson.dumps(value, default=default, option=orjson.OPT_INDENT_2)
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits (or deeper than 255)
        return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False,
                          default=default).encode("utf-8")


def _plain(value: Any) -> Any:
    """Dataclasses the standard library cannot write: their `to_dict()`."""
    to_dict = getattr(value, "to_dict", None)
    if to_dict is None:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return to_dict()
