"""Agencies and services in and out of the API (admin routes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from jcoc.opd.models import ProbeKind
from jcoc.redact import redact_url

Code = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
Text = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00]*$")]


class AgencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code = Field(description="Short lowercase code, e.g. `dishub`.")
    name: Name = Field(description="Full name, e.g. `Dinas Perhubungan`.")


class AgencyPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    created_at: datetime


class ProbeFields(BaseModel):
    """Active probe settings; `probe_kind` none means the agency pushes."""

    model_config = ConfigDict(extra="forbid")

    probe_kind: ProbeKind | None = Field(None, description="none, http or tcp.")
    probe_target: Text | None = Field(None, description="URL (http) or host:port (tcp).")
    probe_interval_s: int | None = Field(None, ge=1, le=86_400, description="Seconds.")
    probe_timeout_s: float | None = Field(None, gt=0, le=120, description="Seconds per try.")
    probe_retries: int | None = Field(None, ge=0, le=10, description="Extra tries before down.")
    probe_expect_status: int | None = Field(None, ge=100, le=599, description="HTTP status.")
    probe_keyword: Text | None = Field(None, description="Text the page must contain.")

    @model_validator(mode="after")
    def _target_needed(self) -> ProbeFields:
        kind = self.probe_kind
        if kind == ProbeKind.http and self.probe_target is not None:
            if not self.probe_target.startswith(("http://", "https://")):
                raise ValueError("probe_target must be an http:// or https:// URL")
        if kind == ProbeKind.tcp and self.probe_target is not None:
            host, _, port = self.probe_target.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError("probe_target must be host:port for a tcp probe")
        return self


class ServiceIn(ProbeFields):
    agency: Code = Field(description="Code of the owning agency.")
    code: Code = Field(description="Service code, unique in the city, e.g. `atcs`.")
    name: Name
    description: Text = ""
    expected_interval_s: int = Field(
        300, ge=10, le=7 * 86_400, description="Silence longer than this shows `stale`."
    )
    grace_s: int = Field(300, ge=0, le=7 * 86_400, description="Down/stale before an incident.")

    @model_validator(mode="after")
    def _probe_has_target(self) -> ServiceIn:
        if self.probe_kind not in (None, ProbeKind.none) and not self.probe_target:
            raise ValueError("probe_target is required when probe_kind is http or tcp")
        return self


class ServicePatch(ProbeFields):
    agency: Code | None = None
    name: Name | None = None
    description: Text | None = None
    expected_interval_s: int | None = Field(None, ge=10, le=7 * 86_400)
    grace_s: int | None = Field(None, ge=0, le=7 * 86_400)


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00]*$")] = ""


class ApiKeyOut(BaseModel):
    id: int
    agency: str
    prefix: str
    key: str = Field(description="The API key. Shown only in this answer; only its hash is kept.")


def safe_target(target: str) -> str:
    """A probe target without any user:password or secret query value it may carry."""
    if "://" not in target:
        return target
    return redact_url(target)
