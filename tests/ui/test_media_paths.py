"""The review reads media only from inside the data dir (issue 13): an asset `file` of `../../etc/passwd`,
an absolute path or a symlink out is refused with one line, and nothing is read or shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.ui.conftest import wait_until
from tests.ui.media_support import OneWidget
from tui_editor.ui.widgets.audio import AudioPreview, WaveformView
from tui_editor.ui.widgets.halfblock import HalfBlockImage
from tui_editor.ui.widgets.image import ImagePreview


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data dir with an image outside it, reachable by `..`, by absolute path and by a symlink."""
    root = tmp_path / "data"
    (root / "media").mkdir(parents=True)
    Image.new("RGB", (8, 8), (255, 0, 0)).save(tmp_path / "outside.png")
    (root / "media" / "link.png").symlink_to(tmp_path / "outside.png")
    (tmp_path / "outside.wav").write_bytes(b"RIFF")
    (root / "media" / "link.wav").symlink_to(tmp_path / "outside.wav")
    return root


def _files(data_dir: Path) -> list[str]:
    return [
        "../outside.png",
        "media/../../outside.png",
        str(data_dir.parent / "outside.png"),
        "media/link.png",
    ]


@pytest.mark.parametrize("index", range(4))
async def test_images_outside_the_data_dir_are_not_shown(data_dir: Path, index: int) -> None:
    file = _files(data_dir)[index]
    preview = ImagePreview({"file": file}, data_dir=data_dir, protocol="halfblock")
    async with OneWidget(preview).run_test(size=(100, 10)) as pilot:
        await wait_until(pilot, lambda: preview.loaded, what="the refusal")
        await pilot.pause()
        caption = str(preview.query(".media-caption").last().render())
        assert caption.startswith("(cannot show image: refusing media file")
        assert not preview.query(HalfBlockImage)


@pytest.mark.parametrize("index", range(4))
async def test_audio_outside_the_data_dir_is_not_read(data_dir: Path, index: int) -> None:
    file = _files(data_dir)[index].replace(".png", ".wav")
    preview = AudioPreview({"file": file}, data_dir=data_dir)
    async with OneWidget(preview).run_test(size=(100, 6)) as pilot:
        await wait_until(pilot, lambda: preview.loaded, what="the refusal")
        caption = str(preview.query(".media-caption").first().render())
        assert caption.startswith("(cannot read audio: refusing media file"), caption
        assert not preview.query(WaveformView)
