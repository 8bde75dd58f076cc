"""The stdlib first look at a lecture (`core.quick_read`) reads what the store reads, or nothing."""

from __future__ import annotations

from pathlib import Path

from tests.factories import lecture_doc, seeded_store
from tui_editor.core.quick_read import peek_lecture, sqlite_path


def test_the_first_look_equals_the_stores_snapshot(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'db.sqlite'}"
    store, lecture_id = seeded_store(url, tmp_path / "data")
    try:
        expected = store.load_snapshot(lecture_id)
        assert peek_lecture(url) == expected  # the only lecture
        assert peek_lecture(url, lecture_id) == expected
        assert peek_lecture(url, expected.title) == expected
        assert peek_lecture(url, "no such lecture") is None
        assert peek_lecture(url, max_clips=len(expected.clips) - 1) is None  # too big to be quick
        from tui_editor.core.exchange import validate_lecture

        store.create_lecture(validate_lecture(lecture_doc(title="Second")))
        assert peek_lecture(url) is None  # two lectures: the editor must ask, not guess
        assert peek_lecture(url, lecture_id) == expected
    finally:
        store.close()


def test_anything_unexpected_is_no_first_look_and_writes_nothing(tmp_path: Path) -> None:
    assert peek_lecture("postgresql://localhost/x") is None
    assert peek_lecture(f"sqlite:///{tmp_path / 'missing.db'}") is None
    assert not (tmp_path / "missing.db").exists()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 10)
    assert peek_lecture(f"sqlite:///{junk}") is None
    assert junk.read_bytes() == b"not a database at all" * 10
    assert sqlite_path("sqlite:///:memory:") is None and sqlite_path("sqlite:///file:x?mode=ro") is None
