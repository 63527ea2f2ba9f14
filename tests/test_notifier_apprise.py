"""Apprise notifier through a real Apprise URL scheme (json://) that lands on a loopback receiver."""

from __future__ import annotations

import asyncio
import base64
import io
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from monitord.errors import ConfigError
from monitord.notifiers import build_notifier
from monitord.notifiers.apprise_notifier import AppriseConfig, AppriseNotifier
from monitord.notifiers.base import NotificationKind, NotifierError
from tests.fake_services import FakeWebhook
from tests.notification_samples import critical_trigger, refill_reminder


@pytest.fixture
async def receiver() -> AsyncIterator[FakeWebhook]:
    async with FakeWebhook() as server:
        yield server


def _wav(path: Path) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(16000)
        clip.writeframes(b"\x00\x10" * 1600)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def _notifier(receiver: FakeWebhook, **overrides: object) -> AppriseNotifier:
    fields: dict[str, object] = {"type": "apprise", "name": "family_chat", "timeout_s": 5}
    fields.setdefault("urls", [f"json://127.0.0.1:{receiver.port}/apprise"])
    fields.update(overrides)
    notifier = build_notifier(AppriseConfig.model_validate(fields), session=None)  # type: ignore[arg-type]
    assert isinstance(notifier, AppriseNotifier)
    return notifier


async def test_critical_goes_out_as_failure_type_with_the_clip_attached(receiver: FakeWebhook, tmp_path: Path) -> None:
    clip = tmp_path / "inc-7f3a.wav"
    wav_bytes = _wav(clip)
    receipt = await _notifier(receiver).send(critical_trigger(attachment_path=clip))

    [request] = receiver.requests
    assert (request.method, request.path, request.answered_status) == ("POST", "/apprise", 204)
    body = request.json()
    assert body["version"] == "1.0"
    assert body["title"] == "CRITICAL pump alarm — bedroom"
    assert "Call the pump team NOW" in body["message"]
    assert body["type"] == "failure"
    [attachment] = body["attachments"]
    assert attachment["filename"] == "inc-7f3a.wav"
    assert base64.b64decode(attachment["base64"]) == wav_bytes
    assert receipt.target.startswith("json://127.0.0.1")


async def test_kinds_and_urgencies_map_to_apprise_types(receiver: FakeWebhook) -> None:
    notifier = _notifier(receiver)
    await notifier.send(refill_reminder())
    await notifier.send(critical_trigger(kind=NotificationKind.RESOLVED))
    assert [b["type"] for b in receiver.bodies] == ["info", "success"]


async def test_a_missing_clip_never_stops_the_text(receiver: FakeWebhook, tmp_path: Path) -> None:
    await _notifier(receiver).send(critical_trigger(attachment_path=tmp_path / "gone.wav"))
    assert receiver.bodies[0]["attachments"] == []


async def test_urls_from_a_file_and_a_failing_target_is_retryable(receiver: FakeWebhook, tmp_path: Path) -> None:
    urls_file = tmp_path / "apprise_urls"
    urls_file.write_text(f"# family chat\njson://127.0.0.1:{receiver.port}/from-file\n")
    notifier = _notifier(receiver, urls=[], urls_file=str(urls_file))
    receiver.fail_next(500)
    with pytest.raises(NotifierError) as info:
        await notifier.send(critical_trigger())
    assert info.value.retryable is True
    await notifier.send(critical_trigger())
    assert receiver.accepted[0].path == "/from-file"


def test_an_invalid_apprise_url_is_a_config_error_without_the_secret() -> None:
    with pytest.raises(ConfigError) as info:
        AppriseNotifier(name="x", urls=["nosuchscheme://secret-token@host"])
    assert "nosuchscheme://" in str(info.value)
    assert "secret-token" not in str(info.value)


def test_a_secret_in_a_url_stays_out_of_the_target() -> None:
    notifier = AppriseNotifier(name="x", urls=["json://user:hunter2@127.0.0.1:9/hook"])
    assert "hunter2" not in notifier.target


async def test_a_hanging_target_ends_in_a_retryable_timeout_without_blocking_the_loop(receiver: FakeWebhook) -> None:
    notifier = _notifier(receiver, timeout_s=0.5)
    receiver.stall_next()
    ticks = 0

    async def count_ticks() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    async with asyncio.TaskGroup() as group:
        ticker = group.create_task(count_ticks(), name="ticker")
        with pytest.raises(NotifierError) as info:
            await notifier.send(critical_trigger())
        ticker.cancel()
    assert info.value.retryable is True
    assert ticks >= 5  # the event loop kept running while Apprise waited in its thread
    await notifier.aclose()
