"""Import is total: every document derived from a real export imports, or is refused as bad input.

Hypothesis mutates a real export (set any node to any JSON value, hostile text or an extreme number;
drop any key) and checks: validation either raises `BadInputError` (exit 2, one line) or the lecture
imports, and then exports and re-imports equal. Also the traversal rules for `file` fields and each
example of issue 13 (a missing field on one asset, a date in year 1, a lone surrogate, a 400-digit
integer, `../../etc/passwd`, an absolute path, a symlink out).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import lecture_doc
from tests.hostile import mutated_document, traversal_paths
from tui_editor.core.errors import BadInputError
from tui_editor.core.exchange import read_lecture_file, validate_lecture
from tui_editor.core.store import Store, open_store

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_STORES: dict[str, tuple[Store, dict[str, Any]]] = {}


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    for store, _doc in _STORES.values():
        store.close()
    _STORES.clear()


def _store_and_export(tmp_path: Path, url: str | None = None) -> tuple[Store, dict[str, Any]]:
    """A store (SQLite unless `url`) holding one imported lecture, and that lecture's real export
    (shared by the examples of one test)."""
    key = url or str(tmp_path)
    if key not in _STORES:
        for store, _doc in _STORES.values():
            store.close()
        _STORES.clear()
        store = open_store(url or f"sqlite:///{tmp_path / 'fuzz.db'}")
        lecture_id = store.create_lecture(validate_lecture(lecture_doc()))
        _STORES[key] = (store, store.export_lecture(lecture_id))
    return _STORES[key]


def _normalised(export: dict[str, Any]) -> dict[str, Any]:
    """An export without what an import renews: lecture id/time, asset and clip ids."""
    text = json.dumps({k: v for k, v in export.items() if k not in ("id", "updated_at")})
    for asset_list in ("visuals", "narration", "music"):
        for index, asset in enumerate(export[asset_list]):
            text = text.replace(asset["id"], f"{asset_list}#{index}")
    for track, clips in export["timeline"].items():
        for index, clip in enumerate(clips):
            text = text.replace(clip["id"], f"{track}#{index}")
    result: dict[str, Any] = json.loads(text)
    return result


def _import_export_roundtrip(store: Store, doc: Any) -> None:
    try:
        lecture = validate_lecture(doc)
    except BadInputError as exc:
        assert exc.exit_code == 2
        assert exc.message.strip()
        return
    first = store.export_lecture(store.create_lecture(lecture))
    again = store.export_lecture(store.create_lecture(validate_lecture(json.loads(json.dumps(first)))))
    assert _normalised(again) == _normalised(first)


@FUZZ
@given(data=st.data())
def test_fuzzed_exports_import_or_are_refused(tmp_path: Path, data: st.DataObject) -> None:
    store, base = _store_and_export(tmp_path)
    _import_export_roundtrip(store, data.draw(mutated_document(base)))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzzed_exports_import_or_are_refused_on_postgres(pg_url: str, data: st.DataObject) -> None:
    store, base = _store_and_export(Path("."), pg_url)
    _import_export_roundtrip(store, data.draw(mutated_document(base)))


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: d["visuals"][0].pop("prompt"), id="missing-prompt"),
        pytest.param(lambda d: d["narration"][1].pop("script"), id="missing-script"),
        pytest.param(lambda d: d["visuals"][0].pop("model"), id="missing-model"),
        pytest.param(lambda d: d["visuals"][0].update(updated_at="0001-01-01T00:00:00"), id="year-1"),
        pytest.param(
            lambda d: d["visuals"][0].update(updated_at="0001-01-01T00:00:00+05:00"), id="year-1-tz"
        ),
        pytest.param(lambda d: d.update(title="Lone \ud800 surrogate"), id="lone-surrogate"),
        pytest.param(lambda d: d["timeline"]["voice"][0].update(name="\udfff"), id="surrogate-name"),
        pytest.param(lambda d: d["timeline"]["visual"][0].update(start=10**400), id="400-digit-start"),
        pytest.param(lambda d: d["music"][0].update(duration_s=10**400), id="400-digit-float-field"),
        pytest.param(lambda d: d["visuals"][0].update(width=10**400), id="400-digit-int-field"),
        pytest.param(lambda d: d["visuals"][0].update(prompt="nul\x00byte"), id="nul-character"),
        pytest.param(lambda d: d["visuals"][0].update(file="../../etc/passwd"), id="dotdot-file"),
        pytest.param(lambda d: d["visuals"][0].update(file="/etc/passwd"), id="absolute-file"),
    ],
)
def test_issue_examples_are_bad_input(tmp_path: Path, mutate: Any) -> None:
    doc = lecture_doc()
    mutate(doc)
    path = tmp_path / "lecture.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(BadInputError) as caught:
        read_lecture_file(path, data_dir=tmp_path)
    message = caught.value.message
    assert "\n" not in message and message.isprintable(), message


@settings(max_examples=100)
@given(traversal_paths())
def test_file_fields_that_leave_the_data_dir_are_refused(file: str) -> None:
    doc = lecture_doc()
    doc["narration"][0]["file"] = file
    with pytest.raises(BadInputError) as caught:
        validate_lecture(doc)
    assert caught.value.message.startswith("narration[0].file: ")


def test_symlink_out_of_the_data_dir_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "media").mkdir(parents=True)
    (tmp_path / "secret.png").write_bytes(b"\x89PNG")
    (data_dir / "media" / "leak.png").symlink_to(tmp_path / "secret.png")
    doc = lecture_doc()
    doc["visuals"][0]["file"] = "media/leak.png"
    with pytest.raises(BadInputError, match="leads out of the data directory"):
        validate_lecture(doc, data_dir=data_dir)
    validate_lecture(doc)  # without a data dir only the name is checked (it is fine)


def test_deeply_nested_document_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(BadInputError) as caught:
        read_lecture_file(path)
    assert "\n" not in caught.value.message


def test_an_endless_file_is_refused_not_read_forever() -> None:
    with pytest.raises(BadInputError, match="larger than 256 MB"):
        read_lecture_file("/dev/zero")
