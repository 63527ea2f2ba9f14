"""Audio for the daemon as an async stream of blocks: the live microphone, or a file / stdin replayed at a pace.

A replayed source is paced by the daemon's clock, so `--speed 60` plays an hour in a minute and the episode and
escalation timers see the same hour. Blocks are read in a worker thread (stdin can block; a file on a slow SD card
can too), never on the event loop.
"""

from __future__ import annotations

import asyncio
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
            while True:
                block = await reader.next()
                if block is None:
                    return
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
    """Reads blocks on a daemon thread, one request at a time (backpressure: it reads only when asked).

    Not `asyncio.to_thread`: a read from a quiet stdin blocks forever, and the default executor's threads would then
    hold up the interpreter's exit after SIGTERM. The source is closed by this thread too, never under a read.
    """

    def __init__(self, iterator: Iterator[NDArray[np.float32]], *, close: Callable[[], None]) -> None:
        self._iterator = iterator
        self._close = close
        self._loop = asyncio.get_running_loop()
        self._requests: queue.SimpleQueue[asyncio.Future[NDArray[np.float32] | None] | None] = queue.SimpleQueue()
        threading.Thread(target=self._run, name="audio-reader", daemon=True).start()

    async def next(self) -> NDArray[np.float32] | None:
        future: asyncio.Future[NDArray[np.float32] | None] = self._loop.create_future()
        self._requests.put(future)
        return await future

    def close(self) -> None:
        self._requests.put(None)

    def _run(self) -> None:
        try:
            while (future := self._requests.get()) is not None:
                try:
                    block = next(self._iterator, None)
                except BaseException as exc:
                    self._deliver(future, None, exc)
                    return
                self._deliver(future, block, None)
        finally:
            self._close()

    def _deliver(self, future: asyncio.Future[NDArray[np.float32] | None], block: NDArray[np.float32] | None,
                 error: BaseException | None) -> None:
        def settle() -> None:
            if future.done():
                return  # the daemon stopped waiting (shutdown)
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(block)

        with contextlib.suppress(RuntimeError):  # the loop is closed: we are exiting anyway
            self._loop.call_soon_threadsafe(settle)
