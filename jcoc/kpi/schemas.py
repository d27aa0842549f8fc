"""KPI definitions and values in and out of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
]


class KpiIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency: Code = Field(description="Code of the owning agency.")
    code: Code = Field(description="KPI code, unique in the city, e.g. `water_level_batanghari`.")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
    unit: Annotated[str, StringConstraints(max_length=32, pattern=r"^[^\x00]*$")] = ""
    warn_at: float | None = Field(None, allow_inf_nan=False, description="Warning threshold.")
    crit_at: float | None = Field(None, allow_inf_nan=False, description="Critical threshold.")
    higher_is_worse: bool = Field(True, description="False when a LOW value is bad.")
    expected_interval_s: int = Field(900, ge=10, le=7 * 86_400)


class KpiOut(BaseModel):
    code: str
    name: str
    agency: str
    unit: str
    warn_at: float | None
    crit_at: float | None
    higher_is_worse: bool
    expected_interval_s: int
    value: float | None = Field(description="The latest value, however old.")
    time: datetime | None
    level: str = Field(description="ok, warn, crit, stale (silent too long) or unknown.")


class SampleOut(BaseModel):
    time: datetime
    value: float = Field(description="The value, or the bucket's average.")
    min: float | None = None
    max: float | None = None
    count: int = 1
