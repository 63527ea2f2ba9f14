"""The daily self-test: the speaker plays a short tone and the microphone must hear it.

A microphone can be "healthy" by every other measure (callbacks arrive, the level moves) and still not hear the
room: covered, turned to the wall, gain at zero, a dead capsule behind a working USB chip. Once a day at
`[selftest] at` we play `tone_s` of `tone_hz` through the speaker and compare the power at that frequency in the
microphone's blocks during the tone with the second before it. Less than `min_snr_db` louder = failed: the
monitor reports `selftest_failed` (a MonitorHealth, so the caregivers hear "the monitor cannot hear") and keeps
reporting it until a later test passes.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import structlog
from numpy.typing import NDArray

from monitord.clock import Clock
from monitord.daemon.settings import SelfTestConfig

log = structlog.get_logger(__name__)

BlockTap = Callable[[NDArray[np.float32]], None]


class ToneMeter:
    """Mean power at one frequency (a single-bin DFT per block): cheap, and only attached during a test."""

    def __init__(self, *, tone_hz: float, rate_hz: int) -> None:
        self._omega = 2 * math.pi * tone_hz / rate_hz
        self.phase = "idle"
        self.power: dict[str, list[float]] = {"before": [], "during": []}

    def feed(self, block: NDArray[np.float32]) -> None:
        if self.phase not in self.power or len(block) == 0:
            return
        basis = np.exp(-1j * self._omega * np.arange(len(block)))
        self.power[self.phase].append(float(abs(np.dot(block.astype(np.float64), basis)) ** 2) / len(block) ** 2)

    def snr_db(self) -> float | None:
        before, during = self.power["before"], self.power["during"]
        if not before or not during:
            return None
        # Means, not peaks: the maximum of many noise-only blocks stands ~6-10 dB over their median by chance alone.
        return 10 * math.log10((float(np.mean(during)) + 1e-20) / (float(np.mean(before)) + 1e-20))


def make_test_tone(config: SelfTestConfig, rate_hz: int) -> NDArray[np.float32]:
    t = np.arange(int(config.tone_s * rate_hz)) / rate_hz
    ramp = np.minimum(1.0, np.minimum(t / 0.02, (config.tone_s - t) / 0.02))  # no clicks
    amplitude = 10 ** (config.level_dbfs / 20)
    return (amplitude * ramp * np.sin(2 * math.pi * config.tone_hz * t)).astype(np.float32)


class SelfTest:
    def __init__(self, *, config: SelfTestConfig, taps: list[BlockTap], clock: Clock, rate_hz: int,
                 on_result: Callable[[bool, str], None], sd: Any = None) -> None:
        self._config = config
        self._taps = taps
        self._clock = clock
        self._rate_hz = rate_hz
        self._on_result = on_result
        self._sd = sd
        self.last_result: tuple[bool, str] | None = None

    async def run(self) -> None:
        while True:
            await self._clock.sleep(self.seconds_until_next(self._clock.now()))
            await self.run_once()
            await self._clock.sleep(60)  # never twice in the same minute

    def seconds_until_next(self, now: datetime) -> float:
        local = now.astimezone()
        target = local.replace(hour=self._config.at.hour, minute=self._config.at.minute, second=0, microsecond=0)
        if target <= local:
            target += timedelta(days=1)
        return (target - local).total_seconds()

    async def run_once(self) -> tuple[bool, str]:
        meter = ToneMeter(tone_hz=self._config.tone_hz, rate_hz=self._rate_hz)
        self._taps.append(meter.feed)
        try:
            meter.phase = "before"
            await self._clock.sleep(1.0)
            meter.phase = "playing"  # the speaker needs a moment to start: those blocks count for neither phase
            try:
                await asyncio.to_thread(self._play)
            except Exception as exc:  # PortAudioError, a missing speaker: the test fails, the monitor keeps running
                return self._report(False, f"self-test: cannot play the test tone ({exc})")
            meter.phase = "during"
            await self._clock.sleep(self._config.tone_s + 0.5)
            meter.phase = "done"
        finally:
            self._taps.remove(meter.feed)
        snr = meter.snr_db()
        if snr is None:
            return self._report(False, "self-test: no audio arrived during the test")
        if snr < self._config.min_snr_db:
            return self._report(False, f"self-test: the {self._config.tone_hz:.0f} Hz test tone was not heard "
                                f"({snr:.0f} dB over the room, needs {self._config.min_snr_db:.0f} dB): check the "
                                "microphone (covered? gain? moved?) and the speaker")
        return self._report(True, f"self-test passed: test tone heard {snr:.0f} dB over the room")

    def _play(self) -> None:
        from monitord.audio.echo import LOCAL_SPEAKER
        from monitord.audio.microphone import find_device, load_sounddevice

        sd = self._sd if self._sd is not None else load_sounddevice()
        device = find_device(sd, self._config.output_device, output=True)
        rate = int(device.default_rate_hz)
        tone = make_test_tone(self._config, rate)
        # The test tone is a steady beep: without this, the default profile would report it as the pump.
        LOCAL_SPEAKER.mark_now(len(tone) / rate)
        sd.play(tone, samplerate=rate, device=device.index, blocking=False)

    def _report(self, passed: bool, detail: str) -> tuple[bool, str]:
        (log.info if passed else log.error)("self-test", passed=passed, detail=detail)
        self.last_result = (passed, detail)
        self._on_result(passed, detail)
        return passed, detail
