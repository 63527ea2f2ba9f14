"""The notifier contract: what the escalation engine hands to a channel, and what it gets back.

A notifier speaks ONE real API (ntfy, Pushover, PagerDuty Events v2, Apprise, a webhook, the console) and makes
ONE attempt per call. Timeouts between attempts, retries with jittered backoff, rate-limit waits and fallback
targets belong to the engine's delivery layer: a notifier only classifies its failure (`NotifierError.retryable`,
`retry_after_s`) so that layer can decide. That keeps each channel file small and the retry policy in one place.

Texts are written by the engine (which alarm, where, when first/last heard, how many times, how sure, what to do,
whom to call — see ../shared/domain.md); a notifier only maps them onto its API's fields.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field, SecretStr

from monitord.alarms import AlarmKind
from monitord.configbase import ConfigModel
from monitord.errors import ConfigError

if TYPE_CHECKING:
    import aiohttp


class Urgency(StrEnum):
    """How hard a notification should try to wake someone."""

    CRITICAL = "critical"
    """Bypass do-not-disturb where the channel allows it; repeat until acknowledged (Pushover priority 2,
    ntfy priority 5 "urgent", PagerDuty severity "critical")."""

    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class NotificationKind(StrEnum):
    """Why this notification is sent (channels with incident semantics, like PagerDuty, map these to actions)."""

    TRIGGER = "trigger"
    """An incident opened (or escalated to a new step)."""

    REMINDER = "reminder"
    """The same incident is still unacknowledged (or a non-critical daily reminder)."""

    ACKNOWLEDGED = "acknowledged"
    """Somebody is on it: tell the others so they can stand down."""

    RESOLVED = "resolved"
    """The incident is over (episode ended, refill logged, resolved by hand)."""

    INFO = "info"
    """About the monitor itself, e.g. "the monitor cannot hear" (microphone silent or missing)."""

    TEST = "test"
    """`monitord test-alert`: a clearly marked drill through the configured chain."""


@dataclass(frozen=True, slots=True)
class Notification:
    """One message for one channel. Built by the escalation engine; notifiers never invent text."""

    incident_id: str
    dedup_key: str
    """Stable for the whole incident (the PagerDuty `dedup_key`; also used as a ntfy/Pushover grouping hint)."""
    kind: NotificationKind
    urgency: Urgency
    alarm: AlarmKind | None
    """None for notifications that are not about a pump alarm (monitor health, tests without an alarm)."""
    title: str
    body: str
    """The full caregiver text, already written by the engine."""
    is_test: bool = False
    ack_url: str | None = None
    """An HTTPS link that acknowledges the incident (ntfy action button, Pushover supplementary URL)."""
    evidence_url: str | None = None
    """Where the audio evidence (clip, spectrogram) can be opened, if it is served somewhere."""
    attachment_path: Path | None = None
    """A WAV clip of the sounding, for channels that can attach files (Apprise, ntfy without evidence_url)."""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """What a successful send returns: enough to follow up (acknowledge, resolve, poll, cancel)."""

    notifier: str
    """The notifier instance name from config."""
    target: str
    """A human description of where it went, never containing a secret (topic URL, masked user key, ...)."""
    remote_id: str | None
    """The channel's own id: Pushover receipt, ntfy message id, PagerDuty dedup_key; None if there is none."""


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """A channel told us that a person acknowledged (e.g. a Pushover emergency receipt)."""

    acknowledged_by: str
    """Who: the channel's user (Pushover user key masked, or the device name when it gives one)."""
    acknowledged_at: datetime
    """When, timezone-aware UTC."""
    channel: str
    """Through what, as used in `monitord.events.Acknowledged.channel` (e.g. "pushover")."""


class NotifierError(Exception):
    """One attempt failed. `retryable` tells the delivery layer whether another attempt can help.

    Never retryable: the request itself is wrong (bad key, invalid field) — repeating it only burns rate limit.
    Retryable: rate limiting (429), server errors (5xx), timeouts and network errors.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after_s: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        """Seconds the server asked us to wait (Retry-After, rate-limit reset), if it said so."""
        self.status = status
        """The HTTP status, when there was a response."""

    def __str__(self) -> str:
        kind = "retryable" if self.retryable else "permanent"
        wait = f", retry after {self.retry_after_s:g} s" if self.retry_after_s is not None else ""
        return f"{self.message} ({kind}{wait})"


class NotifierConfigBase(ConfigModel):
    """Fields every `[[notifiers]]` entry has. Each notifier's model adds `type: Literal["..."]` (the discriminator)
    and its own fields; secrets come either inline or from a `*_file` path (systemd credentials, docker secrets)."""

    type: str
    name: str = Field(
        min_length=1,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="instance name used in escalation policies and logs, e.g. 'mum_phone' or 'oncall'",
    )
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="per-request timeout (seconds)")


def read_optional_secret(value: SecretStr | None, path: Path | None, *, what: str) -> str | None:
    """The secret given inline or in a file (first line, stripped), or None. Raises ConfigError if unreadable."""
    if value is not None and path is not None:
        raise ConfigError(f"{what}: give the secret inline or as a file, not both")
    if value is not None:
        return value.get_secret_value()
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read secret file {path}: {exc.strerror}") from exc
    if not text:
        raise ConfigError(f"{what}: secret file {path} is empty")
    return text.splitlines()[0].strip()


def read_secret(value: SecretStr | None, path: Path | None, *, what: str) -> str:
    """Like read_optional_secret(), but the secret is required."""
    secret = read_optional_secret(value, path, what=what)
    if secret is None:
        raise ConfigError(f"{what}: a secret is required (inline or as a *_file path)")
    return secret


class Notifier(ABC):
    """One configured channel instance. Subclasses set TYPE and Config and implement send() and from_config()."""

    TYPE: ClassVar[str]
    """The `type` string of its `[[notifiers]]` entry ("ntfy", "pushover", ...)."""
    Config: ClassVar[type[NotifierConfigBase]]
    """Its pydantic config model."""
    supports_ack_polling: ClassVar[bool] = False
    """True if `poll_acknowledgement()` can learn of an acknowledgement made on the channel itself."""

    def __init__(self, *, name: str) -> None:
        self.name = name

    @classmethod
    @abstractmethod
    def from_config(cls, cfg: NotifierConfigBase, *, session: aiohttp.ClientSession) -> Notifier:
        """Build from its config entry. Reads secret files now, so a missing one fails at startup."""

    @abstractmethod
    async def send(self, n: Notification) -> DeliveryReceipt:
        """Deliver once. Raises NotifierError (classified) on failure."""

    async def acknowledge(self, n: Notification, receipt: DeliveryReceipt | None) -> None:  # noqa: B027
        """Tell the channel the incident is acknowledged (PagerDuty). Default: nothing to do."""

    async def resolve(self, n: Notification, receipt: DeliveryReceipt | None) -> None:  # noqa: B027
        """Tell the channel the incident is over (PagerDuty resolve, Pushover cancel). Default: nothing to do."""

    async def poll_acknowledgement(self, receipt: DeliveryReceipt) -> Acknowledgement | None:
        """Ask the channel whether someone acknowledged (Pushover receipts). None: not (yet) or not supported."""
        return None

    async def aclose(self) -> None:  # noqa: B027
        """Release what the notifier owns (the shared aiohttp session belongs to the caller)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
