"""Incidents, their links, SLA policies and the append-only timeline (a hypertable)."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jcoc.db.base import Base, utcnow


class IncidentStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


class Severity(IntEnum):
    critical = 1
    high = 2
    medium = 3
    low = 4


class Category(StrEnum):
    flood = "flood"
    fire = "fire"
    traffic = "traffic"
    public_order = "public_order"
    infrastructure = "infrastructure"
    service_outage = "service_outage"
    camera_fault = "camera_fault"
    public_complaint = "public_complaint"
    other = "other"


class IncidentSource(StrEnum):
    agency = "agency"
    automatic = "automatic"
    operator = "operator"


class Incident(Base):
    __tablename__ = "incident"
    __table_args__ = (UniqueConstraint("agency_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32), default=Category.other)
    severity: Mapped[int] = mapped_column(default=Severity.medium)
    status: Mapped[str] = mapped_column(String(16), default=IncidentStatus.open, index=True)
    source: Mapped[str] = mapped_column(String(16), default=IncidentSource.operator)
    lat: Mapped[float | None] = mapped_column(default=None)
    lon: Mapped[float | None] = mapped_column(default=None)
    kecamatan: Mapped[str] = mapped_column(String(64), default="")
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="SET NULL"), default=None, index=True
    )
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # Automatic incidents carry the fault they stand for ("service:12:down"); one open at a time.
    auto_key: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), default=None
    )
    created_by: Mapped[str] = mapped_column(String(100), default="")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    ack_due_at: Mapped[datetime | None] = mapped_column(default=None)
    resolve_due_at: Mapped[datetime | None] = mapped_column(default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    last_reminder_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IncidentLink(Base):
    """A camera or service linked to an incident."""

    __tablename__ = "incident_link"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "camera" | "service"
    target_id: Mapped[int] = mapped_column(primary_key=True)


class IncidentEvent(Base):
    """One entry of an incident's append-only timeline: who did what, when, and why."""

    __tablename__ = "incident_event"
    __table_args__ = (Index("ix_incident_event_incident_time", "incident_id", "time"),)

    time: Mapped[datetime] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # created, acknowledged, comment, ...
    actor: Mapped[str] = mapped_column(String(100))
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str | None] = mapped_column(String(16), default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class SlaPolicy(Base):
    """Time to acknowledge and to resolve, per severity."""

    __tablename__ = "sla_policy"

    severity: Mapped[int] = mapped_column(primary_key=True)
    ack_minutes: Mapped[int] = mapped_column()
    resolve_minutes: Mapped[int] = mapped_column()
    reminder_minutes: Mapped[int] = mapped_column(default=10)
