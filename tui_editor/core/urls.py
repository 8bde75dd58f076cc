"""Cache-busting asset URLs: one helper for every image and audio consumer.

While a preview is under review its URL carries the run's preview token (`preview=<token>`), which only
grows, so each new preview is a new URL. Once committed, the asset's own `updated_at` (epoch
milliseconds) is used (`v=<ms>`), so an accept re-fetches that one asset and nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote


def _epoch_ms(value: datetime | int | float | str) -> int:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(round(aware.timestamp() * 1000))
    if isinstance(value, str):
        return _epoch_ms(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return int(value)


def build_asset_url(
    base_url: str,
    updated_at: datetime | int | float | str | None = None,
    preview_token: int | str | None = None,
) -> str:
    """Return `base_url` with a cache-busting parameter.

    - `""` for an empty base;
    - a `preview_token` that is not None wins, as `preview=<token>`;
    - else `updated_at` (a datetime, ISO string or epoch ms) as `v=<epoch milliseconds>`;
    - else the base unchanged.
    An existing query is kept (joined with `&`), a fragment stays at the end; works for plain file
    paths and http(s) URLs alike.
    """
    if not base_url:
        return ""
    if preview_token is not None:
        param = f"preview={quote(str(preview_token), safe='')}"
    elif updated_at is not None:
        param = f"v={_epoch_ms(updated_at)}"
    else:
        return base_url
    head, hash_mark, fragment = base_url.partition("#")
    if "?" in head:
        separator = "" if head.endswith(("?", "&")) else "&"
    else:
        separator = "?"
    return f"{head}{separator}{param}{hash_mark}{fragment}"


def strip_cache_buster(url: str) -> str:
    """The path or URL without its query and fragment (what a file consumer opens)."""
    return url.split("#", 1)[0].split("?", 1)[0]
