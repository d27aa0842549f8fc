"""Hub fixtures: a seeded TimescaleDB, a Redis bus, a live server and websocket helpers.

Facts are produced the way ingest produces them: the row is committed to the database,
then the message is published on the (Redis) bus from this test process.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from jcoc.auth import service as auth_service
from jcoc.bus import RedisBus
from jcoc.config import Settings
from jcoc.db.base import utcnow
from jcoc.db.engine import create_engine, detect_flavor, session_factory
from jcoc.opd import service as opd
from jcoc.opd.models import Agency, Service
from jcoc.status.models import StatusEvent
from tests.conftest import make_settings
from tests.live import LiveServer

pytestmark = [pytest.mark.timescale, pytest.mark.redis]


@dataclass
class City:
    settings: Settings
    kiosk: str
    api_key: str


def hub_settings(base: Settings, redis_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": base.database_url,
        "timescale": "on",
        "data_dir": base.data_dir,
        "redis_url": redis_url,
        "hub_tick_s": 0.2,
    }
    values.update(overrides)
    return make_settings(**values)


async def seed(settings: Settings, extra_services: int = 0) -> tuple[str, str]:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as s:
            dishub = await opd.create_agency(db_session=s, code="dishub", name="Dinas Perhubungan")
            bpbd = await opd.create_agency(db_session=s, code="bpbd", name="BPBD")
            await opd.create_service(db_session=s, agency=dishub, code="atcs", name="ATCS")
            await opd.create_service(
                db_session=s, agency=bpbd, code="ews", name="Peringatan dini", expected_interval_s=1
            )
            for i in range(extra_services):
                await opd.create_service(db_session=s, agency=dishub, code=f"svc{i}", name=f"S{i}")
            kiosk = await auth_service.create_kiosk_token(db_session=s, name="dinding")
            key = await auth_service.create_api_key(db_session=s, agency=dishub)
            await s.commit()
            return kiosk.token, key.token
    finally:
        await engine.dispose()


@pytest.fixture
async def city(ts_settings: Settings, redis_server: Any) -> City:
    settings = hub_settings(ts_settings, redis_server.url)
    kiosk, key = await seed(settings)
    return City(settings, kiosk, key)


@pytest.fixture
def server(city: City) -> Iterator[LiveServer]:
    from jcoc.app import create_app

    with LiveServer(lambda: create_app(city.settings)) as live:
        yield live


class Facts:
    """Commits facts and publishes them, as ingest does."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings)
        self.bus = RedisBus(settings.redis_url or "")
        self.n = 0
        self._owners: dict[str, tuple[int, str]] = {}

    async def status(
        self, service: str, status: str, *, time: datetime | None = None, message: str = ""
    ) -> None:
        await self.statuses([(service, status, time or utcnow(), message)])

    async def statuses(self, events: list[tuple[str, str, datetime, str]]) -> None:
        """Commit status events in one transaction, then publish each."""
        messages = []
        async with session_factory(self.engine)() as s:
            for service, status, time, message in events:
                if service not in self._owners:
                    svc = await opd.get_service_by_code(db_session=s, code=service)
                    assert isinstance(svc, Service)
                    owner = await s.get(Agency, svc.agency_id)
                    assert owner is not None
                    self._owners[service] = (svc.id, owner.code)
                service_id, agency = self._owners[service]
                self.n += 1
                event_id = f"t{self.n}"
                s.add(
                    StatusEvent(
                        time=time,
                        service_id=service_id,
                        event_id=event_id,
                        status=status,
                        message=message,
                        received_at=utcnow(),
                    )
                )
                messages.append(
                    {
                        "service": service,
                        "agency": agency,
                        "status": status,
                        "time": time.isoformat(),
                        "received_at": utcnow().isoformat(),
                        "message": message,
                        "latency_ms": None,
                        "source": "push",
                        "event_id": event_id,
                    }
                )
            await s.commit()
        for message in messages:
            await self.bus.publish("status", message)


@pytest.fixture
async def facts(city: City) -> AsyncIterator[Facts]:
    f = Facts(city.settings)
    await detect_flavor(f.engine)
    await f.bus.start()
    yield f
    await f.bus.stop()
    await f.engine.dispose()


async def connect(base_ws_url: str, token: str | None, **kw: Any) -> ClientConnection:
    url = f"{base_ws_url}/ws" + (f"?token={token}" if token else "")
    return await websockets.connect(url, **kw)


async def recv(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))  # type: ignore[no-any-return]


async def recv_until(
    ws: ClientConnection, pred: Callable[[dict[str, Any]], bool], timeout: float = 15.0
) -> list[dict[str, Any]]:
    """Frames up to and including the first that satisfies `pred` (fails at the deadline)."""
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no matching frame within {timeout}s; last: {seen[-3:]}")
        frame = await recv(ws, left)
        seen.append(frame)
        if pred(frame):
            return seen


async def subscribe(
    ws: ClientConnection, topics: list[str], since: dict[str, Any] | None = None
) -> None:
    op: dict[str, Any] = {"op": "subscribe", "topics": topics}
    if since is not None:
        op["since"] = since
    await ws.send(json.dumps(op))
