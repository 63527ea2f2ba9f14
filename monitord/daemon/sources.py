"""Audio for the daemon as an async stream of blocks: the live microphone, or a file / stdin replayed at a pace.

A replayed source is paced by the daemon's clock, so `--speed 60` plays an hour in a minute and the episode and
escalation timers see the same hour. Blocks are read in a worker thread (stdin can block; a file on a slow SD card
can too), never on the event loop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from monitord.audio import INTERNAL_RATE_HZ, open_audio
from monitord.clock import Clock
from monitord.daemon.clocks import StreamClock

_Read = tuple[NDArray[np.float32] | None, BaseException | None]  # a block (None: the end), or why reading failed


class ReplaySource:
    """Blocks of an audio file (or `-` for raw PCM on stdin), at the pace of `clock`."""

    def __init__(self, path: str | Path, *, clock: Clock, block_s: float, rate_hz: int | None = None,
                 sample_format: str | None = None) -> None:
        self.description = "stdin" if str(path) == "-" else str(path)
        self._source = open_audio(path, rate_hz=rate_hz, sample_format=sample_format)
        self._clock = clock
        self._block_s = block_s
        self.rate_hz = INTERNAL_RATE_HZ
        self.samples = 0

    async def blocks(self) -> AsyncIterator[NDArray[np.float32]]:
        reader = _ReaderThread(self._source.blocks(self._block_s), close=self._source.close)
        start_s = self._clock.monotonic()
        try:
            reader.read_ahead()
            while True:
                block = await reader.next()
                if block is None:
                    return
                reader.read_ahead()  # the next block is read while this one waits for its time and is analysed
                self.samples += len(block)
                position_s = self.samples / self.rate_hz
                if isinstance(self._clock, StreamClock):
                    yield block
                    await self._clock.advance(len(block) / self.rate_hz)
                    continue
                # Real time or N× real time: hand the block over when the clock reaches its end.
                wait_s = start_s + position_s - self._clock.monotonic()
                if wait_s > 0:
                    await self._clock.sleep(wait_s)
                yield block
        finally:
            reader.close()


class _ReaderThread:
    """Reads blocks on a daemon thread, one block ahead of the daemon (backpressure: it reads only when asked).

    A block read ahead is left in `_ready` without waking the event loop: at real time the daemon picks it up when
    its time comes (waking the loop from the thread for every block cost as much as the wait itself). Only when the
    daemon is already waiting for a block (a slow read, stdin) is the loop woken.

    Not `asyncio.to_thread`: a read from a quiet stdin blocks forever, and the default executor's threads would then
    hold up the interpreter's exit after SIGTERM. The source is closed by this thread too, never under a read.
    """

    def __init__(self, iterator: Iterator[NDArray[np.float32]], *, close: Callable[[], None]) -> None:
        self._iterator = iterator
        self._close = close
        self._loop = asyncio.get_running_loop()
        self._requests: queue.SimpleQueue[bool] = queue.SimpleQueue()  # True: read one more block; False: stop
        self._lock = threading.Lock()  # guards _ready and _waiter (the thread and the loop both touch them)
        self._ready: collections.deque[_Read] = collections.deque()
        self._waiter: asyncio.Future[_Read] | None = None
        threading.Thread(target=self._run, name="audio-reader", daemon=True).start()

    def read_ahead(self) -> None:
        """Ask for one more block."""
        self._requests.put(True)

    async def next(self) -> NDArray[np.float32] | None:
        """The next block asked for with `read_ahead` (None at the end of the input)."""
        waiter: asyncio.Future[_Read] | None = None
        with self._lock:
            if self._ready:
                read = self._ready.popleft()
            else:
                self._waiter = waiter = self._loop.create_future()
        if waiter is not None:
            read = await waiter
        block, error = read
        if error is not None:
            raise error
        return block

    def close(self) -> None:
        self._requests.put(False)

    def _run(self) -> None:
        try:
            while self._requests.get():
                try:
                    read: _Read = (next(self._iterator, None), None)
                except BaseException as exc:
                    self._deliver((None, exc))
                    return
                self._deliver(read)
        finally:
            self._close()

    def _deliver(self, read: _Read) -> None:
        with self._lock:
            waiter, self._waiter = self._waiter, None
            if waiter is None:
                self._ready.append(read)
                return

        def settle() -> None:
            if not waiter.done():  # else the daemon stopped waiting (shutdown)
                waiter.set_result(read)

        with contextlib.suppress(RuntimeError):  # the loop is closed: we are exiting anyway
            self._loop.call_soon_threadsafe(settle)
