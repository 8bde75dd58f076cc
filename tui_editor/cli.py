"""The command line: `tui-editor [global options] [COMMAND ...]`; with no command it opens the editor.

Exit codes: 0 success; 1 the operation failed (run failed, conflict, not found); 2 bad usage or input.
Errors are one line on stderr, never a traceback. `--json` shapes are documented in the README.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__, cli_review
from .cli_lectures import (
    FORMATS,
    cmd_export_tutopanda,
    cmd_import_tutopanda,
    cmd_new,
    hint_tutopanda,
)

#: How argparse reads each field type of `core.kinds` (text by default).
FLAG_TYPES: dict[str, Callable[[str], Any]] = {"int": int, "float": float}


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


LOG_LEVELS = ("debug", "info", "warning", "error")
MIN_WAIT_S, MAX_WAIT_S = 0.01, 7 * 24 * 3600.0


def _seconds(text: str) -> float:
    """A wait in seconds from the command line: finite, at least 0.01, at most a week."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= MAX_WAIT_S:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most {MAX_WAIT_S:g} seconds, not {text!r}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: global options, then a command and its own options.

    `tui-editor [LECTURE]` (no command) opens the editor; `main` takes a LECTURE out before parsing,
    since argparse cannot tell an optional positional from a command name.
    """
    from .core.kinds import request_flags

    parser = _Parser(
        prog="tui-editor",
        usage="tui-editor [global options] [LECTURE | COMMAND [options]]",
        description="A keyboard-driven terminal editor for narrated video lectures. "
        "With no command, opens the editor (on LECTURE, an id or exact title, if given).",
        allow_abbrev=False,
    )
    parser.add_argument("--config", metavar="PATH", help="config file (env TUI_EDITOR_CONFIG)")
    parser.add_argument("--data-dir", metavar="PATH", help="data directory (env TUI_EDITOR_DATA_DIR)")
    parser.add_argument("--db", metavar="URL", help="database URL (env TUI_EDITOR_DB)")
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        metavar="LEVEL",
        help=f"least severe messages written to the log file: {', '.join(LOG_LEVELS)} "
        "(config [log] level, env TUI_EDITOR__LOG__LEVEL; default warning)",
    )
    parser.add_argument(
        "--version", action="version", version=f"tui-editor {__version__}", help="print the version"
    )
    sub = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        title="commands",
        help="`tui-editor COMMAND --help` shows a command's options",
        parser_class=_Parser,
        required=False,
    )

    def command(name: str, text: str) -> argparse.ArgumentParser:
        made: argparse.ArgumentParser = sub.add_parser(
            name, help=text, description=text[0].upper() + text[1:]
        )
        return made

    def json_flag(p: argparse.ArgumentParser, what: str = "the result") -> None:
        p.add_argument("--json", action="store_true", help=f"print {what} as JSON")

    command("demo", "create the demo lecture (idempotent) and print its id")
    json_flag(p := command("lectures", "list lectures"), "the lectures")
    p = command("show", "show a lecture's clips")
    p.add_argument("lecture", help="lecture id or exact title")
    json_flag(p, "the lecture's export document")
    p = command("export", "export a lecture as JSON")
    p.add_argument("lecture", help="lecture id or exact title")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    out.add_argument(
        "--revisions",
        metavar="DIR",
        help="write the lecture at every revision as DIR/0001.json … (canonical JSON, for diffing)",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="tui-editor",
        help="tui-editor (default) or tutopanda (the web original's timeline)",
    )
    p.add_argument(
        "--with-media",
        action="store_true",
        help="tutopanda: copy the media into FILE-media/ beside -o FILE and name them in the clips",
    )
    p = command("import", "import a lecture from an export JSON file")
    p.add_argument("file", help="an export document (from `tui-editor export`), or a tutopanda timeline")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="tui-editor",
        help="tui-editor (default) or tutopanda (the web original's timeline or timeline snapshot)",
    )
    json_flag(p, "the new lecture")
    p = command("new", "create a lecture from a script and generate its media")
    p.add_argument(
        "--from-script",
        required=True,
        metavar="FILE",
        help="a lecture script: the web original's JSON, or plain text / Markdown (a paragraph a segment)",
    )
    p.add_argument("--title", help="the lecture's title (default: the script's title or file name)")
    p.add_argument(
        "--no-generate", action="store_true", help="placeholders timed by an estimate, marked stale"
    )
    json_flag(p, "the new lecture")

    p = command("regenerate", "regenerate a clip's asset")
    p.add_argument("lecture", help="lecture id or exact title")
    p.add_argument("clip", help="clip id or exact name")
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
    p.add_argument("--timeout", type=_seconds, default=600.0, help="seconds to wait for the preview")
    p.add_argument(
        "--seed", type=int, metavar="N", help="the generator's seed (default: a new one, recorded on the run)"
    )
    json_flag(p, "the run")

    p = command("runs", "list generation runs")
    p.add_argument("--lecture", help="only this lecture's runs (id or exact title)")
    p.add_argument("--status", help="only runs in this status")
    json_flag(p, "the runs")
    for name, text in (
        ("accept", "accept a run's preview"),
        ("reject", "reject a run's preview"),
        ("cancel", "cancel a run"),
    ):
        p = command(name, text)
        p.add_argument("run", help="run id")
        json_flag(p, "the run")

    p = command("revisions", "list a lecture's revisions")
    p.add_argument("lecture", help="lecture id or exact title")
    json_flag(p, "the revisions")
    p = command("restore", "restore a lecture to an earlier revision")
    p.add_argument("lecture", help="lecture id or exact title")
    p.add_argument("revision", type=int, help="revision number (see `tui-editor revisions`)")

    p = command("temporal-dev", "team mode: run a local Temporal dev server (from the team extra)")
    p.add_argument("--port", type=int, default=7233, help="gRPC port (default 7233)")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--db-file", metavar="PATH", help="keep workflows in this file (default: temporal-dev.db, data dir)"
    )
    p.add_argument("--ui-port", type=int, metavar="PORT", help="also serve Temporal's web UI on this port")
    p = command("worker", "team mode: run the team engine's workflows and generations")
    p.add_argument("--concurrency", type=int, default=4, help="generations at a time (default 4)")
    from .cli_render import add_render_parser

    add_render_parser(command)
    p = command("undo", "undo the last accept or reject on a lecture (its take is pending again)")
    p.add_argument("lecture", help="lecture id or exact title")
    json_flag(p, "what was undone")
    p = command("takes", "list a clip's takes (every preview, kept after its decision), newest first")
    p.add_argument("lecture", help="lecture id or exact title")
    p.add_argument("clip", help="clip id or exact name")
    take_action = p.add_mutually_exclusive_group()
    take_action.add_argument("--restore", metavar="TAKE", help="make this take current (a new revision)")
    take_action.add_argument("--star", metavar="TAKE", help="star this take (never pruned)")
    take_action.add_argument("--unstar", metavar="TAKE", help="unstar this take")
    json_flag(p, "the takes")
    p = command("retime", "fit each narration clip to its audio plus a pad and ripple every track")
    p.add_argument("lecture", help="lecture id or exact title")
    p.add_argument(
        "--pad", type=float, default=0.25, metavar="S", help="seconds after the audio (default 0.25)"
    )
    json_flag(p, "the clips moved")
    p = command("clear-stale", "mark clips as current again (all stale clips when none are named)")
    p.add_argument("lecture", help="lecture id or exact title")
    p.add_argument("clips", nargs="*", metavar="CLIP", help="clip ids or exact names")
    json_flag(p, "the clips cleared")
    p = command("batch", "regenerate many clips at once, with a cost and time estimate")
    p.add_argument("lecture", nargs="?", help="lecture id or exact title (not with --retry)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--clips", metavar="ID,…", help="these clips (ids or exact names, comma-separated)")
    which.add_argument("--track", choices=("visual", "voice", "music"), help="every clip of this track")
    which.add_argument("--stale", action="store_true", help="every stale clip")
    which.add_argument("--all", action="store_true", help="every clip")
    which.add_argument("--retry", metavar="BATCH_ID", help="rerun only the failed runs of that batch")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a field for every run whose kind has it (repeatable), e.g. voice=en-gb",
    )
    p.add_argument("--concurrency", type=int, metavar="N", help="runs at once (config [batch] concurrency)")
    p.add_argument("--estimate", action="store_true", help="print runs, cost and ETA; start nothing")
    p.add_argument("--accept", action="store_true", help="accept each preview as soon as it is ready")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for each run")
    json_flag(p, "the estimate or the summary")

    p = command("config", "print the resolved settings and the paths in use")
    json_flag(p, "them")
    p = command("completion", "print a shell completion script")
    p.add_argument("shell", choices=("bash", "zsh"), help="the shell: bash or zsh")
    return parser


def command_names(parser: argparse.ArgumentParser) -> list[str]:
    """The parser's commands, in the order of `--help`."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def _split_lecture(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[list[str], str | None]:
    """Take the editor's LECTURE out of `argv`: the first positional word when it is not a command.

    A LECTURE must be the last word; anything after it is an unknown command's arguments.
    """
    takes_value = {opt for action in parser._actions if action.nargs != 0 for opt in action.option_strings}
    commands = command_names(parser)
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            break
        if word.startswith("-"):
            i += 2 if word in takes_value else 1
            continue
        if word in commands:
            return argv, None
        if i != len(argv) - 1:
            raise UsageError(f"tui-editor: unknown command {word!r} (commands: {', '.join(commands)})")
        return argv[:i], word
    return argv, None


def _print_json(data: Any) -> None:
    from .core.safe_text import json_text

    sys.stdout.write(json_text(data))


def _printable(text: object) -> str:
    """`text` with control characters escaped (`core.safe_text.visible`): names and titles come from
    anywhere, and nothing from data reaches the terminal raw. `--json` and export output stay exact."""
    from .core.safe_text import visible

    return visible(text)


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> None:
    cells = [list(map(str, header))] + [[_printable(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for row in cells:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")


# --- commands --------------------------------------------------------------------------------------


def _open(settings: Any, *, background: bool = False) -> Any:
    from .runs.runtime import open_runtime

    return open_runtime(settings, background=background)


def _open_reader(settings: Any) -> Any:
    """The store alone, for commands that only read: works on a read-only or full disk (no engine, no
    housekeeping writes, no migration of a current database)."""
    from .core.errors import StoreError
    from .core.store import open_store

    if not settings.data_path.is_dir():  # a first run: made as by every other command
        try:
            settings.data_path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the data directory {settings.data_path}: {exc.strerror}"
            ) from None
    return open_store(settings.database_url, readonly=True)


def cmd_demo(settings: Any, args: argparse.Namespace) -> int:
    from .demo import ensure_demo

    runtime = _open(settings)
    try:
        lecture_id = ensure_demo(runtime.store, settings.data_path)
        print(_printable(lecture_id))
    finally:
        runtime.close()
    return 0


def cmd_lectures(settings: Any, args: argparse.Namespace) -> int:
    store = _open_reader(settings)
    try:
        lectures = store.list_lectures()
    finally:
        store.close()
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

    store = _open_reader(settings)
    try:
        lecture_id = store.resolve_lecture(args.lecture)
        snapshot = store.load_snapshot(lecture_id)
        if args.json:
            from .cli_timing import add_overflow
            from .core.exchange import snapshot_to_export

            _print_json(add_overflow(snapshot_to_export(snapshot), snapshot))
            return 0
    finally:
        store.close()
    print(f"{_printable(snapshot.title)}  ({_printable(snapshot.id)}, revision {snapshot.revision})")
    if snapshot.summary:
        print(_printable(snapshot.summary))
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
    if args.revisions:
        if args.format != "tui-editor" or args.with_media:
            from .core.errors import BadInputError

            raise BadInputError("--revisions writes tui-editor JSON only (no --format, no --with-media)")
        from .cli_history import export_revisions

        return export_revisions(settings, args.lecture, args.revisions)
    if args.format == "tutopanda":
        return cmd_export_tutopanda(settings, args)
    if args.with_media:
        from .core.errors import BadInputError

        raise BadInputError("--with-media works only with --format tutopanda")
    store = _open_reader(settings)
    try:
        data = store.export_lecture(store.resolve_lecture(args.lecture))
    finally:
        store.close()
    from .core.safe_text import json_text

    text = json_text(data)
    if args.output:
        from .core.errors import BadInputError
        from .generators.files import atomic_write_bytes

        output = Path(args.output)
        try:  # whole or not at all: a full disk leaves no half file (nor a truncated old one)
            if output.exists() and not output.is_file():  # a pipe or a device: written as it is
                output.write_text(text, encoding="utf-8")
            else:
                atomic_write_bytes(output, text.encode("utf-8"))
        except OSError as exc:
            raise BadInputError(f"{args.output}: cannot write: {exc.strerror}") from None
    else:
        sys.stdout.write(text)
    return 0


def cmd_import(settings: Any, args: argparse.Namespace) -> int:
    from .core.exchange import read_lecture_file

    if args.format == "tutopanda":
        return cmd_import_tutopanda(settings, args)
    with hint_tutopanda(args.file):
        lecture = read_lecture_file(
            args.file, data_dir=settings.data_path
        )  # validated before the database is touched
    runtime = _open(settings)
    try:
        lecture_id = runtime.store.create_lecture(lecture, source="import")
        summary = next(x for x in runtime.store.list_lectures() if x["id"] == lecture_id)
    finally:
        runtime.close()
    if args.json:
        _print_json(summary)
    else:
        title = _printable(summary["title"])
        print(f"Imported '{title}' as {_printable(lecture_id)} ({summary['clips']} clips)")
    return 0


def cmd_regenerate(settings: Any, args: argparse.Namespace) -> int:
    from .core.errors import BadInputError
    from .core.flow import StartRequest
    from .core.kinds import request_flags
    from .runs.waiting import wait_for_run

    # --no-wait only starts a run: no event tail to open (and stop) for a result it does not wait for.
    runtime = _open(settings, background=not args.no_wait)
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
            StartRequest(
                lecture_id=lecture_id, clip_id=clip.id, kind=kind.name, fields=fields, seed=args.seed
            )
        )
        if args.no_wait:
            record = engine.get(run_id)
            _report_run(record, args.json)
            return 0
        try:
            record = wait_for_run(engine, run_id, timeout=args.timeout)
        except KeyboardInterrupt:
            engine.cancel(run_id)
            print(f"cancelled {_printable(run_id)}", file=sys.stderr)
            return 1
        from .core.exchange import asset_json

        extra: dict[str, Any] = {"preview": dict(record.preview_asset or {}) or None}
        if record.status != "preview_ready":
            _report_run(record, args.json, extra)
            if not args.json:
                line = f"run {run_id} {record.status}: {record.error or ''}".rstrip(": ")
                print(f"tui-editor: {_printable(line)}", file=sys.stderr)
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
    line = f"{_printable(record.id)}  {_printable(record.kind)}  {_printable(record.status)}"
    preview = extra.get("preview")
    if preview and preview.get("file") and record.status in ("preview_ready", "accepted"):
        line += f"  {_printable(preview['file'])}"
    if "revision" in extra:
        line += f"  (lecture revision {extra['revision']})"
    if record.error:
        line += f"  error: {_printable(record.error)}"
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
                (
                    r.id,
                    r.kind,
                    r.clip_id,
                    r.status,
                    "" if r.seed is None else r.seed,
                    r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    r.decided_by or "",
                    r.error or "",
                )
                for r in runs
            ],
            ("ID", "KIND", "CLIP", "STATUS", "SEED", "CREATED (UTC)", "DECIDED BY", "ERROR"),
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
    from .cli_history import print_revisions

    print_revisions(revisions, args)
    return 0


def cmd_restore(settings: Any, args: argparse.Namespace) -> int:
    runtime = _open(settings)
    try:
        lecture_id = runtime.store.resolve_lecture(args.lecture)
        revision = runtime.store.restore_revision(
            lecture_id,
            args.revision,
            decided_by=settings.user.resolved_name(),
            publish=runtime.hub.publish,
        )
    finally:
        runtime.close()
    print(f"Restored revision {args.revision}; the lecture is now at revision {_printable(revision)}")
    return 0


def _hide_password(url: str) -> str:
    """The database URL with its password (in the authority or a `password=` query) as ***."""
    import re

    from sqlalchemy.engine import make_url

    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: hide what looks like a password
        shown = re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", url)
    return re.sub(r"(?i)(password=)[^&]*", r"\1***", shown)


def _toml_key(key: str) -> str:
    import re

    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_lines(table: dict[str, Any], prefix: str = "") -> list[str]:
    """`table` as TOML; strings as JSON strings (valid TOML, control characters escaped)."""
    lines = [f"{_toml_key(k)} = {json.dumps(v)}" for k, v in table.items() if not isinstance(v, dict)]
    for key, value in table.items():
        if isinstance(value, dict):
            name = f"{prefix}.{_toml_key(key)}" if prefix else _toml_key(key)
            only_tables = value and all(isinstance(v, dict) for v in value.values())
            lines += [] if only_tables else ["", f"[{name}]"]
            lines += _toml_lines(value, name)
    return lines


def _config_report(settings: Any) -> dict[str, Any]:
    from .config import default_config_path

    config_file = Path(settings.config_file) if settings.config_file else default_config_path()
    values = settings.as_dict()
    values["database"]["url"] = _hide_password(values["database"]["url"])
    api_keys = {
        name: {
            "env": provider["api_key_env"],
            "key": "set" if os.environ.get(provider["api_key_env"], "").strip() else "unset",
        }
        for name, provider in values["providers"].items()
    }
    return {
        "paths": {
            "config_file": str(config_file),
            "config_file_exists": config_file.is_file(),
            "data_dir": str(settings.data_path),
            "database": _hide_password(settings.database_url),
            "log_file": str(settings.log_path),
        },
        "api_keys": api_keys,
        "settings": values,
    }


def cmd_config(settings: Any, args: argparse.Namespace) -> int:
    from .logs import api_key_values, redact, secret_forms

    report = _config_report(settings)
    if args.json:
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    else:
        paths = report["paths"]
        found = "" if paths["config_file_exists"] else "  (not found: built-in defaults)"
        keys = "; ".join(f"{name}: {k['env']} {k['key']}" for name, k in report["api_keys"].items())
        rows = [
            ("config file", paths["config_file"] + found),
            ("data dir", paths["data_dir"]),
            ("database", paths["database"]),
            ("log file", paths["log_file"]),
            ("API keys", keys),
        ]
        text = "".join(f"{label:<12} {_printable(value)}\n" for label, value in rows)
        text += "\n".join(_toml_lines(report["settings"])) + "\n"
    # A key pasted into a setting by mistake is not printed either.
    sys.stdout.write(redact(text, secret_forms(api_key_values(settings))))
    return 0


def cmd_completion(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    import shtab  # only here: nothing else needs it

    sys.stdout.write(shtab.complete(parser, shell=args.shell))
    return 0


def _elsewhere(module: str, name: str) -> Callable[[Any, argparse.Namespace], int]:
    """A command handler that lives in `tui_editor.<module>` (imported when the command runs)."""

    def handler(settings: Any, args: argparse.Namespace) -> int:
        import importlib

        found: Callable[[Any, argparse.Namespace], int] = getattr(
            importlib.import_module(f"{__package__}.{module}"), name
        )
        return found(settings, args)

    return handler


HANDLERS: dict[str, Callable[[Any, argparse.Namespace], int]] = {
    "demo": cmd_demo,
    "lectures": cmd_lectures,
    "show": cmd_show,
    "export": cmd_export,
    "import": cmd_import,
    "new": cmd_new,
    "regenerate": cmd_regenerate,
    "runs": cmd_runs,
    "accept": cmd_accept,
    "reject": cmd_reject,
    "cancel": cmd_cancel,
    "revisions": cmd_revisions,
    "restore": cmd_restore,
    "retime": _elsewhere("cli_timing", "cmd_retime"),
    "clear-stale": _elsewhere("cli_timing", "cmd_clear_stale"),
    "batch": _elsewhere("cli_batch", "cmd_batch"),
    "config": cmd_config,
    "temporal-dev": _elsewhere("cli_team", "cmd_temporal_dev"),
    "worker": _elsewhere("cli_team", "cmd_worker"),
    "render": _elsewhere("cli_render", "cmd_render"),  # PyAV loads only for this command
    "undo": cli_review.cmd_undo,
    "takes": cli_review.cmd_takes,
}


def _fail(message: str, code: int) -> int:
    """One line on stderr: the message with control characters (and line breaks) made visible."""
    sys.stderr.write(f"tui-editor: {_printable(message)}\n")
    return code


def _needs_a_terminal() -> str | None:
    if sys.stdin.isatty() and sys.stdout.isatty():
        return None
    return (
        "the editor needs a terminal (stdin and stdout must be a TTY); "
        "use a command such as `tui-editor lectures`"
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if hasattr(signal, "SIGPIPE"):  # `tui-editor runs | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    parser = build_parser()
    try:
        words, lecture_ref = _split_lecture(parser, argv)
        args = parser.parse_args(words)
    except UsageError as exc:
        return _fail(str(exc).removeprefix("tui-editor: "), 2)
    if args.command == "completion":  # needs no settings: a broken config must not break the shell
        return cmd_completion(parser, args)
    editor = args.command is None
    if editor and (problem := _needs_a_terminal()):
        return _fail(problem, 2)

    from .config import ConfigError, load_settings

    try:
        settings = load_settings(
            args.config, data_dir=args.data_dir, db_url=args.db, log_level=args.log_level
        )
    except ConfigError as exc:
        return _fail(exc.message, 2)

    from .logs import setup_logging

    setup_logging(settings, interactive=editor)
    code = _run_command(settings, args, editor, lecture_ref, parser)
    from .logs import deferred_warnings

    if code == 0:  # a failure is exactly one line on stderr; warnings wait for success
        for line in deferred_warnings:
            sys.stderr.write(f"tui-editor: {_printable(line)}\n")
    deferred_warnings.clear()
    return code


def _run_command(
    settings: Any,
    args: argparse.Namespace,
    editor: bool,
    lecture_ref: str | None,
    parser: argparse.ArgumentParser,
) -> int:
    """Run the editor or a command; every failure becomes one line on stderr and its exit code."""
    from .core.errors import TuiEditorError

    try:
        if editor:
            from .ui.run import run_app

            return run_app(settings, lecture_ref, commands=command_names(parser))
        return HANDLERS[args.command](settings, args)
    except TuiEditorError as exc:
        return _fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        if os.environ.get("TUI_EDITOR_DEBUG"):
            raise
        logging.getLogger(__name__).exception("unexpected error")
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _fail(f"unexpected error: {detail} (set TUI_EDITOR_DEBUG=1 to see the traceback)", 1)


def run() -> None:
    code = main()
    if "temporalio" in sys.modules:
        # temporalio's core threads can abort a finished process at interpreter exit
        # (temporalio/sdk-python#300): leave at once once everything is written.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
