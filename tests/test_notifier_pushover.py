"""Pushover notifier against a loopback Pushover that checks requests like pushover.net/api documents them."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp
import pytest

from monitord.notifiers import build_notifier
from monitord.notifiers.base import DeliveryReceipt, NotificationKind, NotifierError, Urgency
from monitord.notifiers.pushover import PushoverConfig, PushoverNotifier
from tests.fake_services import PUSHOVER_APP_TOKEN, PUSHOVER_USER_KEY, FakePushover
from tests.notification_samples import critical_trigger, refill_reminder


class SteppedClock:
    """A monotonic clock the test moves by hand (Pushover's 5-second receipt polling rule)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _notifier(fake: FakePushover, session: aiohttp.ClientSession, **overrides: object) -> PushoverNotifier:
    clock = overrides.pop("monotonic", time.monotonic)
    fields: dict[str, object] = {"app_token": PUSHOVER_APP_TOKEN, "user_key": PUSHOVER_USER_KEY}
    fields.update(overrides)
    return PushoverNotifier(name="mum", session=session, api_url=fake.url, monotonic=clock, **fields)  # type: ignore[arg-type]


async def test_critical_is_emergency_priority_with_retry_expire_and_an_ack_link(
    fake_pushover: FakePushover, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    (tmp_path / "token").write_text(PUSHOVER_APP_TOKEN + "\n")
    (tmp_path / "user").write_text(PUSHOVER_USER_KEY)
    config = PushoverConfig(
        name="mum",
        api_url=fake_pushover.url,
        app_token_file=tmp_path / "token",
        user_key_file=tmp_path / "user",
    )
    notifier = build_notifier(config, session=session)
    assert isinstance(notifier, PushoverNotifier)
    receipt = await notifier.send(critical_trigger())

    [request] = fake_pushover.requests
    assert request.rejection is None
    assert (request.method, request.path) == ("POST", "/1/messages.json")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = request.form()
    assert form["token"] == PUSHOVER_APP_TOKEN
    assert form["user"] == PUSHOVER_USER_KEY
    assert form["priority"] == "2"
    assert (form["retry"], form["expire"]) == ("60", "10800")
    assert form["sound"] == "persistent"
    assert form["url"] == "https://monitor.example.org/ack/2Kx9vQ"
    assert form["url_title"].startswith("Acknowledge")
    assert "Call the pump team NOW" in form["message"]
    assert receipt.remote_id in fake_pushover.receipts
    assert PUSHOVER_USER_KEY not in receipt.target
    assert notifier.app_limit_remaining == fake_pushover.monthly_limit - 1


async def test_the_fake_refuses_priority_2_without_retry_and_expire_like_pushover(
    fake_pushover: FakePushover, session: aiohttp.ClientSession
) -> None:
    form = {"token": PUSHOVER_APP_TOKEN, "user": PUSHOVER_USER_KEY, "message": "m", "priority": "2"}
    async with session.post(f"{fake_pushover.url}/1/messages.json", data=form) as response:
        assert response.status == 400
        answer = await response.json()
    assert answer["status"] == 0
    assert answer["errors"] == ["retry must be supplied with priority=2"]
    async with session.post(f"{fake_pushover.url}/1/messages.json", data={**form, "retry": "10", "expire": "60"}) as r:
        assert r.status == 400


async def test_normal_urgency_is_priority_0_without_retry_and_links_the_evidence(
    fake_pushover: FakePushover, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_pushover, session)
    receipt = await notifier.send(refill_reminder(evidence_url="https://monitor.example.org/clips/b.wav"))
    form = fake_pushover.accepted[0].form()
    assert form["priority"] == "0"
    assert "retry" not in form
    assert "expire" not in form
    assert "sound" not in form  # the user's own default sound
    assert (form["url"], form["url_title"]) == ("https://monitor.example.org/clips/b.wav", "Audio evidence")
    assert receipt.remote_id is None  # only emergency messages get a receipt


async def test_an_all_clear_never_rings_like_an_alarm(
    fake_pushover: FakePushover, session: aiohttp.ClientSession
) -> None:
    await _notifier(fake_pushover, session).send(critical_trigger(kind=NotificationKind.RESOLVED))
    form = fake_pushover.accepted[0].form()
    assert form["priority"] == "0"
    assert "url" not in form or "ack" not in form["url"]


async def test_a_critical_drill_expires_by_itself(fake_pushover: FakePushover, session: aiohttp.ClientSession) -> None:
    await _notifier(fake_pushover, session).send(critical_trigger(kind=NotificationKind.TEST, is_test=True))
    form = fake_pushover.accepted[0].form()
    assert (form["priority"], form["expire"]) == ("2", "120")


async def test_long_texts_are_cut_to_pushovers_limits(
    fake_pushover: FakePushover, session: aiohttp.ClientSession
) -> None:
    await _notifier(fake_pushover, session).send(critical_trigger(body="x" * 3000, title="t" * 400))
    form = fake_pushover.accepted[0].form()
    assert len(form["message"]) == 1024
    assert len(form["title"]) == 250


async def test_receipt_polling_learns_the_acknowledgement_and_respects_5_seconds(
    fake_pushover: FakePushover, session: aiohttp.ClientSession
) -> None:
    clock = SteppedClock()
    notifier = _notifier(fake_pushover, session, monotonic=clock)
    receipt = await notifier.send(critical_trigger())
    assert receipt.remote_id is not None

    assert await notifier.poll_acknowledgement(receipt) is None
    fake_pushover.acknowledge(receipt.remote_id, user=PUSHOVER_USER_KEY, device="dads-pixel")
    clock.now += 2.0
    assert await notifier.poll_acknowledgement(receipt) is None  # too soon: no request made
    assert len(fake_pushover.receipts[receipt.remote_id].polls) == 1
    clock.now += 3.0
    ack = await notifier.poll_acknowledgement(receipt)
    assert ack is not None
    assert ack.channel == "pushover"
    assert "dads-pixel" in ack.acknowledged_by
    assert PUSHOVER_USER_KEY not in ack.acknowledged_by
    assert abs(ack.acknowledged_at.timestamp() - time.time()) < 60
    poll = fake_pushover.requests[-1]
    assert (poll.method, poll.path, poll.query) == (
        "GET",
        f"/1/receipts/{receipt.remote_id}.json",
        {"token": PUSHOVER_APP_TOKEN},
    )


async def test_acknowledge_and_resolve_cancel_the_emergency_repeats(
    fake_pushover: FakePushover, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_pushover, session)
    first = await notifier.send(critical_trigger())
    second = await notifier.send(critical_trigger())
    assert first.remote_id is not None
    assert second.remote_id is not None
    await notifier.acknowledge(critical_trigger(kind=NotificationKind.ACKNOWLEDGED), first)
    await notifier.resolve(critical_trigger(kind=NotificationKind.RESOLVED), second)
    assert fake_pushover.receipts[first.remote_id].cancelled
    assert fake_pushover.receipts[second.remote_id].cancelled
    cancel = fake_pushover.requests[-1]
    assert (cancel.method, cancel.path) == ("POST", f"/1/receipts/{second.remote_id}/cancel.json")
    assert cancel.form() == {"token": PUSHOVER_APP_TOKEN}
    requests_before = len(fake_pushover.requests)
    await notifier.resolve(refill_reminder(), DeliveryReceipt(notifier="mum", target="x", remote_id=None))
    assert len(fake_pushover.requests) == requests_before  # nothing repeats, nothing to cancel


async def test_cancelling_an_unknown_receipt_is_a_permanent_error(
    fake_pushover: FakePushover, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_pushover, session)
    with pytest.raises(NotifierError) as info:
        await notifier.resolve(refill_reminder(), DeliveryReceipt(notifier="mum", target="x", remote_id="nope"))
    assert (info.value.status, info.value.retryable) == (404, False)
    assert "receipt not found" in info.value.message


async def test_an_invalid_user_key_is_permanent_and_not_logged(
    fake_pushover: FakePushover, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_pushover, session, user_key="uBadBadBadBadBadBadBadBadBadBad")
    with pytest.raises(NotifierError) as info:
        await notifier.send(critical_trigger())
    assert (info.value.status, info.value.retryable) == (400, False)
    assert "not a valid user" in info.value.message
    assert "uBadBad" not in str(info.value)
    assert PUSHOVER_APP_TOKEN not in str(info.value)


async def test_monthly_limit_exhausted_is_retryable_after_the_reset(
    fake_pushover: FakePushover, session: aiohttp.ClientSession
) -> None:
    fake_pushover.remaining = 0
    with pytest.raises(NotifierError) as info:
        await _notifier(fake_pushover, session).send(critical_trigger(urgency=Urgency.HIGH))
    assert (info.value.status, info.value.retryable) == (429, True)
    assert info.value.retry_after_s is not None
    assert 13 * 86400 < info.value.retry_after_s <= 14 * 86400  # X-Limit-App-Reset of the fake


async def test_server_errors_and_timeouts_are_retryable(
    fake_pushover: FakePushover, session: aiohttp.ClientSession
) -> None:
    notifier = _notifier(fake_pushover, session, timeout_s=0.3)
    fake_pushover.fail_next(503, headers={"Retry-After": "5"})
    fake_pushover.stall_next()
    with pytest.raises(NotifierError) as server_error:
        await notifier.send(critical_trigger())
    assert (server_error.value.retryable, server_error.value.retry_after_s) == (True, 5.0)
    with pytest.raises(NotifierError) as timeout:
        await notifier.send(critical_trigger())
    assert timeout.value.retryable is True
    await notifier.send(critical_trigger())
    assert len(fake_pushover.accepted) == 1
