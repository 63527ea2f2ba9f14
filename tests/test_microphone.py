"""The live microphone with a fake sounddevice: stalls, errors, unplugging, coming back, silence, devices."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import numpy as np
import pytest

from monitord.audio.microphone import BlockBridge, MicrophoneUnavailableError, find_device, list_devices
from monitord.clock import SystemClock
from monitord.daemon.health import SupervisedMicrophone
from monitord.daemon.settings import AudioConfig, HealthConfig
from monitord.events import HealthStatus, MonitorHealth
from tests.fake_sounddevice import FakeSoundDevice, flat_line, quiet_room

HEALTH = HealthConfig(stall_after_s=0.3, silent_after_s=0.4, clipping_after_s=0.4, reopen_base_s=0.02,
                      reopen_cap_s=0.1, report_every_s=60)


def test_devices_are_found_by_name_substring_index_or_default() -> None:
    sd = FakeSoundDevice()
    names = [d.name for d in list_devices(sd)]
    assert names == ["bcm2835 Headphones: - (hw:0,0)", "USB PnP Sound Device: Audio (hw:1,0)"]
    assert find_device(sd, "usb pnp").index == 1
    assert find_device(sd, "1").index == 1
    assert find_device(sd, None).name.startswith("USB PnP")  # the only input device
    assert find_device(sd, "headphones", output=True).index == 0
    with pytest.raises(MicrophoneUnavailableError, match="no input device whose name contains 'blue yeti'"):
        find_device(sd, "blue yeti")
    with pytest.raises(MicrophoneUnavailableError, match="no input device with index 0"):
        find_device(sd, 0)  # an output-only device


async def test_the_bridge_counts_what_it_drops_instead_of_blocking() -> None:
    loop = asyncio.get_running_loop()
    bridge = BlockBridge(loop=loop, max_blocks=4)
    for _ in range(10):
        bridge.push_from_audio_thread(np.zeros(160, dtype=np.float32), overflow=False)
    bridge.push_from_audio_thread(np.zeros(160, dtype=np.float32), overflow=True)
    await asyncio.sleep(0.01)
    assert bridge.queue.qsize() == 4
    assert bridge.dropped == 7
    assert bridge.overruns == 1
    assert bridge.callbacks == 11


class Harness:
    def __init__(self, sd: FakeSoundDevice, device: str | int | None = "USB PnP") -> None:
        self.sd = sd
        self.health: asyncio.Queue[MonitorHealth] = asyncio.Queue()
        self.blocks = 0
        self.mic = SupervisedMicrophone(
            audio=AudioConfig(device=device, block_s=0.02), health=HEALTH, clock=SystemClock(), node_id="n",
            microphone="bedroom", on_health=self.health.put_nowait, sd=sd)

    async def consume(self) -> None:
        async for block in self.mic.blocks():
            assert block.dtype == np.float32
            self.blocks += 1

    async def next_status(self, timeout_s: float = 5.0) -> MonitorHealth:
        async with asyncio.timeout(timeout_s):
            return await self.health.get()

    async def wait_for(self, status: HealthStatus, timeout_s: float = 5.0) -> MonitorHealth:
        async with asyncio.timeout(timeout_s):
            while True:
                event = await self.health.get()
                if event.status is status:
                    return event


@contextlib.asynccontextmanager
async def running(harness: Harness) -> AsyncIterator[Harness]:
    task = asyncio.create_task(harness.consume(), name="test.consume")
    try:
        yield harness
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_stall_unplug_and_return_are_reported_and_the_device_reopened_by_name() -> None:
    """1. audio flows: OK; 2. callbacks stop: STALLED, reopened, OK; 3. USB unplugged: MISSING while gone;
    4. plugged back at a NEW index: reopened by name, OK again."""
    sd = FakeSoundDevice()
    async with running(Harness(sd)) as h:
        assert (await h.next_status()).status is HealthStatus.OK

        sd.stall()
        stalled = await h.next_status()
        assert stalled.status is HealthStatus.STALLED
        assert "no audio from 'USB PnP Sound Device" in stalled.detail
        assert (await h.next_status()).status is HealthStatus.OK
        assert len(sd.streams) == 2
        assert sd.streams[0].closed

        old_index = sd.mic_index
        sd.unplug()
        missing = await h.next_status()
        assert missing.status is HealthStatus.MISSING
        await asyncio.sleep(0.3)  # several reopen attempts fail while it is gone
        assert h.health.empty(), "MISSING is reported once, not once per attempt"
        sd.plug_in(after_another_device=True)
        assert sd.mic_index != old_index
        back = await h.next_status()
        assert back.status is HealthStatus.OK
        assert sd.streams[-1].device == sd.mic_index
        assert sd.reinitialized >= 1  # PortAudio rescanned its device list to see the re-plugged microphone
        blocks_before = h.blocks
        await asyncio.sleep(0.1)
        assert h.blocks > blocks_before


async def test_a_microphone_missing_at_start_is_reported_and_picked_up_when_plugged_in() -> None:
    sd = FakeSoundDevice()
    sd.unplug()
    async with running(Harness(sd)) as h:
        missing = await h.next_status()
        assert missing.status is HealthStatus.MISSING
        assert "no input device whose name contains 'USB PnP'" in missing.detail
        sd.plug_in()
        assert (await h.next_status()).status is HealthStatus.OK


async def test_flat_lined_input_is_silent_and_recovers() -> None:
    sd = FakeSoundDevice()
    async with running(Harness(sd)) as h:
        assert (await h.next_status()).status is HealthStatus.OK
        sd.signal = flat_line
        silent = await h.wait_for(HealthStatus.SILENT)
        assert "flat-lined" in silent.detail
        sd.signal = quiet_room
        ok = await h.wait_for(HealthStatus.OK)
        assert ok.input_level_dbfs is not None
        assert -45 < ok.input_level_dbfs < -35


async def test_clipping_input_is_reported() -> None:
    sd = FakeSoundDevice()
    sd.signal = lambda frames: np.ones(frames, dtype=np.float32)
    async with running(Harness(sd)) as h:
        assert (await h.wait_for(HealthStatus.CLIPPING)).detail.startswith("input clipping")


async def test_the_daily_self_test_passes_when_the_microphone_hears_the_speaker_and_fails_when_not() -> None:
    """1. speaker and microphone work: passed; 2. the speaker plays into nothing (microphone covered/dead):
    failed with advice; 3. no output device at all: failed, saying so — the monitor keeps running throughout."""
    from monitord.daemon.selftest import SelfTest
    from monitord.daemon.settings import SelfTestConfig

    sd = FakeSoundDevice(speedup=1.0)
    harness = Harness(sd)
    taps: list[Callable[[np.ndarray], None]] = []
    results: list[tuple[bool, str]] = []

    async def feed_taps() -> None:
        async for block in harness.mic.blocks():
            for tap in list(taps):
                tap(block)

    config = SelfTestConfig(enabled=True, tone_hz=1000, tone_s=0.3, output_device="Headphones")
    selftest = SelfTest(config=config, taps=taps, clock=SystemClock(), rate_hz=16000,
                        on_result=lambda ok, detail: results.append((ok, detail)), sd=sd)
    feeder = asyncio.create_task(feed_taps())
    try:
        passed, detail = await selftest.run_once()
        assert passed, detail
        assert detail.startswith("self-test passed")
        assert sd.played == [(13230, 44100.0)]  # 0.3 s at the speaker's own rate

        sd.speaker_works = False
        passed, detail = await selftest.run_once()
        assert not passed
        assert "test tone was not heard" in detail

        broken = SelfTest(config=config.model_copy(update={"output_device": "USB PnP"}), taps=taps,
                          clock=SystemClock(), rate_hz=16000, on_result=lambda ok, d: None, sd=sd)
        passed, detail = await broken.run_once()
        assert not passed
        assert "cannot play the test tone" in detail
        assert not taps  # the meter is detached after every test
    finally:
        feeder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeder
    assert [ok for ok, _ in results] == [True, False]
