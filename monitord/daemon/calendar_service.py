"""Drives the refill calendar: state at start, daily and on change; reminders 14/7/3 days before; refills.

The dates live in the config (`[calendar]`) and in `<state_dir>/calendar.json`, which `monitord refill` and a
`RefillLogged` event (from MQTT or the acknowledgement endpoint) update. The file wins unless the config was edited
since the file was written (the file remembers which config dates it saw). Reminders already sent are remembered
there too, so a restart does not repeat them.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import structlog

from monitord.bus import EventBus, Subscription
from monitord.calendar import CalendarConfig, RefillCalendar
from monitord.clock import Clock
from monitord.events import RefillLogged

log = structlog.get_logger(__name__)

CALENDAR_FILE = "calendar.json"


@dataclass
class CalendarFile:
    reservoir_alarm_date: date | None = None
    replacement_date: date | None = None
    config_reservoir_alarm_date: date | None = None
    config_replacement_date: date | None = None
    sent: set[str] = field(default_factory=set)
    refills: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> CalendarFile | None:
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.error("calendar file unreadable; using the config dates", path=str(path), error=str(exc))
            return None

        def day(key: str) -> date | None:
            value = data.get(key)
            return date.fromisoformat(value) if value else None

        return cls(reservoir_alarm_date=day("reservoir_alarm_date"), replacement_date=day("replacement_date"),
                   config_reservoir_alarm_date=day("config_reservoir_alarm_date"),
                   config_replacement_date=day("config_replacement_date"),
                   sent=set(data.get("sent", [])), refills=list(data.get("refills", [])))

    def write(self, path: Path) -> None:
        def iso(value: date | None) -> str | None:
            return value.isoformat() if value else None

        data = {
            "reservoir_alarm_date": iso(self.reservoir_alarm_date), "replacement_date": iso(self.replacement_date),
            "config_reservoir_alarm_date": iso(self.config_reservoir_alarm_date),
            "config_replacement_date": iso(self.config_replacement_date),
            "sent": sorted(self.sent), "refills": self.refills[-50:],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, path)  # atomic: `monitord status` and `monitord refill` never see half a file


def log_refill(state_dir: Path, *, config: CalendarConfig, refilled_on: date, next_alarm_date: date | None,
               replacement_date: date | None, by: str, channel: str = "cli") -> None:
    """What `monitord refill` does: record it for the daemon to announce, and move the dates at once."""
    path = state_dir / CALENDAR_FILE
    current = CalendarFile.read(path) or CalendarFile(reservoir_alarm_date=config.reservoir_alarm_date,
                                                      replacement_date=config.replacement_date)
    # The config dates this refill supersedes: the daemon must not take them for a newer edit of the config.
    current.config_reservoir_alarm_date = config.reservoir_alarm_date
    current.config_replacement_date = config.replacement_date
    if next_alarm_date is not None:
        current.reservoir_alarm_date = next_alarm_date
    if replacement_date is not None:
        current.replacement_date = replacement_date
    current.refills.append({"id": uuid.uuid4().hex, "refilled_on": refilled_on.isoformat(),
                            "next_alarm_date": next_alarm_date.isoformat() if next_alarm_date else None,
                            "by": by, "channel": channel, "announced": False})
    current.write(path)


class CalendarService:
    def __init__(self, *, config: CalendarConfig, state_dir: Path, bus: EventBus, clock: Clock, node_id: str,
                 poll_s: float = 60.0) -> None:
        self._config = config
        self._path = state_dir / CALENDAR_FILE
        self._bus = bus
        self._clock = clock
        self._node_id = node_id
        self._poll_s = poll_s
        self._subscription: Subscription = bus.subscribe("calendar", maxsize=1000)
        self.calendar = RefillCalendar.from_config(config)
        self._file = CalendarFile()
        self._file_mtime: float | None = None
        self._today: date | None = None

    def today(self) -> date:
        return self._clock.now().astimezone().date()

    async def run_refills(self) -> None:
        """RefillLogged from elsewhere (MQTT command, acknowledgement page) moves the reservoir date."""
        async for event in self._subscription:
            if isinstance(event, RefillLogged) and event.next_alarm_date is not None \
                    and event.next_alarm_date != self.calendar.reservoir_alarm_date:
                self._file.reservoir_alarm_date = event.next_alarm_date
                self._save()
                self._apply()
                self.publish_state()

    async def run_schedule(self) -> None:
        self._load()
        self.publish_state()
        self._send_reminders()
        while True:
            await self._clock.sleep(self._poll_s)
            if self._load():
                self.publish_state()
            if self.today() != self._today:  # a new day: the days-until sensor moves, reminders may be due
                self.publish_state()
            self._send_reminders()

    def publish_state(self) -> None:
        today = self.today()
        self._today = today
        self._bus.publish(self.calendar.state_event(node_id=self._node_id, now=self._clock.now(), today=today))

    def _send_reminders(self) -> None:
        for kind, due_date, days_left, key in self.calendar.reminders_due(self.today(), self._file.sent):
            log.info("calendar reminder", kind=kind.value, due_date=due_date.isoformat(), days_until=days_left)
            self._bus.publish(self.calendar.reminder_event(kind=kind, due_date=due_date, days_left=days_left,
                                                           node_id=self._node_id, now=self._clock.now()))
            self._file.sent |= self.calendar.superseded_keys(kind, due_date, key)
            self._save()

    def _load(self) -> bool:
        """Re-read the file if it changed (`monitord refill`). Returns whether the dates changed."""
        with contextlib.suppress(FileNotFoundError):
            mtime = self._path.stat().st_mtime
            if mtime == self._file_mtime:
                return False
            self._file_mtime = mtime
        before = (self.calendar.reservoir_alarm_date, self.calendar.replacement_date)
        stored = CalendarFile.read(self._path)
        if stored is None:
            stored = CalendarFile()
        config_edited = (stored.config_reservoir_alarm_date, stored.config_replacement_date) != (
            self._config.reservoir_alarm_date, self._config.replacement_date)
        if config_edited:  # the config was changed since the file was written: the config is the newer truth
            stored.reservoir_alarm_date = self._config.reservoir_alarm_date or stored.reservoir_alarm_date
            stored.replacement_date = self._config.replacement_date or stored.replacement_date
        self._file = stored
        self._apply()
        self._announce_refills()
        if config_edited:
            self._save()
        return before != (self.calendar.reservoir_alarm_date, self.calendar.replacement_date)

    def _announce_refills(self) -> None:
        changed = False
        for refill in self._file.refills:
            if refill.get("announced"):
                continue
            nxt = refill.get("next_alarm_date")
            self._bus.publish(RefillLogged(
                node_id=self._node_id, time=self._clock.now(), refilled_on=date.fromisoformat(refill["refilled_on"]),
                next_alarm_date=date.fromisoformat(nxt) if nxt else None, by=str(refill.get("by", "?")),
                channel=str(refill.get("channel", "cli"))))
            refill["announced"] = True
            changed = True
        if changed:
            self._save()

    def _apply(self) -> None:
        self.calendar = self.calendar.with_dates(
            reservoir_alarm_date=self._file.reservoir_alarm_date or self._config.reservoir_alarm_date,
            replacement_date=self._file.replacement_date or self._config.replacement_date,
        )

    def _save(self) -> None:
        self._file.config_reservoir_alarm_date = self._config.reservoir_alarm_date
        self._file.config_replacement_date = self._config.replacement_date
        try:
            self._file.write(self._path)
            self._file_mtime = self._path.stat().st_mtime
        except OSError as exc:  # a full or read-only disk must not stop the monitor; the dates stay in memory
            log.error("cannot save the calendar", path=str(self._path), error=str(exc))

    def close(self) -> None:
        self._subscription.close()


def now_local_date(moment: datetime) -> date:
    return moment.astimezone().date()
