"""Turning a pushed body into rows for the writer, or into a precise refusal.

Every check runs before anything is written: one bad event refuses the whole batch, and
the refusal names each problem with its place (`events[3].status`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ingest.registry import Owned
from ingest.rows import KpiRow, StatusRow
from ingest.schemas import KpiSampleIn, StatusEventIn
from jcoc.config import Settings

M = TypeVar("M", bound=BaseModel)
Item = TypeVar("Item", StatusEventIn, KpiSampleIn)


@dataclass
class Refused(Exception):
    """A push that is refused as a whole; becomes the HTTP answer."""

    status_code: int
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, "errors": self.errors}


def problem(list_name: str, index: int | None, field_name: str, message: str) -> dict[str, Any]:
    where = list_name if index is None else f"{list_name}[{index}]"
    if field_name:
        where += f".{field_name}"
    return {"loc": where, "index": index, "field": field_name, "message": message}


def refuse_problems(problems: list[dict[str, Any]], status_code: int = 422) -> Refused:
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return Refused(
        status_code,
        f"{first['loc']}: {first['message']}{more}; nothing was stored",
        problems,
    )


def parse(model: type[M], body: bytes, list_name: str, settings: Settings) -> M:
    """Parse and validate a push body (422 naming every problem)."""
    try:
        parsed = model.model_validate_json(body)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False, include_input=False)[:50]:
            loc = list(err["loc"])
            if not loc:
                problems.append(problem("body", None, "", err["msg"]))
                continue
            index = loc[1] if loc[0] == list_name and len(loc) > 1 else None
            if isinstance(index, int):
                rest = ".".join(str(p) for p in loc[2:])
                problems.append(problem(list_name, index, rest, err["msg"]))
            else:
                problems.append(problem(".".join(str(p) for p in loc), None, "", err["msg"]))
        raise refuse_problems(problems) from None
    items = getattr(parsed, list_name)
    if len(items) > settings.max_events_per_request:
        raise refuse_problems(
            [
                problem(
                    list_name,
                    None,
                    "",
                    f"too many items ({len(items)}); at most {settings.max_events_per_request} "
                    "per request (JCOC_MAX_EVENTS_PER_REQUEST) — split the batch",
                )
            ]
        )
    return parsed


@dataclass(frozen=True)
class TimeWindow:
    """The accepted range of pushed times: not too far ahead, not beyond retention."""

    now: datetime
    latest: datetime
    earliest: datetime

    @classmethod
    def around(cls, now: datetime, settings: Settings) -> TimeWindow:
        return cls(
            now,
            now + timedelta(seconds=settings.future_tolerance_seconds),
            now - timedelta(days=settings.retention_days),
        )

    def contains(self, when: datetime) -> bool:
        return self.earliest <= when <= self.latest


def time_problem(
    when: datetime, now: datetime, settings: Settings, list_name: str, index: int
) -> dict[str, Any]:
    """The problem with a time outside the accepted window (too far ahead, or too old)."""
    ahead = (when - now).total_seconds()
    if ahead > settings.future_tolerance_seconds:
        return problem(
            list_name,
            index,
            "time",
            f"{when.isoformat()} is {int(ahead)} s in the future (tolerance "
            f"{settings.future_tolerance_seconds} s); check the sender's clock and time zone",
        )
    return problem(
        list_name,
        index,
        "time",
        f"{when.isoformat()} is older than the retention period ({settings.retention_days} days)",
    )


def derived_id(*parts: object) -> str:
    """Deterministic id for an event sent without one, so its retries are duplicates."""
    text = "|".join(str(p) for p in parts)
    return "auto-" + hashlib.sha256(text.encode()).hexdigest()[:40]


def _ownership(
    code: str, owned: Owned | None, agency: str, list_name: str, index: int, what: str
) -> tuple[int, dict[str, Any]]:
    if owned is None:
        return 422, problem(
            list_name, index, what, f"unknown {what} {code!r}; ask the JCOC admin to register it"
        )
    return 403, problem(
        list_name,
        index,
        what,
        f"{what} {code!r} belongs to agency {owned.agency!r}, not {agency!r}",
    )


def _raise_if(found: list[tuple[int, dict[str, Any]]]) -> None:
    if found:
        # 403 wins: writing another agency's service is not a typo to fix in place.
        code = 403 if any(c == 403 for c, _ in found) else 422
        raise refuse_problems([p for _, p in found], code)


def status_rows(
    events: list[StatusEventIn],
    services: dict[str, Owned],
    agency: str,
    now: datetime,
    settings: Settings,
) -> list[StatusRow]:
    """Rows for the writer, or Refused naming every bad event."""
    codes = [e.service for e in events]
    checked = _checked(events, codes, services, agency, now, settings, "events", "service")
    return [
        StatusRow(
            owned.id,
            owned.code,
            owned.agency,
            ev.id or derived_id(ev.service, _iso_utc(when), ev.status.value),
            when,
            ev.status.value,
            ev.message,
            ev.latency_ms,
            "push",
        )
        for owned, when, ev in checked
    ]


def kpi_rows(
    samples: list[KpiSampleIn],
    kpis: dict[str, Owned],
    agency: str,
    now: datetime,
    settings: Settings,
) -> list[KpiRow]:
    """Rows for the writer, or Refused naming every bad sample."""
    codes = [s.kpi for s in samples]
    checked = _checked(samples, codes, kpis, agency, now, settings, "samples", "kpi")
    return [
        KpiRow(
            owned.id,
            owned.code,
            owned.agency,
            s.id or derived_id(s.kpi, _iso_utc(when), repr(s.value)),
            when,
            s.value,
        )
        for owned, when, s in checked
    ]


def _checked(
    items: list[Item],
    codes: list[str],
    registered: dict[str, Owned],
    agency: str,
    now: datetime,
    settings: Settings,
    list_name: str,
    what: str,
) -> list[tuple[Owned, datetime, Item]]:
    """Each item with its registered owner and UTC time, or Refused naming every item whose
    service/KPI is unknown or another agency's, or whose time is outside the window."""
    found: list[tuple[int, dict[str, Any]]] = []
    checked = []
    window = TimeWindow.around(now, settings)
    for i, (item, code) in enumerate(zip(items, codes, strict=True)):
        owned = registered.get(code)
        if owned is None or owned.agency != agency:
            found.append(_ownership(code, owned, agency, list_name, i, what))
            continue
        when = _utc(item.time)
        if not window.contains(when):
            found.append((422, time_problem(item.time, now, settings, list_name, i)))
            continue
        checked.append((owned, when, item))
    _raise_if(found)
    return checked


def _utc(when: datetime) -> datetime:
    """The same instant with the standard library's UTC zone: comparing, hashing, encoding
    and formatting it later (window check, duplicate keys, COPY, bus message) is several
    times cheaper than with the zone object the JSON parser attaches."""
    return when if when.tzinfo is UTC else when.astimezone(UTC)


def _iso_utc(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()
