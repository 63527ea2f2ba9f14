"""Delivery you can trust: one worker task per notifier, timeouts, jittered capped retries, rate limits.

Each notifier has its own queue and its own worker task, so a channel that hangs or fails (a dead ntfy server, an
exhausted Pushover quota) never delays the others: the phone that works buzzes on time. Within one channel the
queue is ordered by urgency, so a CRITICAL message overtakes waiting reminders; nothing is ever dropped for rate
limiting — a message waits for its slot instead (ntfy, Pushover and Telegram all throttle bursts).

One attempt = one `Notifier.send()` under `attempt_timeout_s`. A retryable failure (timeout, network, 429, 5xx)
waits `retry_after_s` when the server said so, else `random.uniform(0, min(cap, base * 1.5 ** attempt))`, and tries
again up to `max_attempts` (`max_attempts_critical` for CRITICAL). A permanent failure (bad key, 4xx) stops at once.
The outcome goes to `on_result` (the engine marks the outbox, publishes NotificationFailed, and sends the message
through the fallback channel) and to the future `submit()` returned.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import structlog

from monitord.clock import Clock
from monitord.escalation.config import DeliveryConfig
from monitord.notifiers.base import DeliveryReceipt, Notification, Notifier, NotifierError, Urgency

log = structlog.get_logger(__name__)

FollowUp = Literal["send", "acknowledge", "resolve"]

_URGENCY_RANK = {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2, Urgency.LOW: 3}


@dataclass
class DeliveryJob:
    notifier: str
    notification: Notification
    delivery_id: int | None = None
    """The outbox row (None for messages not tied to the outbox, e.g. test-alert)."""
    is_fallback: bool = False
    fell_back: bool = False
    """The fallback channel already got this message (while this one kept retrying)."""
    action: FollowUp = "send"
    """"send" a message, or tell the channel the incident was acknowledged/resolved (PagerDuty, Pushover)."""
    receipt: DeliveryReceipt | None = None
    """For acknowledge/resolve: the receipt of the earlier send."""
    future: asyncio.Future[DeliveryOutcome] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    job: DeliveryJob
    receipt: DeliveryReceipt | None
    error: str | None
    attempts: int

    @property
    def ok(self) -> bool:
        return self.receipt is not None


def backoff_s(attempt: int, *, base_s: float, cap_s: float, rand: Callable[[float, float], float]) -> float:
    """The project's jittered capped backoff (GUIDE.md): uniform(0, min(cap, base * 1.5 ** attempt))."""
    return rand(0.0, min(cap_s, base_s * 1.5**attempt))


class Dispatcher:
    """Owns one queue per notifier; `run_worker(name)` is the task body the service starts for each."""

    def __init__(
        self,
        *,
        notifiers: dict[str, Notifier],
        config: DeliveryConfig,
        clock: Clock,
        on_result: Callable[[DeliveryOutcome], None] | None = None,
        on_struggling: Callable[[DeliveryJob, str], None] | None = None,
        rand: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.notifiers = notifiers
        self._config = config
        self._clock = clock
        self._on_result = on_result
        self._on_struggling = on_struggling
        self._rand = rand
        self._seq = itertools.count()
        self._queues: dict[str, asyncio.PriorityQueue[tuple[int, int, DeliveryJob]]] = {
            name: asyncio.PriorityQueue() for name in notifiers
        }
        self._next_send_at: dict[str, float] = dict.fromkeys(notifiers, 0.0)
        self.in_flight: dict[str, DeliveryJob | None] = dict.fromkeys(notifiers)
        self.waiting_s: dict[str, float | None] = dict.fromkeys(notifiers)
        """Per notifier: how long it is waiting before its next attempt (rate limit or backoff), else None."""

    def submit(
        self,
        notifier: str,
        notification: Notification,
        *,
        delivery_id: int | None = None,
        is_fallback: bool = False,
        action: FollowUp = "send",
        receipt: DeliveryReceipt | None = None,
    ) -> asyncio.Future[DeliveryOutcome]:
        """Queue one message for one notifier. Never blocks; the future resolves when it was sent or gave up."""
        job = DeliveryJob(
            notifier, notification, delivery_id=delivery_id, is_fallback=is_fallback, action=action, receipt=receipt
        )
        queue = self._queues.get(notifier)
        if queue is None:
            # Config validation makes this unreachable for policies; a stale outbox row after a config change can
            # still name a notifier that is gone — fail it visibly instead of losing it.
            self._finish(DeliveryOutcome(job, None, f"no notifier named {notifier!r} is configured", 0))
        else:
            queue.put_nowait((_URGENCY_RANK[notification.urgency], next(self._seq), job))
        return job.future

    def queued(self, notifier: str) -> int:
        return self._queues[notifier].qsize()

    async def run_worker(self, name: str) -> None:
        queue = self._queues[name]
        while True:
            _, _, job = await queue.get()
            self.in_flight[name] = job
            try:
                outcome = await self._deliver(job)
            except asyncio.CancelledError:
                if not job.future.done():
                    job.future.cancel()
                raise
            finally:
                self.in_flight[name] = None
            self._finish(outcome)

    def _finish(self, outcome: DeliveryOutcome) -> None:
        if self._on_result is not None:
            try:
                self._on_result(outcome)
            except Exception:
                log.exception("delivery result handler failed", notifier=outcome.job.notifier)
        if not outcome.job.future.done():
            outcome.job.future.set_result(outcome)

    async def _deliver(self, job: DeliveryJob) -> DeliveryOutcome:
        notifier = self.notifiers[job.notifier]
        n = job.notification
        cfg = self._config
        max_attempts = cfg.max_attempts_critical if n.urgency is Urgency.CRITICAL else cfg.max_attempts
        interval_s = cfg.min_send_interval_s_by_notifier.get(job.notifier, cfg.min_send_interval_s)
        error = "not attempted"
        for attempt in range(max_attempts):
            wait_s = self._next_send_at[job.notifier] - self._clock.monotonic()
            if wait_s > 0:
                await self._wait(job.notifier, wait_s)  # rate limit: wait for the slot, never drop
            self._next_send_at[job.notifier] = self._clock.monotonic() + interval_s
            retry_after_s: float | None = None
            try:
                async with asyncio.timeout(cfg.attempt_timeout_s):
                    receipt = await self._attempt(notifier, job)
            except NotifierError as exc:
                error, retryable, retry_after_s = str(exc), exc.retryable, exc.retry_after_s
            except TimeoutError:
                error, retryable = f"no answer within {cfg.attempt_timeout_s:g} s", True
            except Exception as exc:  # a bug in a notifier must not take the engine down
                log.exception("notifier raised an unexpected error", notifier=job.notifier)
                error, retryable = f"{type(exc).__name__}: {exc}", False
            else:
                log.info(
                    "notification sent", action=job.action, notifier=job.notifier, incident=n.incident_id,
                    kind=n.kind.value, urgency=n.urgency.value, attempts=attempt + 1, target=receipt.target,
                )
                return DeliveryOutcome(job, receipt, None, attempt + 1)
            if retry_after_s is not None and retry_after_s > cfg.max_retry_after_s:
                # A quota that resets in days is not a wait: fail now so the fallback carries the message.
                error = f"{error}; the server asks to wait {retry_after_s:.0f} s (> {cfg.max_retry_after_s:g} s)"
                retryable = False
            last = attempt + 1 >= max_attempts or not retryable
            log.warning(
                "notification attempt failed", notifier=job.notifier, incident=n.incident_id, attempt=attempt + 1,
                error=error, retryable=retryable, giving_up=last,
            )
            if last:
                return DeliveryOutcome(job, None, error, attempt + 1)
            if attempt + 1 == cfg.fallback_after_attempts and self._on_struggling is not None:
                try:
                    self._on_struggling(job, error)
                except Exception:
                    log.exception("delivery struggle handler failed", notifier=job.notifier)
            if retry_after_s is not None:
                # The server told us when (429 Retry-After, rate-limit reset): the whole channel waits for it.
                delay_s = retry_after_s + self._rand(0.0, cfg.backoff_base_s)
                self._next_send_at[job.notifier] = self._clock.monotonic() + delay_s
            else:
                await self._wait(
                    job.notifier,
                    backoff_s(attempt, base_s=cfg.backoff_base_s, cap_s=cfg.backoff_cap_s, rand=self._rand),
                )
        return DeliveryOutcome(job, None, error, max_attempts)

    async def _wait(self, notifier: str, seconds: float) -> None:
        self.waiting_s[notifier] = seconds
        try:
            await self._clock.sleep(seconds)
        finally:
            self.waiting_s[notifier] = None

    @staticmethod
    async def _attempt(notifier: Notifier, job: DeliveryJob) -> DeliveryReceipt:
        if job.action == "send":
            return await notifier.send(job.notification)
        if job.action == "acknowledge":
            await notifier.acknowledge(job.notification, job.receipt)
        else:
            await notifier.resolve(job.notification, job.receipt)
        return job.receipt or DeliveryReceipt(notifier=notifier.name, target=job.action, remote_id=None)
