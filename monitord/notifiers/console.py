"""Console/log notifier: always on, so even with every network channel down the alert is on record.

Writes one structlog event (JSON under systemd, so `journalctl -u monitord` keeps it) plus a clearly framed human
block on stderr (or stdout) that a person watching a terminal cannot miss. It never fails for network reasons.

Config:
    [[notifiers]]
    type = "console"
    name = "console"
    stream = "stderr"   # or "stdout"
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal, TextIO

import structlog
from pydantic import Field

from monitord.notifiers.base import (
    DeliveryReceipt,
    Notification,
    Notifier,
    NotifierConfigBase,
    NotifierError,
    Urgency,
)

if TYPE_CHECKING:
    import aiohttp

log = structlog.get_logger(__name__)


class ConsoleConfig(NotifierConfigBase):
    type: Literal["console"] = "console"
    name: str = Field(default="console", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", description="instance name")
    stream: Literal["stderr", "stdout"] = Field(default="stderr", description="where the human block goes")


def render_block(n: Notification) -> str:
    """The human-readable block: urgency and kind up front, then title, body and links."""
    test = "TEST — " if n.is_test else ""
    bar = "!" if n.urgency is Urgency.CRITICAL else "="
    head = f" {test}{n.urgency.upper()} · {n.kind.value} · incident {n.incident_id} "
    lines = [head.center(78, bar), n.title, "", n.body]
    if n.ack_url:
        lines += ["", f"Acknowledge: {n.ack_url}"]
    if n.evidence_url:
        lines.append(f"Evidence: {n.evidence_url}")
    if n.attachment_path:
        lines.append(f"Audio clip: {n.attachment_path}")
    lines.append(bar * 78)
    return "\n".join(lines) + "\n"


class ConsoleNotifier(Notifier):
    TYPE = "console"
    Config = ConsoleConfig

    def __init__(self, *, name: str = "console", stream: TextIO | None = None) -> None:
        super().__init__(name=name)
        self._stream = stream

    @classmethod
    def from_config(cls, cfg: NotifierConfigBase, *, session: aiohttp.ClientSession | None = None) -> ConsoleNotifier:
        assert isinstance(cfg, ConsoleConfig)
        return cls(name=cfg.name, stream=sys.stdout if cfg.stream == "stdout" else None)

    async def send(self, n: Notification) -> DeliveryReceipt:
        stream = self._stream or sys.stderr  # looked up late so a redirected sys.stderr (tests, daemons) is used
        log.warning(
            "notification",
            notifier=self.name,
            incident_id=n.incident_id,
            kind=n.kind.value,
            urgency=n.urgency.value,
            alarm=n.alarm.value if n.alarm else None,
            title=n.title,
            is_test=n.is_test,
        )
        try:
            stream.write(render_block(n))
            stream.flush()
        except (OSError, ValueError) as exc:  # closed or broken pipe: say so, the log line above already went out
            raise NotifierError(f"console: cannot write: {exc}", retryable=False) from exc
        return DeliveryReceipt(notifier=self.name, target=self._target(), remote_id=None)

    def _target(self) -> str:
        return "stdout" if self._stream is sys.stdout else "stderr"
