"""A pump whose beeps are too short for the integrated look (fewer than INTEGRATED_MIN_FRAMES frames in one beep's
window) still gets the window at its pitch for one use: whether a sounding heard whole frame by frame stands clear
there, so that fragments heard away from the pitch do not clutter it (CLEAR_WINDOW_MIN_FRAMES, _FRAGMENTS). Notes at
the pitch still clutter it, and the looks that report or free a sounding on the window alone stay off for such a
pump (tests/test_beep_decay.py's short chime).

tests/data/short-beeps-in-noise-cluttered-off-pitch.flac: the first 28.7 s of the benchmark's quick seed 283 (a
fresh dev corpus), pump0's recall file at -15 dB (recorded gravel noise, RT60 0.57 s, 16 kHz, 445 KB). The pump beeps
twice, 0.08 s at 2328 Hz, 0.3 s apart: a window of 3 frames. Its sounding at 19.63 s stands 17 dB over the floor
and passes every test of its own; main (d1364f6) refused it as cluttered by the noise's fragments 1-3 % off the
pitch (refused themselves as too short or sparse), though its window at the pitch stood clear of every other within
quiet_after_s."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from monitord.profiles import Profile
from tests.conftest import DATA, golden_with_beep, stream_beeps

CLIP = DATA / "short-beeps-in-noise-cluttered-off-pitch.flac"
BEEP_AT_S = 19.63
BEEP_HZ = 2330.8


@pytest.fixture(scope="module")
def pump() -> Profile:
    """Quick seed 283's pump0 as `monitord enroll` learned it from its clinic recording (bench/out/s17base-q283)."""
    return golden_with_beep(**{
        "frequency_hz": BEEP_HZ, "mean_tolerance_pct": 0.7, "beep_min_s": 0.06, "span_min_s": 0.048,
        "span_max_s": 0.762, "gap_max_s": 0.424, "fill_min_pct": 24.2, "count_max": 4, "quiet_after_s": 2.5,
        "heard_min_s": 0.048, "pitch_scatter_max_hz": 5.86, "beeps_at_enrollment": 2, "beep_interval_s": 0.32,
        "pitch_spread_hz": 2.28, "sounds_alone": True})


def clip() -> np.ndarray:
    audio, rate = sf.read(CLIP, dtype="float32")
    assert rate == 16000
    return np.asarray(audio)


@pytest.mark.parametrize("block_s", [0.1, 16.0])
def test_short_beeps_clear_at_the_pitch_among_fragments_off_it_are_heard(pump: Profile, block_s: float) -> None:
    found, counters = stream_beeps(pump, clip(), block_s=block_s)
    assert [d.start_s for d in found] == [pytest.approx(BEEP_AT_S, abs=0.1)], counters
    assert found[0].frequencies_hz[0] == pytest.approx(BEEP_HZ, rel=0.007)
    assert counters.get("cluttered", 0) == 0, counters


@pytest.mark.parametrize("offsets_s", [(-2.0,), (-2.0, 2.0)])
def test_a_note_at_the_pitch_around_them_still_clutters(pump: Profile, offsets_s: tuple[float, ...]) -> None:
    """Guard: the same clip with a short note (0.075 s) at the learned pitch 2 s before the sounding, or before and
    after it (a tune or a ring coming back to the note), 3 dB over the first beep's amplitude at the pitch as played
    (the noise's chance peaks pull it off the pitch frame by frame: heard only as a fragment). Its window at the
    pitch comes within 2 dB of the sounding's, which is no longer clear at the pitch: the fragments count, and the
    sounding is refused as cluttered, as on main."""
    audio = clip()
    beep = audio[round(BEEP_AT_S * 16000) : round((BEEP_AT_S + 0.08) * 16000)]
    t = np.arange(len(beep)) / 16000
    amplitude = 2 * abs(np.sum(beep * np.exp(-2j * np.pi * BEEP_HZ * t))) / len(beep)  # the beep's, at its pitch
    n = round(0.075 * 16000)
    note = (amplitude * 10 ** (3 / 20) * np.sin(2 * np.pi * BEEP_HZ * np.arange(n) / 16000)).astype(np.float32)
    for offset_s in offsets_s:
        at = round((BEEP_AT_S + offset_s) * 16000)
        audio[at : at + n] += note
    found, counters = stream_beeps(pump, audio)
    assert found == [], counters
    assert counters.get("cluttered", 0) >= 1, counters
