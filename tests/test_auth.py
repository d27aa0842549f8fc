"""Auth primitives over real HTTP: API keys, kiosk tokens, logins, roles."""

from datetime import timedelta

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import select

from jcoc.app import create_app
from jcoc.auth import service
from jcoc.auth.deps import Admin, CurrentAgency, CurrentUser, CurrentViewer, Supervisor
from jcoc.auth.models import ApiKey, Role
from jcoc.db.engine import create_engine, session_factory
from jcoc.opd import service as opd
from tests.live import LiveServer


def _probe_app(settings):
    """The real app plus a few routes that just echo who is calling."""
    app = create_app(settings)
    router = APIRouter(prefix="/probe")

    @router.get("/agency")
    async def agency(p: CurrentAgency) -> dict:
        return {"agency": p.agency.code}

    @router.get("/viewer")
    async def viewer(p: CurrentViewer) -> dict:
        return {"kind": p.kind, "name": p.name}

    @router.get("/user")
    async def user(p: CurrentUser) -> dict:
        return {"name": p.name}

    @router.get("/supervisor")
    async def supervisor(p: Supervisor) -> dict:
        return {"name": p.name}

    @router.get("/admin")
    async def admin(p: Admin) -> dict:
        return {"name": p.name}

    app.include_router(router)
    return app


@pytest.fixture
async def seeded(settings):
    engine = create_engine(settings)
    async with session_factory(engine)() as s:
        dishub = await opd.create_agency(db_session=s, code="dishub", name="Dinas Perhubungan")
        await opd.create_agency(db_session=s, code="bpbd", name="BPBD")
        key = await service.create_api_key(db_session=s, agency=dishub, name="atcs")
        revoked = await service.create_api_key(db_session=s, agency=dishub)
        await service.revoke_api_key(db_session=s, key_id=revoked.id)
        kiosk = await service.create_kiosk_token(db_session=s, name="dinding-utama")
        await service.create_user(
            db_session=s, username="sari", password="operator-pw", role=Role.operator
        )
        await service.create_user(
            db_session=s, username="budi", password="supervisor-pw", role=Role.supervisor
        )
        await s.commit()
        stored = (await s.scalars(select(ApiKey))).all()
    await engine.dispose()
    return {"key": key.token, "revoked": revoked.token, "kiosk": kiosk.token, "stored": stored}


@pytest.fixture
def server(settings, seeded):
    with LiveServer(lambda: _probe_app(settings)) as srv:
        yield srv


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_api_key_is_stored_only_as_a_hash(seeded) -> None:
    for row in seeded["stored"]:
        assert seeded["key"] not in (row.key_hash, row.prefix)
        assert len(row.key_hash) == 64
    assert seeded["key"].startswith(seeded["stored"][0].prefix)


async def test_agency_from_api_key(server, seeded) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        ok = await c.get("/probe/agency", headers=_bearer(seeded["key"]))
        missing = await c.get("/probe/agency")
        revoked = await c.get("/probe/agency", headers=_bearer(seeded["revoked"]))
        wrong_kind = await c.get("/probe/agency", headers=_bearer(seeded["kiosk"]))
        garbage = await c.get("/probe/agency", headers=_bearer("jcoc_ak_nope"))
    assert ok.json() == {"agency": "dishub"}
    assert missing.status_code == 401 and "API key" in missing.json()["detail"]
    assert revoked.status_code == 401
    assert wrong_kind.status_code == 401
    assert garbage.status_code == 401


async def test_revoked_api_key_is_refused_at_once_despite_the_cache(server, seeded, settings):
    assert settings.auth_cache_seconds > 0, "the key cache is on, as in production"
    async with httpx.AsyncClient(base_url=server.url) as c:
        for _ in range(3):  # valid: now remembered by this process
            assert (await c.get("/probe/agency", headers=_bearer(seeded["key"]))).status_code == 200
        engine = create_engine(settings)
        async with session_factory(engine)() as s:
            found = await service.agency_for_api_key(db_session=s, token=seeded["key"])
            assert found is not None
            assert await service.revoke_api_key(db_session=s, key_id=found[0].id)
            await s.commit()
        await engine.dispose()
        r = await c.get("/probe/agency", headers=_bearer(seeded["key"]))
    assert r.status_code == 401 and r.json()["detail"] == "unknown or revoked API key"


async def test_key_cache_lets_no_unknown_key_through_and_a_new_key_works_at_once(
    server, seeded, settings
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        assert (await c.get("/probe/agency", headers=_bearer(seeded["key"]))).status_code == 200
        # A cached valid key does not vouch for a different (or altered) one.
        for token in (seeded["key"] + "x", seeded["key"][:-1], "jcoc_ak_unknown"):
            r = await c.get("/probe/agency", headers=_bearer(token))
            assert r.status_code == 401, token
        assert (await c.get("/probe/agency", headers=_bearer(seeded["revoked"]))).status_code == 401
        # A refusal is not remembered: a key created right after is accepted at once.
        engine = create_engine(settings)
        async with session_factory(engine)() as s:
            bpbd = await opd.get_agency_by_code(db_session=s, code="bpbd")
            new = await service.create_api_key(db_session=s, agency=bpbd)
            assert (await c.get("/probe/agency", headers=_bearer(new.token))).status_code == 401
            await s.commit()
        await engine.dispose()
        r = await c.get("/probe/agency", headers=_bearer(new.token))
    assert r.json() == {"agency": "bpbd"}
    assert all(new.token not in k for k in service.api_key_cache._entries), "only hashes"


async def test_kiosk_token_is_a_viewer_only(server, seeded) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        view = await c.get("/probe/viewer", headers=_bearer(seeded["kiosk"]))
        by_query = await c.get("/probe/viewer", params={"kiosk": seeded["kiosk"]})
        as_user = await c.get("/probe/user", headers=_bearer(seeded["kiosk"]))
        agency_key = await c.get("/probe/viewer", headers=_bearer(seeded["key"]))
    assert view.json() == {"kind": "kiosk", "name": "dinding-utama"}
    assert by_query.status_code == 200
    assert as_user.status_code == 401
    assert agency_key.status_code == 401


async def test_revoked_kiosk_token_stops_working(server, seeded, settings) -> None:
    engine = create_engine(settings)
    async with session_factory(engine)() as s:
        kiosk = await service.kiosk_for_token(db_session=s, token=seeded["kiosk"])
        await service.revoke_kiosk_token(db_session=s, kiosk_id=kiosk.id)
        await s.commit()
    await engine.dispose()
    async with httpx.AsyncClient(base_url=server.url) as c:
        r = await c.get("/probe/viewer", headers=_bearer(seeded["kiosk"]))
    assert r.status_code == 401


async def test_login_roles_and_logout(server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        bad = await c.post("/api/v1/auth/login", json={"username": "sari", "password": "nope"})
        assert bad.status_code == 401
        login = await c.post(
            "/api/v1/auth/login", json={"username": "sari", "password": "operator-pw"}
        )
        assert login.status_code == 200
        token = login.json()["token"]
        assert login.json()["role"] == "operator"
        # The cookie alone authenticates a browser.
        assert (await c.get("/api/v1/auth/me")).json() == {
            "kind": "user",
            "name": "sari",
            "role": "operator",
        }
        c.cookies.clear()
        assert (await c.get("/probe/user", headers=_bearer(token))).status_code == 200
        forbidden = await c.get("/probe/supervisor", headers=_bearer(token))
        assert forbidden.status_code == 403
        assert "supervisor" in forbidden.json()["detail"]
        assert (await c.post("/api/v1/auth/logout", headers=_bearer(token))).status_code == 204
        assert (await c.get("/probe/user", headers=_bearer(token))).status_code == 401

        sup = await c.post(
            "/api/v1/auth/login", json={"username": "budi", "password": "supervisor-pw"}
        )
        sup_token = sup.json()["token"]
        c.cookies.clear()
        assert (await c.get("/probe/supervisor", headers=_bearer(sup_token))).status_code == 200
        assert (await c.get("/probe/admin", headers=_bearer(sup_token))).status_code == 403


async def test_expired_session_is_refused(settings, seeded) -> None:
    from jcoc.db.base import utcnow

    engine = create_engine(settings)
    async with session_factory(engine)() as s:
        user = await service.get_user_by_username(db_session=s, username="sari")
        token, _ = await service.create_login_session(
            db_session=s, user=user, lifetime=timedelta(hours=1), now=utcnow() - timedelta(hours=2)
        )
        await s.commit()
        assert await service.user_for_session_token(db_session=s, token=token) is None
    await engine.dispose()
