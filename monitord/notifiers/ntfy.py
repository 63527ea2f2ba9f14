"""ntfy (https://ntfy.sh or a self-hosted server): push to the ntfy phone app, with an "Acknowledge" button.

Wire format: "publish as JSON" — one POST of a JSON object to the server ROOT URL (not /<topic>), with the topic in
the body. Chosen over the header form because titles and bodies are UTF-8 text with newlines (headers are not a
safe place for them) and the action button is a structured object. Fields used (docs.ntfy.sh/publish):
    topic, message (≤ 4096 bytes, else the server turns it into an attachment), title, priority 1–5,
    tags (emoji short codes show in the title), click (opened on tap: the evidence), attach + filename
    (attachment by URL: the evidence), actions (≤ 3; we send one `http` action that POSTs to the ack URL with
    an `X-Monitord-By: ntfy:<notifier name>` header, so the acknowledgement records whose phone it was).
Auth: `Authorization: Bearer <access token>` or HTTP Basic (user + password). A 200 answer is the stored message
as JSON; we keep its `id`. Errors come as JSON {"code": 40101, "http": 401, "error": "..."}; 429 means the
visitor rate limit was hit (retryable), other 4xx are permanent.

Urgency → priority: CRITICAL 5 "urgent" (the Android app can override do-not-disturb for priority 5 when the
user allows it), HIGH 4, NORMAL 3, LOW 2.

Config:
    [[notifiers]]
    type = "ntfy"
    name = "family_ntfy"
    server_url = "https://ntfy.example.org"   # default https://ntfy.sh
    topic = "pump-7f3a9c2e"                   # on a public server the topic name is the password: make it long
    token_file = "/etc/monitord/ntfy_token"   # or token = "tk_...", or username + password(_file)
"""

from __future__ import annotations

import base64
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import structlog
from pydantic import Field, HttpUrl, SecretStr, model_validator

from monitord.notifiers._http import HttpResponse, error_for_status, http_request, mask
from monitord.notifiers.base import (
    DeliveryReceipt,
    Notification,
    NotificationKind,
    Notifier,
    NotifierConfigBase,
    NotifierError,
    Urgency,
    read_optional_secret,
    read_secret,
)

if TYPE_CHECKING:
    import aiohttp

log = structlog.get_logger(__name__)

PRIORITY_BY_URGENCY = {Urgency.CRITICAL: 5, Urgency.HIGH: 4, Urgency.NORMAL: 3, Urgency.LOW: 2}
"""ntfy priorities: 1 min, 2 low, 3 default, 4 high, 5 max/urgent."""

ACK_BY_HEADER = "X-Monitord-By"
"""Header the Acknowledge button sends so the ack endpoint can record who acknowledged."""

MESSAGE_LIMIT_BYTES = 4096
"""ntfy's default message-size limit; longer bodies become an attachment, which a phone shows as a file."""

# Emoji tags ntfy renders in front of the title (docs.ntfy.sh/emojis).
_KIND_TAGS = {
    NotificationKind.TRIGGER: "rotating_light",
    NotificationKind.REMINDER: "bell",
    NotificationKind.ACKNOWLEDGED: "ok_hand",
    NotificationKind.RESOLVED: "white_check_mark",
    NotificationKind.INFO: "warning",
    NotificationKind.TEST: "test_tube",
}


class NtfyConfig(NotifierConfigBase):
    type: Literal["ntfy"] = "ntfy"
    server_url: HttpUrl = Field(default=HttpUrl("https://ntfy.sh"), description="ntfy server base URL")
    topic: str = Field(
        pattern=r"^[-_A-Za-z0-9]{1,64}$", description="topic to publish to (1–64 of A-Z a-z 0-9 _ -)"
    )
    token: SecretStr | None = Field(default=None, description="access token (Bearer auth), e.g. tk_...")
    token_file: Path | None = Field(default=None, description="file holding the access token")
    username: str | None = Field(default=None, description="user for HTTP Basic auth")
    password: SecretStr | None = Field(default=None, description="password for HTTP Basic auth")
    password_file: Path | None = Field(default=None, description="file holding the Basic-auth password")
    extra_tags: tuple[str, ...] = Field(default=(), description="tags added to every message")

    @model_validator(mode="after")
    def _one_auth_method(self) -> NtfyConfig:
        has_token = self.token is not None or self.token_file is not None
        has_password = self.password is not None or self.password_file is not None
        if has_token and (self.username is not None or has_password):
            raise ValueError("ntfy: use either an access token or username/password, not both")
        if has_password and self.username is None:
            raise ValueError("ntfy: a password needs a username")
        return self


def _truncate_utf8(text: str, limit_bytes: int) -> str:
    data = text.encode()
    if len(data) <= limit_bytes:
        return text
    return data[: limit_bytes - 3].decode("utf-8", errors="ignore") + "…"


class NtfyNotifier(Notifier):
    TYPE = "ntfy"
    Config = NtfyConfig

    def __init__(
        self,
        *,
        name: str,
        session: aiohttp.ClientSession,
        server_url: str,
        topic: str,
        authorization: str | None = None,
        extra_tags: tuple[str, ...] = (),
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__(name=name)
        self._session = session
        self._server_url = server_url.rstrip("/") + "/"
        self._topic = topic
        self._authorization = authorization
        self._extra_tags = extra_tags
        self._timeout_s = timeout_s

    @classmethod
    def from_config(cls, cfg: NotifierConfigBase, *, session: aiohttp.ClientSession) -> NtfyNotifier:
        assert isinstance(cfg, NtfyConfig)
        authorization = None
        token = read_optional_secret(cfg.token, cfg.token_file, what=f"notifier {cfg.name}: ntfy token")
        if token is not None:
            authorization = f"Bearer {token}"
        elif cfg.username is not None:
            password = read_secret(cfg.password, cfg.password_file, what=f"notifier {cfg.name}: ntfy password")
            credentials = base64.b64encode(f"{cfg.username}:{password}".encode()).decode()
            authorization = f"Basic {credentials}"
        return cls(
            name=cfg.name,
            session=session,
            server_url=str(cfg.server_url),
            topic=cfg.topic,
            authorization=authorization,
            extra_tags=cfg.extra_tags,
            timeout_s=cfg.timeout_s,
        )

    @property
    def target(self) -> str:
        return f"{urlsplit(self._server_url).netloc}/{mask(self._topic)}"

    def build_message(self, n: Notification) -> dict[str, Any]:
        """The JSON body for one notification (public so the docs and tests can show it)."""
        tags = [_KIND_TAGS[n.kind]]
        if n.is_test:
            tags.append("TEST")
        tags += [*self._extra_tags, *n.tags]
        message: dict[str, Any] = {
            "topic": self._topic,
            "title": n.title,
            "message": _truncate_utf8(n.body, MESSAGE_LIMIT_BYTES),
            "priority": PRIORITY_BY_URGENCY[n.urgency],
            "tags": list(dict.fromkeys(tags)),  # ordered, without duplicates
        }
        if n.evidence_url:
            message["click"] = n.evidence_url
            message["attach"] = n.evidence_url
            # The phone shows `filename` on the attachment; an evidence URL may end in an opaque token.
            url_name = PurePosixPath(urlsplit(n.evidence_url).path).name
            filename = n.attachment_path.name if n.attachment_path else url_name
            if PurePosixPath(filename).suffix:
                message["filename"] = filename
        if n.ack_url and n.kind in (NotificationKind.TRIGGER, NotificationKind.REMINDER, NotificationKind.TEST):
            # `clear` removes the notification once the POST succeeded: the tap itself is the confirmation.
            # X-Monitord-By tells the ack endpoint who tapped (this notifier instance, e.g. "mum_phone").
            message["actions"] = [
                {
                    "action": "http",
                    "label": "Acknowledge",
                    "url": n.ack_url,
                    "method": "POST",
                    "headers": {ACK_BY_HEADER: f"ntfy:{self.name}"},
                    "clear": True,
                }
            ]
        return message

    async def send(self, n: Notification) -> DeliveryReceipt:
        what = f"ntfy {self.name}"
        headers = {"Content-Type": "application/json"}
        if self._authorization:
            headers["Authorization"] = self._authorization
        response = await http_request(
            self._session,
            "POST",
            self._server_url,
            what=what,
            timeout_s=self._timeout_s,
            json=self.build_message(n),
            headers=headers,
        )
        if response.status != 200:
            raise error_for_status(what, response, _ntfy_error(response))
        answer = response.json_object()
        if answer is None or "id" not in answer:
            raise NotifierError(f"{what}: HTTP 200 but no message id in the answer", retryable=True)
        log.debug("ntfy published", notifier=self.name, message_id=answer["id"], incident_id=n.incident_id)
        return DeliveryReceipt(notifier=self.name, target=self.target, remote_id=str(answer["id"]))


def _ntfy_error(response: HttpResponse) -> str:
    answer = response.json_object()
    if answer and "error" in answer:
        return f"{answer['error']} (code {answer.get('code')})"
    return response.text_excerpt() or "no details"
