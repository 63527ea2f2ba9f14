"""A chain of turns is one of the pump's bursts only when it holds half of one, by changes or length (HALF_A_BURST).

Fresh benchmark seed 233, pump1 (1848.1 / 2629.5 Hz, turns of 0.272 s, bursts of 1.632 s: 5 changes; enroll allows
`changes_min = 2`): a siren's wail crossing the two notes and a recorded noise each made a chain of three turns
(2 changes in 0.67–0.74 s, under half of a burst either way) that passed every check and was reported as critical.
Both clips are real (the corpus's background files, resampled to 16 kHz), the profile is the one `monitord enroll`
learned there.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from monitord.alarms import AlarmKind
from monitord.detectors import Detection, critical
from monitord.pipeline import Pipeline
from monitord.profiles import Profile, load_profile
from tests import synth
from tests.conftest import DATA

RATE_HZ = 16000


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(DATA / "seed233-pump1-profile.toml")


def heard(profile: Profile, audio: np.ndarray, block_s: float,
          when: list[float] | None = None) -> tuple[list[Detection], dict[str, int]]:
    """The detections and the critical detector's reason counters; `when` gets the stream time each was reported."""
    pipeline = Pipeline(profile)
    found: list[Detection] = []
    block = round(block_s * RATE_HZ)
    for i in range(0, len(audio), block):
        new = pipeline.feed(audio[i : i + block].astype(np.float32))
        found += new
        if when is not None:
            when += [(i + block) / RATE_HZ] * len(new)
    found += pipeline.flush()
    return found, pipeline.counters()["critical_two_tone"]


@pytest.mark.parametrize("block_s", [0.1, 16.0])
@pytest.mark.parametrize("clip", ["wail-crossing-the-notes-in-three-turns.flac",
                                  "noise-three-turns-on-the-notes.flac"])
def test_three_turns_of_a_siren_or_noise_are_not_the_pumps_burst(profile: Profile, clip: str,
                                                                  block_s: float) -> None:
    """Seed 233 pump1's background-0 at 132–148 s (siren_wail at 144.1 s) and background-2 at 432–450 s (noise at
    443.0 s): each was reported as critical (tones 1845/2632 and 1847/2627 Hz) from three turns."""
    audio, rate = sf.read(DATA / clip, dtype="float32")
    assert rate == RATE_HZ
    found, counters = heard(profile, audio, block_s)
    assert [d for d in found if d.alarm is AlarmKind.CRITICAL] == []
    assert counters.get("part_of_a_burst", 0) >= 1


def test_half_a_burst_is_counted_in_changes_or_in_length(profile: Profile) -> None:
    """Half a learned burst's changes, rounded up, at most 3 (two whole inner turns) — or half its length; anything
    without a learned burst (the profile's own changes_min then stands alone)."""
    sig = profile.critical
    assert sig is not None
    assert sig.burst_typical_s == pytest.approx(1.632)  # and 0.272 s turns: 5 changes per burst
    assert critical.holds_half_a_burst(sig, 3, 0.9)
    assert not critical.holds_half_a_burst(sig, 2, 0.8)
    assert critical.holds_half_a_burst(sig, 2, 0.82)  # three long turns: the pump's burst heard only in its end
    few = sig.model_copy(update={"burst_typical_s": 4 * sig.tone_typical_s})  # 3 changes per burst
    assert critical.holds_half_a_burst(few, 2, 0.5)
    assert critical.holds_half_a_burst(sig.model_copy(update={"burst_typical_s": None}), 2, 0.5)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_pumps_burst_heard_in_part_is_still_the_pump(profile: Profile, seed: int) -> None:
    """Guard: the same pump's burst with only its first four turns heard (3 changes, the rest lost) in noise is
    reported; so is its whole burst, within 1.5 s of its end; and three long turns (0.3 s each, the last two
    lengthened by an echo or clutter), 0.55 of a burst."""
    sig = profile.critical
    assert sig is not None
    assert sig.frequencies_hz is not None
    assert sig.tone_typical_s is not None
    low_hz, high_hz = sig.frequencies_hz
    rng = np.random.default_rng(seed)
    for turns, tone_s in ((4, sig.tone_typical_s), (6, sig.tone_typical_s), (3, 0.3)):
        burst = synth.two_tone(low_hz, high_hz, tone_s=tone_s, burst_s=turns * tone_s, harmonics=(0.0, 0.25))
        audio = synth.mix_at_snr(burst, synth.pink_noise(10.0, rng), 0.0, at_s=4.0)
        when: list[float] = []
        found, counters = heard(profile, audio, 0.1, when)
        assert [d.alarm for d in found] == [AlarmKind.CRITICAL], (turns, counters)
        assert found[0].start_s == pytest.approx(4.0, abs=0.4)
        assert when[0] <= 4.0 + turns * tone_s + 1.5
