"""Incident request and response bodies (the shapes documented in docs/incidents.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from jcoc import geo
from jcoc.incident.models import Category

SlaClock = Literal["ok", "due_soon", "breached", "met"]


class IncidentIn(BaseModel):
    """A new incident, from an agency's system or an operator."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300, description="Short headline.")
    description: str = Field(default="", max_length=10_000)
    category: Category = Field(default=Category.other, description="What kind of incident.")
    severity: int = Field(default=3, ge=1, le=4, description="1 critical, 2 high, 3 medium, 4 low.")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    kecamatan: str = Field(
        default="", max_length=64, description="One of Kota Jambi's 11 kecamatan."
    )
    agency: str | None = Field(
        default=None, max_length=32, description="Responsible agency code (operators only)."
    )
    external_id: str | None = Field(
        default=None, min_length=1, max_length=100, description="Idempotency key per agency."
    )
    cameras: list[str] = Field(default_factory=list, max_length=50)
    services: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("kecamatan")
    @classmethod
    def _known_kecamatan(cls, value: str) -> str:
        return geo.canonical_kecamatan(value) if value.strip() else ""

    @model_validator(mode="after")
    def _location(self) -> IncidentIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        if self.lat is not None and self.lon is not None:
            if not geo.in_city(self.lat, self.lon):
                raise ValueError(
                    f"location ({self.lat}, {self.lon}) is outside Kota Jambi "
                    "(lat about -1.6, lon about 103.6): check the sign and order"
                )
            if not self.kecamatan:
                self.kecamatan = geo.nearest_kecamatan(self.lat, self.lon).name
        return self


class ActionIn(BaseModel):
    """Body of an incident action (acknowledge, assign, start, comment, resolve …)."""

    model_config = ConfigDict(extra="forbid")

    comment: str = Field(default="", max_length=5000)
    assignee: str | None = Field(default=None, max_length=64, description="Username (assign only).")


class SlaOut(BaseModel):
    ack_due_at: datetime | None
    resolve_due_at: datetime | None
    ack: SlaClock
    resolve: SlaClock
    state: SlaClock
    escalated_at: datetime | None


class CameraLinkOut(BaseModel):
    code: str
    name: str
    snapshot_url: str


class ServiceLinkOut(BaseModel):
    code: str
    name: str


class LinksOut(BaseModel):
    cameras: list[CameraLinkOut]
    services: list[ServiceLinkOut]


class IncidentOut(BaseModel):
    id: int
    title: str
    description: str
    category: str
    severity: int
    status: str
    source: str
    lat: float | None
    lon: float | None
    kecamatan: str
    agency: str | None
    external_id: str | None
    auto_key: str | None
    assignee: str | None
    created_by: str
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    sla: SlaOut
    links: LinksOut


class TimelineEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    time: datetime
    seq: int
    kind: str
    actor: str
    from_status: str | None
    to_status: str | None
    comment: str
    data: dict[str, Any]


class IncidentDetail(IncidentOut):
    timeline: list[TimelineEventOut]


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    total: int
    limit: int
    offset: int


class SlaPolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ack_minutes: int = Field(ge=1, le=7 * 24 * 60, description="Minutes to acknowledge.")
    resolve_minutes: int = Field(ge=1, le=90 * 24 * 60, description="Minutes to resolve.")
    reminder_minutes: int = Field(
        default=10,
        ge=1,
        le=24 * 60,
        description="Remind every this many minutes until acknowledged.",
    )

    @model_validator(mode="after")
    def _order(self) -> SlaPolicyIn:
        if self.resolve_minutes < self.ack_minutes:
            raise ValueError("resolve_minutes must not be shorter than ack_minutes")
        return self


class SlaPolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    severity: int
    ack_minutes: int
    resolve_minutes: int
    reminder_minutes: int


class DailyFigures(BaseModel):
    opened: int
    acknowledged: int
    resolved: int
    mtta_s: float | None
    mttr_s: float | None
    within_sla_pct: float | None


class AgencyFigures(DailyFigures):
    agency: str | None


class DailyReport(DailyFigures):
    date: date
    timezone: str
    per_agency: list[AgencyFigures]
