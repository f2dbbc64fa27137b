"""What a detected issue is about (a tool, an agent), read from Attocode's wording of it."""

from __future__ import annotations

from attoreport.analysis.detectors import DetectedIssue

#: Categories whose title ends with what they are about: "Repeated tool call: bash".
SUBJECT_PREFIXES = {
    "doom_loop": "Repeated tool call: ",
    "long_tool": "Long tool execution: ",
    "subagent_timeout": "Subagent timeout: ",
}


def issue_subject(issue: DetectedIssue) -> str:
    """The tool or agent an issue concerns, or "" when it concerns the session as a whole."""
    prefix = SUBJECT_PREFIXES.get(issue.category)
    if prefix is not None and issue.title.startswith(prefix):
        return issue.title[len(prefix):]
    return ""
