"""Health checks: the only routes that need no authentication."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the database answers")
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    try:
        async with state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse(
            {"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse(
        {
            "status": "ok",
            "database": str(state.flavor),
            "bus": "ok" if state.bus.connected else "down",
            **_leadership(state),
        }
    )


def _leadership(state: Any) -> dict[str, Any]:
    """Whether this process is the leader running the singleton jobs, and which run here."""
    leader = getattr(state, "leader", None)
    groups = getattr(state, "job_groups", {})
    return {
        "leader": bool(leader is not None and leader.is_leader),
        "jobs": [name for jobs in groups.values() for name in jobs.names],
        "leads": sorted(group for group, jobs in groups.items() if jobs.running),
    }
