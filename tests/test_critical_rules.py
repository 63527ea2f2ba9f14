"""The critical detector's checks that tell the pump's two-tone burst from look-alikes, one test per rule, each with
real synthetic audio through the real Pipeline (and, for the learned tone length, through enroll)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from monitord.alarms import AlarmKind
from monitord.detectors import Detection, critical
from monitord.enroll import enroll
from monitord.pipeline import Pipeline
from monitord.profiles import Profile, load_profile
from tests import synth
from tests.conftest import DATA, PUMP_HIGH_HZ, PUMP_LOW_HZ, PUMP_TONE_S

RATE_HZ = 16000


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(DATA / "golden-profile.toml")


def stream(profile: Profile, audio: np.ndarray) -> tuple[list[Detection], dict[str, int]]:
    """Feed 0.1 s blocks as the daemon does; the detections and the critical detector's reason counters."""
    pipeline = Pipeline(profile)
    found: list[Detection] = []
    for i in range(0, len(audio), 1600):
        found += pipeline.feed(audio[i : i + 1600].astype(np.float32))
    found += pipeline.flush()
    return found, pipeline.counters()["critical_two_tone"]


def in_noise(sound: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return synth.mix_at_snr(sound, synth.pink_noise(12.0, rng), 0.0, at_s=4.0)


def note(frequency_hz: float, duration_s: float) -> np.ndarray:
    return synth.tone(frequency_hz, duration_s, harmonics=(0.0, 0.25))


def warbling_note(frequency_hz: float, duration_s: float, *, depth: float = 0.0075, step_s: float = 0.1) -> np.ndarray:
    """A note that steps between two pitches ±depth every step_s (phase-continuous), like a warbling toy or a tonal
    bit of music wandering inside the band: its mean is on the note, its frames are not."""
    n = round(duration_s * RATE_HZ)
    offset = np.where((np.arange(n) / (step_s * RATE_HZ)).astype(int) % 2 == 0, depth, -depth)
    phase = 2 * np.pi * np.cumsum(frequency_hz * (1 + offset)) / RATE_HZ
    envelope = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.01 * RATE_HZ))
    return (0.5 * np.sin(phase) * envelope).astype(np.float32)


def test_the_pump_with_its_clock_drifted_one_percent_is_still_heard(profile: Profile) -> None:
    """Guard for the ratio rule: both tones 1 % high (one oscillator running fast) keep the learned ratio."""
    burst = synth.two_tone(PUMP_LOW_HZ * 1.01, PUMP_HIGH_HZ * 1.01, tone_s=PUMP_TONE_S, burst_s=2.0,
                           harmonics=(0.0, 0.25))
    found, _ = stream(profile, in_noise(burst, 1))
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_notes_out_of_the_pumps_ratio_are_not_the_pump(profile: Profile, seed: int) -> None:
    """Each note only 0.4 % off its tone (well inside the ±1.75 % mean tolerance), but in opposite directions: the
    ratio is 0.8 % off, which one oscillator cannot do (reason `wrong_ratio`; 0.28 bin on each tone allows 0.69 %
    at 1100/1480 Hz)."""
    burst = synth.two_tone(PUMP_LOW_HZ * 0.996, PUMP_HIGH_HZ * 1.004, tone_s=PUMP_TONE_S, burst_s=2.0,
                           harmonics=(0.0, 0.25))
    found, counters = stream(profile, in_noise(burst, seed))
    assert found == []
    assert counters.get("wrong_ratio", 0) >= 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_note_that_warbles_in_the_band_is_not_the_pump(profile: Profile, seed: int) -> None:
    """The pump's rhythm and notes, but each high turn steps between two pitches 1.5 % apart: every turn's mean is on
    the note (so `inconsistent` and `off_frequency` pass) and no turn glides far enough to count as a sweep, but the
    frames scatter by more than half a bin, which the pump's oscillator never does (reason `unsteady`)."""
    turns = [warbling_note(PUMP_HIGH_HZ, PUMP_TONE_S) if i % 2 == 0 else note(PUMP_LOW_HZ, PUMP_TONE_S)
             for i in range(10)]
    found, counters = stream(profile, in_noise(synth.sequence(turns), seed))
    assert found == []
    assert counters.get("unsteady", 0) >= 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_pumps_notes_alternating_at_one_and_a_half_its_pace_are_not_the_pump(profile: Profile,
                                                                                 seed: int) -> None:
    """0.3 s turns against the learned 0.2 s tone: within the ×2.5 rhythm bound of old and the ×1.7 cycle bound,
    but a low+high cycle of 1.5× the pump's is another device's pace (reason `wrong_cycle`, long side ×1.4)."""
    burst = synth.two_tone(PUMP_LOW_HZ, PUMP_HIGH_HZ, tone_s=0.3, burst_s=3.2, harmonics=(0.0, 0.25))
    found, counters = stream(profile, in_noise(burst, seed))
    assert found == []
    assert counters.get("wrong_cycle", 0) >= 1


@pytest.mark.parametrize("seed", [1, 2])
def test_the_pumps_notes_in_an_uneven_rhythm_are_not_the_pump(profile: Profile, seed: int) -> None:
    """short-short-long-long (0.2 s, 0.36 s), like the game jingle the benchmark took for the pump: each tone's
    lower-median turn is the pump's, so the cycle passes, but the median turn is 1.8× the learned tone, and the
    pump's clock never plays a turn that long (reason `wrong_rhythm`, bound ×1.6)."""
    turns: list[np.ndarray] = []
    for _ in range(3):
        turns += [note(PUMP_HIGH_HZ, 0.2), note(PUMP_LOW_HZ, 0.2), note(PUMP_HIGH_HZ, 0.36), note(PUMP_LOW_HZ, 0.36)]
    found, counters = stream(profile, in_noise(synth.sequence(turns), seed))
    assert found == []
    assert counters.get("wrong_rhythm", 0) >= 1


@pytest.mark.parametrize("tone_s", [0.145, 0.175])
def test_enroll_learns_a_tone_that_is_not_a_whole_number_of_frames(tmp_path: Path, tone_s: float) -> None:
    """Turns are whole 32 ms frames, so a median turn is off by up to half a frame (0.145 s reads 0.128 or 0.16);
    half a low+high pair is one cycle of the pump's clock at twice the resolution. The rhythm and cycle bounds
    (×1.6, ×1.4) need the tone to within a few percent."""
    rng = np.random.default_rng(5)
    rate = 44100
    audio = synth.pink_noise(16.0, rng, level=0.01, rate_hz=rate)
    for at in (2.0, 7.0, 12.0):
        sound = synth.two_tone(PUMP_LOW_HZ, PUMP_HIGH_HZ, tone_s=tone_s, burst_s=2.0, rate_hz=rate,
                               harmonics=(0.0, 0.25))
        audio = synth.mix_at_snr(synth.reverb(sound, rng, rt60_s=0.3, rate_hz=rate), audio, 12.0, at_s=at,
                                 rate_hz=rate)
    result = enroll(synth.write_wav(tmp_path / "clinic.wav", audio, rate_hz=rate), AlarmKind.CRITICAL)
    assert result.signature.tone_typical_s == pytest.approx(tone_s, rel=0.05)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_faint_high_tone_on_its_learned_note_is_still_heard(profile: Profile, seed: int) -> None:
    """Clothing muffles the high tone 8 dB more than the low one, at −16 dB under pink noise: most of its frames
    stand only 6–8 dB over the floor. On the learned note (±0.6 %) that is enough (NOTE_SNR_DB): noise peaks
    seldom land that close and never hold the note, and the burst still passes every other check."""
    rng = np.random.default_rng(seed)
    muffled = 10 ** (-8 / 20)
    turns = [muffled * note(PUMP_HIGH_HZ, PUMP_TONE_S) if i % 2 == 0 else note(PUMP_LOW_HZ, PUMP_TONE_S)
             for i in range(10)]
    audio = synth.mix_at_snr(synth.sequence(turns), synth.pink_noise(12.0, rng), -16.0, at_s=4.0)
    found, _ = stream(profile, audio)
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL]
    assert found[0].start_s == pytest.approx(4.0, abs=0.5)


@pytest.mark.parametrize("seed", [2, 5])
def test_a_note_running_into_the_first_tone_does_not_hide_the_burst(profile: Profile, seed: int) -> None:
    """Music holds the pump's low note (twice 0.45 s, a 30 ms breath between) right up to a burst that starts on
    that note: joined to the burst's first turn it is one 1.1 s "tone", longer than the pump ever holds one, which
    used to fail the whole chain (`steady_tone`); the burst now starts afresh after it and is heard."""
    burst = synth.two_tone(PUMP_LOW_HZ, PUMP_HIGH_HZ, tone_s=PUMP_TONE_S, burst_s=2.0, harmonics=(0.0, 0.25),
                           start_high=False)
    lead = [note(PUMP_LOW_HZ, 0.45), synth.silence(0.03), note(PUMP_LOW_HZ, 0.45), synth.silence(0.03)]
    found, _ = stream(profile, in_noise(synth.sequence([*lead, burst]), seed))
    burst_start_s, burst_end_s = 4.0 + 0.96, 4.0 + 0.96 + 2.0
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL]
    assert found[0].start_s < burst_end_s
    assert found[0].end_s > burst_start_s


def _clinic_recording(path: Path, offsets: tuple[float, ...]) -> Path:
    """A phone recording of the clinic's demonstration: one sounding per offset (its notes that much off)."""
    rng = np.random.default_rng(6)
    rate = 44100
    audio = synth.pink_noise(5.0 * len(offsets) + 1.0, rng, level=0.01, rate_hz=rate)
    for index, offset in enumerate(offsets):
        sound = synth.two_tone(PUMP_LOW_HZ * (1 + offset), PUMP_HIGH_HZ * (1 + offset), tone_s=PUMP_TONE_S,
                               burst_s=2.0, rate_hz=rate, harmonics=(0.0, 0.25))
        audio = synth.mix_at_snr(synth.reverb(sound, rng, rt60_s=0.3, rate_hz=rate), audio, 12.0,
                                 at_s=1.0 + 5.0 * index, rate_hz=rate)
    return synth.write_wav(path, audio, rate_hz=rate)


def test_enroll_learns_how_far_the_notes_may_wander(tmp_path: Path) -> None:
    """A pump whose soundings hold their notes gets the tight 1 % tolerance (music's near-misses measure 1.3 % off
    and more); one whose third sounding is 0.6 % sharp (0.4 % from the mean) gets about three times that."""
    steady = enroll(_clinic_recording(tmp_path / "steady.wav", (0.0, 0.0, 0.0)), AlarmKind.CRITICAL)
    wandering = enroll(_clinic_recording(tmp_path / "wandering.wav", (0.0, 0.0, 0.006)), AlarmKind.CRITICAL)
    assert steady.signature.mean_tolerance_pct == pytest.approx(1.0)
    assert 1.1 <= wandering.signature.mean_tolerance_pct <= 1.75


def gliding_turns(count: int, *, turn_s: float = 0.25, depth: float = 0.02) -> np.ndarray:
    """Tonal bits of music taking turns in the pump's two bands, each sliding ±depth across its band at about the
    pump's pace: they chain with the pump's tones (no longer apart than its gaps), but no turn holds a note
    (reason `sweep`)."""
    turns = []
    for index in range(count):
        centre_hz = PUMP_HIGH_HZ if index % 2 else PUMP_LOW_HZ
        n = round(turn_s * RATE_HZ)
        phase = 2 * np.pi * np.cumsum(centre_hz * (1 + np.linspace(-depth, depth, n))) / RATE_HZ
        envelope = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.01 * RATE_HZ))
        turns.append((0.5 * np.sin(phase) * envelope).astype(np.float32))
    return synth.sequence(turns)


def with_burst_length(profile: Profile, burst_typical_s: float) -> Profile:
    """The profile as enroll writes it: with the burst's learned length (the golden profile predates it)."""
    assert profile.critical is not None
    return profile.model_copy(update={"critical": profile.critical.model_copy(
        update={"burst_typical_s": burst_typical_s})})


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("then", ["quiet", "more music", "the second burst"])
def test_a_burst_chained_to_the_music_before_it_is_reported_within_a_second_of_its_end(
        profile: Profile, seed: int, then: str) -> None:
    """Six seconds of gliding turns run straight into the burst, so the chain of turns begins in the music and
    every look from its start (or from where a window of the busy band starts) fails as a sweep. The burst used
    to be heard only once a window started near it, 1.6–1.7 s after its end; when the music stopped with it,
    never (only a second burst, 2.6 s late, if one came). Fed in 0.1 s blocks as the daemon does, it is now
    reported within 1 s of the burst's end (issue 2: ≤ 1.5 s after the end of the first burst), once per
    sounding."""
    burst = synth.two_tone(PUMP_LOW_HZ, PUMP_HIGH_HZ, tone_s=PUMP_TONE_S, burst_s=2.0, harmonics=(0.0, 0.25))
    lead = gliding_turns(24)
    following = {"quiet": [], "more music": [gliding_turns(12)], "the second burst": [synth.silence(0.9), burst]}
    sound = synth.sequence([lead, burst, *following[then]])
    audio = synth.mix_at_snr(sound, synth.pink_noise(24.0, np.random.default_rng(seed)), 0.0, at_s=4.0)
    burst_start_s = 4.0 + len(lead) / RATE_HZ
    burst_end_s = burst_start_s + 2.0
    pipeline = Pipeline(with_burst_length(profile, 2.0))
    heard: list[tuple[float, Detection]] = []
    block = RATE_HZ // 10
    for i in range(0, len(audio), block):
        heard += [((i + block) / RATE_HZ, d) for d in pipeline.feed(audio[i : i + block].astype(np.float32))]
    heard += [(len(audio) / RATE_HZ, d) for d in pipeline.flush()]
    assert [d.alarm for _, d in heard] == [AlarmKind.CRITICAL]
    at_s, detection = heard[0]
    assert detection.start_s < burst_end_s
    assert detection.end_s > burst_start_s
    assert at_s - burst_end_s <= 1.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gliding_turns_alone_are_not_the_pump(profile: Profile, seed: int) -> None:
    """Guard for the later starts judged in a growing chain: 12 s of gliding turns at the pump's pace in its two
    bands are looked at from many turns, and each look fails (reason `sweep`)."""
    audio = synth.mix_at_snr(gliding_turns(48), synth.pink_noise(20.0, np.random.default_rng(seed)), 0.0, at_s=4.0)
    found, counters = stream(with_burst_length(profile, 2.0), audio)
    assert found == []
    assert counters.get("sweep", 0) >= 1


def with_tones(profile: Profile, low_hz: float, high_hz: float) -> Profile:
    """The profile with its critical notes moved (the rest of the learned signature kept)."""
    assert profile.critical is not None
    return profile.model_copy(update={"critical": profile.critical.model_copy(
        update={"frequencies_hz": (low_hz, high_hz)})})


def with_low_tones(profile: Profile) -> Profile:
    """A pump whose notes sit low (660.9 / 1025.6 Hz, learned from benchmark seed 31's first pump), where a bin is
    2.4 % of the low note."""
    return with_tones(profile, 660.9, 1025.6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_low_pump_whose_low_tone_reads_a_third_of_a_bin_sharp_is_still_heard(profile: Profile, seed: int) -> None:
    """Heard faintly, a 660 Hz tone's median frame can read 0.35–0.4 bin off the note (seed 31 at −10 dB: 667.7 Hz
    beside a 1027.3 Hz high tone), a 0.86 % error in the ratio: 0.2 bin allowed on each tone (0.78 % here) called it
    `wrong_ratio` and the sounding's first burst was missed. The low tone here is 5.7 Hz sharp (0.86 %)."""
    burst = synth.two_tone(660.9 * 1.0086, 1025.6, tone_s=PUMP_TONE_S, burst_s=2.0, harmonics=(0.0, 0.25))
    found, counters = stream(with_low_tones(profile), in_noise(burst, seed))
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL], counters


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_low_pump_with_its_notes_half_a_bin_apart_from_its_ratio_is_not_heard(profile: Profile, seed: int) -> None:
    """Guard on the widened allowance: the low note 1.35 % (0.57 bin) sharp, still inside the mean tolerance, breaks
    the learned ratio by more than a quarter of a bin on each tone (`wrong_ratio`)."""
    burst = synth.two_tone(660.9 * 1.0135, 1025.6, tone_s=PUMP_TONE_S, burst_s=2.0, harmonics=(0.0, 0.25))
    found, counters = stream(with_low_tones(profile), in_noise(burst, seed))
    assert found == []
    assert counters.get("wrong_ratio", 0) >= 1


def with_high_tones(profile: Profile) -> Profile:
    """A pump whose notes sit high (2511 / 3781.8 Hz, learned from benchmark seed 5's first pump), where a bin is
    0.62 % of the low note."""
    return with_tones(profile, 2511.0, 3781.8)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_high_notes_a_little_out_of_the_pumps_ratio_are_not_the_pump(profile: Profile, seed: int) -> None:
    """Seed 5's music and phone rings held notes at 2521 / 3770 Hz beside a pump at 2511 / 3782 Hz: each within
    0.4 % of its tone, the ratio 0.4 % off, which was inside the old 0.6 % floor: 5 of that corpus's 6 false
    criticals. Here, the notes 0.2 % off in opposite directions: a ratio 0.4 % off is ~0.65 bin on the low tone, far
    more than the pump's own bursts ever read (≤ 0.24 bin on each) — reason `wrong_ratio`."""
    burst = synth.two_tone(2511.0 * 1.002, 3781.8 * 0.998, tone_s=PUMP_TONE_S, burst_s=2.0, harmonics=(0.0, 0.25))
    found, counters = stream(with_high_tones(profile), in_noise(burst, seed))
    assert found == []
    assert counters.get("wrong_ratio", 0) >= 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_high_pump_whose_low_tone_reads_a_fifth_of_a_bin_sharp_is_still_heard(profile: Profile, seed: int) -> None:
    """Guard on the ratio rule for high notes: the low tone 3 Hz (0.2 bin, 0.12 %) sharp, as a faint tone's median
    frame can read, keeps the sounding."""
    burst = synth.two_tone(2511.0 + 3.0, 3781.8, tone_s=PUMP_TONE_S, burst_s=2.0, harmonics=(0.0, 0.25))
    found, counters = stream(with_high_tones(profile), in_noise(burst, seed))
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL], counters


def horn_note(frequency_hz: float, duration_s: float, partials: tuple[float, ...]) -> np.ndarray:
    """One note of a siren's horn: partials 1, 2, 3, ... at these relative amplitudes."""
    n = round(duration_s * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    wave = sum(level * np.sin(2 * np.pi * (k + 1) * frequency_hz * t) for k, level in enumerate(partials))
    envelope = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.005 * RATE_HZ))
    return (0.3 * wave * envelope).astype(np.float32)


def hilo_siren(low_note_hz: float, high_note_hz: float, *, note_s: float, duration_s: float,
               partials: tuple[float, ...]) -> np.ndarray:
    notes = [horn_note(high_note_hz if i % 2 else low_note_hz, note_s, partials)
             for i in range(round(duration_s / note_s))]
    return synth.sequence(notes)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_hilo_siren_whose_fifth_partials_are_the_pumps_notes_is_not_the_pump(profile: Profile, seed: int) -> None:
    """Seed 13's hi-lo siren (516 / 672 Hz) put its 5th partial on pump0's low tone and was reported as critical:
    its notes were out of step with the chain's turns, so no bin rose in every turn (the in-step test). Here the
    siren's notes are a fifth of the pump's (220 / 296 Hz) at the pump's pace, its 3rd and 6th partials (660 and
    1320 Hz) 3 dB under the 5th (a horn's resonance), so no bin is 3 dB louder than the tone either: only the low
    tone's neighbouring partials 3/5 and 6/5 of it, standing out in the low turns and not in the high ones, tell
    (reason `lower_note`). The `ratio` branch reported all three."""
    siren = hilo_siren(PUMP_LOW_HZ / 5, PUMP_HIGH_HZ / 5, note_s=PUMP_TONE_S, duration_s=2.0,
                       partials=(0.3, 0.3, 0.7, 0.4, 1.0, 0.7))
    audio = synth.mix_at_snr(siren, synth.pink_noise(12.0, np.random.default_rng(seed)), 6.0, at_s=4.0)
    found, counters = stream(profile, audio)
    assert found == []
    assert counters.get("lower_note", 0) >= 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_pump_over_a_louder_siren_at_its_own_pace_is_still_heard(profile: Profile, seed: int) -> None:
    """Guard for the lower-note rule: a hi-lo siren 10 dB over the noise (220 / 300 Hz, 0.55 s a note, partials
    1–4) keeps 660 and 880 Hz, 3/5 and 4/5 of the low tone, standing out through half of the pump's turns of each
    tone; the pump 6 dB under it is heard (they do not come and go with its low tone)."""
    rng = np.random.default_rng(seed)
    siren = hilo_siren(PUMP_LOW_HZ / 5, 300.0, note_s=0.55, duration_s=8.0, partials=(1.0, 0.5, 0.7, 0.7))
    burst = synth.two_tone(PUMP_LOW_HZ, PUMP_HIGH_HZ, tone_s=PUMP_TONE_S, burst_s=2.0, harmonics=(0.0, 0.25))
    audio = synth.mix_at_snr(siren, synth.pink_noise(12.0, rng), 10.0, at_s=2.0)
    found, counters = stream(profile, synth.mix_at_snr(burst, audio, -6.0, at_s=5.0))
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL], counters
    assert found[0].start_s == pytest.approx(5.0, abs=0.5)


@pytest.mark.parametrize(("note_s", "music", "seed"), [(0.2, False, 1), (0.25, False, 2), (0.2, True, 2)])
def test_a_hilo_siren_whose_partials_land_crossed_over_on_the_pumps_notes_is_not_the_pump(
        profile: Profile, note_s: float, music: bool, seed: int) -> None:
    """Fresh benchmark corpora 89 and 97 each had a hi-lo siren reported as critical: one note's 5th (or 4th) partial
    on the pump's high tone, the other note's 3rd on its low tone. Here a siren at 296 / 367 Hz (1480 / 5 and
    1100 / 3) with the benchmark sirens' partials (2nd–5th at 0.25, 0.3, 0.1, 0.1), at the pump's pace, 12 dB over
    pink noise (and once after a faint line on the high tone, as music left before seed 97's siren). No context bin
    rises in every turn 3 dB louder than a tone and the low tone's neighbours are not a series, but the high tone's
    3/5 (888 Hz) stands out in its turns, louder than the tone, and 4/5 with it (reason `note_below`). Each of these
    was reported as critical before the rule."""
    background = synth.pink_noise(14.0, np.random.default_rng(seed))
    if music:
        background = synth.place(background, synth.tone(PUMP_HIGH_HZ * 1.003, 1.5, amplitude=0.02), 3.0)
    siren = hilo_siren(PUMP_HIGH_HZ / 5, PUMP_LOW_HZ / 3, note_s=note_s, duration_s=6.0,
                       partials=(1.0, 0.25, 0.3, 0.1, 0.1))
    audio = synth.mix_at_snr(siren, background, 12.0, at_s=4.0)
    found, counters = stream(profile, audio)
    assert found == []
    with pytest.MonkeyPatch.context() as patch:  # the rule on its own: GOES_ON (no steady turn) refuses it sooner
        patch.setattr(critical, "STEADY_MIN_ON_SHARE", 2.0)
        found, counters = stream(profile, audio)
    assert found == []
    assert counters.get("note_below", 0) >= 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_pump_beside_a_louder_steady_note_on_a_partial_below_its_tone_is_still_heard(profile: Profile,
                                                                                          seed: int) -> None:
    """Guard for the note-below rule: an organ-like note at 296 Hz (partials 1–4, 888 Hz = 3/5 of the high tone
    among them) held through the whole burst, the pump 10 dB under it and the noise: its partials stand out, louder
    than the tones, in the low turns as much as in the high ones, so they are not the high tone's note (without the
    in-step limits, each of these would be rejected)."""
    rng = np.random.default_rng(seed)
    organ = horn_note(PUMP_HIGH_HZ / 5, 6.0, (1.0, 0.5, 0.7, 0.5))
    burst = synth.two_tone(PUMP_LOW_HZ, PUMP_HIGH_HZ, tone_s=PUMP_TONE_S, burst_s=2.0, harmonics=(0.0, 0.25))
    audio = synth.mix_at_snr(organ, synth.pink_noise(12.0, rng), 12.0, at_s=3.0)
    found, counters = stream(profile, synth.mix_at_snr(burst, audio, -10.0, at_s=5.0))
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL], counters
    assert found[0].start_s == pytest.approx(5.0, abs=0.5)


def yelp(low_hz: float, high_hz: float, *, period_s: float, duration_s: float) -> np.ndarray:
    """A siren's yelp: its fundamental swept from low_hz up to high_hz every period_s (a sawtooth), with the
    benchmark's siren partials (2nd to 5th at 0.25, 0.3, 0.1, 0.1)."""
    n = round(duration_s * RATE_HZ)
    pitch = low_hz + (high_hz - low_hz) * ((np.arange(n) / RATE_HZ / period_s) % 1.0)
    phase = 2 * np.pi * np.cumsum(pitch) / RATE_HZ
    wave = np.sin(phase) + sum(level * np.sin(k * phase) for k, level in enumerate((0.25, 0.3, 0.1, 0.1), start=2))
    return (0.3 * wave).astype(np.float32)


def like_seed_13s_pump1(profile: Profile) -> Profile:
    """The pump beside which seed 13's yelp was reported: 1304.4 / 1897.9 Hz, 0.304 s tones (as enroll learned it)."""
    assert profile.critical is not None
    return profile.model_copy(update={"critical": profile.critical.model_copy(update={
        "frequencies_hz": (1304.4, 1897.9), "tone_typical_s": 0.304, "gap_max_s": 0.426, "mean_tolerance_pct": 1.52})})


@pytest.mark.parametrize(("period_s", "snr_db", "seed"), [(0.4, 10.0, 1), (0.42, 8.0, 4), (0.38, 8.0, 3)])
def test_a_yelp_sweeping_through_both_bands_over_music_is_not_the_pump(profile: Profile, period_s: float,
                                                                        snr_db: float, seed: int) -> None:
    """Seed 13's siren yelp over music was reported as critical beside a pump at 1304 / 1898 Hz: the top of each sweep
    touched the low band, its 2nd harmonic crossed the high one, and in those frames the music's faint lines a
    little off the notes stood out, so the turns read steady pitches. Here the same: a yelp 812 → 1250 Hz over two
    lines at 1317.5 and 1906 Hz, 23.5 dB under its fundamental. Below the low tone the yelp's fundamental climbs a
    bin or two every frame, louder than the tones, and the high tone is heard two frames at a time (reason
    `glide_below`). The `ratio` branch reported each of these three."""
    lines = synth.tone(1317.5, 3.0, amplitude=0.02) + synth.tone(1906.0, 3.0, amplitude=0.02)
    sound = yelp(812.0, 1250.0, period_s=period_s, duration_s=3.0) + lines
    audio = synth.mix_at_snr(sound, synth.pink_noise(12.0, np.random.default_rng(seed)), snr_db, at_s=4.0)
    found, counters = stream(like_seed_13s_pump1(profile), audio)
    assert found == []
    assert counters.get("glide_below", 0) >= 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_pump_under_a_louder_yelp_is_still_heard(profile: Profile, seed: int) -> None:
    """Guard for the glide rule: a yelp (500 → 1000 Hz every 0.3 s) 10 dB over the pump glides below its low tone,
    louder than it, through the whole burst; but the pump's tones still hold through their turns, so the burst is
    heard (with the glide alone as the rule it was not)."""
    rng = np.random.default_rng(seed)
    siren = synth.mix_at_snr(yelp(500.0, 1000.0, period_s=0.3, duration_s=8.0), synth.pink_noise(12.0, rng), 10.0,
                             at_s=2.0)
    burst = synth.two_tone(PUMP_LOW_HZ, PUMP_HIGH_HZ, tone_s=PUMP_TONE_S, burst_s=2.0, harmonics=(0.0, 0.25))
    found, counters = stream(profile, synth.mix_at_snr(burst, siren, -10.0, at_s=5.0))
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL], counters


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_pump_under_louder_voices_is_still_heard(profile: Profile, seed: int) -> None:
    """Guard for the glide rule: voices 6 dB over the pump put their loudest partials below its low tone, but a voice's
    harmonics glide slowly and its loudest one hops between them: no steady sweep, the pump is heard."""
    rng = np.random.default_rng(seed)
    burst = synth.two_tone(PUMP_LOW_HZ, PUMP_HIGH_HZ, tone_s=PUMP_TONE_S, burst_s=2.0, harmonics=(0.0, 0.25))
    found, counters = stream(profile, synth.mix_at_snr(burst, synth.babble(12.0, rng), -6.0, at_s=4.0))
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL], counters


def test_pitch_scatter_is_the_median_deviation_from_the_median_as_numpy_takes_it() -> None:
    from monitord.detectors.critical import _scatter_hz

    rng = np.random.default_rng(4)
    for frames in (1, 2, 5, 6, 33):
        pitch = (1060.0 + rng.normal(scale=2.0, size=frames)).astype(np.float32)
        assert _scatter_hz(pitch) == float(np.median(np.abs(pitch - np.median(pitch))))


def test_a_hilo_siren_going_on_stays_refused_however_its_turns_are_cut() -> None:
    """Fresh benchmark seed 127, pump1 (1279 / 1684 Hz, turns 0.49 s), background-2 at 364–380 s (real music and
    room; 16 kHz as recorded): a hi-lo siren at 641 / 842 Hz puts its 2nd partials on the pump's notes at the pump's
    pace. Four chains in 1.6 s were refused as its turns (in_step), then one in which its low note stood only
    1.5 dB over the tone (3 dB asked) was reported as critical, and one more 5 s later. The siren's turns going on
    after the refusal are that siren still (reason `louder_sound_going_on`)."""
    audio, rate = sf.read(DATA / "hilo-siren-on-the-pumps-notes-going-on.flac", dtype="float32")
    assert rate == RATE_HZ
    found, counters = stream(load_profile(DATA / "hilo-siren-pump-profile.toml"), audio)
    assert found == []
    with pytest.MonkeyPatch.context() as patch:  # the rule on its own: GOES_ON (no steady turn) refuses it sooner
        patch.setattr(critical, "STEADY_MIN_ON_SHARE", 2.0)
        found, counters = stream(load_profile(DATA / "hilo-siren-pump-profile.toml"), audio)
    assert found == []
    assert counters.get("in_step", 0) >= 1
    assert counters.get("louder_sound_going_on", 0) >= 1


@pytest.mark.parametrize("seed", [1, 2])
def test_the_pump_after_a_siren_has_passed_is_still_heard(profile: Profile, seed: int) -> None:
    """Guard for louder_sound_going_on: a hi-lo siren whose 2nd partials are the pump's notes, at the pump's pace,
    is refused; the pump's own burst 1.5 s after the siren stopped (past the learned gap) is heard."""
    rng = np.random.default_rng(seed)
    siren = hilo_siren(PUMP_LOW_HZ / 2, PUMP_HIGH_HZ / 2, note_s=PUMP_TONE_S, duration_s=4.0,
                       partials=(1.0, 0.3, 0.1, 0.1))
    burst = synth.two_tone(PUMP_LOW_HZ, PUMP_HIGH_HZ, tone_s=PUMP_TONE_S, burst_s=2.0, harmonics=(0.0, 0.25))
    audio = synth.mix_at_snr(siren, synth.pink_noise(12.0, rng), 10.0, at_s=1.0)
    found, counters = stream(profile, synth.mix_at_snr(burst, audio, 0.0, at_s=6.5))
    assert counters.get("in_step", 0) + counters.get("goes_on", 0) >= 1  # (GOES_ON: 4 s of steady turns)
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL], counters
    assert found[0].start_s == pytest.approx(6.5, abs=0.5)


def test_a_piece_of_a_siren_whose_notes_are_off_over_its_chain_is_not_trimmed_into_the_pump() -> None:
    """Fresh benchmark seed 127, pump1's background-2 at 144–176 s (real; in 16 s blocks, as `analyze` reads it): a
    hi-lo siren's chain of 5 turns on the pump's notes at 160.4 s is refused whole as `wrong_ratio`; without its last
    turn it passed every check and was reported as critical. A chain refused for its notes is not trimmed
    (TRIM_NOT_AFTER). (Cut into 4 s blocks instead, one of its chains passes whole: a gap left open.)"""
    audio, rate = sf.read(DATA / "hilo-siren-notes-off-until-trimmed.flac", dtype="float32")
    assert rate == RATE_HZ
    pipeline = Pipeline(load_profile(DATA / "hilo-siren-pump-profile.toml"))
    found: list[Detection] = []
    for i in range(0, len(audio), 16 * RATE_HZ):
        found += pipeline.feed(audio[i : i + 16 * RATE_HZ])
    found += pipeline.flush()
    assert found == []
    assert pipeline.counters()["critical_two_tone"].get("wrong_ratio", 0) >= 1


def _each_way(profile: Profile, audio: np.ndarray) -> list[tuple[list[Detection], dict[str, int]]]:
    """Streamed in 0.1 s blocks (the daemon) and in 16 s blocks (`analyze`): the detections and reason counters."""
    heard = [stream(profile, audio)]
    pipeline = Pipeline(profile)
    found: list[Detection] = []
    for i in range(0, len(audio), 16 * RATE_HZ):
        found += pipeline.feed(audio[i : i + 16 * RATE_HZ].astype(np.float32))
    found += pipeline.flush()
    return [*heard, (found, pipeline.counters()["critical_two_tone"])]


def test_a_siren_partial_beside_the_high_note_is_not_the_pump() -> None:
    """Benchmark seed 5, pump2 (1509.6 / 2018.2 Hz, 0.45 s turns), background-3 at 78–94 s (real music; 16 kHz as
    recorded): a hi-lo siren at 505 / 693 Hz puts its 3rd partials on 1516 and 2078 Hz, at its own 0.5–0.8 s pace.
    The high turns' in-band peak was the skirt of the 2078 Hz partial (3 % over the note, the band's edge reading
    2022 Hz): that tone's own bin stood 13 dB *under* the bins beside it, and the chain was reported as critical in
    either block size. A tone must stand on its note (reason `beside_note`, BESIDE_NOTE_MAX_DB)."""
    audio, rate = sf.read(DATA / "hilo-siren-beside-the-notes.flac", dtype="float32")
    assert rate == RATE_HZ
    for found, counters in _each_way(load_profile(DATA / "hilo-siren-beside-the-notes-profile.toml"), audio):
        assert [d for d in found if d.alarm == AlarmKind.CRITICAL] == []
        assert counters.get("beside_note", 0) >= 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_pump_whose_notes_are_4_to_3_stands_on_its_notes(seed: int) -> None:
    """Guard for the test above: that pump's own burst (its notes 4:3, their 2nd harmonics present) in pink noise at
    0 dB is heard, in either block size: each tone stands on its note."""
    profile = load_profile(DATA / "hilo-siren-beside-the-notes-profile.toml")
    burst = synth.two_tone(1509.6, 2018.2, tone_s=0.448, burst_s=1.8, harmonics=(0.25, 0.1))
    audio = synth.mix_at_snr(burst, synth.pink_noise(8.0, np.random.default_rng(seed)), 0.0, at_s=3.0)
    for found, counters in _each_way(profile, audio):
        assert [d.alarm for d in found] == [AlarmKind.CRITICAL], counters
