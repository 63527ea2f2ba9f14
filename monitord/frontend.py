"""The frontend: streaming STFT, an adaptive per-bin noise floor, and tonal components.

`Frontend` turns audio blocks into power spectra (one row per frame) plus the noise floor each bin had *before*
the block (so a tone never raises its own floor). `ToneTracker` follows the strongest tonal peak inside one
frequency band and cuts it into `ToneSegment`s: frequency with sub-bin accuracy, level over the floor, start and
duration. Everything is vectorised per block of frames; Python only loops over the few segments.

Geometry: 1024-point Hann frames every 512 samples at 16 kHz — 64 ms frames, 32 ms hop, 15.6 Hz bins. Log-parabolic
interpolation of the peak gives the frequency to a few hundredths of a bin at useful SNR, enough to tell a tone
3.5 % off from one 1.5 % off (DTMF practice) above ~400 Hz.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

try:
    # The pocketfft behind scipy.fft.rfft, called directly: it writes into a buffer reused from call to call (a fresh
    # half-megabyte result per call was faulted in from the kernel again and again) and skips scipy's dispatch.
    # rfft_rows falls back to the public call if a scipy release moves it (tests/test_frontend.py holds them equal).
    from scipy.fft._pocketfft import pypocketfft as _pocketfft
except ImportError:  # pragma: no cover - depends on the scipy release
    _pocketfft = None

FRAME_LENGTH = 1024
HOP_LENGTH = 512

# Noise floor: per bin, a low percentile of the power over about one second of frames, smoothed so that it falls
# quickly (a noise that stops) and rises slowly (a tone of a few seconds must not become "the floor").
_FLOOR_PERCENTILE = 20.0
# In steady noise a bin's power is exponentially distributed: its 20th percentile is −ln(0.8) ≈ 0.223 of its mean.
# Dividing by that makes "SNR over the floor" read 0 dB on plain noise.
_FLOOR_PERCENTILE_TO_MEAN = 1.0 / 0.2231
_FLOOR_UPDATE_FRAMES = 32  # ≈ 1 s at 16 kHz / 512
_FLOOR_RISE_TIME_S = 12.0
_FLOOR_FALL_TIME_S = 1.5
_FLOOR_MIN_POWER = 1e-7  # ≈ −100 dBFS white noise in these units: keeps digital silence finite

_RING_OFFSETS = np.array([-7, -6, -5, -4, 4, 5, 6, 7])  # bins beside the peak, outside the Hann main lobe
_RING_REACH = int(np.abs(_RING_OFFSETS).max())  # bins the ring reaches either side of a peak
_STEPS = np.array([-1, 0, 1])[:, None]  # a peak's bin and its neighbours, as rows of a gather
# Bins analysed beyond the outermost band: a tracker's peak may climb 2 bins past its band and its ring reaches 7
# bins beyond that, so a band at the edge of the analysed range is tracked exactly like one in the middle (what a
# detector hears must not depend on where another detector's bands lie).
BAND_MARGIN_BINS = 10
_STFT_CHUNK_FRAMES = 128  # frames per rfft call (~4 s): 512 KiB in, 512 KiB out
_MAX_KEPT_SAMPLES = 1 << 20  # the reused sample buffer is dropped after a block longer than this (~65 s at 16 kHz)


def rfft_rows(frames: NDArray[np.float32], out: NDArray[np.complex64]) -> NDArray[np.complex64]:
    """scipy.fft.rfft(frames, axis=1) of float32 frames, written into `out` (frames × (length // 2 + 1),
    complex64): the same numbers, bit for bit."""
    if _pocketfft is None:  # pragma: no cover - depends on the scipy release
        out[...] = scipy.fft.rfft(frames, axis=1)
        return out
    spectrum: NDArray[np.complex64] = _pocketfft.r2c(frames, (1,), True, 0, out, 1)  # forward, unscaled, 1 thread
    return spectrum


@dataclass(frozen=True, slots=True)
class SpectralBlock:
    """Power spectra of consecutive frames over bins [bin_lo, bin_lo + width)."""

    first_frame: int
    power: NDArray[np.float32]  # (frames, bins)
    floor: NDArray[np.float32]  # (frames, bins) the noise floor before each frame's second
    bin_lo: int

    @property
    def frames(self) -> int:
        return int(self.power.shape[0])


class Frontend:
    """Streaming STFT with an adaptive per-bin noise floor. Feed any block length; pure, no clock."""

    def __init__(self, *, rate_hz: int, min_hz: float, max_hz: float,
                 frame_length: int = FRAME_LENGTH, hop_length: int = HOP_LENGTH) -> None:
        self.rate_hz = rate_hz
        self.frame_length = frame_length
        self.hop_length = hop_length
        self.bin_hz = rate_hz / frame_length
        self.hop_s = hop_length / rate_hz  # one frame's step (seconds)
        n_bins = frame_length // 2 + 1
        self.bin_lo = max(1, int(np.floor(min_hz / self.bin_hz)) - BAND_MARGIN_BINS)
        self.bin_hi = min(n_bins - 1, int(np.ceil(max_hz / self.bin_hz)) + BAND_MARGIN_BINS + 1)
        self.window = np.hanning(frame_length).astype(np.float32)
        # Samples not yet consumed by a frame live at the front of one buffer that is reused from block to block,
        # and frames are windowed into one reused scratch array: fresh multi-megabyte temporaries every block made
        # the allocator hand memory back to the kernel and fault it in again (about a third of analyze's CPU time).
        self._samples = np.zeros(2 * frame_length, dtype=np.float32)
        self._windows = self._frames_of(self._samples)
        self._held = 0  # samples held at the front of _samples
        self._scratch = np.empty((_STFT_CHUNK_FRAMES, frame_length), dtype=np.float32)
        # ... and so are the spectra and their squares (per chunk of frames: one call's worth)
        self._spectra = np.empty((_STFT_CHUNK_FRAMES, n_bins), dtype=np.complex64)
        self._squares = np.empty((_STFT_CHUNK_FRAMES, 2 * (self.bin_hi - self.bin_lo)), dtype=np.float32)
        self._frames_done = 0
        # Columns whose noise floor somebody reads (see `need_floor`); None: every column (nobody said).
        self._floor_columns: NDArray[np.intp] | None = None
        self._floor: NDArray[np.float32] | None = None  # over _floor_columns (or every column)
        self._floor_chunks = 0  # full chunks of _FLOOR_UPDATE_FRAMES folded into the floor so far
        self._floor_ranges: list[tuple[int, int]] = []  # _floor_columns as runs [lo, hi) of adjacent columns
        chunk_s = _FLOOR_UPDATE_FRAMES * hop_length / rate_hz
        self._floor_rise = np.float32(min(1.0, chunk_s / _FLOOR_RISE_TIME_S))  # share of a step taken per chunk
        self._floor_fall = np.float32(min(1.0, chunk_s / _FLOOR_FALL_TIME_S))
        self._pending = np.zeros((0, 0), dtype=np.float32)  # frames of the floor's chunk still open (tracked columns)
        self._padded = False
        # The peak search of every tracker (one per distinct search: trackers of the same band share it), and per
        # search the tonal peaks of the latest block: (block, features). See ToneTracker.frame_features.
        self.peak_searches: dict[_PeakKey, ToneTracker] = {}
        self.peak_cache: dict[_PeakKey, tuple[SpectralBlock, _PeakFeatures]] = {}
        self.peak_bounds: _PeakBounds | None = None  # per search (see _peak_bounds), made once

    def _frames_of(self, samples: NDArray[np.float32]) -> NDArray[np.float32]:
        """Every frame the sample buffer can hold, as a view (made once per buffer: a new view every block cost
        more than windowing the frames)."""
        return sliding_window_view(samples, self.frame_length)[:: self.hop_length]

    def frame_center_s(self, frame: int | float) -> float:
        return (frame * self.hop_length + self.frame_length / 2) / self.rate_hz

    @property
    def frames_done(self) -> int:
        return self._frames_done

    def need_floor(self, lo: int, hi: int) -> None:
        """Somebody reads the noise floor of columns [lo, hi) (of the blocks' columns). Once anybody has said so,
        the floor is kept only for the columns asked for — the floor costs as much as the FFT over a wide range,
        and a detector's context (bins it looks at, but tracks nothing in) needs none; the other columns of
        `SpectralBlock.floor` are NaN. Per column the floor is the same either way. Call before the first block."""
        if self._frames_done or self._held:
            raise RuntimeError("need_floor() must be called before the first block is fed")
        width = self.bin_hi - self.bin_lo
        wanted = np.arange(max(0, lo), min(width, hi), dtype=np.intp)
        known = self._floor_columns if self._floor_columns is not None else np.zeros(0, dtype=np.intp)
        self._floor_columns = columns = np.union1d(known, wanted).astype(np.intp)
        breaks = np.flatnonzero(np.diff(columns) > 1) + 1
        self._floor_ranges = [(int(run[0]), int(run[-1]) + 1) for run in np.split(columns, breaks) if len(run)]

    def feed(self, samples: NDArray[np.float32]) -> SpectralBlock | None:
        samples = samples.astype(np.float32, copy=False)
        held = self._held + len(samples)
        if held > len(self._samples):
            grown = np.zeros(max(held, 2 * len(self._samples)), dtype=np.float32)
            grown[: self._held] = self._samples[: self._held]
            self._samples = grown
            self._windows = self._frames_of(grown)
        self._samples[self._held : held] = samples
        self._held = held
        n_frames = 0 if held < self.frame_length else 1 + (held - self.frame_length) // self.hop_length
        if n_frames == 0:
            return None
        windows = self._windows
        power = np.empty((n_frames, self.bin_hi - self.bin_lo), dtype=np.float32)
        # A few dozen frames per transform: the temporaries stay in the cache, and the spectra come out the same
        # as in one call (pocketfft transforms each frame on its own).
        for begin in range(0, n_frames, _STFT_CHUNK_FRAMES):
            end = min(n_frames, begin + _STFT_CHUNK_FRAMES)
            frames = np.multiply(windows[begin:end], self.window, out=self._scratch[: end - begin])
            # scipy's pocketfft keeps float32 in single precision and is several times faster here than numpy.fft.
            spectrum = rfft_rows(frames, self._spectra[: end - begin])[:, self.bin_lo : self.bin_hi]
            # |X|² = re² + im², squared over the interleaved (re, im) floats in one pass and summed pairwise: the
            # same two rounded products and one rounded sum as re*re + im*im, for half the passes over the data.
            squares = np.square(spectrum.view(np.float32), out=self._squares[: end - begin])
            np.add(squares[:, 0::2], squares[:, 1::2], out=power[begin:end])
        consumed = n_frames * self.hop_length
        self._held = held - consumed
        if len(self._samples) > _MAX_KEPT_SAMPLES:  # one huge block (a whole file at once) is not kept around
            self._samples = np.concatenate([self._samples[consumed:held], np.zeros(self.frame_length, np.float32)])
            self._windows = self._frames_of(self._samples)
        else:
            self._samples[: self._held] = self._samples[consumed:held].copy()
        first = self._frames_done
        self._frames_done += n_frames
        floor = self._floor_before(power)
        return SpectralBlock(first_frame=first, power=power, floor=floor, bin_lo=self.bin_lo)

    def flush(self) -> SpectralBlock | None:
        """Pad the tail with silence so the last samples are analysed too."""
        if self._padded or self._held == 0:
            return None
        self._padded = True
        pad = self.frame_length - self.hop_length
        return self.feed(np.zeros(pad, dtype=np.float32))

    def _floor_before(self, power: NDArray[np.float32]) -> NDArray[np.float32]:
        """Per frame and bin, the noise floor as it stood before that frame's one-second chunk.

        The floor moves once per chunk of _FLOOR_UPDATE_FRAMES frames counted from the start of the stream, so the
        result does not depend on how the stream was cut into blocks (after the first chunk).
        """
        columns = self._floor_columns
        if columns is None:
            tracked = power
        elif len(self._floor_ranges) == 1:  # one run of columns (usual): a slice, not a gather
            lo, hi = self._floor_ranges[0]
            tracked = power[:, lo:hi]
        else:
            tracked = power[:, columns]
        if self._floor is None:
            self._floor = self._percentile(tracked[:1])  # (the first chunk's frames have floors of their own: below)
        # The frames of the chunk left open by the last block come first; every whole chunk is estimated at once.
        held = len(self._pending)
        # Frames of the stream's first chunk in this block: before any floor, each frame's is the estimate from the
        # frames up to it (however many came in this block: a stream in small blocks has just a few at hand).
        early = 0 if self._floor_chunks else min(power.shape[0], _FLOOR_UPDATE_FRAMES - held)
        series = np.concatenate([self._pending, tracked]) if held else tracked
        chunks = len(series) // _FLOOR_UPDATE_FRAMES
        floor_rows = [self._floor]
        if chunks:
            whole = series[: chunks * _FLOOR_UPDATE_FRAMES].reshape(chunks, _FLOOR_UPDATE_FRAMES, -1)
            estimates = self._percentile(whole, axis=1)
            log_estimates = np.log(estimates)  # every chunk's at once (element by element: the same values)
            for estimate, log_estimate in zip(estimates, log_estimates, strict=True):
                if self._floor_chunks == 0:
                    # The first full chunk's estimate is the first floor (its frames had the estimate from the frames
                    # up to each: the slow rise would carry such a guess for many seconds).
                    self._floor = estimate
                else:
                    self._floor = self._smoothed(self._floor, log_estimate)
                self._floor_chunks += 1
                floor_rows.append(self._floor)
        self._pending = series[chunks * _FLOOR_UPDATE_FRAMES :]
        # Frame i of this block lies in chunk (held + i) // _FLOOR_UPDATE_FRAMES of `series`: the floor before it.
        # (A short block, as the microphone's, usually lies inside one chunk: one floor row for all of its frames,
        # broadcast as it is copied below.)
        if len(floor_rows) == 1 and not early:
            tracked_floor = floor_rows[0]
        else:
            which = (held + np.arange(power.shape[0])) // _FLOOR_UPDATE_FRAMES
            tracked_floor = np.stack(floor_rows)[which]
            for i in range(early):
                tracked_floor[i] = self._percentile(series[: held + i + 1])
        if columns is None:
            floors = np.empty_like(power)
            floors[...] = tracked_floor
            return floors
        # Each column is written once: the floor's runs, and NaN in the columns between and beside them.
        floors = np.empty_like(power)
        at = untracked_from = 0
        for lo, hi in self._floor_ranges:  # slices: much cheaper than scattering through the column indices
            floors[:, untracked_from:lo] = np.nan
            floors[:, lo:hi] = tracked_floor[..., at : at + hi - lo]
            at += hi - lo
            untracked_from = hi
        floors[:, untracked_from:] = np.nan
        return floors

    def _smoothed(self, floor: NDArray[np.float32], log_estimate: NDArray[np.float32]) -> NDArray[np.float32]:
        """The floor after one more chunk of _FLOOR_UPDATE_FRAMES frames whose estimate's log is `log_estimate`.
        (This runs once a second per stream on a few dozen columns: numpy's per-call cost is all there is, so
        the steps are in place.)"""
        log_floor = np.log(floor)
        step = np.subtract(log_estimate, log_floor)
        step *= np.where(step > 0, self._floor_rise, self._floor_fall)
        log_floor += step
        smoothed: NDArray[np.float32] = np.exp(log_floor)  # float32 in, float32 out
        return smoothed

    @staticmethod
    def _percentile(power: NDArray[np.float32], axis: int = 0) -> NDArray[np.float32]:
        """The floor estimate from a chunk of frames along `axis` (the frames' axis)."""
        k = round((power.shape[axis] - 1) * _FLOOR_PERCENTILE / 100.0)
        if axis == power.ndim - 2:
            # Each column's frames made rows of their own and sorted whole: numpy's vectorised sort of a contiguous
            # row of 32 beats a partition along a strided axis threefold. The k-th smallest is one value whichever
            # way it is found (NaN sorts last either way).
            rows = np.swapaxes(power, -1, -2).copy()
            rows.sort(axis=-1)
            value = rows[..., k]
        else:
            value = np.partition(power, k, axis=axis)[(slice(None),) * axis + (k,)]
        floor: NDArray[np.float32] = np.maximum(value * np.float32(_FLOOR_PERCENTILE_TO_MEAN),
                                                np.float32(_FLOOR_MIN_POWER)).astype(np.float32)
        return floor


class SpectrumHistory:
    """The recent past of one slice of the spectrum (block columns [lo, hi)), for a detector's second look at the
    frames of a rare candidate (a beep's neighbouring partials, the sound below a critical chain's low tone). Each
    block's arrays are its own (the frontend never reuses them), so what is kept is a view: no copy."""

    def __init__(self) -> None:
        self.lo = self.hi = 0  # nothing kept until configured
        self._keep_frames = 0
        self._blocks: deque[tuple[int, NDArray[np.float32]]] = deque()  # (first frame, power slice)

    def configure(self, lo: int, hi: int, *, keep_frames: int) -> None:
        """Keep columns [lo, hi) of every block, for `keep_frames` frames before the newest block."""
        self.lo, self.hi, self._keep_frames = lo, hi, keep_frames

    def remember(self, block: SpectralBlock) -> None:
        if self.hi <= self.lo:
            return
        self._blocks.append((block.first_frame, block.power[:, self.lo : self.hi]))
        # Kept from keep_frames before the newest block: a candidate's frames may lie in earlier blocks.
        while self._blocks and self._blocks[0][0] + len(self._blocks[0][1]) <= block.first_frame - self._keep_frames:
            self._blocks.popleft()

    def rows(self, frames: NDArray[np.intp]) -> NDArray[np.float32]:
        """The kept power in these global frames (ascending), one row each; frames no longer kept are left out."""
        parts = [power[frames[(frames >= first) & (frames < first + len(power))] - first]
                 for first, power in self._blocks]
        return np.concatenate(parts) if parts else np.zeros((0, self.hi - self.lo), dtype=np.float32)


class PeakLookback:
    """Peak searches run only on the frames somebody asks about, later: the frequency and SNR (dB) of each search's
    best peak, as a RunTracker's rows hold them, but for bands whose features are seldom read (the critical
    detector's learned harmonics: only for runs long enough to hold a train of turns). Searching every frame of every
    block cost as much as the detectors' own tone bands; the frames' spectra and floors are kept instead (views of
    the frontend's blocks: no copy) for `keep_frames` frames before the newest block."""

    def __init__(self, searches: list[ToneTracker], *, frontend: Frontend | None, keep_frames: int) -> None:
        """`frontend` None: no searches (nothing is kept)."""
        self.searches = searches if frontend is not None else []
        self._frontend = frontend
        self._bounds = _peak_bounds(frontend, searches) if frontend is not None else None
        self._keep_frames = keep_frames
        self._blocks: deque[SpectralBlock] = deque()

    def remember(self, block: SpectralBlock) -> None:
        if not self.searches:
            return
        self._blocks.append(block)
        while self._blocks[0].first_frame + self._blocks[0].frames <= block.first_frame - self._keep_frames:
            self._blocks.popleft()

    def features(self, first_frame: int, frames: int) -> tuple[NDArray[np.float32], NDArray[np.float32]] | None:
        """Per search (row) and frame of [first_frame, first_frame + frames): the best peak's frequency (Hz) and its
        SNR over the floor (dB, as RunTracker.process takes it); None when some of the frames are not kept."""
        end = first_frame + frames
        parts = [(block, max(first_frame, block.first_frame) - block.first_frame,
                  min(end, block.first_frame + block.frames) - block.first_frame)
                 for block in self._blocks
                 if block.first_frame < end and block.first_frame + block.frames > first_frame]
        if self._frontend is None or self._bounds is None or sum(stop - start for _, start, stop in parts) != frames:
            return None
        if len(parts) == 1:  # usually: rows of one block, a view
            block, start, stop = parts[0]
            power, floor = block.power[start:stop], block.floor[start:stop]
        else:
            power = np.concatenate([block.power[start:stop] for block, start, stop in parts])
            floor = np.concatenate([block.floor[start:stop] for block, start, stop in parts])
        _, frequency, snr_lin = _search_peaks(self._frontend, self.searches, self._bounds, power, floor)
        snr_db: NDArray[np.float32] = (10 * np.log10(np.maximum(snr_lin, np.float32(1e-6)))).astype(np.float32)
        return frequency, snr_db


def prominence_db(power: NDArray[np.float32], columns: NDArray[np.intp]) -> NDArray[np.float64]:
    """Per frame and column of a slice of the spectrum (power; frames × bins), how far the column's peak (it or a
    bin beside it) stands over the bins 3–5 bins away (dB): a tone's purity, independent of the slowly adapting
    noise floor. The columns must lie ≥ 5 bins inside the slice."""
    top = np.maximum(np.maximum(power[:, columns - 1], power[:, columns]), power[:, columns + 1])
    side = sum(power[:, columns + offset] for offset in (-5, -4, -3, 3, 4, 5)) / 6.0
    prominence: NDArray[np.float64] = 10.0 * np.log10((top.astype(np.float64) + 1e-20) / (side + 1e-20))
    return prominence


def stretches(on: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The [start, end) frames of the stretches of consecutive True in `on`: where it differs from the frame
    before it, with an off frame on either side (the detectors ask this of every run and candidate: a handful of
    numpy calls on one small buffer, instead of converting Python lists and taking a diff)."""
    padded = np.zeros(len(on) + 2, dtype=np.bool_)
    padded[1:-1] = on
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[::2], edges[1::2]


def median_of(values: NDArray[np.float32] | NDArray[np.float64]) -> float:
    """float(np.median(values)) of a 1-D array, the same number, for a fraction of np.median's cost (its generic
    axis handling costs several times the partition itself, and the detectors take a median per run): the middle
    value, or the mean of the two middle ones as np.mean takes it (their sum in the array's precision, halved),
    NaN when any value is NaN (a partition sorts NaN last, where np.median looks for it too)."""
    n = len(values)
    if n == 0:
        return float(np.median(values))  # NaN, with numpy's warning about an empty slice
    half = n // 2
    part = np.partition(values, (half - 1, half, n - 1) if n % 2 == 0 else (half, n - 1))
    if np.isnan(part[-1]):
        return float("nan")
    if n % 2:
        return float(part[half])
    return float((part[half - 1] + part[half]) / 2)


def log_parabolic_offset(powers: NDArray[np.float64]) -> float:
    """Where the peak of three adjacent bins' powers (below, at, above) lies, in bins from the middle one: the vertex
    of the parabola through their logs (exact for a Gaussian-shaped peak, close for a Hann window's main lobe), 0 when
    the parabola does not open downwards (no peak to interpolate). Not clipped: the callers decide how far to trust it.
    The per-band-and-frame twin inside _search_peaks is vectorised over whole blocks."""
    below, at, above = np.log(powers + 1e-30)
    curvature = below - 2 * at + above
    return float(0.5 * (below - above) / curvature) if curvature < 0 else 0.0


def mean_of_3_columns(values: NDArray[np.float32], lo: int) -> NDArray[np.float32]:
    """values[:, lo : lo + 3].mean(axis=1), bit for bit (numpy sums three columns left to right, then divides the
    float32 sum by the count in double precision and rounds back), at a third of its cost: the reduction walks
    every row for three values, this adds two whole columns. The detectors keep such means of every block."""
    total = values[:, lo] + values[:, lo + 1]
    total += values[:, lo + 2]
    mean: NDArray[np.float32] = np.true_divide(total, np.intp(3), out=total, casting="unsafe")
    return mean


# Partials closer than this many bins (f/k) are not resolved from the tone by the frontend's 64 ms frames.
LOWER_NOTE_MIN_SPACING_BINS = 6


def lower_note_partials_hz(tone_hz: float, *, bin_hz: float, max_divisor: int | None = None) -> list[list[float]]:
    """Per divisor k = 2, 3, ... (a lower note f/k of which the tone f would be the k-th partial), that note's
    partials next to the tone: f·j/k for j = k ± 1, k ± 2 within f/2 .. 3f/2. The pump's tones have harmonics above
    them only, so these standing out with a tone mean it is somebody else's partial (music, a voice, a siren).
    Stops where f/k comes within LOWER_NOTE_MIN_SPACING_BINS of the tone, or after `max_divisor`."""
    series = []
    k = 2
    while tone_hz / k >= LOWER_NOTE_MIN_SPACING_BINS * bin_hz and (max_divisor is None or k <= max_divisor):
        series.append([tone_hz * j / k for j in (k - 2, k - 1, k + 1, k + 2)
                       if j >= 1 and j % k and 0.5 <= j / k <= 1.5])
        k += 1
    return series


@dataclass(frozen=True, slots=True)
class Band:
    """A frequency band a detector wants tracked. `label` is unique within the pipeline."""

    label: str
    low_hz: float
    high_hz: float


@dataclass(frozen=True, slots=True)
class ToneSegment:
    """A steady tonal component: one run of frames with a tonal peak in a band."""

    band: str
    start_s: float
    end_s: float
    frequency_hz: float  # SNR-weighted mean of the per-frame interpolated peak frequency
    snr_db: float  # mean over the segment of the peak's power over the noise floor
    spread_pct: float  # (max − min) / mean of the per-frame frequency, percent: big for sweeps
    frames: int

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


_MAX_RUN_S = 20.0
_PeakKey = tuple[int, int, float, float, float, bool]  # what a tracker's peak search depends on (ToneTracker._peak_key)
# Per search, as columns (bands, 1): lowest and highest bin of the climb, tonal threshold, band edges; and the rows of
# the searches among tones: see _peak_bounds.
_PeakBounds = tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32], NDArray[np.float32], NDArray[np.float32],
                    NDArray[np.intp]]
_PeakFeatures = tuple[NDArray[np.bool_], NDArray[np.float32], NDArray[np.float32]]  # shaped, frequency, snr
_ONE_ZERO = np.zeros(1)
_TAIL_GATE_DB = 10.0
_TAIL_GATE_WINDOW_S = 0.5  # an open run longer than this is cut (a continuous tone); detectors reject such segments


class ToneTracker:
    """Follows the strongest tonal peak inside one band, frame by frame, and cuts it into segments.

    A frame is "on" when its best peak (by power over the floor) is a local maximum, stands `min_snr_db` above the
    floor (main lobe: 3 bins; or `note_snr_db` when it lies within `note_tolerance` of a known `note_hz`), stands
    `tonal_db` above the bins just outside its main lobe (so a broadband click or a voice is not a tone) and lies
    inside the band. One off frame between two on frames of the same tone is bridged. Consecutive on frames belong
    to one segment while the frequency stays within 2 % (or one bin).

    The best peak is the band's strongest bin by power over the floor. With `among_tones` (a narrow band about a
    known pitch, where another tone may sound just beside it) it is the band's strongest local maximum of power
    instead — the flank of a louder tone beside the band is its strongest bin, but no peak of its own — and it need
    stand `tonal_db` only over the quieter side of the bins beside its main lobe: a louder tone 3–7 bins away lies
    in the other side (a broadband sound fills both).
    """

    def __init__(self, band: Band, *, frontend: Frontend, min_snr_db: float, tonal_db: float = 6.0,
                 min_frames: int = 2, note_hz: float | None = None, note_snr_db: float | None = None,
                 note_tolerance: float = 0.0, among_tones: bool = False, every_block: bool = True) -> None:
        self.band = band
        self.among_tones = among_tones
        self.fe = frontend
        self.min_snr_lin = np.float32(10 ** (min_snr_db / 10))
        # A known note (learned at enrollment) may be heard fainter: a peak within note_tolerance of it needs only
        # note_snr_db (noise peaks seldom land that close to it, and never hold it from frame to frame).
        self.note_hz = note_hz
        self.note_snr_lin = np.float32(10 ** ((min_snr_db if note_snr_db is None else note_snr_db) / 10))
        self.note_tolerance = note_tolerance
        self.tonal_lin = np.float32(10 ** (tonal_db / 10))
        self.min_frames = min_frames
        bin_hz = frontend.bin_hz
        # Peak search one bin beyond the band so a tone at its edge still shows as a local maximum.
        self._k0 = max(int(np.floor(band.low_hz / bin_hz)) - 1 - frontend.bin_lo, BAND_MARGIN_BINS - 1)
        self._k1 = min(int(np.ceil(band.high_hz / bin_hz)) + 1 - frontend.bin_lo,
                       frontend.bin_hi - frontend.bin_lo - BAND_MARGIN_BINS)
        if self._k1 <= self._k0:
            raise ValueError(f"band {band} lies outside the analysed range")
        # Among tones, only peaks whose bin lies in the band (to half a bin) count: a louder tone just past its edge
        # peaks in the extra bin searched beyond it.
        centres_hz = (np.arange(self._k0, self._k1 + 1) + frontend.bin_lo) * bin_hz
        self._in_band = (centres_hz >= band.low_hz - bin_hz / 2) & (centres_hz <= band.high_hz + bin_hz / 2)
        # What the peak search depends on (see frame_features): trackers that agree on it share the search.
        self._peak_key: _PeakKey = (self._k0, self._k1, band.low_hz, band.high_hz, float(self.tonal_lin), among_tones)
        # (`every_block` False: nobody asks for this band's peaks block by block; a PeakLookback searches the frames
        # it is asked about, later.)
        if every_block:
            frontend.peak_searches.setdefault(self._peak_key, self)
        # The floor is read over the band and beside the peak, which may climb two bins past it (frame_features).
        frontend.need_floor(self._k0 - 3, self._k1 + 4)
        # Carried across blocks: per-frame features of frames whose segment is not final yet.
        self._carry_first = 0
        self._carry: tuple[NDArray[np.bool_], NDArray[np.float32], NDArray[np.float32]] = (
            np.zeros(0, dtype=bool), np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32))
        self.now_s = 0.0
        self._max_run_frames = int(_MAX_RUN_S * frontend.rate_hz / frontend.hop_length)

    @property
    def open_since_s(self) -> float | None:
        """Start of a segment that is still running (or might still be bridged), if any."""
        on = self._carry[0]
        if not on.any():
            return None
        first = int(np.argmax(on))
        return self.fe.frame_center_s(self._carry_first + first) - self.fe.hop_s / 2

    def frame_features(self, block: SpectralBlock) -> tuple[NDArray[np.bool_], NDArray[np.float32],
                                                            NDArray[np.float32]]:
        """Per frame: on/off, peak frequency (Hz) and peak SNR over the floor (linear)."""
        # The peaks of every band are found in one pass per block (see _find_peaks); trackers of the same band (the
        # default profile's two detectors both search 500–4500 Hz) share them. Only the thresholds are per tracker.
        shared = self.fe.peak_cache.get(self._peak_key)
        if shared is None or shared[0] is not block:
            _find_peaks(self.fe, block)
            shared = self.fe.peak_cache[self._peak_key]
        shaped, frequency, snr = shared[1]
        loud = snr >= self.min_snr_lin
        if self.note_hz is not None:
            loud |= (snr >= self.note_snr_lin) & (np.abs(frequency / self.note_hz - 1) <= self.note_tolerance)
        return shaped & loud, frequency, snr

    def process(self, block: SpectralBlock) -> list[ToneSegment]:
        on_new, freq_new, snr_new = self.frame_features(block)
        on = np.concatenate([self._carry[0], on_new])
        freq = np.concatenate([self._carry[1], freq_new])
        snr = np.concatenate([self._carry[2], snr_new])
        first = self._carry_first
        self.now_s = self.fe.frame_center_s(block.first_frame + block.frames - 1)
        return self._segment(on, freq, snr, first, final=False)

    def flush(self) -> list[ToneSegment]:
        on, freq, snr = self._carry
        return self._segment(on, freq, snr, self._carry_first, final=True)

    def _segment(self, on: NDArray[np.bool_], freq: NDArray[np.float32], snr: NDArray[np.float32], first: int,
                 *, final: bool) -> list[ToneSegment]:
        n = len(on)
        if n == 0:
            return []
        bin_hz = self.fe.bin_hz
        # Bridge one off frame between two on frames of about the same frequency.
        if n >= 3:
            gap = ~on[1:-1] & on[:-2] & on[2:] & (np.abs(freq[2:] - freq[:-2]) <= np.maximum(0.02 * freq[2:], bin_hz))
            if gap.any():
                idx = np.flatnonzero(gap) + 1
                on = on.copy()
                freq = freq.copy()
                snr = snr.copy()
                on[idx] = True
                freq[idx] = 0.5 * (freq[idx - 1] + freq[idx + 1])
                snr[idx] = np.minimum(snr[idx], np.minimum(snr[idx - 1], snr[idx + 1]))
        continues = np.zeros(n, dtype=bool)
        continues[1:] = on[1:] & on[:-1] & (np.abs(freq[1:] - freq[:-1]) <= np.maximum(0.02 * freq[1:], bin_hz))
        # A run ends where the next frame does not continue it. The runs are few: from here on, plain Python is
        # cheaper than another dozen numpy calls on a block of a few frames (this runs per tracker per block).
        stops = np.ones(n, dtype=bool)
        np.logical_not(continues[1:], out=stops[:-1])
        starts = np.flatnonzero(on & ~continues).tolist()
        ends = (np.flatnonzero(on & stops) + 1).tolist()
        done: list[tuple[int, int]] = []
        if final:
            done = list(zip(starts, ends, strict=True))
            keep_from = n
        else:
            # Runs touching the last two frames may still grow (or be bridged) with the next block.
            keep_from = n - 2
            for start, end in zip(starts, ends, strict=True):
                if end <= n - 2 or end - start >= self._max_run_frames:
                    done.append((start, end))
                else:
                    keep_from = min(keep_from, start)
        segments = self._to_segments(done, freq, snr, first)
        keep_from = max(0, keep_from)
        self._carry = (on[keep_from:].copy(), freq[keep_from:].copy(), snr[keep_from:].copy())
        # A forced cut of an over-long run: its frames must not be reported again.
        if not final and done:
            last_done_end = max(end for _, end in done)
            if last_done_end > keep_from:
                carry_on = self._carry[0].copy()
                carry_on[: last_done_end - keep_from] = False
                self._carry = (carry_on, self._carry[1], self._carry[2])
        self._carry_first = first + keep_from
        return segments

    def _to_segments(self, runs: list[tuple[int, int]], freq: NDArray[np.float32], snr: NDArray[np.float32],
                     first: int) -> list[ToneSegment]:
        runs = [(start, end) for start, end in runs if end - start >= self.min_frames]
        if not runs:
            return []
        # Sums over [start, end) for every run at once: reduceat over interleaved (start, end) indices, keeping the
        # even results. One value is appended so that an end equal to the length is a valid index (it only ever
        # lands in the odd results).
        snr_db = 10 * np.concatenate((np.log10(np.maximum(snr, np.float32(1e-6))), _ONE_ZERO), dtype=np.float64)
        weights = np.maximum(snr_db, 0.1)
        freq64 = np.concatenate((freq, freq[-1:]), dtype=np.float64)
        bounds = np.array(runs, dtype=np.intp).reshape(-1)
        lengths = bounds[1::2] - bounds[0::2]
        frequency = np.add.reduceat(weights * freq64, bounds)[0::2] / np.add.reduceat(weights, bounds)[0::2]
        mean_snr = np.add.reduceat(snr_db, bounds)[0::2] / lengths
        spread = np.maximum.reduceat(freq64, bounds)[0::2] - np.minimum.reduceat(freq64, bounds)[0::2]
        half_hop = self.fe.hop_s / 2
        return [
            ToneSegment(
                band=self.band.label,
                start_s=self.fe.frame_center_s(first + start) - half_hop,
                end_s=self.fe.frame_center_s(first + end - 1) + half_hop,
                frequency_hz=f,
                snr_db=m,
                spread_pct=100.0 * d / max(f, 1.0),
                frames=end - start,
            )
            for (start, end), f, m, d in zip(runs, frequency.tolist(), mean_snr.tolist(), spread.tolist(), strict=True)
        ]


def _find_peaks(frontend: Frontend, block: SpectralBlock) -> None:
    """For every peak search of the frontend's trackers, per frame of `block`: whether the band's best peak is shaped
    like a tone (a local maximum, standing tonal_db over the bins beside its main lobe, inside the band), its
    frequency (Hz) and its SNR over the floor (linear); into `frontend.peak_cache`.

    The bands are searched together, one row each: every step below is element by element (or a gather, or an
    argmax along a row), so each band's row is what searching it alone gives, bit for bit, for a third of the numpy
    calls when an enrolled profile tracks three bands.
    """
    searches = list(frontend.peak_searches.values())
    if frontend.peak_bounds is None or len(frontend.peak_bounds[0]) != len(searches):
        frontend.peak_bounds = _peak_bounds(frontend, searches)
    shaped, frequency, snr = _search_peaks(frontend, searches, frontend.peak_bounds, block.power, block.floor)
    for row, tracker in enumerate(searches):
        frontend.peak_cache[tracker._peak_key] = (block, (shaped[row], frequency[row], snr[row]))


def _search_peaks(frontend: Frontend, searches: list[ToneTracker], bounds: _PeakBounds, power: NDArray[np.float32],
                  floor: NDArray[np.float32]) -> _PeakFeatures:
    """Per search (row) and frame of `power` and `floor` (frames × the frontend's columns, C-contiguous): shaped
    like a tone, frequency (Hz), SNR over the floor (linear). Each frame on its own: frames searched in any company
    give the same numbers."""
    lowest, highest, tonal, low_hz, high_hz, among_tones = bounds
    peak = np.array([_best_bin(t, power, floor) for t in searches])  # (bands, frames)
    # Gathers through flat indices (row start + column): the same values as power[rows, column], for much less
    # numpy overhead (this runs on every block).
    flat_power, flat_floor = power.reshape(-1), floor.reshape(-1)
    steps = (np.arange(0, power.size, power.shape[1]) + _STEPS)[:, None, :]  # (3, 1, frames): row start + (-1, 0, 1)
    # The best bin by SNR may sit on the flank of the power peak (the floor differs from bin to bin): climb to
    # the power maximum, at most two bins (within `lowest`..`highest`), so interpolation and the local-maximum test
    # see the real peak.
    for _ in range(2):
        neighbours = flat_power[steps + peak]  # (3, bands, frames): the bins below, at and above
        peak = np.minimum(np.maximum(peak + neighbours.argmax(axis=0) - 1, lowest), highest)
    at = steps + peak
    pm, p0, pp = flat_power[at]
    floor_m, floor_0, floor_p = flat_floor[at]
    snr = (pm + p0 + pp) / (floor_m + floor_0 + floor_p)
    ring = _ring_mean([flat_power[at[1] + offset] for offset in _RING_OFFSETS.tolist()], among_tones)
    tiny = np.float32(1e-30)
    lm, l0, lp = np.log(pm + tiny), np.log(p0 + tiny), np.log(pp + tiny)
    curvature = lm - 2 * l0 + lp
    # The vertex of the parabola where it opens downwards; 0 elsewhere (not divided there: no 0/0 warnings).
    delta = np.divide(0.5 * (lm - lp), curvature, out=np.zeros(curvature.shape, np.float32), where=curvature < 0)
    delta = np.minimum(np.maximum(delta, -0.5), 0.5)
    frequency = ((peak + frontend.bin_lo + delta) * frontend.bin_hz).astype(np.float32)
    shaped = (p0 >= pm) & (p0 >= pp) & (p0 >= tonal * ring) & (frequency >= low_hz) & (frequency <= high_hz)
    return shaped, frequency, snr.astype(np.float32)


def _ring_mean(ring_bins: list[NDArray[np.float32]], among_tones: NDArray[np.intp]) -> NDArray[np.float32]:
    """Per band and frame, the mean power of the 8 bins of the ring (`ring_bins`: one (bands, frames) array per
    _RING_OFFSETS offset, lower side first); for the searches among tones, the mean of its quieter side.

    The same numbers, bit for bit, as stacking the ring on a last axis and taking np.mean over it (sides: .sum
    over each half, divided by 4); tests/test_frontend.py holds the two against each other. numpy sums 8
    contiguous float32 values pairwise, ((b0 + b1) + (b2 + b3)) + ((b4 + b5) + (b6 + b7)), and fewer than 8 in
    order: written out on whole (bands, frames) arrays, that is a few additions instead of a reduction that walks
    a short axis for every frame (a tenth of the peak search's time)."""
    b = ring_bins
    ring = (b[0] + b[1]) + (b[2] + b[3])
    ring += (b[4] + b[5]) + (b[6] + b[7])
    # Divided by the count as ndarray.mean divides (in double precision, rounded back to float32).
    np.true_divide(ring, np.intp(len(b)), out=ring, casting="unsafe")
    if len(among_tones):
        lower = ((b[0][among_tones] + b[1][among_tones]) + b[2][among_tones]) + b[3][among_tones]
        upper = ((b[4][among_tones] + b[5][among_tones]) + b[6][among_tones]) + b[7][among_tones]
        ring[among_tones] = np.minimum(lower, upper) / (len(b) // 2)
    return ring


def _best_bin(search: ToneTracker, power: NDArray[np.float32], floor: NDArray[np.float32]) -> NDArray[np.intp]:
    """Per frame, the search's best bin by power over the floor: among all of its bins, or (`among_tones`) among
    its local maxima of power in the band only (a frame without one gets the first bin, whose climb then leaves the
    band or finds no peak, so it is not shaped like a tone)."""
    k0, k1 = search._k0, search._k1
    ratio = power[:, k0 : k1 + 1] / floor[:, k0 : k1 + 1]
    if search.among_tones:
        # _k0 >= BAND_MARGIN_BINS - 1 and _k1 <= width - BAND_MARGIN_BINS: both neighbours exist.
        centre = power[:, k0 : k1 + 1]
        peaked = (centre >= power[:, k0 - 1 : k1]) & (centre >= power[:, k0 + 1 : k1 + 2]) & search._in_band
        ratio = np.where(peaked, ratio, np.float32(0))
    best: NDArray[np.intp] = ratio.argmax(axis=1) + k0
    return best


def _peak_bounds(frontend: Frontend, searches: list[ToneTracker]) -> _PeakBounds:
    """Per search, as columns (bands, 1): the lowest and highest bin its peak may climb to, its tonal threshold,
    its band's edges; and the rows of the searches among tones. The thresholds and edges are float32, as a float32
    scalar or a Python float compares with float32 values (so each row is what the search alone gives)."""
    width = frontend.bin_hi - frontend.bin_lo
    lowest = np.array([[max(t._k0 - 2, _RING_REACH)] for t in searches], dtype=np.intp)
    highest = np.array([[min(t._k1 + 2, width - 1 - _RING_REACH)] for t in searches], dtype=np.intp)
    tonal = np.array([[t.tonal_lin] for t in searches], dtype=np.float32)
    low_hz = np.array([[t.band.low_hz] for t in searches], dtype=np.float32)
    high_hz = np.array([[t.band.high_hz] for t in searches], dtype=np.float32)
    among_tones = np.array([row for row, t in enumerate(searches) if t.among_tones], dtype=np.intp)
    return lowest, highest, tonal, low_hz, high_hz, among_tones


def _sliding_max(values: NDArray[np.float32], window: int) -> NDArray[np.float32]:
    """Per row, the maximum of every `window` consecutive values (what sliding_window_view(...).max(axis=2) gives,
    exactly: a maximum does not round), from a few whole-row maxima of shifted copies instead of one small
    reduction per frame. Windows of 2, 4, 8, ... are built by doubling; the last step overlaps two of them."""
    span = 1
    result = values
    while 2 * span <= window:
        result = np.maximum(result[:, :-span], result[:, span:])
        span *= 2
    if span < window:
        result = np.maximum(result[:, : result.shape[1] - (window - span)], result[:, window - span :])
    return result


@dataclass(frozen=True, slots=True)
class BandRun:
    """A run of frames in which at least one of several bands holds a tone (off gaps up to a limit bridged).

    Arrays are (bands, frames); frame i of the run is global frame `first_frame + i`.
    """

    first_frame: int
    start_s: float
    end_s: float
    on: NDArray[np.bool_]
    snr_db: NDArray[np.float32]
    frequency_hz: NDArray[np.float32]
    truncated: bool  # a window of activity that goes on (longer than the tracker's limit): it may end mid-sound
    continued: bool = False  # starts inside activity that earlier windows already handed over
    # Frames the tracker heard a tone in but its reverberation gate turned off (RunTracker.keep_gated), or None
    gated: NDArray[np.bool_] | None = None

    @property
    def frames(self) -> int:
        return int(self.on.shape[1])


@dataclass(frozen=True, slots=True)
class LookGate:
    """When a RunTracker hands over a look at the run still going on (`RunTracker.open_run`), so a detector need not
    wait for the run to end: at every `every_s` of the stream (frames of the stream, not the ends of the blocks it
    came in: a look sees the frames up to its point only, so what a detector hears does not depend on how the
    stream was cut into blocks), where in the `span_s` before it each of the first bands held its note (within
    `tolerance_hz` of `notes_hz`, one per band) in at least `min_share` of the frames. A run whose notes are not
    heard lately is judged when it ends (or in its windows): looking at it every 0.1 s (the busy bands of music and
    the TV) cost `analyze` several times its whole time.

    With `settle_s`, also where one band's note was heard so in the span but not in the last `settle_s` (up to
    `settle_s` + `settle_looks` looks; heard means for `settle_turn_s` in a row, so noise peaking on the note a frame
    or two at a time does not hold it): a run of turns that has just ended, so a chain that one note is heard in is
    looked at when it may be complete (the detector's wait after its last tone), even when the other note is not
    heard in enough frames for the first rule — a tone heard only through the rhythm or a harmonic, in pieces, or
    only at its onsets in a reverberant room. A few looks per note that comes and goes, not one per 0.1 s while
    any note is heard (that cost `analyze` 2–3× its time in music and the TV)."""

    every_s: float
    notes_hz: tuple[float, ...]
    tolerance_hz: tuple[float, ...]
    span_s: float
    min_share: float
    settle_s: float | None = None
    settle_looks: int = 3
    settle_turn_s: float = 0.0


class RunTracker:
    """Tracks several bands together and hands over whole runs of activity with their per-frame features.

    For alternating tones, per-band on/off segments are fragile: a room's reverberation keeps each tone ringing
    through the other, so each band alone looks continuous. Looking at both bands frame by frame lets the detector
    ask instead which tone *dominates* each frame.
    """

    def __init__(self, bands: list[Band], *, frontend: Frontend, min_snr_db: float, max_gap_s: float,
                 max_run_s: float, window_hop_s: float | None = None, tonal_db: float = 6.0,
                 tail_gate_db: float = _TAIL_GATE_DB, notes_hz: list[float] | None = None,
                 note_snr_db: float | None = None, note_tolerance: float = 0.0,
                 among_tones: list[bool] | None = None, active_bands: int | None = None,
                 looks: LookGate | None = None, keep_gated: bool = False) -> None:
        self.trackers = [ToneTracker(band, frontend=frontend, min_snr_db=min_snr_db, tonal_db=tonal_db,
                                     note_hz=notes_hz[i] if notes_hz else None, note_snr_db=note_snr_db,
                                     note_tolerance=note_tolerance, among_tones=bool(among_tones and among_tones[i]))
                         for i, band in enumerate(bands)]
        # Runs are made of the activity of the first `active_bands` bands; the others ride along (their features
        # are handed over with each run, for the detector to consult) but neither start, extend nor join a run.
        self._active = slice(0, active_bands)
        self.fe = frontend
        frame_s = frontend.hop_s
        self.max_gap_frames = max(1, round(max_gap_s / frame_s))
        self.max_run_frames = max(2, round(max_run_s / frame_s))
        self._first = 0
        self._on = np.zeros((len(bands), 0), dtype=bool)
        self._snr = np.zeros((len(bands), 0), dtype=np.float32)
        self._freq = np.zeros((len(bands), 0), dtype=np.float32)
        # With keep_gated, the frames the reverberation gate turned off ride along with each run (BandRun.gated): a
        # detector may take a second look with them (they neither start, extend nor join a run).
        self._gated: NDArray[np.bool_] | None = np.zeros((len(bands), 0), dtype=bool) if keep_gated else None
        # Runs longer than max_run_s are handed over as windows every window_hop_s (default: back to back).
        self.window_hop_frames = max(1, min(self.max_run_frames,
                                            round((window_hop_s or max_run_s) / frame_s)))
        self._mask_before = -1  # global frame: activity before it was already handed over in a window
        self.now_s = 0.0
        self.tail_gate_db = tail_gate_db
        self._gate_frames = max(2, round(_TAIL_GATE_WINDOW_S / frame_s))
        self._recent_snr = np.full((len(bands), self._gate_frames - 1), -np.inf, dtype=np.float32)
        # Looks at the run still going on (see process and LookGate): at most one every `look_every_frames` frames
        # of the stream, whatever blocks the frames came in.
        self.looks = looks
        self.look_every_frames = 0 if looks is None else max(1, round(looks.every_s / frame_s))
        self._look_span = 0 if looks is None else max(1, round(looks.span_s / frame_s))
        # Per band, whether each of the last _look_span frames held its note (LookGate), oldest first.
        self._recent_notes = np.zeros((len(bands), self._look_span), dtype=bool)
        self._settle_frames = None if looks is None or looks.settle_s is None else round(looks.settle_s / frame_s)
        self._settle_reach = 0 if looks is None else looks.settle_looks * self.look_every_frames
        self._settle_turn_frames = 1 if looks is None else max(1, math.ceil(looks.settle_turn_s / frame_s - 1e-9))

    @property
    def open_since_s(self) -> float | None:
        active = np.flatnonzero(self._on[self._active].any(axis=0))
        if len(active) == 0:
            return None
        return self._frame_start_s(self._first + int(active[0]))

    def _frame_start_s(self, frame: int) -> float:
        return self.fe.frame_center_s(frame) - self.fe.hop_s / 2

    def open_run(self) -> BandRun | None:
        """A look at the run still going on (as a truncated window), so a detector need not wait for it to end."""
        active = np.flatnonzero(self._on[self._active].any(axis=0))
        if self._mask_before > self._first:
            active = active[active >= self._mask_before - self._first]
        if len(active) == 0:
            return None
        start, end = int(active[0]), self._on.shape[1]
        return BandRun(
            first_frame=self._first + start,
            start_s=self._frame_start_s(self._first + start),
            end_s=self._frame_start_s(self._first + end),
            on=self._on[:, start:end].copy(),
            snr_db=self._snr[:, start:end].copy(),
            frequency_hz=self._freq[:, start:end].copy(),
            truncated=True,
            continued=self._mask_before >= 0 and self._first + start == self._mask_before,
            gated=None if self._gated is None else self._gated[:, start:end].copy(),
        )

    def process(self, block: SpectralBlock) -> list[BandRun]:
        """The runs (and windows) of activity this block completes, in stream order; with `look_every_s`, also a
        look at the run still going on (`open_run`) at each look point the block reaches, in its place among them.

        What a detector hears must not depend on how the stream was cut into blocks (the daemon feeds 0.1 s,
        `monitord analyze` 16 s): a look at a run still going on sees the frames up to its look point only, and the
        look points are frames of the stream (every `look_every_frames`), not the ends of the blocks. So the runs
        handed over are the same, in the same order, as if every block ended at a look point. (Only look points
        with activity within a gap before them make a look: elsewhere there is no run going on.)"""
        features = [tracker.frame_features(block) for tracker in self.trackers]
        freq = np.concatenate([self._freq, np.stack([f[1] for f in features])], axis=1)
        snr_lin = np.stack([f[2] for f in features])
        snr_new = (10 * np.log10(np.maximum(snr_lin, np.float32(1e-6)))).astype(np.float32)
        on_new = np.stack([f[0] for f in features])
        # Reverberation gate: a frame more than tail_gate_db below the band's loudest tone of the last half second
        # is that tone's fading tail (or a much weaker echo), not a tone of its own. Without this a room keeps
        # every tone "on" through the pauses and through the other tone of a two-tone alarm.
        history = np.concatenate([self._recent_snr, np.where(on_new, snr_new, -np.inf)], axis=1)
        recent_max = _sliding_max(history, self._gate_frames)
        loud_enough = snr_new >= recent_max - self.tail_gate_db
        if self._gated is not None:
            self._gated = np.concatenate([self._gated, on_new & ~loud_enough], axis=1)
        on_new &= loud_enough
        self._recent_snr = history[:, -(self._gate_frames - 1) :].astype(np.float32)
        on = np.concatenate([self._on, on_new], axis=1)
        snr = np.concatenate([self._snr, snr_new], axis=1)
        self.now_s = self.fe.frame_center_s(block.first_frame + block.frames - 1)
        if self.looks is None:
            return self._runs(on, snr, freq, final=False)
        return self._runs_and_looks(block, on, snr, freq, on_new, freq[:, -block.frames :])

    def _runs_and_looks(self, block: SpectralBlock, on: NDArray[np.bool_], snr: NDArray[np.float32],
                        freq: NDArray[np.float32], on_new: NDArray[np.bool_],
                        freq_new: NDArray[np.float32]) -> list[BandRun]:
        """The runs of `process`, with a look at the run going on at each look point of the block (LookGate), in
        its place among them: the same runs in the same order as if every block ended at a look point."""
        assert self.looks is not None
        base = self._first  # global frame of column 0 of on, snr, freq
        end = block.first_frame + block.frames
        step = self.look_every_frames
        # Whether each band's note was heard, in the last _look_span frames before the block and in the block.
        notes = np.array(self.looks.notes_hz, dtype=np.float32)[:, None]
        tolerance = np.array(self.looks.tolerance_hz, dtype=np.float32)[:, None]
        bands = len(notes)
        heard = np.concatenate([self._recent_notes[:bands],
                                on_new[:bands] & (np.abs(freq_new[:bands] - notes) <= tolerance)], axis=1)
        self._recent_notes[:bands] = heard[:, -self._look_span :]
        points = np.arange((block.first_frame // step + 1) * step, end + 1, step)  # each looks after frame p − 1
        if len(points):
            # Activity within a gap before a look point: a run may be going on there (the look tells) ...
            active = np.concatenate([[0], np.cumsum(on[self._active].any(axis=0))])
            reach = self.max_gap_frames + 1
            going_on = active[points - base] > active[np.maximum(points - base - reach, 0)]
            # ... and each note heard in enough of the frames just before it.
            held = np.concatenate([np.zeros((bands, 1)), np.cumsum(heard, axis=1)], axis=1)
            column = points - (block.first_frame - self._look_span)  # of heard, just after frame p − 1
            share = (held[:, column] - held[:, column - self._look_span]) / self._look_span
            note_held = share >= self.looks.min_share
            passed = note_held.all(axis=0)
            if self._settle_frames is not None:
                # ... or one note held so that has just stopped (LookGate.settle_s): the frames since each band's
                # note was last heard, before each point (a note held in the span was heard within `heard`).
                turn = self._settle_turn_frames  # heard in the frames up to each one, that many in a row
                in_row = held[:, turn:] - held[:, :-turn] == turn
                frames = np.arange(turn - 1, heard.shape[1])
                last_heard = np.full(heard.shape, -heard.shape[1], dtype=np.int64)
                last_heard[:, turn - 1 :] = np.maximum.accumulate(np.where(in_row, frames, -heard.shape[1]), axis=1)
                silent = column[None, :] - 1 - last_heard[:, column - 1]
                settled = (silent >= self._settle_frames) & (silent < self._settle_frames + self._settle_reach)
                passed |= (note_held & settled).any(axis=0)
            points = points[going_on & passed]
        runs: list[BandRun] = []
        for point in points.tolist():
            at, upto = self._first - base, point - base
            runs += self._runs(on[:, at:upto], snr[:, at:upto], freq[:, at:upto], final=False)
            look = self.open_run()
            if look is not None:
                runs.append(look)
        at = self._first - base
        return runs + self._runs(on[:, at:], snr[:, at:], freq[:, at:], final=False)

    def flush(self) -> list[BandRun]:
        return self._runs(self._on, self._snr, self._freq, final=True)

    def _runs(self, on: NDArray[np.bool_], snr: NDArray[np.float32], freq: NDArray[np.float32], *,
              final: bool) -> list[BandRun]:
        first = self._first
        n = on.shape[1]
        # (the gated frames of the same columns: _runs_and_looks hands over prefixes of the block's columns)
        gated = None if self._gated is None else self._gated[:, : n]
        active: NDArray[np.bool_] = np.asarray(on[self._active].any(axis=0))
        if self._mask_before > first:
            active[: min(n, self._mask_before - first)] = False
        idx = np.flatnonzero(active)
        runs: list[BandRun] = []
        keep_from = n
        # Runs hand over views, not copies (thousands of runs an hour, most of them blips a detector turns away at
        # once): these arrays are this call's own (the carry below is copied), and read-only from here on, so no
        # run can change another's frames.
        for values in (on, snr, freq):
            values.flags.writeable = False

        def emit(start: int, end: int, *, truncated: bool) -> None:
            continued = self._mask_before >= 0 and first + start == self._mask_before
            runs.append(BandRun(
                first_frame=first + start,
                start_s=self._frame_start_s(first + start),
                end_s=self._frame_start_s(first + end),
                on=on[:, start:end],
                snr_db=snr[:, start:end],
                frequency_hz=freq[:, start:end],
                truncated=truncated,
                continued=continued,
                gated=None if gated is None else gated[:, start:end],
            ))

        if len(idx):
            breaks = np.flatnonzero(idx[1:] - idx[:-1] > self.max_gap_frames + 1).tolist()
            active_frames = idx.tolist()
            starts = [active_frames[0], *(active_frames[b + 1] for b in breaks)]
            ends = [*(active_frames[b] + 1 for b in breaks), active_frames[-1] + 1]
            for start, end in zip(starts, ends, strict=True):
                closed = final or end - 1 <= n - 1 - (self.max_gap_frames + 1)
                # Activity that goes on and on (a busy band: music, voices) is handed over in overlapping windows,
                # so whatever is inside it is still judged, and soon.
                while end - start > self.max_run_frames:
                    emit(start, start + self.max_run_frames, truncated=True)
                    start += self.window_hop_frames
                    self._mask_before = first + start
                    later = idx[idx >= start]
                    start = int(later[0]) if len(later) else end
                if start >= end:
                    continue
                if closed:
                    emit(start, end, truncated=False)
                else:
                    keep_from = min(keep_from, start)
        keep_from = n if final else min(keep_from, max(0, n - (self.max_gap_frames + 1)))
        self._on, self._snr = on[:, keep_from:].copy(), snr[:, keep_from:].copy()
        self._freq = freq[:, keep_from:].copy()
        if self._gated is not None:
            self._gated = self._gated[:, keep_from:].copy()
        self._first = first + keep_from
        return runs
