"""Login, logout and who-am-i for people."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, Response, status

from jcoc.auth import service
from jcoc.auth.deps import SESSION_COOKIE, CurrentViewer, bearer_token
from jcoc.auth.schemas import LoginIn, LoginOut, MeOut
from jcoc.db.deps import SessionDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
# Login is reached without a token by definition; it is rate-limited by Argon2's cost.
PUBLIC = {"/api/v1/auth/login"}


@router.post("/login", response_model=LoginOut, summary="Log in (Masuk)")
async def login(
    body: LoginIn, request: Request, response: Response, db_session: SessionDep
) -> LoginOut:
    user = await service.authenticate(
        db_session=db_session, username=body.username, password=body.password
    )
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="wrong username or password")
    settings = request.app.state.settings
    token, sess = await service.create_login_session(
        db_session=db_session, user=user, lifetime=timedelta(hours=settings.session_hours)
    )
    await db_session.commit()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return LoginOut(token=token, expires_at=sess.expires_at, username=user.username, role=user.role)


@router.post("/logout", status_code=204, summary="Log out (Keluar)")
async def logout(
    request: Request, response: Response, db_session: SessionDep, _: CurrentViewer
) -> None:
    token = bearer_token(request)
    if token:
        await service.end_login_session(db_session=db_session, token=token)
        await db_session.commit()
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me", response_model=MeOut, summary="Who am I")
async def me(principal: CurrentViewer) -> MeOut:
    return MeOut(kind=principal.kind, name=principal.name, role=principal.role)
