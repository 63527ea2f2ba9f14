"""Generic webhook: POST each notification as JSON to a URL of your choice (Node-RED, n8n, your own service).

Request: `POST <url>`, `Content-Type: application/json`, body (schema_version 1; keys are always present, values
may be null):
    {"schema_version": 1, "source": "monitord", "notifier": "<name>", "sent_at": "<ISO 8601 UTC>",
     "incident_id": "...", "dedup_key": "...", "kind": "trigger|reminder|acknowledged|resolved|info|test",
     "urgency": "critical|high|normal|low", "alarm": "critical|non_critical|null", "title": "...", "body": "...",
     "is_test": false, "ack_url": "https://...|null", "evidence_url": "https://...|null",
     "attachment_name": "clip.wav|null", "tags": ["..."]}
Headers: `X-Monitord-Event: <kind>`, `X-Monitord-Timestamp: <unix seconds>` and, when a secret is configured,
`X-Monitord-Signature: sha256=<hex HMAC-SHA256 of the raw body bytes with the secret>` (GitHub's scheme). The
body includes `sent_at`, so the signature also covers the time: a receiver should reject a bad signature and a
`sent_at` older than a few minutes (replay). Compare signatures in constant time (hmac.compare_digest).
Any 2xx is success. 408, 429 and 5xx are retryable (Retry-After is honoured); other 4xx are permanent.

Config:
    [[notifiers]]
    type = "webhook"
    name = "node_red"
    url = "https://nodered.local:1880/monitord"
    secret_file = "/etc/monitord/webhook_secret"    # optional: enables X-Monitord-Signature
    bearer_token_file = "/etc/monitord/webhook_token"  # optional: Authorization: Bearer ...
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import structlog
from pydantic import Field, HttpUrl, SecretStr

from monitord.notifiers._http import error_for_status, http_request
from monitord.notifiers.base import (
    DeliveryReceipt,
    Notification,
    Notifier,
    NotifierConfigBase,
    read_optional_secret,
)

if TYPE_CHECKING:
    import aiohttp

log = structlog.get_logger(__name__)

SCHEMA_VERSION = 1
SIGNATURE_HEADER = "X-Monitord-Signature"
TIMESTAMP_HEADER = "X-Monitord-Timestamp"
EVENT_HEADER = "X-Monitord-Event"


class WebhookConfig(NotifierConfigBase):
    type: Literal["webhook"] = "webhook"
    url: HttpUrl = Field(description="where to POST the JSON")
    secret: SecretStr | None = Field(default=None, description="HMAC-SHA256 key for X-Monitord-Signature")
    secret_file: Path | None = Field(default=None, description="file holding the HMAC key")
    bearer_token: SecretStr | None = Field(default=None, description="sent as Authorization: Bearer <token>")
    bearer_token_file: Path | None = Field(default=None, description="file holding the bearer token")


def sign(secret: bytes, body: bytes) -> str:
    """The X-Monitord-Signature value for a body."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header_value: str | None) -> bool:
    """For receivers (and the tests): constant-time check of X-Monitord-Signature."""
    return header_value is not None and hmac.compare_digest(sign(secret, body), header_value)


class WebhookNotifier(Notifier):
    TYPE = "webhook"
    Config = WebhookConfig

    def __init__(
        self,
        *,
        name: str,
        session: aiohttp.ClientSession,
        url: str,
        secret: str | None = None,
        bearer_token: str | None = None,
        timeout_s: float = 10.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(name=name)
        self._session = session
        self._url = url
        self._secret = secret.encode() if secret is not None else None
        self._bearer_token = bearer_token
        self._timeout_s = timeout_s
        self._now = now

    @classmethod
    def from_config(cls, cfg: NotifierConfigBase, *, session: aiohttp.ClientSession) -> WebhookNotifier:
        assert isinstance(cfg, WebhookConfig)
        return cls(
            name=cfg.name,
            session=session,
            url=str(cfg.url),
            secret=read_optional_secret(cfg.secret, cfg.secret_file, what=f"notifier {cfg.name}: secret"),
            bearer_token=read_optional_secret(
                cfg.bearer_token, cfg.bearer_token_file, what=f"notifier {cfg.name}: bearer token"
            ),
            timeout_s=cfg.timeout_s,
        )

    @property
    def target(self) -> str:
        parts = urlsplit(self._url)
        return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}{parts.path}"

    def build_body(self, n: Notification, sent_at: datetime) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "source": "monitord",
            "notifier": self.name,
            "sent_at": sent_at.isoformat(),
            "incident_id": n.incident_id,
            "dedup_key": n.dedup_key,
            "kind": n.kind.value,
            "urgency": n.urgency.value,
            "alarm": n.alarm.value if n.alarm else None,
            "title": n.title,
            "body": n.body,
            "is_test": n.is_test,
            "ack_url": n.ack_url,
            "evidence_url": n.evidence_url,
            "attachment_name": n.attachment_path.name if n.attachment_path else None,
            "tags": list(n.tags),
        }

    async def send(self, n: Notification) -> DeliveryReceipt:
        what = f"webhook {self.name}"
        sent_at = self._now()
        raw = json.dumps(self.build_body(n, sent_at), ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            EVENT_HEADER: n.kind.value,
            TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
        }
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret, raw)
        if self._bearer_token is not None:
            headers["Authorization"] = f"Bearer {self._bearer_token}"
        response = await http_request(
            self._session, "POST", self._url, what=what, timeout_s=self._timeout_s, data=raw, headers=headers
        )
        if not 200 <= response.status < 300:
            raise error_for_status(what, response, response.text_excerpt() or "no details")
        log.debug("webhook delivered", notifier=self.name, incident_id=n.incident_id, status=response.status)
        return DeliveryReceipt(notifier=self.name, target=self.target, remote_id=None)
