"""Previews over SSH: one file served on 127.0.0.1 behind a one-time link (stdlib `http.server`).

Over SSH an external player would play on the remote box, where nobody hears it. Instead the review
serves the preview from the remote box's loopback interface, on a random port, and shows the link and the
`ssh -L` command that forwards that port to the reviewer's machine, where a browser plays it.

What is served, and to whom:
- exactly one file, at `/<name>` (a fixed name such as `preview.wav`, never the stored file name);
  every other path is 404, there is no listing;
- the link carries a one-time token (`?token=…`, `secrets.token_urlsafe`, compared with
  `hmac.compare_digest`). The first request with the right token is served and spends it; the response
  sets a session cookie (random, HttpOnly, SameSite=Strict) so that the same browser's follow-up requests
  (media players ask again for byte ranges to seek) are served too;
- the spent token again, without the cookie: 410 Gone ("already used"); a wrong or missing token: 403;
- GET and HEAD only (anything else: 501); single byte ranges are honoured (206).
The server runs in a daemon thread; `stop()` (idempotent) shuts it down and frees the port. It logs
nothing to stderr (the terminal belongs to the UI).
"""

from __future__ import annotations

import getpass
import hmac
import mimetypes
import re
import secrets
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

LOOPBACK = "127.0.0.1"
COOKIE = "tui_editor_preview"
_SAFE_WORD = re.compile(r"^[A-Za-z0-9._%:+-]{1,253}$")
USED_MESSAGE = "This link was already used; press play again for a new one"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "tui-editor"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass  # never onto the UI's terminal

    def do_HEAD(self) -> None:  # noqa: N802 - the stdlib's naming
        self._answer(body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(body=True)

    def _refuse(self, status: HTTPStatus, text: str, body: bool) -> None:
        data = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _cookie(self) -> str:
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                return value
        return ""

    def _answer(self, *, body: bool) -> None:
        link = self.server.link
        url = urlsplit(self.path)
        if url.path != "/" + quote(link.name):
            self._refuse(HTTPStatus.NOT_FOUND, "Not found", body)
            return
        new_cookie = ""
        if link.session and _same(self._cookie(), link.session):
            pass  # the browser that used the link asks again (a byte range, a replay)
        else:
            tokens = parse_qs(url.query).get("token", [])
            token = tokens[0] if len(tokens) == 1 else ""
            if not token or not _same(token, link.token):
                self._refuse(HTTPStatus.FORBIDDEN, "Forbidden", body)
                return
            if not link.spend():
                self._refuse(
                    HTTPStatus.GONE, "This link was already used; press play again for a new one", body
                )
                return
            new_cookie = link.session
        self._send_file(link, new_cookie, body)

    def _send_file(self, link: LinkServer, cookie: str, body: bool) -> None:
        try:
            handle = link.file.open("rb")
        except OSError:
            self._refuse(HTTPStatus.NOT_FOUND, "The preview file is gone", body)
            return
        with handle:
            size = link.file.stat().st_size
            first, last = 0, size - 1
            status = HTTPStatus.OK
            match = _RANGE.match(self.headers.get("Range", "").strip())
            if match and size > 0 and (match.group(1) or match.group(2)):
                if match.group(1):
                    first = int(match.group(1))
                    last = min(size - 1, int(match.group(2))) if match.group(2) else size - 1
                else:  # the last N bytes
                    first = max(0, size - int(match.group(2)))
                if first > last or first >= size:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = HTTPStatus.PARTIAL_CONTENT
            length = max(0, last - first + 1)
            self.send_response(status)
            self.send_header("Content-Type", link.content_type)
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Content-Disposition", f'inline; filename="{link.name}"')
            if status == HTTPStatus.PARTIAL_CONTENT:
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            if cookie:
                self.send_header("Set-Cookie", f"{COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Strict")
            self.end_headers()
            if not body:
                return
            handle.seek(first)
            remaining = length
            try:
                while remaining > 0:
                    chunk = handle.read(min(remaining, 256 * 1024))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    remaining -= len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the browser stopped listening (it often does, to ask for a range instead)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, link: LinkServer, host: str, port: int) -> None:
        self.link = link
        super().__init__((host, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that vanished mid-request: nothing to report on the UI's terminal


class LinkServer:
    """Serves `file` once (see the module docstring) at `url` until `stop()`.

    `name` is the file name in the URL (letters, digits, `.`, `-`, `_`); the content type follows it.
    """

    def __init__(self, file: Path, *, name: str = "preview", host: str = LOOPBACK, port: int = 0) -> None:
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", name):
            raise ValueError(f"not a plain file name: {name!r}")
        self.file = Path(file)
        self.name = name
        self.content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.token = secrets.token_urlsafe(24)
        self.session = ""
        self.uses = 0
        """How many times the token was accepted (0 or 1)."""
        self._lock = threading.Lock()
        self._server = _Server(self, host, port)
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="preview-link", daemon=True)
        self._thread.start()
        self._stopped = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/{quote(self.name)}?token={self.token}"

    @property
    def running(self) -> bool:
        return not self._stopped

    def spend(self) -> bool:
        """Accept the token once: True the first time (and a session cookie is made), False after."""
        with self._lock:
            if self.uses:
                return False
            self.uses = 1
            self.session = secrets.token_urlsafe(24)
            return True

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LinkServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def over_ssh(environ: Mapping[str, str]) -> bool:
    """Whether this process runs in an SSH session (`SSH_CONNECTION` set)."""
    return bool(environ.get("SSH_CONNECTION", "").strip())


def ssh_forward_command(port: int, environ: Mapping[str, str]) -> str:
    """`ssh -L PORT:127.0.0.1:PORT [-p N] user@host`: run on the reviewer's machine to reach the link.

    The host is the server address of `SSH_CONNECTION` (as the reviewer's machine reached it), the user
    this process's; anything that does not look like a plain host or user name is shown as HOST / USER.
    """
    parts = environ.get("SSH_CONNECTION", "").split()
    host = parts[2] if len(parts) == 4 and _SAFE_WORD.match(parts[2]) else "HOST"
    ssh_port = parts[3] if len(parts) == 4 and parts[3].isdigit() else "22"
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = ""
    user = user if _SAFE_WORD.match(user) else "USER"
    port_option = f" -p {ssh_port}" if ssh_port != "22" else ""
    return f"ssh -L {port}:{LOOPBACK}:{port}{port_option} {user}@{host}"
