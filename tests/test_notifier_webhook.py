"""Webhook notifier against a loopback receiver that verifies the HMAC signature independently."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from monitord.notifiers.base import NotifierError
from monitord.notifiers.webhook import WebhookConfig, WebhookNotifier, verify_signature
from tests.fake_services import WEBHOOK_SECRET, FakeWebhook
from tests.notification_samples import critical_trigger


@pytest.fixture
async def fake_webhook() -> AsyncIterator[FakeWebhook]:
    async with FakeWebhook(secret=WEBHOOK_SECRET, bearer_token="hook-token") as server:
        yield server


def _notifier(
    fake: FakeWebhook, session: aiohttp.ClientSession, *, secret: str = WEBHOOK_SECRET.decode()
) -> WebhookNotifier:
    config = WebhookConfig(
        name="node_red",
        url=f"{fake.url}/hooks/monitord",
        secret=secret,
        bearer_token="hook-token",
        timeout_s=0.5,
    )
    return WebhookNotifier.from_config(config, session=session)


async def test_signed_json_post_with_the_documented_schema(
    fake_webhook: FakeWebhook, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_webhook, session)
    receipt = await notifier.send(critical_trigger())

    [request] = fake_webhook.requests
    assert request.rejection is None  # the receiver verified signature, timestamp and bearer token
    assert (request.path, request.answered_status) == ("/hooks/monitord", 204)
    assert request.headers["X-Monitord-Event"] == "trigger"
    assert abs(int(request.headers["X-Monitord-Timestamp"]) - time.time()) < 60
    assert verify_signature(WEBHOOK_SECRET, request.body, request.headers["X-Monitord-Signature"])
    body = request.json()
    assert set(body) == {
        "schema_version", "source", "notifier", "sent_at", "incident_id", "dedup_key", "kind", "urgency", "alarm",
        "title", "body", "is_test", "ack_url", "evidence_url", "attachment_name", "tags",
    }  # fmt: skip
    assert (body["kind"], body["urgency"], body["alarm"]) == ("trigger", "critical", "critical")
    assert body["ack_url"] == "https://monitor.example.org/ack/2Kx9vQ"
    assert body["tags"] == ["bedroom"]
    assert receipt.target == f"http://127.0.0.1:{fake_webhook.port}/hooks/monitord"


async def test_a_wrong_secret_is_refused_and_not_retried(
    fake_webhook: FakeWebhook, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(NotifierError) as info:
        await _notifier(fake_webhook, session, secret="not the secret").send(critical_trigger())
    assert (info.value.status, info.value.retryable) == (401, False)
    assert fake_webhook.rejected[0].rejection == "bad signature"


async def test_a_tampered_body_fails_verification() -> None:
    body = b'{"kind":"trigger"}'
    from monitord.notifiers.webhook import sign

    signature = sign(WEBHOOK_SECRET, body)
    assert verify_signature(WEBHOOK_SECRET, body, signature)
    assert not verify_signature(WEBHOOK_SECRET, body.replace(b"trigger", b"resolved"), signature)
    assert not verify_signature(WEBHOOK_SECRET, body, None)


async def test_unavailable_and_stalled_receivers_are_retryable(
    fake_webhook: FakeWebhook, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_webhook, session)
    fake_webhook.fail_next(503, headers={"Retry-After": "12"})
    fake_webhook.stall_next()
    with pytest.raises(NotifierError) as unavailable:
        await notifier.send(critical_trigger())
    assert (unavailable.value.retryable, unavailable.value.retry_after_s) == (True, 12.0)
    with pytest.raises(NotifierError) as stalled:
        await notifier.send(critical_trigger())
    assert stalled.value.retryable is True
    await notifier.send(critical_trigger())
    assert len(fake_webhook.bodies) == 1
