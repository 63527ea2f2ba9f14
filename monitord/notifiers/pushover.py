"""Pushover (pushover.net): phone push whose emergency priority repeats until someone acknowledges it on the phone.

API (pushover.net/api, /api/receipts), all form-encoded (application/x-www-form-urlencoded):
- POST /1/messages.json: token (application), user (user or group key), message (≤ 1024 chars), title
  (≤ 250), url (≤ 512) + url_title (≤ 100), priority -2…2, sound, device. Priority 2 ("emergency") needs
  retry (≥ 30 s between repeats) and expire (≤ 10800 s); the answer then carries a `receipt`. Pushover also
  bypasses the phone's quiet hours for priority ≥ 1, and a user can let priority 2 ring through do-not-disturb.
- GET /1/receipts/{receipt}.json?token=…: acknowledged (0/1), acknowledged_at (unix), acknowledged_by (user
  key), acknowledged_by_device, expired, … — poll no faster than once every 5 s.
- POST /1/receipts/{receipt}/cancel.json with token: stop the repeats (on acknowledge elsewhere, or resolve).
Answers are JSON with status 1 (ok) or 0 plus an `errors` list. 4xx with errors: the request is wrong, never
retry; 429: the application's monthly message limit is used up; 5xx: retry later (no faster than every 5 s).
Each answer to messages.json carries X-Limit-App-Limit / -Remaining / -Reset (unix time of the monthly reset):
we keep the remaining count and warn while it runs low, because running out at 3 a.m. silences this channel.
Attachments: Pushover takes images only, so the WAV clip is not attached; the evidence URL is linked instead.

Urgency → priority: CRITICAL 2 (emergency, repeats every retry_s until acknowledged or expire_s), HIGH 1,
NORMAL 0, LOW -1. A TEST at CRITICAL urgency still uses priority 2 (the drill must ring like the real thing) but
expires after at most 120 s so an unattended drill stops by itself.

Config:
    [[notifiers]]
    type = "pushover"
    name = "mum_pushover"
    app_token_file = "/etc/monitord/pushover_app_token"
    user_key_file = "/etc/monitord/pushover_user_key"   # a user or a group key
    retry_s = 60          # emergency repeat interval (≥ 30)
    expire_s = 10800      # stop repeating after this (≤ 10800 = 3 h; the engine keeps escalating anyway)
    sound_critical = "persistent"
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import structlog
from pydantic import Field, HttpUrl, SecretStr

from monitord.notifiers._http import HttpResponse, error_for_status, http_request, mask, retry_after_s
from monitord.notifiers.base import (
    Acknowledgement,
    DeliveryReceipt,
    Notification,
    NotificationKind,
    Notifier,
    NotifierConfigBase,
    NotifierError,
    Urgency,
    read_secret,
)

if TYPE_CHECKING:
    import aiohttp

log = structlog.get_logger(__name__)

PRIORITY_BY_URGENCY = {Urgency.CRITICAL: 2, Urgency.HIGH: 1, Urgency.NORMAL: 0, Urgency.LOW: -1}
MESSAGE_LIMIT_CHARS = 1024
TITLE_LIMIT_CHARS = 250
URL_LIMIT_CHARS = 512
URL_TITLE_LIMIT_CHARS = 100
MIN_RETRY_S = 30
MAX_EXPIRE_S = 10800
TEST_EXPIRE_S = 120
RECEIPT_POLL_MIN_INTERVAL_S = 5.0
"""Pushover asks receipts to be polled no faster than once every 5 seconds."""
LOW_REMAINING_WARNING = 500
"""Warn when the application's monthly message allowance drops below this."""


class PushoverConfig(NotifierConfigBase):
    type: Literal["pushover"] = "pushover"
    api_url: HttpUrl = Field(default=HttpUrl("https://api.pushover.net"), description="API base URL")
    app_token: SecretStr | None = Field(default=None, description="application API token")
    app_token_file: Path | None = Field(default=None, description="file holding the application API token")
    user_key: SecretStr | None = Field(default=None, description="user or group key")
    user_key_file: Path | None = Field(default=None, description="file holding the user or group key")
    device: str | None = Field(default=None, description="send to this device only (default: all devices)")
    retry_s: int = Field(
        default=60, ge=MIN_RETRY_S, description="emergency priority: seconds between repeats (Pushover: ≥ 30)"
    )
    expire_s: int = Field(
        default=MAX_EXPIRE_S,
        ge=MIN_RETRY_S,
        le=MAX_EXPIRE_S,
        description="emergency priority: stop repeating after this many seconds (Pushover: ≤ 10800)",
    )
    sound_critical: str | None = Field(
        default="persistent",
        description="sound for CRITICAL urgency (a built-in name from pushover.net/api#sounds or a custom sound)",
    )
    sound: str | None = Field(default=None, description="sound for other urgencies (None: the user's default)")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PushoverNotifier(Notifier):
    TYPE = "pushover"
    Config = PushoverConfig
    supports_ack_polling = True

    def __init__(
        self,
        *,
        name: str,
        session: aiohttp.ClientSession,
        app_token: str,
        user_key: str,
        api_url: str = "https://api.pushover.net",
        device: str | None = None,
        retry_s: int = 60,
        expire_s: int = MAX_EXPIRE_S,
        sound_critical: str | None = "persistent",
        sound: str | None = None,
        timeout_s: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name=name)
        self._session = session
        self._app_token = app_token
        self._user_key = user_key
        self._api_url = api_url.rstrip("/")
        self._device = device
        self._retry_s = retry_s
        self._expire_s = expire_s
        self._sound_critical = sound_critical
        self._sound = sound
        self._timeout_s = timeout_s
        self._monotonic = monotonic
        self._last_poll: dict[str, float] = {}
        self.app_limit_remaining: int | None = None
        """Messages left this month for the application (X-Limit-App-Remaining), once known."""

    @classmethod
    def from_config(cls, cfg: NotifierConfigBase, *, session: aiohttp.ClientSession) -> PushoverNotifier:
        assert isinstance(cfg, PushoverConfig)
        app_token = read_secret(cfg.app_token, cfg.app_token_file, what=f"notifier {cfg.name}: Pushover app token")
        user_key = read_secret(cfg.user_key, cfg.user_key_file, what=f"notifier {cfg.name}: Pushover user key")
        return cls(
            name=cfg.name,
            session=session,
            app_token=app_token,
            user_key=user_key,
            api_url=str(cfg.api_url),
            device=cfg.device,
            retry_s=cfg.retry_s,
            expire_s=cfg.expire_s,
            sound_critical=cfg.sound_critical,
            sound=cfg.sound,
            timeout_s=cfg.timeout_s,
        )

    @property
    def target(self) -> str:
        return f"pushover user {mask(self._user_key)}" + (f" device {self._device}" if self._device else "")

    def build_message(self, n: Notification) -> dict[str, str]:
        """The form fields for one notification, without the application token."""
        priority = PRIORITY_BY_URGENCY[n.urgency]
        if n.kind in (NotificationKind.ACKNOWLEDGED, NotificationKind.RESOLVED):
            priority = min(priority, 0)  # an all-clear must not ring like an alarm (nor need acknowledging)
        fields: dict[str, str] = {
            "user": self._user_key,
            "title": _cut(n.title, TITLE_LIMIT_CHARS),
            "message": _cut(n.body, MESSAGE_LIMIT_CHARS),
            "priority": str(priority),
        }
        if priority == 2:
            fields["retry"] = str(self._retry_s)
            fields["expire"] = str(min(self._expire_s, TEST_EXPIRE_S) if n.is_test else self._expire_s)
        sound = self._sound_critical if n.urgency is Urgency.CRITICAL and priority == 2 else self._sound
        if sound:
            fields["sound"] = sound
        if self._device:
            fields["device"] = self._device
        if n.ack_url and n.kind in (NotificationKind.TRIGGER, NotificationKind.REMINDER, NotificationKind.TEST):
            fields["url"] = _cut(n.ack_url, URL_LIMIT_CHARS)
            fields["url_title"] = "Acknowledge (I'm on it)"
        elif n.evidence_url:
            fields["url"] = _cut(n.evidence_url, URL_LIMIT_CHARS)
            fields["url_title"] = "Audio evidence"
        return fields

    async def send(self, n: Notification) -> DeliveryReceipt:
        what = f"pushover {self.name}"
        fields = {"token": self._app_token, **self.build_message(n)}
        response = await http_request(
            self._session,
            "POST",
            f"{self._api_url}/1/messages.json",
            what=what,
            timeout_s=self._timeout_s,
            data=fields,
        )
        self._note_limits(response)
        answer = self._check(what, response)
        receipt = answer.get("receipt")
        remote_id = str(receipt) if receipt else None
        log.debug("pushover sent", notifier=self.name, incident_id=n.incident_id, has_receipt=bool(receipt))
        return DeliveryReceipt(notifier=self.name, target=self.target, remote_id=remote_id)

    async def acknowledge(self, n: Notification, receipt: DeliveryReceipt | None) -> None:
        """Someone acknowledged (anywhere): stop this emergency notification from repeating."""
        await self._cancel(receipt)

    async def resolve(self, n: Notification, receipt: DeliveryReceipt | None) -> None:
        await self._cancel(receipt)

    async def poll_acknowledgement(self, receipt: DeliveryReceipt) -> Acknowledgement | None:
        if not receipt.remote_id:
            return None
        now = self._monotonic()
        last = self._last_poll.get(receipt.remote_id)
        if last is not None and now - last < RECEIPT_POLL_MIN_INTERVAL_S:
            return None  # too soon for Pushover's polling rule; the next poll will tell
        self._last_poll[receipt.remote_id] = now
        what = f"pushover {self.name} receipt"
        response = await http_request(
            self._session,
            "GET",
            f"{self._api_url}/1/receipts/{quote(receipt.remote_id, safe='')}.json",
            what=what,
            timeout_s=self._timeout_s,
            params={"token": self._app_token},
        )
        answer = self._check(what, response)
        if int(answer.get("acknowledged", 0)) != 1:
            return None
        self._last_poll.pop(receipt.remote_id, None)
        by_user = str(answer.get("acknowledged_by") or "")
        device = answer.get("acknowledged_by_device")
        who = f"pushover:{mask(by_user)}" + (f" ({device})" if device else "")
        acknowledged_at = datetime.fromtimestamp(int(answer.get("acknowledged_at") or 0), UTC)
        return Acknowledgement(acknowledged_by=who, acknowledged_at=acknowledged_at, channel="pushover")

    async def _cancel(self, receipt: DeliveryReceipt | None) -> None:
        if receipt is None or not receipt.remote_id:
            return  # not an emergency-priority message: nothing repeats, nothing to cancel
        what = f"pushover {self.name} cancel"
        response = await http_request(
            self._session,
            "POST",
            f"{self._api_url}/1/receipts/{quote(receipt.remote_id, safe='')}/cancel.json",
            what=what,
            timeout_s=self._timeout_s,
            data={"token": self._app_token},
        )
        self._check(what, response)
        self._last_poll.pop(receipt.remote_id, None)

    def _check(self, what: str, response: HttpResponse) -> dict[str, Any]:
        answer = response.json_object()
        if response.status == 200 and answer is not None and answer.get("status") == 1:
            return answer
        errors = answer.get("errors") if answer else None
        detail = "; ".join(str(e) for e in errors) if isinstance(errors, list) and errors else response.text_excerpt()
        if response.status == 200:  # status 0 in a 200: the request was understood and refused
            raise NotifierError(f"{what}: refused: {detail}", retryable=False, status=200)
        error = error_for_status(what, response, detail or "no details")
        if response.status == 429 and error.retry_after_s is None:
            error.retry_after_s = self._seconds_until_reset(response)
        raise error

    def _note_limits(self, response: HttpResponse) -> None:
        remaining = response.headers.get("X-Limit-App-Remaining")
        if remaining is None or not remaining.strip().isdigit():
            return
        self.app_limit_remaining = int(remaining)
        if self.app_limit_remaining < LOW_REMAINING_WARNING:
            log.warning(
                "pushover monthly message allowance running low",
                notifier=self.name,
                remaining=self.app_limit_remaining,
                limit=response.headers.get("X-Limit-App-Limit"),
                resets_in_s=self._seconds_until_reset(response),
            )

    @staticmethod
    def _seconds_until_reset(response: HttpResponse) -> float | None:
        reset = response.headers.get("X-Limit-App-Reset")
        if reset is None or not reset.strip().isdigit():
            return retry_after_s(response.headers)
        return max(0.0, int(reset) - time.time())
