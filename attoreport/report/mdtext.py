"""Trace text as plain Markdown: what every Markdown output (sessions, swarm runs) uses."""

from __future__ import annotations

import re

from attoreport.textsafe import shown

_WORD_JOINER = "\u2060"
_MARKUP = re.compile(r"([\\`*_{}\[\]<>#~|$&!])")
_SCHEME = re.compile(r"(?<=[A-Za-z0-9+.-]):(?=//)")
_WWW = re.compile(r"(?i)(?<![A-Za-z0-9])(www)(?=\.)")
#: GitHub links "#12" and "GH-12" to the repository's issue 12.
_ISSUE_REFERENCE = re.compile(r"(?i)(#|(?<![A-Za-z0-9])gh-)(?=\d)")


def escape_text(text: object, limit: int = 120) -> str:
    """Trace text as one line of plain Markdown: bounded, escaped, no links, mentions or
    issue references."""
    cleaned = _MARKUP.sub(r"\\\1", shown(text, limit))
    cleaned = _SCHEME.sub(":" + _WORD_JOINER, cleaned)
    cleaned = _WWW.sub(r"\1" + _WORD_JOINER, cleaned)
    cleaned = _ISSUE_REFERENCE.sub(r"\1" + _WORD_JOINER, cleaned)
    return cleaned.replace("@", "@" + _WORD_JOINER)
