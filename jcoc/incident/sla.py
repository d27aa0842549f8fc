"""SLA clocks computed live: due times from the policy, and each clock's state now."""

from __future__ import annotations

from datetime import datetime, timedelta

from jcoc.incident.models import Incident, SlaPolicy

# A clock is "due soon" once less than this share of its window is left.
DUE_SOON_FRACTION = 0.2

_RANK = {"met": 0, "ok": 1, "due_soon": 2, "breached": 3}


def due_times(policy: SlaPolicy | None, opened_at: datetime) -> tuple[datetime | None, ...]:
    """(ack due, resolve due) for an incident opened at `opened_at` under `policy`."""
    if policy is None:
        return None, None
    return (
        opened_at + timedelta(minutes=policy.ack_minutes),
        opened_at + timedelta(minutes=policy.resolve_minutes),
    )


def clock_state(
    *, start: datetime, due: datetime | None, done_at: datetime | None, now: datetime
) -> str:
    """One clock: met (done in time), breached (late, done or not), due_soon, ok."""
    if due is None:
        return "met" if done_at else "ok"
    if done_at is not None:
        return "met" if done_at <= due else "breached"
    if now > due:
        return "breached"
    window = (due - start).total_seconds()
    if window > 0 and (due - now).total_seconds() < window * DUE_SOON_FRACTION:
        return "due_soon"
    return "ok"


def sla_state(incident: Incident, now: datetime) -> dict[str, object]:
    """The SLA part of an incident's JSON."""
    ack = clock_state(
        start=incident.opened_at,
        due=incident.ack_due_at,
        done_at=incident.acknowledged_at,
        now=now,
    )
    resolve = clock_state(
        start=incident.opened_at,
        due=incident.resolve_due_at,
        done_at=incident.resolved_at,
        now=now,
    )
    return {
        "ack_due_at": incident.ack_due_at,
        "resolve_due_at": incident.resolve_due_at,
        "ack": ack,
        "resolve": resolve,
        "state": max(ack, resolve, key=_RANK.__getitem__),
        "escalated_at": incident.escalated_at,
    }


def overdue(incident: Incident, now: datetime) -> tuple[str, datetime] | None:
    """The latest clock that has run out unmet now: (reason, due time), or None."""
    passed = []
    if incident.acknowledged_at is None and incident.ack_due_at and now >= incident.ack_due_at:
        passed.append(("ack_breached", incident.ack_due_at))
    if incident.resolved_at is None and incident.resolve_due_at and now >= incident.resolve_due_at:
        passed.append(("resolve_breached", incident.resolve_due_at))
    return max(passed, key=lambda p: p[1]) if passed else None
