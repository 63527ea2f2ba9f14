"""The local speaker notifier: plays through (a fake) PortAudio, stays silent for all-clears, fails retryably, and —
most important — its chime never sounds like the pump to monitord's own detectors."""

from __future__ import annotations

import numpy as np
import pytest

from monitord.audio.echo import SpeakerActivity
from monitord.notifiers import NotifierConfig, build_notifier
from monitord.notifiers.base import NotificationKind, NotifierError, Urgency
from monitord.notifiers.speaker import GLIDE_HIGH_HZ, GLIDE_LOW_HZ, SpeakerNotifier, make_chime
from tests.fake_sounddevice import FakeSoundDevice
from tests.notification_samples import critical_trigger

BURST_S = 3 * 0.45 + 2 * 0.10 + 0.35


async def test_critical_plays_several_bursts_on_the_output_device_others_one() -> None:
    sd = FakeSoundDevice()
    speaker = SpeakerNotifier(name="bedside", bursts_critical=3, sd=sd)
    receipt = await speaker.send(critical_trigger())
    assert receipt.target == "speaker bcm2835 Headphones: - (hw:0,0)"  # the only device with output channels
    [(samples, rate)] = sd.played
    assert rate == 44100
    assert samples == pytest.approx(3 * BURST_S * rate, abs=8)

    await speaker.send(critical_trigger(urgency=Urgency.HIGH, kind=NotificationKind.REMINDER))
    await speaker.send(critical_trigger(is_test=True, kind=NotificationKind.TEST))  # a drill: one burst, not four
    assert [s for s, _ in sd.played[1:]] == [pytest.approx(BURST_S * 44100, abs=8)] * 2


@pytest.mark.parametrize("kind", [NotificationKind.ACKNOWLEDGED, NotificationKind.RESOLVED, NotificationKind.INFO])
async def test_all_clears_and_notices_keep_the_room_quiet(kind: NotificationKind) -> None:
    sd = FakeSoundDevice()
    await SpeakerNotifier(name="bedside", sd=sd).send(critical_trigger(kind=kind))
    assert sd.played == []


async def test_a_missing_speaker_is_a_retryable_failure_that_names_the_device() -> None:
    speaker = SpeakerNotifier(name="bedside", device="HDMI", sd=FakeSoundDevice())
    with pytest.raises(NotifierError, match="HDMI") as caught:
        await speaker.send(critical_trigger())
    assert caught.value.retryable


def test_config_entry_builds_a_speaker_and_refuses_odd_values() -> None:
    from pydantic import TypeAdapter, ValidationError

    adapter: TypeAdapter[NotifierConfig] = TypeAdapter(NotifierConfig)
    cfg = adapter.validate_python({"type": "speaker", "name": "bedside", "device": "USB", "bursts_critical": 2})
    notifier = build_notifier(cfg, session=None)  # type: ignore[arg-type]  # a speaker needs no HTTP session
    assert isinstance(notifier, SpeakerNotifier)
    with pytest.raises(ValidationError, match="volume_dbfs"):
        adapter.validate_python({"type": "speaker", "name": "x", "volume_dbfs": 6})


def test_the_chime_glides_across_its_band() -> None:
    chime = make_chime(rate_hz=16000, bursts=1, volume_dbfs=-6)
    assert np.max(np.abs(chime)) == pytest.approx(10 ** (-6 / 20), rel=0.01)
    first_glide = chime[: int(0.45 * 16000)]
    quarter = len(first_glide) // 4
    early, late = (np.argmax(np.abs(np.fft.rfft(first_glide[i:i + quarter]))) * 16000 / quarter
                   for i in (0, 3 * quarter))
    assert GLIDE_LOW_HZ * 0.9 < early < late < GLIDE_HIGH_HZ * 1.1


async def test_playback_is_marked_so_this_machines_microphone_ignores_it() -> None:
    from datetime import UTC, datetime, timedelta

    activity = SpeakerActivity()
    speaker = SpeakerNotifier(name="bedside", bursts_critical=2, sd=FakeSoundDevice(), activity=activity)
    before = datetime.now(UTC)
    await speaker.send(critical_trigger())
    played_s = 2 * BURST_S
    assert activity.overlaps(before + timedelta(seconds=1), before + timedelta(seconds=2))
    assert activity.overlaps(before + timedelta(seconds=played_s + 1), before + timedelta(seconds=played_s + 3))
    assert not activity.overlaps(before + timedelta(seconds=played_s + 5), before + timedelta(seconds=played_s + 7))
    assert not activity.overlaps(before - timedelta(seconds=10), before - timedelta(seconds=2))
