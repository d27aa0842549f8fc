"""`jcoc demo` as a user runs it: a real process, real HTTP, Ctrl-C, and a second run.

The simulated agencies must reach the server through the public push API with their own
keys; we only look at what the REST API shows afterwards.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from jcoc.demo import jambi
from tests.services import free_port

pytestmark = pytest.mark.slow

SERVICES = [s.code for a in jambi.AGENCIES for s in a.services]
KPIS = [k.code for a in jambi.AGENCIES for k in a.kpis]


@dataclass
class Demo:
    proc: subprocess.Popen[str]
    url: str
    kiosk: str
    output: str

    def get(self, path: str, token: str | None = None) -> Any:
        response = httpx.get(
            self.url + path, headers={"Authorization": f"Bearer {token or self.kiosk}"}, timeout=10
        )
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response.json()

    def interrupt(self, deadline: float = 25.0) -> int:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(deadline)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def start_demo(data_dir: Path, port: int, *args: str, deadline: float = 60.0) -> Demo:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("JCOC_")}
    env.update(
        JCOC_DATABASE_URL=f"sqlite+aiosqlite:///{data_dir / 'jcoc.db'}",
        JCOC_DATA_DIR=str(data_dir),
        JCOC_PORT=str(port),
        JCOC_LOG_LEVEL="WARNING",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "jcoc.cli", "demo", *args],
        cwd=data_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(proc, lines), daemon=True).start()
    seen: list[str] = []
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        if "Ctrl-C" in line:
            output = "".join(seen)
            match = re.search(r"(http://127\.0\.0\.1:\d+)/wall/?\?kiosk=(\S+)", output)
            assert match, output
            return Demo(proc, match.group(1), match.group(2), output)
    proc.kill()
    pytest.fail("jcoc demo did not become ready:\n" + "".join(seen))


def _read_lines(proc: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line)


def eventually(check: Callable[[], Any], deadline: float = 40.0) -> Any:
    end = time.monotonic() + deadline
    while True:
        try:
            result = check()
        except AssertionError:
            if time.monotonic() > end:
                raise
        else:
            if result:
                return result
            if time.monotonic() > end:
                pytest.fail("condition not met before the deadline")
        time.sleep(0.5)


def passwords(data_dir: Path) -> dict[str, str]:
    text = (data_dir / "demo.txt").read_text(encoding="utf-8")
    return dict(re.findall(r"Login \w+:\s+(\w+) / (\S+)", text))


def test_demo_first_run_then_ctrl_c_then_second_run(tmp_path: Path) -> None:
    demo_dir = tmp_path
    port = free_port()
    demo = start_demo(demo_dir, port, "--seed", "7", "--speed", "120")
    try:
        # What was printed is what var/demo.txt keeps for the next time.
        assert demo.output.startswith((demo_dir / "demo.txt").read_text(encoding="utf-8"))
        creds = passwords(demo_dir)
        assert set(creds) == {"supervisor", "admin", "operator"}
        assert re.search(r"curl .*/api/v1/(metrics|status)", demo.output)

        def pushed_services() -> list[dict[str, Any]]:
            items = demo.get("/api/v1/services")
            pushed = [s for s in items if s.get("source") == "push"]
            assert len(pushed) >= 0.8 * len(SERVICES), f"{len(pushed)} pushed so far"
            return pushed

        pushed = eventually(pushed_services)
        assert {s["agency"] for s in pushed} >= {"dishub", "bpbd", "pdam", "dinkes"}

        def kpis_with_values() -> dict[str, Any]:
            data = demo.get("/api/v1/live/kpis")["data"]
            valued = {k: v for k, v in data.items() if v.get("value") is not None}
            assert len(valued) >= 0.8 * len(KPIS), f"{len(valued)} KPIs have values"
            return valued

        valued = eventually(kpis_with_values)
        assert 5 < valued["tma_batanghari"]["value"] < 15

        cameras = demo.get("/api/v1/live/cameras")["data"]
        assert {c.code for c in jambi.CAMERAS} <= set(cameras)

        login = httpx.post(
            demo.url + "/api/v1/auth/login",
            json={"username": "supervisor", "password": creds["supervisor"]},
            timeout=10,
        )
        assert login.status_code == 200
        agencies = demo.get("/api/v1/agencies", login.json()["token"])
        assert len(agencies) == len(jambi.AGENCIES)
    finally:
        code = demo.interrupt()
    assert code == 0

    again = start_demo(demo_dir, port, "--seed", "7", "--speed", "120", "--no-simulate")
    try:
        assert again.kiosk == demo.kiosk
        assert passwords(demo_dir) == creds
        login = httpx.post(
            again.url + "/api/v1/auth/login",
            json={"username": "admin", "password": creds["admin"]},
            timeout=10,
        )
        assert login.status_code == 200
        assert len(again.get("/api/v1/agencies", login.json()["token"])) == len(jambi.AGENCIES)
        # The first run's pushes are still there.
        assert len([s for s in again.get("/api/v1/services") if s.get("source") == "push"]) >= (
            0.8 * len(SERVICES)
        )
    finally:
        assert again.interrupt() == 0
