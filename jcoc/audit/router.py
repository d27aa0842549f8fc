"""Reading the audit log (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from jcoc.audit import service
from jcoc.audit.schemas import AuditOut, AuditPage
from jcoc.auth.deps import Admin
from jcoc.db.deps import SessionDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=AuditPage, summary="Audit log (Log audit)")
async def list_audit(
    db_session: SessionDep,
    _: Admin,
    actor: str | None = None,
    action: Annotated[str | None, Query(description="Action prefix, e.g. `incident.`")] = None,
    target: str | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditPage:
    rows, total = await service.search(
        db_session=db_session,
        actor=actor,
        action_prefix=action,
        target=target,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return AuditPage(
        items=[AuditOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )
