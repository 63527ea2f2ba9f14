"""Incidents: one per alarm kind per patient, triggered → acknowledged → resolved, persisted in SQLite.

An episode (EpisodeStarted/EpisodeConfirmed from monitord.episodes) opens an incident, or joins the open incident
for the same alarm kind: two microphones hearing the same sounding are one incident, not two pages (PagerDuty's
dedup_key, Alertmanager's grouping). The incident ends when every episode in it has ended and somebody
acknowledged it (or, for policies that allow it, as soon as the sound stops), when a refill is logged (non-critical),
or when someone resolves it by hand.

Everything the escalation engine must not forget across a restart lives in the state directory's SQLite database
(`escalation.sqlite3`): incidents with their escalation step and the deadline of the next step, the outbox of
deliveries (pending ones are re-sent after a restart — at-least-once, so a page is never lost; a delivered one is
never sent again), receipts for follow-ups (PagerDuty acknowledge/resolve, Pushover cancel and polling), hashed
acknowledgement tokens and the ids of events already processed (a redelivered MQTT event opens nothing twice).

SQLite runs in WAL mode with synchronous=NORMAL: a commit is a few appends to the WAL, cheap enough for the event
loop (the audio path crosses into the loop through a bounded queue and never waits on this). A power cut may lose
the last transaction (then a page may be repeated, never lost); a process crash loses nothing.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from monitord.alarms import AlarmKind
from monitord.errors import UserError
from monitord.events import (
    EpisodeConfirmed,
    EpisodeEnded,
    EpisodeOngoing,
    EpisodeStarted,
    IncidentState,
    UtcDatetime,
)
from monitord.notifiers.base import DeliveryReceipt, NotificationKind, Urgency

DB_NAME = "escalation.sqlite3"
_SCHEMA_VERSION = 1


class EpisodeView(BaseModel):
    """What one microphone heard of this incident."""

    model_config = ConfigDict(extra="ignore")

    node_id: str
    episode_id: str
    microphone: str
    first_heard: UtcDatetime
    last_heard: UtcDatetime
    soundings: int
    max_confidence: float
    profile_verified: bool
    ended: bool = False


class Incident(BaseModel):
    """One incident. Mutable: the engine changes it and saves it through `IncidentStore.save()`."""

    model_config = ConfigDict(extra="ignore", validate_assignment=False)

    id: str
    alarm: AlarmKind
    state: IncidentState = IncidentState.TRIGGERED
    is_test: bool = False
    opened_at: UtcDatetime
    episodes: dict[str, EpisodeView] = {}
    acknowledged_at: UtcDatetime | None = None
    acknowledged_by: str | None = None
    acknowledged_channel: str | None = None
    resolved_at: UtcDatetime | None = None
    resolved_by: str | None = None
    resolved_channel: str | None = None
    resolved_reason: str = ""
    step_index: int = 0
    """Index of the next policy step to run."""
    next_due_at: UtcDatetime | None = None
    """When the next step may run (a wait, a repeat, quiet hours); None: now."""
    escalation_level: int = 0
    """How many notify/page/repeat sends happened (IncidentChanged.step)."""
    snoozed_until: UtcDatetime | None = None
    clip_path: str | None = None
    notified: list[str] = []
    """Notifiers that got a TRIGGER for this incident (later sends are REMINDERs; they hear ack/resolve)."""

    @staticmethod
    def new(alarm: AlarmKind, *, at: datetime, is_test: bool) -> Incident:
        return Incident(id=f"inc-{uuid.uuid4().hex[:16]}", alarm=alarm, opened_at=at, is_test=is_test)

    @property
    def dedup_key(self) -> str:
        """Stable per incident (PagerDuty dedup_key)."""
        return f"monitord-{self.alarm.value}-{self.id}"

    @property
    def is_open(self) -> bool:
        return self.state is not IncidentState.RESOLVED

    @property
    def microphones(self) -> list[str]:
        return sorted({e.microphone for e in self.episodes.values()})

    @property
    def first_heard(self) -> datetime | None:
        return min((e.first_heard for e in self.episodes.values()), default=None)

    @property
    def last_heard(self) -> datetime | None:
        return max((e.last_heard for e in self.episodes.values()), default=None)

    @property
    def soundings(self) -> int:
        """How many times it sounded: the best microphone's count (two microphones hear the same sounding)."""
        per_node: dict[str, int] = {}
        for e in self.episodes.values():
            per_node[e.node_id] = per_node.get(e.node_id, 0) + e.soundings
        return max(per_node.values(), default=0)

    @property
    def max_confidence(self) -> float:
        return max((e.max_confidence for e in self.episodes.values()), default=0.0)

    @property
    def profile_verified(self) -> bool:
        """False if any microphone matched with the unverified default profile."""
        return all(e.profile_verified for e in self.episodes.values())

    @property
    def all_episodes_ended(self) -> bool:
        return bool(self.episodes) and all(e.ended for e in self.episodes.values())

    def apply_episode(self, event: EpisodeStarted | EpisodeConfirmed | EpisodeOngoing | EpisodeEnded) -> None:
        key = f"{event.node_id}/{event.episode_id}"
        known = self.episodes.get(key)
        if known is not None and known.ended and not isinstance(event, EpisodeEnded):
            return  # a late, out-of-order update (MQTT replay) must not reopen an episode that ended
        self.episodes[key] = EpisodeView(
            node_id=event.node_id,
            episode_id=event.episode_id,
            microphone=event.microphone,
            first_heard=event.first_heard,
            last_heard=event.last_heard,
            soundings=event.soundings,
            max_confidence=event.max_confidence,
            profile_verified=event.profile_verified,
            ended=isinstance(event, EpisodeEnded),
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One row of the outbox: a notification of `kind` for `incident_id` to one notifier."""

    id: int
    incident_id: str
    notifier: str
    kind: NotificationKind
    urgency: Urgency
    status: str
    created_at: datetime
    is_fallback: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class IncidentStore:
    """The escalation engine's SQLite database. Synchronous and small; one connection, used from the loop thread."""

    def __init__(self, state_dir: Path) -> None:
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            self.path = state_dir / DB_NAME
            self._db = sqlite3.connect(self.path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise UserError(
                f"cannot open the escalation state in {state_dir}: {exc}",
                hint="the state directory must be writable by the monitord user",
            ) from exc
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS incidents (
                id TEXT PRIMARY KEY, alarm TEXT NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS deliveries (
                id INTEGER PRIMARY KEY AUTOINCREMENT, incident_id TEXT NOT NULL, notifier TEXT NOT NULL,
                kind TEXT NOT NULL, urgency TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
                is_fallback INTEGER NOT NULL DEFAULT 0, error TEXT
            );
            CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries(status);
            CREATE TABLE IF NOT EXISTS receipts (
                incident_id TEXT NOT NULL, notifier TEXT NOT NULL, target TEXT NOT NULL, remote_id TEXT,
                acknowledged INTEGER NOT NULL DEFAULT 0, pending_action TEXT,
                PRIMARY KEY (incident_id, notifier, target, remote_id)
            );
            CREATE TABLE IF NOT EXISTS ack_tokens (
                token_hash TEXT PRIMARY KEY, incident_id TEXT NOT NULL, expires_at TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY, seen_at TEXT NOT NULL);
            """
        )
        columns = {r["name"] for r in self._db.execute("PRAGMA table_info(receipts)")}
        if "pending_action" not in columns:  # a state file from before follow-ups were kept
            self._db.execute("ALTER TABLE receipts ADD COLUMN pending_action TEXT")
        self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- incidents ---------------------------------------------------------------------------------------------

    def save(self, incident: Incident) -> None:
        self._db.execute(
            "INSERT INTO incidents(id, alarm, state, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET state=excluded.state, data=excluded.data",
            (incident.id, incident.alarm.value, incident.state.value, incident.model_dump_json()),
        )

    def get(self, incident_id: str) -> Incident | None:
        row = self._db.execute("SELECT data FROM incidents WHERE id=?", (incident_id,)).fetchone()
        return Incident.model_validate_json(row["data"]) if row else None

    def open_incidents(self) -> list[Incident]:
        rows = self._db.execute("SELECT data FROM incidents WHERE state != ? ORDER BY rowid", ("resolved",))
        return [Incident.model_validate_json(r["data"]) for r in rows]

    def all_incidents(self) -> list[Incident]:
        return [Incident.model_validate_json(r["data"]) for r in self._db.execute("SELECT data FROM incidents")]

    # --- outbox ------------------------------------------------------------------------------------------------

    def add_delivery(
        self, incident_id: str, notifier: str, kind: NotificationKind, urgency: Urgency, *, at: datetime,
        is_fallback: bool = False,
    ) -> Delivery:
        cur = self._db.execute(
            "INSERT INTO deliveries(incident_id, notifier, kind, urgency, status, created_at, is_fallback) "
            "VALUES (?, ?, ?, ?, 'pending', ?, ?)",
            (incident_id, notifier, kind.value, urgency.value, at.isoformat(), int(is_fallback)),
        )
        assert cur.lastrowid is not None
        return Delivery(cur.lastrowid, incident_id, notifier, kind, urgency, "pending", at, is_fallback)

    def finish_delivery(self, delivery_id: int, *, ok: bool, error: str | None = None) -> None:
        self._db.execute(
            "UPDATE deliveries SET status=?, error=? WHERE id=?", ("sent" if ok else "failed", error, delivery_id)
        )

    def pending_deliveries(self) -> list[Delivery]:
        rows = self._db.execute("SELECT * FROM deliveries WHERE status='pending' ORDER BY id")
        return [
            Delivery(
                r["id"], r["incident_id"], r["notifier"], NotificationKind(r["kind"]), Urgency(r["urgency"]),
                r["status"], datetime.fromisoformat(r["created_at"]), bool(r["is_fallback"]),
            )
            for r in rows
        ]

    def delivery_counts(self, incident_id: str) -> dict[tuple[str, str, str], int]:
        """(notifier, kind, status) → count, for tests and `status` output."""
        rows = self._db.execute(
            "SELECT notifier, kind, status, COUNT(*) AS n FROM deliveries WHERE incident_id=? "
            "GROUP BY notifier, kind, status",
            (incident_id,),
        )
        return {(r["notifier"], r["kind"], r["status"]): r["n"] for r in rows}

    # --- receipts ----------------------------------------------------------------------------------------------

    def add_receipt(self, incident_id: str, receipt: DeliveryReceipt) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO receipts(incident_id, notifier, target, remote_id) VALUES (?, ?, ?, ?)",
            (incident_id, receipt.notifier, receipt.target, receipt.remote_id),
        )

    def set_receipt_action(self, incident_id: str, receipt: DeliveryReceipt, action: str | None) -> None:
        """Remember that `receipt`'s channel must still be told `action` ('acknowledge'/'resolve'; None = done), so
        a restart does not leave PagerDuty paging on-call for an incident the family already acknowledged."""
        self._db.execute(
            "UPDATE receipts SET pending_action=? WHERE incident_id=? AND notifier=? AND target=? "
            "AND remote_id IS ?",
            (action, incident_id, receipt.notifier, receipt.target, receipt.remote_id),
        )

    def pending_receipt_actions(self) -> list[tuple[str, DeliveryReceipt, str]]:
        rows = self._db.execute(
            "SELECT incident_id, notifier, target, remote_id, pending_action FROM receipts "
            "WHERE pending_action IS NOT NULL ORDER BY rowid"
        )
        return [(r["incident_id"], DeliveryReceipt(r["notifier"], r["target"], r["remote_id"]), r["pending_action"])
                for r in rows]

    def receipts(self, incident_id: str) -> list[DeliveryReceipt]:
        rows = self._db.execute(
            "SELECT notifier, target, remote_id FROM receipts WHERE incident_id=? ORDER BY rowid", (incident_id,)
        )
        return [DeliveryReceipt(r["notifier"], r["target"], r["remote_id"]) for r in rows]

    # --- acknowledgement tokens --------------------------------------------------------------------------------

    def add_token(self, token: str, incident_id: str, *, expires_at: datetime) -> None:
        self._db.execute(
            "INSERT INTO ack_tokens(token_hash, incident_id, expires_at) VALUES (?, ?, ?)",
            (hash_token(token), incident_id, expires_at.isoformat()),
        )

    def lookup_token(self, token: str) -> tuple[str, datetime] | None:
        """(incident_id, expires_at) for a token, or None if it was never issued."""
        row = self._db.execute(
            "SELECT incident_id, expires_at FROM ack_tokens WHERE token_hash=?", (hash_token(token),)
        ).fetchone()
        return (row["incident_id"], datetime.fromisoformat(row["expires_at"])) if row else None

    def prune(self, *, now: datetime, keep_events: timedelta = timedelta(days=7)) -> None:
        self._db.execute("DELETE FROM ack_tokens WHERE expires_at < ?", (now.isoformat(),))
        self._db.execute("DELETE FROM seen_events WHERE seen_at < ?", ((now - keep_events).isoformat(),))

    # --- processed events --------------------------------------------------------------------------------------

    def mark_seen(self, event_id: str, *, at: datetime) -> bool:
        """Record an event id; False if it was already processed (a redelivery)."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO seen_events(id, seen_at) VALUES (?, ?)", (event_id, at.isoformat())
        )
        return cur.rowcount == 1

