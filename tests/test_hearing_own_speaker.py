"""The daemon's ear drops what its own speaker played (alert chime, self-test tone) — and only that."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from monitord.alarms import AlarmKind
from monitord.audio.echo import SpeakerActivity
from monitord.bus import EventBus
from monitord.clock import SystemClock
from monitord.daemon.hearing import Hearing
from monitord.enroll import enroll
from monitord.events import AlarmHeard
from monitord.profiles import Profile, load_profile, save_profile
from tests import synth


def pump_in_a_room() -> synth.Audio:
    rng = np.random.default_rng(11)
    room = synth.pink_noise(12.0, rng, level=0.003)
    pump = synth.two_tone(1100.0, 1480.0, tone_s=0.2, burst_s=2.0, harmonics=(0.0, 0.25))
    return synth.place(room, synth.reverb(pump, rng, rt60_s=0.5), at_s=4.0)


async def blocks(audio: synth.Audio, size: int = 4000) -> AsyncIterator[synth.Audio]:
    for i in range(0, len(audio), size):
        yield audio[i:i + size]


async def hear(profile: Profile, speaker: SpeakerActivity) -> tuple[list[AlarmHeard], Hearing]:
    bus = EventBus()
    out = bus.subscribe("test")
    hearing = Hearing(blocks=blocks(pump_in_a_room()), profile=profile, bus=bus, clock=SystemClock(),
                      node_id="bedroom", microphone="bedroom", rate_hz=synth.RATE_HZ, real_monotonic=time.monotonic,
                      speaker=speaker)
    await hearing.run()
    heard = [e for e in (out.get_nowait() for _ in range(out.queue.qsize())) if isinstance(e, AlarmHeard)]
    return heard, hearing


async def test_a_sound_heard_while_our_speaker_plays_is_ignored_and_counted(
    tmp_path: Path, clinic_recordings: Callable[[str], Path],
) -> None:
    result = enroll(clinic_recordings("critical"), AlarmKind.CRITICAL)
    profile = save_profile(tmp_path / "pump.toml", AlarmKind.CRITICAL, result.signature, name="pump")

    heard, _ = await hear(profile, SpeakerActivity())  # nothing played: the pump is heard
    assert [h.alarm for h in heard] == [AlarmKind.CRITICAL]

    playing = SpeakerActivity()
    playing.mark(datetime.now(UTC) - timedelta(seconds=60), 120.0)  # our speaker played all through
    heard, hearing = await hear(profile, playing)
    assert heard == []
    assert hearing.stats.ignored_own_speaker == 1
    assert hearing.stats.detections[AlarmKind.CRITICAL.value] == 0


async def test_playback_long_ago_does_not_mute_the_monitor() -> None:
    played = SpeakerActivity()
    played.mark(datetime.now(UTC) - timedelta(minutes=10), 8.0)
    heard, hearing = await hear(load_profile(None), played)
    assert [h.alarm for h in heard] == [AlarmKind.CRITICAL]
    assert hearing.stats.ignored_own_speaker == 0
