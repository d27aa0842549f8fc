"""Who may open an incident: an agency's API key or a person with at least Operator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from jcoc.auth.deps import (
    Principal,
    bearer_token,
    principal_from_token,
    require_role,
    require_user,
)
from jcoc.auth.models import Role
from jcoc.auth.security import API_KEY_PREFIX
from jcoc.db.base import utcnow
from jcoc.db.deps import SessionDep

_operator = require_role(Role.operator)


async def require_reporter(request: Request, db_session: SessionDep) -> Principal:
    """An agency (API key) or a logged-in operator, supervisor or admin."""
    token = bearer_token(request)
    if token and token.startswith(API_KEY_PREFIX):
        principal = await principal_from_token(db_session, token)
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="unknown or revoked API key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return principal
    return await _operator(await require_user(request, db_session))


require_reporter._jcoc_auth = True  # type: ignore[attr-defined]

Reporter = Annotated[Principal, Depends(require_reporter)]


def get_clock(request: Request) -> Callable[[], datetime]:
    """The app's clock (`app.state.clock`, injectable in tests), else real time."""
    return getattr(request.app.state, "clock", utcnow)  # type: ignore[no-any-return]


Clock = Annotated[Callable[[], datetime], Depends(get_clock)]
