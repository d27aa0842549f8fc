"""Agencies and their services: create, find, list."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.opd.models import Agency, Service


async def get_agency_by_code(*, db_session: AsyncSession, code: str) -> Agency | None:
    """An agency by its short code (e.g. "dishub")."""
    return await db_session.scalar(select(Agency).where(Agency.code == code))


async def create_agency(*, db_session: AsyncSession, code: str, name: str) -> Agency:
    """Create an agency."""
    agency = Agency(code=code, name=name)
    db_session.add(agency)
    await db_session.flush()
    return agency


async def list_agencies(*, db_session: AsyncSession) -> Sequence[Agency]:
    """All agencies by code."""
    return (await db_session.scalars(select(Agency).order_by(Agency.code))).all()


async def get_service_by_code(*, db_session: AsyncSession, code: str) -> Service | None:
    """A service by its code (unique across the city)."""
    return await db_session.scalar(select(Service).where(Service.code == code))


async def create_service(
    *, db_session: AsyncSession, agency: Agency, code: str, name: str, **fields: object
) -> Service:
    """Create a service owned by `agency`; extra fields are Service columns (probe, intervals)."""
    service = Service(agency_id=agency.id, code=code, name=name, **fields)
    db_session.add(service)
    await db_session.flush()
    return service


async def list_services(
    *, db_session: AsyncSession, agency_id: int | None = None
) -> Sequence[Service]:
    """Services, optionally of one agency, by code."""
    query = select(Service).order_by(Service.code)
    if agency_id is not None:
        query = query.where(Service.agency_id == agency_id)
    return (await db_session.scalars(query)).all()


async def update_service(
    *, db_session: AsyncSession, service: Service, agency: Agency | None, **fields: object
) -> Service:
    """Change a service's columns (and owner when `agency` is given)."""
    if agency is not None:
        service.agency_id = agency.id
    for name, value in fields.items():
        setattr(service, name, value)
    await db_session.flush()
    return service
