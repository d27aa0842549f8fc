"""Agencies (OPD) and the public services they run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jcoc.db.base import Base, utcnow


class ProbeKind(StrEnum):
    none = "none"
    http = "http"
    tcp = "tcp"


class Agency(Base):
    """An OPD (Organisasi Perangkat Daerah), e.g. Dishub, BPBD, Dinkes."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    services: Mapped[list[Service]] = relationship(back_populates="agency")


class Service(Base):
    """A public service of an agency whose status is pushed or probed."""

    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # A service that has not reported for this long is stale, not up.
    expected_interval_s: Mapped[int] = mapped_column(default=300)
    # How long a service may be down/stale before an automatic incident opens.
    grace_s: Mapped[int] = mapped_column(default=300)
    probe_kind: Mapped[str] = mapped_column(String(8), default=ProbeKind.none)
    probe_target: Mapped[str] = mapped_column(String(500), default="")
    probe_interval_s: Mapped[int] = mapped_column(default=60)
    probe_timeout_s: Mapped[float] = mapped_column(default=10.0)
    probe_retries: Mapped[int] = mapped_column(default=2)
    probe_expect_status: Mapped[int] = mapped_column(default=200)
    probe_keyword: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="services")
