"""What the detectors hear does not depend on how the audio is cut into blocks.

The daemon feeds the pipeline 0.1 s blocks (1600 samples), `monitord analyze` 16 s blocks (256000 samples), and an
independent evaluation runs `analyze` while the users run the daemon: both must report the same detections. Each
real clip below (distractors and alarms, from the benchmark corpora) is fed whole in blocks of several sizes, odd ones
too, and every size must give the very same detections (alarm, start, end, confidence, levels, pitches).

Fresh seed 127's hi-lo siren on the pump's notes (`hilo-siren-on-the-pumps-notes-going-on.flac`) was refused streamed
in 0.1 s blocks but reported twice as critical in 16 s blocks (main at 8db3c43): the run still going on was looked at
once per block, at the block's end, so what a look saw (and what it let through) depended on where the blocks ended.
`bench/block_sizes.py` does the same over whole corpus files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from monitord.detectors import Detection
from monitord.pipeline import Pipeline
from monitord.profiles import Profile, load_profile
from tests.conftest import DATA, golden_with_beep, golden_with_critical
from tests.test_critical_faint_train import long_tone_pump
from tests.test_critical_room import PUMP2

# Samples per block: the daemon's 0.1 s, analyze's 16 s, and sizes that end blocks anywhere in a frame (one frame
# is 512 samples, a hop).
BLOCKS = (1600, 256000, 12345, 511, 4000)


def hilo_pump() -> Profile:
    return load_profile(DATA / "hilo-siren-pump-profile.toml")


def room_pump() -> Profile:
    return golden_with_critical(**PUMP2)


def beep_pump5() -> Profile:
    """tests/test_beep_clutter.py's pump5 (a beep sequence)."""
    return golden_with_beep(**{
        "frequency_hz": 4404.4, "mean_tolerance_pct": 0.7, "span_min_s": 0.448, "span_max_s": 2.403,
        "gap_max_s": 0.52, "fill_min_pct": 28.2, "count_max": 5, "quiet_after_s": 2.5, "heard_min_s": 0.16,
        "pitch_scatter_max_hz": 5.47, "beeps_at_enrollment": 3, "pitch_spread_hz": 2.09, "beep_interval_s": 0.648})


def beep_pump7() -> Profile:
    """tests/test_beep_purity.py's pump7 (one beep)."""
    return golden_with_beep(**{
        "frequency_hz": 4148.0, "mean_tolerance_pct": 0.7, "span_min_s": 0.144, "span_max_s": 0.718,
        "gap_max_s": 0.25, "fill_min_pct": 45.0, "count_max": 3, "quiet_after_s": 2.5, "heard_min_s": 0.144,
        "pitch_scatter_max_hz": 5.47, "beeps_at_enrollment": 1, "pitch_spread_hz": 2.34})


def detections(profile: Profile, audio: np.ndarray, rate_hz: int, block: int) -> list[Detection]:
    pipeline = Pipeline(profile, rate_hz=rate_hz)
    found: list[Detection] = []
    for i in range(0, len(audio), block):
        found += pipeline.feed(audio[i : i + block])
    return found + pipeline.flush()


CLIPS = [
    # (clip, profile, the alarm checked, about when each of its detections is; None: whatever is heard)
    ("hilo-siren-on-the-pumps-notes-going-on.flac", hilo_pump, "critical", []),
    ("hilo-siren-notes-off-until-trimmed.flac", hilo_pump, "critical", []),
    ("critical-with-tv-run-into-it.flac", room_pump, "critical", [4.4]),
    ("critical-long-tones-in-music.flac", long_tone_pump, "critical", [6.0]),
    ("beep-sequence-in-gravel-noise.flac", beep_pump5, "non_critical", [9.78, 22.40]),
    ("microwave-beep-over-music.flac", beep_pump7, "non_critical", None),
]


@pytest.mark.parametrize(("clip", "make_profile", "alarm", "expected"), CLIPS, ids=[clip for clip, *_ in CLIPS])
def test_every_block_size_hears_the_same(clip: str, make_profile: Callable[[], Profile], alarm: str,
                                         expected: list[float] | None) -> None:
    audio, rate_hz = sf.read(Path(DATA / clip), dtype="float32")
    profile = make_profile()
    # (in the order of their start: a detector may report one a moment later in some block size, never another)
    heard = {block: sorted(detections(profile, audio, rate_hz, block), key=lambda d: (d.start_s, d.alarm.value))
             for block in BLOCKS}
    streamed = heard[BLOCKS[0]]
    for block, found in heard.items():
        assert found == streamed, f"{block}-sample blocks: {found}\n0.1 s blocks: {streamed}"
    if expected is not None:
        starts = [d.start_s for d in streamed if d.alarm.value == alarm]
        assert len(starts) == len(expected), streamed
        for start_s, about_s in zip(starts, expected, strict=True):
            assert abs(start_s - about_s) <= 1.5, streamed
