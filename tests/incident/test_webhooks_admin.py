"""Signed webhooks to a real local receiver that fails first; users and kiosk tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.incident.conftest import login
from tests.services import free_port

SECRET = "receiver-secret-0123456789"


class Receiver:
    """A real HTTP receiver: answers 500 to the first request, 200 afterwards."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(500 if len(receiver.requests) == 1 else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.httpd.shutdown()
    r.httpd.server_close()


async def test_webhook_is_signed_and_retried_until_delivered(server, keys, receiver) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        admin, op = await login(c, "ani"), await login(c, "sari")
        hook = await c.post("/api/v1/webhooks", headers=admin, json={
            "name": "telegram-gateway", "url": receiver.url, "events": ["created"],
            "secret": SECRET})  # fmt: skip
        assert hook.status_code == 201 and hook.json()["secret"] == SECRET
        assert "secret" not in (await c.get("/api/v1/webhooks", headers=admin)).text
        flood = {"title": "Banjir", "category": "flood", "severity": 1}
        created = await c.post("/api/v1/incidents", headers=op, json=flood)
        assert created.status_code == 201
        iid = created.json()["id"]
        await c.post(f"/api/v1/incidents/{iid}/acknowledge", json={}, headers=op)  # not subscribed

        deadline = time.monotonic() + 20
        while len(receiver.requests) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(receiver.requests) == 2, "failed once, then retried and delivered"
        for headers, body in receiver.requests:
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            assert headers["X-JCOC-Signature"] == expected
            assert headers["X-JCOC-Timestamp"].isdigit()
            doc = json.loads(body)
            assert doc["event"] == "created" and doc["incident"]["id"] == iid
        assert [json.loads(b)["attempt"] for _, b in receiver.requests] == [1, 2]

        async def deliveries() -> list[dict]:
            r = await c.get(f"/api/v1/webhooks/{hook.json()['id']}/deliveries", headers=admin)
            return r.json()

        deadline = time.monotonic() + 10
        while not (await deliveries())[0]["delivered_at"] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        [delivery] = await deliveries()
        assert delivery["attempts"] == 2 and delivery["delivered_at"]
        assert "HTTP 500" not in delivery["last_error"]


async def test_admin_manages_users_and_kiosk_tokens_with_audit(server, keys) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        admin, sup = await login(c, "ani"), await login(c, "budi")
        new = {"username": "dewi", "password": "dewi-pass-1", "role": "operator",
               "agency": "bpbd"}  # fmt: skip
        assert (await c.post("/api/v1/users", json=new, headers=sup)).status_code == 403
        made = await c.post("/api/v1/users", json=new, headers=admin)
        assert made.status_code == 201 and "password" not in made.text
        assert (await c.post("/api/v1/users", json=new, headers=admin)).status_code == 409
        r = await c.post("/api/v1/auth/login", json={"username": "dewi",
                                                     "password": "dewi-pass-1"})  # fmt: skip
        assert r.json()["role"] == "operator"
        off = await c.patch("/api/v1/users/dewi", json={"active": False}, headers=admin)
        assert off.json()["active"] is False
        c.cookies.clear()

        kiosk = await c.post("/api/v1/kiosks", json={"name": "dinding-utama"}, headers=admin)
        token = kiosk.json()["token"]
        wall = {"Authorization": f"Bearer {token}"}
        assert (await c.get("/api/v1/incidents", headers=wall)).status_code == 200
        assert (await c.post("/api/v1/incidents", json={"title": "x"},
                             headers=wall)).status_code == 401  # fmt: skip
        kid = kiosk.json()["id"]
        assert (await c.delete(f"/api/v1/kiosks/{kid}", headers=admin)).status_code == 204
        assert (await c.get("/api/v1/incidents", headers=wall)).status_code == 401

        audit = (await c.get("/api/v1/audit", headers=admin)).json()["items"]
        assert [e["action"] for e in audit][:4] == [
            "kiosk.revoke", "kiosk.create", "user.update", "user.create"]  # fmt: skip
        assert all(e["actor"] == "user:ani" for e in audit[:4])
        assert token not in json.dumps(audit)
