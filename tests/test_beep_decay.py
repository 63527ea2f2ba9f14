"""A beep holds its level; a bell, a chime or a plucked note fades (non_critical: "decaying", _decay_db). The last
frames of a sounding are left out of that test as its release (the beep's end and the room's echo); but a beep heard
through a louder sound dips and comes back in those frames, which a fade never does, and a short beep of 4-5 frames
is a held body between its onset and its release frame, while a fade falls through its body too.

tests/data/short-beep-and-its-release-in-speech.flac: 14.8 s of the benchmark's quick seed 163 (a fresh corpus, never
tuned on), pump1's recall file at -5 dB in speech from 51.2 s: its 0.106 s beep at 3878 Hz at 7.73 s, 66 dB over the
floor in four frames, the last of them (the release) 10 dB under the first. Main (2b189aa) refused it as decaying, as
it did 6 of this pump's 24 soundings at -10 dB and louder, at +5 dB too.

tests/data/beep-dipping-under-a-louder-sound.flac: 11.3 s of quick seed 191 (fresh), pump1's recall file at 0 dB in
music from 28.672 s: its 0.32 s beep at 2045 Hz at 4.53 s, 54 dB over the floor, dips 10 dB in its middle where the
music interferes and comes back to 58 dB in its last frames. Main refused it as decaying (the last third counted
without those frames), as it did 2 more of this pump's soundings at 0 dB.

(Both clips start on a whole second of the noise floor's chunks, 32 frames, so the floor evolves as in the whole
file.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from monitord.detectors.non_critical import _decay_db
from monitord.profiles import Profile
from tests import synth
from tests.conftest import golden_with_beep, stream_beeps

DATA = Path(__file__).parent / "data"

# The pumps as `monitord enroll` learned them from their clinic recordings (bench/out/s12base-q163 and -q191).
SHORT_BEEP = {
    "frequency_hz": 3886.9, "mean_tolerance_pct": 0.7, "span_min_s": 0.064, "span_max_s": 0.416, "gap_max_s": 0.25,
    "fill_min_pct": 45.0, "count_max": 3, "quiet_after_s": 2.5, "heard_min_s": 0.064, "pitch_scatter_max_hz": 12.6,
    "beeps_at_enrollment": 1, "pitch_spread_hz": 5.08, "sounds_alone": True}
LONGER_BEEP = {
    "frequency_hz": 2048.9, "mean_tolerance_pct": 0.7, "span_min_s": 0.16, "span_max_s": 0.675, "gap_max_s": 0.25,
    "fill_min_pct": 45.0, "count_max": 3, "quiet_after_s": 2.5, "heard_min_s": 0.16, "pitch_scatter_max_hz": 5.47,
    "beeps_at_enrollment": 1, "pitch_spread_hz": 0.86, "sounds_alone": True}


def clip(name: str) -> np.ndarray:
    audio, rate = sf.read(DATA / name, dtype="float32")
    assert rate == 16000
    return np.asarray(audio)


@pytest.mark.parametrize(("learned", "name", "at_s"), [
    (SHORT_BEEP, "short-beep-and-its-release-in-speech.flac", 7.73),
    (LONGER_BEEP, "beep-dipping-under-a-louder-sound.flac", 4.53),
])
def test_a_beep_whose_end_is_not_quieter_than_its_body_is_not_decaying(learned: dict[str, object], name: str,
                                                                         at_s: float) -> None:
    found, counters = stream_beeps(golden_with_beep(**learned), clip(name), block_s=16.0)
    assert [round(d.start_s, 1) for d in found] == [round(at_s, 1)], counters


def test_the_release_is_left_out_only_where_it_is_quieter() -> None:
    levels = np.array
    # A short beep: its onset frame, a held body, its release (seed 163, above).
    assert _decay_db(levels([69.2, 67.7, 67.3, 59.3], dtype=np.float32)) < 6.0
    assert _decay_db(levels([65.9, 68.1, 68.5, 68.1, 59.0], dtype=np.float32)) < 6.0
    # A beep dipping under a louder sound and coming back (seed 191, above).
    assert _decay_db(levels([59.5, 59.1, 54.0, 52.9, 50.5, 49.6, 50.7, 54.5, 57.6, 52.0], dtype=np.float32)) < 6.0
    # A fade stays a fade, whatever is left out; so does a note that fades and then holds, never coming back (a
    # recorded phone ring at a pump's pitch, quick seed 127, pump2's background-2 at 266.9 s).
    fade = levels([40.0, 38.0, 36.0, 34.0, 32.0, 30.0, 28.0, 26.0], dtype=np.float32)
    assert _decay_db(fade) > 6.0
    assert _decay_db(levels([32.0, 34.5, 35.4, 31.5, 31.7, 26.2, 28.1, 26.8, 26.6], dtype=np.float32)) > 6.0
    assert _decay_db(levels([40.0, 37.0, 34.0, 31.0, 28.0], dtype=np.float32)) > 6.0
    assert _decay_db(levels([62.8, 64.4, 60.5, 56.7], dtype=np.float32)) > 6.0  # the chime below


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_short_chime_at_the_pitch_still_fades(seed: int) -> None:
    """Guard: a struck note at the short-beeping pump's pitch, fading 120 dB a second, in a quiet room: heard in 4
    frames (its onset frame partial, then 4 dB a frame), decaying, not the pump."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(0.5 * 16000)) / 16000
    chime = (0.05 * np.exp(-t * 120 / 8.686) * np.sin(2 * np.pi * 3886.9 * t)).astype(np.float32)
    audio = synth.place(synth.pink_noise(12.0, rng, level=0.0005), chime, 4.0)
    pump: Profile = golden_with_beep(**SHORT_BEEP)
    found, counters = stream_beeps(pump, audio)
    assert found == [], counters
    assert counters.get("decaying", 0) == 1, counters
