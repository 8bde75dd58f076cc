"""Time and identifiers, in one place so every table agrees on them."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, truncated to milliseconds (what URLs and databases keep)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(value: datetime) -> datetime:
    """Treat a naive datetime (as SQLite returns it) as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_id(prefix: str) -> str:
    """A short random id such as `clip_4f9c2a1b7d3e`."""
    return f"{prefix}_{secrets.token_hex(6)}"
