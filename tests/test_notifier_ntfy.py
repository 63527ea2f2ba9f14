"""ntfy notifier against a loopback ntfy that checks requests like docs.ntfy.sh/publish documents them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from pydantic import ValidationError

from monitord.notifiers import build_notifier
from monitord.notifiers.base import NotificationKind, NotifierError, Urgency
from monitord.notifiers.ntfy import NtfyConfig, NtfyNotifier
from tests.fake_services import NTFY_TOKEN, FakeNtfy
from tests.notification_samples import critical_trigger, refill_reminder


@pytest.fixture
async def fake_ntfy() -> AsyncIterator[FakeNtfy]:
    async with FakeNtfy(tokens={NTFY_TOKEN}, users={"alice": "s3cret"}) as server:
        yield server


def _notifier(fake: FakeNtfy, session: aiohttp.ClientSession, **overrides: object) -> NtfyNotifier:
    fields: dict[str, object] = {"type": "ntfy", "name": "family", "server_url": fake.url, "topic": "pump-7f3a9c2e"}
    fields.update(overrides)
    notifier = build_notifier(NtfyConfig.model_validate(fields), session=session)
    assert isinstance(notifier, NtfyNotifier)
    return notifier


async def test_critical_trigger_is_an_urgent_json_publish_with_an_acknowledge_button(
    fake_ntfy: FakeNtfy, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_ntfy, session, token=NTFY_TOKEN)
    receipt = await notifier.send(critical_trigger())

    [request] = fake_ntfy.requests
    assert request.rejection is None
    assert (request.method, request.path) == ("POST", "/")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == f"Bearer {NTFY_TOKEN}"
    message = request.json()
    assert message["topic"] == "pump-7f3a9c2e"
    assert message["priority"] == 5
    assert message["title"] == "CRITICAL pump alarm — bedroom"
    assert "Call the pump team NOW" in message["message"]
    assert message["tags"][0] == "rotating_light"
    assert "bedroom" in message["tags"]
    assert message["actions"] == [
        {
            "action": "http",
            "label": "Acknowledge",
            "url": "https://monitor.example.org/ack/2Kx9vQ",
            "method": "POST",
            "headers": {"X-Monitord-By": "ntfy:family"},
            "clear": True,
        }
    ]
    assert message["click"] == message["attach"] == "https://monitor.example.org/clips/inc-7f3a.wav"
    assert message["filename"] == "inc-7f3a.wav"
    assert receipt.remote_id is not None
    assert len(receipt.remote_id) == 12  # the stored message id from the answer
    assert "pump-7f3a9c2e" not in receipt.target  # the topic is a password on public servers


async def test_basic_auth_from_a_password_file_and_normal_priority(
    fake_ntfy: FakeNtfy, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    password_file = tmp_path / "ntfy_password"
    password_file.write_text("s3cret\n")
    notifier = _notifier(fake_ntfy, session, username="alice", password_file=str(password_file))
    await notifier.send(refill_reminder())
    [request] = fake_ntfy.accepted
    assert request.headers["Authorization"] == "Basic YWxpY2U6czNjcmV0"  # base64("alice:s3cret")
    message = request.json()
    assert message["priority"] == 3
    assert "actions" not in message  # no ack URL given
    assert "click" not in message


async def test_resolved_message_has_no_acknowledge_button_and_test_is_tagged(
    fake_ntfy: FakeNtfy, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_ntfy, session, token=NTFY_TOKEN)
    await notifier.send(critical_trigger(kind=NotificationKind.RESOLVED, urgency=Urgency.LOW))
    await notifier.send(critical_trigger(kind=NotificationKind.TEST, is_test=True))
    resolved, drill = (r.json() for r in fake_ntfy.accepted)
    assert "actions" not in resolved
    assert resolved["priority"] == 2
    assert resolved["tags"][0] == "white_check_mark"
    assert "TEST" in drill["tags"]
    assert drill["actions"][0]["label"] == "Acknowledge"


async def test_a_long_body_is_cut_to_ntfys_4096_byte_limit(fake_ntfy: FakeNtfy, session: aiohttp.ClientSession) -> None:
    notifier = _notifier(fake_ntfy, session, token=NTFY_TOKEN)
    await notifier.send(critical_trigger(body="ä" * 5000))
    [request] = fake_ntfy.accepted
    assert len(request.json()["message"].encode()) <= 4096


async def test_wrong_token_is_a_permanent_failure(fake_ntfy: FakeNtfy, session: aiohttp.ClientSession) -> None:
    notifier = _notifier(fake_ntfy, session, token="tk_wrong")
    with pytest.raises(NotifierError) as info:
        await notifier.send(critical_trigger())
    assert info.value.status == 401
    assert info.value.retryable is False
    assert "unauthorized" in info.value.message
    assert "tk_wrong" not in str(info.value)


async def test_anonymous_publish_to_a_protected_server_is_forbidden(
    fake_ntfy: FakeNtfy, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(NotifierError) as info:
        await _notifier(fake_ntfy, session).send(critical_trigger())
    assert (info.value.status, info.value.retryable) == (403, False)


async def test_rate_limit_and_server_errors_are_retryable(fake_ntfy: FakeNtfy, session: aiohttp.ClientSession) -> None:
    notifier = _notifier(fake_ntfy, session, token=NTFY_TOKEN)
    limit_reached = {"code": 42901, "http": 429, "error": "limit reached: too many requests"}
    fake_ntfy.fail_next(429, headers={"Retry-After": "7"}, body=limit_reached)
    fake_ntfy.fail_next(500)
    with pytest.raises(NotifierError) as rate_limited:
        await notifier.send(critical_trigger())
    assert (rate_limited.value.retryable, rate_limited.value.retry_after_s) == (True, 7.0)
    assert "limit reached" in rate_limited.value.message
    with pytest.raises(NotifierError) as server_error:
        await notifier.send(critical_trigger())
    assert server_error.value.retryable is True
    await notifier.send(critical_trigger())  # the third attempt goes through
    assert len(fake_ntfy.accepted) == 1


async def test_a_server_that_never_answers_is_a_retryable_timeout(
    fake_ntfy: FakeNtfy, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_ntfy, session, token=NTFY_TOKEN, timeout_s=0.3)
    fake_ntfy.stall_next()
    with pytest.raises(NotifierError) as info:
        await notifier.send(critical_trigger())
    assert info.value.retryable is True
    assert "0.3 s" in info.value.message


async def test_a_closed_port_is_a_retryable_network_error(session: aiohttp.ClientSession) -> None:
    async with FakeNtfy() as fake:
        url = fake.url
    notifier = NtfyNotifier(name="gone", session=session, server_url=url, topic="t")
    with pytest.raises(NotifierError) as info:
        await notifier.send(critical_trigger())
    assert info.value.retryable is True
    assert "cannot connect" in info.value.message


def test_config_refuses_two_auth_methods_and_bad_topics() -> None:
    with pytest.raises(ValidationError, match="either an access token or username"):
        NtfyConfig(name="x", topic="t", token="tk_a", username="alice")
    with pytest.raises(ValidationError, match="topic"):
        NtfyConfig(name="x", topic="has spaces")
    with pytest.raises(ValidationError, match="needs a username"):
        NtfyConfig(name="x", topic="t", password="pw")


async def test_an_opaque_evidence_url_takes_the_clip_name(fake_ntfy: FakeNtfy, session: aiohttp.ClientSession) -> None:
    notifier = _notifier(fake_ntfy, session, token=NTFY_TOKEN)
    await notifier.send(
        critical_trigger(
            evidence_url="https://monitor.example.org/evidence/Zq81xT", attachment_path=Path("/var/clips/a.wav")
        )
    )
    await notifier.send(critical_trigger(evidence_url="https://monitor.example.org/evidence/Zq81xT"))
    with_clip, without_clip = (r.json() for r in fake_ntfy.accepted)
    assert with_clip["filename"] == "a.wav"
    assert "filename" not in without_clip
    assert without_clip["attach"] == "https://monitor.example.org/evidence/Zq81xT"
