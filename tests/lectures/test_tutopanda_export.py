"""`export --format tutopanda --with-media`: committed files are copied beside the output and named in
the clips; a stored path leaving the data dir is never read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_editor.core.store import open_store
from tui_editor.lectures.tutopanda_export import export_with_media


def _lecture(visual_file: str, narration_file: str) -> dict[str, Any]:
    return {
        "id": "lec",
        "title": "Files",
        "assets": {
            "visual": [
                {
                    "id": "v",
                    "prompt": "p",
                    "model": "local/pillow",
                    "aspect_ratio": "16:9",
                    "file": visual_file,
                }
            ],
            "narration": [
                {"id": "n", "script": "s", "model": "local/espeak", "duration_s": 1.0, "file": narration_file}
            ],
            "music": [],
        },
        "clips": [
            {"id": "c1", "track": "visual", "name": "A", "start": 0.0, "duration": 1.0, "asset_id": "v"},
            {"id": "c2", "track": "visual", "name": "B", "start": 1.0, "duration": 1.0, "asset_id": "v"},
            {"id": "c3", "track": "voice", "name": "C", "start": 0.0, "duration": 1.0, "asset_id": "n"},
        ],
    }


def test_media_inside_the_data_dir_is_copied_once_and_a_path_outside_never_read(
    make_settings: Callable[..., Any], tmp_path: Path, data_dir: Path
) -> None:
    (data_dir / "media").mkdir()
    (data_dir / "media" / "pic.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "secret.wav").write_bytes(b"RIFF secret")
    settings = make_settings()
    store = open_store(settings.database_url)
    lecture_id = store.create_lecture(_lecture("media/pic.png", "../secret.wav"), keep_ids=False)
    output = tmp_path / "out" / "lecture.json"
    output.parent.mkdir()
    document, copied = export_with_media(store.load_snapshot(lecture_id), data_dir, output)
    assert copied == 1
    visual = document["tracks"]["visual"]
    assert {c["imageUrl"] for c in visual} == {f"lecture-media/{visual[0]['imageAssetId']}.png"}
    assert (output.parent / visual[0]["imageUrl"]).read_bytes() == b"\x89PNG fake"
    assert "audioUrl" not in document["tracks"]["voice"][0]
    assert [p.name for p in (output.parent / "lecture-media").iterdir()] == [
        f"{visual[0]['imageAssetId']}.png"
    ]
