"""Writing and reading the audit log: who did what, when, from where."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.audit.models import AuditEntry
from jcoc.db.base import utcnow


class _HasActor(Protocol):
    @property
    def actor(self) -> str: ...


def remote_addr_of(request: Request | None) -> str:
    """The caller's address as the server saw it ("" when unknown)."""
    if request is None or request.client is None:
        return ""
    return request.client.host


async def record(
    *,
    db_session: AsyncSession,
    principal_or_actor: _HasActor | str,
    action: str,
    target: str = "",
    request: Request | None = None,
    remote_addr: str | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add one audit entry in the caller's transaction (it commits with the write it records)."""
    actor = principal_or_actor if isinstance(principal_or_actor, str) else principal_or_actor.actor
    entry = AuditEntry(
        time=now or utcnow(),
        actor=actor[:100],
        action=action[:64],
        target=target[:100],
        remote_addr=(remote_addr if remote_addr is not None else remote_addr_of(request))[:64],
        detail=detail or {},
    )
    db_session.add(entry)
    await db_session.flush()
    return entry


async def search(
    *,
    db_session: AsyncSession,
    actor: str | None = None,
    action_prefix: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[AuditEntry], int]:
    """Audit entries matching the filters, newest first, and how many match in all."""
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action_prefix:
        query = query.where(AuditEntry.action.startswith(action_prefix, autoescape=True))
    if target:
        query = query.where(AuditEntry.target == target)
    if since:
        query = query.where(AuditEntry.time >= since)
    if until:
        query = query.where(AuditEntry.time < until)
    total = await db_session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await db_session.scalars(
        query.order_by(AuditEntry.time.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    )
    return rows.all(), int(total or 0)
