"""The daemon's ear: audio blocks → detection pipeline → `AlarmHeard` events on the bus.

The pipeline works in stream seconds; here they become wall-clock times: a detection that ended `d` seconds of
audio ago ended `d` seconds before now. Detection is pure numpy and cheap per block (~0.1 s of audio), so it runs
on the loop; nothing here waits on I/O.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import structlog
from numpy.typing import NDArray

from monitord.alarms import AlarmKind
from monitord.audio.echo import LOCAL_SPEAKER, SpeakerActivity
from monitord.bus import EventBus
from monitord.clock import Clock
from monitord.detectors.base import Detection
from monitord.events import AlarmHeard
from monitord.pipeline import Pipeline
from monitord.profiles import Profile

log = structlog.get_logger(__name__)

BlockTap = Callable[[NDArray[np.float32]], None]


@dataclass
class HearingStats:
    blocks: int = 0
    samples: int = 0
    detections: dict[str, int] = field(default_factory=lambda: {k.value: 0 for k in AlarmKind})
    last_heard: dict[str, datetime] = field(default_factory=dict)
    last_block_monotonic: float | None = None
    ignored_own_speaker: int = 0


class Hearing:
    def __init__(self, *, blocks: AsyncIterator[NDArray[np.float32]], profile: Profile, bus: EventBus,
                 clock: Clock, node_id: str, microphone: str, rate_hz: int,
                 real_monotonic: Callable[[], float], speaker: SpeakerActivity = LOCAL_SPEAKER) -> None:
        """`speaker`: what this machine's own speaker played (alerts, self-test) — detections overlapping it are
        dropped, never published: the monitor must not alarm on its own sounds."""
        self._blocks = blocks
        self._profile = profile
        self._pipeline = Pipeline(profile, rate_hz=rate_hz)
        self._bus = bus
        self._clock = clock
        self._node_id = node_id
        self._microphone = microphone
        self._real_monotonic = real_monotonic
        self._speaker = speaker
        self.taps: list[BlockTap] = []  # extra listeners on the audio (the self-test)
        self.stats = HearingStats()
        self.finished = False

    async def run(self) -> None:
        """Until the source ends (a file) or forever (the microphone). Cancelled (shutdown): flush what the
        pipeline still holds — a sounding in its last seconds is decided and published, not lost."""
        try:
            async for block in self._blocks:
                self.stats.blocks += 1
                self.stats.samples += len(block)
                self.stats.last_block_monotonic = self._real_monotonic()
                for tap in self.taps:
                    tap(block)
                self._publish(self._pipeline.feed(block))
        finally:
            self._publish(self._pipeline.flush())
            self.finished = True

    def _publish(self, detections: list[Detection]) -> None:
        if not detections:
            return
        now = self._clock.now()
        for detection in detections:
            heard = self.to_event(detection, now=now, stream_now_s=self._pipeline.now_s)
            if self._speaker.overlaps(heard.started_at, heard.ended_at):
                self.stats.ignored_own_speaker += 1
                log.info("sound ignored: our own speaker was playing", alarm=detection.alarm.value,
                         frequencies_hz=[round(f) for f in detection.frequencies_hz])
                continue
            self.stats.detections[detection.alarm.value] += 1
            self.stats.last_heard[detection.alarm.value] = heard.ended_at
            log.info("alarm heard", alarm=detection.alarm.value, confidence=round(detection.confidence, 2),
                     snr_db=round(detection.snr_db, 1), frequencies_hz=[round(f) for f in detection.frequencies_hz],
                     verified=heard.profile_verified)
            self._bus.publish(heard)

    def to_event(self, detection: Detection, *, now: datetime, stream_now_s: float) -> AlarmHeard:
        def wall(stream_s: float) -> datetime:
            return now - timedelta(seconds=max(0.0, stream_now_s - stream_s))

        return AlarmHeard(
            node_id=self._node_id,
            time=now,
            alarm=detection.alarm,
            confidence=min(1.0, max(0.0, detection.confidence)),
            snr_db=detection.snr_db,
            frequencies_hz=tuple(detection.frequencies_hz),
            started_at=wall(detection.start_s),
            ended_at=wall(detection.end_s),
            microphone=self._microphone,
            profile=self._profile.name,
            profile_verified=self._profile.is_verified(detection.alarm),
        )
