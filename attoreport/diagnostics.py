"""Diagnostics stored compactly: the first few of each kind of problem one by one, then counts.

A million blank lines must not become a million objects (nor a million report rows): each
kind of problem keeps its first `KEEP` lines individually and then only a count and the
range of lines ("999,995 more blank lines (lines 6–1,000,000)"). Logs of consecutive parts of
a file merge into exactly the log one pass over the whole file would have built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from attoreport.model import Diagnostic

#: Lines of one kind of problem listed one by one before the rest are only counted.
KEEP = 5

#: Problem code -> (one line, several lines): how a group of that problem is named.
PROBLEMS: dict[str, tuple[str, str]] = {
    "blank": ("blank line", "blank lines"),
    "bom": ("line with a byte-order mark", "lines with a byte-order mark"),
    "utf8": ("line of invalid UTF-8", "lines of invalid UTF-8"),
    "cut": ("line cut short", "lines cut short"),
    "nul": ("line of binary junk", "lines of binary junk"),
    "not-json": ("line that is not JSON", "lines that are not JSON"),
    "bad-json": ("line of invalid JSON", "lines of invalid JSON"),
    "deep": ("line nested too deeply", "lines nested too deeply"),
    "long": ("overlong line", "overlong lines"),
    "not-object": ("line that is not a JSON object", "lines that are not JSON objects"),
    "kind": ("line with a kind that is not a name", "lines with a kind that is not a name"),
    "unknown-kind": ("event of an unknown kind", "events of unknown kinds"),
    "no-time": ("event without a timestamp", "events without a timestamp"),
    "bad-time": ("event with an unbelievable timestamp", "events with unbelievable timestamps"),
    "data": ("event whose data is not an object", "events whose data is not an object"),
    "iteration": ("event with an unusable iteration", "events with unusable iterations"),
    "parent": ("event with an unusable parent id", "events with unusable parent ids"),
    "numbers": ("event with numbers that are not plain", "events with numbers that are not plain"),
    "value": ("event with a value JSON cannot carry", "events with values JSON cannot carry"),
    "legacy-type": ("line without a usable kind or type", "lines without a usable kind or type"),
    "legacy-time": ("legacy line without a usable timestamp",
                    "legacy lines without a usable timestamp"),
    "damage": ("unreadable stretch", "unreadable stretches"),
}


@dataclass(slots=True)
class _Group:
    """One kind of problem: its first lines, then a count and a range."""

    kept: list[tuple[int, str, str]] = field(default_factory=list)  # (line, message, action)
    more: int = 0
    first_more: int = 0
    last_more: int = 0
    more_action: str = "skipped"


class DiagnosticLog:
    """The diagnostics of one session (or one part of a file), grouped by problem code."""

    __slots__ = ("groups", "damaged_lines", "first_line", "last_line")

    def __init__(self) -> None:
        self.groups: dict[str, _Group] = {}
        #: Distinct lines with at least one problem (diagnostics arrive in line order).
        self.damaged_lines = 0
        self.first_line = 0
        self.last_line = 0

    def __bool__(self) -> bool:
        return bool(self.groups)

    def add(self, code: str, line: int, message: str, action: str = "skipped") -> None:
        """Record one problem of kind `code` on `line` (lines arrive in increasing order)."""
        if line != self.last_line or not self.damaged_lines:
            self.damaged_lines += 1
            if not self.first_line:
                self.first_line = line
            self.last_line = line
        group = self.groups.get(code)
        if group is None:
            group = self.groups[code] = _Group()
        if len(group.kept) < KEEP:
            group.kept.append((line, message, action))
            return
        if not group.more:
            group.first_more = line
            group.more_action = action
        group.more += 1
        group.last_more = line

    def add_many(self, code: str, first: int, count: int, message: str,
                 action: str = "skipped") -> None:
        """Record the same problem on `count` consecutive lines from `first` (blank runs)."""
        for line in range(first, first + min(count, KEEP)):
            self.add(code, line, message, action)
        rest = count - min(count, KEEP)
        if rest <= 0:
            return
        group = self.groups[code]
        _count_more(group, first + count - rest, first + count - 1, rest, action)
        self.damaged_lines += rest  # lines after the last one counted: all new
        self.last_line = first + count - 1

    def insert(self, code: str, line: int, message: str, action: str, alone: bool) -> None:
        """Record a problem after those of later lines, as `add` would have recorded it in its
        place (a part of a file learns only when joined whether an earlier part reported it).
        Problems of `code` are inserted in line order, and `alone` says whether this log has
        no other problem on that line; `code`'s group takes its place among the others (they
        are in the order their first lines came, as `entries` breaks ties by it)."""
        group = self.groups.get(code)
        if group is None:
            group = _Group()
            before = {c: g for c, g in self.groups.items() if _first_line(g) < line}
            self.groups = {**before, code: group,
                           **{c: g for c, g in self.groups.items() if c not in before}}
        if len(group.kept) < KEEP:
            group.kept.append((line, message, action))
        else:
            _count_more(group, line, line, 1, action)
        if alone:
            self.damaged_lines += 1
            self.first_line = min(self.first_line or line, line)
            self.last_line = max(self.last_line, line)

    def extend(self, later: DiagnosticLog) -> None:
        """Append the log of the part of the file that follows this one."""
        if not later.groups:
            return
        overlap = 1 if self.damaged_lines and later.first_line == self.last_line else 0
        self.damaged_lines += later.damaged_lines - overlap
        if not self.first_line:
            self.first_line = later.first_line
        self.last_line = max(self.last_line, later.last_line)
        for code, theirs in later.groups.items():
            mine = self.groups.get(code)
            if mine is None:
                self.groups[code] = _Group(list(theirs.kept), theirs.more, theirs.first_more,
                                           theirs.last_more, theirs.more_action)
                continue
            for line, message, action in theirs.kept:
                if len(mine.kept) < KEEP:
                    mine.kept.append((line, message, action))
                else:
                    _count_more(mine, line, line, 1, action)
            if theirs.more:
                _count_more(mine, theirs.first_more, theirs.last_more, theirs.more,
                            theirs.more_action)

    def entries(self, file: str, text: Callable[[str], str] | None = None) -> list[Diagnostic]:
        """Diagnostics in line order: the kept ones, then one per group for the rest."""
        out: list[Diagnostic] = []
        for code, group in self.groups.items():
            for line, message, action in group.kept:
                out.append(Diagnostic(file, line, text(message) if text else message, action))
            if group.more:
                one, several = PROBLEMS.get(code.split(":", 1)[0], (
                    "line with this problem", "lines with this problem"))
                noun = one if group.more == 1 else several
                where = (f"line {group.first_more:,}" if group.more == 1 else
                         f"lines {group.first_more:,}–{group.last_more:,}")
                out.append(Diagnostic(file, group.first_more,
                                      f"…and {group.more:,} more {noun} ({where})",
                                      group.more_action, group.more, group.last_more))
        out.sort(key=lambda d: (d.line, d.count))
        return out

    def first(self) -> tuple[int, str] | None:
        """(line, message) of the earliest diagnostic, if any."""
        found = [group.kept[0][:2] for group in self.groups.values() if group.kept]
        return min(found) if found else None


def _first_line(group: _Group) -> int:
    return group.kept[0][0] if group.kept else group.first_more


def _count_more(group: _Group, first: int, last: int, count: int, action: str) -> None:
    if not group.more:
        group.first_more = first
        group.more_action = action
    group.more += count
    group.last_more = max(group.last_more, last)


@dataclass(frozen=True, slots=True)
class Damage:
    """What the diagnostics add up to, said the same way everywhere (terminal, HTML, Markdown).

    A line can have two problems (it is then counted once in `lines` and in both actions).
    """

    #: Distinct damaged lines (as `Session.damaged_lines` counts them).
    lines: int
    skipped: int
    repaired: int
    #: Notes about whole inputs (line 0: an empty file skipped in a folder, say).
    notes: int


def damage(diagnostics: Iterable[Diagnostic], lines: int | None = None) -> Damage:
    """Lines skipped and repaired (grouped diagnostics count every line they stand for);
    `lines`: the distinct damaged lines when known (`Session.damaged_lines`)."""
    skipped = repaired = notes = 0
    for d in diagnostics:
        if not d.line:
            notes += 1
        elif d.action == "skipped":
            skipped += d.count
        else:
            repaired += d.count
    return Damage(skipped + repaired if lines is None else lines, skipped, repaired, notes)
