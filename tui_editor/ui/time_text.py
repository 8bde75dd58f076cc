"""Times as the editor writes them: a position on the timeline (`1:05.3`) and a clip's length (`10.0s`)."""

from __future__ import annotations


def format_start(seconds: float) -> str:
    """A position (or an audio file's length read as one): `m:ss.s`, or `h:mm:ss` from an hour on."""
    seconds = max(0.0, seconds)
    if seconds >= 3600:
        whole = int(seconds)
        return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def format_duration(seconds: float) -> str:
    """A clip's length in a column: `2.5s`, or `12m05s` from ten minutes on."""
    if seconds < 600:
        return f"{seconds:.1f}s"
    whole = int(round(seconds))
    return f"{whole // 60}m{whole % 60:02d}s"
