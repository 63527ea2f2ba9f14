"""The bundled default profile (the unverified guess: any two steady tones, any steady beep) on synthetic soundings
through the real Pipeline: what its generic paths hear, and what they must still refuse."""

from __future__ import annotations

import numpy as np
import pytest

from monitord.alarms import AlarmKind
from monitord.detectors import Detection
from monitord.pipeline import Pipeline
from monitord.profiles import Profile, load_profile
from tests import synth

LOW_HZ, HIGH_HZ = 1465.0, 2028.0  # a pump's two tones (benchmark seed 2024, pump2)


@pytest.fixture(scope="module")
def default() -> Profile:
    return load_profile(None)


def detect(profile: Profile, audio: np.ndarray, *, block_s: float = 4.0) -> list[Detection]:
    pipeline = Pipeline(profile)
    step = int(block_s * synth.RATE_HZ)
    found: list[Detection] = []
    for i in range(0, len(audio), step):
        found += pipeline.feed(audio[i : i + step].astype(np.float32))
    return found + pipeline.flush()


def two_tone_heard_at_harmonic(*, turns: int = 12, tone_s: float = 0.25) -> np.ndarray:
    """The pump's alternating tones, its high tone's turns heard now at the fundamental, now (the microphone and the
    room lifting it) at its second harmonic: the band's strongest peak jumps an octave within the turn."""
    parts = []
    for turn in range(turns):
        if turn % 2:
            parts += [synth.tone(HIGH_HZ, tone_s / 2, attack_s=0.005, decay_s=0.0),
                      synth.tone(HIGH_HZ, tone_s / 2, harmonics=[2.5], amplitude=0.25, attack_s=0.0, decay_s=0.005)]
        else:
            parts.append(synth.tone(LOW_HZ, tone_s, attack_s=0.005, decay_s=0.005))
    return synth.sequence(parts)


def test_a_two_tone_alarm_partly_heard_at_a_harmonic_is_critical(default: Profile) -> None:
    """Was `one_tone` (three pitches in the burst: music). The harmonic counts as its tone, the sounding reports
    the fundamentals."""
    rng = np.random.default_rng(1)
    audio = synth.mix_at_snr(two_tone_heard_at_harmonic(), synth.pink_noise(12.0, rng), 5.0, at_s=3.0)
    found = detect(default, audio)
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL]
    low, high = found[0].frequencies_hz
    assert low == pytest.approx(LOW_HZ, rel=0.01)
    assert high == pytest.approx(HIGH_HZ, rel=0.01)
    assert found[0].confidence <= 0.6  # a guess stays capped


def test_a_two_tone_alarm_right_after_a_voice_is_critical(default: Profile) -> None:
    """Was `one_tone`: a word spoken just before the burst (tonal bits at other pitches, under half a second before
    its first turn) ran into it. Tonal sounds before the two tones' turns are not part of them."""
    rng = np.random.default_rng(2)
    voice = synth.sequence([synth.tone(hz, 0.12, glide_hz=0.0) for hz in (640.0, 820.0, 700.0)])
    alarm = synth.sequence([voice, synth.silence(0.2),
                            synth.two_tone(LOW_HZ, HIGH_HZ, tone_s=0.25, burst_s=3.0, start_high=False)])
    audio = synth.mix_at_snr(alarm, synth.pink_noise(12.0, rng), 5.0, at_s=3.0)
    found = detect(default, audio)
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL]
    assert found[0].start_s == pytest.approx(3.56, abs=0.2)


def _doppler_hilo(low_hz: float, high_hz: float, seconds: float, tone_s: float) -> np.ndarray:
    """A hi-lo siren passing by: its pitch falls by 2 % over the pass (Doppler)."""
    t = np.arange(int(seconds * synth.RATE_HZ)) / synth.RATE_HZ
    frequency = np.where((t // tone_s) % 2 == 0, high_hz, low_hz) * (1.01 - 0.02 * t / seconds)
    return (0.4 * np.sin(2 * np.pi * np.cumsum(frequency) / synth.RATE_HZ)).astype(np.float32)


def test_a_hi_lo_siren_heard_in_pieces_is_never_critical(default: Profile) -> None:
    """A siren going on, with the traffic drowning it every few seconds: each piece after the first is a short
    burst of two alternating steady tones, like the pump's. Its tones were heard just before each one, in a piece
    not reported: a sound going on, not the pump starting (reason `not_isolated`)."""
    rng = np.random.default_rng(3)
    siren = _doppler_hilo(614.0, 995.0, 24.0, 0.55)
    envelope = np.ones(len(siren), dtype=np.float32)
    for start_s in (8.0, 11.8, 15.6, 19.4):  # pieces of 3.2 s after a first one too long to be the pump's burst
        envelope[int(start_s * synth.RATE_HZ) : int((start_s + 0.6) * synth.RATE_HZ)] = 0.0
    audio = synth.mix_at_snr(siren * envelope, synth.pink_noise(30.0, rng), 10.0, at_s=3.0)
    assert [d for d in detect(default, audio) if d.alarm is AlarmKind.CRITICAL] == []


def beep_heard_at_harmonic(frequency_hz: float = 1654.0) -> np.ndarray:
    """One 0.4 s beep whose second harmonic outsounds the fundamental in the middle of the beep (the room's modes,
    the microphone): the band's strongest peak goes fundamental → harmonic → fundamental."""
    edge = synth.tone(frequency_hz, 0.1, attack_s=0.005, decay_s=0.0)
    middle = synth.tone(frequency_hz, 0.2, harmonics=[2.5], amplitude=0.25, attack_s=0.0, decay_s=0.0)
    return synth.sequence([edge, middle, edge[::-1].copy()])


@pytest.mark.parametrize("snr_db", [0.0, 10.0, 20.0])
def test_a_beep_heard_partly_at_its_harmonic_is_heard_at_any_level(default: Profile, snr_db: float) -> None:
    """A louder copy of a sounding must be heard whenever a quieter one is. Was: the beep cut in two soundings, the
    fundamental's pieces too short and the harmonic's 'cluttered' by them, or heard only when faint enough for the
    fundamental's pieces to drop out."""
    rng = np.random.default_rng(4)
    audio = synth.mix_at_snr(beep_heard_at_harmonic(), synth.pink_noise(12.0, rng), snr_db, at_s=4.0)
    found = detect(default, audio)
    assert [d.alarm for d in found] == [AlarmKind.NON_CRITICAL]
    assert found[0].frequencies_hz[0] == pytest.approx(1654.0, rel=0.01)


def _wail(seconds: float, low_hz: float, high_hz: float, period_s: float) -> np.ndarray:
    t = np.arange(int(seconds * synth.RATE_HZ)) / synth.RATE_HZ
    frequency = low_hz + (high_hz - low_hz) * (0.5 - 0.5 * np.cos(2 * np.pi * t / period_s))
    return (0.4 * np.sin(2 * np.pi * np.cumsum(frequency) / synth.RATE_HZ)).astype(np.float32)


def test_the_steady_turn_of_a_siren_wail_is_not_a_beep(default: Profile) -> None:
    """A wail glides up and down; at the bottom of its glide it holds its pitch for a moment, steady like a beep.
    Was heard as the non-critical alarm: the glides on either side were dropped as sweeps and the turn stood alone
    in a quiet room. The glides now count as tonal sounds around it (clutter)."""
    rng = np.random.default_rng(5)
    low_hz, high_hz, period_s = rng.uniform(400, 700), rng.uniform(1100, 1500), rng.uniform(3, 6)  # 642, 1423, 4.5
    wail = synth.reverb(_wail(20.0, low_hz, high_hz, period_s), rng, rt60_s=0.4)
    audio = synth.mix_at_snr(wail, synth.pink_noise(26.0, rng), 10.0, at_s=3.0)
    assert detect(default, audio) == []
