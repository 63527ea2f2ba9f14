"""One sound twice within REPEAT_REACH_S is a device sounding again, not the pump, which beeps about once an hour
(non_critical: a pair alike in span, pitch within REPEAT_SAME_PITCH_PCT and level within REPEAT_SAME_LEVEL_DB, over
the floor or at the microphone, is "repeating_device"). A chain of REPEAT_CHAIN alike soundings was refused before;
a pair was let through, as the pump's beep and a chance stray near its pitch. Guards: a stray a little off the pitch
or fainter leaves the pump's beep heard, and so do pieces that fit into one sounding of a pump's sequence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from monitord.detectors import non_critical
from monitord.detectors.non_critical import NonCriticalDetector, _Candidate
from monitord.profiles import Profile
from tests import synth
from tests.conftest import golden_with_beep, single_beep_pump, stream_beeps

DATA = Path(__file__).parent / "data"
BEEP_HZ = 1800.0


@pytest.fixture(scope="module")
def pump() -> Profile:
    """A single 0.3 s beep at 1800 Hz, as `monitord enroll` learns one."""
    return single_beep_pump(BEEP_HZ)


def sounds_at(specs: list[tuple[float, float, float]], rng: np.random.Generator, seconds: float,
              noise: list[tuple[float, float]] | None = None) -> synth.Audio:
    """A 0.3 s beep per (onset s, pitch Hz, gain dB) in pink noise; `noise`: (from s, level) steps of the noise."""
    steps = noise or [(0.0, 0.004)]
    ends = [from_s for from_s, _ in steps[1:]] + [seconds]
    audio = np.concatenate([synth.pink_noise(end_s - from_s, rng, level=level)
                            for (from_s, level), end_s in zip(steps, ends, strict=True)])
    for at_s, hz, gain_db in specs:
        beep = synth.tone(hz, 0.3, amplitude=0.05 * 10 ** (gain_db / 20), attack_s=0.005, decay_s=0.02)
        audio = synth.place(audio, synth.reverb(beep, rng, rt60_s=0.3), at_s)
    return audio


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("onsets_s", [[6.0, 11.0], [6.0, 12.6]], ids=["5-s-apart", "6.6-s-apart"])
def test_one_sound_twice_is_not_the_pump(pump: Profile, seed: int, onsets_s: list[float]) -> None:
    """The same beep twice, 5 or 6.6 s apart: one device sounding again. Main (8ef30be) reported both (a chain of
    two was allowed)."""
    rng = np.random.default_rng(seed)
    found, counters = stream_beeps(pump, sounds_at([(t, BEEP_HZ, 0.0) for t in onsets_s], rng, 25.0))
    assert found == [], counters
    assert counters.get("repeating_device", 0) == 2, counters


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_sound_twice_as_the_room_quietens_is_not_the_pump(pump: Profile, seed: int) -> None:
    """The same beep twice, 5 s apart, while the room's noise falls 14 dB between them: over the floor the second
    stands 14 dB higher (not alike), at the microphone both are one level. Main reported both."""
    rng = np.random.default_rng(seed)
    audio = sounds_at([(6.0, BEEP_HZ, 0.0), (11.0, BEEP_HZ, 0.0)], rng, 25.0, noise=[(0.0, 0.02), (8.0, 0.004)])
    found, counters = stream_beeps(pump, audio)
    assert found == [], counters
    assert counters.get("repeating_device", 0) == 2, counters


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("stray", [(BEEP_HZ * 1.006, 0.0), (BEEP_HZ, -6.0)], ids=["0.6-percent-off", "6-dB-fainter"])
def test_the_pumps_beep_with_a_stray_near_it_is_heard(pump: Profile, seed: int, stray: tuple[float, float]) -> None:
    """Guard: the pump's beep and, 5 s later, a stray alike to it but 0.6 % off its pitch (three times the same-sound
    limit, a quarter of the pump's tolerance) or 6 dB fainter: two sounds, both heard (as on main)."""
    rng = np.random.default_rng(seed)
    found, counters = stream_beeps(pump, sounds_at([(6.0, BEEP_HZ, 0.0), (11.0, *stray)], rng, 25.0))
    assert [round(d.start_s) for d in found] == [6, 11], counters


# Quick benchmark seed 193, pump0 as `monitord enroll` learned it: one 0.16 s beep at 3319 Hz.
PUMP_193_0 = {
    "frequency_hz": 3319.0, "mean_tolerance_pct": 0.7, "span_min_s": 0.08, "span_max_s": 0.502, "gap_max_s": 0.25,
    "fill_min_pct": 45.0, "count_max": 3, "quiet_after_s": 2.5, "heard_min_s": 0.08, "pitch_scatter_max_hz": 5.47,
    "beeps_at_enrollment": 1, "pitch_spread_hz": 0.69, "sounds_alone": True, "min_snr_db": 8.0,
    "harmonics_hz": [6642.0]}


# Quick benchmark seed 223, pump1 as `monitord enroll` learned it: one 0.32 s beep at 1945 Hz.
PUMP_223_1 = {
    "frequency_hz": 1945.3, "mean_tolerance_pct": 0.7, "span_min_s": 0.16, "span_max_s": 0.632, "gap_max_s": 0.25,
    "fill_min_pct": 45.0, "count_max": 3, "quiet_after_s": 2.5, "heard_min_s": 0.16, "pitch_scatter_max_hz": 5.47,
    "beeps_at_enrollment": 1, "pitch_spread_hz": 0.22, "sounds_alone": True, "min_snr_db": 8.0,
    "harmonics_hz": [3892.8, 5828.2]}


# Two recorded phone rings, each a real background crop where main reported both rings as the pump's beep:
# - quick seed 193's background (pump0, 0-23 s): a ring on the pump's pitch at 14.5 s and again at 20.0 s, 15.6 and
#   15.1 dB over the floor;
# - quick seed 223's background (pump1, 515-538 s): a ring at 1949 Hz at 9.6 s and again at 14.7 s, about 40 and
#   53 dB over a floor that fell between them, one level at the microphone (the same-sound test by the level over
#   the floor alone reported the second).
PHONE_RINGS = [("phone-ring-twice-at-a-beeps-pitch.flac", PUMP_193_0),
               ("phone-ring-twice-as-the-floor-falls.flac", PUMP_223_1)]


@pytest.mark.parametrize("block_s", [0.1, 16.0])
@pytest.mark.parametrize(("clip", "pump"), PHONE_RINGS, ids=["at-the-pitch", "as-the-floor-falls"])
def test_a_recorded_phone_ringing_twice_is_not_the_pump(clip: str, pump: dict[str, Any], block_s: float) -> None:
    audio, rate = sf.read(DATA / clip, dtype="float32")
    assert rate == 16000
    found, counters = stream_beeps(golden_with_beep(**pump), np.asarray(audio), block_s=block_s)
    assert found == [], counters
    assert counters.get("repeating_device", 0) == 2, counters


# Quick benchmark seed 113, pump1 as `monitord enroll` learned it: three 0.38 s beeps at 930 Hz, 0.77 s apart.
PUMP_113_1 = {
    "frequency_hz": 929.9, "mean_tolerance_pct": 0.7, "span_min_s": 0.515, "span_max_s": 2.878, "gap_max_s": 0.584,
    "fill_min_pct": 28.8, "count_max": 5, "quiet_after_s": 2.5, "heard_min_s": 0.203, "pitch_scatter_max_hz": 17.47,
    "beeps_at_enrollment": 3, "pitch_spread_hz": 0.4, "beep_interval_s": 0.768, "sounds_alone": True}


def _piece(start_s: float) -> _Candidate:
    return _Candidate(start_s, start_s + 0.38, 929.9, 20.0, ok=True, passed=True, power_db=-10.0)


@pytest.mark.parametrize(("second_s", "repeated"), [(1.536, False), (3.0, True)], ids=["one-sounding", "two"])
def test_pieces_that_fit_into_one_sounding_are_not_one_sound_twice(second_s: float, repeated: bool) -> None:
    """A three-beep pump's first and last beeps heard as two pieces (the middle one drowned: a pause of 1.16 s,
    past gap_max_s) fit into one sounding (1.92 s of span_max_s 2.88 s): the pump's own sequence, not a device
    sounding twice. The same piece 3 s later (3.38 s from first start to last end) is."""
    signature = golden_with_beep(**PUMP_113_1).non_critical
    assert signature is not None
    detector = NonCriticalDetector(signature, verified=True)
    first, second = _piece(0.0), _piece(second_s)
    detector._pending.append(first)
    detector._chain_repeats(second, signature.tolerance_pct / 100.0 / 1.5)
    assert (first.repeated, second.repeated) == (repeated, repeated)
    assert non_critical.REPEAT_CHAIN > 2  # (a chain of two alone is allowed: only the same-sound test refuses them)
