"""From an asset to its media file: the cache key (URL), the path on disk, and what to say about it.

An asset's media is keyed by the URL `core.urls.build_asset_url` returns: a preview by the run's
`preview_token`, a committed asset by its `updated_at`. Decoded images and waveforms are cached by that
URL, so a new preview or a newly accepted asset is read again and nothing else is.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...core.paths import data_file
from ...core.safe_text import visible
from ...core.urls import build_asset_url, strip_cache_buster


def asset_url(asset: Mapping[str, Any] | None, *, preview_token: int | None = None) -> str:
    """The cache key of an asset's media: a preview by its token, a committed asset by `updated_at`."""
    if not asset or not asset.get("file"):
        return ""
    if preview_token is not None:
        return build_asset_url(str(asset["file"]), preview_token=preview_token)
    return build_asset_url(str(asset["file"]), updated_at=asset.get("updated_at"))


def media_path(data_dir: Path, url: str) -> Path:
    """The file a media URL names, under the data directory.

    Raises `core.paths.UnsafePathError` when the stored name would leave the data directory (`..`, an
    absolute path, a symlink out): media is only ever read from inside it.
    """
    return data_file(Path(data_dir), strip_cache_buster(url), "media file")


def printable(text: str) -> str:
    """`text` fit for one line of the screen: control characters (from hostile file names) made visible."""
    return visible(text)


def display_name(url: str) -> str:
    """The file name a media URL names, printable."""
    return printable(Path(strip_cache_buster(url)).name)


def describe_error(exc: BaseException) -> str:
    """One readable line for why a media file could not be read (no paths, no tracebacks)."""
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, IsADirectoryError):
        return "a folder, not a file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError) and exc.strerror:
        return printable(exc.strerror)
    cause = exc.__cause__
    if cause is not None and cause is not exc:
        return describe_error(cause)
    lines = str(exc).strip().splitlines()
    return printable(lines[0]) if lines else type(exc).__name__
