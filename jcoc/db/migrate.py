"""Running Alembic migrations from code (CLI, tests, the demo)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from jcoc.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(settings: Settings) -> Config:
    """An Alembic config for this checkout, bound to `settings`' database."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["settings"] = settings
    cfg.attributes["skip_logging"] = True
    return cfg


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database schema up to `revision` (synchronous; call off the event loop)."""
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str) -> None:
    """Take the schema down to `revision`."""
    command.downgrade(alembic_config(settings), revision)
