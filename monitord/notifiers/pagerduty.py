"""PagerDuty Events API v2: page the on-call rota, and acknowledge/resolve the same alert later.

API (developer.pagerduty.com, "Send an Alert Event"): POST https://events.pagerduty.com/v2/enqueue, JSON:
    routing_key (integration key, required), event_action trigger | acknowledge | resolve (required),
    dedup_key (≤ 255 chars; the same key on every event of one incident, so PagerDuty keeps ONE alert),
    payload {summary (≤ 1024, required), source (required), severity critical|error|warning|info (required),
             timestamp, component, group, class, custom_details}   — trigger only
    links [{href, text}], client, client_url.
Answer 202 {"status": "success", "message": "Event processed", "dedup_key": "..."}. Retry table from the
overview page: 400 never (the JSON is wrong), 429 and 5xx yes "after some time", network errors yes.
Rate limit ≈ 120 events/min per integration key — far above anything monitord sends.

`send()` maps the notification kind onto the event action: TRIGGER, REMINDER, INFO and TEST trigger (a repeated
trigger on an open alert only adds a log entry: PagerDuty's own escalation policy does the repeating);
ACKNOWLEDGED acknowledges and RESOLVED resolves. `acknowledge()` / `resolve()` do the same explicitly, so the
engine may use either path. Urgency → severity: CRITICAL critical, HIGH error, NORMAL warning, LOW info.

Config:
    [[notifiers]]
    type = "pagerduty"
    name = "oncall"
    routing_key_file = "/etc/monitord/pagerduty_routing_key"
    source = "monitord-livingroom-pi"     # default: this machine's host name
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import structlog
from pydantic import Field, HttpUrl, SecretStr

from monitord.notifiers._http import HttpResponse, error_for_status, http_request
from monitord.notifiers.base import (
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

SEVERITY_BY_URGENCY = {
    Urgency.CRITICAL: "critical",
    Urgency.HIGH: "error",
    Urgency.NORMAL: "warning",
    Urgency.LOW: "info",
}
SUMMARY_LIMIT_CHARS = 1024
DEDUP_KEY_LIMIT_CHARS = 255

EventAction = Literal["trigger", "acknowledge", "resolve"]

_ACTION_BY_KIND: dict[NotificationKind, EventAction] = {
    NotificationKind.TRIGGER: "trigger",
    NotificationKind.REMINDER: "trigger",
    NotificationKind.INFO: "trigger",
    NotificationKind.TEST: "trigger",
    NotificationKind.ACKNOWLEDGED: "acknowledge",
    NotificationKind.RESOLVED: "resolve",
}


class PagerDutyConfig(NotifierConfigBase):
    type: Literal["pagerduty"] = "pagerduty"
    events_url: HttpUrl = Field(
        default=HttpUrl("https://events.pagerduty.com/v2/enqueue"), description="Events API v2 enqueue URL"
    )
    routing_key: SecretStr | None = Field(default=None, description="Events API v2 integration (routing) key")
    routing_key_file: Path | None = Field(default=None, description="file holding the routing key")
    source: str = Field(
        default_factory=socket.gethostname, min_length=1, description="payload.source: which machine is affected"
    )
    component: str = Field(default="baclofen-pump-monitor", description="payload.component")
    group: str | None = Field(default=None, description="payload.group, e.g. the patient's household")
    client_url: HttpUrl | None = Field(default=None, description="link to this monitord's web page, if any")


def stable_dedup_key(key: str) -> str:
    """PagerDuty allows 255 characters; a longer key is shortened to a stable digest rather than cut."""
    if len(key) <= DEDUP_KEY_LIMIT_CHARS:
        return key
    return "monitord-" + hashlib.sha256(key.encode()).hexdigest()


class PagerDutyNotifier(Notifier):
    TYPE = "pagerduty"
    Config = PagerDutyConfig

    def __init__(
        self,
        *,
        name: str,
        session: aiohttp.ClientSession,
        routing_key: str,
        events_url: str = "https://events.pagerduty.com/v2/enqueue",
        source: str = "monitord",
        component: str = "baclofen-pump-monitor",
        group: str | None = None,
        client_url: str | None = None,
        timeout_s: float = 10.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(name=name)
        self._session = session
        self._routing_key = routing_key
        self._events_url = events_url
        self._source = source
        self._component = component
        self._group = group
        self._client_url = client_url
        self._timeout_s = timeout_s
        self._now = now

    @classmethod
    def from_config(cls, cfg: NotifierConfigBase, *, session: aiohttp.ClientSession) -> PagerDutyNotifier:
        assert isinstance(cfg, PagerDutyConfig)
        key = read_secret(cfg.routing_key, cfg.routing_key_file, what=f"notifier {cfg.name}: PagerDuty routing key")
        return cls(
            name=cfg.name,
            session=session,
            routing_key=key,
            events_url=str(cfg.events_url),
            source=cfg.source,
            component=cfg.component,
            group=cfg.group,
            client_url=str(cfg.client_url) if cfg.client_url else None,
            timeout_s=cfg.timeout_s,
        )

    @property
    def target(self) -> str:
        return f"pagerduty service (source {self._source})"

    def build_event(self, n: Notification, action: EventAction) -> dict[str, Any]:
        """The Events API v2 body for one notification and action (public for docs and tests)."""
        event: dict[str, Any] = {
            "routing_key": self._routing_key,
            "event_action": action,
            "dedup_key": stable_dedup_key(n.dedup_key),
        }
        if action != "trigger":
            return event  # acknowledge/resolve carry only the key (the documented minimal bodies)
        summary = ("[TEST] " if n.is_test and "TEST" not in n.title else "") + n.title
        payload: dict[str, Any] = {
            "summary": summary[:SUMMARY_LIMIT_CHARS],
            "source": self._source,
            "severity": SEVERITY_BY_URGENCY[n.urgency],
            "timestamp": self._now().isoformat(),
            "component": self._component,
            "class": f"pump alarm: {n.alarm.value}" if n.alarm else n.kind.value,
            "custom_details": {
                "details": n.body,
                "incident_id": n.incident_id,
                "kind": n.kind.value,
                "alarm": n.alarm.value if n.alarm else None,
                "is_test": n.is_test,
                "tags": list(n.tags),
            },
        }
        if self._group:
            payload["group"] = self._group
        event["payload"] = payload
        links = []
        if n.ack_url:
            links.append({"href": n.ack_url, "text": "Acknowledge in monitord"})
        if n.evidence_url:
            links.append({"href": n.evidence_url, "text": "Audio evidence"})
        if links:
            event["links"] = links
        event["client"] = "monitord"
        if self._client_url:
            event["client_url"] = self._client_url
        return event

    async def send(self, n: Notification) -> DeliveryReceipt:
        return await self._enqueue(n, _ACTION_BY_KIND[n.kind])

    async def acknowledge(self, n: Notification, receipt: DeliveryReceipt | None) -> None:
        await self._enqueue(n, "acknowledge")

    async def resolve(self, n: Notification, receipt: DeliveryReceipt | None) -> None:
        await self._enqueue(n, "resolve")

    async def _enqueue(self, n: Notification, action: EventAction) -> DeliveryReceipt:
        what = f"pagerduty {self.name} {action}"
        response = await http_request(
            self._session,
            "POST",
            self._events_url,
            what=what,
            timeout_s=self._timeout_s,
            json=self.build_event(n, action),
        )
        if response.status != 202:
            raise error_for_status(what, response, _pd_error(response))
        answer = response.json_object() or {}
        if answer.get("status") != "success":
            raise NotifierError(f"{what}: unexpected answer: {_pd_error(response)}", retryable=True, status=202)
        dedup_key = str(answer.get("dedup_key") or stable_dedup_key(n.dedup_key))
        log.debug("pagerduty event accepted", notifier=self.name, action=action, dedup_key=dedup_key)
        return DeliveryReceipt(notifier=self.name, target=self.target, remote_id=dedup_key)


def _pd_error(response: HttpResponse) -> str:
    answer = response.json_object()
    if answer:
        errors = answer.get("errors")
        message = str(answer.get("message") or answer.get("status") or "")
        if isinstance(errors, list) and errors:
            return f"{message}: {'; '.join(str(e) for e in errors)}"
        if message:
            return message
    return response.text_excerpt() or "no details"
