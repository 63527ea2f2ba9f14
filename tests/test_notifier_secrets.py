"""No secret ever reaches a log line, an error message or a receipt — on success or on failure."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from structlog.testing import capture_logs

from monitord.notifiers.base import DeliveryReceipt, Notifier, NotifierError
from monitord.notifiers.ntfy import NtfyNotifier
from monitord.notifiers.pagerduty import PagerDutyNotifier
from monitord.notifiers.pushover import PushoverNotifier
from monitord.notifiers.webhook import WebhookNotifier
from tests.fake_services import (
    NTFY_TOKEN,
    PAGERDUTY_ROUTING_KEY,
    PUSHOVER_APP_TOKEN,
    PUSHOVER_USER_KEY,
    WEBHOOK_SECRET,
    FakeNtfy,
    FakePagerDuty,
    FakePushover,
    FakeWebhook,
)
from tests.notification_samples import critical_trigger

SECRETS = [NTFY_TOKEN, PAGERDUTY_ROUTING_KEY, PUSHOVER_APP_TOKEN, PUSHOVER_USER_KEY, WEBHOOK_SECRET.decode()]


@pytest.fixture
async def notifiers() -> AsyncIterator[list[tuple[Notifier, FakeNtfy | FakePushover | FakePagerDuty | FakeWebhook]]]:
    async with (
        aiohttp.ClientSession() as session,
        FakeNtfy(tokens={NTFY_TOKEN}) as ntfy,
        FakePushover(app_token=PUSHOVER_APP_TOKEN, users={PUSHOVER_USER_KEY}, monthly_limit=100) as pushover,
        FakePagerDuty(routing_keys={PAGERDUTY_ROUTING_KEY}) as pagerduty,
        FakeWebhook(secret=WEBHOOK_SECRET) as webhook,
    ):
        yield [
            (
                NtfyNotifier(
                    name="n", session=session, server_url=ntfy.url, topic="t", authorization=f"Bearer {NTFY_TOKEN}"
                ),
                ntfy,
            ),
            (
                PushoverNotifier(
                    name="p",
                    session=session,
                    api_url=pushover.url,
                    app_token=PUSHOVER_APP_TOKEN,
                    user_key=PUSHOVER_USER_KEY,
                ),
                pushover,
            ),
            (
                PagerDutyNotifier(
                    name="pd",
                    session=session,
                    events_url=f"{pagerduty.url}/v2/enqueue",
                    routing_key=PAGERDUTY_ROUTING_KEY,
                ),
                pagerduty,
            ),
            (WebhookNotifier(name="w", session=session, url=webhook.url, secret=WEBHOOK_SECRET.decode()), webhook),
        ]


async def test_secrets_stay_out_of_logs_errors_and_receipts(
    notifiers: list[tuple[Notifier, FakeNtfy | FakePushover | FakePagerDuty | FakeWebhook]],
) -> None:
    seen: list[str] = []
    with capture_logs() as logs:
        for notifier, fake in notifiers:
            receipt = await notifier.send(critical_trigger())
            seen.append(repr(receipt))
            fake.fail_next(400, body={"errors": ["bad"], "status": 0, "message": "bad"})
            fake.fail_next(503)
            for _ in range(2):
                with pytest.raises(NotifierError) as info:
                    await notifier.send(critical_trigger())
                seen.append(str(info.value))
            await notifier.acknowledge(critical_trigger(), receipt)
            await notifier.resolve(critical_trigger(), receipt)
            if notifier.supports_ack_polling:
                await notifier.poll_acknowledgement(receipt)
            await notifier.resolve(critical_trigger(), DeliveryReceipt(notifier="x", target="x", remote_id=None))
    seen += [repr(entry) for entry in logs]
    assert any("pushover monthly message allowance" in line for line in seen)  # logs were captured at all
    for secret in SECRETS:
        assert not [line for line in seen if secret in line], secret
