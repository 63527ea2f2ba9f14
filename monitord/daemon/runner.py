"""`monitord run`: one asyncio process wiring audio → pipeline → episodes → bus → sinks, supervised.

    audio source (microphone | file | stdin)
      → Hearing (pipeline, AlarmHeard) → bus → EpisodeService → bus
      → sinks: console (always), status file, calendar; MQTT and escalation when configured
    supervision: systemd READY/STATUS/WATCHDOG, dead-man heartbeat

Components that own tasks are async context managers entered on one AsyncExitStack; the daemon's own loops run in
one TaskGroup. Shutdown (SIGTERM/SIGINT, or the end of a replayed file): stop the audio, flush the pipeline, let
every sink drain its queue (bounded by `drain_timeout_s`), then cancel; a second signal skips the drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from monitord.bus import EventBus
from monitord.clock import Clock, SystemClock
from monitord.config import MonitordConfig
from monitord.daemon.calendar_service import CalendarService
from monitord.daemon.clocks import ScaledClock, StreamClock
from monitord.daemon.console import ConsoleSink
from monitord.daemon.health import SupervisedMicrophone
from monitord.daemon.hearing import Hearing
from monitord.daemon.heartbeat import Heartbeat
from monitord.daemon.signals import ShutdownRequest, capture_signals
from monitord.daemon.status import STATUS_FILE, StatusBoard
from monitord.daemon.systemd import SystemdNotifier
from monitord.episodes import EpisodeService, EpisodeTracker
from monitord.errors import ConfigError, ExitCode, UserError
from monitord.events import HealthStatus, MonitorHealth
from monitord.profiles import Profile, load_profile
from monitord.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

# The status file is rewritten this often when nothing changed (the counters and `written_at` move on), and within
# 0.5 s of a change. `monitord status` calls a file older than STALE_AFTER_S (60 s) stale: 15 s leaves it three
# missed writes of slack, and an SD card is rewritten a third as often as at 5 s (each write, a pure-Python
# JSON encoding and an atomic rename, cost about as much CPU as analysing half a second of audio).
STATUS_WRITE_EVERY_S = 15.0


@dataclass(frozen=True)
class RunOptions:
    input: str | None = None  # None: the live microphone; a path or "-" (raw PCM on stdin) replays audio
    input_rate_hz: int | None = None
    input_format: str | None = None
    speed: float = 1.0  # replay pace: 1 = real time, N = N× faster, 0 = as fast as possible
    json_events: bool = False
    drain_timeout_s: float = 10.0
    linger_s: float = 0.0  # replayed input: keep running this long (domain time) after it ends (demo: escalation)
    sounddevice: Any = None  # tests only: a fake sounddevice module


def load_run_profile(config: MonitordConfig) -> Profile:
    try:
        return load_profile(config.monitor.profile)
    except UserError as exc:
        if config.monitor.profile is None:
            raise
        raise ConfigError(f"monitor.profile: {exc.message}", hint=exc.hint) from None


def domain_clock(options: RunOptions) -> Clock:
    if options.input is None or options.speed == 1.0:
        return SystemClock()
    if options.speed == 0:
        return StreamClock()
    return ScaledClock(options.speed)


class Daemon:
    def __init__(self, *, config: MonitordConfig, options: RunOptions, notifier: SystemdNotifier | None = None,
                 bus: EventBus | None = None) -> None:
        self.config = config
        self.options = options
        self.clock = domain_clock(options)
        self.bus = bus or EventBus()
        self.notifier = notifier or SystemdNotifier()
        self.shutdown = ShutdownRequest()
        self.microphone: SupervisedMicrophone | None = None
        self.hearing: Hearing | None = None
        self.heartbeat: Heartbeat | None = None
        self.status: StatusBoard | None = None
        self.selftest_failure: str | None = None  # sticky until a later self-test passes
        self.exit_code = ExitCode.OK

    # --- health as the outside world sees it ------------------------------------------------------------------

    def audio_flowing(self) -> bool:
        """Blocks arrived recently (real time). Replayed input that has ended counts as done, not flowing."""
        if self.hearing is None or self.hearing.stats.last_block_monotonic is None:
            return False
        return time.monotonic() - self.hearing.stats.last_block_monotonic < max(
            5.0, 2 * self.config.health.stall_after_s)

    def recovering(self) -> bool:
        """The microphone is known to be faulty AND its reopen loop is demonstrably alive (attempted recently).

        systemd would otherwise restart us every WatchdogSec while a USB microphone is unplugged, and each restart
        would reset the "cannot hear" timer of the escalation: the caregivers might never be told.
        """
        mic = self.microphone
        if mic is None or mic.last_attempt_monotonic is None:
            return False
        return time.monotonic() - mic.last_attempt_monotonic < 3 * self.config.health.reopen_cap_s

    def can_hear(self) -> tuple[bool, str]:
        if self.selftest_failure is not None:
            return False, self.selftest_failure
        if self.microphone is not None:
            tracker = self.microphone.tracker
            if not tracker.can_hear:
                return False, f"cannot hear ({tracker.status.value}): {tracker.detail}"
        if not self.audio_flowing():
            return False, "no audio is arriving"
        return True, f"hearing in the {self.config.monitor.microphone}"

    def status_line(self) -> str:
        ok, reason = self.can_hear()
        stats = self.hearing.stats if self.hearing else None
        parts = [reason if not ok else f"listening in the {self.config.monitor.microphone}"]
        if stats:
            for alarm, at in sorted(stats.last_heard.items()):
                parts.append(f"last {alarm} {at.astimezone().strftime('%Y-%m-%d %H:%M')}")
        if self.microphone and (self.microphone.dropped or self.microphone.overruns):
            parts.append(f"{self.microphone.dropped} blocks dropped, {self.microphone.overruns} overruns")
        return " · ".join(parts)

    def counters(self) -> dict[str, Any]:
        stats = self.hearing.stats if self.hearing else None
        mic = self.microphone
        return {
            "blocks": stats.blocks if stats else 0,
            "audio_s": round(stats.samples / 16000, 1) if stats else 0,
            "detections": dict(stats.detections) if stats else {},
            "dropped_blocks": mic.dropped if mic else 0,
            "overruns": mic.overruns if mic else 0,
            "reopens": mic.reopens if mic else 0,
            "bus_published": self.bus.published,
            "audio_flowing": self.audio_flowing(),
            "heartbeat_ok": self.heartbeat.pings_ok if self.heartbeat else None,
        }

    # --- the run ------------------------------------------------------------------------------------------------

    async def run(self) -> int:
        config = self.config
        node_id, microphone = config.monitor.node_id, config.monitor.microphone
        profile = load_run_profile(config)
        state_dir = config.monitor.state_dir
        _ensure_writable(state_dir)

        calendar = CalendarService(config=config.calendar, state_dir=state_dir, bus=self.bus, clock=self.clock,
                                   node_id=node_id)
        # The console explains a non-critical beep with the calendar's dates (reservoir low / replacement due).
        console = ConsoleSink(subscription=self.bus.subscribe("console", maxsize=10_000),
                              json_lines=self.options.json_events, calendar=lambda: calendar.calendar,
                              today=calendar.today)
        source_name = "microphone" if self.options.input is None else f"replay of {self.options.input}"
        self.status = StatusBoard(subscription=self.bus.subscribe("status", maxsize=10_000),
                                  path=state_dir / STATUS_FILE, node_id=node_id, microphone=microphone,
                                  source=source_name, counters=self.counters)

        blocks, rate_hz = self._audio_source()
        self.hearing = Hearing(blocks=blocks, profile=profile, bus=self.bus, clock=self.clock, node_id=node_id,
                               microphone=microphone, rate_hz=rate_hz, real_monotonic=time.monotonic)
        if not profile.verified:
            log.warning("using an UNVERIFIED profile: enroll your pump for reliable detection", profile=profile.name)

        with capture_signals(self.shutdown):
            async with contextlib.AsyncExitStack() as stack:
                stack.callback(calendar.close)
                await stack.enter_async_context(
                    EpisodeService(tracker=EpisodeTracker(node_id=node_id, microphone=microphone,
                                                          settings=config.episodes),
                                   bus=self.bus, clock=self.clock))
                if config.escalation is not None:
                    from monitord.escalation.service import EscalationService

                    await stack.enter_async_context(EscalationService(
                        config=config.escalation, bus=self.bus, clock=self.clock, state_dir=state_dir,
                        node_id=node_id))
                if config.mqtt is not None:
                    from monitord.mqtt.service import MqttService

                    await stack.enter_async_context(MqttService(
                        config=config.mqtt, bus=self.bus, node_id=node_id, state_dir=state_dir, clock=self.clock,
                        microphone=microphone))
                if config.heartbeat.url is not None:
                    self.heartbeat = await stack.enter_async_context(
                        Heartbeat(config=config.heartbeat, probe=self.can_hear, clock=SystemClock(),
                                  first_ping_within_s=2 * config.health.stall_after_s + 1))
                await self._run_tasks(console, calendar)
        return int(self.exit_code)

    def _audio_source(self) -> tuple[Any, int]:
        config, options = self.config, self.options
        if options.input is None:
            self.microphone = SupervisedMicrophone(
                audio=config.audio, health=config.health, clock=self.clock, node_id=config.monitor.node_id,
                microphone=config.monitor.microphone, on_health=self._on_health, sd=options.sounddevice)
            from monitord.audio import INTERNAL_RATE_HZ

            return self.microphone.blocks(), INTERNAL_RATE_HZ
        from monitord.daemon.sources import ReplaySource

        block_s = 1.0 if options.speed == 0 else config.audio.block_s
        replay = ReplaySource(options.input, clock=self.clock, block_s=block_s, rate_hz=options.input_rate_hz,
                              sample_format=options.input_format)
        return replay.blocks(), replay.rate_hz

    def _on_health(self, event: MonitorHealth) -> None:
        if self.selftest_failure is not None and event.can_hear:
            # The microphone delivers audio, but today's test tone was not heard: it still cannot hear the room.
            event = event.model_copy(update={"status": HealthStatus.SELFTEST_FAILED, "detail": self.selftest_failure})
        self.bus.publish(event)
        if self.heartbeat is not None:
            self.heartbeat.health_changed()
        self.notifier.status(self.status_line())  # `systemctl status` shows a change at once, not 30 s later

    def _on_selftest(self, passed: bool, detail: str) -> None:
        was_failing = self.selftest_failure is not None
        self.selftest_failure = None if passed else detail
        if passed and not was_failing:
            return  # nothing changed; the microphone health already says OK
        level = self.microphone.tracker.level_dbfs if self.microphone else None
        self._on_health(MonitorHealth(
            node_id=self.config.monitor.node_id, time=self.clock.now(), microphone=self.config.monitor.microphone,
            status=HealthStatus.OK if passed else HealthStatus.SELFTEST_FAILED, input_level_dbfs=level,
            detail=detail))

    async def _run_tasks(self, console: ConsoleSink, calendar: CalendarService) -> None:
        assert self.hearing is not None
        assert self.status is not None
        status = self.status
        async with asyncio.TaskGroup() as group:
            hearing = group.create_task(self._hear(), name="daemon.hearing")
            helpers = [
                group.create_task(console.run(), name="daemon.console"),
                group.create_task(status.run(), name="daemon.status"),
                group.create_task(self._write_status_loop(), name="daemon.status_writer"),
                group.create_task(calendar.run_schedule(), name="daemon.calendar"),
                group.create_task(calendar.run_refills(), name="daemon.refills"),
                group.create_task(self._systemd_loop(), name="daemon.systemd"),
            ]
            if self.config.selftest.enabled and self.options.input is None:
                from monitord.daemon.selftest import SelfTest

                selftest = SelfTest(config=self.config.selftest, taps=self.hearing.taps, clock=SystemClock(),
                                    rate_hz=16000, on_result=self._on_selftest, sd=self.options.sounddevice)
                helpers.append(group.create_task(selftest.run(), name="daemon.selftest"))
            if self.options.input is not None:
                self.bus.publish(MonitorHealth(node_id=self.config.monitor.node_id, time=self.clock.now(),
                                               status=HealthStatus.OK, microphone=self.config.monitor.microphone,
                                               detail=f"replaying {self.options.input}"))
            status.set_state("running")
            self.notifier.ready(self.status_line())
            log.info("monitord running", node_id=self.config.monitor.node_id, source=status.data["source"],
                     profile=self.hearing._profile.name, state_dir=str(self.config.monitor.state_dir))

            await _first_of(hearing, self.shutdown.requested.wait())
            if hearing.done() and self.options.linger_s > 0 and not self.shutdown.requested.is_set():
                linger = group.create_task(self._linger(), name="daemon.linger")
                try:
                    await _first_of(linger, self.shutdown.requested.wait())
                finally:
                    await cancel_and_wait(linger)  # a signal ends the lingering too (the task group would wait)
            status.set_state("stopping")
            self.notifier.stopping("draining")
            try:
                await cancel_and_wait(hearing)  # Hearing flushes the pipeline on the way out
            finally:
                await self._drain()  # what was heard reaches escalation and MQTT, even if we are cancelled meanwhile
            for task in helpers:
                task.cancel()
        console.drain()
        status.set_state("stopped")
        status.write()
        log.info("monitord stopped", reason=self.shutdown.signal_name or "end of input")

    async def _linger(self) -> None:
        """After a replayed recording ends, let time run on so escalation steps (page after 3 min, repeats) show."""
        log.info("input ended; lingering", linger_s=self.options.linger_s)
        if isinstance(self.clock, StreamClock):
            for _ in range(int(self.options.linger_s)):  # no audio drives this clock any more: drive it here
                await self.clock.advance(1.0)
        else:
            await self.clock.sleep(self.options.linger_s)

    async def _hear(self) -> None:
        """The audio path; its failure ends the run (systemd restarts us) but still drains what was heard."""
        assert self.hearing is not None
        try:
            await self.hearing.run()
        except UserError as exc:  # e.g. a replayed file that turns out to be corrupt half-way
            log.error("audio input failed", error=exc.message)
            self.exit_code = exc.exit_code
        except Exception:
            log.exception("the audio path failed: this is a bug in monitord")
            self.exit_code = ExitCode.SOFTWARE

    async def _drain(self) -> None:
        """Let every subscriber empty its queue, up to drain_timeout_s; a second signal cuts it short."""
        deadline = time.monotonic() + self.options.drain_timeout_s
        quiet_rounds = 0
        while time.monotonic() < deadline and not self.shutdown.forced.is_set():
            if self.bus.backlog() == 0:
                quiet_rounds += 1
                if quiet_rounds >= 3:  # empty three times in a row: consumers finished what they took
                    return
            else:
                quiet_rounds = 0
            await asyncio.sleep(0.02)
        if self.shutdown.forced.is_set():
            self.exit_code = ExitCode.FAILURE
        else:
            log.warning("drain timed out; stopping with events still queued", backlog=self.bus.backlog())

    async def _write_status_loop(self) -> None:
        assert self.status is not None
        last = 0.0
        while True:
            now = time.monotonic()
            if now - last >= STATUS_WRITE_EVERY_S or (self.status.dirty and now - last >= 0.5):
                self.status.write()
                last = now
            await asyncio.sleep(0.5)

    async def _systemd_loop(self) -> None:
        """STATUS every status_every_s; WATCHDOG only while audio really flows (or recovery demonstrably runs)."""
        interval = self.notifier.watchdog_interval_s
        tick_s = min(interval / 2 if interval else 5.0, self.config.systemd.status_every_s)
        last_status = 0.0
        while True:
            if interval is not None and (self.audio_flowing() or self.recovering()):
                self.notifier.watchdog()
            if time.monotonic() - last_status >= self.config.systemd.status_every_s:
                self.notifier.status(self.status_line())
                last_status = time.monotonic()
            await asyncio.sleep(tick_s)


async def _first_of(task: asyncio.Task[None], other: Awaitable[Any]) -> None:
    waiter = asyncio.ensure_future(other)
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await cancel_and_wait(waiter)  # not suppress(CancelledError): a cancellation of our caller may land here


def _ensure_writable(state_dir: Path) -> None:
    """Warn, do not refuse: hearing the pump must not depend on the disk (status and calendar just go stale)."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        probe = state_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        log.error("monitor.state_dir is not writable: no status file, calendar changes not kept",
                  state_dir=str(state_dir), error=exc.strerror)

