"""Seeding writes Kota Jambi once; a second run reuses the data and the credentials."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from jcoc.auth import service as auth_service
from jcoc.camera.models import Camera
from jcoc.db.engine import session_factory, transaction
from jcoc.demo import jambi
from jcoc.demo import seed as demo_seed
from jcoc.opd.models import Agency, Service


async def test_seed_is_idempotent_and_secrets_survive(engine: AsyncEngine, tmp_path: Path) -> None:
    factory = session_factory(engine)
    async with transaction(factory) as session:
        first = await demo_seed.seed_city(db_session=session)
        secrets = await demo_seed.ensure_secrets(db_session=session, stored=demo_seed.DemoSecrets())
    assert first.agencies == len(jambi.AGENCIES) and first.cameras == len(jambi.CAMERAS)
    demo_seed.save_secrets(tmp_path, secrets, demo_seed.render_notes(secrets, "http://x:1"))
    assert (tmp_path / demo_seed.SECRETS_FILE).stat().st_mode & 0o077 == 0

    async with transaction(factory) as session:
        again = await demo_seed.seed_city(db_session=session)
        reused = await demo_seed.ensure_secrets(
            db_session=session, stored=demo_seed.load_secrets(tmp_path)
        )
    assert again == demo_seed.SeedCounts()
    assert reused == secrets

    async with factory() as session:
        assert await session.scalar(select(func.count()).select_from(Agency)) == len(jambi.AGENCIES)
        assert await session.scalar(select(func.count()).select_from(Service)) == sum(
            len(a.services) for a in jambi.AGENCIES
        )
        cams = (await session.scalars(select(Camera))).all()
        assert all(c.url.startswith("sim://") and c.lat and c.lon for c in cams)
        user = await auth_service.authenticate(
            db_session=session, username="supervisor", password=secrets.passwords["supervisor"]
        )
        assert user is not None and user.role == "supervisor"
        found = await auth_service.agency_for_api_key(
            db_session=session, token=secrets.keys["bpbd"]
        )
        assert found is not None and found[1].code == "bpbd"


async def test_lost_notes_make_new_working_credentials(engine: AsyncEngine) -> None:
    factory = session_factory(engine)
    async with transaction(factory) as session:
        await demo_seed.seed_city(db_session=session)
        old = await demo_seed.ensure_secrets(db_session=session, stored=demo_seed.DemoSecrets())
    async with transaction(factory) as session:
        new = await demo_seed.ensure_secrets(db_session=session, stored=demo_seed.DemoSecrets())
    assert new.passwords["admin"] != old.passwords["admin"]
    async with factory() as session:
        assert await auth_service.authenticate(
            db_session=session, username="admin", password=new.passwords["admin"]
        )
        assert await auth_service.kiosk_for_token(db_session=session, token=new.kiosk)
