"""The push endpoints: `POST /api/v1/status` and `POST /api/v1/metrics` (agency API key).

Order of checks: API key (401) → rate limit (429) → body size (413) → JSON and fields
(422) → services/KPIs exist (422) and belong to the caller (403) → time window (422) →
group commit. Only a committed batch is answered 202; a database fault is 503 with
`Retry-After`, and nothing of a refused batch is written.
"""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ingest import push
from ingest.push import Refused
from ingest.rows import Row
from ingest.schemas import MetricsPush, PushError, PushResult, StatusPush, inline_schema
from ingest.writer import DatabaseUnavailable, Overloaded, WriteResult
from jcoc.auth.deps import CurrentAgency, CurrentViewer, Principal
from jcoc.config import Settings
from jcoc.db.base import utcnow
from jcoc.db.deps import SessionDep

log = logging.getLogger(__name__)

P = TypeVar("P", StatusPush, MetricsPush)

router = APIRouter(prefix="/api/v1", tags=["push (OPD)"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": PushError, "description": "Missing, unknown or revoked API key."},
    403: {"model": PushError, "description": "A service/KPI of another agency."},
    413: {"model": PushError, "description": "Body larger than JCOC_MAX_BODY_BYTES."},
    422: {"model": PushError, "description": "Invalid body; `errors` names each problem."},
    429: {"model": PushError, "description": "Rate limit of this API key; see Retry-After."},
    503: {"model": PushError, "description": "Database unavailable; retry after Retry-After."},
}


def _body_doc(model: type[StatusPush] | type[MetricsPush]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(model)}},
        }
    }


@router.post(
    "/status",
    status_code=202,
    response_model=PushResult,
    responses=_ERRORS,
    openapi_extra=_body_doc(StatusPush),
    summary="Push the status of your services",
)
async def push_status(request: Request, principal: CurrentAgency, db_session: SessionDep) -> Any:
    """Store status events of the caller's services; answered after they are committed."""
    try:
        parsed, settings = await _parse(request, principal, StatusPush, "events")
        services = await request.app.state.registry.services(
            db_session=db_session, codes=(e.service for e in parsed.events)
        )
        await db_session.close()  # give the connection back while the batch is written
        rows = push.status_rows(parsed.events, services, _agency(principal), utcnow(), settings)
        return _accepted([r.event_id for r in rows], await _write(request, rows))
    except Refused as refused:
        return _refusal(refused)


@router.post(
    "/metrics",
    status_code=202,
    response_model=PushResult,
    responses=_ERRORS,
    openapi_extra=_body_doc(MetricsPush),
    summary="Push values of your KPIs",
)
async def push_metrics(request: Request, principal: CurrentAgency, db_session: SessionDep) -> Any:
    """Store KPI samples of the caller's KPIs; answered after they are committed."""
    try:
        parsed, settings = await _parse(request, principal, MetricsPush, "samples")
        kpis = await request.app.state.registry.kpis(
            db_session=db_session, codes=(s.kpi for s in parsed.samples)
        )
        await db_session.close()
        rows = push.kpi_rows(parsed.samples, kpis, _agency(principal), utcnow(), settings)
        return _accepted([r.sample_id for r in rows], await _write(request, rows))
    except Refused as refused:
        return _refusal(refused)


@router.get("/ingest/stats", tags=["metrics"], summary="Writer and rate-limit counters")
async def ingest_stats(request: Request, _viewer: CurrentViewer) -> dict[str, int]:
    """Counters of the group-commit writer (batches, rows, duplicates, errors …)."""
    stats = dict(request.app.state.writer.stats.as_dict())
    stats["rate_limited"] = request.app.state.rate_limiter.limited
    return stats


async def _parse(
    request: Request, principal: Principal, model: type[P], list_name: str
) -> tuple[P, Settings]:
    """The checks before any database work: rate limit, body size, JSON and fields."""
    settings: Settings = request.app.state.settings
    _rate_limit(request, principal)
    body = await _read_body(request, settings.max_body_bytes)
    return push.parse(model, body, list_name, settings), settings


def _refusal(refused: Refused) -> JSONResponse:
    return JSONResponse(refused.body(), refused.status_code, headers=refused.headers)


def _agency(principal: Principal) -> str:
    assert principal.agency is not None
    return principal.agency.code


def _rate_limit(request: Request, principal: Principal) -> None:
    limiter = request.app.state.rate_limiter
    key = principal.api_key.id if principal.api_key is not None else principal.name
    wait = limiter.take(key)
    if wait > 0:
        retry = limiter.retry_after(wait)
        per_minute = request.app.state.settings.rate_limit_per_minute
        raise Refused(
            429,
            f"rate limit of this API key reached ({per_minute}"
            f" requests/minute, JCOC_RATE_LIMIT_PER_MINUTE); retry in {retry} s, or send more "
            "events per request",
            headers={"Retry-After": retry},
        )


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> Refused:
    return Refused(
        413,
        f"body is {size}+ bytes; at most {limit} bytes per request (JCOC_MAX_BODY_BYTES) — "
        "split the batch",
    )


async def _write(request: Request, rows: list[Any]) -> WriteResult:
    writer = getattr(request.app.state, "writer", None)
    if writer is None:
        raise Refused(503, "ingest writer not running", headers={"Retry-After": "5"})
    typed: list[Row] = rows
    try:
        return await writer.write(typed)
    except DatabaseUnavailable as exc:
        raise Refused(
            503,
            f"{exc}; nothing of this request was acknowledged — retry the same request "
            "(same ids) after Retry-After",
            headers={"Retry-After": str(writer.retry_after_s)},
        ) from None
    except Overloaded as exc:
        raise Refused(503, f"ingest busy: {exc}", headers={"Retry-After": "1"}) from None


def _accepted(ids: list[str], result: WriteResult) -> Response:
    """The 202 answer (shape: `PushResult`), encoded directly: FastAPI would validate and
    encode the 100 ids of a batch again, one by one."""
    body = {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "ids": ids,
        "duplicate_ids": [i for i, new in zip(ids, result.new, strict=True) if not new],
    }
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        status_code=202,
        media_type="application/json",
    )


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """Any request that could not reach the database: 503 + Retry-After, never a 500."""
    log.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {"detail": "database unavailable; nothing was changed — retry after Retry-After"},
        status_code=503,
        headers={"Retry-After": "5"},
    )
