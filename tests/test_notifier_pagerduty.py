"""PagerDuty Events v2 notifier against a loopback Events API that checks requests like PagerDuty documents them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from monitord.notifiers import build_notifier
from monitord.notifiers.base import NotificationKind, NotifierError, Urgency
from monitord.notifiers.pagerduty import PagerDutyConfig, PagerDutyNotifier
from tests.fake_services import PAGERDUTY_ROUTING_KEY, FakePagerDuty
from tests.notification_samples import critical_trigger, refill_reminder


def _notifier(fake: FakePagerDuty, session: aiohttp.ClientSession, **overrides: object) -> PagerDutyNotifier:
    fields: dict[str, object] = {"routing_key": PAGERDUTY_ROUTING_KEY, "source": "pi-bedroom"}
    fields.update(overrides)
    return PagerDutyNotifier(
        name="oncall",
        session=session,
        events_url=f"{fake.url}/v2/enqueue",
        now=lambda: datetime(2026, 11, 21, 3, 14, tzinfo=UTC),
        **fields,  # type: ignore[arg-type]
    )


async def test_trigger_carries_the_documented_fields(
    fake_pagerduty: FakePagerDuty, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    (tmp_path / "routing_key").write_text(PAGERDUTY_ROUTING_KEY + "\n")
    config = PagerDutyConfig(
        name="oncall",
        events_url=f"{fake_pagerduty.url}/v2/enqueue",
        routing_key_file=tmp_path / "routing_key",
        source="pi-bedroom",
    )
    notifier = build_notifier(config, session=session)
    receipt = await notifier.send(critical_trigger())

    [request] = fake_pagerduty.requests
    assert request.rejection is None
    assert (request.method, request.path, request.answered_status) == ("POST", "/v2/enqueue", 202)
    assert request.headers["Content-Type"] == "application/json"
    event = request.json()
    assert event["routing_key"] == PAGERDUTY_ROUTING_KEY
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == "monitord-inc-7f3a"
    payload = event["payload"]
    assert payload["summary"] == "CRITICAL pump alarm — bedroom"
    assert payload["source"] == "pi-bedroom"
    assert payload["severity"] == "critical"
    assert "Call the pump team NOW" in payload["custom_details"]["details"]
    assert payload["custom_details"]["alarm"] == "critical"
    assert {link["text"]: link["href"] for link in event["links"]} == {
        "Acknowledge in monitord": "https://monitor.example.org/ack/2Kx9vQ",
        "Audio evidence": "https://monitor.example.org/clips/inc-7f3a.wav",
    }
    assert receipt.remote_id == "monitord-inc-7f3a"
    assert fake_pagerduty.alerts == {"monitord-inc-7f3a": "triggered"}
    assert PAGERDUTY_ROUTING_KEY not in receipt.target


async def test_acknowledge_then_resolve_the_same_alert(
    fake_pagerduty: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_pagerduty, session)
    receipt = await notifier.send(critical_trigger())
    await notifier.send(critical_trigger(kind=NotificationKind.REMINDER))  # a repeat trigger: still one alert
    await notifier.acknowledge(critical_trigger(kind=NotificationKind.ACKNOWLEDGED), receipt)
    assert fake_pagerduty.alerts == {"monitord-inc-7f3a": "acknowledged"}
    ack = fake_pagerduty.requests[-1].json()
    assert ack == {
        "routing_key": PAGERDUTY_ROUTING_KEY,
        "event_action": "acknowledge",
        "dedup_key": "monitord-inc-7f3a",
    }
    await notifier.send(critical_trigger(kind=NotificationKind.RESOLVED))  # the kind maps to the action
    assert fake_pagerduty.alerts == {"monitord-inc-7f3a": "resolved"}
    assert [e["event_action"] for e in fake_pagerduty.events] == ["trigger", "trigger", "acknowledge", "resolve"]


async def test_urgency_maps_to_severity_and_tests_are_marked(
    fake_pagerduty: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_pagerduty, session)
    await notifier.send(refill_reminder())
    await notifier.send(refill_reminder(urgency=Urgency.HIGH, dedup_key="k2"))
    await notifier.send(critical_trigger(kind=NotificationKind.TEST, is_test=True, dedup_key="k3"))
    payloads = [e["payload"] for e in fake_pagerduty.events]
    assert [p["severity"] for p in payloads] == ["warning", "error", "critical"]
    assert payloads[2]["summary"].startswith("[TEST] ")
    assert payloads[2]["custom_details"]["is_test"] is True


async def test_over_long_summary_and_dedup_key_are_made_to_fit(
    fake_pagerduty: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_pagerduty, session)
    long_key = "k" * 300
    first = await notifier.send(critical_trigger(title="s" * 2000, dedup_key=long_key))
    second = await notifier.send(critical_trigger(dedup_key=long_key))
    assert fake_pagerduty.rejected == []
    assert len(fake_pagerduty.events[0]["payload"]["summary"]) == 1024
    assert first.remote_id == second.remote_id  # the shortened key is stable
    assert first.remote_id is not None
    assert len(first.remote_id) <= 255


async def test_the_fake_rejects_a_missing_routing_key_like_pagerduty(
    fake_pagerduty: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    event = {"event_action": "trigger", "payload": {"summary": "s", "source": "x", "severity": "critical"}}
    async with session.post(f"{fake_pagerduty.url}/v2/enqueue", json=event) as response:
        assert response.status == 400
        answer = await response.json()
    assert answer["errors"] == ["'routing_key' is missing or blank"]


async def test_4xx_is_never_retried_429_and_5xx_are(
    fake_pagerduty: FakePagerDuty, session: aiohttp.ClientSession
) -> None:
    wrong_key = _notifier(fake_pagerduty, session, routing_key="f" * 32)
    with pytest.raises(NotifierError) as bad_request:
        await wrong_key.send(critical_trigger())
    assert (bad_request.value.status, bad_request.value.retryable) == (400, False)
    assert "routing_key" in bad_request.value.message
    assert "f" * 32 not in str(bad_request.value)

    notifier = _notifier(fake_pagerduty, session)
    fake_pagerduty.fail_next(429, headers={"Retry-After": "30"}, body={"status": "throttle event"})
    fake_pagerduty.fail_next(502)
    fake_pagerduty.fail_next(403)
    with pytest.raises(NotifierError) as throttled:
        await notifier.send(critical_trigger())
    assert (throttled.value.retryable, throttled.value.retry_after_s) == (True, 30.0)
    with pytest.raises(NotifierError) as bad_gateway:
        await notifier.send(critical_trigger())
    assert bad_gateway.value.retryable is True
    with pytest.raises(NotifierError) as forbidden:
        await notifier.send(critical_trigger())
    assert forbidden.value.retryable is False
    await notifier.send(critical_trigger())
    assert fake_pagerduty.alerts == {"monitord-inc-7f3a": "triggered"}
