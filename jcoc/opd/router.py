"""Admin routes for the registry: agencies, their services (incl. probes) and API keys.

Every change is committed, then announced on the bus as an `entity` event so the hub,
the ingest code cache and the probes reload it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status

from jcoc.auth import service as auth_service
from jcoc.auth.deps import Admin, CurrentViewer
from jcoc.db.deps import SessionDep
from jcoc.opd import service
from jcoc.opd.models import Agency
from jcoc.opd.schemas import (
    AgencyIn,
    AgencyOut,
    AgencyPatch,
    ApiKeyIn,
    ApiKeyOut,
    ServiceIn,
    ServicePatch,
)

router = APIRouter(prefix="/api/v1", tags=["registry"])


async def publish_entity(request: Request, kind: str, code: str, action: str) -> None:
    """Announce a committed registry change (`entity` channel, docs/bus-events.md)."""
    await request.app.state.bus.publish("entity", {"kind": kind, "code": code, "action": action})


async def _agency(db_session: Any, code: str) -> Agency:
    agency = await service.get_agency_by_code(db_session=db_session, code=code)
    if agency is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no agency {code!r}")
    return agency


@router.get("/agencies", response_model=list[AgencyOut], summary="List agencies (OPD)")
async def list_agencies(db_session: SessionDep, _viewer: CurrentViewer) -> Any:
    """Every agency, by code."""
    return await service.list_agencies(db_session=db_session)


@router.post("/agencies", status_code=201, response_model=AgencyOut, summary="Add an agency")
async def create_agency(
    body: AgencyIn, request: Request, db_session: SessionDep, _admin: Admin
) -> Any:
    """Create an agency (admin)."""
    if await service.get_agency_by_code(db_session=db_session, code=body.code):
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"agency {body.code!r} exists")
    agency = await service.create_agency(db_session=db_session, code=body.code, name=body.name)
    await db_session.commit()
    await publish_entity(request, "agency", agency.code, "created")
    return agency


@router.patch("/agencies/{code}", response_model=AgencyOut, summary="Rename an agency")
async def update_agency(
    code: str, body: AgencyPatch, request: Request, db_session: SessionDep, _admin: Admin
) -> Any:
    """Change an agency's name (admin)."""
    agency = await _agency(db_session, code)
    agency.name = body.name
    await db_session.commit()
    await publish_entity(request, "agency", agency.code, "updated")
    return agency


@router.post(
    "/agencies/{code}/apikeys",
    status_code=201,
    response_model=ApiKeyOut,
    summary="Create an API key for an agency (shown once)",
)
async def create_api_key(
    code: str, body: ApiKeyIn, db_session: SessionDep, _admin: Admin
) -> ApiKeyOut:
    """A new push key for the agency; the answer is the only time it is shown."""
    agency = await _agency(db_session, code)
    secret = await auth_service.create_api_key(db_session=db_session, agency=agency, name=body.name)
    await db_session.commit()
    return ApiKeyOut(id=secret.id, agency=agency.code, prefix=secret.prefix, key=secret.token)


@router.post("/services", status_code=201, summary="Add a service (incl. its probe)")
async def create_service(
    body: ServiceIn, request: Request, db_session: SessionDep, _admin: Admin
) -> dict[str, str]:
    """Create a service owned by an agency (admin)."""
    agency = await _agency(db_session, body.agency)
    if await service.get_service_by_code(db_session=db_session, code=body.code):
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"service {body.code!r} exists")
    fields = body.model_dump(exclude={"agency", "code", "name"}, exclude_none=True)
    created = await service.create_service(
        db_session=db_session, agency=agency, code=body.code, name=body.name, **fields
    )
    await db_session.commit()
    await publish_entity(request, "service", created.code, "created")
    return {"code": created.code, "agency": agency.code}


@router.patch("/services/{code}", summary="Change a service or its probe")
async def update_service(
    code: str, body: ServicePatch, request: Request, db_session: SessionDep, _admin: Admin
) -> dict[str, str]:
    """Change any field of a service (admin); omitted fields stay as they are."""
    found = await service.get_service_by_code(db_session=db_session, code=code)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no service {code!r}")
    agency = await _agency(db_session, body.agency) if body.agency else None
    fields = body.model_dump(exclude={"agency"}, exclude_none=True)
    kind = fields.get("probe_kind", found.probe_kind)
    target = fields.get("probe_target", found.probe_target)
    if kind != "none" and not target:
        raise HTTPException(
            422,
            detail="probe_target is required when probe_kind is http or tcp",
        )
    await service.update_service(db_session=db_session, service=found, agency=agency, **fields)
    await db_session.commit()
    await publish_entity(request, "service", found.code, "updated")
    return {"code": found.code}
