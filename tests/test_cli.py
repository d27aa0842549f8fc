"""The administration commands, run as a city's IT team would run them."""

import os
import sqlite3
import subprocess
import sys

import pytest


@pytest.fixture
def jcoc(tmp_path):
    db = tmp_path / "city.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JCOC_")}
    env["JCOC_DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"

    def run(*args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(
            [sys.executable, "-m", "jcoc.cli", *args],
            env={**env, **extra},
            capture_output=True,
            text=True,
            check=False,
        )
        if check:
            assert r.returncode == 0, r.stderr
        return r

    run("db", "upgrade")
    run.db = db  # type: ignore[attr-defined]
    return run


def test_agency_service_and_key(jcoc) -> None:
    jcoc("opd", "add", "dpmptsp", "Dinas Penanaman Modal dan PTSP")
    jcoc(
        "service",
        "add",
        "dpmptsp",
        "e-perizinan",
        "E-Perizinan",
        "--probe",
        "http",
        "--target",
        "https://perizinan.jambikota.go.id/health",
        "--keyword",
        "ok",
    )
    key = jcoc("apikey", "create", "dpmptsp").stdout.strip()
    assert key.startswith("jcoc_ak_")
    with sqlite3.connect(jcoc.db) as conn:
        stored = conn.execute("SELECT key_hash, prefix FROM api_key").fetchall()
        probe = conn.execute("SELECT probe_kind, probe_keyword FROM service").fetchone()
    assert len(stored) == 1 and key not in stored[0]
    assert probe == ("http", "ok")


def test_errors_are_clear(jcoc) -> None:
    jcoc("opd", "add", "bpbd", "BPBD")
    dup = jcoc("opd", "add", "bpbd", "BPBD", check=False)
    assert dup.returncode == 1 and "exists already" in dup.stderr
    orphan = jcoc("service", "add", "nope", "x", "X", check=False)
    assert orphan.returncode == 1 and "no agency 'nope'" in orphan.stderr
    nokey = jcoc("apikey", "create", "nope", check=False)
    assert nokey.returncode == 1


def test_user_and_kiosk(jcoc) -> None:
    jcoc("user", "add", "admin", "--role", "admin", JCOC_NEW_PASSWORD="correct horse")
    short = jcoc("user", "add", "x", JCOC_NEW_PASSWORD="short", check=False)
    assert short.returncode == 1
    token = jcoc("kiosk", "create", "dinding-utama").stdout.strip()
    assert token.startswith("jcoc_kt_")
    jcoc("kiosk", "revoke", "1")
    with sqlite3.connect(jcoc.db) as conn:
        users = conn.execute("SELECT username, role, password_hash FROM app_user").fetchall()
        kiosk = conn.execute("SELECT revoked_at FROM kiosk_token").fetchone()
    assert users[0][:2] == ("admin", "admin") and users[0][2].startswith("$argon2id$")
    assert kiosk[0] is not None
