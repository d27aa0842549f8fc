"""`jcoc kpi add` and `jcoc service probe`, run as an IT team would run them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys


def _jcoc(db, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JCOC_")}
    env["JCOC_DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
    r = subprocess.run(
        [sys.executable, "-m", "jcoc.cli", *args], env=env, capture_output=True, text=True
    )
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_kpi_add_and_service_probe(tmp_path) -> None:
    db = tmp_path / "city.db"
    _jcoc(db, "db", "upgrade")
    _jcoc(db, "opd", "add", "pdam", "PDAM Tirta Mayang")
    _jcoc(db, "service", "add", "pdam", "air-bersih", "Layanan air bersih")
    _jcoc(
        db,
        "kpi",
        "add",
        "pdam",
        "pressure",
        "Tekanan",
        "--unit",
        "bar",
        "--warn",
        "1",
        "--crit",
        "0.5",
        "--lower-is-worse",
    )
    _jcoc(
        db,
        "service",
        "probe",
        "air-bersih",
        "--probe",
        "tcp",
        "--target",
        "10.0.0.5:443",
        "--interval",
        "30",
    )
    missing_target = _jcoc(
        db, "service", "probe", "air-bersih", "--probe", "http", "--target", "", check=False
    )
    dup = _jcoc(db, "kpi", "add", "pdam", "pressure", "Tekanan", check=False)
    with sqlite3.connect(db) as conn:
        kpi = conn.execute("SELECT unit, warn_at, crit_at, higher_is_worse FROM kpi").fetchone()
        probe = conn.execute(
            "SELECT probe_kind, probe_target, probe_interval_s FROM service"
        ).fetchone()
    assert kpi == ("bar", 1.0, 0.5, 0)
    assert probe == ("tcp", "10.0.0.5:443", 30)
    assert missing_target.returncode != 0 and "--target" in missing_target.stderr
    assert dup.returncode != 0 and "exists" in dup.stderr
