"""A bell, a chime or a plucked note fades; the pump's beep holds its level (non_critical: "decaying"). But a short
beep in a reverberant quiet room dips mid-beep where its echo interferes, and reads as fading frame by frame. A
sounding refused only as decaying (it passed every test after that one) that stands clear at the pitch over one
beep out of quiet, as the integrated look measures it (its beep-long window at the learned pitch 2 dB over every
other within quiet_after_s, none within 1 dB out to 8 s), was dipped, not faded: it is judged as passed
(NonCriticalDetector._clear_out_of_quiet).

tests/data/beep-dipped-by-a-quiet-rooms-echo.flac: 14.6 s of the benchmark's quick seed 5, pump1's recall file at
-10 dB (a quiet room, RT60 0.66 s, 16 kHz) from 59.392 s (a whole second of the noise floor's chunks, so the floor
evolves as in the whole file): its 0.25 s beep at 3241 Hz at 5.26 s, 15 dB over the floor. Main (0ac54cc) refused
it as decaying, as it did this pump's next sounding in that file."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from monitord.profiles import Profile
from tests.conftest import DATA, golden_with_beep, stream_beeps

CLIP = DATA / "beep-dipped-by-a-quiet-rooms-echo.flac"
BEEP_AT_S = 5.264
BEEP_HZ = 3241.8


@pytest.fixture(scope="module")
def pump() -> Profile:
    """Quick seed 5's pump1 as `monitord enroll` learned it from its clinic recording (bench/out/s15base-q5)."""
    return golden_with_beep(**{
        "frequency_hz": BEEP_HZ, "mean_tolerance_pct": 0.7, "span_min_s": 0.144, "span_max_s": 0.589,
        "gap_max_s": 0.25, "fill_min_pct": 45.0, "count_max": 3, "quiet_after_s": 2.5, "heard_min_s": 0.144,
        "pitch_scatter_max_hz": 5.47, "beeps_at_enrollment": 1, "pitch_spread_hz": 1.64, "sounds_alone": True})


def clip() -> np.ndarray:
    audio, rate = sf.read(CLIP, dtype="float32")
    assert rate == 16000
    return np.asarray(audio)


@pytest.mark.parametrize("block_s", [0.1, 16.0])
def test_a_beep_dipped_by_the_rooms_echo_is_heard(pump: Profile, block_s: float) -> None:
    found, counters = stream_beeps(pump, clip(), block_s=block_s)
    assert [round(d.start_s, 2) for d in found] == [round(BEEP_AT_S, 2)], counters
    assert found[0].frequencies_hz[0] == pytest.approx(BEEP_HZ, rel=0.007)
    assert counters.get("decaying", 0) == 0, counters


def test_the_same_dipped_sound_again_within_8_s_is_not_the_pump(pump: Profile) -> None:
    """The sounding played again 4 s later (a device that sounds it again, out of no quiet): both refused. A sounding
    refused only as decaying counts as shaped like the beep for the repeat tests (one sound twice is a device); main
    refused the first as decaying and, never comparing the two, reported the second."""
    audio = clip()
    start = round((BEEP_AT_S - 0.1) * 16000)
    piece = audio[start : start + round(0.6 * 16000)]
    again = audio.copy()
    at = start + 4 * 16000
    again[at : at + len(piece)] += piece
    found, counters = stream_beeps(pump, again)
    assert found == [], counters


def test_a_dipped_sounding_beside_a_louder_one_at_the_pitch_is_still_decaying(pump: Profile) -> None:
    """Guard: the same sounding with a louder tone at the pitch 1.5 s after it (its window no longer the loudest
    within quiet_after_s): refused as decaying, as before."""
    audio = clip()
    t = np.arange(round(0.6 * 16000)) / 16000
    tone = (4 * float(np.abs(audio).max()) * np.sin(2 * np.pi * BEEP_HZ * t)).astype(np.float32)
    louder = audio.copy()
    at = round((BEEP_AT_S + 1.5) * 16000)
    louder[at : at + len(tone)] += tone
    found, counters = stream_beeps(pump, louder)
    assert not [d for d in found if abs(d.start_s - BEEP_AT_S) < 0.5], (found, counters)
    assert counters.get("decaying", 0) >= 1, counters
