"""Team mode commands: `tui-editor temporal-dev` (a local Temporal server) and `tui-editor worker`.

Handlers only; their parser lines live in `cli.build_parser`. Both run in the foreground until Ctrl+C or
SIGTERM. The worker leaves with `os._exit` after a clean shutdown: temporalio's core threads can abort a
finished process at interpreter exit (temporalio/sdk-python#300).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def cmd_temporal_dev(settings: Any, args: argparse.Namespace) -> int:
    from .core.errors import BadInputError
    from .runs.temporal.devserver import start_dev_server, stop_dev_server

    if not 0 < args.port < 65536:
        raise BadInputError(f"--port {args.port}: not a TCP port")
    db_file = Path(args.db_file) if args.db_file else settings.data_path / "temporal-dev.db"
    proc = start_dev_server(port=args.port, db_file=db_file, host=args.ip, ui_port=args.ui_port)
    stopping = []

    def stop(_signum: int, _frame: Any) -> None:
        stopping.append(True)
        proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ui = f"; web UI on http://{args.ip}:{args.ui_port}" if args.ui_port else ""
    _say(
        f"Temporal dev server listening on {args.ip}:{args.port} (namespace default{ui}); "
        f"workflows kept in {db_file}. Stop with Ctrl+C."
    )
    code = proc.wait()
    stop_dev_server(proc)
    if stopping:
        return 0
    sys.stderr.write(f"tui-editor: the Temporal dev server exited with code {code}\n")
    return 1


def cmd_worker(settings: Any, args: argparse.Namespace) -> int:
    from .cli import _hide_password
    from .core.errors import BadInputError, TuiEditorError
    from .runs.temporal.worker import serve

    if args.concurrency < 1:
        raise BadInputError(f"--concurrency {args.concurrency}: give at least 1")
    temporal = settings.engine.temporal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)

        def ready() -> None:
            _say(
                f"Worker on task queue {temporal.task_queue!r} of {temporal.address} "
                f"(namespace {temporal.namespace}), {args.concurrency} at a time; "
                f"database {_hide_password(settings.database_url)}, data dir {settings.data_path}. "
                "Stop with Ctrl+C."
            )

        await serve(settings, concurrency=args.concurrency, stop=stop, on_ready=ready)

    try:
        asyncio.run(main())
        code = 0
    except TuiEditorError as exc:
        sys.stderr.write(f"tui-editor: {exc.message}\n")
        code = exc.exit_code
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
