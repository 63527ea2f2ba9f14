"""What this machine's own speaker played, so the monitor never takes its own sounds for the pump.

The local-speaker notifier (monitord.notifiers.speaker) and the daily self-test play sounds in the room the
microphone listens to. No sound can be guaranteed unlike every pump — least of all under the broad default
profile, which accepts any steady tone from 500 to 4500 Hz — so whoever plays marks the interval here, and the
daemon's ear (monitord.daemon.hearing) drops detections that overlap it, counting them. Intervals are wall-clock
UTC, the same times AlarmHeard events carry.

One process-wide record (`LOCAL_SPEAKER`): the speaker and the microphone are devices of this one machine.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import UTC, datetime, timedelta

# The room keeps ringing after the speaker stops (reverberation, RT60 up to ~1 s in a tiled room) and the
# pipeline's frames smear edges by a frame or two; a detection that starts this soon after playback ends is ours.
REVERB_TAIL_S = 1.5
LEAD_S = 0.5  # a detection's start can be estimated a frame or two early


class SpeakerActivity:
    def __init__(self, *, keep: int = 64) -> None:
        self._intervals: deque[tuple[datetime, datetime]] = deque(maxlen=keep)
        self._lock = threading.Lock()  # marked from the playing thread, read on the event loop
        self.ignored = 0

    def mark(self, start: datetime, duration_s: float) -> None:
        """The speaker plays from `start` for `duration_s` seconds."""
        with self._lock:
            self._intervals.append((start, start + timedelta(seconds=duration_s)))

    def mark_now(self, duration_s: float) -> None:
        self.mark(datetime.now(UTC), duration_s)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether a sound heard from `start` to `end` may be (the echo of) what the speaker played."""
        with self._lock:
            intervals = list(self._intervals)
        return any(
            start <= played_end + timedelta(seconds=REVERB_TAIL_S) and end >= played_start - timedelta(seconds=LEAD_S)
            for played_start, played_end in intervals
        )


LOCAL_SPEAKER = SpeakerActivity()
