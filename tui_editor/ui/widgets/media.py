"""`media_preview`: the widget that shows an asset's media — a waveform for audio, a picture for images.

The parts live in their own modules: `media_files` (asset → URL → file), `image` and `halfblock`
(pictures), `terminal_graphics` (which protocol draws them), `audio` (facts and waveforms) and
`player` (the external audio player).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from textual.widget import Widget

from ...core.kinds import MediaType
from .audio import AudioPreview
from .image import ImagePreview


def media_preview(
    asset: Mapping[str, Any] | None,
    *,
    media: MediaType,
    data_dir: Path,
    protocol: str = "auto",
    preview_token: int | None = None,
    id: str | None = None,  # noqa: A002
) -> Widget:
    """The media widget for an asset whose kind's files are `media` (the kind decides, not the file name)."""
    if media.is_audio:
        return AudioPreview(asset, data_dir=data_dir, preview_token=preview_token, id=id)
    return ImagePreview(asset, data_dir=data_dir, protocol=protocol, preview_token=preview_token, id=id)


def media_loaded(root: Widget) -> bool:
    """True when every media preview under `root` shows its content or its error (nothing is loading)."""
    return all(preview.loaded for preview in root.query(ImagePreview)) and all(
        preview.loaded for preview in root.query(AudioPreview)
    )
