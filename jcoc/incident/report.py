"""Daily figures for supervisors: MTTA, MTTR and share within SLA, per agency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from statistics import fmean
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.incident.models import Incident
from jcoc.opd.models import Agency


def _figures(incidents: Iterable[Incident], now: datetime) -> dict[str, object]:
    items = list(incidents)
    acked = [i for i in items if i.acknowledged_at]
    resolved = [i for i in items if i.resolved_at]
    decided = within = 0
    for i in items:
        ack_ok = i.ack_due_at is None or (
            i.acknowledged_at is not None and i.acknowledged_at <= i.ack_due_at
        )
        res_ok = i.resolve_due_at is None or (
            i.resolved_at is not None and i.resolved_at <= i.resolve_due_at
        )
        ack_late = i.ack_due_at is not None and ((i.acknowledged_at or now) > i.ack_due_at)
        res_late = i.resolve_due_at is not None and ((i.resolved_at or now) > i.resolve_due_at)
        if ack_late or res_late:
            decided += 1
        elif ack_ok and res_ok:
            decided += 1
            within += 1
    return {
        "opened": len(items),
        "acknowledged": len(acked),
        "resolved": len(resolved),
        "mtta_s": round(fmean((i.acknowledged_at - i.opened_at).total_seconds() for i in acked), 1)  # type: ignore[operator]
        if acked
        else None,
        "mttr_s": round(fmean((i.resolved_at - i.opened_at).total_seconds() for i in resolved), 1)  # type: ignore[operator]
        if resolved
        else None,
        "within_sla_pct": round(100.0 * within / decided, 1) if decided else None,
    }


async def daily(
    *, db_session: AsyncSession, day: date, tz: ZoneInfo, now: datetime
) -> dict[str, object]:
    """Figures for incidents opened during `day` in the time zone `tz` (WIB)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    rows = (
        await db_session.execute(
            select(Incident, Agency.code)
            .outerjoin(Agency, Agency.id == Incident.agency_id)
            .where(Incident.opened_at >= start, Incident.opened_at < end)
        )
    ).all()
    per: dict[str | None, list[Incident]] = defaultdict(list)
    for incident, code in rows:
        per[code].append(incident)
    return {
        "date": day,
        "timezone": str(tz),
        **_figures((r[0] for r in rows), now),
        "per_agency": [
            {"agency": code, **_figures(items, now)}
            for code, items in sorted(per.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        ],
    }
