"""The hub's routes: the `/ws` websocket and the same live state over REST."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, WebSocket, status

from jcoc.auth.deps import CurrentViewer
from jcoc.db.base import utcnow
from jcoc.hub import connection, metrics
from jcoc.hub.state import TOPICS
from jcoc.hub.wsauth import WsAuth, authenticate_websocket

router = APIRouter(tags=["live"])


@router.websocket("/ws")
async def live_websocket(
    websocket: WebSocket, auth: Annotated[WsAuth, Depends(authenticate_websocket)]
) -> None:
    """Live updates; protocol in docs/hub-protocol.md."""
    await websocket.accept()
    if auth.principal is None:
        # Accept first so the client sees the reason (a refused handshake only says 403).
        await websocket.close(auth.close_code, auth.reason)
        return
    await connection.serve(websocket.app.state.hub, websocket)


@router.get("/api/v1/summary", summary="The whole live state (all topics)")
async def summary(request: Request, _: CurrentViewer) -> dict[str, Any]:
    return request.app.state.hub.summary()  # type: ignore[no-any-return]


@router.get("/api/v1/live/{topic}", summary="One topic of the live state")
async def live_topic(request: Request, topic: str, _: CurrentViewer) -> dict[str, Any]:
    if topic not in TOPICS:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail=f"unknown topic {topic!r} in the path; known topics: {', '.join(TOPICS)}",
        )
    hub = request.app.state.hub
    return {
        "epoch": hub.epoch,
        "seq": hub.seq,
        "server_time": utcnow().isoformat(),
        **hub.sources(),
        "topic": topic,
        "data": hub.state.items[topic],
    }


router.include_router(metrics.router)
