"""The audio mixer: volume, fades, looping music, narration that ends, blocks that join seamlessly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.render.support import clip, snapshot_of, write_tone
from tui_editor.render.mixer import Mixer, decode_audio
from tui_editor.render.schedule import plan_render

RATE = 48_000


def ones(path: Path, rate: int) -> np.ndarray[Any, Any]:
    """A decoder for the tests: half a second of constant 0.25 on both channels, whatever the file."""
    return np.full((rate // 2, 2), 0.25, dtype=np.float32)


@pytest.fixture
def plan(tmp_path: Path) -> Any:
    for name in ("n.wav", "m.wav"):
        (tmp_path / name).write_bytes(b"x")
    snapshot = snapshot_of(
        [
            clip("n", "voice", 0.0, 2.0, "n", {"fade_in_s": 1.0}),
            clip("m", "music", 0.0, 2.0, "m", {"volume": 2.0, "fade_out_s": 0.5}),
        ],
        {"narration": {"n": {"file": "n.wav"}}, "music": {"m": {"file": "m.wav"}}},
    )
    return plan_render(snapshot, tmp_path, width=64, height=36, fps=10)


def test_volume_fades_and_looping(plan: Any) -> None:
    mix = Mixer(plan, decode=ones).mix(0, 2 * RATE)[:, 0]
    # narration: 0.25 fading in over 1 s, then silence after its half second of media
    # music: 0.5 (volume 2), looped, fading out over the last 0.5 s
    assert mix[0] == pytest.approx(0.5)
    assert mix[RATE // 4] == pytest.approx(0.5 + 0.25 * 0.25, abs=1e-3)
    assert mix[RATE] == pytest.approx(0.5)  # narration over, music looping
    assert mix[round(1.75 * RATE)] == pytest.approx(0.25, abs=1e-3)
    assert abs(mix[-1]) < 1e-3


def test_blocks_join_exactly(plan: Any) -> None:
    whole = Mixer(plan, decode=ones).mix(0, 2 * RATE)
    mixer = Mixer(plan, decode=ones)
    parts = [mixer.mix(start, 1600) for start in range(0, 2 * RATE, 1600)]
    assert np.array_equal(np.concatenate(parts), whole)


def test_wav_sources_are_resampled_and_made_stereo(tmp_path: Path) -> None:
    write_tone(tmp_path / "t.wav", 1.0, 440.0, rate=22_050)
    samples = decode_audio(tmp_path / "t.wav", RATE)
    assert samples.shape[1] == 2 and abs(len(samples) - RATE) < 200
    assert np.array_equal(samples[:, 0], samples[:, 1])
    assert 0.3 < float(np.sqrt(np.mean(samples[1000:-1000, 0] ** 2))) < 0.4  # a 0.5 sine: rms 0.354


def test_loud_sums_are_bent_below_full_scale_not_clipped() -> None:
    from tui_editor.render.mixer import LIMIT_KNEE, soft_limit

    x = np.linspace(-3, 3, 6001, dtype=np.float32)[:, None].repeat(2, axis=1)
    y = soft_limit(x.copy())
    assert np.all(np.abs(y) <= 1.0)  # reaching 1.0 only in float32 rounding, far above the knee
    quiet = np.abs(x) <= LIMIT_KNEE
    assert np.array_equal(y[quiet], x[quiet])
    assert np.all(np.diff(y[:, 0]) >= 0)  # still monotonic: no fold-back
