"""Streaming polyphase resampling with a proper anti-alias filter.

`scipy.signal.upfirdn` does the polyphase work in C; this class only carries the filter history across blocks so
that a stream cut into arbitrary blocks gives the same samples as the whole signal at once (no clicks at block
edges). The filter is the one `scipy.signal.resample_poly` designs (Kaiser window, β = 5, 10 zero crossings per
side), so aliasing stays below about −60 dB.
"""

from __future__ import annotations

from math import gcd

import numpy as np
from numpy.typing import NDArray


class Resampler:
    """Resample a stream from `in_rate_hz` to `out_rate_hz`, block by block, with state carried across blocks.

    Output is aligned with the input (the filter's group delay is removed), so sample n of the output is at
    time n / out_rate_hz of the input.
    """

    def __init__(self, in_rate_hz: int, out_rate_hz: int) -> None:
        if in_rate_hz <= 0 or out_rate_hz <= 0:
            raise ValueError("sample rates must be positive")
        divisor = gcd(in_rate_hz, out_rate_hz)
        self.in_rate_hz = in_rate_hz
        self.out_rate_hz = out_rate_hz
        self.up = out_rate_hz // divisor
        self.down = in_rate_hz // divisor
        self.passthrough = self.up == self.down == 1
        max_rate = max(self.up, self.down)
        half_length = 0 if self.passthrough else 10 * max_rate
        if not self.passthrough:
            from scipy import signal  # imported here: a 16 kHz input never needs it, and it is slow to import
        taps = np.ones(1) if self.passthrough else signal.firwin(
            2 * half_length + 1, 1.0 / max_rate, window=("kaiser", 5.0))
        self._taps = (taps * self.up).astype(np.float64)
        # Group delay of the filter, in output samples: these first outputs are dropped so output aligns with input.
        self._skip = half_length // self.down
        self._history = np.zeros(0, dtype=np.float64)
        self._history_start = 0  # global input index of _history[0]; always a multiple of `down`
        self._next_out = 0  # global index of the next output sample (before removing the delay)
        self._inputs_seen = 0

    def process(self, block: NDArray[np.float32]) -> NDArray[np.float32]:
        """Resample one block (any length, mono float32); returns the output samples that are now complete."""
        if self.passthrough:
            return block
        self._history = np.concatenate([self._history, block.astype(np.float64, copy=False)])
        self._inputs_seen += len(block)
        up, down, taps = self.up, self.down, self._taps
        # Output n sits at upsampled position n*down and needs inputs up to index floor(n*down/up).
        last_complete = ((self._inputs_seen - 1) * up) // down if self._inputs_seen else -1
        if last_complete < self._next_out:
            return np.zeros(0, dtype=np.float32)
        from scipy import signal

        produced = signal.upfirdn(taps, self._history, up, down)
        # produced[m] is global output (history_start*up/down + m)
        first_global = self._history_start * up // down
        begin = self._next_out - first_global
        end = last_complete + 1 - first_global
        out = produced[begin:end]
        self._next_out = last_complete + 1
        # Keep only the inputs the next output still needs (filter length / up), from a multiple of `down`.
        needed_from = max(0, (self._next_out * down - len(taps) + 1) // up)
        needed_from -= needed_from % down
        if needed_from > self._history_start:
            self._history = self._history[needed_from - self._history_start :]
            self._history_start = needed_from
        if self._skip:
            dropped = min(self._skip, len(out))
            out = out[dropped:]
            self._skip -= dropped
        result: NDArray[np.float32] = out.astype(np.float32)
        return result
