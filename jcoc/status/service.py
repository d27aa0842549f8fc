"""Service status: what a stored status means now (silence makes it stale)."""

from __future__ import annotations

from datetime import datetime, timedelta

from jcoc.status.models import DerivedStatus


def derive_status(
    *, reported: str | None, last_time: datetime | None, expected_interval_s: int, now: datetime
) -> DerivedStatus:
    """The status the wall shows: `unknown` before any report, `stale` after silence."""
    if reported is None or last_time is None:
        return DerivedStatus.unknown
    if now - last_time > timedelta(seconds=expected_interval_s):
        return DerivedStatus.stale
    return DerivedStatus(reported)


def stale_since(*, last_time: datetime | None, expected_interval_s: int) -> datetime | None:
    """When a service that last reported at `last_time` became (or will become) stale."""
    if last_time is None:
        return None
    return last_time + timedelta(seconds=expected_interval_s)
