"""Service status events (a hypertable on TimescaleDB)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from jcoc.db.base import Base


class Status(StrEnum):
    up = "up"
    degraded = "degraded"
    down = "down"
    maintenance = "maintenance"


class DerivedStatus(StrEnum):
    """What the wall shows: a pushed status, or `stale`/`unknown` derived from silence."""

    up = "up"
    degraded = "degraded"
    down = "down"
    maintenance = "maintenance"
    stale = "stale"
    unknown = "unknown"


class StatusSource(StrEnum):
    push = "push"
    probe = "probe"
    system = "system"


class StatusEvent(Base):
    """One reported status of one service at one time.

    The primary key (service, time, event id) is also the idempotency key: a retried push
    of the same event is a duplicate. It includes the time column, as hypertables require.
    """

    __tablename__ = "status_event"
    __table_args__ = (Index("ix_status_event_service_time", "service_id", "time"),)

    time: Mapped[datetime] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(String(1000), default="")
    latency_ms: Mapped[float | None] = mapped_column(default=None)
    source: Mapped[str] = mapped_column(String(8), default=StatusSource.push)
    received_at: Mapped[datetime] = mapped_column()
