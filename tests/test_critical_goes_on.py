"""A steady two-tone alternation heard for longer than any of the pump's bursts is another device (GOES_ON).

Fresh benchmark seed 211, pump1 (677.9 / 981.0 Hz, 0.464 s turns, 2.27 s bursts, burst_max_s 4.5 s): a hi-lo siren
alternating at the pump's notes and pace for 26 s (its Doppler shift held it off the notes for the first 10 s) was
reported as critical twice, at 521.3 and 528.4 s, each time by a look from a later turn of one unbroken chain of its
turns. The clip is real (the corpus's background-1 at 510–531 s, 16 kHz); the profile is the one `monitord enroll`
learned there.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from monitord.alarms import AlarmKind
from monitord.detectors import critical
from monitord.frontend import BandRun
from monitord.profiles import Profile, load_profile
from tests import synth
from tests.conftest import DATA, learned_burst
from tests.test_critical_whole_burst import heard  # the detections and the critical detector's reason counters

RATE_HZ = 16000


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(DATA / "seed211-pump1-profile.toml")


@pytest.mark.parametrize("block_s", [0.1, 16.0])
def test_a_siren_on_the_notes_going_on_is_not_the_pump(profile: Profile, block_s: float) -> None:
    """Seed 211 pump1's background-1 at 510–531 s: main reported it as critical twice (521.3 and 528.4 s)."""
    audio, rate = sf.read(DATA / "siren-on-the-notes-going-on.flac", dtype="float32")
    assert rate == RATE_HZ
    found, counters = heard(profile, audio, block_s)
    assert [d for d in found if d.alarm is AlarmKind.CRITICAL] == []
    assert counters.get("goes_on", 0) >= 1


def _endless(profile: Profile) -> np.ndarray:
    """The pump's own notes at its own pace, but for 12 s without a pause (a siren that matches it), from 4 s."""
    rng = np.random.default_rng(7)
    siren = learned_burst(profile, burst_s=12.0)
    return synth.mix_at_snr(siren, synth.pink_noise(20.0, rng), 10.0, at_s=4.0)


@pytest.mark.parametrize("block_s", [0.1, 16.0])
def test_the_pumps_notes_alternating_without_end_are_reported_once_at_most(profile: Profile, block_s: float) -> None:
    """As shipped (GOES_ON_WAIT off): the first burst's length of it is reported — at that moment nothing tells it
    from the pump, and waiting to see whether it stops cost two of the pump's own soundings on the benchmark — but
    once it has gone on longer than any burst, the rest of it is another device (goes_on): one detection, not one
    per burst's length."""
    found, counters = heard(profile, _endless(profile), block_s)
    critical_found = [d for d in found if d.alarm is AlarmKind.CRITICAL]
    assert len(critical_found) == 1, counters
    assert critical_found[0].start_s == pytest.approx(4.0, abs=0.5)
    assert counters.get("goes_on", 0) >= 1


@pytest.mark.parametrize("block_s", [0.1, 16.0])
def test_with_the_wait_the_endless_alternation_is_not_reported(profile: Profile, block_s: float,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """GOES_ON_WAIT on: a look at its first burst's length waits for the alternation to stop, and it does not
    (waiting_for_end, then goes_on) — the siren's onset is not reported either."""
    monkeypatch.setattr(critical, "GOES_ON_WAIT", True)
    found, counters = heard(profile, _endless(profile), block_s)
    assert [d for d in found if d.alarm is AlarmKind.CRITICAL] == [], counters
    assert counters.get("waiting_for_end", 0) >= 1
    assert counters.get("goes_on", 0) >= 1


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("gap_s", [0.5, 1.0])
def test_the_pumps_two_bursts_are_still_the_pump_and_in_time(profile: Profile, seed: int, gap_s: float) -> None:
    """Guard: the pump's sounding, two whole bursts with its shortest pause between them (0.5 s: enroll bridges
    gaps up to gap_max_s only) or a longer one, in noise, is reported once, within 1.5 s of the first burst's end,
    and nothing of it goes on for longer than a burst."""
    rng = np.random.default_rng(seed)
    burst = learned_burst(profile)
    sounding = synth.sequence([burst, synth.silence(gap_s), burst])
    audio = synth.mix_at_snr(sounding, synth.pink_noise(16.0, rng), 0.0, at_s=4.0)
    when: list[float] = []
    found, counters = heard(profile, audio, 0.1, when)
    assert [d.alarm for d in found] == [AlarmKind.CRITICAL], counters
    assert found[0].start_s == pytest.approx(4.0, abs=0.5)
    assert when[0] <= 4.0 + len(burst) / RATE_HZ + 1.5
    assert counters.get("goes_on", 0) == 0


def _run(turns: list[tuple[int, int, float, float, int]]) -> tuple[BandRun, list[tuple[int, int, int]]]:
    """A run of turns (label, frames, pitch Hz, share of its frames heard, frames of pause before it) and its chain."""
    frames = sum(n + pause for _, n, _, _, pause in turns)
    on = np.zeros((2, frames), dtype=bool)
    frequency = np.full((2, frames), np.nan, dtype=np.float32)
    chain = []
    start = 0
    for label, n, pitch, share, pause in turns:
        start += pause
        heard_frames = round(share * n)
        on[label - 1, start : start + heard_frames] = True
        frequency[label - 1, start : start + heard_frames] = pitch
        chain.append((label, start, start + n))
        start += n
    run = BandRun(first_frame=0, start_s=0.0, end_s=frames * 0.032, on=on,
                  snr_db=np.full((2, frames), 20.0, dtype=np.float32), frequency_hz=frequency, truncated=True)
    return run, chain


def test_a_steady_stretch_breaks_at_a_pause_a_pitch_step_or_a_turn_hardly_heard() -> None:
    """Turns heard in most of their frames, back to back, each tone within STEADY_STEP_BINS of its previous turn
    (a slow drift passes); a weak turn, a pitch step or a pause starts a new stretch."""
    step_hz = critical.STEADY_STEP_BINS * 15.625

    def stretches(turns: list[tuple[int, int, float, float, int]]) -> list[tuple[int, int]]:
        run, chain = _run(turns)
        return critical.steady_stretches(run, chain, max_gap_frames=3, max_step_hz=step_hz,
                                         min_on_share=critical.STEADY_MIN_ON_SHARE)

    drifting = [(1 + i % 2, 15, (678.0 if i % 2 == 0 else 981.0) + 0.2 * step_hz * i, 1.0, 0) for i in range(8)]
    assert stretches(drifting) == [(0, 7)]
    weak = list(drifting)
    weak[3] = (*weak[3][:3], 0.5, 0)
    assert stretches(weak) == [(0, 2), (4, 7)]
    jump = list(drifting)
    jump[5] = (jump[5][0], 15, jump[5][2] + 1.5 * step_hz, 1.0, 0)
    assert stretches(jump) == [(0, 4), (5, 6), (7, 7)]  # the stepped turn, then the next high turn off it
    paused = list(drifting)
    paused[4] = (*paused[4][:4], 10)
    assert stretches(paused) == [(0, 3), (4, 7)]
    assert stretches([(*turn[:4], 3 if i == 4 else 0) for i, turn in enumerate(drifting)]) == [(0, 7)]
