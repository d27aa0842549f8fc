"""`jcoc camera …` and `jcoc ingest cameras` as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from ingest.cameras.cli import parse_shard
from ingest.cameras.manager import in_shard

SECRET = "cli-Secret-99"


def _jcoc(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JCOC_")}
    env["JCOC_DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
    return subprocess.run(
        [sys.executable, "-m", "jcoc.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_camera_add_list_remove(tmp_path: Path) -> None:
    db = tmp_path / "city.db"
    assert _jcoc(db, "db", "upgrade").returncode == 0
    r = _jcoc(
        db,
        "camera",
        "add",
        "cctv-tugu",
        f"rtsp://admin:{SECRET}@10.1.2.3/stream1",
        "--name",
        "Tugu Juang",
        "--lat",
        "-1.61",
        "--lon",
        "103.6",
        "--kecamatan",
        "Telanaipura",
        "--transport",
        "udp",
    )
    assert r.returncode == 0, r.stderr
    assert "rtsp://***@10.1.2.3/stream1" in r.stdout and SECRET not in r.stdout + r.stderr
    again = _jcoc(db, "camera", "add", "cctv-tugu", "sim://street")
    assert again.returncode == 1 and "exists" in again.stderr
    bad = _jcoc(db, "camera", "add", "cctv-x", "ftp://host/x", "--transport", "carrier-pigeon")
    assert bad.returncode == 1 and "url" in bad.stderr and "rtsp_transport" in bad.stderr
    listed = _jcoc(db, "camera", "list")
    assert "cctv-tugu\tTugu Juang\trtsp://***@10.1.2.3/stream1\ton" in listed.stdout
    assert SECRET not in listed.stdout
    assert _jcoc(db, "camera", "remove", "cctv-tugu").returncode == 0


def test_shards_split_the_cameras_between_processes() -> None:
    codes = [f"cctv-{i}" for i in range(40)]
    shares = [[c for c in codes if in_shard(c, (i, 3))] for i in range(3)]
    assert sorted(c for share in shares for c in share) == sorted(codes)  # exactly one each
    assert all(shares)
    assert parse_shard("1/3") == (1, 3)
    for bad in ("3/2", "x", "1/0"):
        with pytest.raises(typer.BadParameter):
            parse_shard(bad)
