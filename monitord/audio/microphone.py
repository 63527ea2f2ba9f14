"""The live microphone through sounddevice (PortAudio), and the ONE place audio crosses into the event loop.

PortAudio calls `Microphone._callback` on its own high-priority thread. That thread must never block, allocate
much or touch asyncio objects, so it does three things only: copy the block (PortAudio reuses its buffer), count an
input overflow if PortAudio reports one, and hand the copy to the loop with `loop.call_soon_threadsafe`
(`BlockBridge.push_from_audio_thread`). On the loop side the block goes into a bounded queue; when the daemon falls
behind, new blocks are dropped and counted (`dropped`) — never silently, and never by blocking the audio thread.

Devices are found by NAME substring (USB indices change when a microphone is re-plugged) or by index.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import structlog
from numpy.typing import NDArray

from monitord.errors import ExitCode, UserError

log = structlog.get_logger(__name__)

PREFERRED_RATE_HZ = 16000  # the internal rate: opening the device at it avoids resampling on the Pi


class MicrophoneUnavailableError(UserError):
    """The device is not there (unplugged, wrong name) or refused to open."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, exit_code=ExitCode.UNAVAILABLE)


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    host_api: str
    max_input_channels: int
    max_output_channels: int
    default_rate_hz: float
    is_default_input: bool = False
    is_default_output: bool = False


def load_sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError as exc:  # the PortAudio library itself is missing
        raise MicrophoneUnavailableError(f"cannot load PortAudio: {exc}",
                                    hint="install it: sudo apt-get install libportaudio2") from None
    module: ModuleType = sounddevice
    return module


def list_devices(sd: Any) -> list[DeviceInfo]:
    devices = sd.query_devices()
    host_apis = sd.query_hostapis()
    default_in, default_out = _default_indices(sd)
    return [
        DeviceInfo(
            index=i,
            name=str(d["name"]),
            host_api=str(host_apis[d["hostapi"]]["name"]) if d.get("hostapi") is not None else "",
            max_input_channels=int(d["max_input_channels"]),
            max_output_channels=int(d["max_output_channels"]),
            default_rate_hz=float(d["default_samplerate"]),
            is_default_input=i == default_in,
            is_default_output=i == default_out,
        )
        for i, d in enumerate(devices)
    ]


def _default_indices(sd: Any) -> tuple[int, int]:
    try:
        default_in, default_out = sd.default.device
        return int(default_in), int(default_out)
    except (TypeError, ValueError):
        return -1, -1


def find_device(sd: Any, wanted: str | int | None, *, output: bool = False) -> DeviceInfo:
    """The device to open: by index, by case-insensitive name substring, or the system default."""
    devices = list_devices(sd)
    usable = [d for d in devices if (d.max_output_channels if output else d.max_input_channels) > 0]
    kind = "output" if output else "input"
    if isinstance(wanted, str) and wanted.strip().isdigit():
        wanted = int(wanted)
    if wanted is None or wanted == "":
        default = next((d for d in usable if (d.is_default_output if output else d.is_default_input)), None)
        if default is None and usable:
            default = usable[0]
        if default is None:
            raise MicrophoneUnavailableError(f"no {kind} device found",
                                        hint="plug in a USB microphone; `monitord devices` lists what is seen")
        return default
    if isinstance(wanted, int):
        match = next((d for d in usable if d.index == wanted), None)
        if match is None:
            raise MicrophoneUnavailableError(f"no {kind} device with index {wanted}",
                                        hint="indices change when USB devices are re-plugged; prefer a name")
        return match
    matches = [d for d in usable if wanted.lower() in d.name.lower()]
    if not matches:
        raise MicrophoneUnavailableError(f"no {kind} device whose name contains {wanted!r}",
                                    hint="`monitord devices` lists the names; is the microphone plugged in?")
    return matches[0]


class BlockBridge:
    """Audio thread → event loop, in exactly one place. Bounded; overflow is counted, not hidden."""

    def __init__(self, *, loop: asyncio.AbstractEventLoop, max_blocks: int) -> None:
        self._loop = loop
        self.queue: asyncio.Queue[NDArray[np.float32]] = asyncio.Queue(maxsize=max_blocks)
        self.dropped = 0  # blocks lost because the loop fell behind (our fault)
        self.overruns = 0  # PortAudio input overflows (the audio thread itself was late)
        self.callbacks = 0

    def push_from_audio_thread(self, block: NDArray[np.float32], *, overflow: bool = False) -> None:
        """Called on the PortAudio thread. `block` must already be a copy the caller no longer touches."""
        self.callbacks += 1  # a plain int increment: atomic under the GIL, read only for reporting
        if overflow:
            self.overruns += 1
        with contextlib.suppress(RuntimeError):  # the loop is closed: we are shutting down
            self._loop.call_soon_threadsafe(self._put, block)

    def _put(self, block: NDArray[np.float32]) -> None:
        if self.queue.full():
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 100 == 0:
                log.warning("audio blocks dropped: the daemon fell behind the microphone", dropped=self.dropped)
            return
        self.queue.put_nowait(block)


class Microphone:
    """One open input stream. The supervisor (monitord.daemon.health) reopens a new one when this one fails."""

    def __init__(self, *, sd: Any, device: str | int | None, sample_rate_hz: int | None, block_s: float,
                 bridge: BlockBridge) -> None:
        self._sd = sd
        self._wanted_device = device
        self._wanted_rate_hz = sample_rate_hz
        self._block_s = block_s
        self._bridge = bridge
        self._stream: Any = None
        self.device: DeviceInfo | None = None
        self.rate_hz: int = PREFERRED_RATE_HZ
        self.failed = threading.Event()  # set by PortAudio's finished callback: the stream stopped on its own
        self.failure: str = ""

    def open(self) -> None:
        sd = self._sd
        device = find_device(sd, self._wanted_device)
        self.rate_hz = self._choose_rate(device)
        try:
            stream = sd.InputStream(
                device=device.index, samplerate=self.rate_hz, channels=1, dtype="float32",
                blocksize=max(1, round(self.rate_hz * self._block_s)), callback=self._callback,
                finished_callback=self._finished,
            )
            stream.start()
        except sd.PortAudioError as exc:
            raise MicrophoneUnavailableError(f"cannot open input device {device.name!r}: {exc}") from None
        self._stream = stream
        self.device = device
        log.info("microphone open", device=device.name, index=device.index, rate_hz=self.rate_hz)

    def _choose_rate(self, device: DeviceInfo) -> int:
        if self._wanted_rate_hz is not None:
            return self._wanted_rate_hz
        try:
            self._sd.check_input_settings(device=device.index, samplerate=PREFERRED_RATE_HZ, channels=1,
                                          dtype="float32")
            return PREFERRED_RATE_HZ
        except Exception:  # PortAudioError or ValueError: the device only does its native rate (often 44.1/48 kHz)
            return int(device.default_rate_hz)

    def _callback(self, indata: NDArray[np.float32], frames: int, time_info: Any, status: Any) -> None:
        # PortAudio's thread: copy, count, hand over. Nothing else.
        self._bridge.push_from_audio_thread(indata[:, 0].copy(), overflow=bool(getattr(status, "input_overflow", 0)))

    def _finished(self) -> None:
        self.failure = self.failure or "the input stream stopped"
        self.failed.set()

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.abort()
            stream.close()
        except Exception as exc:  # a vanished USB device can make PortAudio complain on close; it is gone anyway
            log.debug("closing input stream failed", error=str(exc))
