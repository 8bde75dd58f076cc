"""The batch regenerate confirm (`R` on the lecture screen): runs, cost and ETA first, then start or not.

A modal that returns True (start) or False. The estimate is `runs.batch.estimate_batch`, the same as
`tui-editor batch --estimate`; it is worked out in a thread (it reads past runs from the database).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from ...core.safe_text import visible
from ...runs.batch import BatchJob, Estimate, estimate_batch
from ..bindings import BATCH_BINDINGS, key_for
from ..editor_app import EditorAppAccess
from ..widgets.key_footer import KeyFooter


def format_eta(seconds: float) -> str:
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes}m {rest:02d}s" if minutes < 60 else f"{minutes // 60}h {minutes % 60:02d}m"


class BatchScreen(EditorAppAccess, ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = BATCH_BINDINGS
    DEFAULT_CSS = """
    BatchScreen { align: center middle; }
    #batch-box { width: 70; height: auto; border: round $accent; background: $surface; padding: 1 2; }
    """

    class Estimated(Message):
        def __init__(self, estimate: Estimate) -> None:
            super().__init__()
            self.estimate = estimate

    def __init__(self, jobs: Sequence[BatchJob], concurrency: int, *, what: str) -> None:
        super().__init__(id="batch-confirm")
        self.jobs = list(jobs)
        self.concurrency = concurrency
        self.what = what
        self.estimate: Estimate | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="batch-box"):
            yield Static(Text(f"Regenerate {visible(self.what)}", style="bold"), id="batch-title")
            yield Static(Text("Estimating cost and time…"), id="batch-estimate")
            start, cancel = key_for("batch.start"), key_for("batch.cancel")
            yield Static(Text(f"{start}: start   {cancel}: cancel", style="dim"), id="batch-keys")
        yield KeyFooter()

    def on_mount(self) -> None:
        app = self.editor_app
        if app.runtime is None or app.provider is None:
            return
        runtime = app.runtime
        snapshot = app.provider.snapshot
        jobs, concurrency = self.jobs, self.concurrency

        def work() -> None:
            estimate = estimate_batch(runtime.store, runtime.settings, snapshot, jobs, concurrency)
            self.post_message(self.Estimated(estimate))

        self.run_worker(work, thread=True, group="batch-estimate", exit_on_error=False)

    @on(Estimated)
    def _estimated(self, message: Estimated) -> None:
        self.estimate = message.estimate
        estimate = message.estimate
        text = Text()
        text.append(f"{estimate.runs} run{'s' if estimate.runs != 1 else ''}", style="bold")
        text.append(f" · cost ${estimate.cost_usd:.2f} · ETA {format_eta(estimate.eta_s)}")
        text.append(f" (concurrency {self.concurrency})")
        for note in estimate.notes:
            text.append(f"\n  {note}", style="dim")
        self.query_one("#batch-estimate", Static).update(text)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.query_one("#batch-estimate", Static).update(Text(f"Cannot estimate: {event.worker.error}"))

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


def progress_text(done: int, total: int, failed: int) -> str:
    """The lecture header's part for a running batch."""
    text = f"batch {done}/{total}"
    return text + (f" ({failed} failed)" if failed else "")


def jobs_for(clips: Sequence[Any]) -> list[BatchJob]:
    """One job per clip, with its current fields (the editor's batch changes no field)."""
    return [BatchJob(clip_id=clip.id, kind=clip.kind.name) for clip in clips]
