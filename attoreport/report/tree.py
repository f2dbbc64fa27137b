"""The tree section: iterations, with each event nested under the event that started it."""

from __future__ import annotations

from dataclasses import dataclass, field

from attoreport.analysis.timeline import MAIN_LANE
from attoreport.analysis.tree import TreeNode
from attoreport.model import FAILURE_KINDS, category_of
from attoreport.report import format as fmt
from attoreport.report.common import Context, plural, showing


@dataclass(slots=True)
class TreeItem:
    dom_id: str
    label: str
    kind: str
    category: str
    #: Figures beside the label: duration, tokens, cost, errors, agent.
    meta: list[str]
    failed: bool
    #: A tool call's main argument and the start of its result or error.
    subject: str
    excerpt: str
    #: The event's data as short JSON (shown when the node is opened).
    preview: str
    is_iteration: bool
    children: list[TreeItem] = field(default_factory=list)

    @property
    def openable(self) -> bool:
        return bool(self.preview or self.children or self.is_iteration)


@dataclass(frozen=True, slots=True)
class IterationStub:
    """An iteration some link points to that the capped tree does not show: its figures."""

    dom_id: str
    label: str
    meta: list[str]


@dataclass(frozen=True, slots=True)
class TreeView:
    items: list[TreeItem]
    note: str
    stubs: list[IterationStub]


def _meta(node: TreeNode, ctx: Context) -> list[str]:
    meta = []
    if node.duration_ms is not None:
        meta.append(fmt.duration_ms(node.duration_ms))
    if node.tokens:
        meta.append(f"{fmt.count(node.tokens)} tokens")
    if node.cost:
        meta.append(fmt.cost(node.cost))
    if node.is_iteration and node.failures:
        meta.append(plural(node.failures, "error"))
    if not node.is_iteration and node.lane != MAIN_LANE:
        meta.append(f"agent {ctx.name(node.lane)}")
    return meta


def _item(node: TreeNode, ctx: Context) -> TreeItem:
    if node.is_iteration:
        return TreeItem(ctx.iteration_link(node.iteration), f"Iteration {node.iteration}",
                        "iteration", "iteration", _meta(node, ctx), node.failures > 0, "", "",
                        "", True, [_item(child, ctx) for child in node.children])
    detail = ctx.detail(node.row)
    return TreeItem(f"{ctx.anchor}-event-{node.row}", ctx.label(detail.label),
                    ctx.name(node.kind), category_of(node.kind), _meta(node, ctx),
                    node.kind in FAILURE_KINDS, ctx.label(detail.subject),
                    ctx.label(detail.excerpt), ctx.text(detail.preview), False,
                    [_item(child, ctx) for child in node.children])


def build(ctx: Context) -> TreeView:
    """Build last: it gives an anchor to every iteration the other sections linked to."""
    tree = ctx.insights.tree
    items = [_item(root, ctx) for root in tree.roots]
    note = showing(tree.shown, tree.total, "nodes")
    if note:
        note += (": the events of the event log and what they nest under. Iterations that "
                 "other sections link to are listed below with their figures.")
    stubs = []
    for number in sorted(ctx.linked - tree.iterations):
        stats = ctx.insights.iterations.get(number)
        meta = []
        if stats is not None:
            meta = [plural(stats.events, "event"), plural(stats.tool_calls, "tool call")]
            if stats.tokens:
                meta.append(f"{fmt.count(stats.tokens)} tokens")
            if stats.cost:
                meta.append(fmt.cost(stats.cost))
            if stats.errors:
                meta.append(plural(stats.errors, "error"))
        stubs.append(IterationStub(f"{ctx.anchor}-iter-{number}", f"Iteration {number}", meta))
    return TreeView(items, note, stubs)
