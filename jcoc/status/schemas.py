"""Service status out of the API: the derived status the wall shows, and history."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from jcoc.status.models import DerivedStatus


class ProbeOut(BaseModel):
    kind: str
    target: str = Field(description="URL or host:port, without any credentials.")
    interval_s: int
    timeout_s: float
    retries: int
    expect_status: int
    keyword: str


class ServiceStatusOut(BaseModel):
    code: str
    name: str
    description: str
    agency: str
    agency_name: str
    status: DerivedStatus = Field(
        description="What to show now: the last report, or `stale` after silence longer than "
        "expected_interval_s, or `unknown` before any report."
    )
    reported_status: str | None = Field(description="The last reported status, however old.")
    last_time: datetime | None = Field(description="When the last report was observed.")
    received_at: datetime | None
    message: str
    latency_ms: float | None
    source: str | None
    stale_since: datetime | None = Field(description="When silence makes (made) it stale.")
    expected_interval_s: int
    grace_s: int
    probe: ProbeOut | None


class StatusEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    time: datetime
    status: str
    message: str
    latency_ms: float | None
    source: str
    event_id: str
    received_at: datetime
