"""Immutable snapshots of a lecture: what the provider holds and every screen reads.

An asset is a read-only mapping with exactly the saved shape: `id`, the kind's fields and `updated_at`
(an aware datetime). The same shape comes from the database, from a preview and from an optimistic
update, so nothing downstream needs to know where a value came from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any

from .clock import as_utc
from .kinds import KIND_NAMES, TRACK_NAMES, AssetKind, kind_for_track

Asset = Mapping[str, Any]
_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})


def freeze_asset(data: Mapping[str, Any]) -> Asset:
    return MappingProxyType(dict(data))


@dataclass(frozen=True, slots=True)
class ClipView:
    id: str
    track: str
    name: str
    start: float
    duration: float
    asset_id: str
    stale: tuple[str, ...] = ()
    """Why the clip needs regenerating (empty when it is current)."""
    params: Mapping[str, Any] = field(default_factory=lambda: _NO_PARAMS)
    """Presentation parameters (`core.kinds.CLIP_PARAMS`); absent names take their defaults."""

    @property
    def kind(self) -> AssetKind:
        return kind_for_track(self.track)

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class LectureSnapshot:
    id: str
    title: str
    summary: str
    revision: int
    updated_at: datetime
    clips: tuple[ClipView, ...]
    assets: Mapping[str, Mapping[str, Asset]] = field(default_factory=dict)

    @cached_property
    def _clip_index(self) -> dict[str, ClipView]:
        return {clip.id: clip for clip in self.clips}

    @cached_property
    def _tracks(self) -> dict[str, tuple[ClipView, ...]]:
        by_track: dict[str, list[ClipView]] = {name: [] for name in TRACK_NAMES}
        for clip in self.clips:
            by_track.setdefault(clip.track, []).append(clip)
        return {
            name: tuple(sorted(clips, key=lambda c: (c.start, c.name))) for name, clips in by_track.items()
        }

    def clip(self, clip_id: str) -> ClipView | None:
        return self._clip_index.get(clip_id)

    def track(self, name: str) -> tuple[ClipView, ...]:
        return self._tracks.get(name, ())

    def asset(self, kind: str, asset_id: str) -> Asset | None:
        return self.assets.get(kind, {}).get(asset_id)

    def asset_for(self, clip: ClipView) -> Asset | None:
        return self.asset(clip.kind.name, clip.asset_id)

    def iter_assets(self) -> Iterator[tuple[str, Asset]]:
        for kind in KIND_NAMES:
            for asset in self.assets.get(kind, {}).values():
                yield kind, asset

    @property
    def duration(self) -> float:
        return max((clip.end for clip in self.clips), default=0.0)

    def with_asset(self, kind: str, asset_id: str, data: Mapping[str, Any]) -> LectureSnapshot:
        """A new snapshot in which one asset's fields are replaced (clips and other assets shared)."""
        current = dict(self.asset(kind, asset_id) or {"id": asset_id})
        current.update(data)
        current["id"] = asset_id
        kind_assets = dict(self.assets.get(kind, {}))
        kind_assets[asset_id] = freeze_asset(current)
        assets = dict(self.assets)
        assets[kind] = MappingProxyType(kind_assets)
        updated = current.get("updated_at")
        newest = (
            as_utc(updated) if isinstance(updated, datetime) and as_utc(updated) > self.updated_at else None
        )
        return replace(self, assets=MappingProxyType(assets), updated_at=newest or self.updated_at)

    def with_revision(self, revision: int) -> LectureSnapshot:
        return replace(self, revision=max(revision, self.revision))
