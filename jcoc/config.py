"""Settings from `JCOC_*` environment variables and an optional `.env` file.

Every field documents itself; `docs/configuration.md` is generated from these
descriptions (`jcoc config docs`). Unknown `JCOC_*` variables and invalid values
stop the process at start with a message naming the variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "JCOC_"
DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - refused outside development


class Environment(StrEnum):
    development = "development"
    production = "production"
    test = "test"


class TimescaleMode(StrEnum):
    auto = "auto"
    on = "on"
    off = "off"


class ConfigError(RuntimeError):
    """Raised when the configuration cannot be used; the message says which variable."""


class Settings(BaseSettings):
    """All JCOC settings. Each field is the env var `JCOC_<NAME>`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        case_sensitive=False,
    )

    env: Environment = Field(
        Environment.development,
        description="development, production or test. Production refuses the default secret.",
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///./var/jcoc.db",
        description=(
            "SQLAlchemy async URL. SQLite (`sqlite+aiosqlite:///path`) for the demo; "
            "`postgresql+psycopg://user:pass@host:5432/jcoc` for TimescaleDB/PostgreSQL."
        ),
    )
    timescale: TimescaleMode = Field(
        TimescaleMode.auto,
        description=(
            "Use TimescaleDB hypertables: auto (when the extension is available), "
            "on (fail if it is not), off (plain PostgreSQL tables)."
        ),
    )
    redis_url: str | None = Field(
        None,
        description=(
            "Redis URL (`redis://host:6379/0`). When set, the bus is Redis pub/sub so several "
            "processes share one live picture; unset means an in-process bus."
        ),
    )
    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port the HTTP server listens on.")
    timezone: str = Field("Asia/Jakarta", description="Time zone shown in the UI (WIB).")
    secret_key: str = Field(
        DEV_SECRET,
        min_length=16,
        description="Secret for signing webhooks and tokens. Must be set outside development.",
    )
    data_dir: Path = Field(Path("var"), description="Folder for the SQLite file, demo notes.")
    retention_days: int = Field(
        90,
        ge=1,
        description=(
            "Time-series rows (status, KPI, camera metrics, incident timeline) older than this "
            "are dropped."
        ),
    )
    retention_interval_seconds: float = Field(
        3600.0,
        gt=0,
        description="How often the leader process applies the retention (also once at start).",
    )
    leader_retry_seconds: float = Field(
        5.0,
        gt=0,
        description=(
            "How often a follower process tries to become the leader that runs the singleton "
            "jobs (probes, incident engine, webhooks, retention) and the leader checks it "
            "still is."
        ),
    )
    chunk_interval_hours: int = Field(
        24, ge=1, le=24 * 30, description="TimescaleDB chunk interval for the time-series tables."
    )
    session_hours: int = Field(
        12, ge=1, description="How long a user's login stays valid (a shift)."
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description=(
            "Extra Origins allowed to open the websocket (JSON list). The server's own origin "
            "is always allowed."
        ),
    )
    max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body accepted on push endpoints (413 beyond).",
    )
    max_events_per_request: int = Field(
        1000, ge=1, description="Most events/samples accepted in one push request (422 beyond)."
    )
    rate_limit_per_minute: int = Field(
        6000, ge=1, description="Requests per minute allowed per API key (429 beyond)."
    )
    future_tolerance_seconds: int = Field(
        300, ge=0, description="How far in the future a pushed timestamp may be (clock skew)."
    )
    auth_cache_seconds: float = Field(
        10.0,
        ge=0,
        description=(
            "How long a valid API key stays cached in the process (0: look it up on every "
            "request). A revocation is seen at once by the process that made it, by others "
            "within this time."
        ),
    )
    log_level: str = Field("INFO", description="Python logging level.")
    cameras_enabled: bool = Field(
        True, description="Pull and analyse cameras in the server (`jcoc serve`)."
    )
    camera_offline_after_s: float = Field(
        10.0, gt=0, description="A camera with no frame for this long is offline."
    )
    camera_persist_samples: int = Field(
        5, ge=1, description="Consecutive samples a camera fault must show before it is raised."
    )
    camera_snapshot_max_age_s: float = Field(
        5.0, gt=0, description="Oldest frame served as live (older: 503, never a stale picture)."
    )
    camera_viewer_max_fps: float = Field(
        5.0, gt=0, le=30, description="Frame-rate cap of live.mjpg for viewers."
    )
    incident_tick_seconds: float = Field(
        15.0,
        gt=0,
        description=(
            "How often the incident engine checks silent services, camera faults and SLA "
            "clocks (escalations, reminders)."
        ),
    )
    camera_incident_grace_seconds: int = Field(
        300,
        ge=0,
        description="How long a camera may be offline/covered/moved … before an incident opens.",
    )
    webhook_poll_seconds: float = Field(
        2.0, gt=0, description="How often queued webhook deliveries are looked for."
    )
    webhook_backoff_seconds: float = Field(
        5.0, gt=0, description="First retry delay of a failed webhook; doubles each attempt."
    )
    webhook_max_attempts: int = Field(
        10, ge=1, description="Attempts before a webhook delivery is given up."
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, description="How long a webhook receiver may take to answer."
    )
    hub_heartbeat_s: float = Field(
        15.0,
        gt=0,
        description=(
            "Seconds between websocket heartbeats; a client silent for 3 heartbeats is closed."
        ),
    )
    hub_tick_s: float = Field(
        2.0,
        gt=0,
        le=60,
        description="How often the hub re-evaluates staleness and SLA clocks without new data.",
    )
    hub_client_queue: int = Field(
        1000,
        ge=10,
        description=(
            "Most pending updates per websocket client; beyond it pending updates are dropped "
            "and the client gets a fresh snapshot."
        ),
    )
    hub_replay_buffer: int = Field(
        10_000, ge=100, description="Updates the hub keeps for clients resuming after a reconnect."
    )

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # Accept the common form and use psycopg 3.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        if not (
            value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+psycopg://")
        ):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+psycopg:// (or postgresql://)"
            )
        return value

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env == Environment.production and self.secret_key == DEV_SECRET:
            raise ValueError("JCOC_SECRET_KEY must be set to a random value in production")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def chunk_interval(self) -> timedelta:
        return timedelta(hours=self.chunk_interval_hours)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sync_database_url(self) -> str:
        """The same database through a synchronous driver (for tools that need one)."""
        if self.is_sqlite:
            return self.database_url.replace("sqlite+aiosqlite", "sqlite", 1)
        return self.database_url


# Read by the CLI itself, not settings (e.g. a new user's password for scripted installs).
CLI_ONLY_VARS = {"JCOC_NEW_PASSWORD"}


def _check_unknown_env(environ: dict[str, str]) -> None:
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields} | CLI_ONLY_VARS
    unknown = sorted(
        k for k in environ if k.upper().startswith(ENV_PREFIX) and k.upper() not in known
    )
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(unknown)}; "
            f"known settings are {', '.join(sorted(known))}"
        )


def load_settings(**overrides: Any) -> Settings:
    """Read and validate settings, raising ConfigError with a readable message."""
    _check_unknown_env(dict(os.environ))
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "settings"
            name = ENV_PREFIX + loc.upper() if loc != "settings" else "settings"
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()
