"""A tone standing PURE_SNR_DB over the noise floor must stand PURE_PROMINENCE_DB over the bins beside it (non_critical:
"pure"): a beeper's tone that far over the floor has only the floor (and the window's sidelobes, 31 dB down) 3-5 bins
away, while a peak that loud on a broadband hump (music, a voice, another device's beep through music) has its
neighbours raised with it.

tests/data/microwave-beep-over-music.flac: the first 32 s of the benchmark's `bench/detection.py --full` (seed 2024)
pump7 background-0 (music, 16 kHz): a microwave's five beeps at 4164 Hz from 22.6 s, 0.37 % off pump7's learned
4148 Hz, over the music. Its last beeps were reported as the pump at 26.1 s (29 dB over the floor, 10 dB over the
bins beside it)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from monitord.detectors import Detection
from monitord.detectors.non_critical import PURE_SNR_DB
from monitord.pipeline import Pipeline
from monitord.profiles import Profile
from tests import synth
from tests.conftest import DATA, golden_with_beep

RECORDING = DATA / "microwave-beep-over-music.flac"
BEEP_HZ = 4148.0
RATE_HZ = 16000


@pytest.fixture(scope="module")
def pump7() -> Profile:
    """The benchmark's pump7 as `monitord enroll` learned it from its clinic recording (bench/detection.py --full)."""
    return golden_with_beep(**{
        "frequency_hz": BEEP_HZ, "mean_tolerance_pct": 0.7, "span_min_s": 0.144, "span_max_s": 0.718,
        "gap_max_s": 0.25, "fill_min_pct": 45.0, "count_max": 3, "quiet_after_s": 2.5, "heard_min_s": 0.144,
        "pitch_scatter_max_hz": 5.47, "beeps_at_enrollment": 1, "pitch_spread_hz": 2.34})


def analyze(profile: Profile, audio: np.ndarray, rate_hz: int = RATE_HZ) -> tuple[list[Detection], dict[str, int]]:
    pipeline = Pipeline(profile, rate_hz=rate_hz)
    found: list[Detection] = []
    block = rate_hz // 10  # 0.1 s blocks, as the daemon feeds them
    for i in range(0, len(audio), block):
        found += pipeline.feed(audio[i : i + block].astype(np.float32))
    found += pipeline.flush()
    return [d for d in found if d.detector == "non_critical_beep"], pipeline.counters()["non_critical_beep"]


def test_a_microwave_beep_over_music_is_not_the_pump(pump7: Profile) -> None:
    audio, rate_hz = sf.read(RECORDING, dtype="float32")
    found, counters = analyze(pump7, audio, rate_hz)
    assert found == [], counters
    assert counters.get("broadband", 0) >= 1, counters


@pytest.mark.parametrize("seed", [1, 2, 4, 5])
def test_the_pumps_beep_as_loud_in_a_quiet_room_is_heard(pump7: Profile, seed: int) -> None:
    """Guard: the pump's own beep, as far over the floor as the microwave's (and farther), is pure enough."""
    rng = np.random.default_rng(seed)
    beep = synth.reverb(synth.tone(BEEP_HZ, 0.25, amplitude=0.1, harmonics=(0.1,), attack_s=0.005, decay_s=0.02),
                        rng, rt60_s=0.4)
    audio = synth.place(synth.pink_noise(16.0, rng, level=0.01), beep, 6.0)
    found, counters = analyze(pump7, audio)
    assert len(found) == 1, counters
    assert found[0].start_s == pytest.approx(6.0, abs=0.15)
    assert found[0].snr_db >= PURE_SNR_DB


def test_pitch_scatter_is_the_median_deviation_from_the_median_as_numpy_takes_it() -> None:
    from monitord.detectors.non_critical import pitch_scatter_hz

    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        for frames in (1, 2, 5, 6, 41):
            pitch = (1700.0 + rng.normal(scale=3.0, size=frames)).astype(dtype)
            assert pitch_scatter_hz(pitch) == float(np.median(np.abs(pitch - np.median(pitch))))
    assert pitch_scatter_hz(np.zeros(0, dtype=np.float32)) == 0.0


def test_at_pitch_takes_the_pitch_row_only_where_a_louder_peak_hides_a_held_tone(pump7: Profile) -> None:
    """_at_pitch (row 0, or row 1 where a louder peak off the pitch hides a tone held at it) on random runs: the
    rule written in full, and row 0 itself (a view, no copy) when nothing hides anything."""
    from dataclasses import replace

    from monitord.detectors.non_critical import _HIDDEN_BY_DB, _MIN_TONE_FRAMES, _bridged_stretches, _within
    from monitord.frontend import BandRun

    detector = next(d for d in Pipeline(pump7).detectors if d.name == "non_critical_beep")
    band = detector._pitch_band  # type: ignore[attr-defined]
    rng = np.random.default_rng(8)
    shortcuts = 0
    for _ in range(300):
        frames = int(rng.integers(3, 80))
        on = rng.random((2, frames)) < rng.uniform(0.2, 1.0, size=(2, 1))
        snr = rng.uniform(0.0, 30.0, size=(2, frames)).astype(np.float32)
        spread = rng.choice([2.0, 40.0])
        frequency = (BEEP_HZ + rng.normal(scale=spread, size=(2, frames))).astype(np.float32)
        run = BandRun(first_frame=0, start_s=0.0, end_s=frames * 0.032, on=on, snr_db=snr, frequency_hz=frequency,
                      truncated=False)
        _, starts, ends = _bridged_stretches(on[1])
        held = (ends - starts) >= _MIN_TONE_FRAMES
        use_pitch = on[0] & on[1] & _within(frames, starts[held], ends[held]) & (
            (frequency[0] < band.low_hz) | (frequency[0] > band.high_hz)) & (snr[0] >= snr[1] + _HIDDEN_BY_DB)
        expected = replace(run, on=on[:1], snr_db=np.where(use_pitch, snr[1], snr[0])[None],
                           frequency_hz=np.where(use_pitch, frequency[1], frequency[0])[None])
        found = detector._at_pitch(run)  # type: ignore[attr-defined]
        for name in ("on", "snr_db", "frequency_hz"):
            assert np.array_equal(getattr(found, name), getattr(expected, name))
            assert getattr(found, name).dtype == getattr(expected, name).dtype
        if np.shares_memory(found.snr_db, snr):
            shortcuts += 1
            assert not use_pitch.any()
    assert 0 < shortcuts < 300  # both ways were taken
