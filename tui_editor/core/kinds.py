"""One spec per asset kind: the only place where visual, narration and music differ.

Everything that drives a generation (the draft, the flow, the engine, the editors) is written once
against `AssetKind`; a kind contributes its fields, validation, user-facing strings, the models it
can be generated with and how to pull its asset out of a preview payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

KindName = Literal["visual", "narration", "music"]
TrackName = Literal["visual", "voice", "music"]

KIND_NAMES: tuple[KindName, ...] = ("visual", "narration", "music")
TRACK_NAMES: tuple[TrackName, ...] = ("visual", "voice", "music")
TRACK_OF_KIND: dict[KindName, TrackName] = {"visual": "visual", "narration": "voice", "music": "music"}
KIND_OF_TRACK: dict[TrackName, KindName] = {v: k for k, v in TRACK_OF_KIND.items()}
#: The key of each kind's asset list in the export JSON.
EXPORT_LIST_OF_KIND: dict[str, str] = {"visual": "visuals", "narration": "narration", "music": "music"}

ASPECT_RATIOS: tuple[str, ...] = ("1:1", "4:3", "3:4", "16:9", "9:16", "21:9", "3:2", "2:3")
MUSIC_KEYS: tuple[str, ...] = tuple(
    f"{note} {mode}"
    for mode in ("major", "minor")
    for note in ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
)


class ValidationError(ValueError):
    """A field value a kind does not accept; the message names the field."""


FieldType = Literal["text", "str", "int", "float", "choice"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: FieldType
    editable: bool = True
    multiline: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False

    def coerce(self, value: Any) -> Any:
        """Return `value` converted to this field's type, or raise `ValidationError`."""
        if value is None:
            if self.required:
                raise ValidationError(f"{self.name}: a value is required")
            return None
        try:
            if self.type in ("text", "str", "choice"):
                if not isinstance(value, str):
                    raise ValidationError(f"{self.name}: expected text, got {type(value).__name__}")
                result: Any = value
                if self.required and not value.strip():
                    raise ValidationError(f"{self.name}: must not be empty")
            elif self.type == "int":
                if isinstance(value, bool) or not isinstance(value, int | float | str):
                    raise ValidationError(f"{self.name}: expected a whole number")
                result = int(value) if not isinstance(value, float) or value.is_integer() else None
                if result is None:
                    raise ValidationError(f"{self.name}: expected a whole number, got {value}")
            else:
                if isinstance(value, bool) or not isinstance(value, int | float | str):
                    raise ValidationError(f"{self.name}: expected a number")
                result = float(value)
                if result != result or result in (float("inf"), float("-inf")):
                    raise ValidationError(f"{self.name}: expected a finite number")
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ValidationError):
                raise
            raise ValidationError(f"{self.name}: {value!r} is not a valid {self.type}") from None
        if self.choices and result not in self.choices:
            raise ValidationError(f"{self.name}: {result!r} is not one of {', '.join(self.choices)}")
        if self.minimum is not None and result < self.minimum:
            raise ValidationError(f"{self.name}: must be at least {self.minimum:g}")
        if self.maximum is not None and result > self.maximum:
            raise ValidationError(f"{self.name}: must be at most {self.maximum:g}")
        return result


@dataclass(frozen=True)
class ModelChoice:
    """A model a kind can be generated with, and the provider that serves it."""

    id: str
    provider: Literal["local", "openai", "replicate"]
    label: str


@dataclass(frozen=True)
class AssetKind:
    name: KindName
    track: TrackName
    label: str  # "Narration"
    fields: tuple[FieldSpec, ...]
    models: tuple[ModelChoice, ...]
    default_model: str
    preview_key: str  # where a run's preview payload keeps this kind's asset
    summary_field: str  # the field a one-line summary leads with
    defaults: Mapping[str, Any] = field(default_factory=dict)

    # --- strings (asset-specific wording, one behaviour) -------------------------------------
    @property
    def generate_label(self) -> str:
        return f"Generate {self.label}"

    @property
    def generating_label(self) -> str:
        return "Generating…"

    @property
    def review_label(self) -> str:
        return f"Review {self.label}"

    @property
    def preview_title(self) -> str:
        return f"Preview Generated {self.label}"

    @property
    def accept_label(self) -> str:
        return f"Accept & Replace {self.label}"

    @property
    def reject_label(self) -> str:
        return "Reject"

    # --- fields -------------------------------------------------------------------------------
    @property
    def field_names(self) -> tuple[str, ...]:
        """Every stored field of the asset except `id`, in display order."""
        return tuple(f.name for f in self.fields)

    @property
    def editable_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.editable)

    @property
    def editable_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.editable_fields)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def validate_request(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Validate the editable fields a user asks to generate with; unknown names are errors."""
        unknown = set(values) - set(self.editable_names)
        if unknown:
            raise ValidationError(f"{self.label.lower()} has no field {', '.join(sorted(unknown))}")
        result: dict[str, Any] = {}
        for spec in self.editable_fields:
            if spec.name in values:
                result[spec.name] = spec.coerce(values[spec.name])
        model = result.get("model")
        if model is not None and not model.strip():
            raise ValidationError("model: must not be empty")
        return result

    def validate_asset(self, values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
        """Validate stored asset fields (an import, a preview, an optimistic update).

        `id` and `updated_at` may be present and pass through untouched; other unknown names fail.
        """
        allowed = set(self.field_names) | {"id", "updated_at"}
        unknown = set(values) - allowed
        if unknown:
            raise ValidationError(f"{sorted(unknown)[0]}: not a field of a {self.label.lower()} asset")
        result: dict[str, Any] = {}
        for spec in self.fields:
            if spec.name in values:
                result[spec.name] = spec.coerce(values[spec.name])
            elif not partial and spec.required:
                raise ValidationError(f"{spec.name}: a value is required")
        for passthrough in ("id", "updated_at"):
            if passthrough in values:
                result[passthrough] = values[passthrough]
        return result

    def extract_preview(self, preview: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """Pull this kind's asset out of a run's preview payload (`{"<preview_key>": {...}}`)."""
        if not preview:
            return None
        asset = preview.get(self.preview_key, preview.get("asset"))
        if not isinstance(asset, Mapping):
            return None
        try:
            return self.validate_asset(asset, partial=True)
        except ValidationError:
            return None

    def summary(self, asset: Mapping[str, Any] | None) -> str:
        """A one-line description of an asset for timelines and lists."""
        if not asset:
            return "(no asset)"
        lead = str(asset.get(self.summary_field) or "").replace("\n", " ").strip()
        extras: list[str] = []
        if self.name == "visual":
            extras.append(str(asset.get("aspect_ratio") or ""))
        else:
            duration = asset.get("duration_s")
            if isinstance(duration, int | float):
                extras.append(f"{duration:.1f}s")
            if self.name == "narration" and asset.get("voice"):
                extras.append(str(asset["voice"]))
            if self.name == "music" and asset.get("bpm"):
                extras.append(f"{asset['bpm']} bpm")
        extra = " · ".join(e for e in extras if e)
        return f"{lead} [{extra}]" if extra else lead

    def model_choice(self, model_id: str) -> ModelChoice | None:
        for choice in self.models:
            if choice.id == model_id:
                return choice
        return None


VISUAL = AssetKind(
    name="visual",
    track="visual",
    label="Visual",
    fields=(
        FieldSpec("prompt", "Prompt", "text", multiline=True, required=True),
        FieldSpec("model", "Model", "str"),
        FieldSpec("aspect_ratio", "Aspect ratio", "choice", choices=ASPECT_RATIOS),
        FieldSpec("width", "Width", "int", editable=False, minimum=16, maximum=8192),
        FieldSpec("height", "Height", "int", editable=False, minimum=16, maximum=8192),
        FieldSpec("file", "File", "str", editable=False),
    ),
    models=(
        ModelChoice("local/pillow", "local", "Local renderer (offline)"),
        ModelChoice("bytedance/seedream-4", "replicate", "Seedream 4 (Replicate)"),
        ModelChoice("google/nano-banana", "replicate", "Nano Banana (Replicate)"),
        ModelChoice("qwen/qwen-image", "replicate", "Qwen Image (Replicate)"),
        ModelChoice("gpt-image-1", "openai", "gpt-image-1 (OpenAI-compatible)"),
    ),
    default_model="local/pillow",
    preview_key="visual_asset",
    summary_field="prompt",
    defaults={"aspect_ratio": "16:9"},
)

NARRATION = AssetKind(
    name="narration",
    track="voice",
    label="Narration",
    fields=(
        FieldSpec("script", "Script", "text", multiline=True, required=True),
        FieldSpec("model", "Model", "str"),
        FieldSpec("voice", "Voice", "str"),
        FieldSpec("emotion", "Emotion", "str"),
        FieldSpec("language", "Language", "str"),
        FieldSpec("duration_s", "Duration (s)", "float", editable=False, minimum=0),
        FieldSpec("file", "File", "str", editable=False),
    ),
    models=(
        ModelChoice("local/espeak", "local", "espeak-ng (offline)"),
        ModelChoice("minimax/speech-02-hd", "replicate", "MiniMax Speech 02 HD (Replicate)"),
        ModelChoice("tts-1", "openai", "tts-1 (OpenAI-compatible)"),
    ),
    default_model="local/espeak",
    preview_key="narration_asset",
    summary_field="script",
    defaults={"voice": "en-us", "emotion": "neutral", "language": "en"},
)

MUSIC = AssetKind(
    name="music",
    track="music",
    label="Music",
    fields=(
        FieldSpec("prompt", "Prompt", "text", multiline=True, required=True),
        FieldSpec("model", "Model", "str"),
        FieldSpec("duration_s", "Duration (s)", "float", minimum=1, maximum=600),
        FieldSpec("bpm", "BPM", "int", minimum=30, maximum=300),
        FieldSpec("key", "Key", "choice", choices=MUSIC_KEYS),
        FieldSpec("file", "File", "str", editable=False),
    ),
    models=(
        ModelChoice("local/synth", "local", "Local synthesiser (offline)"),
        ModelChoice("stability-ai/stable-audio-2.5", "replicate", "Stable Audio 2.5 (Replicate)"),
    ),
    default_model="local/synth",
    preview_key="music_asset",
    summary_field="prompt",
    defaults={"bpm": 96, "key": "C major"},
)

KINDS: dict[str, AssetKind] = {"visual": VISUAL, "narration": NARRATION, "music": MUSIC}


def get_kind(name: str) -> AssetKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValidationError(f"unknown asset kind {name!r} (expected visual, narration or music)") from None


def kind_for_track(track: str) -> AssetKind:
    if track not in KIND_OF_TRACK:
        raise ValidationError(f"unknown track {track!r} (expected visual, voice or music)")
    return KINDS[KIND_OF_TRACK[track]]
