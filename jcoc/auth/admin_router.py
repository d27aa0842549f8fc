"""Administration of people and wall displays (admins only): users and kiosk tokens."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from jcoc.audit import service as audit
from jcoc.auth import security, service
from jcoc.auth.deps import Admin
from jcoc.auth.models import KioskToken, Role, User
from jcoc.db.deps import SessionDep
from jcoc.opd.models import Agency

router = APIRouter(prefix="/api/v1", tags=["admin"])


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    password: str = Field(min_length=8, max_length=200)
    role: Role = Role.viewer
    full_name: str = Field(default="", max_length=200)
    agency: str | None = Field(default=None, max_length=32, description="Agency code, if any.")


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)
    full_name: str | None = Field(default=None, max_length=200)
    agency: str | None = Field(default=None, max_length=32)


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    agency: str | None
    active: bool
    created_at: datetime


class KioskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)


class KioskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class KioskCreated(BaseModel):
    id: int
    name: str
    prefix: str
    token: str = Field(description="Shown only now; only its hash is kept.")


async def _agency_id(db_session: SessionDep, code: str | None) -> int | None:
    if not code:
        return None
    agency = await db_session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise HTTPException(422, detail=f"unknown agency code in 'agency': {code}")
    return agency.id


async def _user_out(db_session: SessionDep, user: User) -> UserOut:
    code = await db_session.scalar(select(Agency.code).where(Agency.id == user.agency_id))
    return UserOut(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        agency=code,
        active=user.active,
        created_at=user.created_at,
    )


@router.get("/users", response_model=list[UserOut], summary="Users (Pengguna)")
async def list_users(db_session: SessionDep, _: Admin) -> list[UserOut]:
    users = (await db_session.scalars(select(User).order_by(User.username))).all()
    return [await _user_out(db_session, u) for u in users]


@router.post("/users", response_model=UserOut, status_code=201, summary="Add a user")
async def create_user(
    body: UserIn, request: Request, db_session: SessionDep, principal: Admin
) -> UserOut:
    if await service.get_user_by_username(db_session=db_session, username=body.username):
        raise HTTPException(409, detail=f"user '{body.username}' already exists")
    user = await service.create_user(
        db_session=db_session,
        username=body.username,
        password=body.password,
        role=body.role,
        full_name=body.full_name,
        agency_id=await _agency_id(db_session, body.agency),
    )
    await audit.record(
        db_session=db_session,
        principal_or_actor=principal,
        action="user.create",
        target=f"user:{user.username}",
        request=request,
        detail={"role": str(body.role), "agency": body.agency},
    )
    await db_session.commit()
    return await _user_out(db_session, user)


@router.patch("/users/{username}", response_model=UserOut, summary="Change a user")
async def update_user(
    username: str, body: UserPatch, request: Request, db_session: SessionDep, principal: Admin
) -> UserOut:
    user = await service.get_user_by_username(db_session=db_session, username=username)
    if user is None:
        raise HTTPException(404, detail=f"user '{username}' not found")
    changes = body.model_dump(exclude_unset=True)
    if user.username == principal.name and (
        changes.get("active") is False or changes.get("role") not in (None, Role.admin)
    ):
        raise HTTPException(409, detail="you cannot demote or deactivate yourself")
    if body.role is not None:
        user.role = body.role
    if body.active is not None:
        user.active = body.active
    if body.full_name is not None:
        user.full_name = body.full_name
    if body.password is not None:
        user.password_hash = security.hash_password(body.password)
    if "agency" in changes:
        user.agency_id = await _agency_id(db_session, body.agency)
    detail = {k: str(v) for k, v in changes.items() if k != "password"}
    if "password" in changes:
        detail["password"] = "changed"  # noqa: S105 - a note, not a secret
    await audit.record(
        db_session=db_session,
        principal_or_actor=principal,
        action="user.update",
        target=f"user:{username}",
        request=request,
        detail=detail,
    )
    await db_session.commit()
    return await _user_out(db_session, user)


@router.get("/kiosks", response_model=list[KioskOut], summary="Kiosk tokens (wall displays)")
async def list_kiosks(db_session: SessionDep, _: Admin) -> list[KioskToken]:
    return list((await db_session.scalars(select(KioskToken).order_by(KioskToken.id))).all())


@router.post("/kiosks", response_model=KioskCreated, status_code=201, summary="New kiosk token")
async def create_kiosk(
    body: KioskIn, request: Request, db_session: SessionDep, principal: Admin
) -> KioskCreated:
    secret = await service.create_kiosk_token(db_session=db_session, name=body.name)
    await audit.record(
        db_session=db_session,
        principal_or_actor=principal,
        action="kiosk.create",
        target=f"kiosk:{secret.id}",
        request=request,
        detail={"name": body.name, "prefix": secret.prefix},
    )
    await db_session.commit()
    return KioskCreated(id=secret.id, name=body.name, prefix=secret.prefix, token=secret.token)


@router.delete("/kiosks/{kiosk_id}", status_code=204, summary="Revoke a kiosk token")
async def revoke_kiosk(
    kiosk_id: int, request: Request, db_session: SessionDep, principal: Admin
) -> Response:
    if not await service.revoke_kiosk_token(db_session=db_session, kiosk_id=kiosk_id):
        raise HTTPException(404, detail=f"kiosk token {kiosk_id} not found")
    await audit.record(
        db_session=db_session,
        principal_or_actor=principal,
        action="kiosk.revoke",
        target=f"kiosk:{kiosk_id}",
        request=request,
    )
    await db_session.commit()
    return Response(status_code=204)
