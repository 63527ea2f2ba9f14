"""A fake `sounddevice` module: the one allowed fake besides the clock (GUIDE.md).

It behaves like PortAudio where it matters to the daemon: a device list that changes when a USB microphone is
unplugged and re-plugged (at a NEW index), `InputStream` calling its callback from its own thread with
(frames, 1) float32 blocks, a stream that can stall (callbacks stop), fail (finished_callback, device gone) and a
device that comes back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray


class PortAudioError(Exception):
    pass


class CallbackFlags:
    def __init__(self, input_overflow: bool = False) -> None:
        self.input_overflow = input_overflow


class _Default:
    device: tuple[int, int] = (-1, -1)


Signal = Callable[[int], NDArray[np.float32]]


def quiet_room(frames: int) -> NDArray[np.float32]:
    return (np.random.default_rng().standard_normal(frames) * 0.01).astype(np.float32)  # about -40 dBFS


def flat_line(frames: int) -> NDArray[np.float32]:
    return np.zeros(frames, dtype=np.float32)


class FakeSoundDevice:
    """Use an instance as the `sd` module. `speedup` makes PortAudio's clock run faster than real time."""

    PortAudioError = PortAudioError

    def __init__(self, *, mic_name: str = "USB PnP Sound Device: Audio (hw:1,0)", speedup: float = 10.0,
                 native_rate_hz: int = 16000) -> None:
        self.mic_name = mic_name
        self.speedup = speedup
        self.native_rate_hz = native_rate_hz
        self.default = _Default()
        self._devices: list[dict[str, Any]] = [
            {"name": "bcm2835 Headphones: - (hw:0,0)", "hostapi": 0, "max_input_channels": 0,
             "max_output_channels": 8, "default_samplerate": 44100.0},
        ]
        self.plug_in()
        self.signal: Signal = quiet_room
        self.streams: list[FakeInputStream] = []
        self.reinitialized = 0
        self.speaker_works = True
        self.played: list[tuple[int, float]] = []  # (samples, rate) of every sd.play
        self._playing_until = 0.0
        self._playing_hz = 0.0
        self._phase = 0.0

    def play(self, data: NDArray[np.float32], *, samplerate: float, device: int, blocking: bool = False) -> None:
        """The speaker: while it plays (in fake-PortAudio time), the microphone hears the tone over the room."""
        if self._devices[device]["max_output_channels"] == 0:
            raise PortAudioError("Invalid number of channels [PaErrorCode -9998]")
        self.played.append((len(data), samplerate))
        if self.speaker_works:
            spectrum = np.abs(np.fft.rfft(data))
            self._playing_hz = float(np.argmax(spectrum)) * samplerate / len(data)
            self._playing_until = time.monotonic() + len(data) / samplerate / self.speedup

    def heard(self, frames: int) -> NDArray[np.float32]:
        """What the microphone picks up: the room signal plus the speaker's tone while it plays."""
        block = self.signal(frames)
        if time.monotonic() < self._playing_until:
            t = np.arange(frames) / self.native_rate_hz
            block = block + (0.05 * np.sin(2 * np.pi * self._playing_hz * t + self._phase)).astype(np.float32)
            self._phase += 2 * np.pi * self._playing_hz * frames / self.native_rate_hz
        return block

    # --- the part of sounddevice's API monitord uses ---
    def query_devices(self) -> list[dict[str, Any]]:
        return [dict(d) for d in self._devices]

    def query_hostapis(self) -> tuple[dict[str, Any], ...]:
        return ({"name": "ALSA"},)

    def check_input_settings(self, *, device: int, samplerate: float, channels: int, dtype: str) -> None:
        if samplerate != self.native_rate_hz:
            raise PortAudioError("Invalid sample rate [PaErrorCode -9997]")

    def InputStream(self, **kwargs: Any) -> FakeInputStream:  # noqa: N802 - mirrors sounddevice's class name
        index = kwargs["device"]
        if index >= len(self._devices) or self._devices[index]["name"] != self.mic_name or not self.plugged:
            raise PortAudioError("Error opening InputStream: Invalid device [PaErrorCode -9996]")
        stream = FakeInputStream(self, **kwargs)
        self.streams.append(stream)
        return stream

    def _terminate(self) -> None:
        pass

    def _initialize(self) -> None:
        self.reinitialized += 1

    # --- what a test does to the hardware ---
    @property
    def plugged(self) -> bool:
        return any(d["name"] == self.mic_name for d in self._devices)

    def plug_in(self, *, after_another_device: bool = False) -> None:
        """Plug the USB microphone in at the end of the list; with `after_another_device` something else (an HDMI
        output) took the next index meanwhile, so the microphone comes back at a different index."""
        if after_another_device:
            self._devices.append({"name": "vc4-hdmi-0: MAI PCM i2s-hifi-0 (hw:2,0)", "hostapi": 0,
                                  "max_input_channels": 0, "max_output_channels": 2, "default_samplerate": 48000.0})
        self._devices.append({"name": self.mic_name, "hostapi": 0, "max_input_channels": 1,
                              "max_output_channels": 0, "default_samplerate": float(self.native_rate_hz)})

    def unplug(self) -> None:
        self._devices = [d for d in self._devices if d["name"] != self.mic_name]
        for stream in self.streams:
            stream.fail("device unplugged")

    def stall(self) -> None:
        for stream in self.streams:
            stream.stalled = True

    @property
    def mic_index(self) -> int:
        return next(i for i, d in enumerate(self._devices) if d["name"] == self.mic_name)


class FakeInputStream:
    def __init__(self, sd: FakeSoundDevice, *, device: int, samplerate: float, channels: int, dtype: str,
                 blocksize: int, callback: Callable[..., None], finished_callback: Callable[[], None]) -> None:
        self._sd = sd
        self.device = device
        self.samplerate = samplerate
        self.blocksize = blocksize
        self._callback = callback
        self._finished_callback = finished_callback
        self.stalled = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-portaudio", daemon=True)
        self.closed = False

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        period_s = self.blocksize / self.samplerate / self._sd.speedup
        while not self._stop.wait(period_s):
            if self.stalled:
                continue
            block = self._sd.heard(self.blocksize).reshape(-1, 1)
            self._callback(block, self.blocksize, None, CallbackFlags())

    def fail(self, reason: str) -> None:
        if not self._stop.is_set():
            self._stop.set()
            self._finished_callback()

    def abort(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self.closed = True
