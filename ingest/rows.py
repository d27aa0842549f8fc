"""The rows the writer stores: a status event or a KPI sample, validated and owned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class StatusRow:
    service_id: int
    service: str
    agency: str
    event_id: str
    time: datetime
    status: str
    message: str = ""
    latency_ms: float | None = None
    source: str = "push"

    @property
    def key(self) -> tuple[Any, ...]:
        return ("s", self.service_id, self.event_id, self.time)


@dataclass(slots=True)
class KpiRow:
    kpi_id: int
    kpi: str
    agency: str
    sample_id: str
    time: datetime
    value: float

    @property
    def key(self) -> tuple[Any, ...]:
        return ("k", self.kpi_id, self.sample_id, self.time)


Row = StatusRow | KpiRow
