"""A real HTTP server on 127.0.0.1 that speaks the provider APIs the HTTP generators use.

Endpoints (default behaviour, all scriptable):

- `POST /v1/images/generations` → `{"data": [{"b64_json": <small PNG>}]}`
- `POST /v1/audio/speech` → a small WAV (`audio/wav`)
- `POST /v1/models/{owner}/{name}/predictions` and `POST /v1/predictions` → a new prediction
- `GET /v1/predictions/{id}` → the prediction, advancing one status per poll (see `PredictionScript`)
- `POST /v1/predictions/{id}/cancel` → marks the prediction canceled
- `GET /files/{name}` → one of `files` (PNG, JPEG, WebP, WAV, MP3 made in memory)

`script(method, path_glob, *replies)` queues replies that are used, in order, before the default
behaviour: errors, delays, malformed bodies, oversized downloads. Every request is recorded.
"""

from __future__ import annotations

import base64
import fnmatch
import io
import json
import struct
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

SECRET = "sk-test-TOPSECRET-1234567890abcdef"
"""The API key the tests use; it must never show up in an error message, log line or repr."""
ENV = {"OPENAI_API_KEY": SECRET, "REPLICATE_API_TOKEN": SECRET}

MAX_DELAY_S = 5.0
"""Server-side delays are bounded so a test can never hang on the fake."""


# --- media made in memory -----------------------------------------------------------------------


def make_image(width: int = 64, height: int = 36, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def make_wav(seconds: float = 0.5, rate: int = 8000, channels: int = 1) -> bytes:
    frames = int(seconds * rate)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x10\x00" * frames * channels)
    return buffer.getvalue()


def make_streamed_wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A WAV whose RIFF and data sizes are the 0xFFFFFFFF placeholders streaming servers send."""
    data = bytearray(make_wav(seconds, rate))
    data[4:8] = struct.pack("<I", 0xFFFFFFFF)
    index = data.index(b"data")
    data[index + 4 : index + 8] = struct.pack("<I", 0xFFFFFFFF)
    return bytes(data)


def make_rf64_wav(seconds: float = 0.5, rate: int = 8000, *, streamed: bool = False) -> bytes:
    """A 16-bit mono RF64 WAV: the 32-bit sizes are 0xFFFFFFFF and the real data size is in `ds64`.

    Unless `streamed`, a LIST chunk follows the samples (only the ds64 size tells where they end);
    `streamed` leaves the ds64 sizes at 0 too, as a writer that never went back to fill them in does.
    """
    pcm = make_wav(seconds, rate)[44:]
    frames = len(pcm) // 2
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    trailer = b"LIST" + struct.pack("<I", 8) + b"INFOtest"
    riff_size = 4 + (8 + 28) + (8 + len(fmt)) + (8 + len(pcm)) + len(trailer)
    sizes = (0, 0, 0) if streamed else (riff_size, len(pcm), frames)
    return (
        b"RF64"
        + struct.pack("<I", 0xFFFFFFFF)
        + b"WAVE"
        + b"ds64"
        + struct.pack("<IQQQI", 28, *sizes, 0)
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", 0xFFFFFFFF)
        + pcm
        + (b"" if streamed else trailer)
    )


def make_mp3(frames: int = 100) -> bytes:
    """Constant-bitrate MPEG-1 Layer III frames (128 kbps, 44.1 kHz, silent payload) after an ID3 tag."""
    header = bytes([0xFF, 0xFB, 0x90, 0x44])  # MPEG1 L3, no CRC, 128 kbps, 44100 Hz, joint stereo
    frame = header + bytes(417 - len(header))  # 144 * 128000 / 44100 = 417 bytes per frame
    id3 = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10)  # a 10-byte (empty) ID3v2 tag
    return id3 + frame * frames


def mp3_seconds(frames: int = 100) -> float:
    return frames * 1152 / 44100


PNG_BYTES = make_image(64, 36, "PNG")
JPEG_BYTES = make_image(48, 48, "JPEG")
WEBP_BYTES = make_image(40, 30, "WEBP")
SPEECH_WAV = make_wav(0.5)
MUSIC_WAV = make_wav(1.0, rate=8000, channels=2)


# --- scripting ----------------------------------------------------------------------------------


@dataclass
class Reply:
    """One scripted reply. `json` is serialised unless `body` is given."""

    status: int = 200
    json: Any = None
    body: bytes | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    """Wait this long (bounded by MAX_DELAY_S) before answering."""
    filler_bytes: int | None = None
    """Send this many bytes of filler as the body (oversized downloads)."""
    content_length: bool = True
    """False: no Content-Length; the body ends when the server closes the connection."""
    drip_s: float = 0.0
    """Send the body one byte at a time, this many seconds apart (a server that drips)."""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    """Header names lower-cased."""
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class PredictionScript:
    """How predictions behave: `statuses[0]` on creation, then one step further per poll (the last
    status repeats, so ending on "processing" never finishes)."""

    statuses: list[str] = field(default_factory=lambda: ["starting", "processing", "succeeded"])
    output: Any = None
    """The output once succeeded; None: a file URL chosen from the model name."""
    error: str | None = None
    logs: bool = True


@dataclass
class _Prediction:
    id: str
    model: str
    input: Any
    polls: int = 0
    canceled: bool = False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeProvider


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms ACK stalls
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
        self.server.fake._handle(self)

    def do_POST(self) -> None:  # noqa: N802
        self.server.fake._handle(self)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


class FakeProvider:
    """The loopback server. `start()` it, point `ProviderSettings.base_url` at `base_url`, `stop()` it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._queues: list[tuple[str, str, list[Reply]]] = []
        self._predictions: dict[str, _Prediction] = {}
        self.requests: list[RecordedRequest] = []
        self.answered: list[RecordedRequest] = []
        """The requests whose reply has been sent (in that order)."""
        self.prediction = PredictionScript()
        self.files: dict[str, tuple[bytes, str]] = {
            "image.png": (PNG_BYTES, "image/png"),
            "image.jpg": (JPEG_BYTES, "image/jpeg"),
            "image.webp": (WEBP_BYTES, "image/webp"),
            "speech.wav": (SPEECH_WAV, "audio/wav"),
            "music.wav": (MUSIC_WAV, "audio/wav"),
            "speech.mp3": (make_mp3(100), "audio/mpeg"),
        }
        self.image_bytes = PNG_BYTES
        self.speech_bytes = SPEECH_WAV
        self.required_token: str | None = None
        """When set, /v1/ requests without `Authorization: Bearer <token>` get a 401 echoing what came."""

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> FakeProvider:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-provider", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # --- scripting and inspection ---------------------------------------------------------------
    def script(self, method: str, path_glob: str, *replies: Reply) -> None:
        """Queue `replies` for requests matching `method` and `path_glob` (fnmatch), used in order."""
        with self._lock:
            self._queues.append((method.upper(), path_glob, list(replies)))

    def received(self, method: str | None = None, path_glob: str = "*") -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper()) and fnmatch.fnmatchcase(r.path, path_glob)
            ]

    # --- request handling -----------------------------------------------------------------------
    def _handle(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        record = RecordedRequest(
            method=handler.command,
            path=parts.path,
            query=parts.query,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(record)
            reply = self._next_scripted(record)
        if reply is None:
            reply = self._default(record)
        self._send(handler, reply)
        with self._lock:
            self.answered.append(record)

    def _next_scripted(self, record: RecordedRequest) -> Reply | None:
        for method, glob, replies in self._queues:
            if method == record.method and fnmatch.fnmatchcase(record.path, glob) and replies:
                return replies.pop(0)
        return None

    def _default(self, record: RecordedRequest) -> Reply:
        if self.required_token is not None and record.path.startswith("/v1/"):
            sent = record.headers.get("authorization", "")
            if sent != f"Bearer {self.required_token}":
                return Reply(401, {"error": {"message": f"Incorrect API key provided: {sent}"}})
        method, path = record.method, record.path
        segments = [s for s in path.split("/") if s]
        if method == "POST" and path == "/v1/images/generations":
            encoded = base64.b64encode(self.image_bytes).decode()
            return Reply(json={"created": 1, "data": [{"b64_json": encoded}]})
        if method == "POST" and path == "/v1/audio/speech":
            return Reply(body=self.speech_bytes, content_type="audio/wav")
        if (
            method == "POST"
            and len(segments) == 5
            and segments[:2] == ["v1", "models"]
            and segments[4] == ("predictions")
        ):
            return self._create(f"{segments[2]}/{segments[3]}", record)
        if method == "POST" and path == "/v1/predictions":
            payload = record.json or {}
            return self._create(f"version:{payload.get('version')}", record)
        if len(segments) >= 3 and segments[:2] == ["v1", "predictions"]:
            with self._lock:
                prediction = self._predictions.get(segments[2])
            if prediction is None:
                return Reply(404, {"detail": "Prediction not found"})
            if method == "GET" and len(segments) == 3:
                with self._lock:
                    prediction.polls += 1
                return Reply(json=self._view(prediction))
            if method == "POST" and len(segments) == 4 and segments[3] == "cancel":
                with self._lock:
                    prediction.canceled = True
                return Reply(json=self._view(prediction))
        if method == "GET" and len(segments) == 2 and segments[0] == "files" and segments[1] in self.files:
            data, content_type = self.files[segments[1]]
            return Reply(body=data, content_type=content_type)
        return Reply(404, {"detail": f"no route for {method} {path}"})

    def _create(self, model: str, record: RecordedRequest) -> Reply:
        payload = record.json or {}
        with self._lock:
            prediction_id = f"p{len(self._predictions) + 1:04d}"
            prediction = _Prediction(prediction_id, model, payload.get("input"))
            self._predictions[prediction_id] = prediction
            view = self._view(prediction)
        return Reply(201, view)

    def _view(self, prediction: _Prediction) -> dict[str, Any]:
        script = self.prediction
        statuses = script.statuses
        status = "canceled" if prediction.canceled else statuses[min(prediction.polls, len(statuses) - 1)]
        output: Any = None
        if status == "succeeded":
            output = script.output if script.output is not None else self._default_output(prediction.model)
        base = self.base_url
        return {
            "id": prediction.id,
            "model": prediction.model,
            "input": prediction.input,
            "status": status,
            "output": output,
            "error": script.error if status == "failed" else None,
            "logs": "\n".join(f"step {i}" for i in range(prediction.polls + 1)) if script.logs else None,
            "urls": {
                "get": f"{base}/v1/predictions/{prediction.id}",
                "cancel": f"{base}/v1/predictions/{prediction.id}/cancel",
            },
        }

    def _default_output(self, model: str) -> Any:
        if "speech" in model:
            return self.url("/files/speech.wav")
        if "audio" in model:
            return self.url("/files/music.wav")
        return [self.url("/files/image.png")]

    def _send(self, handler: _Handler, reply: Reply) -> None:
        if reply.delay_s > 0 and self._stop.wait(min(reply.delay_s, MAX_DELAY_S)):
            handler.close_connection = True
            return
        if reply.body is not None:
            body = reply.body
        elif reply.json is not None:
            body = json.dumps(reply.json).encode()
        else:
            body = b""
        content_type = reply.content_type or ("application/json" if reply.json is not None else "text/plain")
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", content_type)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            size = reply.filler_bytes if reply.filler_bytes is not None else len(body)
            if reply.content_length:
                handler.send_header("Content-Length", str(size))
            else:
                handler.send_header("Connection", "close")
                handler.close_connection = True
            handler.end_headers()
            if reply.filler_bytes is None and reply.drip_s > 0:
                for index in range(len(body)):
                    handler.wfile.write(body[index : index + 1])
                    handler.wfile.flush()
                    if self._stop.wait(reply.drip_s):
                        break
            elif reply.filler_bytes is None:
                handler.wfile.write(body)
            else:
                chunk = b"\x00" * 16384
                sent = 0
                while sent < size and not self._stop.is_set():
                    part = chunk[: min(len(chunk), size - sent)]
                    handler.wfile.write(part)
                    sent += len(part)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            handler.close_connection = True


class Progress:
    """A `progress` callback that records its calls and can run a hook on each."""

    def __init__(self, hook: Callable[[int, int, str], None] | None = None) -> None:
        self.calls: list[tuple[int, int, str]] = []
        self._hook = hook

    def __call__(self, step: int, total: int, message: str) -> None:
        self.calls.append((step, total, message))
        if self._hook is not None:
            self._hook(step, total, message)

    def assert_sane(self) -> None:
        """Steps rise one at a time from 0, never exceed their total, the total never shrinks, and the
        last call completes."""
        assert self.calls, "no progress was reported"
        steps = [step for step, _total, _message in self.calls]
        totals = [total for _step, total, _message in self.calls]
        assert steps == list(range(len(steps))), self.calls
        assert totals == sorted(totals), self.calls
        assert all(0 <= step <= total for step, total, _message in self.calls), self.calls
        assert all(isinstance(message, str) and message for _s, _t, message in self.calls), self.calls
        last_step, last_total, _message = self.calls[-1]
        assert last_step == last_total, self.calls
