"""Private instances of the real services for the test session.

Each starts on a free port in its own temporary folder and is removed afterwards; the
machine's own PostgreSQL cluster and Redis are never touched.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("JCOC_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


def timescaledb_installed() -> bool:
    pg_config = PG_BIN / "pg_config"
    if not pg_config.exists():
        return False
    libdir = subprocess.run(
        [pg_config, "--pkglibdir"], capture_output=True, text=True
    ).stdout.strip()
    return any(Path(libdir).glob("timescaledb-2*.so"))


@dataclass
class PgServer:
    host: str
    port: int
    user: str
    password: str
    datadir: Path

    def url(self, database: str) -> str:
        return (
            f"postgresql+psycopg://{self.user}:{self.password}@{self.host}:{self.port}/{database}"
        )

    def psql_dsn(self, database: str = "postgres") -> str:
        return (
            f"host={self.host} port={self.port} user={self.user} "
            f"password={self.password} dbname={database}"
        )


def _as_postgres_user() -> tuple[list[str], int | None, int | None]:
    """PostgreSQL refuses to run as root: run it as the `postgres` system user then."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root needs the 'postgres' system user") from None
    return [], pw.pw_uid, pw.pw_gid


@contextlib.contextmanager
def postgres(timescale: bool = True) -> Iterator[PgServer]:
    """A private PostgreSQL (with TimescaleDB preloaded) on a free port."""
    tmp = Path(tempfile.mkdtemp(prefix="jcoc-pg-"))
    _, uid, gid = _as_postgres_user()
    datadir = tmp / "data"
    pwfile = tmp / "pw"
    password = "jcoc-test"
    pwfile.write_text(password)
    if uid is not None:
        os.chown(tmp, uid, gid)  # type: ignore[arg-type]
        os.chown(pwfile, uid, gid)  # type: ignore[arg-type]
    tmp.chmod(0o700)

    def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cmd, user=uid, group=gid, check=True, capture_output=True, text=True, **kw
        )  # type: ignore[call-overload]

    run(
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(datadir),
            "-U",
            "jcoc",
            "--pwfile",
            str(pwfile),
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--locale",
            "C.UTF-8",
            "--no-sync",
        ]
    )
    port = free_port()
    opts = [
        "-c",
        f"port={port}",
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        f"unix_socket_directories={tmp}",
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=on",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=300",
        "-c",
        "shared_buffers=128MB",
    ]
    if timescale:
        # No background workers: they would hold connections to template databases.
        opts += [
            "-c",
            "shared_preload_libraries=timescaledb",
            "-c",
            "timescaledb.telemetry_level=off",
            "-c",
            "timescaledb.max_background_workers=0",
        ]
    proc = subprocess.Popen(
        [str(PG_BIN / "postgres"), "-D", str(datadir), *opts],
        user=uid,
        group=gid,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "log", "w"),
    )
    server = PgServer("127.0.0.1", port, "jcoc", password, datadir)
    server.proc = proc  # type: ignore[attr-defined]
    server.start_cmd = [str(PG_BIN / "postgres"), "-D", str(datadir), *opts]  # type: ignore[attr-defined]
    server.uid, server.gid, server.tmp = uid, gid, tmp  # type: ignore[attr-defined]
    try:
        wait_port(port)
        _wait_ready(server)
        yield server
    finally:
        stop_postgres(server)
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_ready(server: PgServer, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(server.psql_dsn(), connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop_postgres(server: PgServer) -> None:
    """Stop the private server (fast shutdown); used by tests that take the database away."""
    proc: subprocess.Popen[bytes] = server.proc  # type: ignore[attr-defined]
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_postgres(server: PgServer) -> None:
    """Start the private server again on the same port and data."""
    server.proc = subprocess.Popen(  # type: ignore[attr-defined]
        server.start_cmd,  # type: ignore[attr-defined]
        user=server.uid,
        group=server.gid,  # type: ignore[attr-defined]
        stdout=subprocess.DEVNULL,
        stderr=open(server.tmp / "log", "a"),  # type: ignore[attr-defined]
    )
    wait_port(server.port)
    _wait_ready(server)


@dataclass
class RedisServer:
    port: int
    proc: subprocess.Popen[bytes]
    cmd: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@contextlib.contextmanager
def redis() -> Iterator[RedisServer]:
    """A private Redis on a free port, no persistence."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not installed (scripts/setup-services.sh installs it)")
    tmp = Path(tempfile.mkdtemp(prefix="jcoc-redis-"))
    port = free_port()
    cmd = (exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
    cmd += ("--dir", str(tmp), "--protected-mode", "yes")
    server = RedisServer(
        port, subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), cmd
    )
    try:
        wait_port(port)
        yield server
    finally:
        stop_redis(server)
        shutil.rmtree(tmp, ignore_errors=True)


def stop_redis(server: RedisServer) -> None:
    """Stop the private Redis (its clients see the connection closed)."""
    if server.proc.poll() is None:
        server.proc.terminate()
        server.proc.wait(10)


def start_redis(server: RedisServer) -> None:
    """Start the private Redis again on the same port (empty: no persistence)."""
    server.proc = subprocess.Popen(server.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(server.port)
