"""The outbox: every event is written to SQLite before it is published, and deleted only after the broker's PUBACK.

While the broker is unreachable the daemon keeps working and events wait here; after a reconnect they are
published oldest first with their original timestamps (the payload is stored as it was first serialized).
It survives a restart of monitord too: the file lives in the state directory.

Bounded (`mqtt.outbox_max_events`). The policy when full, chosen so that alarms are the last thing lost:
  1. drop the oldest *snapshot* event (monitor_health, refill_calendar_state) — a newer one supersedes it, and the
     retained state topics always carry the current value anyway;
  2. if there is none, drop the oldest event of any kind.
Each drop is logged (`mqtt outbox full`) with what was dropped and how many so far.

Delivery is at-least-once (MQTT QoS 1): an event whose PUBACK was lost in a disconnect is sent again, so a
consumer may see it twice; the event id is the dedupe key (MqttEventSource does this).

The class is synchronous and not thread-safe; MqttService calls it from one dedicated worker thread so that
a slow SD card never stalls the event loop.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import structlog

from monitord.events import Event

log = structlog.get_logger(__name__)

SNAPSHOT_EVENT_TYPES = frozenset({"monitor_health", "refill_calendar_state"})
"""Event types that only restate current state: the first to go when the outbox is full."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    node_id    TEXT NOT NULL,
    snapshot   INTEGER NOT NULL,
    payload    BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_snapshot ON outbox (snapshot, seq);
"""


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    event_id: str
    event_type: str
    node_id: str
    payload: bytes


class Outbox:
    def __init__(self, *, path: Path | None, max_events: int) -> None:
        """`path=None` keeps the outbox in memory (used when the state directory is not writable)."""
        self.path = path
        self.max_events = max_events
        self.dropped = 0
        # check_same_thread=False: created on the event loop's thread, then used only by the service's worker.
        self._db = sqlite3.connect(
            str(path) if path is not None else ":memory:", check_same_thread=False, isolation_level=None
        )
        # WAL + synchronous=FULL: an appended event survives a power cut once append() returned.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._recount()

    def __len__(self) -> int:
        return self._count

    def append(self, event: Event) -> int:
        """Store `event` (idempotent on its id). Returns how many older events were dropped to make room."""
        return self.append_many([event])

    def append_many(self, events: list[Event]) -> int:
        """Store `events` in one transaction (one disk sync for a burst). Returns how many were dropped."""
        dropped = 0
        with self._transaction():
            for event in events:
                dropped += self._insert(event)
        return dropped

    def _insert(self, event: Event) -> int:
        if self._db.execute("SELECT 1 FROM outbox WHERE event_id = ?", (event.id,)).fetchone():
            return 0  # already waiting (the same event handed over twice)
        dropped = 0
        while self._count >= self.max_events:
            row = self._db.execute(
                "SELECT seq, event_type, event_id FROM outbox WHERE snapshot = 1 ORDER BY seq LIMIT 1"
            ).fetchone() or self._db.execute(
                "SELECT seq, event_type, event_id FROM outbox ORDER BY seq LIMIT 1"
            ).fetchone()
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (row[0],))
            self._count -= 1
            dropped += 1
            self.dropped += 1
            log.warning(
                "mqtt outbox full: dropped an undelivered event",
                dropped_type=row[1], dropped_id=row[2], max_events=self.max_events, dropped_total=self.dropped,
                policy="oldest health/calendar snapshot first, else oldest event",
            )
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO outbox (event_id, event_type, node_id, snapshot, payload) "
            "VALUES (?, ?, ?, ?, ?)",
            (event.id, event.type, event.node_id, int(event.type in SNAPSHOT_EVENT_TYPES), event.to_payload()),
        )
        self._count += cursor.rowcount
        return dropped

    def peek(self, limit: int, *, after_seq: int = 0) -> list[OutboxRow]:
        """The oldest `limit` undelivered events after `after_seq`, in the order they were appended."""
        rows = self._db.execute(
            "SELECT seq, event_id, event_type, node_id, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return [OutboxRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), bytes(r[4])) for r in rows]

    def delete(self, seqs: list[int]) -> None:
        """Forget delivered events (call only after their PUBACK)."""
        if not seqs:
            return
        # No disk sync for deletes: losing one in a power cut only means that event is sent again (QoS 1 allows
        # duplicates), and skipping the sync halves the per-event cost on an SD card. Appends stay FULL.
        self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            with self._transaction():
                for seq in seqs:
                    cursor = self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
                    self._count -= cursor.rowcount
        finally:
            self._db.execute("PRAGMA synchronous=FULL")

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self)

    def _recount(self) -> None:
        self._count = int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


class _Transaction:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    def __enter__(self) -> None:
        self._outbox._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            self._outbox._db.execute("COMMIT")
        else:
            self._outbox._db.execute("ROLLBACK")
            self._outbox._recount()
