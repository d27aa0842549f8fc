"""What an agency pushes and what it gets back (the OpenAPI of the push endpoints)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from jcoc.status.models import Status

# No control characters (PostgreSQL text cannot hold NUL), no surrounding blanks in codes.
Code = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
ClientId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$"),
]
Message = Annotated[str, StringConstraints(max_length=1000, pattern=r"^[^\x00]*$")]


class StatusEventIn(BaseModel):
    """One status report of one of the agency's services."""

    model_config = ConfigDict(extra="forbid")

    service: Code = Field(description="Service code, e.g. `atcs` (see GET /api/v1/services).")
    status: Status = Field(description="up, degraded, down or maintenance.")
    time: AwareDatetime = Field(
        description="When the status was observed, ISO 8601 with a zone: "
        "`2026-11-22T10:15:00+07:00` or `…Z`."
    )
    message: Message = Field("", description="Short human text shown to operators.")
    latency_ms: float | None = Field(
        None, ge=0, le=3_600_000, allow_inf_nan=False, description="Response time, if measured."
    )
    id: ClientId | None = Field(
        None,
        description="Your unique id for this event (idempotency key). Omitted: derived from "
        "service, time and status, so a retry of the same event is still a duplicate.",
    )


class StatusPush(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[StatusEventIn] = Field(min_length=1, description="One or more events.")


class KpiSampleIn(BaseModel):
    """One value of one of the agency's KPIs."""

    model_config = ConfigDict(extra="forbid")

    kpi: Code = Field(description="KPI code, e.g. `water_level_batanghari`.")
    value: float = Field(allow_inf_nan=False, description="The value, in the KPI's unit.")
    time: AwareDatetime = Field(description="When the value was measured (ISO 8601 with a zone).")
    id: ClientId | None = Field(
        None,
        description="Your unique id for this sample. Omitted: derived from kpi, time and value.",
    )


class MetricsPush(BaseModel):
    model_config = ConfigDict(extra="forbid")

    samples: list[KpiSampleIn] = Field(min_length=1, description="One or more samples.")


class PushResult(BaseModel):
    """Sent only after every new row is committed."""

    accepted: int = Field(description="Rows stored by this request.")
    duplicates: int = Field(description="Rows already stored before (same id): not stored again.")
    ids: list[str] = Field(description="The id of each event, in request order.")
    duplicate_ids: list[str] = Field(description="The ids that were duplicates.")


class PushError(BaseModel):
    """Every refused push: `detail` says what and where; `errors` lists each problem."""

    detail: str
    errors: list[dict[str, Any]] = Field(default_factory=list)


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its `$defs` inlined (for `openapi_extra`)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return dict(resolve(schema))
