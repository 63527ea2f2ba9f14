"""One loud tone alone is not the two-tone alarm, however close the enrolled notes lie: the faint-frames rule
(critical.FAINT_SNR_DB), which hears a faint tone in the gaps of the other tone's turns, must not hear the other note
in a loud tone's spectral leakage (the Hann window's sidelobes, the splatter of a sharp onset, a room's tail) and
make a single tone pulsing in the pump's rhythm, held steady, or a hi-lo siren with one note on the pump's look
two-toned. Pink noise, through the real Pipeline fed in 0.1 s blocks, as the daemon does; each guard is paired with
the same profile hearing a real pump whose second tone is 10 dB under the first (so the guards test a rule that
works here, not one that never fires).

The notes: the golden profile's 1100 / 1480 Hz, benchmark seed 17's close pair 680 / 802 Hz (7.8 bins apart), and a
pair whose high note sits on a sidelobe peak of the low one (1507.8 Hz is 96.5 bins: its sidelobes peak half-way
between bins, the 6th at 1609.4 Hz)."""

from __future__ import annotations

import numpy as np
import pytest

from monitord.alarms import AlarmKind
from monitord.detectors import critical
from monitord.profiles import Profile, load_profile
from tests import synth
from tests.conftest import DATA
from tests.test_critical_faint import stream

TONE_S, TURNS = 0.2, 12
NOTES = [(1100.0, 1480.0), (680.4, 802.5), (1507.8, 1609.4)]


def two_tone_profile(low_hz: float, high_hz: float) -> Profile:
    profile = load_profile(DATA / "golden-profile.toml")
    assert profile.critical is not None
    return profile.model_copy(update={"critical": profile.critical.model_copy(update={
        "frequencies_hz": (low_hz, high_hz), "tone_typical_s": TONE_S, "burst_typical_s": TURNS * TONE_S,
        "burst_max_s": 6.0})})


def turns(first_hz: float, second_hz: float | None, *, second_under_db: float = 0.0, room: bool = True) -> np.ndarray:
    """TURNS turns of TONE_S, the first note in the even ones, the second (or silence) in the odd ones; sharp
    onsets (3 ms: splatter) and a 3rd harmonic, in a room (0.5 s reverberation: the loud tone rings into the gaps)
    unless `room` is False."""
    parts = []
    for index in range(TURNS):
        if index % 2 == 0:
            parts.append(synth.tone(first_hz, TONE_S, harmonics=(0.0, 0.25), attack_s=0.003, decay_s=0.003))
        elif second_hz is None:
            parts.append(synth.silence(TONE_S))
        else:
            parts.append(synth.tone(second_hz, TONE_S, amplitude=0.5 * 10 ** (-second_under_db / 20),
                                    harmonics=(0.0, 0.25), attack_s=0.003, decay_s=0.003))
    audio = synth.sequence(parts)
    return synth.reverb(audio, np.random.default_rng(5), rt60_s=0.5) if room else audio


@pytest.fixture
def faint_heard(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many frames the faint-frames rule heard, per call (the real rule, watched)."""
    heard: list[int] = []
    rule = critical.faint_frames

    def watched(*args: object, **kwargs: object) -> np.ndarray:
        frames = rule(*args, **kwargs)  # type: ignore[arg-type]
        heard.append(int(frames.sum()))
        return frames

    monkeypatch.setattr(critical, "faint_frames", watched)
    return heard


@pytest.mark.parametrize(("low_hz", "high_hz"), NOTES)
@pytest.mark.parametrize("loud", ["low", "high"])
@pytest.mark.parametrize("snr_db", [10.0, -6.0])
def test_one_loud_tone_pulsing_in_the_pumps_rhythm_is_not_heard_as_two(faint_heard: list[int], low_hz: float,
                                                                        high_hz: float, loud: str,
                                                                        snr_db: float) -> None:
    """The loud tone's turns make the train of gaps the rule listens in; its leakage into the other band (and its
    tail in the gaps) must not put that band's peak on the other note more often in the gaps than in the turns."""
    note = low_hz if loud == "low" else high_hz
    for seed in (1, 2, 3):
        audio = synth.mix_at_snr(turns(note, None), synth.pink_noise(10.0, np.random.default_rng(seed)), snr_db,
                                 at_s=3.0)
        faint_heard.clear()
        found, counters = stream(two_tone_profile(low_hz, high_hz), audio)
        assert faint_heard, "the rule was never consulted: this guard tests nothing"
        assert sum(faint_heard) == 0, (seed, faint_heard)
        assert found == [], (seed, counters)


@pytest.mark.parametrize(("low_hz", "high_hz"), NOTES)
@pytest.mark.parametrize("loud", ["low", "high"])
def test_a_loud_steady_tone_on_one_note_is_not_the_pump(low_hz: float, high_hz: float, loud: str) -> None:
    for seed in (1, 2):
        tone = synth.tone(low_hz if loud == "low" else high_hz, 3.0)
        audio = synth.mix_at_snr(tone, synth.pink_noise(10.0, np.random.default_rng(seed)), 10.0, at_s=3.0)
        found, counters = stream(two_tone_profile(low_hz, high_hz), audio)
        assert found == [], (seed, counters)


@pytest.mark.parametrize(("low_hz", "high_hz"), NOTES)
def test_a_siren_with_one_note_on_the_pumps_and_one_just_past_the_other_is_not_the_pump(
        faint_heard: list[int], low_hz: float, high_hz: float) -> None:
    """A hi-lo siren at the pump's pace whose low note is the pump's and whose high note lies 5 % above the pump's
    (outside its ±2.5 % band): that note's skirt reaches into the band in the low note's gaps."""
    for seed in (1, 2, 3):
        audio = synth.mix_at_snr(turns(low_hz, 1.05 * high_hz), synth.pink_noise(10.0, np.random.default_rng(seed)),
                                 10.0, at_s=3.0)
        faint_heard.clear()
        found, counters = stream(two_tone_profile(low_hz, high_hz), audio)
        assert sum(faint_heard) == 0, (seed, faint_heard)
        assert found == [], (seed, counters)


@pytest.mark.parametrize(("low_hz", "high_hz"), NOTES)
@pytest.mark.parametrize("faint", ["low", "high"])
def test_the_same_profile_hears_a_pump_whose_second_tone_is_10_db_under_the_first(
        faint_heard: list[int], low_hz: float, high_hz: float, faint: str) -> None:
    """The guards' counterpart: the second tone really there, 10 dB under the loud one, at −10 dB broadband, is
    heard through the rhythm (without the rule: `one_tone`). Without the room: its tail would bury the faint tone.
    """
    loud_hz, faint_hz = (high_hz, low_hz) if faint == "low" else (low_hz, high_hz)
    audio = synth.mix_at_snr(turns(loud_hz, faint_hz, second_under_db=10.0, room=False),
                             synth.pink_noise(10.0, np.random.default_rng(2)), -10.0, at_s=3.0)
    found, counters = stream(two_tone_profile(low_hz, high_hz), audio)
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL], counters
    assert sum(faint_heard) > 0
    assert found[0].frequencies_hz == pytest.approx((low_hz, high_hz), rel=0.01)
