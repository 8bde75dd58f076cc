"""A real process for the crash-safety and cross-process tests (run with `sys.executable`).

    python crash_child.py MODE DATA_DIR DB_URL [ARGS...]

Settings come from the environment as usual (`TUI_EDITOR__ENGINE__HEARTBEAT_INTERVAL=0.2`, ...). The
child reports each milestone as one JSON line on stdout (`{"event": ...}`), then blocks reading stdin:
the test either kills it with SIGKILL or writes `exit` to let it close its runtime and exit 0.

Modes
  stall KIND CLIP FIELDS_JSON  start a run whose generator writes a partial file into its preview folder,
                               reports progress, announces `stalled` and never finishes.
  preview KIND CLIP FIELDS_JSON  start a run with the real local generator; announce `preview_ready`.
  accept RUN_ID                accept a `preview_ready` run, but stop inside the store's commit: the
                               preview has been promoted to its committed place, the transaction has not
                               run. Announces `promoted` with the promoted file.
  in-commit OP RUN_ID          accept (OP `accept`) or undo the accept of (OP `undo`) RUN_ID, but stop
                               inside the commit's transaction once its last write (the run's event) is
                               made and before it commits. Announces `written` with the event's type.
  publish RUN_ID LECTURE_ID N  append N status events to the log (as another process would) and exit.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

_say_lock = threading.Lock()


def say(**message: Any) -> None:
    with _say_lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def block_until_told() -> None:
    """Wait on stdin; `exit` (or EOF) returns."""
    sys.stdin.readline()


class StallingGenerator:
    """Writes half a file into the run's preview folder, reports progress, then hangs forever."""

    async def generate(self, request: Any, progress: Any) -> Any:
        partial = request.out_dir / "partial.png"
        partial.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 512)
        progress(1, 3, "Halfway there")
        say(event="stalled", run_id=request.out_dir.name, partial=str(partial))
        await asyncio.get_running_loop().create_future()  # never resolves


def main(argv: list[str]) -> int:
    mode, data_dir, db_url, *rest = argv
    from tui_editor.config import load_settings
    from tui_editor.core.flow import StartRequest

    settings = load_settings(data_dir=data_dir, db_url=db_url)

    if mode == "publish":
        from tui_editor.core.events import RunEventData
        from tui_editor.core.store import open_store

        run_id, lecture_id, count = rest[0], rest[1], int(rest[2])
        store = open_store(settings.database_url)
        ids = []
        for step in range(count):
            with store.write() as conn:
                event = store.append_event(
                    conn,
                    RunEventData(
                        run_id=run_id,
                        lecture_id=lecture_id,
                        kind="visual",
                        type="status",
                        payload={"step": step, "total_steps": count, "message": f"from pid {os.getpid()}"},
                    ),
                )
            ids.append(event.id)
        say(event="published", ids=ids, pid=os.getpid())
        store.close()
        return 0

    if mode == "stall":
        from tui_editor.core.store import open_store
        from tui_editor.runs.hub import EventHub
        from tui_editor.runs.local import LocalEngine

        kind, clip_id, fields = rest[0], rest[1], json.loads(rest[2])
        store = open_store(settings.database_url)
        hub = EventHub(store, poll_interval_ms=settings.events.poll_interval_ms, tail=False)
        engine = LocalEngine(store, settings, hub=hub, generator_factory=lambda *_: StallingGenerator())
        lecture_id, _clip = store.get_clip(clip_id)
        engine.start(StartRequest(lecture_id=lecture_id, clip_id=clip_id, kind=kind, fields=fields))
        block_until_told()
        engine.close()
        store.close()
        return 0

    from tui_editor.runs.runtime import open_runtime

    runtime = open_runtime(settings)
    try:
        if mode == "preview":
            from tui_editor.runs.waiting import wait_for_run

            kind, clip_id, fields = rest[0], rest[1], json.loads(rest[2])
            lecture_id, _clip = runtime.store.get_clip(clip_id)
            run_id = runtime.engine.start(
                StartRequest(lecture_id=lecture_id, clip_id=clip_id, kind=kind, fields=fields)
            )
            record = wait_for_run(runtime.engine, run_id, timeout=60)
            asset = dict(record.preview_asset or {})
            say(event="preview_ready", run_id=run_id, status=record.status, file=asset.get("file"))
            block_until_told()
            return 0

        if mode == "accept":
            from tui_editor.core.store import Store

            def stalled_commit(self: Store, **kwargs: Any) -> Any:
                # The preview is already copied to its committed place; the transaction has not begun.
                say(event="promoted", file=kwargs["fields"]["file"], pid=os.getpid())
                block_until_told()
                os._exit(3)  # never let this half-done accept continue

            Store.commit_asset = stalled_commit  # type: ignore[method-assign]
            runtime.engine.decide(rest[0], True)
            say(event="accepted?!")  # unreachable
            return 1

        if mode == "in-commit":
            from tui_editor.core import takes
            from tui_editor.core.events import RunEventData
            from tui_editor.core.store import Store

            append_event = Store._append_event
            op, run_id = rest[0], rest[1]

            def stalled_append(self: Store, conn: Any, event: RunEventData) -> RunEventData:
                stored = append_event(self, conn, event)
                if event.run_id == run_id and event.type in ("complete", "reopened"):
                    # Everything of the commit is written in its transaction; nothing is committed.
                    say(event="written", type=event.type, pid=os.getpid())
                    block_until_told()
                    os._exit(3)  # never let this half-done transaction commit
                return stored

            Store._append_event = stalled_append  # type: ignore[method-assign]
            if op == "accept":
                runtime.engine.decide(run_id, True)
            else:
                takes.undo_decision(runtime.store, runtime.store.get_run(run_id))
            say(event="committed?!")  # unreachable
            return 1
    finally:
        runtime.close()
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main(sys.argv[1:]))
