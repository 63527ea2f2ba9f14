"""Clocks for replayed audio: the daemon's domain time follows the audio, so episodes and escalation waits behave
as they would live.

- live microphone, `--speed 1`: `SystemClock`.
- `--speed N`: `ScaledClock` — time runs N× faster (a 10-minute critical repeat takes 10 s at N=60).
- `--speed 0` (as fast as possible): `StreamClock` — time is the stream position, advanced by the audio loop
  after each block (a `FakeClock` the audio drives), for tests and the 24-hour memory benchmark.
Supervision that faces the outside world (systemd watchdog, heartbeat, status file age) always uses real time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from monitord.clock import FakeClock


class ScaledClock:
    def __init__(self, speed: float, *, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._start_wall = start or datetime.now(UTC)
        self._start_real = time.monotonic()

    def now(self) -> datetime:
        return self._start_wall + timedelta(seconds=self.monotonic())

    def monotonic(self) -> float:
        return (time.monotonic() - self._start_real) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


class StreamClock(FakeClock):
    """Time = position in the audio stream. The audio loop calls `advance(block_seconds)`."""

    def __init__(self, *, start: datetime | None = None) -> None:
        super().__init__(start=start or datetime.now(UTC).replace(microsecond=0))

    async def advance(self, seconds: float) -> None:
        # Fast path: no sleeper is due within this block, so skip FakeClock's settle rounds (40 loop turns per
        # call); a day of audio is 86 400 calls. One yield still lets consumers of the new events run.
        target = self._elapsed + seconds
        if not self._sleepers or self._sleepers[0][0] > target:
            self._elapsed = target
            await asyncio.sleep(0)
            return
        await super().advance(seconds)
