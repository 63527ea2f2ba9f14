"""A pump that beeps once sounds one tone: a tone at its pitch that goes on past the beep, after a dip no longer than
the pump's own dropouts (gap_max_s), about as loud, is a note held at the pitch, cut into beep-sized pieces, not the
pump (non_critical: reason held_on, HELD_ON_DB). A beep that runs into another sound in its band (a note a few percent
off the pitch, or a much fainter one) is still heard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from monitord.profiles import Profile
from tests import synth
from tests.conftest import golden_with_beep, single_beep_pump, stream_beeps

DATA = Path(__file__).parent / "data"
BEEP_HZ = 1800.0


@pytest.fixture(scope="module")
def pump() -> Profile:
    """A single 0.3 s beep at 1800 Hz, as `monitord enroll` learns one (gap_max_s 0.25 s, span_max_s 0.85 s)."""
    return single_beep_pump(BEEP_HZ)


def in_noise(parts: list[synth.Audio], seed: int) -> synth.Audio:
    rng = np.random.default_rng(seed)
    audio = synth.pink_noise(16.0, rng, level=0.004)
    return synth.place(audio, synth.reverb(synth.sequence(parts), rng, rt60_s=0.3), 6.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_note_held_at_the_pitch_through_a_dip_is_not_the_pump(pump: Profile, seed: int) -> None:
    """A note at the pitch held 1.3 s with a 0.12 s dip after 0.5 s: too long for the pump's sounding, so the
    detector cuts it into pieces, each of them beep-sized. Main reported the first piece (the second merged into
    it)."""
    note = [synth.tone(BEEP_HZ, 0.5, amplitude=0.05, attack_s=0.005, decay_s=0.01), synth.silence(0.12),
            synth.tone(BEEP_HZ, 0.7, amplitude=0.04, attack_s=0.01, decay_s=0.02)]
    found, counters = stream_beeps(pump, in_noise(note, seed))
    assert found == [], counters
    assert counters.get("held_on", 0) == 2, counters


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("after_hz", "amplitude"), [(BEEP_HZ * 1.02, 0.05), (BEEP_HZ, 0.012)],
                         ids=["note-2-percent-off", "note-12-dB-fainter"])
def test_a_beep_running_into_another_sound_in_its_band_is_heard(pump: Profile, seed: int, after_hz: float,
                                                                amplitude: float) -> None:
    """Guard: the pump's beep, then 0.12 s later a 0.7 s note 2 % off its pitch (inside the band, outside the mean
    tolerance) as loud, or at its pitch 12 dB fainter: different sounds, the beep is heard."""
    parts = [synth.tone(BEEP_HZ, 0.3, amplitude=0.05, attack_s=0.005, decay_s=0.02), synth.silence(0.12),
             synth.tone(after_hz, 0.7, amplitude=amplitude, attack_s=0.01, decay_s=0.02)]
    found, counters = stream_beeps(pump, in_noise(parts, seed))
    assert [round(d.start_s, 1) for d in found] == [6.0], counters
    assert counters.get("held_on", 0) == 0, counters


# The full benchmark corpus's pump2 as `monitord enroll` learned it: one 0.37 s beep at 1654.5 Hz.
PUMP_FULL_2 = {
    "frequency_hz": 1654.5, "mean_tolerance_pct": 0.7, "span_min_s": 0.192, "span_max_s": 0.762, "gap_max_s": 0.25,
    "fill_min_pct": 45.0, "count_max": 3, "quiet_after_s": 2.5, "heard_min_s": 0.192, "pitch_scatter_max_hz": 5.47,
    "beeps_at_enrollment": 1, "pitch_spread_hz": 3.9, "sounds_alone": True}

# Quick benchmark seed 57, pump1 as `monitord enroll` learned it: one 0.28 s beep at 1492 Hz.
PUMP_57_1 = {
    "frequency_hz": 1492.3, "mean_tolerance_pct": 0.7, "span_min_s": 0.1, "span_max_s": 0.675, "gap_max_s": 0.25,
    "fill_min_pct": 45.0, "count_max": 3, "quiet_after_s": 2.5, "heard_min_s": 0.144, "pitch_scatter_max_hz": 14.56,
    "beeps_at_enrollment": 1, "pitch_spread_hz": 0.51, "sounds_alone": True}


@pytest.mark.parametrize("block_s", [0.1, 16.0])
@pytest.mark.parametrize(("clip", "pump", "clip_start_s", "heard_at_s", "held_on"), [
    # The full corpus's pump2 background-1, 89-98 s: a music loop starts again out of silence with a note at 1663 Hz
    # (the pump's 1654.5 Hz + 0.5 %) held about a second, dipping 0.06 s after 0.5 s. Main reported its first piece
    # (92.3 s, 66 dB over the floor left by the silence); the loop gave 5 such false beeps in 100 s.
    ("music-note-held-at-a-beeps-pitch.flac", PUMP_FULL_2, 89.0, [], 1),
    # Guard: quick seed 57's pump1 at -15 dB in TV (recall file, 12-28 s), its beep at 19.7 s; 0.19 s after it a blip
    # of two frames at the pitch, 5 dB fainter (noise, or the beep's last echo): no held note. The first version of
    # the held_on test, which let such a piece count (held_frames >= the sounding's minimum less one), refused it.
    ("beep-in-tv-and-a-blip-at-its-pitch.flac", PUMP_57_1, 12.0, [20], 0),
], ids=["music-note-held-at-the-pitch", "beep-then-a-blip-at-its-pitch"])
def test_held_on_in_real_recordings(block_s: float, clip: str, pump: dict[str, object], clip_start_s: float,
                                    heard_at_s: list[int], held_on: int) -> None:
    """A note held at the pitch is not the pump (held_on); a beep with a blip of noise after it is."""
    audio, rate = sf.read(DATA / clip, dtype="float32")
    assert rate == 16000
    found, counters = stream_beeps(golden_with_beep(**pump), audio, block_s=block_s)
    assert [round(d.start_s + clip_start_s) for d in found] == heard_at_s, counters
    assert counters.get("held_on", 0) == held_on, counters
