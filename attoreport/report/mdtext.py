"""Trace text as plain Markdown: what every Markdown output (sessions, swarm runs) uses."""

from __future__ import annotations

import functools
import re

from markdown_it import MarkdownIt

from attoreport.textsafe import shown, shown_path

_WORD_JOINER = "\u2060"
_MARKUP = re.compile(r"([\\`*_{}\[\]<>#~|$&!])")
_SCHEME = re.compile(r"(?<=[A-Za-z0-9+.-]):(?=//)")
_WWW = re.compile(r"(?i)(?<![A-Za-z0-9])(www)(?=\.)")
#: GitHub links "#12" and "GH-12" to the repository's issue 12.
_ISSUE_REFERENCE = re.compile(r"(?i)(#|(?<![A-Za-z0-9])gh-)(?=\d)")


def escape_text(text: object, limit: int = 120) -> str:
    """Trace text as one line of plain Markdown: bounded, escaped, no links, mentions or
    issue references."""
    return _plain_markdown(shown(text, limit))


def escape_path(path: object, limit: int = 120) -> str:
    """A file path as `escape_text` gives text, a long one shortened from its start so the
    file's name stays."""
    return _plain_markdown(shown_path(path, limit))


def _plain_markdown(cleaned: str) -> str:
    cleaned = _MARKUP.sub(r"\\\1", cleaned)
    cleaned = _SCHEME.sub(":" + _WORD_JOINER, cleaned)
    cleaned = _WWW.sub(r"\1" + _WORD_JOINER, cleaned)
    cleaned = _ISSUE_REFERENCE.sub(r"\1" + _WORD_JOINER, cleaned)
    return cleaned.replace("@", "@" + _WORD_JOINER)


@functools.cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def markdown_plain(source: str) -> str:
    """The words of a Markdown text without its markup (`**a** b` -> `a b`), one line: for a
    table cell that shows a goal written in Markdown."""
    words: list[str] = []
    for token in _parser().parse(source):
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                words.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                words.append(" ")
        if token.type in ("paragraph_close", "heading_close") and words:
            words.append(" ")
    return " ".join("".join(words).split())
