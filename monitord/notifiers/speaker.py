"""Local speaker: sound the alert in the house, where a phone on do-not-disturb or in another room stays silent.

For the parent asleep two rooms away: the pump's own alarm is faint, but a small powered speaker on the Pi (or a
second Pi by the bed) is not. Named by `[escalation] local_speaker`, the default critical policy sounds it with the
first alert and with every reminder until someone acknowledges.

What it plays is deliberately NOT pump-like to a person: rising glides (600 → 1800 Hz, 0.45 s each, three per
burst). A machine is another matter — the broad default profile takes fragments of almost any tonal sound for a
beep — so playback is marked in monitord.audio.echo and the daemon ignores what its microphone hears meanwhile.
CRITICAL plays `bursts_critical` bursts, anything else one; acknowledged, resolved and informational messages play
nothing (the phones say why; the room stays quiet).

Config:
    [[escalation.notifiers]]
    type = "speaker"
    name = "bedside_speaker"
    device = "USB Audio"   # output device: name substring or index; default: the system's default output
    volume_dbfs = -3.0     # peak level of the chime (dBFS)
    bursts_critical = 4    # bursts per critical alert (about 1.9 s each)
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from monitord.audio.echo import LOCAL_SPEAKER, SpeakerActivity
from monitord.notifiers.base import (
    DeliveryReceipt,
    Notification,
    NotificationKind,
    Notifier,
    NotifierConfigBase,
    NotifierError,
    Urgency,
)

if TYPE_CHECKING:
    import aiohttp

GLIDE_LOW_HZ, GLIDE_HIGH_HZ = 600.0, 1800.0
GLIDE_S, GLIDE_GAP_S, GLIDES_PER_BURST, BURST_TAIL_S = 0.45, 0.10, 3, 0.35
_FADE_S = 0.010  # raised-cosine edges: no clicks
_SOUNDING_KINDS = (NotificationKind.TRIGGER, NotificationKind.REMINDER, NotificationKind.TEST)


class SpeakerConfig(NotifierConfigBase):
    type: Literal["speaker"] = "speaker"
    device: str | int | None = Field(
        default=None, description="output device, by name substring or index (default: the system's default output)"
    )
    volume_dbfs: float = Field(default=-3.0, ge=-40.0, le=0.0, description="peak level of the chime (dBFS)")
    bursts_critical: int = Field(
        default=4, ge=1, le=6, description="bursts per CRITICAL alert (about 1.9 s each); others play one"
    )


def make_chime(*, rate_hz: int, bursts: int, volume_dbfs: float) -> NDArray[np.float32]:
    """`bursts` bursts of three exponential glides from GLIDE_LOW_HZ to GLIDE_HIGH_HZ, mono float32."""
    n = int(GLIDE_S * rate_hz)
    t = np.arange(n) / rate_hz
    # Exponential sweep: phase = 2π f0 T/ln(k) (k^(t/T) − 1), k = f1/f0 — the pitch rises evenly on a musical scale.
    k = GLIDE_HIGH_HZ / GLIDE_LOW_HZ
    phase = 2 * np.pi * GLIDE_LOW_HZ * GLIDE_S / np.log(k) * (k ** (t / GLIDE_S) - 1)
    glide = np.sin(phase)
    fade = int(_FADE_S * rate_hz)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
    glide[:fade] *= ramp
    glide[-fade:] *= ramp[::-1]
    gap = np.zeros(int(GLIDE_GAP_S * rate_hz))
    glides_with_gaps = [part for _ in range(GLIDES_PER_BURST) for part in (glide, gap)][:-1]
    burst = np.concatenate([*glides_with_gaps, np.zeros(int(BURST_TAIL_S * rate_hz))])
    chime = np.tile(burst, bursts) * 10 ** (volume_dbfs / 20)
    return chime.astype(np.float32)


class SpeakerNotifier(Notifier):
    TYPE = "speaker"
    Config = SpeakerConfig

    def __init__(self, *, name: str, device: str | int | None = None, volume_dbfs: float = -3.0,
                 bursts_critical: int = 4, sd: Any = None, activity: SpeakerActivity = LOCAL_SPEAKER) -> None:
        """`sd`: the sounddevice module (tests pass a fake speaker; the real one is imported when first used).
        `activity`: where playback is marked so this machine's microphone ignores it."""
        super().__init__(name=name)
        self._activity = activity
        self._device = device
        self._volume_dbfs = volume_dbfs
        self._bursts_critical = bursts_critical
        self._sd = sd
        self.played = 0

    @classmethod
    def from_config(cls, cfg: NotifierConfigBase, *, session: aiohttp.ClientSession | None = None) -> SpeakerNotifier:
        assert isinstance(cfg, SpeakerConfig)
        return cls(name=cfg.name, device=cfg.device, volume_dbfs=cfg.volume_dbfs,
                   bursts_critical=cfg.bursts_critical)

    async def send(self, n: Notification) -> DeliveryReceipt:
        if n.kind not in _SOUNDING_KINDS:
            return DeliveryReceipt(notifier=self.name, target="speaker (silent for this kind)", remote_id=None)
        bursts = self._bursts_critical if n.urgency is Urgency.CRITICAL and not n.is_test else 1
        # PortAudio blocks while it plays: in a thread, so the event loop (and the other channels) never wait.
        target = await asyncio.to_thread(self._play, bursts)
        self.played += 1
        return DeliveryReceipt(notifier=self.name, target=target, remote_id=None)

    def _play(self, bursts: int) -> str:
        from monitord.audio.microphone import find_device, load_sounddevice
        from monitord.errors import UserError

        try:
            sd = self._sd if self._sd is not None else load_sounddevice()
            device = find_device(sd, self._device, output=True)
        except UserError as exc:
            # An unplugged USB speaker can come back: let the delivery layer retry (and fall back meanwhile).
            raise NotifierError(f"speaker: {exc.message}", retryable=True) from None
        rate = int(device.default_rate_hz)
        chime = make_chime(rate_hz=rate, bursts=bursts, volume_dbfs=self._volume_dbfs)
        # Marked before it starts: the microphone in this room must not report the chime as the pump.
        self._activity.mark_now(len(chime) / rate)
        try:
            sd.play(chime, samplerate=rate, device=device.index, blocking=True)
        except Exception as exc:  # sounddevice.PortAudioError and friends: the device failed while opening/playing
            raise NotifierError(f"speaker {device.name!r}: {exc}", retryable=True) from None
        return f"speaker {device.name}"
