"""A tone at the pump's pitch that another tone, as prominent, starts with is not the pump (non_critical:
"accompanied"): the pump's beep is one tone with harmonics above it only, so within half an octave of its pitch
nothing else of it sounds. A chord, a phone's dual tone, a ring tone's note with another, a voice: their other tone
rises with the one at the pitch. A steady hum there all along is no such tone (it did not start with it), and a
pump whose own beep shows such a second tone at the clinic keeps it (enroll learns `sounds_alone = false`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from monitord.alarms import AlarmKind
from monitord.detectors import Detection
from monitord.enroll import enroll
from monitord.pipeline import Pipeline
from monitord.profiles import BeepSignature, Profile
from tests import synth
from tests.conftest import golden_with_beep, single_beep_pump

BEEP_HZ = 1800.0
RATE_HZ = 16000


@pytest.fixture(scope="module")
def pump() -> Profile:
    """A single 0.3 s beep at 1800 Hz, as `monitord enroll` learns one."""
    return single_beep_pump(BEEP_HZ)


def analyze(profile: Profile, audio: np.ndarray) -> tuple[list[Detection], dict[str, int]]:
    pipeline = Pipeline(profile, rate_hz=RATE_HZ)
    found: list[Detection] = []
    block = RATE_HZ // 10
    for i in range(0, len(audio), block):
        found += pipeline.feed(audio[i : i + block].astype(np.float32))
    found += pipeline.flush()
    return [d for d in found if d.detector == "non_critical_beep"], pipeline.counters()["non_critical_beep"]


def beep(rng: np.random.Generator, *, other_hz: float | None = None, other_level: float = 1.0,
         room: bool = True) -> synth.Audio:
    """The pump's beep in a room (or a device's dual tone: the beep and another tone started together); without
    `room`, heard close by (a room's echo lifts one frequency and lowers another by several dB, at random)."""
    sound = synth.tone(BEEP_HZ, 0.3, amplitude=0.05, attack_s=0.005, decay_s=0.02)
    if other_hz is not None:
        sound = sound + synth.tone(other_hz, 0.3, amplitude=0.05 * other_level, attack_s=0.005, decay_s=0.02)
    return synth.reverb(sound, rng, rt60_s=0.3) if room else sound


# Other tones on a bin of the analysis (15.625 Hz apart), as the pump's 1800 Hz nearly is: a tone between two bins
# reads up to ~1.5 dB fainter and 2-4 dB less prominent, which ACCOMPANIED_MARGIN_DB and _LEVEL_DB allow for.
@pytest.mark.parametrize(("seed", "other_hz"), [(1, 2296.9), (2, 1406.2), (3, 2531.2), (4, 1187.5)])
def test_a_dual_tone_with_one_tone_at_the_pitch_is_not_the_pump(pump: Profile, seed: int, other_hz: float) -> None:
    rng = np.random.default_rng(seed)
    audio = synth.place(synth.pink_noise(14.0, rng, level=0.004), beep(rng, other_hz=other_hz, room=False), 6.0)
    found, counters = analyze(pump, audio)
    assert found == [], counters
    assert counters.get("accompanied", 0) == 1, counters


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_beep_alone_is_heard(pump: Profile, seed: int) -> None:
    """Guard: the same beep without the other tone is the pump (so the other tone is what refuses the first)."""
    rng = np.random.default_rng(seed)
    audio = synth.place(synth.pink_noise(14.0, rng, level=0.004), beep(rng), 6.0)
    found, counters = analyze(pump, audio)
    assert len(found) == 1, counters
    assert found[0].start_s == pytest.approx(6.0, abs=0.15)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_beep_over_a_steady_hum_is_heard(pump: Profile, seed: int) -> None:
    """Guard: a steady tone as loud in the same half octave, there all along (a fridge, a fan's whine), did not start
    with the beep: the beep is still the pump."""
    rng = np.random.default_rng(seed)
    hum = synth.tone(2290.0, 14.0, amplitude=0.05, attack_s=0.5, decay_s=0.5)
    audio = synth.place(synth.pink_noise(14.0, rng, level=0.004) + hum, beep(rng), 6.0)
    found, counters = analyze(pump, audio)
    assert len(found) == 1, counters


def test_a_faint_other_tone_does_not_refuse_the_beep(pump: Profile) -> None:
    """Guard: another tone starting with the beep but 10 dB under it stands out less than the beep: not a chord
    partner the beep is one note of."""
    rng = np.random.default_rng(7)
    audio = synth.place(synth.pink_noise(14.0, rng, level=0.004),
                        beep(rng, other_hz=2296.9, other_level=0.3, room=False), 6.0)
    found, counters = analyze(pump, audio)
    assert len(found) == 1, counters


def test_a_pump_whose_beep_has_a_second_tone_keeps_it(tmp_path: Path) -> None:
    """A piezo with a second partial near its pitch in every beep (held against the programmer at the clinic, close
    to the phone): enroll hears the clinic's soundings refused as accompanied, learns sounds_alone = false, and the
    pump's beep is then heard at home, partner and all, in a room."""
    rng = np.random.default_rng(11)
    parts = [synth.pink_noise(3.0, rng, level=0.003)]
    for _ in range(3):
        parts += [beep(rng, other_hz=2296.9, room=False), synth.pink_noise(4.0, rng, level=0.003)]
    recording = synth.write_wav(tmp_path / "clinic.wav", synth.sequence(parts))
    result = enroll(recording, AlarmKind.NON_CRITICAL)
    signature = result.signature
    assert isinstance(signature, BeepSignature)
    assert signature.sounds_alone is False, result.notes
    assert any("another tone sounded with the beep" in note for note in result.notes), result.notes
    profile = golden_with_beep(**signature.model_dump())
    for seed in (1, 2, 3):
        home_rng = np.random.default_rng(seed)
        home = synth.place(synth.pink_noise(14.0, home_rng, level=0.004), beep(home_rng, other_hz=2296.9), 6.0)
        found, counters = analyze(profile, home)
        assert len(found) == 1, counters
