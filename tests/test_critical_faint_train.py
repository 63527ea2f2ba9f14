"""The faint-frames rule (critical.FAINT_SNR_DB) hears a faint tone in the gaps of the other tone's turns. Its train of
turns begins with a turn a pump can sound (blips of clutter in the loud band before it are left out) and needs only
as many as one of the pump's bursts holds of one tone (critical.FAINT_LEAST_TURNS): a pump with long tones sounds its
loud tone three times a burst. Through the real Pipeline fed in 0.1 s blocks, as the daemon does.

tests/data/critical-long-tones-in-music.flac: 10 s of benchmark seed 101's pump0 recall file at −10 dB (114–124 s of
`bench/detection.py --quick --seed 101`, music, 16 kHz): its sounding at 6.34–8.52 s (1349 / 2121 Hz, tones 0.448 s,
one burst of five: H L H L H). The music's notes bury the low tone (its frames read 1330–1370 Hz); in the gaps of the
three high turns the low band's peak sits on 1349 Hz far more often than in the turns, but music's blips in the high
band made the train 9 "turns" long, from 4.9 s, and its gaps held too few such frames (share 0.23): missed before,
while streaming as in bench/detection.py's latency measurement and in `analyze`."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from monitord.alarms import AlarmKind
from monitord.profiles import Profile, load_profile
from tests import synth
from tests.conftest import DATA
from tests.test_critical_faint import stream

LOW_HZ, HIGH_HZ, TONE_S = 1348.5, 2120.8, 0.448


def long_tone_pump() -> Profile:
    """Seed 101's pump0 as `monitord enroll` learned it (bench/out/.../work-quick-enroll/pump0.toml)."""
    profile = load_profile(DATA / "golden-profile.toml")
    assert profile.critical is not None
    return profile.model_copy(update={"critical": profile.critical.model_copy(update={
        "frequencies_hz": (LOW_HZ, HIGH_HZ), "mean_tolerance_pct": 1.0, "tone_min_s": 0.128, "tone_max_s": 1.452,
        "gap_max_s": 0.593, "changes_min": 2, "tone_typical_s": TONE_S, "ratio_spread_pct": 0.0733,
        "burst_min_s": 0.87, "burst_typical_s": 2.208, "burst_max_s": 4.36, "fill_min_pct": 45.0,
        "harmonics_hz": (2698.0, 4045.0, 4243.8, 5394.8, 6363.7, 6741.6)})})


def test_a_long_toned_pump_whose_low_tone_music_buries_is_heard_within_its_burst() -> None:
    audio, rate_hz = sf.read(DATA / "critical-long-tones-in-music.flac", dtype="float32")
    assert rate_hz == synth.RATE_HZ
    found, counters = stream(long_tone_pump(), audio)
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL], counters
    assert 5.6 <= found[0].start_s <= 6.6
    assert found[0].end_s <= 8.7  # reported at the end of its one burst: within 1.5 s of it (streaming)
    low, high = found[0].frequencies_hz
    assert low == pytest.approx(LOW_HZ, rel=0.01)
    assert high == pytest.approx(HIGH_HZ, rel=0.01)


def clutter_on_the_low_note(seed: int, level: float) -> np.ndarray:
    """Pink noise plus a narrow band of noise (±25 Hz) on the low note: its peak wanders about the note."""
    noise = synth.pink_noise(10.0, np.random.default_rng(seed))
    spectrum = np.fft.rfft(np.random.default_rng(100 + seed).standard_normal(len(noise)))
    spectrum[np.abs(np.fft.rfftfreq(len(noise), 1 / synth.RATE_HZ) - LOW_HZ) > 25.0] = 0
    clutter = np.fft.irfft(spectrum, len(noise))
    mixed: np.ndarray = (noise + level * clutter / np.sqrt(np.mean(clutter**2))).astype(np.float32)
    return mixed


def five_tones(*, low_under_db: float) -> np.ndarray:
    """One burst of five 0.448 s tones, high first (three high turns), the low tone `low_under_db` under the high."""
    return synth.sequence([synth.tone(HIGH_HZ if index % 2 == 0 else LOW_HZ, TONE_S,
                                      amplitude=0.5 if index % 2 == 0 else 0.5 * 10 ** (-low_under_db / 20),
                                      harmonics=(0.0, 0.25), attack_s=0.01, decay_s=0.01) for index in range(5)])


@pytest.mark.parametrize(("low_under_db", "snr_db", "clutter", "seed"),
                         [(10.0, -8.0, 0.01, 5), (10.0, -8.0, 0.01, 11), (14.0, -8.0, 0.005, 10),
                          (12.0, -10.0, 0.007, 14)])
def test_a_faint_low_tone_is_heard_through_three_high_turns(low_under_db: float, snr_db: float, clutter: float,
                                                            seed: int) -> None:
    """Missed with a train of four turns at least (`one_tone`). Over seeds 1–16 of four such mixes, 4 more of 64 are
    heard now (these), none lost."""
    audio = synth.mix_at_snr(five_tones(low_under_db=low_under_db), clutter_on_the_low_note(seed, clutter), snr_db,
                             at_s=4.0)
    found, counters = stream(long_tone_pump(), audio)
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL], counters
    assert found[0].frequencies_hz == pytest.approx((LOW_HZ, HIGH_HZ), rel=0.01)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6, 7, 8])
@pytest.mark.parametrize("snr_db", [-6.0, 6.0])
def test_the_high_tone_alone_three_times_in_pink_noise_is_not_the_pump(seed: int, snr_db: float) -> None:
    """Guard: a train of three high turns opens the rule, but their gaps hold only noise, whose peak lands on the low
    note no more often there than during the turns."""
    audio = synth.mix_at_snr(five_tones(low_under_db=200.0), synth.pink_noise(10.0, np.random.default_rng(seed)),
                             snr_db, at_s=4.0)
    found, counters = stream(long_tone_pump(), audio)
    assert found == [], counters
