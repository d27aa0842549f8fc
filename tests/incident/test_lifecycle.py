"""The incident lifecycle over real HTTP, with roles, refusals, queries and the audit log."""

from __future__ import annotations

import csv
import io

import httpx

from tests.incident.conftest import login


async def test_full_lifecycle_with_roles_timeline_and_audit(server, keys) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        viewer, op, sup, admin = [await login(c, n) for n in ("vera", "sari", "budi", "ani")]
        body = {
            "title": "Genangan air di Jl. Sultan Thaha",
            "category": "flood",
            "severity": 3,
            "kecamatan": "pasar jambi",
            "agency": "bpbd",
            "cameras": ["cctv-simpang-kawat"],
            "services": ["atcs"],
        }
        assert (await c.post("/api/v1/incidents", json=body, headers=viewer)).status_code == 403
        assert (await c.post("/api/v1/incidents", json=body)).status_code == 401
        bad = await c.post("/api/v1/incidents", json={**body, "kecamatan": "Gotham"}, headers=op)
        assert bad.status_code == 422 and "Telanaipura" in bad.text
        unknown_cam = await c.post(
            "/api/v1/incidents", json={**body, "cameras": ["nope"]}, headers=op
        )
        assert unknown_cam.status_code == 422 and "nope" in unknown_cam.json()["detail"]

        created = await c.post("/api/v1/incidents", json=body, headers=op)
        assert created.status_code == 201, created.text
        inc = created.json()
        iid = inc["id"]
        assert inc["status"] == "open" and inc["source"] == "operator"
        assert inc["kecamatan"] == "Pasar Jambi" and inc["agency"] == "bpbd"
        assert inc["links"]["cameras"] == [
            {
                "code": "cctv-simpang-kawat",
                "name": "Simpang Kawat",
                "snapshot_url": "/cameras/cctv-simpang-kawat/snapshot.jpg",
            }
        ]
        assert "secret" not in created.text
        assert inc["sla"]["ack"] == "ok" and inc["sla"]["ack_due_at"]

        async def act(action: str, who: dict, **extra: object) -> httpx.Response:
            return await c.post(f"/api/v1/incidents/{iid}/{action}", json=extra, headers=who)

        assert (await act("acknowledge", viewer)).status_code == 403
        ack = await act("acknowledge", op, comment="Tim menuju lokasi")
        assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
        again = await act("acknowledge", op)
        assert again.status_code == 409
        assert "cannot acknowledge incident" in again.json()["detail"]
        assert (await act("resolve", op)).status_code == 403
        assert (await act("assign", op, assignee="budi")).status_code == 403
        assert (await act("assign", sup, assignee="nobody")).status_code == 422
        assigned = await act("assign", sup, assignee="sari")
        assert assigned.json()["assignee"] == "sari"
        assert (await act("comment", op, comment="")).status_code == 422
        assert (await act("comment", op, comment="Air mulai surut")).status_code == 200
        assert (await act("start", op)).json()["status"] == "in_progress"
        assert (await act("close", sup)).status_code == 409
        assert (await act("resolve", sup, comment="Pompa bekerja")).json()["status"] == "resolved"
        assert (await act("close", sup)).json()["status"] == "closed"
        reopened = await act("reopen", sup, comment="Hujan lagi")
        assert reopened.json()["status"] == "acknowledged"
        assert reopened.json()["resolved_at"] is None

        detail = (await c.get(f"/api/v1/incidents/{iid}", headers=viewer)).json()
        kinds = [e["kind"] for e in detail["timeline"]]
        assert kinds == [
            "created", "acknowledged", "assigned", "commented", "in_progress", "resolved",
            "closed", "reopened",
        ]  # fmt: skip
        assert detail["timeline"][1]["actor"] == "user:sari"
        assert detail["timeline"][1]["comment"] == "Tim menuju lokasi"
        assert detail["timeline"][7]["from_status"] == "closed"

        # Queries a supervisor needs.
        page = (
            await c.get(
                "/api/v1/incidents",
                params={"status": ["acknowledged", "open"], "kecamatan": "Pasar Jambi"},
                headers=sup,
            )
        ).json()
        assert page["total"] == 1 and page["items"][0]["id"] == iid
        none = (await c.get("/api/v1/incidents", params={"severity": 1}, headers=sup)).json()
        assert none["total"] == 0
        assert (await c.get("/api/v1/incidents", params={"since": "2020-01-01T00:00"},
                            headers=sup)).status_code == 422  # fmt: skip
        exported = await c.get("/api/v1/incidents.csv", headers=op)
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert exported.headers["content-type"].startswith("text/csv")
        assert rows[0]["id"] == str(iid) and rows[0]["kecamatan"] == "Pasar Jambi"

        # Every write is in the audit log, with who and from where.
        assert (await c.get("/api/v1/audit", headers=sup)).status_code == 403
        audit = (
            await c.get("/api/v1/audit", params={"action": "incident.", "limit": 100},
                        headers=admin)
        ).json()  # fmt: skip
        actions = sorted(e["action"] for e in audit["items"])
        assert actions == sorted(
            ["incident.create", "incident.acknowledge", "incident.assign", "incident.comment",
             "incident.start", "incident.resolve", "incident.close", "incident.reopen"]
        )  # fmt: skip
        assert all(e["remote_addr"] == "127.0.0.1" for e in audit["items"])
        assert {e["actor"] for e in audit["items"]} == {"user:sari", "user:budi"}


async def test_agency_creation_is_idempotent_by_external_id(server, keys) -> None:
    body = {"title": "Pohon tumbang", "category": "infrastructure", "severity": 2,
            "lat": -1.6, "lon": 103.6, "external_id": "bpbd-2026-0031"}  # fmt: skip
    agency = {"Authorization": f"Bearer {keys['bpbd_key']}"}
    async with httpx.AsyncClient(base_url=server.url) as c:
        first = await c.post("/api/v1/incidents", json=body, headers=agency)
        second = await c.post("/api/v1/incidents", json=body, headers=agency)
        other = await c.post("/api/v1/incidents", json={**body, "agency": "dishub"}, headers=agency)
        outside = await c.post(
            "/api/v1/incidents", json={**body, "lat": 1.6, "external_id": "x"}, headers=agency
        )
        admin = await login(c, "ani")
        listed = (await c.get("/api/v1/incidents", headers=admin)).json()
        audit = (await c.get("/api/v1/audit", params={"actor": "agency:bpbd"},
                             headers=admin)).json()  # fmt: skip
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["source"] == "agency" and first.json()["agency"] == "bpbd"
    assert first.json()["kecamatan"]  # derived from lat/lon
    assert other.status_code == 403
    assert outside.status_code == 422 and "outside Kota Jambi" in outside.text
    assert listed["total"] == 1
    assert [e["action"] for e in audit["items"]] == ["incident.create"]
