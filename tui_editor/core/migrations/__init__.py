"""Alembic schema migrations, run programmatically on an open connection (see `Store.migrate`)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection

HERE = Path(__file__).parent


def upgrade(conn: Connection, target: str = "head") -> None:
    """Upgrade the schema on `conn` (inside the caller's transaction) to `target`."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = conn
    command.upgrade(config, target)
