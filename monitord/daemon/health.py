"""Can the monitor hear? Microphone health, and a microphone that reopens itself.

`HealthTracker` is pure: it watches levels and events and says OK / SILENT / CLIPPING / MISSING / STALLED.
`SupervisedMicrophone` owns the live device: it opens it BY NAME (USB indices change on re-plugging), hands
blocks to the pipeline, notices a stall (no callbacks for `stall_after_s`) or a stream that stopped, closes it,
reopens with jittered capped backoff until the device returns, and reports every change as a `MonitorHealth`
event. Every fault is reported within `max(stall_after_s, silent_after_s, clipping_after_s)` ≤ 50 s, inside the
"cannot hear within 60 s" promise.
"""

from __future__ import annotations

import asyncio
import importlib
import math
import random
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import structlog
from numpy.typing import NDArray

from monitord.audio.microphone import BlockBridge, Microphone, MicrophoneUnavailableError
from monitord.clock import Clock
from monitord.daemon.settings import AudioConfig, HealthConfig
from monitord.events import HealthStatus, MonitorHealth

log = structlog.get_logger(__name__)

_CLIP_LEVEL = 0.999  # |sample| at or above this is full scale


class HealthTracker:
    def __init__(self, *, config: HealthConfig) -> None:
        self._config = config
        self.status = HealthStatus.MISSING
        self.detail = "not started"
        self.level_dbfs: float | None = None
        self._silent_since: float | None = None
        self._clipping_since: float | None = None

    @property
    def can_hear(self) -> bool:
        return self.status is HealthStatus.OK

    def set(self, status: HealthStatus, detail: str) -> bool:
        """Force a state (device missing, stalled, reopened). Returns whether the status changed."""
        changed = status is not self.status
        self.status, self.detail = status, detail
        if status is not HealthStatus.OK:
            self._silent_since = self._clipping_since = None
        return changed

    def observe(self, block: NDArray[np.float32], now_s: float) -> bool:
        """Look at one block (at monotonic time `now_s`). Returns whether the status changed."""
        if len(block) == 0:
            return False
        mean_square = float(np.mean(np.square(block, dtype=np.float64)))
        self.level_dbfs = 10 * math.log10(mean_square) if mean_square > 0 else -200.0
        clipped_fraction = float(np.count_nonzero(np.abs(block) >= _CLIP_LEVEL)) / len(block)

        silent = self.level_dbfs < self._config.silent_below_dbfs
        self._silent_since = (self._silent_since if self._silent_since is not None else now_s) if silent else None
        clipping = clipped_fraction >= self._config.clipping_fraction
        self._clipping_since = (
            (self._clipping_since if self._clipping_since is not None else now_s) if clipping else None
        )

        if self._silent_since is not None and now_s - self._silent_since >= self._config.silent_after_s:
            return self.set(HealthStatus.SILENT, f"input flat-lined at {self.level_dbfs:.0f} dBFS for "
                            f"{now_s - self._silent_since:.0f} s (muted, unplugged or broken cable?)")
        if self._clipping_since is not None and now_s - self._clipping_since >= self._config.clipping_after_s:
            return self.set(HealthStatus.CLIPPING, f"input clipping ({clipped_fraction:.0%} of samples at full "
                            "scale): lower the microphone gain")
        if self.status in (HealthStatus.SILENT, HealthStatus.CLIPPING, HealthStatus.OK) and not silent \
                and not clipping:
            return self.set(HealthStatus.OK, "hearing")
        if self.status in (HealthStatus.MISSING, HealthStatus.STALLED):
            return self.set(HealthStatus.OK, "hearing")  # audio flows again
        return False


def backoff_s(attempt: int, *, base_s: float, cap_s: float) -> float:
    """Jittered capped exponential backoff (the project's rule): uniform(0, min(cap, base·1.5^attempt))."""
    return random.uniform(0, min(cap_s, base_s * 1.5 ** min(attempt, 30)))


HealthListener = Callable[[MonitorHealth], None]


class SupervisedMicrophone:
    """Blocks from the live microphone, forever: reopens the device by name whenever it fails."""

    def __init__(self, *, audio: AudioConfig, health: HealthConfig, clock: Clock, node_id: str, microphone: str,
                 on_health: HealthListener, sd: Any = None) -> None:
        self._audio = audio
        self._health_config = health
        self._clock = clock
        self._node_id = node_id
        self._microphone = microphone
        self._on_health = on_health
        self._sd = sd
        self.tracker = HealthTracker(config=health)
        self.bridge: BlockBridge | None = None
        self.rate_hz: int | None = None
        self.reopens = 0
        self.last_block_monotonic: float | None = None
        self.last_attempt_monotonic: float | None = None  # real time of the last open attempt (watchdog)
        self._last_report_s: float | None = None

    @property
    def dropped(self) -> int:
        return self.bridge.dropped if self.bridge else 0

    @property
    def overruns(self) -> int:
        return self.bridge.overruns if self.bridge else 0

    def _report(self, *, force: bool = False) -> None:
        now_s = self._clock.monotonic()
        if not force and self._last_report_s is not None and \
                now_s - self._last_report_s < self._health_config.report_every_s:
            return
        self._last_report_s = now_s
        event = MonitorHealth(node_id=self._node_id, time=self._clock.now(), status=self.tracker.status,
                              microphone=self._microphone, input_level_dbfs=self.tracker.level_dbfs,
                              detail=self.tracker.detail)
        self._on_health(event)

    def _set(self, status: HealthStatus, detail: str) -> None:
        if self.tracker.set(status, detail):
            log.warning("microphone health", status=status.value, detail=detail) if status is not HealthStatus.OK \
                else log.info("microphone health", status=status.value, detail=detail)
            self._report(force=True)

    async def blocks(self) -> AsyncIterator[NDArray[np.float32]]:
        """Mono float32 blocks at the internal rate. Never ends on a device fault; reopens instead."""
        from monitord.audio.microphone import PREFERRED_RATE_HZ, load_sounddevice

        sd = self._sd if self._sd is not None else load_sounddevice()
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            self.bridge = BlockBridge(loop=loop, max_blocks=self._audio.queue_blocks) if self.bridge is None \
                else _fresh_bridge(self.bridge, loop, self._audio.queue_blocks)
            mic = Microphone(sd=sd, device=self._audio.device, sample_rate_hz=self._audio.sample_rate_hz,
                             block_s=self._audio.block_s, bridge=self.bridge)
            self.last_attempt_monotonic = time.monotonic()
            try:
                mic.open()
            except MicrophoneUnavailableError as exc:
                self._set(HealthStatus.MISSING, exc.message)
                self._report()
                await self._clock.sleep(backoff_s(attempt, base_s=self._health_config.reopen_base_s,
                                                  cap_s=self._health_config.reopen_cap_s))
                attempt += 1
                _refresh_device_list(sd)  # PortAudio only sees a re-plugged USB device after re-initializing
                continue
            resample = _resampler(mic.rate_hz, PREFERRED_RATE_HZ)
            self.rate_hz = mic.rate_hz
            if self.reopens or attempt:
                log.info("microphone back", device=mic.device.name if mic.device else "?")
            fault = ""
            try:
                while not fault:
                    try:
                        async with asyncio.timeout(self._health_config.stall_after_s):
                            block = await self.bridge.queue.get()
                    except TimeoutError:
                        fault = "stalled"
                        break
                    if mic.failed.is_set():
                        fault = "failed"
                        break
                    attempt = 0
                    self.last_block_monotonic = self._clock.monotonic()
                    if self.tracker.observe(block, self._clock.monotonic()):
                        self._on_change()
                    self._report()
                    out = resample(block)
                    if len(out):
                        yield out
            finally:
                await _close_without_blocking(mic)
            name = mic.device.name if mic.device else "?"
            if mic.failed.is_set():
                self._set(HealthStatus.MISSING, f"input stream of {name!r} stopped: {mic.failure}")
            else:
                self._set(HealthStatus.STALLED, f"no audio from {name!r} for {self._health_config.stall_after_s:g} s")
            self.reopens += 1
            await self._clock.sleep(backoff_s(attempt, base_s=self._health_config.reopen_base_s,
                                              cap_s=self._health_config.reopen_cap_s))
            attempt += 1
            _refresh_device_list(sd)

    def _on_change(self) -> None:
        status = self.tracker.status
        (log.info if status is HealthStatus.OK else log.warning)(
            "microphone health", status=status.value, detail=self.tracker.detail)
        self._report(force=True)


def _resampler(in_rate_hz: int, out_rate_hz: int) -> Callable[[NDArray[np.float32]], NDArray[np.float32]]:
    if in_rate_hz == out_rate_hz:
        return lambda block: block
    # The streaming polyphase resampler of the audio layer (monitord.audio.resample), imported when needed.
    resample_module = importlib.import_module("monitord.audio.resample")
    resampler = resample_module.Resampler(in_rate_hz, out_rate_hz)
    return resampler.process  # type: ignore[no-any-return]


def _fresh_bridge(old: BlockBridge, loop: asyncio.AbstractEventLoop, max_blocks: int) -> BlockBridge:
    """A new queue for a new stream (late blocks of the dead one must not mix in), keeping the counters."""
    bridge = BlockBridge(loop=loop, max_blocks=max_blocks)
    bridge.dropped, bridge.overruns, bridge.callbacks = old.dropped, old.overruns, old.callbacks
    return bridge


def _refresh_device_list(sd: Any) -> None:
    # sounddevice exposes PortAudio's Pa_Terminate/Pa_Initialize as private helpers; there is no public way to
    # rescan devices (sounddevice issue #125). Only safe with no stream open, which is the case here.
    terminate, initialize = getattr(sd, "_terminate", None), getattr(sd, "_initialize", None)
    if callable(terminate) and callable(initialize):
        try:
            terminate()
            initialize()
        except Exception as exc:
            log.debug("PortAudio re-initialization failed", error=str(exc))


async def _close_without_blocking(mic: Microphone, timeout_s: float = 2.0) -> None:
    """Closing a stream whose USB device vanished can hang inside ALSA; never let that freeze the loop."""
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def close() -> None:
        try:
            mic.close()
        finally:
            loop.call_soon_threadsafe(done.set)

    threading.Thread(target=close, name="microphone-close", daemon=True).start()
    try:
        async with asyncio.timeout(timeout_s):
            await done.wait()
    except TimeoutError:
        log.warning("closing the microphone hangs; abandoning it and opening a new one")
