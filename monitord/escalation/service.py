"""The escalation engine: episodes in, incidents out, phones buzzing until a human acknowledges.

`EscalationService` is an async context manager (aiomqtt style) owning one TaskGroup of named tasks:

- `escalation.consume`            reads the bus (its own large subscriber queue; never blocks detection);
- `escalation.incident.<id>`      one per open incident: runs the policy steps from the persisted step index and
                                  deadline (so a restart neither repeats a page nor restarts a 3-minute wait);
- `escalation.deliver.<notifier>` one per notifier (monitord.escalation.delivery): a slow channel delays nobody;
- `escalation.ack_poll`           polls Pushover-style receipts while an incident is unacknowledged;
- `escalation.health.<mic>`       "the monitor cannot hear" timers.

The same engine runs in-process in the daemon (events from the in-process bus) and as `monitord escalate` (events
from MQTT, published onto a local bus). Acknowledgements arrive as `Acknowledged`/`Snoozed`/`RefillLogged` events
(the MQTT command topic), through the HTTP endpoint (monitord.escalation.ack_server), from Pushover receipts, or
by calling `acknowledge()`/`resolve()`/`snooze()` directly. Every transition is published as `IncidentChanged`.
"""

from __future__ import annotations

import asyncio
import functools
import random
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import structlog

from monitord.alarms import AlarmKind
from monitord.bus import EventBus, Subscription
from monitord.calendar import RefillCalendar, explain_non_critical
from monitord.clock import Clock
from monitord.errors import UserError
from monitord.escalation.ack_server import AckServer, TokenInfo
from monitord.escalation.config import (
    EscalationConfig,
    EscalationPolicy,
    NotifyStep,
    PageStep,
    RepeatStep,
    WaitStep,
)
from monitord.escalation.delivery import DeliveryJob, DeliveryOutcome, Dispatcher, FollowUp
from monitord.escalation.incidents import Incident, IncidentStore
from monitord.escalation.messages import (
    render_calendar,
    render_channel_failure,
    render_health,
    render_incident,
    render_silent_node,
    render_startup_problems,
)
from monitord.events import (
    Acknowledged,
    AlarmHeard,
    CalendarReminder,
    EpisodeConfirmed,
    EpisodeEnded,
    EpisodeOngoing,
    EpisodePhase,
    EpisodeStarted,
    Event,
    IncidentChanged,
    IncidentState,
    MonitorHealth,
    NotificationFailed,
    RefillCalendarState,
    RefillLogged,
    Snoozed,
)
from monitord.notifiers.base import Notification, NotificationKind, Notifier, Urgency
from monitord.tasks import cancel_and_wait

if TYPE_CHECKING:
    import aiohttp

log = structlog.get_logger(__name__)

WAKE_CHECK_S = 60.0
"""Longest single sleep before re-reading the wall clock (see `_sleep_until`)."""

BUS_QUEUE_SIZE = 10_000
"""The escalation subscriber's queue: large, because dropping an episode event here could lose a page."""


def _task_name() -> str:
    task = asyncio.current_task()
    return task.get_name() if task is not None else "?"


@dataclass
class _HealthWatch:
    down_since: datetime
    last_event: MonitorHealth
    alerted: bool = False
    task: asyncio.Task[None] | None = None


class EscalationService:
    """Turns episodes into incidents and escalates them. See the module docstring."""

    def __init__(
        self,
        *,
        config: EscalationConfig,
        bus: EventBus,
        clock: Clock,
        state_dir: Path,
        node_id: str,
        notifiers: list[Notifier] | None = None,
        session: aiohttp.ClientSession | None = None,
        rand: Callable[[float, float], float] = random.uniform,
    ) -> None:
        """`notifiers=None` builds them from `config.notifiers` (with `session`, or one the service owns); the
        console notifier is always added. `rand` is the backoff jitter source (tests pin it)."""
        self.config = config
        self._bus = bus
        self._clock = clock
        self._state_dir = state_dir
        self.node_id = node_id
        self._given_notifiers = notifiers
        self._session = session
        self._own_session: aiohttp.ClientSession | None = None
        self._rand = rand
        self.notifiers: dict[str, Notifier] = {}
        self._store: IncidentStore | None = None
        self._sub: Subscription | None = None
        self._dispatcher: Dispatcher | None = None
        self._ack_server: AckServer | None = None
        self._runner: asyncio.Task[None] | None = None
        self._tg: asyncio.TaskGroup | None = None
        self._ready = asyncio.Event()
        self._open: dict[str, Incident] = {}
        self._escalations: dict[str, asyncio.Task[None]] = {}
        self._health: dict[tuple[str, str], _HealthWatch] = {}
        self._last_failure_report: dict[str, float] = {}
        self._last_seen: dict[str, datetime] = {}
        self._latest_clip: dict[tuple[AlarmKind, bool], tuple[str, datetime]] = {}
        """Per (alarm, is_test): the newest sounding's clip — it arrives before the episode opens the incident."""
        self.startup_problems: list[tuple[str, str]] = []
        """Optional parts that could not start (a channel's secret file, the ack endpoint's port)."""
        self._silent_nodes: set[str] = set()
        self._calendar: RefillCalendar | None = None
        """The pump's dates, from the newest RefillCalendarState event (none until the daemon publishes one)."""

    # --- lifecycle ------------------------------------------------------------------------------------------------

    async def __aenter__(self) -> EscalationService:
        self._store = IncidentStore(self._state_dir)
        try:
            self.notifiers = await self._build_notifiers()
            self._dispatcher = Dispatcher(
                notifiers=self.notifiers, config=self.config.delivery, clock=self._clock,
                on_result=self._on_delivery_result, on_struggling=self._on_delivery_struggling, rand=self._rand,
            )
            if self.config.ack_server.enabled:
                ack_server = AckServer(
                    config=self.config.ack_server, lookup=self._lookup_token, on_action=self._on_http_action,
                    now=self._clock.now,
                )
                try:
                    await ack_server.start()
                    self._ack_server = ack_server
                except UserError as exc:
                    # Optional: without it the phones still buzz (no Acknowledge button). Refusing to start would
                    # leave no monitoring at all, so say it loudly and go on.
                    self.startup_problems.append(("ack_server", f"acknowledgement endpoint: {exc.message}"))
            self._sub = self._bus.subscribe("escalation", maxsize=BUS_QUEUE_SIZE)
            self._runner = asyncio.create_task(self._run(), name="escalation")
            ready = asyncio.create_task(self._ready.wait())
            await asyncio.wait({ready, self._runner}, return_when=asyncio.FIRST_COMPLETED)
            ready.cancel()
            if self._runner.done():
                self._runner.result()  # startup failed: raise it here
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        # The caller's own cancellation (or the runner's crash) propagates, but only after everything below is
        # released: the ack endpoint's port, the notifiers' HTTP sessions, the incident store.
        try:
            await cancel_and_wait(self._runner)
        finally:
            self._runner = None
            if self._sub is not None:
                self._sub.close()
                self._sub = None
            if self._ack_server is not None:
                await self._ack_server.stop()
            for notifier in self.notifiers.values():
                try:
                    await notifier.aclose()
                except Exception:
                    log.exception("closing notifier failed", notifier=notifier.name)
            if self._own_session is not None:
                await self._own_session.close()
                self._own_session = None
            if self._store is not None:
                self._store.close()
                self._store = None

    async def _build_notifiers(self) -> dict[str, Notifier]:
        from monitord.notifiers import build_notifier
        from monitord.notifiers.console import ConsoleNotifier

        built: list[Notifier]
        if self._given_notifiers is not None:
            built = list(self._given_notifiers)
        else:
            session = self._session
            if session is None and any(c.type != "console" for c in self.config.notifiers):
                import aiohttp

                self._own_session = session = aiohttp.ClientSession()
            built = []
            for cfg in self.config.notifiers:
                try:
                    built.append(build_notifier(cfg, session=session))  # type: ignore[arg-type]
                except UserError as exc:
                    # One channel's unreadable secret must not silence the others: run without it, report it
                    # (sends to it fail visibly and go to its fallback).
                    self.startup_problems.append((cfg.name, f"notifier {cfg.name}: {exc.message}"))
        if not any(n.name == "console" for n in built):
            # Always on: even with every network channel down, the alert is in the journal.
            built.insert(0, ConsoleNotifier(name="console"))
        return {n.name: n for n in built}

    @property
    def store(self) -> IncidentStore:
        if self._store is None:
            raise RuntimeError("EscalationService used outside `async with`")
        return self._store

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            raise RuntimeError("EscalationService used outside `async with`")
        return self._dispatcher

    @property
    def ack_base_url(self) -> str | None:
        return self._ack_server.base_url if self._ack_server else None

    async def _run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            self._tg = tg
            for name in self.notifiers:
                tg.create_task(self._supervise(functools.partial(self.dispatcher.run_worker, name)),
                               name=f"escalation.deliver.{name}")
            self._resume()
            tg.create_task(self._supervise(self._consume), name="escalation.consume")
            self._report_startup_problems()
            tg.create_task(self._supervise(self._poll_acknowledgements), name="escalation.ack_poll")
            if self.config.monitor_health.enabled and self.config.monitor_health.silent_node_after_s:
                tg.create_task(self._supervise(self._watch_silent_nodes), name="escalation.watchdog")
            self._ready.set()

    def _report_startup_problems(self) -> None:
        for part, problem in self.startup_problems:
            log.error("escalation started without a part", part=part, problem=problem)
            self._bus.publish(NotificationFailed(
                node_id=self.node_id, time=self._clock.now(), notifier=part, target="startup", error=problem,
            ))
        if self.startup_problems:
            n = render_startup_problems([p for _, p in self.startup_problems], at=self._clock.now(),
                                        contacts=self.config.contacts, tz=self.config.tz)
            for name in self._targets(["caregivers"]):
                self.dispatcher.submit(name, n)

    def _resume(self) -> None:
        """After a restart: open incidents continue from their persisted step; pending deliveries are re-sent."""
        now = self._clock.now()
        self.store.prune(now=now)
        for incident in self.store.open_incidents():
            self._open[incident.id] = incident
            self._start_escalation(incident)
            log.info("incident resumed", incident=incident.id, alarm=incident.alarm.value, state=incident.state.value,
                     step=incident.step_index, next_due_at=incident.next_due_at)
        for delivery in self.store.pending_deliveries():
            found = self._open.get(delivery.incident_id) or self.store.get(delivery.incident_id)
            if found is None:
                self.store.finish_delivery(delivery.id, ok=False, error="incident unknown")
                continue
            incident = found
            if not incident.is_open and delivery.kind in (NotificationKind.TRIGGER, NotificationKind.REMINDER):
                self.store.finish_delivery(delivery.id, ok=False, error="superseded: incident resolved")
                continue
            log.info("re-sending delivery interrupted by restart", incident=incident.id, notifier=delivery.notifier)
            n = self._render(incident, delivery.kind, delivery.urgency)
            self.dispatcher.submit(
                delivery.notifier, n, delivery_id=delivery.id, is_fallback=delivery.is_fallback
            )
        for incident_id, receipt, pending in self.store.pending_receipt_actions():
            known = self._open.get(incident_id) or self.store.get(incident_id)
            if known is None or receipt.notifier not in self.notifiers:
                self.store.set_receipt_action(incident_id, receipt, None)
                continue
            log.info("re-sending follow-up interrupted by restart", incident=incident_id, notifier=receipt.notifier,
                     action=pending)
            acknowledging = pending == "acknowledge"
            kind = NotificationKind.ACKNOWLEDGED if acknowledging else NotificationKind.RESOLVED
            follow_up: FollowUp = "acknowledge" if acknowledging else "resolve"
            self.dispatcher.submit(receipt.notifier, self._render(known, kind, Urgency.NORMAL), action=follow_up,
                                   receipt=receipt)

    async def _supervise(self, loop_body: Callable[[], Awaitable[None]]) -> None:
        """Run a long-lived loop; if a bug or a disk error ends it, log and restart it (jittered, capped backoff)
        instead of letting the TaskGroup cancel every other escalation task."""
        attempt = 0
        while True:
            try:
                await loop_body()
                return
            except Exception:
                delay_s = self._rand(0.0, min(30.0, 1.5**attempt))
                log.exception("escalation task failed; restarting", task=_task_name(), retry_in_s=round(delay_s, 2))
                attempt += 1
                await self._clock.sleep(delay_s)

    def _spawn(self, body: Callable[[], Coroutine[Any, Any, None]], name: str) -> asyncio.Task[None]:
        """A one-shot child task running `body()`; its failure is logged, never propagated to the TaskGroup.
        (A factory, not a coroutine: a task cancelled before it starts then leaves no un-awaited coroutine.)"""
        if self._tg is None:
            raise RuntimeError("EscalationService is not running")
        return self._tg.create_task(self._guarded(body), name=name)

    @staticmethod
    async def _guarded(body: Callable[[], Coroutine[Any, Any, None]]) -> None:
        try:
            await body()
        except Exception:
            log.exception("escalation task failed", task=_task_name())

    # --- public API --------------------------------------------------------------------------------------------

    def idle(self) -> bool:
        """Nothing to do right now: every bus event handled, no delivery queued or in flight."""
        d = self.dispatcher
        return (
            (self._sub is None or self._sub.queue.empty())
            and all(d.queued(n) == 0 and d.in_flight[n] is None for n in d.notifiers)
        )

    async def wait_idle(self, *, timeout_s: float) -> bool:
        """Wait (real time) until `idle()` holds on several consecutive checks; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        calm = 0
        while calm < 3:
            if loop.time() > deadline:
                return False
            calm = calm + 1 if self.idle() else 0
            await asyncio.sleep(0.02)
        return True

    def open_incidents(self) -> list[Incident]:
        return [i.model_copy(deep=True) for i in self._open.values()]

    async def handle(self, event: Event) -> None:
        """Process one event (what the consumer task does for each bus event)."""
        if isinstance(event, IncidentChanged | NotificationFailed):
            return  # our own output
        if event.node_id != self.node_id:
            self._saw_node(event.node_id)
        once_only = (EpisodeStarted | EpisodeConfirmed | EpisodeOngoing | EpisodeEnded | Acknowledged | Snoozed
                     | RefillLogged)
        if isinstance(event, once_only) and not self.store.mark_seen(event.id, at=self._clock.now()):
            log.debug("event already processed", event_id=event.id, type=event.type)
            return
        if isinstance(event, EpisodeStarted | EpisodeConfirmed | EpisodeOngoing):
            self._on_episode(event)
        elif isinstance(event, EpisodeEnded):
            self._on_episode_ended(event)
        elif isinstance(event, AlarmHeard):
            self._on_alarm_heard(event)
        elif isinstance(event, Acknowledged):
            self._on_acknowledged(event)
        elif isinstance(event, Snoozed):
            for incident in self._find(alarm=AlarmKind.NON_CRITICAL, is_test=event.is_test):
                self.snooze(incident.id, until=event.until, by=event.by, channel=event.channel)
        elif isinstance(event, RefillLogged):
            for incident in self._find(alarm=AlarmKind.NON_CRITICAL, is_test=event.is_test):
                self.resolve(incident.id, by=event.by, channel=event.channel,
                             reason=f"refill logged ({event.refilled_on.isoformat()})")
        elif isinstance(event, MonitorHealth):
            self._on_health(event)
        elif isinstance(event, CalendarReminder):
            self._on_calendar(event)
        elif isinstance(event, RefillCalendarState):
            # Kept to explain an hourly beep ("reservoir low" near the alarm date, "replacement due" near ERI).
            self._calendar = RefillCalendar(reservoir_alarm_date=event.reservoir_alarm_date,
                                            replacement_date=event.replacement_date)

    def acknowledge(self, incident_id: str, *, by: str, channel: str) -> bool:
        """Acknowledge an open incident. False if it is not open or already acknowledged."""
        incident = self._open.get(incident_id)
        if incident is None or incident.state is not IncidentState.TRIGGERED:
            return False
        now = self._clock.now()
        incident.state = IncidentState.ACKNOWLEDGED
        incident.acknowledged_at, incident.acknowledged_by, incident.acknowledged_channel = now, by, channel
        self.store.save(incident)
        log.info("incident acknowledged", incident=incident.id, by=by, channel=channel)
        self._publish_change(incident, IncidentState.TRIGGERED, by=by, channel=channel, reason="acknowledged")
        # Let the other consumers (MQTT, the episode tracker) know too; our own consumer ignores the echo.
        self._bus.publish(Acknowledged(
            node_id=self.node_id, time=now, is_test=incident.is_test, alarm=incident.alarm,
            incident_id=incident.id, by=by, channel=channel,
        ))
        self._follow_up(incident, NotificationKind.ACKNOWLEDGED, "acknowledge")
        if incident.all_episodes_ended:
            self.resolve(incident.id, by=None, channel=None, reason="the alarm had stopped and was acknowledged")
        else:
            self._start_escalation(incident)  # re-evaluate: remaining steps may stop at acknowledgement
        return True

    def resolve(self, incident_id: str, *, by: str | None, channel: str | None, reason: str) -> bool:
        incident = self._open.pop(incident_id, None)
        if incident is None:
            return False
        previous = incident.state
        incident.state = IncidentState.RESOLVED
        incident.resolved_at = self._clock.now()
        incident.resolved_by, incident.resolved_channel, incident.resolved_reason = by, channel, reason
        self.store.save(incident)
        self._cancel_escalation(incident.id)
        log.info("incident resolved", incident=incident.id, by=by, channel=channel, reason=reason)
        self._publish_change(incident, previous, by=by, channel=channel, reason=reason)
        self._follow_up(incident, NotificationKind.RESOLVED, "resolve")
        return True

    def snooze(self, incident_id: str, *, until: datetime, by: str, channel: str) -> bool:
        """Hold reminders of a non-critical incident until `until` (also acknowledges it). Never for critical."""
        incident = self._open.get(incident_id)
        if incident is None or incident.alarm is AlarmKind.CRITICAL:
            return False
        incident.snoozed_until = until
        self.store.save(incident)
        log.info("incident snoozed", incident=incident.id, until=until, by=by, channel=channel)
        if not self.acknowledge(incident_id, by=by, channel=channel):
            self._publish_change(incident, incident.state, by=by, channel=channel,
                                 reason=f"snoozed until {until.isoformat()}")
            self._start_escalation(incident)
        return True

    # --- episodes -> incidents ---------------------------------------------------------------------------------

    def _find(self, *, alarm: AlarmKind | None = None, is_test: bool | None = None) -> list[Incident]:
        return [
            i for i in self._open.values()
            if (alarm is None or i.alarm is alarm) and (is_test is None or i.is_test == is_test)
        ]

    def _on_episode(self, event: EpisodeStarted | EpisodeConfirmed | EpisodeOngoing) -> None:
        policy = self.config.policy(event.alarm)
        existing = self._find(alarm=event.alarm, is_test=event.is_test)
        if existing:
            incident = existing[0]
            incident.apply_episode(event)
            self.store.save(incident)
            return
        # A further sounding with no open incident (e.g. someone resolved it while the pump kept sounding) opens
        # one again by the same rule as the episode's own phase: the alarm is evidently still there.
        if event.phase is EpisodePhase.STARTED and policy.open_on == "confirmed":
            log.info("episode started; incident opens once confirmed", alarm=event.alarm.value,
                     microphone=event.microphone)
            return
        incident = Incident.new(event.alarm, at=self._clock.now(), is_test=event.is_test)
        incident.apply_episode(event)
        clip = self._latest_clip.get((event.alarm, event.is_test))
        if clip is not None and clip[1] >= event.first_heard - timedelta(minutes=1):
            incident.clip_path = clip[0]
        self._open[incident.id] = incident
        self.store.save(incident)
        log.info("incident opened", incident=incident.id, alarm=incident.alarm.value, microphone=event.microphone,
                 test=incident.is_test)
        self._publish_change(incident, None, reason=f"{event.type} on {event.microphone}")
        self._start_escalation(incident)

    def _on_episode_ended(self, event: EpisodeEnded) -> None:
        key = f"{event.node_id}/{event.episode_id}"
        for incident in self._find(alarm=event.alarm, is_test=event.is_test):
            if key not in incident.episodes:
                continue
            incident.apply_episode(event)
            self.store.save(incident)
            if not incident.all_episodes_ended:
                return
            policy = self.config.policy(incident.alarm)
            if incident.state is IncidentState.ACKNOWLEDGED or policy.resolve_unacknowledged_when_episode_ends:
                self.resolve(incident.id, by=None, channel=None, reason=f"the alarm stopped ({event.reason.value})")
            else:
                log.warning("alarm no longer heard but nobody acknowledged: escalation continues",
                            incident=incident.id, alarm=incident.alarm.value)
            return

    def _on_alarm_heard(self, event: AlarmHeard) -> None:
        if event.clip_path is None:
            return
        self._latest_clip[(event.alarm, event.is_test)] = (event.clip_path, event.ended_at)
        for incident in self._find(alarm=event.alarm, is_test=event.is_test):
            incident.clip_path = event.clip_path
            self.store.save(incident)

    def _on_acknowledged(self, event: Acknowledged) -> None:
        if event.incident_id is not None:
            targets = [self._open[event.incident_id]] if event.incident_id in self._open else []
        elif event.episode_id is not None:
            targets = [
                i for i in self._open.values()
                if any(e.episode_id == event.episode_id for e in i.episodes.values())
            ]
        else:
            targets = self._find(alarm=event.alarm, is_test=event.is_test)
        for incident in targets:
            self.acknowledge(incident.id, by=event.by, channel=event.channel)

    # --- escalation ----------------------------------------------------------------------------------------------

    def _start_escalation(self, incident: Incident) -> None:
        self._cancel_escalation(incident.id)
        self._escalations[incident.id] = self._spawn(
            functools.partial(self._escalate, incident.id), name=f"escalation.incident.{incident.id}"
        )

    def _cancel_escalation(self, incident_id: str) -> None:
        task = self._escalations.pop(incident_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    @staticmethod
    def _still_applies(incident: Incident, stop_when: str) -> bool:
        if stop_when == "acknowledged":
            return incident.state is IncidentState.TRIGGERED
        return incident.is_open

    def _nothing_left(self, incident: Incident, policy: EscalationPolicy) -> bool:
        return not any(
            self._still_applies(incident, step.stop_when)
            for step in policy.steps[incident.step_index:]
            if not isinstance(step, WaitStep)
        )

    async def _sleep_until(self, when: datetime) -> None:
        """Sleep until the wall-clock time `when`, in chunks of at most WAKE_CHECK_S: a Raspberry Pi has no
        real-time clock, so after a reboot its clock may be hours behind until NTP corrects it — a deadline
        computed from that stale time once would be hours late."""
        while (delay_s := (when - self._clock.now()).total_seconds()) > 0:
            await self._clock.sleep(min(delay_s, WAKE_CHECK_S))

    def _hold_until(self, incident: Incident, policy: EscalationPolicy, now: datetime) -> datetime | None:
        """A later time the next send must wait for: snooze, or quiet hours (non-critical only)."""
        if incident.snoozed_until is not None and now < incident.snoozed_until:
            return incident.snoozed_until
        quiet = self.config.quiet_hours
        if policy.quiet_hours_apply and quiet is not None and quiet.contains(now, self.config.tz):
            return quiet.ends_after(now, self.config.tz)
        return None

    async def _escalate(self, incident_id: str) -> None:
        try:
            while True:
                try:
                    await self._escalate_steps(incident_id)
                    return
                except Exception:
                    # A bug or a full disk must neither end this incident's escalation silently nor take the
                    # other incidents down with the TaskGroup: log it and try again shortly.
                    log.exception("escalation step failed; retrying in 10 s", incident=incident_id)
                    await self._clock.sleep(10.0)
        finally:
            if self._escalations.get(incident_id) is asyncio.current_task():
                del self._escalations[incident_id]

    async def _escalate_steps(self, incident_id: str) -> None:
        while True:
            incident = self._open.get(incident_id)
            if incident is None:
                return
            policy = self.config.policy(incident.alarm)
            if incident.step_index >= len(policy.steps) or self._nothing_left(incident, policy):
                return
            step = policy.steps[incident.step_index]
            now = self._clock.now()
            if isinstance(step, WaitStep):
                if incident.next_due_at is None:
                    incident.next_due_at = now + timedelta(minutes=step.wait_min)
                    self.store.save(incident)
                await self._sleep_until(incident.next_due_at)
                incident.step_index += 1
                incident.next_due_at = None
                self.store.save(incident)
                continue
            if not self._still_applies(incident, step.stop_when):
                incident.step_index += 1
                incident.next_due_at = None
                self.store.save(incident)
                continue
            if isinstance(step, RepeatStep) and incident.next_due_at is None and not step.send_first:
                incident.next_due_at = now + timedelta(minutes=step.every_min)
                self.store.save(incident)
            if incident.next_due_at is not None and now < incident.next_due_at:
                await self._sleep_until(incident.next_due_at)
                continue
            hold = self._hold_until(incident, policy, now)
            if hold is not None:
                log.info("notification held", incident=incident.id, until=hold)
                incident.next_due_at = hold
                self.store.save(incident)
                await self._sleep_until(hold)
                continue
            self._send_step(incident, step, now)

    def _targets(self, targets: list[str]) -> list[str]:
        """Expanded notifier names, plus the console: always on, so every alert is in the journal too."""
        names = [n for n in self.config.expand(targets) if n in self.notifiers]
        return names if "console" in names else [*names, "console"]

    def _send_step(self, incident: Incident, step: NotifyStep | PageStep | RepeatStep, now: datetime) -> None:
        names = self._targets(step.targets)
        with self.store.transaction():
            jobs = []
            for name in names:
                kind = NotificationKind.REMINDER if name in incident.notified else NotificationKind.TRIGGER
                delivery = self.store.add_delivery(incident.id, name, kind, step.urgency, at=now)
                jobs.append((name, kind, delivery.id))
                if name not in incident.notified:
                    incident.notified.append(name)
            incident.escalation_level += 1
            if isinstance(step, RepeatStep):
                due = incident.next_due_at or now
                nxt = due + timedelta(minutes=step.every_min)
                incident.next_due_at = nxt if nxt > now else now + timedelta(minutes=step.every_min)
            else:
                incident.step_index += 1
                incident.next_due_at = None
            self.store.save(incident)
        log.info("escalation step", incident=incident.id, action=step.action, targets=names,
                 urgency=step.urgency.value, level=incident.escalation_level)
        for name, kind, delivery_id in jobs:
            self.dispatcher.submit(name, self._render(incident, kind, step.urgency), delivery_id=delivery_id)
        if incident.escalation_level > 1:
            self._publish_change(incident, incident.state, reason=f"{step.action}: {', '.join(names) or 'nobody'}")

    def _render(self, incident: Incident, kind: NotificationKind, urgency: Urgency) -> Notification:
        ack_url = evidence_url = None
        if self._ack_server is not None and incident.is_open:
            token = secrets.token_urlsafe(32)
            ttl = timedelta(minutes=self.config.ack_server.token_ttl_min)
            self.store.add_token(token, incident.id, expires_at=self._clock.now() + ttl)
            ack_url = self._ack_server.ack_url(token)
            if incident.clip_path:
                evidence_url = self._ack_server.evidence_url(token)
        if incident.clip_path and self.config.evidence_base_url:
            evidence_url = f"{self.config.evidence_base_url.rstrip('/')}/{Path(incident.clip_path).name}"
        likely_cause = None
        if incident.alarm is AlarmKind.NON_CRITICAL:
            likely_cause = explain_non_critical(self._calendar, self._clock.now().astimezone(self.config.tz).date())
        return render_incident(
            incident, kind, urgency, contacts=self.config.contacts, tz=self.config.tz, ack_url=ack_url,
            evidence_url=evidence_url, likely_cause=likely_cause,
        )

    def _follow_up(self, incident: Incident, kind: NotificationKind, action: str) -> None:
        """Tell the notified people (ACKNOWLEDGED/RESOLVED message) and the channels' incident APIs."""
        n = self._render(incident, kind, Urgency.NORMAL)
        receipts = self.store.receipts(incident.id)
        # The people who were told (not the local speaker: an all-clear should not sound in the room).
        people = {*self.config.caregivers, "console"} | (
            {self.config.primary_caregiver} if self.config.primary_caregiver else set()
        )
        now = self._clock.now()
        for name in incident.notified:
            if name not in self.notifiers:
                continue
            follow_up: FollowUp = "acknowledge" if action == "acknowledge" else "resolve"
            for receipt in (r for r in receipts if r.notifier == name):
                self.store.set_receipt_action(incident.id, receipt, follow_up)  # until the channel confirms it
                self.dispatcher.submit(name, n, action=follow_up, receipt=receipt)
            if name in people:
                delivery = self.store.add_delivery(incident.id, name, kind, Urgency.NORMAL, at=now)
                self.dispatcher.submit(name, n, delivery_id=delivery.id)

    def _publish_change(
        self, incident: Incident, previous: IncidentState | None, *, by: str | None = None,
        channel: str | None = None, reason: str = "",
    ) -> None:
        self._bus.publish(IncidentChanged(
            node_id=self.node_id, time=self._clock.now(), is_test=incident.is_test, incident_id=incident.id,
            alarm=incident.alarm, state=incident.state, previous_state=previous, step=incident.escalation_level,
            by=by, channel=channel, reason=reason,
        ))

    # --- delivery results ----------------------------------------------------------------------------------------

    def _on_delivery_result(self, outcome: DeliveryOutcome) -> None:
        job = outcome.job
        n = job.notification
        store = self._store
        if store is None:
            return
        if job.delivery_id is not None:
            store.finish_delivery(job.delivery_id, ok=outcome.ok, error=outcome.error)
        if job.receipt is not None and job.action != "send" and outcome.ok:
            store.set_receipt_action(n.incident_id, job.receipt, None)
        if outcome.receipt is not None:
            if job.action == "send" and n.kind in (NotificationKind.TRIGGER, NotificationKind.REMINDER,
                                                   NotificationKind.TEST):
                store.add_receipt(n.incident_id, outcome.receipt)
            return
        error = outcome.error or "failed"
        log.error("notification failed", notifier=job.notifier, incident=n.incident_id, action=job.action,
                  attempts=outcome.attempts, error=error)
        self._bus.publish(NotificationFailed(
            node_id=self.node_id, time=self._clock.now(), is_test=n.is_test, incident_id=n.incident_id,
            notifier=job.notifier, target=job.notifier, error=error,
        ))
        if job.action != "send":
            return
        fallback = self._fall_back(job, error)
        if n.kind is not NotificationKind.INFO:
            self._report_channel_failure(job.notifier, error, n.incident_id, exclude={fallback or ""})

    def _on_delivery_struggling(self, job: DeliveryJob, error: str) -> None:
        """A channel failed a few times and keeps retrying: a CRITICAL message goes to its fallback now."""
        if job.action == "send" and job.notification.urgency is Urgency.CRITICAL:
            self._fall_back(job, error)

    def _fall_back(self, job: DeliveryJob, error: str) -> str | None:
        """Send the job's message through its notifier's fallback channel (once). Returns the fallback's name."""
        fallback = self.config.delivery.fallbacks.get(job.notifier)
        if not fallback or job.is_fallback or fallback not in self.notifiers:
            return None
        if job.fell_back:
            return fallback
        job.fell_back = True
        n = job.notification
        log.warning("sending through fallback channel", notifier=job.notifier, fallback=fallback, error=error)
        delivery_id = None
        if job.delivery_id is not None:
            delivery_id = self.store.add_delivery(
                n.incident_id, fallback, n.kind, n.urgency, at=self._clock.now(), is_fallback=True
            ).id
        self.dispatcher.submit(fallback, n, delivery_id=delivery_id, is_fallback=True)
        return fallback

    def _report_channel_failure(self, notifier: str, error: str, incident_id: str, *, exclude: set[str]) -> None:
        """Tell the caregivers through their other channels that one channel is broken (throttled)."""
        interval_s = self.config.delivery.failure_report_interval_min * 60
        last = self._last_failure_report.get(notifier)
        now_m = self._clock.monotonic()
        if last is not None and now_m - last < interval_s:
            return
        self._last_failure_report[notifier] = now_m
        n = render_channel_failure(
            notifier=notifier, target=notifier, error=error, incident_id=incident_id, at=self._clock.now(),
            contacts=self.config.contacts, tz=self.config.tz,
        )
        for name in self._targets(["caregivers"]):
            if name != notifier and name not in exclude:
                self.dispatcher.submit(name, n)

    # --- acknowledgement paths -----------------------------------------------------------------------------------

    def _lookup_token(self, token: str) -> tuple[TokenInfo | None, datetime | None]:
        found = self.store.lookup_token(token)
        if found is None:
            return None, None
        incident_id, expires_at = found
        incident = self._open.get(incident_id) or self.store.get(incident_id)
        if incident is None:
            return None, None
        where = ", ".join(incident.microphones)
        title = f"{'TEST ' if incident.is_test else ''}{incident.alarm.display_name} — " \
                f"{self.config.contacts.patient_name} ({where})"
        clip = Path(incident.clip_path) if incident.clip_path else None
        return TokenInfo(
            incident_id=incident.id, title=title, state=incident.state.value,
            can_snooze=incident.alarm is AlarmKind.NON_CRITICAL and incident.is_open, clip_path=clip,
        ), expires_at

    async def _on_http_action(self, incident_id: str, action: str, by: str, channel: str, snooze_h: float) -> str:
        incident = self._open.get(incident_id)
        if incident is None:
            old = self.store.get(incident_id)
            who = f" by {old.resolved_by}" if old and old.resolved_by else ""
            return f"Already resolved{who}. Nothing to do."
        if action == "resolve":
            self.resolve(incident_id, by=by, channel=channel, reason="resolved from the phone link")
            return f"Resolved. Thank you, {by}."
        if action == "snooze":
            until = self._clock.now() + timedelta(hours=snooze_h)
            self.snooze(incident_id, until=until, by=by, channel=channel)
            return f"Reminders snoozed for {snooze_h:g} h. Please book the refill."
        if self.acknowledge(incident_id, by=by, channel=channel):
            return f"Acknowledged. Thank you, {by}: the others are told you are on it."
        return f"Already acknowledged by {incident.acknowledged_by} via {incident.acknowledged_channel}."

    async def _poll_acknowledgements(self) -> None:
        """Pushover emergency receipts: ask while an incident is unacknowledged (Pushover: at most every 5 s)."""
        pollers = {name for name, n in self.notifiers.items() if n.supports_ack_polling}
        if not pollers:
            return
        while True:
            await self._clock.sleep(self.config.ack_poll_interval_s)
            for incident in [i for i in self._open.values() if i.state is IncidentState.TRIGGERED]:
                for receipt in self.store.receipts(incident.id):
                    if receipt.notifier not in pollers or receipt.remote_id is None:
                        continue
                    try:
                        async with asyncio.timeout(self.config.delivery.attempt_timeout_s):
                            ack = await self.notifiers[receipt.notifier].poll_acknowledgement(receipt)
                    except Exception as exc:
                        log.warning("receipt poll failed", notifier=receipt.notifier, error=str(exc))
                        continue
                    if ack is not None:
                        self.acknowledge(incident.id, by=ack.acknowledged_by, channel=ack.channel)
                        break

    # --- the monitor cannot hear ---------------------------------------------------------------------------------

    def _on_health(self, event: MonitorHealth) -> None:
        cfg = self.config.monitor_health
        if not cfg.enabled:
            return
        key = (event.node_id, event.microphone)
        watch = self._health.get(key)
        if not event.can_hear:
            if watch is None:
                watch = self._health[key] = _HealthWatch(down_since=event.time, last_event=event)
                watch.task = self._spawn(
                    functools.partial(self._health_timer, key), name=f"escalation.health.{key[0]}.{key[1]}"
                )
            else:
                watch.last_event = event
            return
        if watch is None:
            return
        del self._health[key]
        if watch.task is not None:
            watch.task.cancel()
        if watch.alerted and cfg.notify_recovery:
            n = render_health(event, down_since=watch.down_since, recovered=True, urgency=cfg.urgency,
                              contacts=self.config.contacts, tz=self.config.tz)
            for name in self._targets(cfg.targets):
                self.dispatcher.submit(name, n)

    async def _health_timer(self, key: tuple[str, str]) -> None:
        cfg = self.config.monitor_health
        watch = self._health.get(key)
        if watch is None:
            return
        await self._sleep_until(watch.down_since + timedelta(seconds=cfg.cannot_hear_after_s))
        if self._health.get(key) is not watch:
            return
        watch.alerted = True
        log.warning("monitor cannot hear", node=key[0], microphone=key[1], status=watch.last_event.status.value)
        n = render_health(watch.last_event, down_since=watch.down_since, recovered=False, urgency=cfg.urgency,
                          contacts=self.config.contacts, tz=self.config.tz)
        for name in self._targets(cfg.targets):
            self.dispatcher.submit(name, n)

    # --- a monitor that went quiet altogether (Alertmanager's Watchdog) ------------------------------------------

    def _saw_node(self, node_id: str) -> None:
        self._last_seen[node_id] = self._clock.now()
        if node_id in self._silent_nodes:
            self._silent_nodes.discard(node_id)
            cfg = self.config.monitor_health
            log.info("monitor reporting again", node=node_id)
            if cfg.notify_recovery:
                n = render_silent_node(node_id=node_id, last_seen=self._last_seen[node_id], recovered=True,
                                       at=self._clock.now(), urgency=cfg.urgency, contacts=self.config.contacts,
                                       tz=self.config.tz)
                for name in self._targets(cfg.targets):
                    self.dispatcher.submit(name, n)

    async def _watch_silent_nodes(self) -> None:
        cfg = self.config.monitor_health
        assert cfg.silent_node_after_s is not None
        limit = timedelta(seconds=cfg.silent_node_after_s)
        while True:
            await self._clock.sleep(min(60.0, cfg.silent_node_after_s / 4))
            now = self._clock.now()
            for node_id, last_seen in self._last_seen.items():
                if node_id in self._silent_nodes or now - last_seen < limit:
                    continue
                self._silent_nodes.add(node_id)
                log.warning("monitor silent", node=node_id, last_seen=last_seen)
                n = render_silent_node(node_id=node_id, last_seen=last_seen, recovered=False, at=now,
                                       urgency=cfg.urgency, contacts=self.config.contacts, tz=self.config.tz)
                for name in self._targets(cfg.targets):
                    self.dispatcher.submit(name, n)

    # --- refill / replacement calendar ---------------------------------------------------------------------------

    def _on_calendar(self, event: CalendarReminder) -> None:
        cfg = self.config.calendar_reminders
        if not cfg.enabled:
            return
        self._spawn(functools.partial(self._send_calendar, event), name=f"escalation.calendar.{event.id}")

    async def _send_calendar(self, event: CalendarReminder) -> None:
        cfg = self.config.calendar_reminders
        quiet = self.config.quiet_hours
        now = self._clock.now()
        if cfg.quiet_hours_apply and quiet is not None and quiet.contains(now, self.config.tz):
            await self._sleep_until(quiet.ends_after(now, self.config.tz))
        n = render_calendar(event, urgency=cfg.urgency, contacts=self.config.contacts)
        for name in self._targets(cfg.targets):
            self.dispatcher.submit(name, n)

    async def _consume(self) -> None:
        assert self._sub is not None
        async for event in self._sub:
            try:
                await self.handle(event)
            except Exception:
                log.exception("escalation could not process an event", type=event.type, event_id=event.id)
