"""Writing the simulated Jambi into the database, idempotently, and the demo's secrets.

The database keeps only hashes of passwords, API keys and kiosk tokens, so the clear
values the demo needs on its next run live in `<data dir>/demo-secrets.json` (mode 0600);
`<data dir>/demo.txt` is the human-readable note printed at every start. Secrets that no
longer work against the database (a fresh database, a revoked key) are made anew.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from jcoc import geo
from jcoc.auth import security
from jcoc.auth import service as auth_service
from jcoc.auth.models import Role
from jcoc.camera import service as camera_service
from jcoc.demo import jambi
from jcoc.kpi import service as kpi_service
from jcoc.opd import service as opd_service
from jcoc.opd.models import Agency

log = logging.getLogger(__name__)

SECRETS_FILE = "demo-secrets.json"
NOTES_FILE = "demo.txt"
KEY_NAME = "demo-simulator"


@dataclass
class SeedCounts:
    agencies: int = 0
    services: int = 0
    kpis: int = 0
    cameras: int = 0


@dataclass
class DemoSecrets:
    kiosk: str = ""
    passwords: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # agency code -> API key


SIM_FPS = 2.0  # enough for the health checks, cheap on a 2-core machine


def camera_url(index: int) -> str:
    """The synthetic source of a demo camera (camera_bridge's simulator, its own scene)."""
    return f"sim://street?seed={index + 1}&fps={SIM_FPS:g}"


async def seed_city(*, db_session: AsyncSession) -> SeedCounts:
    """Create what is missing of Jambi's agencies, services, KPIs and cameras."""
    created = SeedCounts()
    agencies: dict[str, Agency] = {}
    for seed in jambi.AGENCIES:
        agency = await opd_service.get_agency_by_code(db_session=db_session, code=seed.code)
        if agency is None:
            agency = await opd_service.create_agency(
                db_session=db_session, code=seed.code, name=seed.name
            )
            created.agencies += 1
        agencies[seed.code] = agency
        for svc in seed.services:
            if await opd_service.get_service_by_code(db_session=db_session, code=svc.code):
                continue
            await opd_service.create_service(
                db_session=db_session,
                agency=agency,
                code=svc.code,
                name=svc.name,
                expected_interval_s=max(120, svc.report_s * 4),
            )
            created.services += 1
        for kpi in seed.kpis:
            if await kpi_service.get_kpi_by_code(db_session=db_session, code=kpi.code):
                continue
            await kpi_service.create_kpi(
                db_session=db_session,
                agency=agency,
                code=kpi.code,
                name=kpi.name,
                unit=kpi.unit,
                warn_at=kpi.warn_at,
                crit_at=kpi.crit_at,
                higher_is_worse=kpi.higher_is_worse,
                expected_interval_s=max(300, kpi.report_s * 4),
            )
            created.kpis += 1
    for index, cam in enumerate(jambi.CAMERAS):
        if await camera_service.get_camera(db_session=db_session, code=cam.code):
            continue
        place = geo.find_kecamatan(cam.kecamatan)
        if place is None:
            raise ValueError(f"camera {cam.code}: unknown kecamatan {cam.kecamatan!r}")
        await camera_service.create_camera(
            db_session=db_session,
            code=cam.code,
            url=camera_url(index),
            name=cam.name,
            kecamatan=place.name,
            lat=round(place.lat + cam.offset[0], 5),
            lon=round(place.lon + cam.offset[1], 5),
            agency_id=agencies[cam.agency].id if cam.agency in agencies else None,
            expected_fps=SIM_FPS,
            sample_fps=1.0,
        )
        created.cameras += 1
    return created


def _new_password() -> str:
    return secrets.token_urlsafe(12)


async def ensure_secrets(*, db_session: AsyncSession, stored: DemoSecrets) -> DemoSecrets:
    """Demo users, one API key per agency and a kiosk token, reusing `stored` where valid."""
    result = DemoSecrets()
    for username, role, full_name in jambi.USERS:
        password = stored.passwords.get(username, "")
        user = await auth_service.get_user_by_username(db_session=db_session, username=username)
        if user is None:
            password = _new_password()
            await auth_service.create_user(
                db_session=db_session,
                username=username,
                password=password,
                role=Role(role),
                full_name=full_name,
            )
        elif not password or not security.verify_password(user.password_hash, password):
            # The notes were lost (or belong to another database): give the user a new one.
            password = _new_password()
            user.password_hash = security.hash_password(password)
            user.active = True
        result.passwords[username] = password
    for seed in jambi.AGENCIES:
        key = stored.keys.get(seed.code, "")
        if key and await auth_service.agency_for_api_key(db_session=db_session, token=key):
            result.keys[seed.code] = key
            continue
        agency = await opd_service.get_agency_by_code(db_session=db_session, code=seed.code)
        if agency is None:
            continue
        made = await auth_service.create_api_key(
            db_session=db_session, agency=agency, name=KEY_NAME
        )
        result.keys[seed.code] = made.token
    kiosk = stored.kiosk
    if not kiosk or not await auth_service.kiosk_for_token(db_session=db_session, token=kiosk):
        kiosk = (
            await auth_service.create_kiosk_token(db_session=db_session, name=jambi.KIOSK_NAME)
        ).token
    result.kiosk = kiosk
    return result


def load_secrets(data_dir: Path) -> DemoSecrets:
    """The secrets saved by an earlier run (empty when none or unreadable)."""
    path = data_dir / SECRETS_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return DemoSecrets(
            kiosk=str(raw.get("kiosk", "")),
            passwords=dict(raw.get("passwords", {})),
            keys=dict(raw.get("keys", {})),
        )
    except FileNotFoundError:
        return DemoSecrets()
    except (ValueError, AttributeError, TypeError):
        log.warning("%s is unreadable; making new demo credentials", path)
        return DemoSecrets()


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def save_secrets(data_dir: Path, found: DemoSecrets, notes: str) -> None:
    """Keep the secrets for the next run and write the human note beside them."""
    _write_private(data_dir / SECRETS_FILE, json.dumps(asdict(found), indent=2) + "\n")
    _write_private(data_dir / NOTES_FILE, notes)


def render_notes(found: DemoSecrets, base_url: str) -> str:
    """What `make run` prints and `var/demo.txt` holds: URLs, logins, an example push."""
    pw = found.passwords
    key = found.keys.get("bpbd") or next(iter(found.keys.values()), "<api key>")
    return "\n".join(
        [
            "JCOC demo — Kota Jambi (simulasi / simulated city)",
            f"  Dinding kendali / wall:  {base_url}/wall?kiosk={found.kiosk}",
            f"  Halaman supervisor:      {base_url}/pages/  (login below / masuk di bawah)",
            f"  API docs:                {base_url}/docs",
            f"  Login supervisor:        supervisor / {pw.get('supervisor', '')}",
            f"  Login admin:             admin / {pw.get('admin', '')}",
            f"  Login operator:          operator / {pw.get('operator', '')}",
            "  Contoh push (BPBD) / example push with a demo agency key:",
            f"    curl -sS -X POST {base_url}/api/v1/metrics \\",
            f"      -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\",
            '      -d \'{"samples":[{"kpi":"tma_batanghari","value":10.25,'
            '"time":"\'"$(date -u +%FT%TZ)"\'"}]}\'',
            "",
        ]
    )
