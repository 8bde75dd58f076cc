"""Images: half-block rendering, and `ImagePreview` decoding in a worker behind a placeholder."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.ui.conftest import wait_until
from tests.ui.media_support import FifoGate, OneWidget
from tui_editor.ui.widgets.halfblock import HalfBlockImage
from tui_editor.ui.widgets.image import IMAGE_CACHE, LOADING_IMAGE, ImagePreview
from tui_editor.ui.widgets.media_files import asset_url
from tui_editor.ui.widgets.terminal_graphics import textual_image_usable


def captions(preview: ImagePreview) -> list[str]:
    return [str(caption.render()) for caption in preview.query(".media-caption")]


def png_bytes(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


async def test_half_block_image_draws_two_pixels_per_cell() -> None:
    image = Image.new("RGB", (4, 2))
    for x in range(4):
        image.putpixel((x, 0), (255, 0, 0))
        image.putpixel((x, 1), (0, 0, 255))
    widget = HalfBlockImage(image)
    widget.styles.width = 4
    widget.styles.height = 1
    async with OneWidget(widget).run_test(size=(10, 3)) as pilot:
        await pilot.pause()
        strip = widget.render_line(0)
        assert strip.text == "▀▀▀▀"
        segment = next(iter(strip))
        assert segment.style is not None
        assert segment.style.color is not None and segment.style.color.triplet == (255, 0, 0)
        assert segment.style.bgcolor is not None and segment.style.bgcolor.triplet == (0, 0, 255)


async def test_image_preview_per_protocol(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    Image.new("RGB", (32, 18), (10, 200, 10)).save(tmp_path / "img" / "a.png")
    asset = {"file": "img/a.png", "width": 32, "height": 18, "updated_at": "2026-01-01T00:00:00+00:00"}
    off = ImagePreview(asset, data_dir=tmp_path, protocol="none")
    assert off.loaded  # nothing to read
    async with OneWidget(off).run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        assert captions(off) == ["32×18 · a.png"]
        assert not off.query(HalfBlockImage)
    half = ImagePreview(asset, data_dir=tmp_path, protocol="halfblock")
    async with OneWidget(half).run_test(size=(40, 10)) as pilot:
        await wait_until(pilot, lambda: half.loaded, what="the image")
        await pilot.pause()
        assert captions(half) == ["32×18 · a.png"]  # the placeholder is gone
        assert half.query_one(HalfBlockImage).render_line(0).text.strip("▀ ") == ""
        assert asset_url(asset) in IMAGE_CACHE


async def test_the_image_is_decoded_in_a_worker_behind_a_placeholder(tmp_path: Path) -> None:
    gate = FifoGate(tmp_path / "img" / "slow.png")
    preview = ImagePreview({"file": "img/slow.png"}, data_dir=tmp_path, protocol="halfblock", preview_token=7)
    try:
        async with OneWidget(preview).run_test(size=(40, 10)) as pilot:
            await pilot.pause()
            # the worker waits on the pipe; the UI thread does not, so the placeholder is on screen
            assert captions(preview) == ["slow.png", LOADING_IMAGE]
            assert not preview.loaded and not preview.query(HalfBlockImage)
            gate.release(png_bytes((8, 4), (250, 0, 0)))
            await wait_until(pilot, lambda: preview.loaded, what="the decoded image")
            await pilot.pause()
            assert captions(preview) == ["slow.png"]
            strip = preview.query_one(HalfBlockImage).render_line(0)
            segment = next(segment for segment in strip if segment.text == "▀")
            assert segment.style is not None and segment.style.color is not None
            assert segment.style.color.triplet == (250, 0, 0)
    finally:
        gate.close()
    # reopened: the decoded image comes from the cache at once, without a placeholder or a read
    again = ImagePreview({"file": "img/slow.png"}, data_dir=tmp_path, protocol="halfblock", preview_token=7)
    assert again.loaded
    async with OneWidget(again).run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        assert captions(again) == ["slow.png"] and again.query(HalfBlockImage)


@pytest.mark.parametrize(
    ("file", "name", "reason"),
    [
        ("none.png", "none.png", "file not found"),
        ("broken\x1b[31m.png", "broken\\x1b[31m.png", "not an image Pillow can read"),
        ("folder.png", "folder.png", "a folder, not a file"),
    ],
)
async def test_missing_or_corrupt_images_show_one_readable_line(
    tmp_path: Path, file: str, name: str, reason: str
) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "broken\x1b[31m.png").write_bytes(b"\x89PNG\r\n\x1a\n but not really")
    (tmp_path / "img" / "folder.png").mkdir()
    preview = ImagePreview({"file": f"img/{file}"}, data_dir=tmp_path, protocol="halfblock")
    async with OneWidget(preview).run_test(size=(100, 10)) as pilot:
        await wait_until(pilot, lambda: preview.loaded, what="the error")
        await pilot.pause()
        assert captions(preview) == [name, f"(cannot show image: {reason})"]
        assert not preview.query(HalfBlockImage)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside textual-image (Pillow 14 notice)
async def test_image_preview_through_textual_image(tmp_path: Path) -> None:
    if not textual_image_usable():
        pytest.skip("stdout is a terminal: textual-image would probe it")
    import textual_image.widget as ti

    (tmp_path / "img").mkdir()
    Image.new("RGB", (64, 32), (200, 10, 10)).save(tmp_path / "img" / "a.png")
    preview = ImagePreview({"file": "img/a.png"}, data_dir=tmp_path, protocol="auto")
    async with OneWidget(preview).run_test(size=(60, 12)) as pilot:
        await wait_until(pilot, lambda: preview.loaded, what="the image")
        await pilot.pause()
        picture = preview.query_one(".media-picture")
        assert isinstance(picture, ti.Image)
        assert picture.size.height == 8 and 0 < picture.size.width < 60  # aspect kept, not stretched
