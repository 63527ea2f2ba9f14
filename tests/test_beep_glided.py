"""A tone that glides into the beep's band and out of it is a siren's wail or a voice, not the pump (non_critical:
"glided", GLIDE_BEYOND_BINS). At a low pump's pitch the ±tolerance_pct band is narrower than two bins, so a wail
turning at the pitch holds it for a few frames as still as a beeper; in the frame before and the frame after it, the
tone is a bin or two beside the band, as loud, moving away. Guards: the pump's low beep is heard, also with a note
held beside the pitch on one side of it (a tune in the room)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from monitord.profiles import Profile
from tests import synth
from tests.conftest import golden_with_beep, stream_beeps

DATA = Path(__file__).parent / "data"

# Quick benchmark seed 229, pump0 as `monitord enroll` learned it: one 0.2 s beep at 524 Hz.
PUMP_229_0 = {
    "frequency_hz": 524.4, "mean_tolerance_pct": 0.7, "span_min_s": 0.096, "span_max_s": 0.502, "gap_max_s": 0.25,
    "fill_min_pct": 45.0, "count_max": 3, "quiet_after_s": 2.5, "heard_min_s": 0.096, "pitch_scatter_max_hz": 5.47,
    "beeps_at_enrollment": 1, "pitch_spread_hz": 0.36, "sounds_alone": True, "min_snr_db": 8.0,
    "beep_min_s": 0.06, "harmonics_hz": [1050.4, 1574.4, 2624.1]}
PITCH_HZ = 524.4


@pytest.fixture(scope="module")
def pump() -> Profile:
    return golden_with_beep(**PUMP_229_0)


def wail_turning_at(low_hz: float, *, depth_hz: float = 200.0, half_s: float = 0.5,
                    amplitude: float = 0.05) -> synth.Audio:
    """A wail's turn: the pitch falls to `low_hz` and rises again, a parabola `depth_hz` deep over ± `half_s`."""
    t = np.arange(round(2 * half_s * synth.RATE_HZ)) / synth.RATE_HZ - half_s
    # Phase: 2π ∫ f(t) dt with f(t) = low + depth·(t/half)².
    cycles = low_hz * t + depth_hz * t ** 3 / (3 * half_s * half_s)
    envelope = np.minimum(1.0, np.minimum(t + half_s, half_s - t) / 0.05)
    return (amplitude * envelope * np.sin(2 * np.pi * cycles)).astype(np.float32)


def in_room(events: list[tuple[float, synth.Audio]], seed: int, seconds: float = 30.0) -> synth.Audio:
    rng = np.random.default_rng(seed)
    audio = synth.pink_noise(seconds, rng, level=0.002)
    for at_s, event in events:
        audio = synth.place(audio, synth.reverb(event, rng, rt60_s=0.3), at_s)
    return audio


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_wail_turning_at_the_pitch_is_not_the_pump(pump: Profile, seed: int) -> None:
    """One wail's turn at the pump's pitch (falling 200 Hz to 2 Hz under it and rising again in 1 s), in a quiet
    room. Main (0ac54cc) reported it as the beep for each seed: the turn stays within the band (±13 Hz) for about
    0.25 s. (A deeper, faster turn steps past the band's side in one frame, and is still reported: see
    GLIDE_BEYOND_BINS.)"""
    found, counters = stream_beeps(pump, in_room([(8.0, wail_turning_at(PITCH_HZ - 2.0))], seed))
    assert found == [], counters
    assert counters.get("glided", 0) >= 1, counters


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_pumps_low_beep_is_heard(pump: Profile, seed: int) -> None:
    """Guard: the pump's 0.2 s beep at 524 Hz in the same room."""
    beep = synth.tone(PITCH_HZ, 0.2, amplitude=0.05, attack_s=0.005, decay_s=0.02)
    found, counters = stream_beeps(pump, in_room([(8.0, beep)], seed))
    assert [round(d.start_s) for d in found] == [8], counters


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("side", ["before", "after"])
def test_the_pumps_beep_beside_a_note_on_one_side_is_heard(pump: Profile, seed: int, side: str) -> None:
    """Guard: the beep with a note 1.5 bins above the pitch (547.8 Hz, as loud) ending as it starts, or starting as
    it ends: the tone is beside the band on one side only (music about the beep), not a glide through it."""
    beep = synth.tone(PITCH_HZ, 0.2, amplitude=0.05, attack_s=0.005, decay_s=0.02)
    note = synth.tone(PITCH_HZ + 1.5 * 15.625, 0.6, amplitude=0.05, attack_s=0.005, decay_s=0.005)
    note_at_s = 8.0 - 0.6 if side == "before" else 8.2
    found, counters = stream_beeps(pump, in_room([(8.0, beep), (note_at_s, note)], seed))
    assert [round(d.start_s) for d in found] == [8], counters


@pytest.mark.parametrize("block_s", [0.1, 16.0])
def test_a_siren_wailing_at_a_low_beeps_pitch_is_not_the_pump(pump: Profile, block_s: float) -> None:
    """Quick seed 229's background (pump0, 80-114 s): a recorded siren's wail that turns at, or sweeps through, the
    pump's 524 Hz. Main reported it three times (9.5, 26.2 and 31.7 s), 28-38 dB over the floor; its tone stands a
    bin or two beside the band, as loud, in the frames before and after each."""
    audio, rate = sf.read(DATA / "siren-wail-turning-at-a-low-beeps-pitch.flac", dtype="float32")
    assert rate == 16000
    found, counters = stream_beeps(pump, np.asarray(audio), block_s=block_s)
    assert found == [], counters
    assert counters.get("glided", 0) == 3, counters
