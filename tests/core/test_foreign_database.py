"""Another application's database, or a corrupt file, is refused and left byte for byte as it was; a
current database of ours opens read-only without writing anything (issue 13, item 3)."""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_editor.core import models as m
from tui_editor.core.errors import BadInputError, StoreError
from tui_editor.core.store import ForeignDatabase, known_schema_versions, open_store

IDENTIFIER = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True).filter(
    lambda n: not n.startswith("sqlite_")
)


def _digest(folder: Path) -> dict[str, str]:
    """Each database file's hash. A WAL database's -shm/-wal files, which any reader (the other
    application too) makes next to it, are left out when empty of changes."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if not p.name.endswith("-shm") and not (p.name.endswith("-wal") and p.stat().st_size == 0)
    }


def _foreign_file(path: Path, tables: list[str], version: str | None, wal: bool) -> None:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    for name in tables:
        conn.execute(f'CREATE TABLE "{name}" (id INTEGER PRIMARY KEY, value TEXT)')
        conn.execute(f'INSERT INTO "{name}" (value) VALUES (?)', ("keep me",))
    if version is not None:
        conn.execute("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (version,))
    conn.commit()
    conn.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables=st.lists(IDENTIFIER, min_size=1, max_size=6, unique=True).filter(
        lambda t: "alembic_version" not in t
    ),
    version=st.none() | st.text(min_size=1, max_size=32).filter(lambda v: v not in known_schema_versions()),
    wal=st.booleans(),
    readonly=st.booleans(),
)
def test_another_applications_sqlite_file_is_refused_untouched(
    tables: list[str], version: str | None, wal: bool, readonly: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "their.db"
        _foreign_file(path, tables, version, wal)
        before = _digest(Path(folder))
        with pytest.raises(ForeignDatabase) as caught:
            open_store(f"sqlite:///{path}", readonly=readonly)
        assert isinstance(caught.value, BadInputError)  # exit 2: the user pointed at the wrong file
        assert "\n" not in caught.value.message and "untouched" in caught.value.message
        assert _digest(Path(folder)) == before
        mode = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True).execute("PRAGMA journal_mode")
        assert mode.fetchone()[0] == ("wal" if wal else "delete")


@settings(max_examples=40, deadline=None)
@given(garbage=st.binary(min_size=1, max_size=4096))
def test_a_corrupt_file_is_one_error_and_left_as_it_was(garbage: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "broken.db"
        path.write_bytes(garbage)
        try:
            store = open_store(f"sqlite:///{path}")
        except (StoreError, BadInputError) as exc:
            assert "\n" not in exc.message
            assert path.read_bytes() == garbage
        else:  # pragma: no cover - random bytes that SQLite takes for an empty database
            store.close()


def test_a_foreign_postgres_schema_is_refused(pg_url: str) -> None:
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE invoices (id integer primary key)"))
    engine.dispose()
    with pytest.raises(ForeignDatabase):
        open_store(pg_url)
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["invoices"]
    engine.dispose()


def test_a_current_database_opens_read_only_without_writing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ours.db'}"
    open_store(url).close()
    before = _digest(tmp_path)
    store = open_store(url, readonly=True)
    try:
        assert store.readonly and store.schema_version() == m.SCHEMA_HEAD
        assert store.list_lectures() == []
        with pytest.raises(StoreError):
            store.beat("p")
    finally:
        store.close()
    assert _digest(tmp_path) == before


def test_a_read_only_open_of_a_missing_database_creates_it_as_usual(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'new' / 'fresh.db'}", readonly=True)
    try:
        assert store.schema_version() == m.SCHEMA_HEAD
    finally:
        store.close()
