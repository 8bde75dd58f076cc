"""The lecture timeline: three tracks (visual, voice, music) rendered virtually with the Line API.

Only the rows on screen are rendered (`render_line`), so a 100,000-clip lecture costs a list of row
references, not 100,000 widgets. Each clip row shows its name, start, duration, live run status and a
one-line asset summary (`kind.summary(asset)`); a header row opens each track. The widget never copies
lecture state: it reads the snapshot and the `RunBoard` it is given and re-renders the lines that change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.kinds import TRACK_NAMES
from ...core.runboard import RunBoard
from ...core.safe_text import visible
from ...core.snapshot import ClipView, LectureSnapshot
from ...core.timing import overflow_s
from ..bindings import TIMELINE_BINDINGS
from ..time_text import format_duration, format_start

TRACK_TITLES = {"visual": "VISUAL", "voice": "VOICE", "music": "MUSIC"}
STATUS_ICONS = {"idle": "·", "queued": "◌", "generating": "◐", "preview_ready": "●", "failed": "✗"}


@dataclass(frozen=True)
class Columns:
    """Cell widths of a clip row for a given widget width."""

    name: int
    start: int
    duration: int
    status: int
    summary: int

    @classmethod
    def for_width(cls, width: int) -> Columns:
        name = max(10, min(28, (width - 2) * 22 // 100))
        start, duration, status = 9, 8, 18
        summary = max(0, width - 2 - name - start - duration - status - 3)
        return cls(name, start, duration, status, summary)


def _fit(text: str, width: int) -> str:
    """`text` cut (with an ellipsis) or padded to exactly `width` cells; control characters (names and
    prompts are data) made visible, so nothing reaches the terminal raw."""
    if width <= 0:
        return ""
    text = visible(text)
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def _fit_summary(text: str, width: int) -> str:
    """Like `_fit`, but a trailing `[extras]` part (duration, voice...) survives the cut."""
    text = visible(text)
    if width <= 0 or cell_len(text) <= width or not text.endswith("]") or " [" not in text:
        return _fit(text, width)
    lead, _, extras = text.rpartition(" [")
    tail = f" [{extras}"
    if cell_len(tail) + 4 > width:
        return _fit(text, width)
    return _fit(lead, width - cell_len(tail)) + tail


def _rfit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    text = text if cell_len(text) <= width else set_cell_size(text, width)
    return " " * (width - cell_len(text)) + text


class Timeline(ScrollView, can_focus=True):
    """Every clip of a lecture, track by track, with a cursor."""

    BINDINGS: ClassVar[list[BindingType]] = TIMELINE_BINDINGS

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--header",
        "timeline--cursor",
        "timeline--dim",
        "timeline--status-queued",
        "timeline--status-generating",
        "timeline--status-preview_ready",
        "timeline--status-failed",
        "timeline--status-idle",
        "timeline--stale",
    }

    DEFAULT_CSS = """
    Timeline {
        height: 1fr;
        overflow-x: hidden;
        background: $surface;
        & > .timeline--header { text-style: bold; color: $text-accent; background: $panel; }
        & > .timeline--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: bold;
        }
        &:focus > .timeline--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .timeline--dim { color: $text-muted; }
        & > .timeline--status-idle { color: $text-muted; }
        & > .timeline--status-queued { color: $text-warning; }
        & > .timeline--status-generating { color: $text-warning; text-style: bold; }
        & > .timeline--status-preview_ready { color: $text-success; text-style: bold; }
        & > .timeline--status-failed { color: $text-error; text-style: bold; }
        & > .timeline--stale { color: $text-warning; text-style: bold; }
    }
    """

    class ClipSelected(Message):
        """Enter on a clip."""

        def __init__(self, timeline: Timeline, clip_id: str) -> None:
            super().__init__()
            self.timeline = timeline
            self.clip_id = clip_id

        @property
        def control(self) -> Timeline:
            return self.timeline

    class CursorMoved(Message):
        """The cursor is on another clip (or on none)."""

        def __init__(self, timeline: Timeline, clip_id: str | None) -> None:
            super().__init__()
            self.timeline = timeline
            self.clip_id = clip_id

        @property
        def control(self) -> Timeline:
            return self.timeline

    class MarksChanged(Message):
        """A clip was marked or unmarked (`Timeline.marked`)."""

        def __init__(self, timeline: Timeline) -> None:
            super().__init__()
            self.timeline = timeline

        @property
        def control(self) -> Timeline:
            return self.timeline

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.snapshot: LectureSnapshot | None = None
        self.board: RunBoard | None = None
        self.filter_text = ""
        self._rows: list[ClipView | str] = []
        self._row_of: dict[str, int] = {}
        self._shown: dict[str, int] = {}
        self._cursor = -1
        self._summaries: dict[str, str] = {}
        self._search: dict[str, str] | None = None
        self._empty_message = "Loading…"
        #: Clips marked (`space`) for a batch regenerate.
        self.marked: set[str] = set()

    # --- data ----------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_clip(self) -> ClipView | None:
        if 0 <= self._cursor < len(self._rows):
            row = self._rows[self._cursor]
            return row if isinstance(row, ClipView) else None
        return None

    @property
    def visible_clip_ids(self) -> list[str]:
        return [r.id for r in self._rows if isinstance(r, ClipView)]

    def set_empty_message(self, message: str) -> None:
        self._empty_message = message
        self.refresh()

    def set_snapshot(self, snapshot: LectureSnapshot, board: RunBoard | None = None) -> None:
        """Show `snapshot` (a new one from the provider); the cursor stays on its clip."""
        old = self.snapshot
        self.snapshot = snapshot
        if board is not None:
            self.board = board
        self._summaries.clear()
        if old is not None and old.clips is snapshot.clips and old.id == snapshot.id:
            # Same clips (an asset changed): only the text of rows changes, not the rows.
            self._search = None
            self.refresh()
            return
        self._search = None
        self._rebuild(
            keep=self.cursor_clip.id if self.cursor_clip and old and old.id == snapshot.id else None
        )

    def set_filter(self, text: str) -> None:
        text = text.strip()
        if text == self.filter_text:
            return
        keep = self.cursor_clip.id if self.cursor_clip else None
        self.filter_text = text
        self._rebuild(keep=keep)

    def refresh_clips(self, clip_ids: Iterable[str]) -> None:
        """Re-render the rows of these clips (a run status changed)."""
        top = self.scroll_offset.y
        height = self.size.height
        for clip_id in clip_ids:
            row = self._row_of.get(clip_id)
            if row is not None and top <= row < top + height:
                self.refresh_line(row)

    def select_clip(self, clip_id: str) -> bool:
        row = self._row_of.get(clip_id)
        if row is None:
            return False
        self._move_to(row)
        return True

    # --- rows ----------------------------------------------------------------------------------
    def _summary(self, clip: ClipView) -> str:
        text = self._summaries.get(clip.id)
        if text is None:
            assert self.snapshot is not None
            text = clip.kind.summary(self.snapshot.asset_for(clip))
            if len(self._summaries) > 4096:
                self._summaries.clear()
            self._summaries[clip.id] = text
        return text

    def _search_index(self) -> dict[str, str]:
        if self._search is None:
            snapshot = self.snapshot
            assert snapshot is not None
            index: dict[str, str] = {}
            for clip in snapshot.clips:
                index[clip.id] = f"{clip.name}\n{clip.kind.summary(snapshot.asset_for(clip))}".casefold()
            self._search = index
        return self._search

    def _matching(self, track: str) -> list[ClipView]:
        assert self.snapshot is not None
        clips = self.snapshot.track(track)
        if not self.filter_text:
            return list(clips)
        needle = self.filter_text.casefold()
        index = self._search_index()
        return [c for c in clips if needle in index[c.id]]

    def _rebuild(self, keep: str | None = None) -> None:
        rows: list[ClipView | str] = []
        shown: dict[str, int] = {}
        if self.snapshot is not None:
            for track in TRACK_NAMES:
                clips = self._matching(track)
                shown[track] = len(clips)
                rows.append(track)
                rows.extend(clips)
        self._rows = rows
        self._shown = shown
        self._row_of = {row.id: i for i, row in enumerate(rows) if isinstance(row, ClipView)}
        self._update_virtual_size()
        target = self._row_of.get(keep) if keep else None
        if target is None:
            target = self._next_clip_row(-1, 1)
        self._cursor = target if target is not None else -1
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.CursorMoved(self, self.cursor_clip.id if self.cursor_clip else None))

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.size.width, max(len(self._rows), 1))

    def on_mount(self) -> None:
        self._update_virtual_size()

    def on_resize(self) -> None:
        self._update_virtual_size()
        self._scroll_cursor_into_view()

    # --- cursor --------------------------------------------------------------------------------
    def _next_clip_row(self, start: int, step: int) -> int | None:
        row = start + step
        rows = self._rows
        while 0 <= row < len(rows):
            if isinstance(rows[row], ClipView):
                return row
            row += step
        return None

    def _move_to(self, row: int) -> None:
        if row == self._cursor:
            self._scroll_cursor_into_view()
            return
        old = self._cursor
        self._cursor = row
        scrolled = self._scroll_cursor_into_view()
        if not scrolled:
            if old >= 0:
                self.refresh_line(old)
            self.refresh_line(row)
        self.post_message(self.CursorMoved(self, self.cursor_clip.id if self.cursor_clip else None))

    def _scroll_cursor_into_view(self) -> bool:
        """Scroll so the cursor row is visible; True if the view moved."""
        height = self.scrollable_content_region.height or self.size.height
        if height <= 0 or self._cursor < 0:
            return False
        top = int(self.scroll_offset.y)
        target = top
        if self._cursor < top + 1:
            # Show the track header above the first clip of a track.
            header_above = self._cursor > 0 and isinstance(self._rows[self._cursor - 1], str)
            target = self._cursor - 1 if header_above else self._cursor
        elif self._cursor >= top + height:
            target = self._cursor - height + 1
        target = max(0, min(target, max(0, len(self._rows) - height)))
        if target != top:
            self.scroll_to(y=target, animate=False, immediate=True)
            self.refresh()
            return True
        return False

    def action_cursor_down(self) -> None:
        row = self._next_clip_row(self._cursor, 1)
        if row is not None:
            self._move_to(row)

    def action_cursor_up(self) -> None:
        row = self._next_clip_row(self._cursor, -1)
        if row is not None:
            self._move_to(row)

    def _page(self, direction: int) -> None:
        if self._cursor < 0:
            return
        height = max(1, (self.scrollable_content_region.height or self.size.height) - 1)
        target = max(0, min(len(self._rows) - 1, self._cursor + direction * height))
        row = target if isinstance(self._rows[target], ClipView) else self._next_clip_row(target, direction)
        if row is None:
            row = self._next_clip_row(target, -direction)
        if row is not None:
            self._move_to(row)

    def action_page_down(self) -> None:
        self._page(1)

    def action_page_up(self) -> None:
        self._page(-1)

    def action_first(self) -> None:
        row = self._next_clip_row(-1, 1)
        if row is not None:
            self._move_to(row)

    def action_last(self) -> None:
        row = self._next_clip_row(len(self._rows), -1)
        if row is not None:
            self._move_to(row)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return self.snapshot is not None
        return True

    def action_toggle_mark(self) -> None:
        clip = self.cursor_clip
        if clip is None:
            return
        self.marked.symmetric_difference_update({clip.id})
        self.refresh_line(self._cursor - int(self.scroll_offset.y))
        self.post_message(self.MarksChanged(self))

    def clear_marks(self) -> None:
        if self.marked:
            self.marked.clear()
            self.refresh()
            self.post_message(self.MarksChanged(self))

    def action_open(self) -> None:
        clip = self.cursor_clip
        if clip is not None:
            self.post_message(self.ClipSelected(self, clip.id))

    # --- rendering -----------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        base = self.rich_style
        index = y + int(self.scroll_offset.y)
        if not self._rows:
            if y == 1:
                return Strip([Segment(_fit(f"  {self._empty_message}", width), base)])
            return Strip.blank(width, base)
        if index >= len(self._rows):
            if index == len(self._rows) and self.filter_text and not self._row_of:
                text = f"  No clips match “{self.filter_text}”"
                return Strip([Segment(_fit(text, width), base + self._style("timeline--dim"))])
            return Strip.blank(width, base)
        row = self._rows[index]
        if isinstance(row, str):
            return self._render_header(row, width, base)
        return self._render_clip(row, width, base, index == self._cursor)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _render_header(self, track: str, width: int, base: Style) -> Strip:
        cols = Columns.for_width(width)
        total = len(self.snapshot.track(track)) if self.snapshot else 0
        shown = self._shown.get(track, 0)
        count = f"{shown} of {total}" if self.filter_text else f"{total}"
        title = f"{TRACK_TITLES.get(track, track.upper())} · {count} clip{'s' if total != 1 else ''}"
        text = (
            f"{_fit(title, 2 + cols.name)} {_rfit('start', cols.start)} {_rfit('dur', cols.duration)} "
            f" {_fit('status', cols.status - 1)}{_fit('summary', cols.summary)}"
        )
        style = base + self.get_component_rich_style("timeline--header", partial=True)
        return Strip([Segment(_fit(text, width), style)])

    def _render_clip(self, clip: ClipView, width: int, base: Style, is_cursor: bool) -> Strip:
        cols = Columns.for_width(width)
        run = self.board.for_clip(clip.id) if self.board is not None else None
        state = run.state if run is not None else "idle"
        label = run.label if run is not None else "idle"
        status = f"{STATUS_ICONS.get(state, '·')} {label}"
        marker = ("▶" if is_cursor else " ") + ("✓" if clip.id in self.marked else " ")
        head = (
            f"{marker}{_fit(clip.name, cols.name)} {_rfit(format_start(clip.start), cols.start)} "
            f"{_rfit(format_duration(clip.duration), cols.duration)}  "
        )
        warning = self._warning(clip)
        summary = _fit_summary(self._summary(clip), max(0, cols.summary - cell_len(warning)))
        status_text = _fit(status, cols.status - 1)
        if is_cursor:
            style = base + self._style("timeline--cursor")
            segments = [Segment(head + status_text + warning + summary, style)]
        else:
            segments = [
                Segment(head, base),
                Segment(status_text, base + self._style(f"timeline--status-{state}")),
                *([Segment(warning, base + self._style("timeline--stale"))] if warning else []),
                Segment(summary, base),
            ]
        return Strip(segments).adjust_cell_length(width, base)

    def _warning(self, clip: ClipView) -> str:
        """`⚠ stale ` when the clip needs regenerating, `» +2.5s ` when its audio overruns it."""
        parts = []
        if clip.stale:
            parts.append("⚠ stale")
        if self.snapshot is not None:
            over = overflow_s(self.snapshot, clip)
            if over is not None:
                parts.append(f"» +{over:.1f}s")
        return (" ".join(parts) + " ") if parts else ""

    def line_text(self, index: int) -> str:
        """The plain text of row `index` (tests and benchmarks)."""
        width = self.scrollable_content_region.width or self.size.width or 100
        base = Style()
        row = self._rows[index]
        if isinstance(row, str):
            return self._render_header(row, width, base).text
        return self._render_clip(row, width, base, index == self._cursor).text

    def region_of_clip(self, clip_id: str) -> Region | None:
        row = self._row_of.get(clip_id)
        if row is None:
            return None
        return Region(0, row - int(self.scroll_offset.y), self.size.width, 1)
