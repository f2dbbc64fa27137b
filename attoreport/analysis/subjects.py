"""What a detected issue is about (a tool, an agent), read from Attocode's wording of it."""

from __future__ import annotations

from attoreport.analysis.detectors import DetectedIssue

#: Categories whose title ends with what they are about: "Repeated tool call: bash".
SUBJECT_IN_TITLE = frozenset({"doom_loop", "long_tool", "subagent_timeout"})


def issue_subject(issue: DetectedIssue) -> str:
    """The tool or agent an issue concerns, or "" when it concerns the session as a whole."""
    if issue.category in SUBJECT_IN_TITLE and ": " in issue.title:
        return issue.title.split(": ", 1)[1]
    return ""
