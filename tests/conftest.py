"""Fixtures shared by every test: settings on a temporary data dir, databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PG_URL = os.environ.get("TUI_EDITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SKIP_PG = os.environ.get("TUI_EDITOR_SKIP_PG") == "1"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own config or data, or an API key from the environment."""
    for name in list(os.environ):
        if name.startswith("TUI_EDITOR") and name not in ("TUI_EDITOR_TEST_PG_URL", "TUI_EDITOR_SKIP_PG"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))  # the log file
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)


def _pg_schema_url(schema: str) -> str:
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a fresh schema, dropped afterwards.

    Fails (never skips) when the server is unreachable, unless TUI_EDITOR_SKIP_PG=1 was set on purpose.
    """
    if SKIP_PG:
        pytest.skip("TUI_EDITOR_SKIP_PG=1: PostgreSQL tests turned off on purpose")
    import sqlalchemy as sa

    schema = f"t_{secrets.token_hex(5)}"
    admin = sa.create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://"), connect_args={"connect_timeout": 5}
    )
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at {PG_URL} is unreachable ({str(exc.orig).strip().splitlines()[0]}); "
            "start it or set TUI_EDITOR_SKIP_PG=1 to turn these tests off"
        )
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'tui-editor.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'tui-editor.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def make_settings(data_dir: Path) -> Callable[..., Any]:
    """Settings on the test's data dir; keyword overrides are `section__key=value`."""
    from tui_editor.config import load_settings

    def make(db: str | None = None, **overrides: Any) -> Any:
        environ = {f"TUI_EDITOR__{k.upper()}": str(v) for k, v in overrides.items()}
        return load_settings(
            data_dir=data_dir, db_url=db or f"sqlite:///{data_dir / 'tui-editor.db'}", environ=environ
        )

    return make


def wait_for(
    predicate: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.01, message: str = ""
) -> Any:
    """Poll `predicate` until it returns something truthy, or fail at the deadline (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {message or predicate}")
        time.sleep(interval)
