"""The one exception type attoreport raises on purpose."""

from __future__ import annotations


class AttoreportError(Exception):
    """Bad usage or unreadable input. The message names the file and says what is wrong."""
