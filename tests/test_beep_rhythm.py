"""A pump that beeps a sequence keeps its rhythm: enrollment learns the beep-to-beep interval, and a sounding heard
in pieces none of which keep it is a tune or a ring at the pitch, not the pump — while a sounding with one beep
lost to noise is still the pump."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile

from monitord.alarms import AlarmKind
from monitord.enroll import enroll
from monitord.pipeline import Pipeline
from monitord.profiles import BeepSignature, Profile
from tests import synth
from tests.conftest import DATA, PUMP_BEEP_HZ, PUMP_BEEP_S

# (beeps, beep length, pause) of the pumps enrolled here: the golden pump's one beep, a two-beep pump, and the
# benchmark's hardest three-beep pump (quick seed 5: 86 ms beeps 0.4 s apart, 21 false detections in 40 min on main).
SINGLE = (1, PUMP_BEEP_S, 0.25)
DOUBLE = (2, 0.3, 0.25)
TRIPLE = (3, 0.09, 0.4)


@pytest.fixture
def enrolled(clinic_recordings: Callable[..., Path]) -> Callable[[tuple[int, float, float]], BeepSignature]:
    def learn(pump: tuple[int, float, float]) -> BeepSignature:
        beeps, beep_s, pause_s = pump
        signature = enroll(clinic_recordings("non_critical", beeps=beeps, beep_s=beep_s, pause_s=pause_s),
                           AlarmKind.NON_CRITICAL).signature
        assert isinstance(signature, BeepSignature)
        return signature

    return learn


def heard(signature: BeepSignature, sound: synth.Audio, *, snr_db: float, seed: int) -> tuple[list[AlarmKind], int]:
    """The sound at home: muffled, in a reverberant room, in pink noise at `snr_db` (over the whole sound). Returns
    what was reported and how many soundings were rejected as off their rhythm."""
    rng = np.random.default_rng(seed)
    sound = synth.reverb(synth.lowpass(sound, 3500.0), rng, rt60_s=0.5)
    audio = synth.mix_at_snr(sound, synth.pink_noise(14.0, rng), snr_db, at_s=4.0)
    pipeline = Pipeline(Profile(name="enrolled", non_critical=signature))
    found = pipeline.feed(audio.astype(np.float32)) + pipeline.flush()
    return [d.alarm for d in found], pipeline.counters()["non_critical_beep"].get("off_rhythm", 0)


def sequence(count: int, beep_s: float, pause_s: float, *, levels: tuple[float, ...] | None = None) -> synth.Audio:
    """`count` beeps at the pump's pitch, `pause_s` apart, each at its level (1 = as loud as the pump)."""
    parts: list[synth.Audio] = []
    for i in range(count):
        level = 1.0 if levels is None else levels[i]
        parts.append(level * synth.tone(PUMP_BEEP_HZ, beep_s, harmonics=(0.0, 0.2)))
        if i + 1 < count:
            parts.append(synth.silence(pause_s))
    return synth.sequence(parts)


@pytest.mark.parametrize("pump", [DOUBLE, TRIPLE])
def test_enrollment_learns_the_beep_interval_of_a_sequence(
        enrolled: Callable[[tuple[int, float, float]], BeepSignature], pump: tuple[int, float, float]) -> None:
    _, beep_s, pause_s = pump
    signature = enrolled(pump)
    assert signature.beep_interval_s is not None
    # To a frame (hop 32 ms) or so: the clinic's echo blurs where a beep ends.
    assert signature.beep_interval_s == pytest.approx(beep_s + pause_s, abs=0.035)


def test_a_single_beep_has_no_rhythm_to_keep(enrolled: Callable[[tuple[int, float, float]], BeepSignature]) -> None:
    assert enrolled(SINGLE).beep_interval_s is None


@pytest.mark.parametrize(("notes", "note_s", "pause_s", "seed"), [
    # Two notes at the pitch 0.3 s apart (a ring tone, a game's jingle), in four rooms.
    (2, 0.15, 0.15, 71), (2, 0.15, 0.15, 72), (2, 0.15, 0.15, 73), (2, 0.15, 0.15, 74),
    # Two short notes 0.69 s apart: a tune's beat, not the pump's 0.49 s.
    (2, 0.09, 0.6, 71), (2, 0.09, 0.6, 73),
])
def test_notes_at_the_pitch_out_of_the_pumps_rhythm_are_not_the_pump(
        enrolled: Callable[[tuple[int, float, float]], BeepSignature], notes: int, note_s: float, pause_s: float,
        seed: int) -> None:
    """Without the learned rhythm these notes pass as the three-beep pump (one of its beeps lost); with it they
    are rejected as off_rhythm. The pump's own sequence in the same room is heard."""
    signature = enrolled(TRIPLE)
    tune = sequence(notes, note_s, pause_s)
    unrhythmic = signature.model_copy(update={"beep_interval_s": None})
    assert heard(unrhythmic, tune, snr_db=0.0, seed=seed)[0] == [AlarmKind.NON_CRITICAL]
    assert heard(signature, tune, snr_db=0.0, seed=seed) == ([], 1)
    assert heard(signature, sequence(*TRIPLE), snr_db=0.0, seed=seed)[0] == [AlarmKind.NON_CRITICAL]


@pytest.mark.parametrize("snr_db", [0.0, 10.0])
@pytest.mark.parametrize("seed", [71, 72, 73, 74, 75, 76])
def test_three_short_beeps_in_an_echoing_room_are_not_a_fading_chime(
        enrolled: Callable[[tuple[int, float, float]], BeepSignature], snr_db: float, seed: int) -> None:
    """Three 0.09 s beeps in a room with 0.5 s of echo: each beep's release and echo fall between the beeps, and
    the last two frames may be most of the last beep. With them left out (as for one beep's release), the sequence
    read 6.5-6.9 dB "decaying" in rooms 72 and 74, even at +10 dB (3.1-3.9 dB with only the last one left out)."""
    assert heard(enrolled(TRIPLE), sequence(*TRIPLE), snr_db=snr_db, seed=seed)[0] == [AlarmKind.NON_CRITICAL]


@pytest.mark.parametrize(("pump", "levels"), [
    # (Not here any more: one beep of two at 0.05, 26 dB under the other with only the room's noise over it. That is
    # no drowned beep but a missing one, and a lone note at the pitch is refused as incomplete_sequence; a beep
    # drowned under a louder sound is heard: tests/test_beep_whole_sequence.py.)
    (DOUBLE, (1.0, 0.3)),  # the second 10 dB fainter: heard only in its last frames, after the first one's echo
    (DOUBLE, (1.0, 0.4)),
    (DOUBLE, (0.3, 1.0)),
    (TRIPLE, (0.05, 1.0, 1.0)),
    (TRIPLE, (1.0, 1.0, 0.05)),
    (TRIPLE, (0.3, 1.0, 1.0)),
    # Not here: the middle beep lost (its neighbours are 0.8 s apart, beyond the learned pauses: two lone blips, not
    # heard before this either).
])
@pytest.mark.parametrize("snr_db", [-5.0, -10.0])
@pytest.mark.parametrize("seed", [83, 84])
def test_a_sequence_with_one_faint_beep_is_still_the_pump(
        enrolled: Callable[[tuple[int, float, float]], BeepSignature], pump: tuple[int, float, float],
        levels: tuple[float, ...], snr_db: float, seed: int) -> None:
    """Asking a sounding in pieces to keep the rhythm must not lose the pump when a beep of it drowns in noise or
    is heard only in part (benchmark quick seeds 13 and 7: asking two-beep pumps for both beeps lost soundings at
    -10 and -15 dB)."""
    signature = enrolled(pump)
    assert heard(signature, sequence(*pump, levels=levels), snr_db=snr_db, seed=seed) == ([AlarmKind.NON_CRITICAL], 0)


@pytest.mark.parametrize("snr_db", [-5.0, -10.0])
@pytest.mark.parametrize("seed", [83, 84])
def test_a_single_beep_pump_is_heard_as_before(enrolled: Callable[[tuple[int, float, float]], BeepSignature],
                                               snr_db: float, seed: int) -> None:
    assert heard(enrolled(SINGLE), sequence(*SINGLE), snr_db=snr_db, seed=seed) == ([AlarmKind.NON_CRITICAL], 0)


def test_a_single_beep_heard_once_in_two_pieces_at_the_clinic_has_no_rhythm_to_keep() -> None:
    """Quick seed 229 pump2's clinic recording (kept at 16 kHz, 2.5-11.5 s): one 841 Hz beep of 0.43 s, demonstrated
    twice: once heard whole, once as 0.16 s + 0.13 s pieces 0.26 s apart. The beep count is the clear soundings'
    median (one); the interval came from the soundings with the commoner count, ties to the higher, so from the broken
    one: 0.40 s, and every sounding at home heard in pieces had to keep that rhythm. A single beep has none."""
    signature = enroll(DATA / "clinic-one-beep-heard-once-in-two-pieces.flac", AlarmKind.NON_CRITICAL).signature
    assert isinstance(signature, BeepSignature)
    assert signature.beeps_at_enrollment == 1
    assert signature.beep_interval_s is None


@pytest.mark.parametrize("block", [1600, 256000])
def test_a_single_beep_heard_in_pieces_at_home_is_heard(block: int) -> None:
    """The same pump at -10 dB in a quiet room (the benchmark's recall file, 78-92 s): its beep at 6.14 s is heard in
    pieces 9-10 dB over the floor; with the interval learned from the clinic's broken beep it was refused as
    off_rhythm (so were two more of the file's eight soundings)."""
    signature = enroll(DATA / "clinic-one-beep-heard-once-in-two-pieces.flac", AlarmKind.NON_CRITICAL).signature
    assert isinstance(signature, BeepSignature)
    audio, _ = soundfile.read(DATA / "one-beep-heard-in-pieces-in-a-quiet-room.flac", dtype="float32")
    pipeline = Pipeline(Profile(name="seed229-pump2", non_critical=signature))
    detections = [d for i in range(0, len(audio), block) for d in pipeline.feed(audio[i:i + block])]
    detections += pipeline.flush()
    assert [(d.alarm, round(d.start_s, 1)) for d in detections] == [(AlarmKind.NON_CRITICAL, 6.2)]
