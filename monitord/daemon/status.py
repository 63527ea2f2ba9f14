"""`<state_dir>/status.json`: what `monitord status` shows — is it running, can it hear, last heard, incidents.

The daemon rewrites the file (atomically) every 15 seconds and within half a second of anything notable;
`written_at` is real wall-clock time, so a stale file means the daemon is hung or dead even if its pid still exists.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from monitord.bus import Subscription
from monitord.events import (
    AlarmHeard,
    EpisodeConfirmed,
    EpisodeEnded,
    EpisodeOngoing,
    EpisodeStarted,
    Event,
    IncidentChanged,
    IncidentState,
    MonitorHealth,
    RefillCalendarState,
)

log = structlog.get_logger(__name__)

STATUS_FILE = "status.json"
STALE_AFTER_S = 60.0


class StatusBoard:
    """Collects what the status file shows from the bus; `snapshot()` adds live counters."""

    def __init__(self, *, subscription: Subscription, path: Path, node_id: str, microphone: str, source: str,
                 counters: Callable[[], dict[str, Any]]) -> None:
        self._subscription = subscription
        self.path = path
        self._counters = counters
        self.data: dict[str, Any] = {
            "pid": os.getpid(),
            "node_id": node_id,
            "microphone": microphone,
            "source": source,
            "started_at": datetime.now(UTC).isoformat(),
            "state": "starting",
            "health": None,
            "last_heard": {},
            "episodes": {},
            "incidents": {},
            "calendar": None,
        }
        self.dirty = True

    async def run(self) -> None:
        async for event in self._subscription:
            self.observe(event)

    def observe(self, event: Event) -> None:
        if isinstance(event, AlarmHeard):
            self.data["last_heard"][event.alarm.value] = {
                "at": event.ended_at.isoformat(), "confidence": round(event.confidence, 3),
                "snr_db": round(event.snr_db, 1), "verified": event.profile_verified}
        elif isinstance(event, EpisodeStarted | EpisodeConfirmed | EpisodeOngoing):
            self.data["episodes"][event.episode_id] = {
                "alarm": event.alarm.value, "phase": event.phase.value,
                "first_heard": event.first_heard.isoformat(), "last_heard": event.last_heard.isoformat(),
                "soundings": event.soundings, "is_test": event.is_test}
        elif isinstance(event, EpisodeEnded):
            self.data["episodes"].pop(event.episode_id, None)
        elif isinstance(event, IncidentChanged):
            if event.state is IncidentState.RESOLVED:
                self.data["incidents"].pop(event.incident_id, None)
            else:
                self.data["incidents"][event.incident_id] = {
                    "alarm": event.alarm.value, "state": event.state.value, "step": event.step,
                    "since": event.time.isoformat(), "by": event.by}
        elif isinstance(event, MonitorHealth):
            self.data["health"] = {"status": event.status.value, "detail": event.detail,
                                   "level_dbfs": event.input_level_dbfs, "since": event.time.isoformat()}
        elif isinstance(event, RefillCalendarState):
            self.data["calendar"] = event.to_dict()
        else:
            return
        self.dirty = True

    def set_state(self, state: str) -> None:
        self.data["state"] = state
        self.dirty = True

    def write(self) -> None:
        snapshot = {**self.data, "counters": self._counters(), "written_at": datetime.now(UTC).isoformat(),
                    "written_at_unix": time.time()}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(snapshot, indent=2, default=str) + "\n")
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError as exc:  # a full SD card must not stop the monitor from hearing
            log.error("cannot write the status file", path=str(self.path), error=str(exc))


def read_status(state_dir: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((state_dir / STATUS_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by the monitord user
    return True
