"""The command line: `tui-editor [global options] [COMMAND ...]`; with no command it opens the editor.

Exit codes: 0 success; 1 the operation failed (run failed, conflict, not found); 2 bad usage or input.
Errors are one line on stderr, never a traceback. `--json` shapes are documented in the README.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__

#: How argparse reads each field type of `core.kinds` (text by default).
FLAG_TYPES: dict[str, Callable[[str], Any]] = {"int": int, "float": float}

COMMANDS = (
    "demo",
    "lectures",
    "show",
    "export",
    "import",
    "regenerate",
    "runs",
    "accept",
    "reject",
    "cancel",
    "revisions",
    "restore",
)


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _global_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tui-editor",
        description="A keyboard-driven terminal editor for narrated video lectures.",
        epilog="Commands: "
        + ", ".join(COMMANDS)
        + ". With no command, opens the editor (on LECTURE if given).",
    )
    parser.add_argument("--config", metavar="PATH", help="config file (env TUI_EDITOR_CONFIG)")
    parser.add_argument("--data-dir", metavar="PATH", help="data directory (env TUI_EDITOR_DATA_DIR)")
    parser.add_argument("--db", metavar="URL", help="database URL (env TUI_EDITOR_DB)")
    parser.add_argument("--version", action="version", version=f"tui-editor {__version__}")
    return parser


def _command_parser() -> argparse.ArgumentParser:
    from .core.kinds import request_flags

    parser = _Parser(prog="tui-editor")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("demo", help="create the demo lecture (idempotent)")
    p = sub.add_parser("lectures", help="list lectures")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("show", help="show a lecture")
    p.add_argument("lecture")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("export", help="export a lecture as JSON")
    p.add_argument("lecture")
    p.add_argument("-o", "--output", metavar="FILE")
    p = sub.add_parser("import", help="import a lecture from an export JSON file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("regenerate", help="regenerate a clip's asset")
    p.add_argument("lecture")
    p.add_argument("clip")
    for flag in request_flags():
        p.add_argument(
            flag.option,
            dest=flag.field,
            metavar=flag.metavar,
            type=FLAG_TYPES.get(flag.type, str),
            help=flag.help,
        )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--accept", action="store_true", help="accept the preview when it is ready")
    mode.add_argument("--reject", action="store_true", help="reject the preview when it is ready")
    mode.add_argument("--no-wait", action="store_true", help="return at once (team engine only)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the preview")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("runs", help="list generation runs")
    p.add_argument("--lecture")
    p.add_argument("--status")
    p.add_argument("--json", action="store_true")
    for name, text in (
        ("accept", "accept a run's preview"),
        ("reject", "reject a run's preview"),
        ("cancel", "cancel a run"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("run")
        p.add_argument("--json", action="store_true")

    p = sub.add_parser("revisions", help="list a lecture's revisions")
    p.add_argument("lecture")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("restore", help="restore a lecture to an earlier revision")
    p.add_argument("lecture")
    p.add_argument("revision", type=int)
    return parser


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> None:
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for row in cells:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")


# --- commands --------------------------------------------------------------------------------------


def _open(settings: Any, *, background: bool = False) -> Any:
    from .runs.runtime import open_runtime

    return open_runtime(settings, background=background)


def cmd_demo(settings: Any, args: argparse.Namespace) -> int:
    from .demo import ensure_demo

    runtime = _open(settings)
    try:
        lecture_id = ensure_demo(runtime.store, settings.data_path)
        print(lecture_id)
    finally:
        runtime.close()
    return 0


def cmd_lectures(settings: Any, args: argparse.Namespace) -> int:
    runtime = _open(settings)
    try:
        lectures = runtime.store.list_lectures()
    finally:
        runtime.close()
    if args.json:
        _print_json(lectures)
    elif not lectures:
        print("No lectures yet. Create the demo with: tui-editor demo")
    else:
        _table(
            [(x["id"], x["title"], x["revision"], x["clips"]) for x in lectures],
            ("ID", "TITLE", "REVISION", "CLIPS"),
        )
    return 0


def cmd_show(settings: Any, args: argparse.Namespace) -> int:
    from .core.kinds import kind_for_track

    runtime = _open(settings)
    try:
        lecture_id = runtime.store.resolve_lecture(args.lecture)
        if args.json:
            _print_json(runtime.store.export_lecture(lecture_id))
            return 0
        snapshot = runtime.store.load_snapshot(lecture_id)
    finally:
        runtime.close()
    print(f"{snapshot.title}  ({snapshot.id}, revision {snapshot.revision})")
    if snapshot.summary:
        print(snapshot.summary)
    for track in ("visual", "voice", "music"):
        clips = snapshot.track(track)
        print(f"\n{track.upper()} ({len(clips)} clips)")
        kind = kind_for_track(track)
        rows = [
            (c.id, c.name, f"{c.start:.1f}", f"{c.duration:.1f}", kind.summary(snapshot.asset_for(c))[:60])
            for c in clips
        ]
        _table(rows, ("ID", "NAME", "START", "DUR", "ASSET"))
    return 0


def cmd_export(settings: Any, args: argparse.Namespace) -> int:
    runtime = _open(settings)
    try:
        data = runtime.store.export_lecture(runtime.store.resolve_lecture(args.lecture))
    finally:
        runtime.close()
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        from .core.errors import BadInputError

        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInputError(f"{args.output}: cannot write: {exc.strerror}") from None
    else:
        sys.stdout.write(text)
    return 0


def cmd_import(settings: Any, args: argparse.Namespace) -> int:
    from .core.exchange import read_lecture_file

    lecture = read_lecture_file(args.file)  # validate before touching the database
    runtime = _open(settings)
    try:
        lecture_id = runtime.store.create_lecture(lecture, source="import")
        summary = next(x for x in runtime.store.list_lectures() if x["id"] == lecture_id)
    finally:
        runtime.close()
    if args.json:
        _print_json(summary)
    else:
        print(f"Imported {summary['title']!r} as {lecture_id} ({summary['clips']} clips)")
    return 0


def cmd_regenerate(settings: Any, args: argparse.Namespace) -> int:
    from .core.errors import BadInputError
    from .core.flow import StartRequest
    from .core.kinds import request_flags
    from .runs.waiting import wait_for_run

    runtime = _open(settings, background=True)
    engine = runtime.engine
    try:
        if args.no_wait and not engine.runs_outlive_process:
            raise BadInputError(
                "--no-wait needs an engine whose runs outlive this command (the team engine, "
                "[engine] kind = 'temporal'); the local engine generates inside this process"
            )
        store = runtime.store
        lecture_id = store.resolve_lecture(args.lecture)
        clip = store.resolve_clip(lecture_id, args.clip)
        kind = clip.kind
        flags = request_flags()
        fields = {f.field: getattr(args, f.field) for f in flags if getattr(args, f.field) is not None}
        wrong = [f.option for f in flags if f.field in fields and kind.name not in f.kinds]
        if wrong:
            raise BadInputError(f"{', '.join(wrong)} does not apply to a {kind.name} clip")
        run_id = engine.start(
            StartRequest(lecture_id=lecture_id, clip_id=clip.id, kind=kind.name, fields=fields)
        )
        if args.no_wait:
            record = engine.get(run_id)
            _report_run(record, args.json)
            return 0
        try:
            record = wait_for_run(engine, run_id, timeout=args.timeout)
        except KeyboardInterrupt:
            engine.cancel(run_id)
            print(f"cancelled {run_id}", file=sys.stderr)
            return 1
        from .core.exchange import asset_json

        extra: dict[str, Any] = {"preview": dict(record.preview_asset or {}) or None}
        if record.status != "preview_ready":
            _report_run(record, args.json, extra)
            if not args.json:
                print(
                    f"tui-editor: run {run_id} {record.status}: {record.error or ''}".rstrip(": "),
                    file=sys.stderr,
                )
            return 1
        if args.accept or args.reject:
            decision = engine.decide(run_id, args.accept)
            record = engine.get(run_id)
            if decision.accepted:  # the preview as committed: its file now lives under media/
                extra["revision"] = decision.revision
                extra["preview"] = asset_json(decision.asset or {})
        _report_run(record, args.json, extra)
        return 0
    finally:
        runtime.close()


def _report_run(record: Any, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    extra = extra or {}
    if as_json:
        _print_json(record.to_json() | extra)
        return
    line = f"{record.id}  {record.kind}  {record.status}"
    preview = extra.get("preview")
    if preview and preview.get("file") and record.status in ("preview_ready", "accepted"):
        line += f"  {preview['file']}"
    if "revision" in extra:
        line += f"  (lecture revision {extra['revision']})"
    if record.error:
        line += f"  error: {record.error}"
    print(line)


def cmd_runs(settings: Any, args: argparse.Namespace) -> int:
    from .core.errors import BadInputError
    from .core.run_record import RUN_STATUSES

    if args.status and args.status not in RUN_STATUSES:
        raise BadInputError(f"--status: {args.status!r} is not one of {', '.join(RUN_STATUSES)}")
    runtime = _open(settings)
    try:
        lecture_id = runtime.store.resolve_lecture(args.lecture) if args.lecture else None
        runs = runtime.engine.list(lecture_id=lecture_id, statuses=[args.status] if args.status else None)
    finally:
        runtime.close()
    if args.json:
        _print_json([r.to_json() for r in runs])
    elif not runs:
        print("No runs.")
    else:
        _table(
            [
                (r.id, r.kind, r.clip_id, r.status, r.created_at.strftime("%Y-%m-%d %H:%M:%S"), r.error or "")
                for r in runs
            ],
            ("ID", "KIND", "CLIP", "STATUS", "CREATED (UTC)", "ERROR"),
        )
    return 0


def _decide(settings: Any, args: argparse.Namespace, accept: bool) -> int:
    runtime = _open(settings)
    try:
        decision = runtime.engine.decide(args.run, accept)
        record = runtime.engine.get(args.run)
    finally:
        runtime.close()
    extra: dict[str, Any] = {}
    if decision.accepted:
        extra["revision"] = decision.revision
    _report_run(record, args.json, extra)
    return 0


def cmd_accept(settings: Any, args: argparse.Namespace) -> int:
    return _decide(settings, args, True)


def cmd_reject(settings: Any, args: argparse.Namespace) -> int:
    return _decide(settings, args, False)


def cmd_cancel(settings: Any, args: argparse.Namespace) -> int:
    runtime = _open(settings)
    try:
        runtime.engine.cancel(args.run)
        record = runtime.engine.get(args.run)
    finally:
        runtime.close()
    _report_run(record, args.json)
    return 0


def cmd_revisions(settings: Any, args: argparse.Namespace) -> int:
    runtime = _open(settings)
    try:
        revisions = runtime.store.list_revisions(runtime.store.resolve_lecture(args.lecture))
    finally:
        runtime.close()
    if args.json:
        _print_json(revisions)
    else:
        _table(
            [(r["revision"], r["source"], r["run_id"] or "", r["created_at"]) for r in revisions],
            ("REV", "SOURCE", "RUN", "CREATED"),
        )
    return 0


def cmd_restore(settings: Any, args: argparse.Namespace) -> int:
    runtime = _open(settings)
    try:
        lecture_id = runtime.store.resolve_lecture(args.lecture)
        revision = runtime.store.restore_revision(lecture_id, args.revision)
    finally:
        runtime.close()
    print(f"Restored revision {args.revision}; the lecture is now at revision {revision}")
    return 0


HANDLERS: dict[str, Callable[[Any, argparse.Namespace], int]] = {
    "demo": cmd_demo,
    "lectures": cmd_lectures,
    "show": cmd_show,
    "export": cmd_export,
    "import": cmd_import,
    "regenerate": cmd_regenerate,
    "runs": cmd_runs,
    "accept": cmd_accept,
    "reject": cmd_reject,
    "cancel": cmd_cancel,
    "revisions": cmd_revisions,
    "restore": cmd_restore,
}


def _split(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Global options (before the command) and the rest."""
    globals_: list[str] = []
    rest = list(argv)
    while rest:
        head = rest[0]
        if head in ("--config", "--data-dir", "--db") and len(rest) > 1:
            globals_ += rest[:2]
            rest = rest[2:]
        elif head.startswith(("--config=", "--data-dir=", "--db=")) or head in ("-h", "--help", "--version"):
            globals_.append(head)
            rest = rest[1:]
        else:
            break
    return globals_, rest


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"tui-editor: {message}\n")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if hasattr(signal, "SIGPIPE"):  # `tui-editor runs | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        global_args, rest = _split(argv)
        options = _global_parser().parse_args(global_args)
        command_args = None
        if rest and rest[0] in COMMANDS:
            command_args = _command_parser().parse_args(rest)
        elif len(rest) > 1 or (rest and rest[0].startswith("-")):
            raise UsageError(
                f"tui-editor: unknown command or option {rest[0]!r} (commands: {', '.join(COMMANDS)})"
            )
    except UsageError as exc:
        return _fail(str(exc).removeprefix("tui-editor: "), 2)

    from .config import ConfigError, load_settings
    from .core.errors import TuiEditorError

    try:
        settings = load_settings(options.config, data_dir=options.data_dir, db_url=options.db)
    except ConfigError as exc:
        return _fail(exc.message, 2)
    try:
        if command_args is None:
            from .ui.run import run_app

            return run_app(settings, rest[0] if rest else None)
        return HANDLERS[command_args.command](settings, command_args)
    except TuiEditorError as exc:
        return _fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        if os.environ.get("TUI_EDITOR_DEBUG"):
            raise
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _fail(f"unexpected error: {detail} (set TUI_EDITOR_DEBUG=1 to see the traceback)", 1)


def run() -> None:
    sys.exit(main())
