"""Apprise: the long tail of channels (Telegram, Signal, e-mail, SMS gateways, Matrix, …) from Apprise URLs.

Apprise (github.com/caronc/apprise) turns a URL like `tgram://<bot_token>/<chat_id>`, `signal://…`,
`mailtos://…` or `json://host/path` into a notification. Its `notify()` is synchronous and blocking, so it runs
in a worker thread under Apprise's own call deadline (`timeout=`) plus an asyncio deadline a little longer: the
event loop (and so detection) never waits on it. Each Apprise notifier has its own two worker threads instead of
asyncio's shared default pool, so a hanging SMTP server cannot starve other channels or other thread users.
Apprise reports only success/failure, not why, so every failure is treated as retryable (Telegram and most
gateways fail on network or rate limits); malformed URLs are rejected at startup instead.

All URLs of one entry are sent together and succeed or fail together: a retry re-sends to all of them. Give a
channel that must be retried or fall back on its own its own `[[escalation.notifiers]]` entry.

Urgency → Apprise NotifyType: CRITICAL "failure", HIGH "warning", NORMAL/LOW "info"; ACKNOWLEDGED and RESOLVED
notifications are "success". The WAV clip is attached when the notification has one and the file exists
(channels that cannot take attachments ignore it); a missing clip never stops the text.

Config:
    [[notifiers]]
    type = "apprise"
    name = "telegram_family"
    urls_file = "/etc/monitord/apprise_urls"   # one URL per line (they hold tokens); or urls = ["tgram://..."]
    timeout_s = 30
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import structlog
from pydantic import Field, SecretStr, model_validator

from monitord.errors import ConfigError
from monitord.notifiers.base import (
    DeliveryReceipt,
    Notification,
    NotificationKind,
    Notifier,
    NotifierConfigBase,
    NotifierError,
    Urgency,
)

if TYPE_CHECKING:
    import aiohttp
    import apprise

log = structlog.get_logger(__name__)

_WORKER_THREADS = 2
"""Per notifier: one send plus one retry may overlap; more would only queue behind a hung server anyway."""

_DEADLINE_SLACK_S = 5.0
"""Extra time the asyncio deadline allows beyond Apprise's own, so Apprise normally reports its own timeout."""


class AppriseConfig(NotifierConfigBase):
    type: Literal["apprise"] = "apprise"
    urls: tuple[SecretStr, ...] = Field(default=(), description="Apprise URLs (they contain tokens)")
    urls_file: Path | None = Field(default=None, description="file with one Apprise URL per line (# comments ok)")
    timeout_s: float = Field(default=30.0, gt=0, le=300, description="deadline for one send (seconds)")
    attach_clip: bool = Field(default=True, description="attach the WAV clip when there is one")

    @model_validator(mode="after")
    def _some_urls(self) -> AppriseConfig:
        if not self.urls and self.urls_file is None:
            raise ValueError("apprise: give `urls` or `urls_file`")
        return self


def notify_type_for(n: Notification) -> apprise.NotifyType:
    import apprise

    if n.kind in (NotificationKind.ACKNOWLEDGED, NotificationKind.RESOLVED):
        return apprise.NotifyType.SUCCESS
    if n.urgency is Urgency.CRITICAL:
        return apprise.NotifyType.FAILURE
    if n.urgency is Urgency.HIGH:
        return apprise.NotifyType.WARNING
    return apprise.NotifyType.INFO


def _read_urls(cfg: AppriseConfig) -> list[str]:
    urls = [u.get_secret_value() for u in cfg.urls]
    if cfg.urls_file is not None:
        try:
            text = cfg.urls_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"notifier {cfg.name}: cannot read {cfg.urls_file}: {exc.strerror}") from exc
        urls += [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not urls:
        raise ConfigError(f"notifier {cfg.name}: no Apprise URLs given")
    return urls


class AppriseNotifier(Notifier):
    TYPE = "apprise"
    Config = AppriseConfig

    def __init__(self, *, name: str, urls: list[str], timeout_s: float = 30.0, attach_clip: bool = True) -> None:
        import apprise  # imported when used: loading it costs ~0.3 s, and config parsing must stay light

        super().__init__(name=name)
        self._apprise = apprise.Apprise()
        for number, url in enumerate(urls, start=1):
            if not self._apprise.add(url):
                scheme = url.split("://", 1)[0] if "://" in url else "?"
                raise ConfigError(
                    f"notifier {name}: Apprise URL #{number} (scheme {scheme}://) is not valid",
                    hint="check it with `apprise -vv --dry-run '<url>'`; see github.com/caronc/apprise/wiki",
                )
        self._timeout_s = timeout_s
        self._attach_clip = attach_clip
        self._executor = ThreadPoolExecutor(max_workers=_WORKER_THREADS, thread_name_prefix=f"apprise-{name}")
        # Apprise's privacy=True URLs hide tokens and passwords: safe for logs and receipts.
        self._target = ", ".join(str(service.url(privacy=True)) for service in self._apprise)  # type: ignore[no-untyped-call]

    @classmethod
    def from_config(cls, cfg: NotifierConfigBase, *, session: aiohttp.ClientSession | None = None) -> AppriseNotifier:
        assert isinstance(cfg, AppriseConfig)
        return cls(name=cfg.name, urls=_read_urls(cfg), timeout_s=cfg.timeout_s, attach_clip=cfg.attach_clip)

    @property
    def target(self) -> str:
        return self._target

    def _attachment(self, n: Notification) -> Any:
        if not (self._attach_clip and n.attachment_path):
            return None
        if not n.attachment_path.is_file():
            log.warning("audio clip missing, sending without it", notifier=self.name, clip=str(n.attachment_path))
            return None
        import apprise

        attachment = apprise.AppriseAttachment()
        attachment.add(str(n.attachment_path))
        return attachment

    async def send(self, n: Notification) -> DeliveryReceipt:
        what = f"apprise {self.name}"
        notify = functools.partial(
            self._apprise.notify,
            body=n.body,
            title=n.title,
            notify_type=notify_type_for(n),
            attach=self._attachment(n),
            timeout=self._timeout_s,
        )
        call = asyncio.get_running_loop().run_in_executor(self._executor, notify)
        try:
            result = await asyncio.wait_for(call, self._timeout_s + _DEADLINE_SLACK_S)
        except TimeoutError as exc:
            # The worker thread finishes on its own (Apprise's sockets have their own timeouts); we stop waiting.
            raise NotifierError(f"{what}: no result within {self._timeout_s:g} s", retryable=True) from exc
        if not result:
            status = getattr(getattr(result, "status", None), "name", "FAILURE")
            raise NotifierError(f"{what}: Apprise reported {status} for {self._target}", retryable=True)
        return DeliveryReceipt(notifier=self.name, target=self._target, remote_id=None)

    async def aclose(self) -> None:
        # Do not wait for a hung send: its thread ends when Apprise's own socket timeouts fire.
        self._executor.shutdown(wait=False, cancel_futures=True)
