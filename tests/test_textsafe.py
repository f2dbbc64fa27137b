"""Display and JSON safety of trace text (attoreport.textsafe)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import attoreport
from attoreport import textsafe
from attoreport.report.page import build_report
from tests.conftest import FIXTURES

#: Bidi controls, zero-width and other invisible characters, and ordinary non-ASCII text.
INVISIBLE = "\u00ad\u061c\u200b\u202e\u2066\u2069\ufeff\u3164\U000e0041"
ORDINARY = "aé…—→中😀\"\\\n"


@given(st.text(alphabet=INVISIBLE + ORDINARY, max_size=60), st.integers(1, 9))
def test_invisible_characters_are_found_in_utf8_pieces_of_any_size(text: str, step: int) -> None:
    """The JSON writer looks for invisible characters a piece of the bytes at a time: a piece
    never ends inside a character, and nothing is missed at a boundary."""
    found = textsafe._has_invisible(text.encode("utf-8"), step)
    assert found == any(c in INVISIBLE for c in text)


@given(st.text(alphabet=INVISIBLE + ORDINARY, max_size=60))
def test_json_bytes_are_escaped_as_json_text_is(text: str) -> None:
    data = json.dumps({"value": text}, ensure_ascii=False).encode("utf-8")
    escaped = textsafe.json_escaped_bytes(data)
    assert escaped == textsafe.json_escaped(data.decode("utf-8")).encode("utf-8")
    assert json.loads(escaped) == {"value": text}  # the same strings to a JSON reader
    assert not any(c in INVISIBLE for c in escaped.decode("utf-8"))
    if not any(c in INVISIBLE for c in text):
        assert escaped is data  # nothing to escape: not copied


def test_a_long_path_keeps_its_file_name() -> None:
    path = "/tmp/" + "c69919b6" * 10 + "/repo/tests/fixtures/collector/run-7.jsonl"
    shown = textsafe.shown_path(path, 40)
    assert shown.startswith("…") and shown.endswith("/run-7.jsonl") and len(shown) == 41
    assert textsafe.shown_path("short/run.jsonl", 40) == "short/run.jsonl"


def test_a_report_names_a_deeply_placed_trace_by_its_file(tmp_path: Path) -> None:
    """The report cut a long path after its first characters, dropping the file's name (and
    made the gold files depend on where the checkout was)."""
    folder = tmp_path.joinpath(*["deeply-nested-folder"] * 8)
    folder.mkdir(parents=True)
    trace = folder / "collector-doom-loop-tool-errors.jsonl"
    trace.write_bytes((FIXTURES / "collector" / trace.name).read_bytes())
    [session] = attoreport.load([str(trace)])
    view = build_report([attoreport.analyse(session)], version="x")
    [section] = view.sessions
    assert section.source.startswith("…")
    assert section.source.endswith(f"/{trace.name}")
    assert [(e.path, e.traces) for e in view.sources] == [(section.source, 1)]
