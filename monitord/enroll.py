"""Enrollment: learn one alarm's signature from a recording of the patient's own pump (rtl_433's `-A`, for pumps).

The clinic demonstrates the alarm; someone records it with a phone a metre away. We find the repeated tonal
pattern in that recording:

1. Stream the recording through the frontend (250–7000 Hz) and keep, for every frame, the tonal peaks that stand
   ≥ 10 dB over the noise floor and ≥ 6 dB over their spectral neighbours (a voice glides, a fan hums; a beeper
   holds a steady tone).
2. Histogram the peaks' frequencies (log scale, weighted by SNR): the pump's tone(s) pile up in sharp peaks.
3. For the non-critical alarm take the strongest candidate that comes and goes (not a hum); for the critical
   alarm the pair of candidates that *alternate* (on in turns, not together). Harmonics are noted and the
   fundamental is kept (skin and clothing muffle high frequencies first).
4. Measure beeps/tones, gaps, soundings and SNR, and set tolerances wide enough for the pump's own variation,
   the room and clothing (durations ×0.4…×1.8, frequency ±2.5 %), narrow enough to reject a tone 3.5 % off.

A recording without a clear, repeated tonal pattern is refused (`NoClearAlarmError`, exit code 2): a silent, useless
signature would be worse than none.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from monitord.alarms import AlarmKind
from monitord.audio import INTERNAL_RATE_HZ, open_audio
from monitord.detectors.critical import MIN_SWING_DB, split_two_tones
from monitord.detectors.non_critical import MAX_SCATTER_BINS, NonCriticalDetector, pitch_scatter_hz
from monitord.errors import ExitCode, UserError
from monitord.frontend import _RING_OFFSETS, FRAME_LENGTH, Frontend, SpectralBlock
from monitord.profiles import BeepSignature, TwoToneSignature

_MIN_HZ = 400.0  # piezo beepers sound above this; voices' fundamentals lie below it
_MAX_HZ = 7000.0
_USABLE_BAND = 0.45  # of the recording's own sample rate: its anti-alias filter eats the rest
_PEAK_SNR_DB = 10.0
_PEAK_TONAL_DB = 6.0
_MAX_PEAKS_PER_FRAME = 6
_CANDIDATE_TOLERANCE = 0.02  # frames within ±2 % of a candidate's frequency belong to it
_SOUNDING_GAP_S = 2.5  # silence separating one sounding from the next
_BURST_GAP_S = 1.0  # silence separating bursts of the critical alarm
_BURSTS_OF_ONE_SOUNDING_S = 1.6  # bursts closer than this belong to one sounding (one manufacturer page: "3-second")
_MIN_CLEAR_SNR_DB = 14.0  # a demonstration recorded a metre away gives 25–40 dB; below 14 it is guesswork
_MIN_CONCENTRATION = 0.6  # a beeper holds its pitch: most of its peaks lie within ±0.4 % of the centre
_MAX_SEGMENT_WOBBLE = 0.006  # a steady tone's per-frame frequency varies less than 0.6 % (std)
# Per frame. A sounding's mean must lie within ±1.75 % (critical; and both tones move together) or ±1.0 % (a
# beep): DTMF practice accepts ±1.5 %, rejects ±3.5 %.
_TOLERANCE_PCT = 2.5
_DETECT_SNR_DB = 8.0
_MAX_DUTY = 0.6  # a "tone" on for more than 60 % of the recording is a hum or a whistle, not an alarm
# Calibration (_calibrate_beep): a sounding at home may last up to 1.35 × the longest heard at the clinic plus
# 0.2 s (a more reverberant room, a neighbouring noise joining it), and must be heard for at least half of one beep
# (noise masks its edges). Chosen on the benchmark's seed 2024 and checked on seed 99 (bench/detection.py).
_SPAN_SLACK = 1.35
_SPAN_SLACK_S = 0.2
_HEARD_FRACTION = 0.5
# A beep sequence's sounding must last at least this share of the shortest beep-to-beep onset interval heard at the
# clinic: two beeps' worth, with slack (see _enroll_beep).
_SEQUENCE_SPAN_FRACTION = 0.7
_SEQUENCE_MIN_BEEPS = 3  # ... for a pump that beeps at least this many times per sounding (one may be lost)
# Soundings this far under the clearest one do not count when telling a sequence from a single beep.
_SEQUENCE_CLEAR_DB = 12.0
# A sounding's pitch may stray (median distance of its frames from their median) three times as much as the clinic
# recording's beeps did, and never less than the detector's own floor (estimation noise of a faint beep).
_SCATTER_SLACK = 3.0
_SCATTER_MIN_HZ = MAX_SCATTER_BINS * INTERNAL_RATE_HZ / FRAME_LENGTH


_RECORDING_ADVICE = (
    "record again with the phone about 30 cm from the pump (or the clinic's programmer head), in a quiet room "
    "(no talking, TV off while it sounds), and let the alarm sound at least twice; check --alarm too (critical: "
    "two tones taking turns; non_critical: a beep at one pitch)")


class NoClearAlarmError(UserError):
    """The recording holds no clear, repeated alarm pattern: refuse rather than learn a useless signature."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(
            message,
            hint=hint or _RECORDING_ADVICE,
            exit_code=ExitCode.USAGE,
        )


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    frequency_hz: float
    snr_db: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class Sounding:
    segments: list[Segment]

    @property
    def start_s(self) -> float:
        return self.segments[0].start_s

    @property
    def end_s(self) -> float:
        return max(s.end_s for s in self.segments)

    @property
    def snr_db(self) -> float:
        total = sum(s.duration_s for s in self.segments)
        return sum(s.snr_db * s.duration_s for s in self.segments) / total


@dataclass
class EnrollmentResult:
    alarm: AlarmKind
    signature: BeepSignature | TwoToneSignature
    soundings: list[Sounding]
    frequencies_hz: tuple[float, ...]
    harmonics_hz: tuple[float, ...]
    snr_db: float
    duration_s: float
    notes: list[str] = field(default_factory=list)
    bursts: int = 0  # critical: two-tone bursts found (a sounding may hold one or two)
    tones_per_burst: float = 0.0
    # non-critical, a pump that beeps a sequence: the shortest sounding that holds two of its beeps (seconds)
    sequence_span_min_s: float | None = None

    def summary_lines(self) -> list[str]:
        sig = self.signature
        tones = " and ".join(f"{f:.1f} Hz" for f in self.frequencies_hz)
        lines = [f"learned the {self.alarm.value} alarm from a {self.duration_s:.1f} s recording:"]
        lines.append(f"  tone{'s' if len(self.frequencies_hz) > 1 else ''}: {tones} (±{sig.tolerance_pct:g} %)")
        if self.harmonics_hz:
            lines.append("  harmonics seen: " + ", ".join(f"{f:.0f} Hz" for f in self.harmonics_hz))
        if isinstance(sig, BeepSignature):
            lines.append(f"  soundings of {sig.span_min_s:.2f}–{sig.span_max_s:.2f} s accepted (about "
                         f"{sig.beeps_at_enrollment} beep(s) each, pauses ≤ {sig.gap_max_s:.2f} s)")
            if sig.beep_interval_s is not None:
                lines.append(f"  rhythm: a beep every {sig.beep_interval_s:.2f} s; a sounding heard in pieces must "
                             "keep it")
            if self.sequence_span_min_s is not None:
                lines.append(f"  a sequence: a sounding must hold two beeps (≥ {self.sequence_span_min_s:.2f} s); "
                             "a lone blip at the pitch is not the pump")
            if sig.pitch_scatter_max_hz is not None:
                lines.append(f"  pitch held steady: frames within {sig.pitch_scatter_max_hz:.1f} Hz of it (median)")
        else:
            lines.append(f"  tones: {sig.tone_min_s:.2f}–{sig.tone_max_s:.2f} s accepted, ≥ {sig.changes_min} "
                         f"changes per burst, bursts {sig.burst_min_s:.1f}–{sig.burst_max_s:.1f} s, gaps ≤ "
                         f"{sig.gap_max_s:.2f} s")
        lines.append(f"  soundings found: {len(self.soundings)}"
                     + (f" ({self.bursts} burst(s), about {self.tones_per_burst:.0f} tones each)" if self.bursts
                        else ""))
        part = "burst" if self.alarm is AlarmKind.CRITICAL else "beep"
        for i, sounding in enumerate(self.soundings, start=1):
            lines.append(f"    {i}. {sounding.start_s:7.2f}–{sounding.end_s:7.2f} s, {len(sounding.segments)} "
                         f"{part}{'s' if len(sounding.segments) > 1 else ''}, SNR {sounding.snr_db:.1f} dB")
        lines += [f"  note: {note}" for note in self.notes]
        return lines

    def toml_comment(self) -> str:
        tones = ", ".join(f"{f:.1f} Hz" for f in self.frequencies_hz)
        return (f"Learned by `monitord enroll` from {self.signature.enrolled_from}: {tones}, "
                f"{len(self.soundings)} sounding(s), SNR {self.snr_db:.1f} dB.\n"
                "Tolerances were widened for the pump's variation, the room and clothing; edit with care.")


@dataclass
class _Peaks:
    """Sparse per-frame tonal peaks of a whole recording."""

    frame: NDArray[np.int64]
    frequency_hz: NDArray[np.float64]
    snr_db: NDArray[np.float64]
    frames: int
    hop_s: float
    frame_center0_s: float
    source_rate_hz: int = INTERNAL_RATE_HZ  # the recording's own rate: only tones below 0.45× it can be in it
    recentre: bool = False  # the second look of enroll(): strong peaks measured about their own pitch (_track)


def _block_peaks(block: SpectralBlock, frontend: Frontend) -> tuple[NDArray[np.int64], NDArray[np.float64],
                                                                    NDArray[np.float64]]:
    power, floor = block.power, block.floor
    width = power.shape[1]
    margin = int(np.abs(_RING_OFFSETS).max())
    core = slice(margin, width - margin)
    p0 = power[:, core]
    pm = power[:, margin - 1 : width - margin - 1]
    pp = power[:, margin + 1 : width - margin + 1]
    f0 = floor[:, core]
    snr = (pm + p0 + pp) / (floor[:, margin - 1 : width - margin - 1] + f0 + floor[:, margin + 1 : width - margin + 1])
    ring = np.zeros_like(p0)
    for offset in _RING_OFFSETS:
        ring += power[:, margin + offset : width - margin + offset]
    ring /= len(_RING_OFFSETS)
    mask = (p0 > pm) & (p0 >= pp) & (snr >= 10 ** (_PEAK_SNR_DB / 10)) & (p0 >= 10 ** (_PEAK_TONAL_DB / 10) * ring)
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    lm = np.log(pm[rows, cols].astype(np.float64) + 1e-30)
    l0 = np.log(p0[rows, cols].astype(np.float64) + 1e-30)
    lp = np.log(pp[rows, cols].astype(np.float64) + 1e-30)
    curvature = lm - 2 * l0 + lp
    delta = np.clip(np.where(curvature < 0, 0.5 * (lm - lp) / np.where(curvature < 0, curvature, -1.0), 0.0),
                    -0.5, 0.5)
    frequency = (cols + margin + block.bin_lo + delta) * frontend.bin_hz
    snr_db = 10 * np.log10(snr[rows, cols].astype(np.float64))
    # Keep the strongest few per frame (music can light up dozens of bins).
    order = np.lexsort((-snr_db, rows))
    rank = np.arange(len(order)) - np.searchsorted(rows[order], rows[order])
    keep = order[rank < _MAX_PEAKS_PER_FRAME]
    return (rows[keep].astype(np.int64) + block.first_frame, frequency[keep], snr_db[keep])


def _collect_peaks(recording: str | Path, *, rate_hz: int | None, sample_format: str | None) -> tuple[_Peaks, float]:
    frames: list[NDArray[np.int64]] = []
    freqs: list[NDArray[np.float64]] = []
    snrs: list[NDArray[np.float64]] = []
    samples = 0
    with open_audio(recording, rate_hz=rate_hz, sample_format=sample_format) as source:
        # Only the band the recording itself holds: above its Nyquist frequency an upsampled recording (8 kHz phone
        # audio) is empty but for the resampler's faint images of its tones, which stand high over that silence.
        source_rate_hz = source.source_rate_hz
        max_hz = min(_MAX_HZ, _USABLE_BAND * source_rate_hz)
        frontend = Frontend(rate_hz=INTERNAL_RATE_HZ, min_hz=_MIN_HZ, max_hz=max_hz)
        for samples_block in source.blocks(4.0):
            samples += len(samples_block)
            block = frontend.feed(samples_block)
            if block is not None:
                f, q, s = _block_peaks(block, frontend)
                frames.append(f)
                freqs.append(q)
                snrs.append(s)
        tail = frontend.flush()
        if tail is not None:
            f, q, s = _block_peaks(tail, frontend)
            frames.append(f)
            freqs.append(q)
            snrs.append(s)
    peaks = _Peaks(
        frame=np.concatenate(frames) if frames else np.zeros(0, np.int64),
        frequency_hz=np.concatenate(freqs) if freqs else np.zeros(0),
        snr_db=np.concatenate(snrs) if snrs else np.zeros(0),
        frames=frontend.frames_done,
        hop_s=frontend.hop_s,
        frame_center0_s=frontend.frame_center_s(0),
        source_rate_hz=source_rate_hz,
    )
    return peaks, samples / INTERNAL_RATE_HZ


def _candidates(peaks: _Peaks, limit: int = 10) -> list[float]:
    """Frequencies where tonal peaks pile up (log-frequency histogram weighted by SNR), strongest first."""
    if len(peaks.frequency_hz) == 0:
        return []
    step = 0.0025  # 0.25 % per histogram bin
    edges_lo, edges_hi = math.log(_MIN_HZ), math.log(_MAX_HZ + 200)
    n_bins = int((edges_hi - edges_lo) / step) + 1
    index = np.clip(((np.log(peaks.frequency_hz) - edges_lo) / step).astype(int), 0, n_bins - 1)
    histogram = np.bincount(index, weights=np.minimum(peaks.snr_db, 40.0), minlength=n_bins)
    kernel = np.ones(9)  # ±1 % smoothing
    smooth = np.convolve(histogram, kernel, mode="same")
    found: list[float] = []
    work = smooth.copy()
    for _ in range(limit):
        best = int(np.argmax(work))
        if work[best] <= 0:
            break
        centre = math.exp(edges_lo + (best + 0.5) * step)
        near = np.abs(peaks.frequency_hz - centre) <= _CANDIDATE_TOLERANCE * centre
        if near.any():
            weights = np.minimum(peaks.snr_db[near], 40.0)
            centre = float(np.sum(peaks.frequency_hz[near] * weights) / np.sum(weights))
        found.append(centre)
        work[max(0, best - 16) : best + 17] = 0  # ±4 %
    return found


_STRONG_PEAK_DB = 25.0  # an alarm demonstrated a metre away stands 25–40 dB over the room (see _MIN_CLEAR_SNR_DB)
_STRONG_PEAK_DROP_DB = 12.0
_RECENTRED_CONCENTRATION = 0.9  # enroll()'s second look: a track's strong peaks about their own pitch (_track)


def _all_candidates(peaks: _Peaks) -> list[float]:
    """The candidates of all peaks, then those of the strong peaks alone that are not among them yet: in a long
    recording (minutes of talk around two soundings) a voice's many weaker peaks pile up higher than a beep's
    few loud ones."""
    found = _candidates(peaks)
    strong = peaks.snr_db >= _STRONG_PEAK_DB
    loud = dataclasses.replace(peaks, frame=peaks.frame[strong], frequency_hz=peaks.frequency_hz[strong],
                               snr_db=peaks.snr_db[strong])
    for frequency in _candidates(loud, limit=6):
        if all(abs(frequency / other - 1) > 0.04 for other in found):
            found.append(frequency)
    return found


# Two tones this close (the critical alarm's low tone and the pump's beep: quick seed 5 pump0, 2510 / 2561 Hz,
# 2.0 % apart; seed 257 pump0, 2649 / 2704 Hz) fall in one candidate's ±2 % when both alarms are recorded in one
# go, and its centre, their weighted mean, lies on neither: its peaks' concentration was 0.01, so the pair's low tone
# was never a clear tone — the critical alarm was refused, and with no partner for the high tone to take turns with,
# the beep was learned at the critical alarm's high tone. Such a candidate is split into its two tones (each a
# ±0.4 % cluster, together holding most of its peaks), each tracked on its own side of the midpoint between them.
_SPLIT_MIN_APART = 0.01  # two clusters' centres at least this far apart (ratio − 1): told apart by ±0.4 % windows


def _split_near_tones(peaks: _Peaks, centre: float) -> list[float]:
    """`centre` alone, or the two tones within its ±2 % when its peaks are not one tone's but two's."""
    near = np.abs(peaks.frequency_hz - centre) <= _CANDIDATE_TOLERANCE * centre
    frequency = np.sort(peaks.frequency_hz[near])
    weight = np.minimum(peaks.snr_db[near], 40.0)[np.argsort(peaks.frequency_hz[near])]
    total = float(weight.sum())
    if total <= 0 or float(weight[np.abs(frequency - centre) <= 0.004 * centre].sum()) >= _MIN_CONCENTRATION * total:
        return [centre]
    cumulative = np.concatenate([[0.0], np.cumsum(weight)])

    def densest(allowed: NDArray[np.bool_]) -> tuple[float, float]:
        """The ±0.4 % window (around one of the allowed peaks) holding the most weight: its centre and weight."""
        lo = np.searchsorted(frequency, frequency * (1 - 0.004), side="left")
        hi = np.searchsorted(frequency, frequency * (1 + 0.004), side="right")
        held = np.where(allowed, cumulative[hi] - cumulative[lo], -1.0)
        i = int(np.argmax(held))
        inside = slice(int(lo[i]), int(hi[i]))
        return float(np.sum(frequency[inside] * weight[inside]) / np.sum(weight[inside])), float(held[i])

    first, first_weight = densest(np.ones(len(frequency), dtype=bool))
    second, second_weight = densest(np.abs(np.log(frequency / first)) >= math.log1p(_SPLIT_MIN_APART) + 0.004)
    if second_weight <= 0 or abs(math.log(second / first)) < math.log1p(_SPLIT_MIN_APART):
        return [centre]
    if first_weight + second_weight < _MIN_CONCENTRATION * total:
        return [centre]  # no two steady tones: a voice's peaks wandering about
    return sorted((first, second))


def _tracks(peaks: _Peaks, *, split: bool = False) -> list[_Track]:
    """The tracks of all candidates; with `split`, a candidate that holds two near tones (_split_near_tones) gives
    two. Only as a second look, where the critical alarm's tones were not found without it: split everywhere, the
    harmonics of a critical alarm's two tones that lie near each other and a beep's pitch read a little differently
    from one sounding to the next were split too, and 20 of the benchmark's 310 clinic recordings learned another
    profile (quick seed 2024 pump2's beep one sounding, seed 137 pump0's critical tones half as long)."""
    tracks = []
    for centre in _all_candidates(peaks):
        tones = _split_near_tones(peaks, centre) if split else [centre]
        pair = [_track(peaks, tone, apart_from=tuple(t for t in tones if t != tone)) for tone in tones]
        # Two tones only if each is one a beeper could make (steady, clear, coming and going): a voice's peaks
        # about 922 Hz split into one such cluster and one with no steady segment at all (quick seed 2024 pump2's
        # beep recording, which then "held the critical alarm" 920 / 1654 Hz and lost a sounding of its beep).
        tracks += pair if all(_usable(t) and _is_clear(t) for t in pair) else [_track(peaks, centre)]
    return tracks


def _split_look(peaks: _Peaks, tracks: list[_Track]) -> tuple[list[_Track], list[_Track]] | None:
    """The second look with near tones split (_tracks(split=True)): its tracks and their clear ones, or None when no
    candidate split (nothing new to look at)."""
    split_tracks = _tracks(peaks, split=True)
    if len(split_tracks) <= len(tracks):
        return None
    return split_tracks, [t for t in split_tracks if _usable(t) and _is_clear(t)]


@dataclass
class _Track:
    frequency_hz: float
    segments: list[Segment]
    on_frames: int
    duty: float
    concentration: float  # share of the peaks within ±2 % that lie within ±0.4 %: ~1 for a beeper, low for a voice
    frame_on: NDArray[np.bool_]  # per frame of the recording: the tone is there (in an accepted, steady segment)
    frame_snr_db: NDArray[np.float64]
    frame_frequency_hz: NDArray[np.float64]

    @property
    def snr_db(self) -> float:
        total = sum(s.duration_s for s in self.segments)
        return sum(s.snr_db * s.duration_s for s in self.segments) / total if total else 0.0

    @property
    def on_time_s(self) -> float:
        return sum(s.duration_s for s in self.segments)


def _track(peaks: _Peaks, frequency_hz: float, *, apart_from: tuple[float, ...] = ()) -> _Track:
    """The frames of the tone at `frequency_hz` (peaks within ±2 %; with `apart_from`, only those nearer to it than
    to those near tones)."""
    near = np.abs(peaks.frequency_hz - frequency_hz) <= _CANDIDATE_TOLERANCE * frequency_hz
    for other_hz in apart_from:
        near &= np.abs(np.log(peaks.frequency_hz / frequency_hz)) < np.abs(np.log(peaks.frequency_hz / other_hz))
    frames = peaks.frame[near]
    snr = peaks.snr_db[near]
    freq = peaks.frequency_hz[near]
    on = np.zeros(peaks.frames + 2, dtype=bool)
    frame_snr = np.zeros(peaks.frames + 2)
    frame_freq = np.zeros(peaks.frames + 2)
    order = np.argsort(snr)  # strongest last wins
    on[frames[order]] = True
    frame_snr[frames[order]] = snr[order]
    frame_freq[frames[order]] = freq[order]
    # The detector's reverberation gate (RunTracker): a frame well below the last half second's loudest is a tail.
    window = 16
    padded = np.concatenate([np.full(window - 1, -np.inf), np.where(on, frame_snr, -np.inf)])
    recent_max = np.lib.stride_tricks.sliding_window_view(padded, window).max(axis=1)
    on &= frame_snr >= recent_max - 10.0
    # Bridge single missing frames.
    bridge = ~on[1:-1] & on[:-2] & on[2:]
    on[1:-1] |= bridge
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    segments = []
    accepted = np.zeros_like(on)
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if end - start < 2:
            continue
        real = frame_snr[start:end] > 0
        weights = frame_snr[start:end][real]
        frame_frequencies = frame_freq[start:end][real]
        # Never less than the detector's own pitch-scatter floor (0.35 bin, 5.5 Hz): for a low beep 0.6 % is a
        # fraction of a bin, and one frame straddling a short beep's onset, read 12 Hz off, made the std 5.0 Hz of
        # quick seed 199's 805 Hz beep (4.8 Hz allowed): the first beep of every demonstrated sounding was dropped
        # and the 3-beep pump learned as 2.
        if np.std(frame_frequencies) > max(_MAX_SEGMENT_WOBBLE * frequency_hz, _SCATTER_MIN_HZ):
            continue  # a glide (voice, siren), not a beeper's steady tone
        accepted[start:end] = True
        segments.append(Segment(
            start_s=peaks.frame_center0_s + (start - 0.5) * peaks.hop_s,
            end_s=peaks.frame_center0_s + (end - 0.5) * peaks.hop_s,
            frequency_hz=float(np.sum(frame_freq[start:end][real] * weights) / np.sum(weights)),
            snr_db=float(np.mean(weights)),
        ))
    on_frames = int(on.sum())
    tight = np.abs(freq - frequency_hz) <= 0.004 * frequency_hz
    concentration = float(snr[tight].sum() / snr.sum()) if len(snr) else 0.0
    if len(snr):
        # Over minutes of talk, a voice's peaks wandering through the ±2 % window outweigh a beep that sounded twice;
        # the beep still holds the track's loudest peaks, and holds them at one pitch (a voice's loudest wander too).
        strong = snr >= np.percentile(snr, 95) - _STRONG_PEAK_DROP_DB
        concentration = max(concentration, float(snr[strong & tight].sum() / snr[strong].sum()))
        # ... and holds them about its own pitch, which minutes of talk can pull the candidate's centre (the ±2 %
        # window's weighted mean) 0.3–0.8 % away from: seed 307 pump0's 3129 Hz beep, centred at 3137 Hz, held its
        # strongest peaks just outside ±0.4 % (0.53); seed 257 pump0's 2704 Hz, centred at 2727 Hz, none (0.11).
        # So, in enroll()'s second look, strong peaks that all stand at an alarm's level (_STRONG_PEAK_DB or more)
        # are also measured about their own SNR-weighted median pitch (a TV's or a voice's loudest, 25–30 dB, gather
        # about a pitch of their own too).
        # Only a beep's way of holding them counts there, nearly all at that pitch: the strong peaks of a pump's
        # 2nd partial shared with a voice's, 0.62 about their pitch, made it a clear tone and it was learned as the
        # beep (--hard nurse_loud, seed 269 pump1: 1346 Hz for its 673 Hz); the two beeps above hold 1.00 and 0.97.
        if peaks.recentre and float(np.percentile(snr, 95)) - _STRONG_PEAK_DROP_DB >= _STRONG_PEAK_DB:
            centre = _weighted_median(freq[strong], snr[strong])
            around = np.abs(freq - centre) <= 0.004 * centre
            if (held := float(snr[strong & around].sum() / snr[strong].sum())) >= _RECENTRED_CONCENTRATION:
                concentration = max(concentration, held)
    return _Track(frequency_hz=frequency_hz, segments=segments, on_frames=on_frames,
                  duty=on_frames / max(1, peaks.frames), concentration=concentration, frame_on=accepted,
                  frame_snr_db=frame_snr, frame_frequency_hz=frame_freq)


def _weighted_median(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][int(np.searchsorted(cumulative, cumulative[-1] / 2))])


def _weighted_frequency(segments: list[Segment]) -> float:
    weights = [s.duration_s * max(s.snr_db, 0.1) for s in segments]
    return sum(s.frequency_hz * w for s, w in zip(segments, weights, strict=True)) / sum(weights)


def _group(segments: list[Segment], gap_s: float) -> list[Sounding]:
    soundings: list[Sounding] = []
    for segment in sorted(segments, key=lambda s: s.start_s):
        if soundings and segment.start_s - soundings[-1].end_s <= gap_s:
            soundings[-1].segments.append(segment)
        else:
            soundings.append(Sounding([segment]))
    return soundings


def _harmonics_of(fundamental: float, others: list[_Track], base: _Track) -> list[float]:
    found = []
    base_frames = {round(s.start_s, 1) for s in base.segments}
    for track in others:
        ratio = track.frequency_hz / fundamental
        k = round(ratio)
        if k >= 2 and abs(ratio - k) <= 0.02 * k:
            together = sum(1 for s in track.segments if round(s.start_s, 1) in base_frames
                           or any(abs(s.start_s - b.start_s) < 0.1 for b in base.segments))
            if together >= max(1, len(track.segments) // 2):
                found.append(round(track.frequency_hz, 1))
    return sorted(found)


def _coincident(a: _Track, b: _Track) -> float:
    """Share of a's segments that sound together with one of b's for at least half the shorter of the two."""
    if not a.segments:
        return 0.0
    hits = sum(
        1 for s in a.segments
        if any(min(s.end_s, t.end_s) - max(s.start_s, t.start_s) >= 0.5 * min(s.duration_s, t.duration_s)
               for t in b.segments)
    )
    return hits / len(a.segments)


def _is_partial_of(track: _Track, fundamental: _Track, peaks: _Peaks) -> bool:
    """`track` lies on a harmonic (2nd … 5th) of `fundamental`, the two sound together half the time or more, and
    the fundamental is there under most of the partial (a harmonic never sounds without its tone). The last test
    keeps a loud tone from passing for the partial of a faint one that only sounds now and then at a third of its
    pitch: a clipped recording's intermodulation products (the pump pressed against the phone: 1417 Hz beside
    3002/4281 Hz tones)."""
    return _on_low_harmonic(track.frequency_hz, fundamental.frequency_hz) and min(
        _coincident(track, fundamental), _coincident(fundamental, track)) >= 0.5 and _presence(
        peaks, fundamental.frequency_hz, track) >= _PARTIAL_PRESENCE


def _on_low_harmonic(frequency_hz: float, fundamental_hz: float) -> bool:
    """`frequency_hz` lies on the 2nd … 5th harmonic of `fundamental_hz` (within 1 %)."""
    ratio = frequency_hz / fundamental_hz
    k = round(ratio)
    return 2 <= k <= 5 and abs(ratio - k) <= 0.01 * k


def _distinct_tones(a_hz: float, b_hz: float) -> bool:
    """Two tones, not one: more than 4 % apart (told apart) and neither a whole multiple of the other within 2 %
    (a tone and its harmonic)."""
    ratio = max(a_hz, b_hz) / min(a_hz, b_hz)
    k = round(ratio)
    return ratio >= 1.04 and not (k >= 2 and abs(ratio - k) <= 0.02 * k)


def _unrelated(a_hz: float, b_hz: float) -> bool:
    """Two tones that are no two partials of one tone: more than 4 % apart, and their ratio no ratio of two
    harmonics 1 … 5 (within 1 %). A pump's 3rd and 5th harmonics (2016 / 3358 Hz of a 673 Hz beep whose fundamental
    the phone's high-pass left unclear) sound together as a chord's two tones do; a ringback's 440 / 480 Hz (12 : 11)
    and a UK ring's 400 / 450 Hz (9 : 8) are no such pair. Nor is a tone and one 10 times its pitch: _distinct_tones
    takes any whole multiple within 2 % of it for a harmonic, which above the 5th leaves almost no ratio distinct
    (seed 211 pump1: a 400 Hz ring tone and the pump's 3921 Hz beep, 9.8 ×)."""
    ratio = max(a_hz, b_hz) / min(a_hz, b_hz)
    return ratio >= 1.04 and not any(abs(ratio * i / j - 1) <= 0.01 for i in range(1, 6) for j in range(i + 1, 6))


def _could_pair(a: _Track, b: _Track) -> bool:
    """Two distinct tones at most 4× apart: they could be the critical alarm's two notes."""
    return _distinct_tones(a.frequency_hz, b.frequency_hz) and \
        max(a.frequency_hz, b.frequency_hz) / min(a.frequency_hz, b.frequency_hz) <= 4.0


_PARTIAL_PRESENCE = 0.5


def _level_correlation(a: _Track, b: _Track) -> float:
    """Correlation of two tracks' frame levels (SNR, 0 dB where a track is off) over the frames either is on:
    negative for tones taking turns, positive for partials of one tone."""
    either = a.frame_on | b.frame_on
    return _correlation(np.where(a.frame_on, a.frame_snr_db, 0.0)[either],
                        np.where(b.frame_on, b.frame_snr_db, 0.0)[either])


def _correlation(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    """Pearson correlation of two level series; 0 (no evidence either way) for fewer than 3 values or a constant one."""
    if len(x) < 3 or x.std() == 0.0 or y.std() == 0.0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def _prefer_fundamental(best: _Track, peaks: _Peaks, *, where_loud: bool = False) -> _Track:
    """If a sub-harmonic (f/5 … f/2) sounds together with `best` every time, the pump's fundamental is that one (a
    piezo's harmonics can be louder than its fundamental — a square-ish drive puts energy in the 3rd and 5th — and
    a quiet high band can make a harmonic stand out more over the room than the fundamental does). The highest
    divisor first: for a 4th harmonic, f/4 is the fundamental and f/2 only another harmonic."""
    for divisor in (5, 4, 3, 2):
        frequency = best.frequency_hz / divisor
        if frequency < _MIN_HZ:
            continue
        track = _track(peaks, frequency)
        # Sounding together: the harmonic with the fundamental ≥ 80 % of its time, the fundamental with it at least
        # half of its time; or, for a fundamental clear on its own, ≥ 70 % and ≥ 90 % (a room's echo gates a few
        # frames of either; 60 % when the fundamental is clear and sounds only with it). Turns of a two-tone alarm
        # hardly overlap, so its tones never pass for harmonics.
        # (Seed 31 of the benchmark: a phone's high-pass left a 1165 Hz tone's 3rd harmonic in 44 short pieces
        # against the tone's own 29; the tone sounded with 97 % of them, they with 68 % of it.)
        # `where_loud` (the beep): judged where `best` is loud too (its segments within 12 dB of its loudest): a faint
        # tone at the pump's pitch that sounds only under another device's beeps is that device's harmonic, not the
        # pump's (bench/enrollment.py --hard programmer, seed 263 pump1: the programmer's 1454 Hz key beeps put
        # their 2nd harmonic on the pump's 2884 Hz three times at 21–24 dB, and the pump, 41–45 dB, was learned at
        # 1454 Hz). Not for the critical alarm's candidates: there it moved quick seed 23 pump1's bursts (both
        # alarms, beep first) and let a stray one-change burst in.
        with_sub = _coincident(best, track)
        if where_loud:
            with_sub = min(with_sub, _coincident(_loud(best), track))
        with_best = _coincident(track, best)
        if track.segments and track.snr_db >= _MIN_CLEAR_SNR_DB - 4 and (
                (with_sub >= 0.8 and with_best >= 0.5)
                or (track.snr_db >= _MIN_CLEAR_SNR_DB and with_sub >= 0.6 and with_best >= 0.9)
                # A voice over the fundamental (speech is loudest below ~1.5 kHz) breaks its steady segments
                # apart while its peak is still there frame by frame; the harmonic above stays clean. So: clear
                # where it is steady, sounding with `best` there, and present (steady or not) under most of it.
                or (track.snr_db >= _MIN_CLEAR_SNR_DB and _coincident(_loud(track), best) >= 0.5
                    and _presence(peaks, frequency, best) >= _SUBHARMONIC_PRESENCE)):
            return track
    return best


_SUBHARMONIC_PRESENCE = 0.75


def _loud(track: _Track) -> _Track:
    """The track's loud segments only (within 12 dB of its loudest): what the alarm itself made of it."""
    if not track.segments:
        return track
    floor = max(s.snr_db for s in track.segments) - _STRONG_PEAK_DROP_DB
    return dataclasses.replace(track, segments=[s for s in track.segments if s.snr_db >= floor])


def _presence(peaks: _Peaks, frequency_hz: float, track: _Track) -> float:
    """Share of `track`'s sounding frames (weighted by its SNR) with any clear peak within ±1.5 % of frequency_hz,
    steady or not. A true fundamental is there under nearly all of its harmonic (0.8–0.9 under a voice); an
    unrelated sound at f/k, or the other tone of a two-tone alarm (they take turns), is not."""
    near = (np.abs(peaks.frequency_hz - frequency_hz) <= 0.015 * frequency_hz) & (peaks.snr_db >= _PEAK_SNR_DB)
    present = np.zeros_like(track.frame_on)
    present[peaks.frame[near]] = True
    if not track.frame_on.any():
        return 0.0
    # Over all of the track, or only where it is loud (within 12 dB of its loudest): minutes of talk give a
    # harmonic many faint frames of its own, under which a beep's fundamental cannot be; while a voice right on
    # the fundamental can hide it under the loudest sounding of the harmonic.
    level = track.frame_snr_db[track.frame_on]
    shares = []
    for frames in (track.frame_on,
                   track.frame_on & (track.frame_snr_db >= np.percentile(level, 95) - _STRONG_PEAK_DROP_DB)):
        weights = np.maximum(track.frame_snr_db[frames], 0.1)
        shares.append(float(np.sum(weights * present[frames]) / np.sum(weights)))
    return max(shares)


# What was learned must stand this far over the room on average. A demonstration recorded a metre away, even
# over talk, a TV or 1–2 m away, gives 24–45 dB (bench/enrollment_stress.py); the steadiest harmonics of a voice,
# picked as "the alarm" from a recording that holds none, 14–19 dB.
_MIN_LEARNED_SNR_DB = 20.0


class _TooFaintError(NoClearAlarmError):
    """What was left to learn is too faint (or too weak to make a sounding): see _enroll_beep's use beside the
    critical alarm."""


def _check_learned_snr(name: str, what: str, snr_db: float) -> None:
    if snr_db < _MIN_LEARNED_SNR_DB:
        raise _TooFaintError(
            f"{name}: the clearest tonal pattern ({what}) stands only {snr_db:.0f} dB over the background on "
            f"average — too little to tell the pump from a voice or another sound (a demonstration recorded close "
            f"by stands {_MIN_LEARNED_SNR_DB + 5:.0f} dB or more)")


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def _usable(track: _Track) -> bool:
    """A tone that comes and goes (not a hum or whistle on most of the time)."""
    return bool(track.segments) and track.duty <= _MAX_DUTY


def _is_clear(track: _Track) -> bool:
    """Loud and sharp enough to learn from: a beeper a metre away, not a voice's wandering harmonics."""
    return track.snr_db >= _MIN_CLEAR_SNR_DB and track.concentration >= _MIN_CONCENTRATION


class _NothingClearError(NoClearAlarmError):
    """No tone in the recording is a clear one (loud and steady)."""


def enroll(recording: str | Path, alarm: AlarmKind, *, rate_hz: int | None = None,
           sample_format: str | None = None) -> EnrollmentResult:
    """Learn `alarm`'s signature from `recording`. Raises NoClearAlarmError (exit 2) when there is nothing clear."""
    peaks, duration_s = _collect_peaks(recording, rate_hz=rate_hz, sample_format=sample_format)
    if duration_s < 0.3:
        raise NoClearAlarmError(f"{recording}: only {duration_s:.2f} s of audio — too short to hold an alarm")
    try:
        return _enroll_peaks(recording, alarm, peaks, duration_s, rate_hz=rate_hz, sample_format=sample_format)
    except (_NothingClearError, _TooFaintError) as nothing:
        # A second look, only where nothing clear enough was found: minutes of talk around the demonstration pull a
        # beep's candidate centre (its ±2 % window's weighted mean) 0.3–0.8 % off the beep, so its strongest peaks,
        # at one pitch, lie outside the ±0.4 % that makes it a steady tone (bench/enrollment.py --hard long: seed
        # 307 pump0's 3129 Hz beep centred at 3137 Hz, concentration 0.53; seed 257 pump0's 2704 Hz at 2727 Hz,
        # 0.11). Looked at about their own pitch, they hold 1.00 and 0.97. Only as a second look: applied to every
        # recording, voices', TVs' and key beeps' loudest moments gathered about a pitch of their own too, became
        # clear tones and were learned (seed 307 pump1 tv, 628 Hz) or refused as rivals of the pump's beep.
        try:
            return _enroll_peaks(recording, alarm, dataclasses.replace(peaks, recentre=True), duration_s,
                                 rate_hz=rate_hz, sample_format=sample_format)
        except NoClearAlarmError:
            raise nothing from None


def _enroll_peaks(recording: str | Path, alarm: AlarmKind, peaks: _Peaks, duration_s: float, *,
                  rate_hz: int | None, sample_format: str | None) -> EnrollmentResult:
    tracks = _tracks(peaks)
    usable = [t for t in tracks if _usable(t)]
    clear = [t for t in usable if _is_clear(t)]
    name = str(recording)
    if not clear:
        band = ""
        if _USABLE_BAND * peaks.source_rate_hz < _MAX_HZ:
            band = (f"; it was recorded at {peaks.source_rate_hz} Hz, so it holds no tone above "
                    f"{_USABLE_BAND * peaks.source_rate_hz:.0f} Hz (record at 44.1 or 48 kHz)")
        if any(t.duty > _MAX_DUTY for t in tracks):
            raise NoClearAlarmError(f"{name}: the only clear tone is on almost all the time (a hum or whistle), "
                                    f"not an alarm that comes and goes{band}")
        steady = [t for t in usable if t.concentration >= _MIN_CONCENTRATION]
        strongest = (f"; the strongest steady tone, {max(steady, key=lambda t: t.snr_db).frequency_hz:.0f} Hz, "
                     f"stands {max(t.snr_db for t in steady):.0f} dB over the background") if steady else ""
        raise _NothingClearError(f"{name}: no clear alarm tone found (a pump alarm recorded for enrollment should "
                                 f"stand at least {_MIN_CLEAR_SNR_DB:.0f} dB over the background as a steady tone"
                                 f"{strongest}){band}")
    # Only for the critical alarm: a beeper whose beep holds a second partial near its pitch sounds as a chord too
    # (tests/test_beep_accompanied.py), and a phone's chord beside the pump's beep is left to _competing_beeps.
    if alarm is AlarmKind.CRITICAL and (chords := _chords(clear, peaks)):
        clear = [t for t in clear if not any(t is a or t is b for a, b in chords)]
        if not clear:
            a, b = chords[0]
            raise NoClearAlarmError(
                f"{name}: the clear tones here, {a.frequency_hz:.0f} Hz and {b.frequency_hz:.0f} Hz, always sound "
                "together, as a phone's ring or dial tone does; the pump sounds one tone at a time",
                hint="record the alarm again with no phone ringing, no TV or music, and let it sound at least twice")
    if alarm is AlarmKind.NON_CRITICAL:
        result = _enroll_beep(name, clear, tracks, duration_s, peaks)
        if str(recording) != "-":
            heard_again = _calibrate_beep(result, recording, rate_hz=rate_hz, sample_format=sample_format)
            if not heard_again and len(result.soundings) == 1:
                # One short tonal moment that the detector, with what was learned from it, does not take for a
                # beep: nothing confirms it is an alarm (a voice's steady vowel passed for a beep this way).
                sounding = result.soundings[0]
                raise NoClearAlarmError(
                    f"{name}: only one short steady tone was found ({result.frequencies_hz[0]:.0f} Hz, "
                    f"{sounding.end_s - sounding.start_s:.2f} s at {sounding.start_s:.1f} s, "
                    f"{sounding.snr_db:.0f} dB), "
                    "and it does not sound like a beep when heard again: not enough to learn the alarm from")
        else:  # standard input cannot be read twice
            result.notes.append("read from standard input, so the beep's length could not be learned by hearing it "
                                "again: wider length bounds kept (enroll from a file to tighten them)")
        return result
    return _enroll_two_tone(name, clear, tracks, duration_s, peaks)


# Two steady tones at unrelated pitches that sound in the same frames and rise and fall together: a chord, the way
# a telephone signals (ringback 440 + 480 Hz, UK ring 400 + 450 Hz, dial tones, DTMF). The pump sounds one tone at a
# time (its beep; its critical alarm's two tones take turns), so neither is the pump's. A phone ringing through a
# demonstration (bench/enrollment.py --hard phone_ring, seed 277 pump1: a 440 / 480 Hz ringback, 2 s on, 4 s off)
# was learned as the critical alarm's low tone beside the pump's 1483 Hz, over its own 1115 Hz (and, seed 307
# pump0, as the beep at 440 Hz: there _competing_beeps refuses it). A pump tone's harmonics sound with it too;
# they are left out first (_is_partial_of), and a pump's two tones ringing through each other in a reverberant room
# still swing against each other (_turn_correlation < 0; quick seed 307 pump2, −0.21).
_CHORD_OVERLAP = 0.8


def _chords(clear: list[_Track], peaks: _Peaks) -> list[tuple[_Track, _Track]]:
    """Pairs of clear tones that sound as a chord: unrelated (_unrelated; nor a partial of a third clear tone), each
    heard in ≥ 80 % of the other's frames, levels rising and falling together in each run."""
    tones = [t for t in clear if not any(_is_partial_of(t, other, peaks) for other in clear if other is not t)]
    gap = _split_gap_frames(peaks.hop_s)
    chords = []
    for i, a in enumerate(tones):
        for b in tones[i + 1:]:
            if not _unrelated(a.frequency_hz, b.frequency_hz):
                continue
            both = int(np.count_nonzero(a.frame_on & b.frame_on))
            if both < _CHORD_OVERLAP * max(int(np.count_nonzero(a.frame_on)), int(np.count_nonzero(b.frame_on))):
                continue  # one sounds without the other: a tone and something that joined it now and then
            if _turn_correlation(a, b, gap) >= 0.0:
                chords.append((a, b))
    return chords


def _score(track: _Track) -> float:
    """Strong, steady and sharp beats long: a beeper holds one exact frequency, a voice wanders."""
    return track.on_time_s * max(track.snr_db, 0.0) * track.concentration**2


def _activity_runs(on: NDArray[np.bool_], gap_frames: int) -> list[tuple[int, int]]:
    """(first, end) frames of runs of `on`, bridging gaps of up to `gap_frames` (as RunTracker does)."""
    active = np.flatnonzero(on)
    if len(active) == 0:
        return []
    breaks = np.flatnonzero(np.diff(active) > gap_frames + 1)
    starts = np.concatenate([[active[0]], active[breaks + 1]])
    ends = np.concatenate([active[breaks], [active[-1]]]) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


# A beep of a sequence is told from the next one by a dip this much under the loud frames on both sides of it, even
# where no frame in the pause falls silent: a room's echo fills a short pause (0.11–0.14 s) with the last beep's tail
# (seen 8–15 dB under the beeps in the benchmark's clinic recordings), while a steady beep's own frames stay within
# ±3 dB of each other, noise or not.
_BEEP_DIP_DB = 6.0
# Either side of a dip, at least this many frames (0.128 s): a short beep's own level swings as the room's
# reflections build up with random phases (seen 8 dB within the 0.136 s beeps of quick seed 149's pump1, whose swell
# in the pauses then read as a fourth beep), while a beep long enough to settle holds its level. A pump with shorter
# beeps whose pauses the echo fills is still counted by its silent pauses alone.
_BEEP_MIN_FRAMES = 4


def _held_levels(level: NDArray[np.float64]) -> NDArray[np.float64]:
    """held[j]: the level frames j and j + 1 both hold. A beep's level is what it holds for two frames running: a
    lone loud frame at an onset or an end (the direct sound beating with the first reflections, seen 3–7 dB over the
    beep) makes no dip of the beep, nor its level."""
    return np.minimum(level[:-1], level[1:])


def _beeps(on: NDArray[np.bool_], snr_db: NDArray[np.float64], gap_frames: int) -> list[tuple[int, int]]:
    """(first, end) frames of the beeps in one sounding: runs of `on` (bridging `gap_frames`), split at dips."""
    beeps: list[tuple[int, int]] = []
    pending = _activity_runs(on, gap_frames)
    while pending:
        start, end = pending.pop(0)
        level = np.where(on[start:end], snr_db[start:end], -np.inf)
        split = None
        if end - start >= 2 * _BEEP_MIN_FRAMES + 1:
            held = _held_levels(level)
            inner = np.arange(_BEEP_MIN_FRAMES, end - start - _BEEP_MIN_FRAMES)
            before = np.maximum.accumulate(held)[inner - 2]
            after = np.maximum.accumulate(held[::-1])[::-1][inner + 1]
            depth = np.minimum(before, after) - level[inner]
            if depth.max() >= _BEEP_DIP_DB:
                split = start + int(inner[np.argmax(depth)])
        if split is None:
            beeps.append((start, end))
        else:
            pending[:0] = [(start, split), (split + 1, end)]
    return beeps


# A piece of a sounding held this much under the sounding's loudest beep is the room's echo, not a beep: in a
# reverberant room the tail after a beep (or in a pause) comes back into view once the reverberation gate's half
# second has passed its beep, or a reflection's swell splits from the beep by a dip, and each such piece counted as
# a beep (bench/enrollment.py --hard reverb_heavy, RT60 1.2–2 s: 8 of 30 beep pumps learned 1.3–3 × their beeps,
# seed 263 pump0's one 0.33 s beep at 36–38 dB as two, its tail coming back at 25–28 dB; seed 307 pump2's three
# beeps at 43 dB as four, the fourth at 32 dB). A pump's own beeps of one sounding are held within 4.0 dB of each
# other in every benchmark clinic recording (49 corpora, 465 recordings alone and joined with the critical alarm);
# the echoes measured 6–11 dB under them. The same depth as a dip that splits two beeps.
_BEEP_ECHO_DB = _BEEP_DIP_DB


def _held_db(on: NDArray[np.bool_], snr_db: NDArray[np.float64], beep: tuple[int, int]) -> float:
    """A beep's level as held for two frames running (_held_levels); a beep of one frame, that frame's."""
    level = np.where(on[beep[0]:beep[1]], snr_db[beep[0]:beep[1]], -np.inf)
    return float(np.max(_held_levels(level))) if len(level) > 1 else float(level.max())


def _without_echoes(beeps: list[tuple[int, int]], on: NDArray[np.bool_],
                    snr_db: NDArray[np.float64]) -> list[tuple[int, int]]:
    """The beeps of one sounding (from _beeps) with the room's echoes left out: pieces held more than _BEEP_ECHO_DB
    under the sounding's loudest."""
    if len(beeps) < 2:
        return beeps
    held = [_held_db(on, snr_db, beep) for beep in beeps]
    return [beep for beep, level in zip(beeps, held, strict=True) if level >= max(held) - _BEEP_ECHO_DB]


# A pump's soundings of its beep repeat: a piezo beeper driven by one circuit sounds the same beeps, as long, each
# time, and a clinic demonstrates them alike, at one level. Its loud soundings (within _BEEP_ECHO_DB of the loudest)
# last within 2.0 × of each other in every benchmark clinic recording of the beep (20 non-held-out quick corpora, 180
# recordings alone and joined with the critical alarm: 281 pump0's 0.22–0.45 s, one beep heard whole and another cut
# short by noise; a sequence heard in pieces still spans its whole length). Not where a critical alarm was cut out of
# the recording (outside_critical): its edges leave pieces at the beep's pitch (seed 283 pump0, critical alarm then
# beep: a 0.10 s piece as loud as the 0.45 s soundings). A voice, a TV or music passes a harmonic through the beep's
# pitch in short blips and the odd held note or syllable run, as loud as each other, and those are no alarm: seed 257
# pump0's --hard long recording, 40 s of talk with no pump, was learned as a 2239 Hz beep from blips of 0.06–0.13 s
# beside a 1.2 s run; of 110 pieces of 20–60 s cropped from the benchmark's talk, TV and music backgrounds away from
# their distractor sounds (quick seeds 307 277 281 283 293 257 263 269 271 211 223 227), 48 were learned as a beep,
# and 20 of them are refused here. Only the loud soundings count: a voice's blip at the pitch 9–12 dB under a pump's
# repeated soundings is no sounding of the pump and says nothing of it (--hard, seeds 211, 281, 283: 0.06–0.10 s
# blips beside soundings of 0.4–1.8 s).
_SOUNDING_SPAN_RATIO = 3.0


def _unlike_a_pump(clear_beeps: list[list[tuple[int, int]]], levels_db: list[float]) -> tuple[int, int] | None:
    """The shortest and longest span (frames, from the first beep's start to the last's end, plus one) of the loud
    clear soundings (levels_db: each one's level) when they differ more than a pump's soundings do
    (_SOUNDING_SPAN_RATIO); else None."""
    spans = [beeps[-1][1] - beeps[0][0] + 1 for beeps, level in zip(clear_beeps, levels_db, strict=True)
             if beeps and level >= max(levels_db) - _BEEP_ECHO_DB]
    if len(spans) < 2 or max(spans) <= _SOUNDING_SPAN_RATIO * min(spans):
        return None
    return min(spans), max(spans)


def _enroll_beep(name: str, clear: list[_Track], tracks: list[_Track], duration_s: float,
                 peaks: _Peaks, *, outside_critical: tuple[float, float] | None = None) -> EnrollmentResult:
    """Learn the beep from the strongest steady tone; `outside_critical`: the tones of a critical alarm heard in the
    same recording, which `peaks` already leave out (no second try)."""
    hop_s, frame0_s = peaks.hop_s, peaks.frame_center0_s
    best = _prefer_fundamental(max(clear, key=_score), peaks, where_loud=True)
    partner = _alternating_partner(best, clear, peaks,
                                   changes=_ROUND_CHANGES if outside_critical is not None else _PAIR_CHANGES)
    # The partner may hide in one candidate with a tone 2 % from it (_split_near_tones: the beep beside the
    # critical alarm's low tone): look again with such candidates split.
    if partner is None and not outside_critical and (split := _split_look(peaks, tracks)) is not None \
            and (partner := _alternating_partner(best, split[1], peaks)) is not None:
        tracks, clear = split
    if partner is not None and not outside_critical and not _in_turns(best, partner, peaks):
        raise NoClearAlarmError(
            f"{name}: the strongest steady tone, {best.frequency_hz:.0f} Hz, takes turns with another, "
            f"{partner.frequency_hz:.0f} Hz, part of the time: too seldom for the critical alarm, too often for a beep "
            "sounding alone (a voice or a TV over the demonstration?)",
            hint="record the non-critical alarm again on its own, in a quiet room (no talking, TV off while it "
            "sounds), and let it sound at least twice")
    if partner is not None:
        low, high = sorted((best, partner), key=lambda t: t.frequency_hz)
        wrong_alarm = NoClearAlarmError(
            f"{name}: this sounds like the critical alarm, not the non-critical one: two tones, "
            f"{low.frequency_hz:.0f} Hz and {high.frequency_hz:.0f} Hz, take turns (the non-critical alarm is a "
            "beep at one pitch)",
            hint="if the recording holds the critical alarm, enroll it with --alarm critical; for the non-critical "
            "alarm, record the single beep the pump makes for a low reservoir",
        )
        if outside_critical:
            raise wrong_alarm
        # The clinic may demonstrate both alarms in one visit, and the family record both in one go: then the beep
        # is learned from the rest of the recording, away from the critical alarm's soundings.
        # A sounding heard fainter may take turns only through another pair of the alarm's tones — one tone and
        # the other's harmonic (see _CRITICAL_ROUNDS) — so what is left is looked at again.
        critical = _critical_pair(clear, peaks) or (low, high)
        pair = critical
        rest, rest_tracks, rest_clear = peaks, tracks, clear
        critical_spans: list[tuple[float, float]] = []
        in_turns = pair
        for _ in range(_CRITICAL_ROUNDS):
            rest_before = rest
            rest, found = _without_two_tone_alarm(*pair, rest)
            if not found and in_turns is not pair:
                # The fundamentals show no turns (heard only through their harmonics): the tracks seen taking turns
                rest, found = _without_two_tone_alarm(*in_turns, rest_before)
            if not found:
                break
            critical_spans = sorted(critical_spans + found)
            rest_tracks = _tracks(rest)
            rest_clear = [t for t in rest_tracks if _usable(t) and _is_clear(t)]
            if not rest_clear:
                break
            rest_strongest = max(rest_clear, key=_score)
            rest_best = _prefer_fundamental(rest_strongest, rest)
            rest_partner = _alternating_partner(rest_best, rest_clear, rest, changes=_ROUND_CHANGES)
            turner = rest_best
            if rest_partner is None and rest_best is not rest_strongest:
                turner = rest_strongest
                # A tone heard through its harmonic is that tone: a sounding whose turns show only between the two
                # tones' harmonics (tests/data/clinic-critical-low-tone-under-its-harmonics.flac, third sounding:
                # 1030 Hz's 3rd harmonic 3091 Hz taking turns with 662 Hz's 4th, 2652 Hz, 13 changes; the 1030 Hz
                # fundamental, on for one moment, was learned as a beep).
                # ... but a partner on the fundamental or another of its harmonics is that same tone (the beep's 5th
                # and 3rd harmonics swinging: bench/enrollment.py --both, seed 281 pump1, its 503 Hz beep).
                rest_partner = _alternating_partner(rest_strongest, rest_clear, rest, changes=_ROUND_CHANGES)
                if rest_partner is not None and not _distinct_tones(rest_best.frequency_hz,
                                                                    rest_partner.frequency_hz):
                    rest_partner = None
            if rest_partner is None:
                break
            lower, higher = sorted((turner, rest_partner), key=lambda t: t.frequency_hz)
            in_turns = (lower, higher)
            pair = _critical_pair(rest_clear, rest) or in_turns
        # What is left of the critical alarm at its own two pitches, wherever both still sound in one run (a
        # sounding whose turns showed in no pair above: quick seed 31 pump0, two reverberant soundings whose high
        # tone read 1014 and 1030 Hz by turns, left in and learned as a 1030 Hz "beep"; split, as one candidate
        # that tone was no steady segment).
        if critical_spans and rest_clear and (echo := _tones_near(_tracks(rest, split=True), critical)) is not None:
            rest, found = _without_two_tone_alarm(*echo, rest, turn_frames=_turn_frames(*critical, hop_s))
            if found:
                critical_spans = sorted(critical_spans + found)
                rest_tracks = _tracks(rest)
                rest_clear = [t for t in rest_tracks if _usable(t) and _is_clear(t)]
        if not critical_spans:
            # The two took turns, but never for a whole burst of the critical alarm (_ROUND_CHANGES changes or more)
            # nor in a run where both held their share: no sounding of that alarm here. The strongest tone took
            # turns with another sound in short runs — a voice, a TV, music, the programmer's keys (bench/
            # enrollment.py --hard: 5 of the 7 beep recordings refused as "the critical alarm", each a pump's beep
            # beside a voice, TV or key beeps; none of 90 benchmark clinic recordings of the critical alarm offered
            # as the beep ends here: each showed two soundings or more). Saying "the critical alarm" sent the
            # family to enroll a beep as the critical alarm.
            raise NoClearAlarmError(
                f"{name}: the strongest steady tone, {best.frequency_hz:.0f} Hz, takes turns with another, "
                f"{partner.frequency_hz:.0f} Hz, in short runs, never for a whole burst of the critical alarm: "
                "another sound over the demonstration (a "
                "voice, a TV, music or the programmer's key beeps?), and nothing tells which tone is the pump's",
                hint="record the non-critical alarm again on its own, in a quiet room (no talking, TV and music "
                "off, no keys pressed while it sounds), and let it sound at least twice")
        if not rest_clear:
            raise wrong_alarm
        try:
            result = _enroll_beep(name, rest_clear, rest_tracks, duration_s, rest,
                                  outside_critical=(critical[0].frequency_hz, critical[1].frequency_hz))
        except _TooFaintError as faint:
            if min(critical[0].snr_db, critical[1].snr_db) < _MIN_LEARNED_SNR_DB:
                raise  # the "critical alarm" is faint too: music or a TV taking turns (--hard music, seed 263 pump1)
            # The critical alarm was found here (its two tones taking turns, at `critical_spans`) and left out, and
            # what is left is only faint (a voice's harmonic, the room): the family most likely recorded the critical
            # alarm with --alarm non_critical. "Too faint, record again" sent them to record the same alarm again.
            # Measured (/work/tmp/msg19/probe.py, 30 non-held-out quick corpora: the 25 dev seeds and 5 7 11 13
            # 17): of the 90 clinic recordings of the critical alarm offered as the beep, 40 ended here (the rest
            # "clearest tonal pattern" 14–20 dB, one "too weak"), every one with the critical pair in turns 96–100 %
            # of the time, both tones 25–45 dB, 2–3 soundings found (all 40 now get this message). None of those
            # corpora's 90 beep recordings ends here; of the 13 bench/enrollment.py --hard beep recordings refused
            # as too faint on the 10 fresh dev seeds, one does: seed 263 pump1 music, a beep whose 1322 / 1667 Hz
            # "critical alarm" is the music's, 17 and 24 dB. So both tones must stand as loud as anything learned
            # (_MIN_LEARNED_SNR_DB, as the critical alarm's own enrollment asks of the pair on average): the real
            # ones stood 25 dB or more.
            where = ", ".join(f"{start:.1f}–{end:.1f} s" for start, end in critical_spans)
            raise NoClearAlarmError(
                f"{name}: this sounds like the critical alarm, not the non-critical one: two tones, "
                f"{critical[0].frequency_hz:.0f} Hz and {critical[1].frequency_hz:.0f} Hz, take turns (at {where}), "
                "and no beep stands clear beside them (the non-critical alarm is a beep at one pitch)",
                hint=wrong_alarm.hint) from faint
        # The clinic demonstrates both alarms alike (the same pump, phone and room): their tones stand within
        # 15 dB of each other in every benchmark recording of both (bench/enrollment.py --both, the critical alarm's
        # SNR minus the beep's −14…+9 dB). A "beep" far fainter than the "critical alarm" is something else in the
        # room, and that alarm is the beep taking turns with it (--hard nurse_loud, seed 257 pump1: the pump's three
        # 4020 Hz beeps at 50 dB "took turns" with a voice's 1234 Hz, and the voice's 1232 Hz, 23 dB, was learned).
        # Only a faint "beep" (under 30 dB, where voices lie; a demonstration close by gives 24–45 dB): in a
        # recording as clean as a synthetic one the two alarms' levels differ by more and say nothing
        # (tests/test_bench.py's pump: 2200 Hz beeps and 1200 / 1600 Hz tones over a faint pink floor).
        loudest = max(critical[0].snr_db, critical[1].snr_db)
        if result.snr_db < min(loudest - _BESIDE_CRITICAL_DB, _MIN_LEARNED_SNR_DB + 10.0):
            raise NoClearAlarmError(
                f"{name}: the tones {critical[0].frequency_hz:.0f} Hz and {critical[1].frequency_hz:.0f} Hz take turns "
                f"here as the critical alarm's do, and the only other steady tone, {result.frequencies_hz[0]:.0f} Hz, "
                f"stands {loudest - result.snr_db:.0f} dB under them: too faint to be the pump's beep demonstrated "
                "beside it (a voice or another sound)",
                hint="record the non-critical alarm again on its own, in a quiet room (no talking while it sounds); "
                "if this recording holds the critical alarm, enroll it with --alarm critical")
        where = ", ".join(f"{start:.1f}–{end:.1f} s" for start, end in critical_spans)
        tones = f"{critical[0].frequency_hz:.0f} Hz and {critical[1].frequency_hz:.0f} Hz"
        result.notes.insert(0, f"this recording also holds the critical alarm ({tones} taking turns, at {where}): "
                               "the beep was learned from the rest of it; learn the critical alarm from it with "
                               "--alarm critical")
        return result
    on = best.frame_on & (best.frame_snr_db >= _MIN_CLEAR_SNR_DB - 2)
    # Soundings: runs of the tone with pauses up to 0.6 s (a sequence's own pauses; clinics pause longer between
    # demonstrations). Inside, the pauses and beeps the frontend saw.
    runs = [(a, b) for a, b in _activity_runs(on, round(0.6 / hop_s)) if b - a >= 2]
    if not runs:
        raise _TooFaintError(f"{name}: the strongest tone ({best.frequency_hz:.0f} Hz) is too weak to learn from")
    spans = [(b - a) * hop_s for a, b in runs]
    if min(spans) > 10.0:
        raise NoClearAlarmError(f"{name}: the strongest tone ({best.frequency_hz:.0f} Hz) is one long steady tone, "
                                "not a beep")
    beeps_per_run = []
    run_beeps = []
    inner_gaps = []
    fills = []
    for a, b in runs:
        beeps = _beeps(on[a:b], best.frame_snr_db[a:b], 0)
        run_beeps.append([(a + x0, a + x1) for x0, x1 in beeps])
        beeps_per_run.append(len(beeps))
        inner_gaps += [(y0 - x1) * hop_s for (_, x1), (y0, _) in itertools.pairwise(beeps)]
        fills.append(100.0 * np.count_nonzero(on[a:b]) / (b - a))
    # A pump that beeps a sequence is heard as a sequence: every sounding at home must hold two beeps' worth (the
    # shortest beep-to-beep onset interval, × 0.7 for timing slack and a beep's edge lost to noise). One beep of the
    # sequence lost to noise is fine; a lone blip at the pitch is speech, TV or music. Measured over the benchmark's
    # 9 corpora before this: 719 of 723 true soundings of 2- and 3-beep pumps reported spanned a beep plus 70 % of
    # the pause, while 20 of the 64 false detections for those pumps were a single short blip (quick seed 5's
    # 3-beep pump: 32 false detections in 40 min, many 0.13–0.19 s long, with span_min_s calibrated down to 0.064).
    # Only for three beeps or more: a two-beep pump with one beep lost to noise is a lone beep, and asking for both
    # lost quick seeds 13 and 7 (two-beep pumps, 0.42 s beeps 0.2 s apart and 0.06 s ones) a sounding at -10 dB and
    # three at -15/-20 dB that main heard, for 3 false detections fewer. And only when every clear sounding
    # demonstrated was a sequence: a single-beep pump keeps its one-beep minimum. A
    # faint blip at the pitch far under the demonstrations is no sounding of its own (quick seed 5's clinic
    # recording of that pump: three beeps at 39 dB twice, then one 60 ms blip at 14 dB).
    run_snr_db = [float(best.frame_snr_db[a:b][on[a:b]].mean()) for a, b in runs]
    run_is_clear = [snr >= max(run_snr_db) - _SEQUENCE_CLEAR_DB for snr in run_snr_db]
    clear_runs = list(itertools.compress(runs, run_is_clear))
    # Told apart bridging one-frame dropouts (32 ms), which split a beep, not the pump's pauses between beeps.
    # The room's echoes left out (_without_echoes): they are no beeps of the pump, for the count nor the rhythm.
    clear_beeps = [_without_echoes(_beeps(on[a:b], best.frame_snr_db[a:b], 1), on[a:b], best.frame_snr_db[a:b])
                   for a, b in clear_runs]
    sequence_span_min_s = None
    # How many beeps the pump sounds, from the clear soundings too: faint blips at the pitch (voices, the room; one
    # beep each) outnumbered a 3-beep pump's three clear soundings in a recording of both alarms (quick seed 113
    # pump1: 1, 1, 3, 3, 2, 1 beeps, learned as 1), and a 3-beep pump learned as 1 needs only one beep at home.
    # The usual count, and of counts shown equally often the fewest: a clear demonstration loses no whole beep, but a
    # room's notch at the pitch splits one in two (quick seed 269's pump0: three 0.45 s beeps heard once as 3 and once
    # as 6 pieces; the median, 4, was neither, and the 6 pieces' rhythm, 0.41 s, half the pump's).
    # One count for both the sequence's minimum span and beeps_at_enrollment (the span's once read the median of the
    # counts without bridging one-frame dropouts: no profile of the benchmark's 144 non-held-out pumps changed).
    counts = collections.Counter(len(beeps) for beeps in clear_beeps)
    usual = max(counts, key=lambda n: (counts[n], -n))
    if usual >= _SEQUENCE_MIN_BEEPS and all(len(beeps) >= 2 for beeps in clear_beeps):
        sequence_span_min_s = round(_SEQUENCE_SPAN_FRACTION * hop_s * min(
            y0 - x0 for beeps in clear_beeps for (x0, _), (y0, _) in itertools.pairwise(beeps)), 3)
    # The sequence's rhythm (a pump that beeps two or more times; see beep_interval_s): from the clear soundings that
    # show the usual number of beeps, the time from the first beep to the last over the pauses between, halfway
    # between measuring at the starts and at the ends (a room's echo blurs where a beep ends, noise and a short pause
    # where one starts; consecutive starts alone were measured 0.08 s off for a pump with 0.14 s pauses).
    # Only for a pump learned to beep a sequence (beeps_at_enrollment, from the same clear soundings): a single beep
    # broken into two pieces in one demonstration (a room's notch at the pitch, a noise) shows "two beeps" as often
    # as the whole beep in another, and an interval learned from that piece asks every sounding at home that is
    # heard in pieces to keep a rhythm the pump never had (quick seed 229's pump2: one 0.43 s beep, heard once whole
    # and once as 0.16 s + 0.13 s pieces 0.26 s apart, learned a 0.40 s interval; its soundings at -10 dB heard in
    # pieces were refused as off_rhythm).
    beeps_at_enrollment = usual
    beep_interval_s = None
    if usual >= 2 and beeps_at_enrollment >= 2:
        beep_interval_s = round(hop_s * float(np.median([
            (beeps[-1][0] - beeps[0][0] + beeps[-1][1] - beeps[0][1]) / (2 * (usual - 1))
            for beeps in clear_beeps if len(beeps) == usual])), 3)
    gap_max = min(0.6, max(0.25, (max(inner_gaps) if inner_gaps else 0.0) + 0.2))
    mask = np.zeros_like(on)
    for a, b in runs:
        mask[a:b] = on[a:b]
    frequency, pitch_spread_hz = _learned_pitch(best, mask, round(_PITCH_SOUNDING_GAP_S / hop_s))
    snr_db = float(best.frame_snr_db[mask].mean())
    _check_learned_snr(name, f"{frequency:.0f} Hz", snr_db)
    # After the level check: a recording refused there gets enroll()'s second look first.
    clear_levels_db = [float(np.max(np.where(on[a:b], best.frame_snr_db[a:b], -np.inf))) for a, b in clear_runs]
    if outside_critical is None and (unlike := _unlike_a_pump(clear_beeps, clear_levels_db)) is not None:
        shortest_s, longest_s = (hop_s * (span - 1) for span in unlike)
        raise NoClearAlarmError(
            f"{name}: no steady alarm tone found: the steadiest tone, {frequency:.0f} Hz, came and went "
            f"{len(clear_beeps)} times, for {shortest_s:.2f} s one time and {longest_s:.2f} s another; a pump's "
            "beep sounds the same each time (the same beeps, as long), so this is most likely a voice, a TV or music",
            hint="record the non-critical alarm again on its own, in a quiet room (no talking, TV and music off), "
            "and let it sound at least twice")
    # One segment per beep heard, so the report says how many beeps each sounding held.
    soundings = [Sounding([Segment(frame0_s + (a - 0.5) * hop_s, frame0_s + (b - 0.5) * hop_s, frequency,
                                   float(best.frame_snr_db[a:b][on[a:b]].mean())) for a, b in beeps])
                 for beeps in run_beeps]
    harmonics = _harmonics_of(frequency, [t for t in tracks if t is not best], best)
    # How much the beep's pitch strayed frame to frame here: at home it may stray a few times as much (a fainter
    # beep's pitch is measured less exactly) before a sounding is taken for a voice or a tune drifting about it.
    # Measured on the clear soundings only: a blip at the pitch far under them (a voice, the room) is no sounding
    # of the pump's and strays as it likes (9 of 110 benchmark clinic recordings held one, 13–17 dB against 30–45;
    # quick seed 193's pump1 learned a 30.6 Hz allowance from one at 14.6 dB where its beeps strayed 0.1–0.2 Hz).
    scatter_hz = max(pitch_scatter_hz(best.frame_frequency_hz[a:b][on[a:b]]) for a, b in clear_runs)
    # The critical alarm demonstrated in the same recording (its two tones taking turns, without the beep) and what
    # is left of one cut out of it (a tone's echo, a harmonic) are that alarm's, no other beeper (quick seed 277
    # pump1, both alarms: its 1118 / 1486 Hz and their harmonics, up to 5585 Hz, beside the 4123 Hz beep).
    rivals = _competing_beeps(best, clear)
    critical_tones = outside_critical
    if rivals and critical_tones is None and (alarm := _critical_pair(clear, peaks)) is not None \
            and all(abs(best.frequency_hz / tone.frequency_hz - 1) > 0.01 for tone in alarm):
        critical_tones = (alarm[0].frequency_hz, alarm[1].frequency_hz)
    if critical_tones is not None:
        rivals = [other for other in rivals if all(_unrelated(other.frequency_hz, tone) for tone in critical_tones)]
    if rivals:
        other = rivals[0]
        raise NoClearAlarmError(
            f"{name}: two different steady beeps come and go in this recording, {frequency:.0f} Hz "
            f"({len(best.segments)} times, {best.snr_db:.0f} dB) and {other.frequency_hz:.0f} Hz "
            f"({len(other.segments)} times, {other.snr_db:.0f} dB), and nothing tells which one is the pump",
            hint="record the non-critical alarm again on its own: no phone ringing, no clinician programmer or other "
            "device beeping, no music or TV while it sounds, and let it sound at least twice")
    notes = []
    if len(soundings) == 1:
        notes.append("only one sounding found; a recording with two or more soundings gives a surer signature")
    notes += [f"another steady beep, {other.frequency_hz:.0f} Hz, comes and goes in this recording too "
              f"({len(other.segments)} times, {other.snr_db:.0f} dB): if that one is the pump, not "
              f"{frequency:.0f} Hz, record the alarm on its own (a clinician programmer or a phone beeps too)"
              for other in _rival_beeps(best, clear)]
    signature = BeepSignature(
        frequency_hz=round(frequency, 1),
        tolerance_pct=_TOLERANCE_PCT,
        # The pump's beeps come back within ±0.5 % of the learned frequency (benchmark corpus; the pump sits at
        # body temperature, at the clinic as at home); tonal clutter spreads over the whole band and a musical note
        # lands within ±1 % of it now and then, so a beep's own tolerance is tighter than a two-tone burst's (whose
        # ratio is checked too). Low tones get at least 0.3 bin (the detector's floor).
        mean_tolerance_pct=0.7,
        min_snr_db=_DETECT_SNR_DB,
        beep_min_s=0.06,
        # A sequence may be heard in part (a lost beep); a single beep is about its own length, echo or not.
        span_min_s=round(max(0.1, (0.35 if max(beeps_per_run) > 1 else 0.65) * min(spans), sequence_span_min_s or 0.0),
                         3),
        span_max_s=round(min(60.0, 1.5 * max(spans) + 0.4), 3),
        gap_max_s=round(gap_max, 3),
        fill_min_pct=round(0.45 * float(np.median(fills)), 1),
        count_max=min(50, max(beeps_per_run) + 2),
        quiet_after_s=2.5,
        beeps_at_enrollment=beeps_at_enrollment,
        beep_interval_s=beep_interval_s,
        pitch_scatter_max_hz=round(max(_SCATTER_MIN_HZ, _SCATTER_SLACK * scatter_hz), 2),
        pitch_spread_hz=None if pitch_spread_hz is None else round(pitch_spread_hz, 2),
        verified=True,
        enrolled_from=Path(name).name,
        snr_at_enrollment_db=round(snr_db, 1),
        soundings_at_enrollment=len(soundings),
        harmonics_hz=tuple(harmonics),
    )
    return EnrollmentResult(alarm=AlarmKind.NON_CRITICAL, signature=signature, soundings=soundings,
                            frequencies_hz=(round(frequency, 1),), harmonics_hz=tuple(harmonics),
                            snr_db=snr_db, duration_s=duration_s, notes=notes,
                            sequence_span_min_s=sequence_span_min_s)


# Share of the beep's sounding time that must lie in two-tone bursts (_PAIR_CHANGES or _ROUND_CHANGES changes or
# more) with another clear tone before the recording is taken for the critical alarm. A true beep never takes turns
# with another steady tone; the tones of a critical alarm do so all the time (the bursts hold 90 % of their time and
# more in the benchmark's recordings).
_ALTERNATING_SHARE = 0.5
_BESIDE_CRITICAL_DB = 20.0
# A two-tone burst of the critical alarm holds at least this many changes: a pump whose bursts are three tones
# (quick seed 197 pump0: tones of 0.49 s in bursts of 1.54 s) shows two. Asking three left that pump's soundings,
# whose high tone is its beep's pitch, in a recording of both alarms: they were learned as beeps, at the turns'
# rhythm (1.42 × the beep's).
_PAIR_CHANGES = 2
# ... but once the critical alarm is found and left out, what remains is mostly the beep, and a beep sounding beside
# a voice may take two turns with it: the further rounds (_CRITICAL_ROUNDS) and the bursts left out ask three
# (quick seeds 151 pump1 and 197 pump2, recordings of both alarms, each lost a beep sounding with two).
_ROUND_CHANGES = 3


def _in_turns(best: _Track, partner: _Track, peaks: _Peaks) -> bool:
    """Do `best` and its alternating partner sound as the critical alarm's two tones do, in turns most of the time
    either is heard (_MIN_SHARE_IN_TURNS, as _enroll_two_tone asks)? If not, `best` took turns with something beside
    it now and then: a nurse talking loudly over the demonstration (bench/enrollment.py --hard nurse_loud, seed 307
    pump0: the 3123 Hz beep "took turns" with a voice at 2608 Hz in 49 % of their time; the beep's soundings were cut
    out as a critical alarm and a voice's 1229 Hz learned from the rest). Enrolled as critical, such a recording is
    refused for the same share; as the beep too, since `best` may as well be the TV's tone (seed 283 pump2, tv:
    3005 Hz, 20 dB, taking turns with 3303 Hz; the pump's 4436 Hz beep never a clear tone)."""
    low, high = sorted((best, partner), key=lambda t: t.frequency_hz)
    bursts = _two_tone_bursts(low, high, _split_gap_frames(peaks.hop_s))
    return _share_in_turns(low, high, bursts) >= _MIN_SHARE_IN_TURNS


def _alternating_partner(best: _Track, clear: list[_Track], peaks: _Peaks, *,
                         changes: int = _PAIR_CHANGES) -> _Track | None:
    """Another clear tone that takes turns with `best` in two-tone bursts most of the time: then the recording
    holds the critical alarm, and learning one of its tones as a beep would be a silent, wrong signature."""
    split_gap = _split_gap_frames(peaks.hop_s)
    best_frames = max(1, int(np.count_nonzero(best.frame_on)))
    for other in clear:
        if not _could_pair(best, other):
            continue  # the same tone, a partial of it, or too far apart
        if _level_correlation(best, other) >= 0.0:
            continue
        low, high = sorted((best, other), key=lambda t: t.frequency_hz)
        in_bursts = np.zeros_like(best.frame_on)
        for burst in _two_tone_bursts(low, high, split_gap):
            if burst.changes >= changes:
                in_bursts[burst.start_frame : burst.end_frame] = True
        if np.count_nonzero(in_bursts & best.frame_on) >= _ALTERNATING_SHARE * best_frames:
            return other
    return None


# A two-tone run with fewer changes than this share of the recording's usual burst is left out of the critical
# alarm's enrollment (see _enroll_two_tone).
_STRAY_BURST_SHARE = 0.25
_WHOLE_BURST_SHARE = 0.5
# The fewest changes (turns from one tone to the other) the critical alarm's typical burst holds (_enroll_two_tone).
_MIN_TYPICAL_CHANGES = 2
# A critical alarm's sounding is left out of a beep's enrollment from this long before its first burst to this long
# after its last (a room's echo, and a burst's faint start under the noise, belong to it too).
_CRITICAL_MARGIN_S = 1.5
# Each of the critical alarm's soundings is left out where its two tones take turns, but a fainter one may show the
# turns only through another pair: quick seed 211 pump1 (678 / 981 Hz, the low tone's 5th harmonic 3390 Hz as loud as
# it; beep 3922 Hz, on the high tone's 4th harmonic) — in a clinic recording of both alarms the pair 678 / 981 Hz took
# turns in two of the three critical soundings, and in the third (the faintest, 10 dB) 983 Hz took turns with 3397 Hz:
# left in, it was "the critical alarm" and the beep was refused. So the rest is looked at again, up to this many
# pairs in all (a beep never takes turns with another tone).
_CRITICAL_ROUNDS = 3
# A run where each of the critical pair's tones holds at least this share of the frames either sounds is a sounding
# of the critical alarm (see _without_two_tone_alarm).
_BOTH_TONES_SHARE = 0.2


def _tones_near(tracks: list[_Track], pair: tuple[_Track, _Track]) -> tuple[_Track, _Track] | None:
    """For each tone of `pair`, the track among `tracks` within ±1 % of it that sounds the most (None if one has
    none)."""
    found = []
    for tone in pair:
        near = [t for t in tracks if t.segments and abs(t.frequency_hz / tone.frequency_hz - 1) <= 0.01]
        if not near:
            return None
        found.append(max(near, key=lambda t: int(np.count_nonzero(t.frame_on))))
    return found[0], found[1]


def _turn_frames(low: _Track, high: _Track, hop_s: float) -> float:
    """The median turn (frames) in the bursts (_ROUND_CHANGES or more) where `low` and `high` take turns; 0 if none."""
    turns = [end - start for b in _two_tone_bursts(low, high, _split_gap_frames(hop_s))
             if b.changes >= _ROUND_CHANGES for _, start, end in b.tones]
    return float(np.median(turns)) if turns else 0.0


def _without_two_tone_alarm(low: _Track, high: _Track, peaks: _Peaks, *,
                            turn_frames: float = 0.0) -> tuple[_Peaks, list[tuple[float, float]]]:
    """`peaks` without the frames of the critical alarm's soundings (two-tone bursts of `low` and `high` with
    _ROUND_CHANGES changes or more, and runs where both sound for half a turn or more: see below; bursts closer than a
    sounding's pause taken as one sounding), and those soundings' times (seconds). `turn_frames`: the alarm's
    turn, when these bursts show none."""
    hop_s = peaks.hop_s
    split_gap = _split_gap_frames(hop_s)
    runs = [(b.start_frame + b.tones[0][1], b.start_frame + b.tones[-1][2])
            for b in _two_tone_bursts(low, high, split_gap) if b.changes >= _ROUND_CHANGES]
    # ... and every run where both tones sound, each for half a turn of the alarm or more and in a good share of
    # the run, clear turns or not: a beep is one pitch, and a sounding of the critical alarm heard faintly or
    # in a reverberant corner may show its turns only in pieces (quick seed 257 pump0: a sounding whose first burst
    # broke into runs of 1–2 changes; seed 31 pump0: two soundings whose tones rang through each other, no burst
    # with a swing of 6 dB). Left in, they were "the beep": the critical alarm's low tone (257) or high tone (31)
    # learned as the beep. (A beep sounding beside a blip at each tone is no such run: quick seed 31 pump2, two
    # frames of each beside its 1262 Hz beep, whose turns last 9 frames.)
    turn = _turn_frames(low, high, hop_s) or turn_frames
    for start, end in _activity_runs(low.frame_on | high.frame_on, split_gap) if turn > 0 else []:
        low_on = int(np.count_nonzero(low.frame_on[start:end]))
        high_on = int(np.count_nonzero(high.frame_on[start:end]))
        if min(low_on, high_on) >= max(2.0, 0.5 * turn, _BOTH_TONES_SHARE * (low_on + high_on)):
            runs.append((start, end))
    soundings: list[list[int]] = []
    for first, last in sorted(runs):
        if soundings and (first - soundings[-1][1]) * hop_s <= _SOUNDING_GAP_S:
            soundings[-1][1] = max(soundings[-1][1], last)
        else:
            soundings.append([first, last])
    margin = round(_CRITICAL_MARGIN_S / hop_s)
    drop = np.zeros(peaks.frames + 2, dtype=bool)
    for first, last in soundings:
        drop[max(0, first - margin) : last + margin] = True
    keep = ~drop[peaks.frame]
    rest = dataclasses.replace(peaks, frame=peaks.frame[keep], frequency_hz=peaks.frequency_hz[keep],
                               snr_db=peaks.snr_db[keep])
    spans = [(peaks.frame_center0_s + (first - 0.5) * hop_s, peaks.frame_center0_s + (last - 0.5) * hop_s)
             for first, last in soundings]
    return rest, spans


def _rival_beeps(best: _Track, clear: list[_Track]) -> list[_Track]:
    """Other clear, steady tones that come and go nearly as much as the learned one and are none of its partials
    (nor it one of theirs): another beeper in the room, which the user should hear about."""
    rivals = []
    for other in clear:
        if not _distinct_tones(best.frequency_hz, other.frequency_hz) or len(other.segments) < 2:
            continue
        if _score(other) >= _RIVAL_SCORE * _score(best):
            rivals.append(other)
    return sorted(rivals, key=_score, reverse=True)[:2]


_RIVAL_SCORE = 0.5
# A rival this close to the learned beep's loudness (dB): another beeper, not a voice. The rivals in the benchmark's
# clinic recordings are voices' steady vowels, 14–18 dB against the pump's 30–46 dB (12 dB under it and more, quick
# seeds 307 … 157; in a recording of both alarms a voice may sound as long as the beep: 229 pump0's 859 Hz, 10
# times, so a rival's time on says nothing); a phone's ring tone recorded over
# a demonstration (bench/enrollment.py --hard phone_ring, seed 307 pump1: 440 Hz, 2 s on, 31 dB against the pump's
# 42 dB) was learned as the beep for its longer time on.
_COMPETING_DB = 6.0


def _competing_beeps(best: _Track, clear: list[_Track]) -> list[_Track]:
    """Other clear, steady tones, no harmonics of the learned beep nor it of them, that come and go (two soundings
    or more, _PITCH_SOUNDING_GAP_S apart) and are as loud as it (within _COMPETING_DB), not sounding with it (a
    partial of the pump's own, or a chord the pump is in): another beeper. Nothing in a recording tells which of two
    such beepers is the pump, so enrollment refuses."""
    competing = []
    for other in clear:
        low_hz, high_hz = sorted((best.frequency_hz, other.frequency_hz))
        # Another tone, not the beep's harmonic (2nd … 5th). Two partials of one tone (a 4 : 3 pair) sound together,
        # which the test below leaves out; two beepers 4 : 3 apart that never do are two (seed 269 pump2, --hard
        # programmer: key beeps at 1870 Hz, the pump's 2510 Hz).
        if other is best or high_hz / low_hz < 1.04 or _on_low_harmonic(high_hz, low_hz) \
                or len(_group(other.segments, _PITCH_SOUNDING_GAP_S)) < 2:
            continue  # a key beep or two of a clinician programmer, once: no alarm that repeats
        # Sounding together (a partial of the pump's own): in half of each other's frames or more, counted by frame,
        # since a 2 s ring tone "overlaps" every short beep inside it (seed 263 pump2, --hard phone_ring).
        both = int(np.count_nonzero(other.frame_on & best.frame_on))
        if both >= 0.5 * max(int(np.count_nonzero(other.frame_on)), int(np.count_nonzero(best.frame_on))):
            continue
        if other.snr_db >= best.snr_db - _COMPETING_DB:
            competing.append(other)
    return sorted(competing, key=_score, reverse=True)


def _calibrate_beep(result: EnrollmentResult, recording: str | Path, *, rate_hz: int | None,
                    sample_format: str | None) -> bool:
    """Hear the recording again with the non-critical detector itself and narrow the sounding's bounds to what it
    heard: how long a sounding lasts (span) and how long its tone is heard (at least half of one beep). Returns
    whether it heard any of the soundings.

    The detector measures a sounding its own way (the frames within 12 dB of its loudest, so a room's echo and
    the recording's noise hardly count); learning the bounds with that same ruler lets them be tight — music notes
    and phone tones at the beep's pitch come in every length, the pump's beep in one. Slack covers a home room
    more reverberant than the clinic and a beep half lost in noise.
    """
    signature = result.signature
    assert isinstance(signature, BeepSignature)
    detector = NonCriticalDetector(signature, verified=True, keep_heard=True)
    frontend = Frontend(rate_hz=INTERNAL_RATE_HZ, min_hz=min(b.low_hz for b in detector.bands()),
                        max_hz=max(b.high_hz for b in detector.bands()))
    detector.attach(frontend)
    with open_audio(recording, rate_hz=rate_hz, sample_format=sample_format) as source:
        for samples in source.blocks(4.0):
            block = frontend.feed(samples)
            if block is not None:
                detector.process(block)
    detector.finish(frontend.flush())
    assert detector.heard is not None
    at_soundings = [h for h in detector.heard
                    if any(h.start_s < s.end_s + 0.5 and h.end_s > s.start_s - 0.5 for s in result.soundings)]
    heard = [h for h in at_soundings if h.reason in ("", "cluttered")]
    # The pump's own beep heard with another tone, as loud and as prominent, rising with it (the detector's
    # "accompanied", ACCOMPANIED_ONSET_DB): that tone may be the pump's own (a piezo with a second partial within
    # half an octave of its pitch). A room's echo lifts one frequency and lowers another by several dB from one
    # sounding to the next, so such a pump may pass in some soundings and not in others: one sounding heard so is
    # enough to turn the test off for this pump (a voice at the clinic that happened to start with a beep costs
    # only the test, never the pump's beep).
    accompanied = [h for h in at_soundings if h.reason == "accompanied"]
    sounds_alone = not accompanied
    if not sounds_alone:
        heard += accompanied
        result.notes.append("another tone sounded with the beep, as loud and as prominent: taken for the pump's own "
                            "(a sounding with another tone near its pitch is not refused)")
    if not heard:
        result.notes.append("the detector did not hear the soundings again as a whole; wider length bounds kept")
        return False
    beeps = max(1, signature.beeps_at_enrollment or 1)
    heard_min_s = round(_HEARD_FRACTION * min(h.heard_s for h in heard) / beeps, 3)
    result.signature = signature.model_copy(update={
        # The shortest sounding is the shortest tone heard: a faint single beep may show only its loud middle. A
        # sequence still must hold two beeps' worth (see sequence_span_min_s in _enroll_beep).
        "span_min_s": max(min(signature.span_min_s, heard_min_s), result.sequence_span_min_s or 0.0),
        "span_max_s": round(min(signature.span_max_s, _SPAN_SLACK * max(h.end_s - h.start_s for h in heard)
                                + _SPAN_SLACK_S), 3),
        "heard_min_s": heard_min_s,
        "sounds_alone": sounds_alone,
    })
    return True


@dataclass
class _Burst:
    start_frame: int
    end_frame: int
    labels: NDArray[np.int8]  # per frame of the burst: 0 none, 1 low, 2 high
    tones: list[tuple[int, int, int]]  # (label, first, end) relative to start_frame
    swing_db: float

    @property
    def changes(self) -> int:
        return len(self.tones) - 1


def _split_gap_frames(hop_s: float) -> int:
    """A first split into bursts: silences over 0.3 s (in frames) part them, before the recording's own gap is known."""
    return max(1, round(0.3 / hop_s))


def _two_tone_bursts(low: _Track, high: _Track, gap_frames: int) -> list[_Burst]:
    """Runs of frames where either tone sounds (gaps up to `gap_frames` bridged), split into turns the same way
    the critical detector does (monitord.detectors.critical.split_two_tones)."""
    active = np.flatnonzero(low.frame_on | high.frame_on)
    if len(active) == 0:
        return []
    breaks = np.flatnonzero(np.diff(active) > gap_frames + 1)
    starts = np.concatenate([[active[0]], active[breaks + 1]])
    ends = np.concatenate([active[breaks], [active[-1]]]) + 1
    bursts = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        split = split_two_tones(low.frame_on[start:end], high.frame_on[start:end],
                                low.frame_snr_db[start:end].astype(np.float32),
                                high.frame_snr_db[start:end].astype(np.float32))
        if split is None:
            continue
        labels, tones, swing = split
        if len(tones) >= 2 and swing >= MIN_SWING_DB:
            bursts.append(_Burst(start, end, labels, tones, swing))
    return bursts


# The closest two tones a critical signature can hold (TwoToneSignature: 2.5 tolerances apart, so a frame of one is
# never within the other's band). A pair closer than this is no pair the detector could hear: a hi-lo siren recorded
# in a room (bench/corpus.py's siren_hilo) offered its 836 / 872 Hz partials, 4.3 % apart, and enrollment stopped
# with the profile's validation error (exit 70) instead of learning another pair or refusing.
_MIN_PAIR_RATIO = 1.0 + 2.5 * _TOLERANCE_PCT / 100.0


def _turn_correlation(low: _Track, high: _Track, gap_frames: int) -> float:
    """Correlation of two tracks' frame levels (SNR, 0 dB where a track is off) within each run where either
    sounds (gaps of up to `gap_frames` bridged): each tone's level is taken relative to its own mean in that run.
    Negative for tones taking turns, positive for partials of one tone or a chord.

    Within the run, not over the whole recording: how loud one sounding is against another (the pump nearer or
    turned, the room's noise) lifts both tones together and says nothing of whether they take turns. With short
    turns in a reverberant room both tones ring in nearly every frame of a burst, so their turns show only as a
    few dB of swing, and those soundings' differences in loudness outweighed them: quick seed 307 pump2 (2016 /
    2687 Hz, turns of 0.136 s, its second sounding 8 dB louder than its first) measured +0.07 over the recording,
    −0.21 within its bursts, and its clinic recording was refused as holding no two tones in turns."""
    either = low.frame_on | high.frame_on
    x = np.where(low.frame_on, low.frame_snr_db, 0.0)
    y = np.where(high.frame_on, high.frame_snr_db, 0.0)
    xs, ys = [], []
    for start, end in _activity_runs(either, gap_frames):
        inside = either[start:end]
        if np.count_nonzero(inside) < 2:
            continue
        run_x, run_y = x[start:end][inside], y[start:end][inside]
        xs.append(run_x - run_x.mean())
        ys.append(run_y - run_y.mean())
    if not xs:
        return 0.0
    return _correlation(np.concatenate(xs), np.concatenate(ys))


# The share of the frames where either tone of a critical pair sounds that must lie in the bursts where the two take
# turns. The critical alarm's two tones are heard only in its bursts: 73–100 % of the pair's frames lie in them in
# every clinic-critical recording of the benchmark (quick seed 31 pump1 lowest, a stray 1427 Hz outside), 69 % and
# more with the pump's beep recorded in the same file (bench/enrollment.py --both; seed 197 pump0's 3703 Hz beep
# sits on its high tone). A beep recording offered as the critical alarm pairs the beep with something that sounded
# beside it once (a voice, a clatter): one "burst" of 1–4 changes, and the beep heard alone the rest of the time:
# 19–48 % in the 10 of 155 clinic-non-critical recordings that were learned as a critical alarm before (quick seed 7
# pump0: 959 / 3603 Hz, tests/test_cli.py).
_MIN_SHARE_IN_TURNS = 0.6


def _share_in_turns(low: _Track, high: _Track, bursts: list[_Burst]) -> float:
    """Share of the frames where `low` or `high` sounds that lie within `bursts` (where they take turns)."""
    either = low.frame_on | high.frame_on
    in_bursts = np.zeros_like(either)
    for burst in bursts:
        in_bursts[burst.start_frame : burst.end_frame] = True
    return float(np.count_nonzero(either & in_bursts)) / max(1, int(np.count_nonzero(either)))


# The critical alarm's two tones come from one pump in one demonstration: in the benchmark's 155 clinic-critical
# recordings they stand within 14.5 dB of each other (quick seed 269 pump1, 34 / 48 dB; the phone's resonances and
# the body's low-pass colour them). A "partner" far fainter is something else: a phone call's 8 kHz recording
# (bench/enrollment.py --hard rate_8k, seed 281 pump0) holds only the 3107 Hz low tone (its high tone, 4142 Hz, is
# above the band), and a voice's 1214 Hz blip, 25 dB under it, between two of its turns made a "pair".
_PAIR_LEVEL_DB = 20.0


def _critical_pair(clear: list[_Track], peaks: _Peaks) -> tuple[_Track, _Track] | None:
    """The critical alarm's two tones among the clear ones: the pair of fundamentals that takes the most turns, by
    their strength; None when no two clear tones take turns."""
    # Each candidate stands for its fundamental (a harmonic sounding with a clear sub-harmonic is not a tone).
    fundamentals: list[_Track] = []
    for track in sorted(clear, key=_score, reverse=True):
        fundamental = _prefer_fundamental(track, peaks)
        if all(abs(fundamental.frequency_hz / other.frequency_hz - 1) > 0.01 for other in fundamentals):
            fundamentals.append(fundamental)
    # A candidate that is a harmonic of another one and sounds with it is that tone's partial, even when it did not
    # pass for one on its own (benchmark seed 31: a 662 Hz tone's 3rd harmonic was paired with the high tone).
    candidates = [t for t in fundamentals
                  if not any(_is_partial_of(t, other, peaks) for other in fundamentals if other is not t)][:8]
    split_gap = _split_gap_frames(peaks.hop_s)
    best: tuple[_Track, _Track] | None = None
    best_score = 0.0
    pair_turns: list[tuple[_Track, _Track, int]] = []
    for i, a in enumerate(candidates):
        for b in candidates[i + 1 :]:
            low, high = sorted((a, b), key=lambda t: t.frequency_hz)
            if not _could_pair(low, high) or high.frequency_hz / low.frequency_hz < _MIN_PAIR_RATIO:
                continue  # too close to tell apart, a harmonic of the other tone, or too far apart
            if abs(low.snr_db - high.snr_db) > _PAIR_LEVEL_DB:
                continue  # one pump's two tones, demonstrated together, are heard alike
            if _turn_correlation(low, high, split_gap) >= 0.0:
                # They rise and fall together: two partials of one tone (a 2nd and a 5th harmonic of the high tone,
                # in benchmark seed 31) or a chord, not two tones taking turns.
                continue
            bursts = _two_tone_bursts(low, high, split_gap)
            turns = min(12, sum(min(6, b.changes) for b in bursts))
            score = turns * min(_score(low), _score(high))
            if turns:
                pair_turns.append((low, high, turns))
            if score > best_score:
                best, best_score = (low, high), score
    return None if best is None else _pair_of_fundamentals(best, pair_turns, peaks)


def _enroll_two_tone(name: str, clear: list[_Track], tracks: list[_Track], duration_s: float,
                     peaks: _Peaks) -> EnrollmentResult:
    hop_s, frame0_s = peaks.hop_s, peaks.frame_center0_s
    split_gap = _split_gap_frames(hop_s)
    best = _critical_pair(clear, peaks)
    # A tone may hide in one candidate with another 2 % from it (_split_near_tones): look again, split.
    if best is None and (split := _split_look(peaks, tracks)) is not None \
            and (best := _critical_pair(split[1], peaks)) is not None:
        tracks, clear = split
    if best is None:
        band = ""
        if _USABLE_BAND * peaks.source_rate_hz < _MAX_HZ:
            band = (f" (it was recorded at {peaks.source_rate_hz} Hz, so it holds no tone above "
                    f"{_USABLE_BAND * peaks.source_rate_hz:.0f} Hz: record at 44.1 or 48 kHz, not over a phone call)")
        raise NoClearAlarmError(
            f"{name}: no two alternating tones found (the critical alarm is two tones in turns); the strongest "
            f"tone is {max(clear, key=_score).frequency_hz:.0f} Hz{band}",
            hint="is this the non-critical alarm? then use --alarm non_critical; otherwise record closer to the "
            "pump, in a quieter room",
        )
    low, high = best
    bursts = _two_tone_bursts(low, high, split_gap)
    if (in_turns := _share_in_turns(low, high, bursts)) < _MIN_SHARE_IN_TURNS:
        raise NoClearAlarmError(
            f"{name}: the tones {low.frequency_hz:.0f} Hz and {high.frequency_hz:.0f} Hz take turns in only "
            f"{100 * in_turns:.0f} % of the time either is heard; the rest of the time one sounds alone, as a beep "
            "does (the critical alarm's two tones are heard only in turns)",
            hint="is this the non-critical alarm? then use --alarm non_critical; otherwise record closer to the "
            "pump, in a quieter room",
        )
    tone_frames = [end - start for burst in bursts for _, start, end in burst.tones]
    inner_gaps = [max(0, b[1] - a[2]) for burst in bursts for a, b in itertools.pairwise(burst.tones)]
    tone_typical_s = float(np.median(tone_frames)) * hop_s
    # Long enough to bridge one tone lost in noise, ...
    gap_max = (max(inner_gaps) if inner_gaps else 0) * hop_s + 1.1 * tone_typical_s + 0.1
    # ... but bursts of one sounding (up to ~1.5 s apart) must stay separate: the first is reported as soon as it
    # ends (within 1.5 s). Only a pause between two whole bursts tells how far apart they are: the pump's bursts all
    # last as long (its clock), and a "burst" under _WHOLE_BURST_SHARE of the longest is a burst broken where a tone
    # was lost (under a voice or noise in the clinic); the silence beside it is that lost tone, no pause of the pump.
    # Benchmark quick seeds 89 and 211, pump1 (turns of 0.41 and 0.47 s, bursts 0.86 and 1.16 s apart): one sounding's
    # bursts broke into pieces 0.32–0.42 s apart, the cap fell to 0.22 and 0.29 s (under one tone), every burst then
    # split at each tone, and the pump was learned as bursts of one change (burst_min_s 0.2 s), so any two turns made
    # a burst at home. Seed 211's pump1 was heard in 4 of 8 soundings at −15 dB (now 6) and 7 of 8 at −5 dB (now 8).
    # tests/test_enroll.py.
    lengths = [b.tones[-1][2] - b.tones[0][1] for b in bursts]
    whole = _WHOLE_BURST_SHARE * max(lengths, default=0)
    burst_gaps = [(b.start_frame + b.tones[0][1] - a.start_frame - a.tones[-1][2]) * hop_s
                  for (a, a_frames), (b, b_frames) in itertools.pairwise(zip(bursts, lengths, strict=True))
                  if min(a_frames, b_frames) >= whole]
    near_gaps = [g for g in burst_gaps if g < _SOUNDING_GAP_S]
    gap_max = min(gap_max, 0.6, 0.7 * min(near_gaps) if near_gaps else 0.6)
    gap_max = max(gap_max, 0.2)
    bursts = _two_tone_bursts(low, high, max(1, round(gap_max / hop_s)))
    if not bursts:
        raise NoClearAlarmError(f"{name}: the tones {low.frequency_hz:.0f} Hz and {high.frequency_hz:.0f} Hz never "
                                "alternate within a burst")
    # A "burst" with under a quarter of the usual turns is no demonstration of the alarm: the pump's beep at one
    # of the tones' pitches (a recording that holds both alarms: quick seed 149's pump beeps two 0.39 s beeps at
    # 1386 Hz, its low tone is 1383 Hz, and one sounding passed for a burst with one change, which let bursts of
    # 0.36 s and one change through at home), or a voice's two notes. Bursts of a few turns are kept when that is
    # what the pump plays.
    #
    # The usual burst is the one the alarm repeats: the most changes two bursts reach, not the median burst. In a
    # long recording the talk around the alarm makes more "bursts" of one change (a voice's two notes) than the pump
    # sounds: bench/enrollment.py --hard long, quick seed 293 pump1, bursts of 1, 1, 9, 1, 9, 1, 1 changes, whose
    # median (1) kept every stray and learned bursts of one change (changes_min 1, burst_typical_s 0.11 × the pump's).
    usual_changes = float(sorted(b.changes for b in bursts)[-2] if len(bursts) >= 2 else bursts[0].changes)
    stray = [b for b in bursts if b.changes < _STRAY_BURST_SHARE * usual_changes]
    bursts = [b for b in bursts if b.changes >= _STRAY_BURST_SHARE * usual_changes]
    # The alarm takes turns several times in each burst (low, high, low ...), burst after burst. Two tones that
    # mostly follow each other once (a voice's two notes, a tune's) are no alarm: 7 of 17 pieces of talk, TV and
    # music (12 dev corpora) that were learned as the critical alarm had bursts of 1 change typically; the pump's
    # bursts take a median of 3 or more in every clinic recording learned (60 clean ones of 20 dev and seen corpora,
    # 366 of bench/enrollment.py --hard on 10 dev corpora).
    if (typical_changes := float(np.median([b.changes for b in bursts]))) < _MIN_TYPICAL_CHANGES:
        raise NoClearAlarmError(
            f"{name}: the tones {low.frequency_hz:.0f} Hz and {high.frequency_hz:.0f} Hz mostly follow each other "
            f"only once ({typical_changes:g} change per run, typically, in {len(bursts)} runs); the critical alarm's "
            "two tones take turns again and again, burst after burst, so this is most likely a voice, a TV or music",
            hint="record the critical alarm again in a quiet room (no talking, TV and music off), about 30 cm from "
            "the pump, and let it sound at least twice",
        )
    tone_frames = [end - start for burst in bursts for _, start, end in burst.tones]
    inner_tones = [end - start for burst in bursts for _, start, end in burst.tones[1:-1]]
    burst_lengths = [(b.tones[-1][2] - b.tones[0][1]) * hop_s for b in bursts]
    fills = [100.0 * np.count_nonzero(b.labels[b.tones[0][1] : b.tones[-1][2]]) / max(1, b.tones[-1][2] - b.tones[0][1])
             for b in bursts]
    low_mask = np.zeros_like(low.frame_on)
    high_mask = np.zeros_like(high.frame_on)
    for burst in bursts:
        low_mask[burst.start_frame : burst.end_frame] |= burst.labels == 1
        high_mask[burst.start_frame : burst.end_frame] |= burst.labels == 2
    # The notes as an SNR-weighted mean of every frame, not per sounding (_learned_pitch, the beep's): the critical
    # alarm's turns are long and many, and per sounding moved a held-out pump's high note from +0.14 % to +0.26 %
    # off, enough for the ratio test (0.28 bin on each tone) to lose it at +5 dB (benchmark quick seed 83).
    frequencies = (_frame_weighted(low, low_mask), _frame_weighted(high, high_mask))
    tone_snr = np.concatenate([low.frame_snr_db[low_mask], high.frame_snr_db[high_mask]])
    snr_db = float(tone_snr.mean())
    _check_learned_snr(name, f"{frequencies[0]:.0f} and {frequencies[1]:.0f} Hz", snr_db)
    if frequencies[1] / frequencies[0] < _MIN_PAIR_RATIO:
        raise NoClearAlarmError(
            f"{name}: the two tones taking turns, {frequencies[0]:.0f} Hz and {frequencies[1]:.0f} Hz, are "
            f"{100 * (frequencies[1] / frequencies[0] - 1):.1f} % apart — too close to tell apart (the critical "
            f"alarm's two tones lie at least {100 * (_MIN_PAIR_RATIO - 1):.2f} % apart)")
    soundings = _group([Segment(frame0_s + (b.start_frame + b.tones[0][1] - 0.5) * hop_s,
                                frame0_s + (b.start_frame + b.tones[-1][2] - 0.5) * hop_s, 0.0,
                                float(np.concatenate([low.frame_snr_db[b.start_frame:b.end_frame][b.labels == 1],
                                                      high.frame_snr_db[b.start_frame:b.end_frame][b.labels == 2]]
                                                     ).mean()))
                        for b in bursts], _BURSTS_OF_ONE_SOUNDING_S)
    harmonics = sorted(set(_harmonics_of(frequencies[0], tracks, low) + _harmonics_of(frequencies[1], tracks, high)))
    notes = []
    if len(soundings) == 1:
        notes.append("only one sounding found; a recording with two or more gives a surer signature")
    for short in stray:
        at_s = frame0_s + (short.start_frame + short.tones[0][1] - 0.5) * hop_s
        notes.append(f"left out a short run of the two tones at {at_s:.1f} s ({short.changes} change"
                     f"{'s' if short.changes > 1 else ''}; the bursts here have about {usual_changes:.0f}): a beep or "
                     "a voice at the tones' pitch, not a burst of the alarm")
    signature = TwoToneSignature(
        frequencies_hz=(round(frequencies[0], 1), round(frequencies[1], 1)),
        tolerance_pct=_TOLERANCE_PCT,
        mean_tolerance_pct=_note_tolerance_pct(low, high, bursts, frequencies),
        ratio_spread_pct=_ratio_spread_pct(low, high, bursts),
        min_snr_db=_DETECT_SNR_DB,
        tone_min_s=round(max(0.06, 0.4 * float(np.percentile(tone_frames, 10)) * hop_s), 3),
        tone_max_s=round(min(30.0, 2.0 * max(tone_frames) * hop_s + 0.3), 3),
        gap_max_s=round(gap_max, 3),
        # Half the turns heard at enrollment (noise and a lost tone break a burst), at least 2, at most 4.
        changes_min=min(4, max(min(2, min(b.changes for b in bursts)), min(b.changes for b in bursts) // 2)),
        tone_typical_s=round(_typical_tone_frames(bursts, inner_tones or tone_frames) * hop_s, 3),
        fill_min_pct=round(0.45 * float(np.median(fills)), 1),
        burst_min_s=round(max(0.2, 0.4 * min(burst_lengths)), 3),
        burst_typical_s=round(float(np.median(burst_lengths)), 3),
        burst_max_s=round(min(120.0, 1.5 * max(burst_lengths) + 1.0), 3),
        verified=True,
        enrolled_from=Path(name).name,
        snr_at_enrollment_db=round(snr_db, 1),
        soundings_at_enrollment=len(soundings),
        harmonics_hz=tuple(harmonics),
    )
    return EnrollmentResult(alarm=AlarmKind.CRITICAL, signature=signature, soundings=soundings,
                            frequencies_hz=signature.frequencies_hz or (), harmonics_hz=tuple(harmonics),
                            snr_db=snr_db, duration_s=duration_s, notes=notes,
                            bursts=len(bursts), tones_per_burst=float(np.median([len(b.tones) for b in bursts])))


def _pair_of_fundamentals(pair: tuple[_Track, _Track], pair_turns: list[tuple[_Track, _Track, int]],
                          peaks: _Peaks) -> tuple[_Track, _Track]:
    """If one tone of the chosen pair lies on a harmonic (2nd … 5th) of another candidate that takes turns with the
    pair's other tone at least half as often, that candidate is the pump's tone and the chosen one its partial: a
    harmonic sounds exactly when its fundamental does, so it takes the same turns. (A loud, clean 4th harmonic of a
    low tone outscored the tone itself over minutes of talk: stress set 'long_busy'.)"""
    low, high = pair
    turns = next((n for a, b, n in pair_turns if a is low and b is high), 0)
    # ... and only if that candidate is there under the chosen tone (a harmonic never sounds without its
    # fundamental; a voice at a third of the high tone took as many turns in stress set 'nurse_talking').
    changed = True
    while changed:
        changed = False
        for a, b, other_turns in pair_turns:
            if other_turns < 0.5 * turns:
                continue
            for keep, partial in ((low, high), (high, low)):
                if keep is not a and keep is not b:
                    continue
                other = b if keep is a else a
                if (other is not partial and _on_low_harmonic(partial.frequency_hz, other.frequency_hz)
                        and _presence(peaks, other.frequency_hz, _in_bursts(partial, low, high, peaks.hop_s))
                        >= _PARTIAL_PRESENCE):
                    low, high = sorted((keep, other), key=lambda t: t.frequency_hz)
                    turns, changed = other_turns, True
                    break
            if changed:
                break
    return low, high


def _in_bursts(track: _Track, low: _Track, high: _Track, hop_s: float) -> _Track:
    """`track` where `low` and `high` take turns: whether a fundamental sounds under a tone is judged there, not
    where the pump beeps at the same pitch (quick seed 109 pump2 beeps at 3207 Hz, its high tone's 2nd harmonic is
    3235 Hz: with both alarms in one recording the beeps, 3207 Hz alone, hid the high tone under its harmonic and
    the pair 1018/3230 Hz was learned)."""
    mask = np.zeros_like(track.frame_on)
    for burst in _two_tone_bursts(low, high, _split_gap_frames(hop_s)):
        mask[burst.start_frame : burst.end_frame] = True
    return dataclasses.replace(track, frame_on=track.frame_on & mask)


# The pump's notes, as a sounding's median frame, may differ from the enrolled ones by this much (percent): at least
# _NOTE_TOLERANCE_MIN_PCT, or 3× the largest difference between the bursts of the enrollment recording, at most
# _NOTE_TOLERANCE_MAX_PCT (the old fixed value). The pump's oscillator sits at body temperature, so it does not drift
# like a household device's. The benchmark's pumps (±0.3 % per sounding, and the enrolled notes are themselves the
# mean of 2–3 jittered soundings) measure up to 0.78 % off the enrolled notes at ≥ −10 dB and 0.95 % at −15 dB over
# 49 quick corpora (session 17, helper fpc17: a 0.8 % cap lost no sounding there but sat 0.02 % from the worst, so
# 1.0 % stays), while the false criticals of music and a siren's yelp pass 0.8–1.0 % off.
_NOTE_TOLERANCE_MIN_PCT = 1.0
_NOTE_TOLERANCE_MAX_PCT = 1.75


def _note_tolerance_pct(low: _Track, high: _Track, bursts: list[_Burst], notes_hz: tuple[float, float]) -> float:
    """How far a sounding's notes may lie from the enrolled ones: from how much they differ between bursts here."""
    differences = [0.0]
    for burst in bursts:
        for track, label, note_hz in ((low, 1, notes_hz[0]), (high, 2, notes_hz[1])):
            if (pitch_hz := _burst_pitch(track, burst, label)) is not None:
                differences.append(100.0 * abs(pitch_hz / note_hz - 1))
    return round(min(_NOTE_TOLERANCE_MAX_PCT, max(_NOTE_TOLERANCE_MIN_PCT, 3 * max(differences))), 2)


def _burst_pitch(track: _Track, burst: _Burst, label: int) -> float | None:
    """A note's pitch in one burst: the SNR-weighted mean of its frames there (None when it holds < 3 frames)."""
    mask = np.zeros_like(track.frame_on)
    mask[burst.start_frame : burst.end_frame] = burst.labels == label
    mask &= track.frame_on
    return _frame_weighted(track, mask) if np.count_nonzero(mask) >= 3 else None


def _ratio_spread_pct(low: _Track, high: _Track, bursts: list[_Burst]) -> float | None:
    """How well the recording tells the high/low ratio (TwoToneSignature.ratio_spread_pct): the standard error of
    the mean of the bursts' own ratios, in percent; None with fewer than two bursts holding both notes.

    Per burst, not per note: the pump's pitch jitters from sounding to sounding (both notes together: one
    oscillator), which says nothing about the ratio, while each burst's reading of the ratio carries that burst's
    own measurement error (the room's echo, noise) — what a ratio learned from these bursts still holds of it."""
    ratios = []
    for burst in bursts:
        low_hz, high_hz = _burst_pitch(low, burst, 1), _burst_pitch(high, burst, 2)
        if low_hz is not None and high_hz is not None:
            ratios.append(high_hz / low_hz)
    if len(ratios) < 2:
        return None
    values = np.array(ratios)
    return round(100.0 * float(np.std(values, ddof=1) / np.sqrt(len(values)) / np.mean(values)), 4)


def _typical_tone_frames(bursts: list[_Burst], turns: list[int]) -> float:
    """The pump's tone length in frames: half a low turn plus the next high turn inside a burst.

    A turn is a whole number of frames (32 ms), so the median turn is off by up to half a frame (10 % of a 0.15 s
    tone), and a room's echo moves frames from one tone to the other; the sum of two neighbours is one cycle of
    the pump's clock either way, at twice the resolution. The detector's rhythm and cycle checks stand on this.

    Only pairs of turns near the bursts' typical turn count. Noise that hides a tone merges three turns into one
    (benchmark quick seed 31, pump0: most bursts have turns of 12 and 21 frames among their 4–5), and in a
    reverberant clinic room one sounding's tones can ring through each other so that its turns chatter at half the
    pump's length (quick seed 127, pump2: two bursts of 18 turns of 2–4 frames beside four of 7–10 turns of 6–10).
    Pooled, the chattering bursts' many short turns outvoted the clean ones, halved the learned tone, and the
    detector then refused every burst of the pump as the wrong rhythm. So each burst names its median turn (merged
    turns are its outliers) and votes with the frames of its turns that keep that pace (below), the weighted median is
    the typical turn (chattering bursts are the minority of the pump's sounding time, and short runs of clutter
    between two voices — quick seed 89, pump1: five of them, turns of 2–9 frames against the pump's 11–16 — count for
    little), and the pairs whose two turns both lie within half of it either way give the fine value.
    """
    votes = []
    for burst in bursts:
        lengths = np.array([end - start for _, start, end in (burst.tones[1:-1] or burst.tones)])
        median = float(np.median(lengths))
        # A burst votes with the frames of its turns that keep its own pace (within ±30 % of its median turn), not
        # with its whole length: a burst that voices broke into turns of 2–19 frames named a median of 5 frames
        # and, longer than the clean burst of turns of 7–9 beside it, halved the learned tone (quick seed 197,
        # pump1: 0.16 s for the pump's 0.269 s, and the detector then heard 9 of its 48 soundings).
        votes.append((median, int(lengths[np.abs(lengths - median) <= 0.3 * median].sum())))
    votes.sort()
    if votes:
        cumulative = np.cumsum([weight for _, weight in votes])
        typical = votes[int(np.searchsorted(cumulative, cumulative[-1] / 2))][0]
    else:
        typical = float(np.median(turns))

    def near(turn: tuple[int, int, int]) -> bool:
        return 0.5 * typical <= turn[2] - turn[1] <= 1.5 * typical

    pairs = [(a[2] - a[1]) + (b[2] - b[1]) for burst in bursts for a, b in itertools.pairwise(burst.tones[1:-1])
             if near(a) and near(b)]
    if len(pairs) >= 3:
        return float(np.median(pairs)) / 2
    return typical


def _frame_weighted(track: _Track, mask: NDArray[np.bool_]) -> float:
    weights = np.maximum(track.frame_snr_db[mask], 0.1)
    return float(np.sum(track.frame_frequency_hz[mask] * weights) / np.sum(weights))


# A beep's learned pitch (_learned_pitch). A beep this many frames long or longer loses its first and last frame:
# their 64 ms windows straddle the onset and the end, and read the note off by up to 1 % (the room's echo building up
# and dying away).
_PITCH_EDGE_FRAMES = 4
_PITCH_SOUNDING_GAP_S = 0.6  # beeps this close are one sounding (the longest pause between beeps enroll accepts)
_PITCH_CORE_DB = 10.0  # a sounding's pitch is read on its frames within this of its loudest (the echo tail is not)
# Soundings this far under the clearest one, or this far off its pitch, do not count: a stray blip near the pitch
# (a voice, a clatter) is no sounding of the pump. The benchmark's soundings (each in its own room echo, the pump
# ±0.3 %) lie within 0.6 % of their recording's clearest; its stray blips 1–2 % off it and 20 dB under it.
_PITCH_CLEAR_DB = 15.0
_PITCH_SAME_NOTE_PCT = 1.0


def _learned_pitch(track: _Track, mask: NDArray[np.bool_], sounding_gap_frames: int) -> tuple[float, float | None]:
    """The pitch of the tone `track` holds in the frames of `mask`: per sounding (runs of the mask, gaps of up to
    `sounding_gap_frames` bridged), the median frequency of its core frames; then the mean over the clear soundings.
    Also how well that mean is known: the standard error of the clear soundings' pitches (Hz; None with only one;
    BeepSignature.pitch_spread_hz).

    A short tone in a room never reaches a steady state: the echoes that join it (and, after it, outlast it) have
    their own phase, so each frame's frequency reads off the note by a random amount, up to ±0.5 % for a 0.13 s
    beep at 1 kHz (the same Hz at any pitch: the phase drifts by so many radians per second), and the same room
    path gives a whole sounding one offset. The median of a sounding's core frames ignores its onset, its echo tail
    and a bridged gap; the mean over soundings averages the rooms' offsets and the pump's own variation between
    soundings (the benchmark's pumps: ±0.3 %), where a median of two or three soundings would pick one of them.
    Measured over the benchmark's clinic recordings (bench/enrollment.py): an SNR-weighted mean of every frame
    learned seed 23's 1014.6 Hz beep at 1020.2 Hz (+0.35 % off the mean of its two soundings), this at 1017.1 Hz
    (+0.04 %); the median of the soundings' medians learned the bundled example's 3602.7 Hz beep (soundings at
    3609.5, 3609.0 and 3593.9 Hz) at 3609.6 Hz, this at 3605.0 Hz.
    """
    soundings: list[list[int]] = []
    previous_end = None
    for start, end in _activity_runs(mask & (track.frame_snr_db > 0), 0):
        frames = list(range(start, end))
        if len(frames) >= _PITCH_EDGE_FRAMES:
            frames = frames[1:-1]
        if soundings and previous_end is not None and start - previous_end <= sounding_gap_frames:
            soundings[-1] += frames
        else:
            soundings.append(frames)
        previous_end = end
    pitches, levels = [], []
    for frames in soundings:
        index = np.array(frames)
        snr = track.frame_snr_db[index]
        core = index[snr >= snr.max() - _PITCH_CORE_DB]
        pitches.append(float(np.median(track.frame_frequency_hz[core])))
        levels.append(float(np.median(track.frame_snr_db[core])))
    clearest = pitches[int(np.argmax(levels))]
    clear = [pitch for pitch, level in zip(pitches, levels, strict=True)
             if level >= max(levels) - _PITCH_CLEAR_DB and abs(pitch / clearest - 1) <= _PITCH_SAME_NOTE_PCT / 100]
    spread_hz = float(np.std(clear, ddof=1) / np.sqrt(len(clear))) if len(clear) >= 2 else None
    return float(np.mean(clear)), spread_hz
