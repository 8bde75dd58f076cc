"""Generator for models hosted on Replicate (images, narration, music).

A generation creates a prediction (`POST {base_url}/v1/models/{owner}/{name}/predictions`, or
`POST {base_url}/v1/predictions` with a version for `owner/name:version`), polls it every
`poll_interval_s` until it succeeds, fails or is canceled, and downloads its first output file. Cancelling
the run cancels the prediction on Replicate too. Everything HTTP lives in `http_client`.
A narration's voice is checked against the model's voices (`core.kinds`) before anything is sent, and
a model whose API takes a seed (`ModelChoice.seed_input`) gets the run's seed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tui_editor.config import ProviderSettings
from tui_editor.core.kinds import AssetKind, get_kind
from tui_editor.generators.base import (
    GenerationError,
    GenerationRequest,
    GenerationResult,
    ProgressFn,
    text_field,
)
from tui_editor.generators.http_client import (
    ProviderClient,
    new_stem,
    one_line,
    same_origin,
)
from tui_editor.generators.images import size_for_ratio
from tui_editor.generators.media_info import audio_duration, image_size
from tui_editor.generators.voices import choose_voice

log = logging.getLogger(__name__)

PROVIDER = "Replicate"
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "canceled", "aborted"})
DEFAULT_MAX_WAIT_S = 1800.0

_PREDICTION_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
"""A prediction id as Replicate makes them; anything else (`../`, `?`, `/`) never reaches a URL path."""
_MODEL_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)/([A-Za-z0-9][A-Za-z0-9_.-]*)(?::([0-9a-fA-F]{8,}))?$")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def requested_duration(request: GenerationRequest) -> float | None:
    """The duration asked for: the `duration_s` field, else the clip's length on the timeline."""
    return _number(request.fields.get("duration_s")) or _number(request.clip_duration)


def _whole_seconds(request: GenerationRequest) -> int | None:
    duration = requested_duration(request)
    return max(1, math.ceil(duration - 1e-9)) if duration is not None else None


def build_input(kind: AssetKind, request: GenerationRequest) -> dict[str, Any]:
    """The prediction's `input`, as the kind's spec maps request fields to Replicate inputs (every
    catalogued model of a kind takes the same shape). Empty values are left out so the model's own
    defaults apply.
    """
    fields = request.fields
    inputs: dict[str, Any] = {}
    for spec in kind.generators["replicate"].inputs:
        value: Any
        if spec.convert == "whole_seconds":
            value = _whole_seconds(request)
        else:
            value = text_field(fields, spec.field)
            if not value and spec.convert == "text_or_default":
                value = str(kind.field(spec.field).default)
        inputs[spec.name] = value
    return {name: value for name, value in inputs.items() if value not in (None, "")}


def first_output_url(output: Any) -> str | None:
    """The first file URL in a prediction's output (a URL, a list of URLs, or an object of them)."""
    candidates: list[Any]
    if isinstance(output, list):
        candidates = output
    elif isinstance(output, dict):
        candidates = list(output.values())
    else:
        candidates = [output]
    for item in candidates:
        if isinstance(item, str) and item.startswith(("http://", "https://", "data:")):
            return item
    return None


def _last_log_line(logs: Any) -> str:
    if not isinstance(logs, str):
        return ""
    lines = [line.strip() for line in logs.replace("\r", "\n").splitlines() if line.strip()]
    return one_line(lines[-1], 100) if lines else ""


class ReplicateGenerator:
    """Generates one kind of media with a model hosted on Replicate.

    The model is the request's `model` field (`owner/name` or `owner/name:version`), or the kind's first
    Replicate model from the catalogue when the request names none.
    """

    def __init__(
        self,
        kind: str,
        settings: ProviderSettings,
        *,
        environ: Mapping[str, str] | None = None,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
    ) -> None:
        self.kind = get_kind(kind)
        self.settings = settings
        self.max_wait_s = max_wait_s
        self._environ = environ

    def __repr__(self) -> str:
        return f"ReplicateGenerator(kind={self.kind.name!r}, base_url={self.settings.base_url!r})"

    def _model(self, request: GenerationRequest) -> tuple[str, str]:
        """(model as given, path of the create-prediction endpoint) for a request."""
        model = text_field(request.fields, "model")
        if not model:
            model = next((m.id for m in self.kind.models if m.provider == "replicate"), "")
        match = _MODEL_RE.match(model)
        if match is None:
            raise GenerationError(
                f"{PROVIDER}: {model!r} is not a Replicate model (expected owner/name or owner/name:version)",
                retryable=False,
            )
        owner, name, version = match.groups()
        if version:
            return model, "/v1/predictions"
        return model, f"/v1/models/{owner}/{name}/predictions"

    async def generate(self, request: GenerationRequest, progress: ProgressFn) -> GenerationResult:
        kind = self.kind
        if request.kind != kind.name:
            raise GenerationError(
                f"{PROVIDER}: this generator makes {kind.name} assets, not {request.kind}", retryable=False
            )
        lead = kind.summary_field
        if not text_field(request.fields, lead):
            raise GenerationError(
                f"{kind.label.lower()} {lead} is empty — write a {lead} first", retryable=False
            )
        model, create_path = self._model(request)
        if "voice" in kind.editable_names:  # a voice the model does not have is refused before sending
            voice = choose_voice(kind.name, model, request.fields.get("voice"), request.extra.get("voice"))
            request = dataclasses.replace(request, fields={**request.fields, "voice": voice})
        inputs = build_input(kind, request)
        choice = kind.model_choice(model)
        if choice is not None and choice.seed_input:  # the run's seed, where the model's API has one
            inputs[choice.seed_input] = request.seed
        body: dict[str, Any] = {"input": inputs}
        if ":" in model:
            body["version"] = model.split(":", 1)[1]
        progress(0, 2, f"Starting {model} on {PROVIDER}…")

        async with ProviderClient(self.settings, provider=PROVIDER, environ=self._environ) as http:
            # billed: a prediction is never created twice (http_client); polls and downloads retry
            prediction = await http.request_json(
                "POST", create_path, what=f"starting {model}", json_body=body, billed=True
            )
            prediction_id = prediction.get("id")
            if not isinstance(prediction_id, str) or not prediction_id:
                raise http.error(f"starting {model} failed — reply has no prediction id", retryable=True)
            if _PREDICTION_ID_RE.fullmatch(prediction_id) is None:  # it becomes part of URL paths
                raise http.error(
                    f"starting {model} failed — reply has a malformed prediction id", retryable=True
                )
            get_url = self._prediction_url(prediction, "get", f"/v1/predictions/{prediction_id}")
            cancel_url = self._prediction_url(prediction, "cancel", f"/v1/predictions/{prediction_id}/cancel")
            status = self._status(http, prediction, model)
            step = 1
            progress(
                step, step + 1, http.scrub(f"Prediction {prediction_id} created on {PROVIDER} ({status})")
            )

            started = time.monotonic()
            try:
                while status not in TERMINAL_STATUSES:
                    await asyncio.sleep(self.settings.poll_interval_s)
                    if time.monotonic() - started > self.max_wait_s:
                        raise http.error(
                            f"{model} did not finish within {self.max_wait_s:g} s; "
                            "the prediction was cancelled",
                            retryable=True,
                        )
                    prediction = await http.request_json("GET", get_url, what=f"checking on {model}")
                    status = self._status(http, prediction, model)
                    step += 1
                    line = _last_log_line(prediction.get("logs"))
                    # the provider's own words go into events: never with the key in them
                    progress(step, step + 1, http.scrub(f"{status} — {line}" if line else status))
            except asyncio.CancelledError:
                await self._cancel_prediction(http, cancel_url, retries=1)
                raise
            except GenerationError:
                # Nobody will collect this prediction's output: stop it rather than pay for it.
                await self._cancel_prediction(http, cancel_url, retries=0)
                raise

            if status == "failed":
                error = prediction.get("error")
                reason = one_line(str(error)) if error else "no reason given"
                raise http.error(f"{model} failed — {reason}", retryable=True)
            if status != "succeeded":
                raise http.error(f"the prediction for {model} was {status} on {PROVIDER}", retryable=True)
            url = first_output_url(prediction.get("output"))
            if url is None:
                raise http.error(f"{model} failed — reply has no output URL", retryable=True)
            step += 1
            progress(step, step, "Downloading the result…")
            path = await http.download(
                url,
                out_dir=request.out_dir,
                stem=new_stem(kind.name),
                accept=kind.media.extensions,
                what=f"downloading the {kind.label.lower()}",
            )
        return GenerationResult(file=path, fields=self._result_fields(request, model, path))

    def _prediction_url(self, prediction: Mapping[str, Any], name: str, fallback: str) -> str:
        """The prediction's own `urls.<name>` when it points at the provider, else `fallback`."""
        urls = prediction.get("urls")
        url = urls.get(name) if isinstance(urls, dict) else None
        if isinstance(url, str) and same_origin(url, self.settings.base_url):
            return url
        return fallback

    @staticmethod
    def _status(http: ProviderClient, prediction: Mapping[str, Any], model: str) -> str:
        status = prediction.get("status")
        if not isinstance(status, str) or not status:
            raise http.error(f"{model}: reply has no prediction status", retryable=True)
        return status

    async def _cancel_prediction(self, http: ProviderClient, cancel_url: str, *, retries: int) -> None:
        """Ask Replicate to stop the prediction; failures are logged, never raised."""
        try:
            await http.request("POST", cancel_url, what="cancelling the prediction", retries=retries)
        except GenerationError as exc:
            log.warning("%s", exc.message)

    def _result_fields(self, request: GenerationRequest, model: str, path: Path) -> dict[str, Any]:
        """The editable fields as asked for, the model used, and what the file measures."""
        kind, fields = self.kind, request.fields
        result: dict[str, Any] = {
            spec.name: text_field(fields, spec.name) if spec.type == "text" else fields.get(spec.name)
            for spec in kind.editable_fields
        }
        result["model"] = model
        if kind.media.is_audio:
            # A narration's length is whatever the voice takes; a stale `duration_s` is no estimate.
            measured = audio_duration(path)
            asked = requested_duration(request) if kind.field("duration_s").editable else None
            result["duration_s"] = round(measured, 3) if measured is not None else asked
        else:
            aspect_ratio = text_field(fields, "aspect_ratio") or str(kind.field("aspect_ratio").default)
            result["aspect_ratio"] = aspect_ratio
            result["width"], result["height"] = image_size(path) or size_for_ratio(aspect_ratio)
        return result
