"""Who is calling: an agency (API key), a person (login session) or a wall (kiosk token).

Every router depends on one of `require_agency`, `require_viewer`, `require_user` or
`require_role(...)`; `tests/test_routes_auth.py` fails for any route that does not,
except the public health checks listed in `jcoc.app.PUBLIC_PATHS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, WebSocket, status
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.auth import service
from jcoc.auth.models import ApiKey, Role, User
from jcoc.auth.security import API_KEY_PREFIX, KIOSK_PREFIX, SESSION_PREFIX
from jcoc.db.deps import SessionDep
from jcoc.opd.models import Agency

SESSION_COOKIE = "jcoc_session"


@dataclass(frozen=True)
class Principal:
    """The caller of a route, for authorisation and the audit log."""

    kind: str  # "user" | "kiosk" | "agency"
    name: str
    role: Role
    user: User | None = None
    agency: Agency | None = None
    api_key: ApiKey | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def bearer_token(conn: Request | WebSocket) -> str | None:
    """The token from `Authorization: Bearer`, the session cookie, or `?token=` / `?kiosk=`."""
    header = conn.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    cookie = conn.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie
    return conn.query_params.get("token") or conn.query_params.get("kiosk") or None


async def principal_from_token(
    db_session: AsyncSession, token: str, api_key_cache_s: float = 0.0
) -> Principal | None:
    """Resolve any kind of token to a principal, or None when it is not valid.

    Valid API keys are remembered `api_key_cache_s` seconds (see `service.ApiKeyCache`).
    """
    if token.startswith(API_KEY_PREFIX):
        who = await service.api_key_identity(
            db_session=db_session, token=token, cache_s=api_key_cache_s
        )
        if who is None:
            return None
        # Fresh, session-less objects per request: nothing shared between requests.
        agency = Agency(id=who.agency_id, code=who.agency_code, name=who.agency_name)
        key = ApiKey(
            id=who.key_id, agency_id=who.agency_id, name=who.key_name, prefix=who.key_prefix
        )
        return Principal("agency", agency.code, Role.viewer, agency=agency, api_key=key)
    if token.startswith(KIOSK_PREFIX):
        kiosk = await service.kiosk_for_token(db_session=db_session, token=token)
        return Principal("kiosk", kiosk.name, Role.viewer) if kiosk else None
    if token.startswith(SESSION_PREFIX):
        user = await service.user_for_session_token(db_session=db_session, token=token)
        return Principal("user", user.username, Role(user.role), user=user) if user else None
    return None


async def require_agency(request: Request, db_session: SessionDep) -> Principal:
    """The agency behind the request's API key (401 otherwise)."""
    token = bearer_token(request)
    if not token:
        raise _unauthorized("missing API key: send 'Authorization: Bearer <api key>'")
    if not token.startswith(API_KEY_PREFIX):
        raise _unauthorized("this endpoint needs an agency API key (jcoc_ak_…)")
    principal = await principal_from_token(db_session, token, _api_key_cache_s(request))
    if principal is None:
        raise _unauthorized("unknown or revoked API key")
    return principal


def _api_key_cache_s(request: Request) -> float:
    settings = getattr(request.app.state, "settings", None)
    return float(getattr(settings, "auth_cache_seconds", 0.0))


async def require_viewer(request: Request, db_session: SessionDep) -> Principal:
    """Any logged-in person or a kiosk token (the wall); 401 otherwise."""
    token = bearer_token(request)
    if not token:
        raise _unauthorized("login or a kiosk token is required")
    principal = await principal_from_token(db_session, token)
    if principal is None or principal.kind == "agency":
        raise _unauthorized("invalid, expired or revoked token")
    return principal


async def require_user(request: Request, db_session: SessionDep) -> Principal:
    """A logged-in person (not a kiosk, not an agency key); 401 otherwise."""
    principal = await require_viewer(request, db_session)
    if principal.kind != "user":
        raise _unauthorized("this action needs a personal login, not a kiosk token")
    return principal


def require_role(minimum: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting logged-in people whose role is at least `minimum` (403 else)."""

    async def dependency(principal: Annotated[Principal, Depends(require_user)]) -> Principal:
        if principal.role.rank < minimum.rank:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role '{principal.role}' may not do this; needs '{minimum}' or higher",
            )
        return principal

    dependency.__name__ = f"require_{minimum}"
    dependency._jcoc_auth = True  # type: ignore[attr-defined]
    return dependency


for _dep in (require_agency, require_viewer, require_user):
    _dep._jcoc_auth = True  # type: ignore[attr-defined]

CurrentAgency = Annotated[Principal, Depends(require_agency)]
CurrentViewer = Annotated[Principal, Depends(require_viewer)]
CurrentUser = Annotated[Principal, Depends(require_user)]
Operator = Annotated[Principal, Depends(require_role(Role.operator))]
Supervisor = Annotated[Principal, Depends(require_role(Role.supervisor))]
Admin = Annotated[Principal, Depends(require_role(Role.admin))]
