"""Shared HTTP machinery for the remote media providers (OpenAI-compatible servers, Replicate).

One `ProviderClient` per generation: it opens an `httpx.AsyncClient` with the provider's timeouts, reads
the API key from the environment at call time (never from a file, never stored on the object), retries
429 / 5xx / connection failures with exponential backoff (honouring `Retry-After`), stops at once when
the run's task is cancelled (every wait is an `await`), streams downloads into the run's folder under a
size limit, and turns every failure into a `GenerationError` whose message is readable and never
contains the key.

What a received file is (format, image size, audio duration) is `media_info.py`'s job; atomic writes
live in `files.py`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
import os
import random
import secrets
import ssl
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes, urlsplit

import httpx

from tui_editor.config import ProviderSettings
from tui_editor.core.redaction import REDACTED, key_problem, redact, secret_forms
from tui_editor.generators.base import GenerationError
from tui_editor.generators.files import AtomicFile, atomic_write_bytes
from tui_editor.generators.media_info import choose_extension

log = logging.getLogger(__name__)

T = TypeVar("T")

USER_AGENT = "tui-editor/0.1"
MAX_BACKOFF_S = 30.0
"""Longest exponential-backoff wait between two attempts."""
MAX_RETRY_AFTER_S = 60.0
"""A provider's `Retry-After` is honoured up to this many seconds."""
ERROR_BODY_LIMIT = 64 * 1024
"""Bytes of an error reply read to find the provider's message."""
_MB = 1024 * 1024

RETRYABLE_STATUSES = frozenset({408, 425, 429})


class _Transient(Exception):
    """An attempt failed in a way worth retrying (429, 5xx, timeout, connection error).

    `maybe_processed`: the server may have received and started the request (a read timeout, a 5xx,
    a dropped connection) — a request that may have been billed is then never sent again.
    """

    def __init__(
        self, message: str, retry_after: float | None = None, *, maybe_processed: bool = True
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.maybe_processed = maybe_processed


@dataclass(frozen=True)
class Reply:
    """A provider's reply, fully read (bodies are size-limited)."""

    status: int
    headers: httpx.Headers
    content: bytes
    url: str

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", "")).split(";")[0].strip().lower()


# --- pure helpers -------------------------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date), capped; None if absent."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:  # pragma: no cover - older Pythons returned None
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def provider_message(content: bytes) -> str | None:
    """The error message a provider put in its reply body, if it has a recognisable one."""
    if not content:
        return None
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        text = content[:2000].decode("utf-8", "replace").strip()
        if not text or text.lstrip().startswith("<"):  # HTML error pages say nothing useful
            return None
        return one_line(text)
    if not isinstance(data, dict):
        return None
    parts: list[str] = []
    error = data.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        if isinstance(message, str) and message.strip():
            parts.append(message)
    elif isinstance(error, str) and error.strip():
        parts.append(error)
    detail = data.get("detail")
    if isinstance(detail, str) and detail.strip():
        parts.append(detail)
    elif isinstance(detail, list):  # FastAPI-style validation errors
        for item in detail[:3]:
            if isinstance(item, dict) and isinstance(item.get("msg"), str):
                parts.append(str(item["msg"]))
    invalid = data.get("invalid_fields")
    if isinstance(invalid, list):
        for item in invalid[:3]:
            if isinstance(item, dict) and isinstance(item.get("description"), str):
                parts.append(str(item["description"]))
    if not parts and isinstance(data.get("message"), str):
        parts.append(str(data["message"]))
    if not parts and isinstance(data.get("title"), str):
        parts.append(str(data["title"]))
    return one_line("; ".join(parts)) if parts else None


def same_origin(a: str, b: str) -> bool:
    first, second = urlsplit(a), urlsplit(b)
    return (first.scheme.lower(), first.netloc.lower()) == (second.scheme.lower(), second.netloc.lower())


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


_ssl_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None


def _shared_ssl_context() -> ssl.SSLContext:
    """One verifying SSL context for every client (building one costs tens of milliseconds)."""
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


def _describe_transport(exc: httpx.RequestError) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {one_line(text, 160)}" if text else name


# --- the client ---------------------------------------------------------------------------------


class ProviderClient:
    """An HTTP session with one provider, for the length of one generation.

    Use as `async with ProviderClient(settings, provider="OpenAI") as http: ...`. Paths starting with
    "/" are relative to `settings.base_url`; absolute URLs are used as they are. The API key is sent as
    `Authorization: Bearer …` only to the provider's own origin (never to a CDN it links to).
    """

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        provider: str,
        environ: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.provider = provider
        self._environ: Mapping[str, str] = os.environ if environ is None else environ
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return (
            f"ProviderClient(provider={self.provider!r}, base_url={self.settings.base_url!r}, "
            f"api_key_env={self.settings.api_key_env!r})"
        )

    # --- key handling ---------------------------------------------------------------------------
    @property
    def key_env(self) -> str:
        return self.settings.api_key_env

    def api_key(self) -> str:
        """The key, read from the environment now; a `GenerationError` naming the variable if it is
        unset or malformed (a line break, a space, a non-ASCII character: it could not be sent in a
        header). The message never quotes the key."""
        raw = self._environ.get(self.key_env, "")
        key = raw.strip()
        if not key:
            raise GenerationError(
                f"{self.provider}: no API key — set the environment variable {self.key_env} "
                f"to your {self.provider} API key",
                retryable=False,
            )
        problem = key_problem(key)
        if problem is not None:
            raise GenerationError(
                f"{self.provider}: the API key in the environment variable {self.key_env} is malformed "
                f"(it contains {problem}) — set it to the key alone",
                retryable=False,
            )
        return key

    def scrub(self, text: str) -> str:
        """`text` with the API key (if any) replaced by `***`, in every spelling (`core.redaction`)."""
        raw = self._environ.get(self.key_env, "")
        if not raw.strip():
            return text
        return redact(text, secret_forms([raw])).replace(REDACTED, "***")

    def error(self, message: str, *, retryable: bool = True) -> GenerationError:
        """A `GenerationError` saying `<provider>: <message>`, with the key scrubbed out."""
        return GenerationError(self.scrub(f"{self.provider}: {message}"), retryable=retryable)

    # --- session --------------------------------------------------------------------------------
    async def __aenter__(self) -> ProviderClient:
        self.api_key()  # fail before any network traffic when the key is missing
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(self.settings.timeout_s),
            follow_redirects=True,
            trust_env=not _is_loopback(self.settings.base_url),
            verify=_shared_ssl_context(),
            headers={"User-Agent": USER_AGENT},
            transport=self._transport,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
        if isinstance(exc, Exception) and not isinstance(exc, GenerationError):
            # Anything unexpected inside a provider session still leaves as one readable, scrubbed
            # error: its text could quote a header, hence the key.
            log.error("%s", self.scrub(f"{self.provider}: unexpected {type(exc).__name__}: {exc}"))
            raise self.error(f"unexpected failure: {type(exc).__name__}: {one_line(str(exc), 160)}") from None

    async def aclose(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    @property
    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("ProviderClient used outside `async with`")
        return self._http

    def url(self, path_or_url: str) -> str:
        """An absolute URL: `path_or_url` itself, or the base URL joined with a "/…" path."""
        if "://" in path_or_url:
            return path_or_url
        base = self.settings.base_url.rstrip("/")
        path = "/" + path_or_url.lstrip("/")
        if base.endswith("/v1") and (path == "/v1" or path.startswith("/v1/")):
            base = base[: -len("/v1")]
        return base + path

    def _headers(self, url: str, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if same_origin(url, self.settings.base_url):
            headers["Authorization"] = f"Bearer {self.api_key()}"
        return headers

    def _short(self, method: str, url: str) -> str:
        return self.scrub(f"{method} {urlsplit(url).path or '/'}")

    # --- status handling ------------------------------------------------------------------------
    def _check_status(self, reply: Reply, method: str, what: str) -> None:
        status = reply.status
        if 200 <= status < 300:
            return
        message = provider_message(reply.content)
        reason = httpx.codes.get_reason_phrase(status)
        label = f"HTTP {status} {reason}".strip()
        detail = self.scrub(f"{label} — {message}" if message else label)
        if status in (401, 403):
            raise self.error(
                f"authentication failed — check {self.key_env} ({detail})",
                retryable=False,
            )
        if status == 429:  # refused before any work was done: safe to send again
            raise _Transient(
                f"rate limited ({detail})",
                parse_retry_after(reply.headers.get("retry-after")),
                maybe_processed=False,
            )
        if status in RETRYABLE_STATUSES or status >= 500:
            raise _Transient(detail, parse_retry_after(reply.headers.get("retry-after")))
        if status == 404:
            detail += f" ({self._short(method, reply.url)})"
        raise self.error(f"{what} failed — {detail}", retryable=False)

    def _too_large(self, what: str, size: int | None = None) -> GenerationError:
        limit = self.settings.max_download_mb
        if size is not None:
            return self.error(
                f"{what} failed — the provider announced {size / _MB:.1f} MB, "
                f"over the {limit:g} MB limit (max_download_mb)",
                retryable=False,
            )
        return self.error(
            f"{what} failed — the file is larger than the {limit:g} MB limit (max_download_mb)",
            retryable=False,
        )

    @property
    def download_limit(self) -> int:
        """Largest file, in bytes, the provider may send (`max_download_mb`)."""
        return int(self.settings.max_download_mb * _MB)

    def _announced_length(self, response: httpx.Response) -> int | None:
        raw = response.headers.get("content-length")
        if raw is None or "content-encoding" in response.headers:
            return None
        try:
            return int(raw)
        except ValueError:
            return None

    # --- retries --------------------------------------------------------------------------------
    async def _with_retries(
        self,
        what: str,
        attempt: Callable[[], Awaitable[T]],
        retries: int | None = None,
        *,
        billed: bool = False,
    ) -> T:
        """Run `attempt`, bounded by `timeout_s` as a whole, retrying transient failures with backoff.

        `billed`: the request starts paid work (an image, speech, a prediction). It is sent again only
        when the server certainly did not get it (connection refused, 429 rate limit); after a read
        timeout, a dropped connection or a 5xx it may be running already, so it is never re-sent.
        """
        max_retries = self.settings.max_retries if retries is None else retries
        attempt_no = 0
        while True:
            try:
                try:
                    async with asyncio.timeout(self.settings.timeout_s):
                        return await attempt()
                except TimeoutError:
                    raise _Transient(
                        f"timed out after {self.settings.timeout_s:g} s (timeout_s bounds the whole request)"
                    ) from None
            except _Transient as failure:
                if billed and failure.maybe_processed:
                    raise self.error(
                        f"{what} failed — {failure.message} (not sent again: the provider may already "
                        "have started it, and a second request could be billed twice)",
                        retryable=True,
                    ) from None
                if attempt_no >= max_retries:
                    tail = f" (gave up after {attempt_no + 1} attempts)" if attempt_no else ""
                    raise self.error(f"{what} failed — {failure.message}{tail}", retryable=True) from None
                if failure.retry_after is not None:
                    delay = failure.retry_after
                else:  # exponential backoff with jitter: many clients never retry in step
                    delay = min(self.settings.backoff_s * 2**attempt_no, MAX_BACKOFF_S)
                    delay *= 0.5 + random.random() / 2
                log.warning(
                    "%s",
                    self.scrub(
                        f"{self.provider}: {what}: {failure.message}; retrying in {delay:.2f} s "
                        f"(attempt {attempt_no + 2} of {max_retries + 1})"
                    ),
                )
                await asyncio.sleep(delay)
                attempt_no += 1

    def _transport_failure(self, exc: httpx.RequestError) -> _Transient:
        """A failed attempt as a transient failure, or a final `GenerationError` for what retrying
        cannot fix (a redirect loop, a redirect to a scheme we do not speak, a malformed reply)."""
        if isinstance(exc, httpx.TooManyRedirects):
            raise self.error("too many redirects (a redirect loop?) — check base_url", retryable=False)
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            raise self.error(f"unusable URL ({self.scrub(_describe_transport(exc))})", retryable=False)
        if isinstance(exc, httpx.DecodingError):
            raise self.error(f"the reply could not be decoded ({self.scrub(_describe_transport(exc))})")
        # The request never left: safe to send again even if it starts paid work.
        unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        if isinstance(exc, httpx.TimeoutException):
            return _Transient(
                f"timed out after {self.settings.timeout_s:g} s ({type(exc).__name__})",
                maybe_processed=not unsent,
            )
        return _Transient(
            f"connection failed ({self.scrub(_describe_transport(exc))})", maybe_processed=not unsent
        )

    async def _read_body(self, response: httpx.Response, limit: int, what: str) -> bytes:
        if response.status_code >= 300:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= ERROR_BODY_LIMIT:
                    break
            return b"".join(chunks)[:ERROR_BODY_LIMIT]
        announced = self._announced_length(response)
        if announced is not None and announced > limit:
            raise self._too_large(what, announced)
        buffer = bytearray()
        async for chunk in response.aiter_bytes():
            buffer += chunk
            if len(buffer) > limit:
                raise self._too_large(what)
        return bytes(buffer)

    # --- requests -------------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        what: str = "request",
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        retries: int | None = None,
        billed: bool = False,
    ) -> Reply:
        """Send a request (retrying transient failures) and return the successful reply, body read.

        `billed`: the request starts paid work — never re-sent once the server may have got it (see
        `_with_retries`). Raises `GenerationError` for any failure.
        """
        url = self.url(path_or_url)
        limit = self.download_limit if max_bytes is None else max_bytes

        async def attempt() -> Reply:
            request_headers = self._headers(url, headers)
            try:
                async with self._client.stream(
                    method, url, json=json_body, headers=request_headers
                ) as response:
                    body = await self._read_body(response, limit, what)
                    reply = Reply(response.status_code, response.headers, body, str(response.url))
            except httpx.RequestError as exc:
                raise self._transport_failure(exc) from None
            self._check_status(reply, method, what)
            return reply

        return await self._with_retries(what, attempt, retries, billed=billed)

    def parse_json(self, reply: Reply, what: str = "request") -> Any:
        """The reply's JSON body, or a `GenerationError` saying the provider sent malformed JSON."""
        try:
            return json.loads(reply.content)
        except (ValueError, UnicodeDecodeError):
            kind = reply.content_type or "no content type"
            raise self.error(
                f"{what} failed — provider replied with malformed JSON "
                f"(HTTP {reply.status}, {kind}, {len(reply.content)} bytes)",
                retryable=True,
            ) from None

    async def request_json(
        self,
        method: str,
        path_or_url: str,
        *,
        what: str = "request",
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        retries: int | None = None,
        billed: bool = False,
    ) -> dict[str, Any]:
        """Like `request`, returning the reply's JSON object (a malformed or non-object body is an error)."""
        reply = await self.request(
            method,
            path_or_url,
            what=what,
            json_body=json_body,
            headers=headers,
            # base64 payloads are a third larger than the file they carry
            max_bytes=self.download_limit * 4 // 3 + _MB,
            retries=retries,
            billed=billed,
        )
        data = self.parse_json(reply, what)
        if not isinstance(data, dict):
            raise self.error(
                f"{what} failed — provider replied with malformed JSON (expected an object, "
                f"got {type(data).__name__})",
                retryable=True,
            )
        return data

    # --- downloads ------------------------------------------------------------------------------
    async def download(
        self,
        url: str,
        *,
        out_dir: Path,
        stem: str,
        accept: tuple[str, ...],
        what: str = "download",
    ) -> Path:
        """Stream `url` into `out_dir/<stem>.<ext>` atomically, aborting past `max_download_mb`.

        The extension is sniffed from the bytes, else taken from the content type, else from the URL,
        and must be one of `accept`. `data:` URLs are decoded in place.
        """
        if url.startswith("data:"):
            return self._save_data_url(url, out_dir=out_dir, stem=stem, accept=accept, what=what)
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise self.error(
                f"{what} failed — the provider gave an unusable URL ({url[:80]})", retryable=False
            )
        limit = self.download_limit

        async def attempt() -> Path:
            with AtomicFile(out_dir, stem) as out:
                try:
                    async with self._client.stream("GET", url, headers=self._headers(url, None)) as response:
                        if not 200 <= response.status_code < 300:
                            body = await self._read_body(response, limit, what)
                            reply = Reply(response.status_code, response.headers, body, str(response.url))
                            self._check_status(reply, "GET", what)
                        announced = self._announced_length(response)
                        if announced is not None and announced > limit:
                            raise self._too_large(what, announced)
                        head = b""
                        async for chunk in response.aiter_bytes():
                            if out.size + len(chunk) > limit:
                                raise self._too_large(what)
                            if len(head) < 16:
                                head += chunk[:16]
                            out.write(chunk)
                        content_type = response.headers.get("content-type", "")
                        final_url = str(response.url)
                except httpx.RequestError as exc:
                    raise self._transport_failure(exc) from None
                if out.size == 0:
                    raise self.error(f"{what} failed — the provider sent an empty file", retryable=True)
                ext = choose_extension(head, content_type, final_url, accept)
                if ext is None:
                    raise self.error(
                        f"{what} failed — expected {' or '.join(accept)} but got "
                        f"{content_type.split(';')[0] or 'data of an unknown type'}",
                        retryable=False,
                    )
                return out.commit(out_dir / f"{stem}.{ext}")

        return await self._with_retries(what, attempt)

    def _save_data_url(
        self, url: str, *, out_dir: Path, stem: str, accept: tuple[str, ...], what: str
    ) -> Path:
        header, _, payload = url.partition(",")
        try:
            if header.endswith(";base64"):
                data = base64.b64decode(payload, validate=False)
            else:
                data = unquote_to_bytes(payload)
        except (binascii.Error, ValueError):
            raise self.error(
                f"{what} failed — the provider sent an invalid data URL", retryable=True
            ) from None
        return self.save_bytes(
            data, out_dir=out_dir, stem=stem, accept=accept, what=what, content_type=header[5:]
        )

    def save_bytes(
        self,
        data: bytes,
        *,
        out_dir: Path,
        stem: str,
        accept: tuple[str, ...],
        what: str,
        content_type: str = "",
    ) -> Path:
        """Check size and format of media bytes received inline, then write them atomically."""
        if len(data) > self.download_limit:
            raise self._too_large(what)
        if not data:
            raise self.error(f"{what} failed — the provider sent an empty file", retryable=True)
        ext = choose_extension(data[:16], content_type, "", accept)
        if ext is None:
            got = content_type.split(";")[0].strip() or "data of an unknown type"
            raise self.error(f"{what} failed — expected {' or '.join(accept)} but got {got}", retryable=False)
        return atomic_write_bytes(out_dir / f"{stem}.{ext}", data)


def new_stem(kind: str) -> str:
    """A fresh file name stem for a generated asset, e.g. `visual-3f9a1c2e`."""
    return f"{kind}-{secrets.token_hex(4)}"
