from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_editor.core.urls import build_asset_url, strip_cache_buster

WHEN = datetime(2026, 11, 25, 12, 0, 0, 123000, tzinfo=UTC)
MS = 1795608000123


def test_empty_base_is_empty() -> None:
    assert build_asset_url("", WHEN, 3) == ""


def test_updated_at_as_epoch_milliseconds() -> None:
    assert build_asset_url("media/a.png", WHEN) == f"media/a.png?v={MS}"


def test_naive_and_offset_times_mean_the_same_instant() -> None:
    naive = WHEN.replace(tzinfo=None)
    offset = WHEN.astimezone(timezone(timedelta(hours=5)))
    assert build_asset_url("a.wav", naive) == build_asset_url("a.wav", offset) == f"a.wav?v={MS}"
    assert build_asset_url("a.wav", WHEN.isoformat()) == f"a.wav?v={MS}"


def test_preview_token_wins_even_when_zero() -> None:
    assert build_asset_url("a.png", WHEN, 0) == "a.png?preview=0"
    assert build_asset_url("a.png", WHEN, 7) == "a.png?preview=7"


def test_no_version_leaves_the_base() -> None:
    assert build_asset_url("https://cdn.example/a.png") == "https://cdn.example/a.png"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://cdn.example/a.png?size=2", f"https://cdn.example/a.png?size=2&v={MS}"),
        ("https://cdn.example/a.png?", f"https://cdn.example/a.png?v={MS}"),
        ("https://cdn.example/a.png?x=1&", f"https://cdn.example/a.png?x=1&v={MS}"),
        ("https://cdn.example/a.png#t=3", f"https://cdn.example/a.png?v={MS}#t=3"),
        ("https://cdn.example/a.png?x=1#frag", f"https://cdn.example/a.png?x=1&v={MS}#frag"),
        ("/data/media/vis_1/run.png", f"/data/media/vis_1/run.png?v={MS}"),
    ],
)
def test_joins_queries_and_keeps_fragments(base: str, expected: str) -> None:
    assert build_asset_url(base, WHEN) == expected


def test_tokens_are_url_safe() -> None:
    assert build_asset_url("a.png", preview_token="a b&c") == "a.png?preview=a%20b%26c"


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_distinct_tokens_give_distinct_urls(a: int, b: int) -> None:
    assert (build_asset_url("a.png", WHEN, a) == build_asset_url("a.png", WHEN, b)) == (a == b)


def test_strip_cache_buster() -> None:
    assert strip_cache_buster(build_asset_url("media/a.png#x", WHEN, 4)) == "media/a.png"
