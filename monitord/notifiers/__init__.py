"""Notification channels, one file each, registered here in ONE line each (rtl_433's device list).

`NotifierConfig` is the discriminated union (on `type`) of every registered notifier's config model: the
escalation config uses it for its `[[notifiers]]` entries. `build_notifier()` turns one entry into a Notifier.
Add a channel: write `monitord/notifiers/<name>.py` (a Notifier subclass with TYPE and Config), add it below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from monitord.notifiers.apprise_notifier import AppriseNotifier
from monitord.notifiers.base import (
    Acknowledgement,
    DeliveryReceipt,
    Notification,
    NotificationKind,
    Notifier,
    NotifierConfigBase,
    NotifierError,
    Urgency,
)
from monitord.notifiers.console import ConsoleNotifier
from monitord.notifiers.ntfy import NtfyNotifier
from monitord.notifiers.pagerduty import PagerDutyNotifier
from monitord.notifiers.pushover import PushoverNotifier
from monitord.notifiers.speaker import SpeakerNotifier
from monitord.notifiers.webhook import WebhookNotifier

if TYPE_CHECKING:
    import aiohttp

NOTIFIERS: dict[str, type[Notifier]] = {
    cls.TYPE: cls
    for cls in (
        ConsoleNotifier,
        NtfyNotifier,
        PushoverNotifier,
        PagerDutyNotifier,
        AppriseNotifier,
        WebhookNotifier,
        SpeakerNotifier,
    )
}

if TYPE_CHECKING:
    # mypy cannot follow a union built at runtime; code that only passes configs along needs the base type.
    NotifierConfig = NotifierConfigBase
else:
    NotifierConfig = Annotated[
        Union[tuple(cls.Config for cls in NOTIFIERS.values())],  # noqa: UP007 - built from the registry
        Field(discriminator="type"),
    ]


def build_notifier(cfg: NotifierConfigBase, *, session: aiohttp.ClientSession) -> Notifier:
    """The notifier for one `[[notifiers]]` entry (secret files are read now: a missing one fails at startup)."""
    return NOTIFIERS[cfg.type].from_config(cfg, session=session)


__all__ = [
    "NOTIFIERS",
    "Acknowledgement",
    "DeliveryReceipt",
    "Notification",
    "NotificationKind",
    "Notifier",
    "NotifierConfig",
    "NotifierConfigBase",
    "NotifierError",
    "Urgency",
    "build_notifier",
]
