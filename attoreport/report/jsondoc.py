"""The `--json` document: every session's analysis, with Attocode's field names."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from attoreport.analysis import Analysis
from attoreport.report.swarm import swarm_document
from attoreport.swarm.results import SwarmAnalysis


def session_document(analysis: Analysis) -> dict[str, Any]:
    """One session's entry of the `sessions` list (schema in README, "JSON output")."""
    session = analysis.session
    tokens = analysis.tokens
    cache = analysis.cache
    return {
        "session_id": session.session_id,
        "source": session.source,
        "open": session.is_open,
        "summary": analysis.summary.to_dict(),
        "efficiency": {
            "score": analysis.efficiency.score,
            "components": [c.to_dict() for c in analysis.efficiency.components],
        },
        "token_flow": [p.to_dict() for p in tokens.token_flow],
        "tokens": {
            "total_cost": tokens.total_cost,
            "cache_efficiency": tokens.cache_efficiency,
            "breakdown": dict(tokens.breakdown),
            "cost_by_iteration": {str(k): v for k, v in tokens.cost_by_iteration.items()},
        },
        "cache_boundary": {
            "hit_rate": cache.hit_rate,
            "boundary_position": cache.boundary_position,
            "stats": cache.stats.to_dict(),
        },
        "issues": [issue.to_dict() for issue in analysis.issues],
        "event_counts": analysis.event_counts,
        "diagnostics": [d.to_dict() for d in session.diagnostics],
    }


def render_json(analyses: Sequence[Analysis], version: str,
                swarms: Sequence[SwarmAnalysis] = ()) -> str:
    """The whole document as indented JSON text (standard library: exact for huge integers)."""
    document = {
        "tool": {"name": "attoreport", "version": version},
        "sessions": [session_document(a) for a in analyses],
        "swarms": [swarm_document(s) for s in swarms],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
