"""KPI definitions and samples (samples are a hypertable on TimescaleDB)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from jcoc.db.base import Base, utcnow


class KpiDefinition(Base):
    """A number an agency reports, e.g. permits issued today or the Batanghari water level."""

    __tablename__ = "kpi"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32), default="")
    # Thresholds colour the wall tile; `higher_is_worse` says which side is bad.
    warn_at: Mapped[float | None] = mapped_column(default=None)
    crit_at: Mapped[float | None] = mapped_column(default=None)
    higher_is_worse: Mapped[bool] = mapped_column(default=True)
    expected_interval_s: Mapped[int] = mapped_column(default=900)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KpiSample(Base):
    """One value of one KPI; (kpi, time, sample id) is the idempotency key."""

    __tablename__ = "kpi_sample"
    __table_args__ = (Index("ix_kpi_sample_kpi_time", "kpi_id", "time"),)

    time: Mapped[datetime] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), primary_key=True)
    sample_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[float] = mapped_column()
    received_at: Mapped[datetime] = mapped_column()
