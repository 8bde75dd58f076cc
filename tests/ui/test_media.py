"""From an asset to its media: URLs, files, readable errors, and which preview widget it gets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui_editor.core.kinds import MUSIC, NARRATION, VISUAL
from tui_editor.generators.wav import WavError, wav_info
from tui_editor.ui.widgets.audio import AudioPreview
from tui_editor.ui.widgets.image import ImagePreview
from tui_editor.ui.widgets.media import media_preview
from tui_editor.ui.widgets.media_files import (
    asset_url,
    describe_error,
    display_name,
    media_path,
)


def test_urls_key_previews_by_token_and_committed_assets_by_time(tmp_path: Path) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    committed = {"file": "media/narration/n1/a.wav", "updated_at": when}
    assert asset_url(committed) == f"media/narration/n1/a.wav?v={int(when.timestamp() * 1000)}"
    assert asset_url(committed, preview_token=3) == "media/narration/n1/a.wav?preview=3"
    assert asset_url({"file": ""}) == "" and asset_url(None) == ""
    assert media_path(tmp_path, "media/x.wav?preview=3") == tmp_path / "media" / "x.wav"


def test_the_kinds_media_type_picks_the_preview_whatever_the_file_is_called(tmp_path: Path) -> None:
    assert isinstance(
        media_preview({"file": "a.mp3"}, media=NARRATION.media, data_dir=tmp_path), AudioPreview
    )
    assert isinstance(media_preview({"file": "a.wav"}, media=MUSIC.media, data_dir=tmp_path), AudioPreview)
    assert isinstance(media_preview({"file": "a.png"}, media=VISUAL.media, data_dir=tmp_path), ImagePreview)
    assert isinstance(media_preview(None, media=NARRATION.media, data_dir=tmp_path), AudioPreview)


def test_names_and_errors_are_one_printable_line(tmp_path: Path) -> None:
    assert display_name("media/bad\x1b[2Jname\n.png?v=1") == "bad\\x1b[2Jname\\n.png"  # made visible
    assert describe_error(FileNotFoundError(2, "No such file", str(tmp_path / "x"))) == "file not found"
    (tmp_path / "junk.wav").write_bytes(b"not a wav at all")
    with pytest.raises(WavError) as raised:
        wav_info(tmp_path / "junk.wav")
    assert describe_error(raised.value) == "not a RIFF/WAVE file"  # the cause, without the path
    assert describe_error(ValueError("first line\x07\nsecond line")) == "first line\\x07"
