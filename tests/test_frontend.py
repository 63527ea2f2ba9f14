"""The frontend's spectra and noise floor do not depend on how the stream is cut, nor on which columns keep a floor."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from monitord.frontend import Band, Frontend, SpectralBlock, ToneTracker, log_parabolic_offset
from tests import synth

RATE_HZ = synth.RATE_HZ


def _audio() -> NDArray[np.float32]:
    rng = np.random.default_rng(7)
    background = synth.babble(40.0, rng, level=0.05)
    return synth.place(background, synth.two_tone(1000.0, 1400.0, burst_s=3.0), 12.0)


def _stream(frontend: Frontend, audio: NDArray[np.float32], block: int) -> tuple[NDArray[np.float32],
                                                                                   NDArray[np.float32]]:
    blocks: list[SpectralBlock] = []
    for start in range(0, len(audio), block):
        out = frontend.feed(audio[start : start + block])
        if out is not None:
            blocks.append(out)
    tail = frontend.flush()
    if tail is not None:
        blocks.append(tail)
    assert [b.first_frame for b in blocks] == list(np.cumsum([0] + [b.frames for b in blocks[:-1]]))
    return np.concatenate([b.power for b in blocks]), np.concatenate([b.floor for b in blocks])


def test_spectra_are_the_same_whatever_the_block_length() -> None:
    audio = _audio()
    # 16 s (analyze), 0.25 s (the microphone), and lengths that cut frames and transform chunks anywhere.
    results = [_stream(Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=3000.0), audio, block)
               for block in (16 * RATE_HZ, RATE_HZ // 4, 1234, 100_003)]
    power, floor = results[0]
    assert power.shape[0] == 1 + (len(audio) + 512 - 1024) // 512
    for other_power, other_floor in results[1:]:
        assert np.array_equal(other_power, power)  # bit for bit
        # The floor starts from a provisional guess over the first block's frames; from the first full second on
        # it is the same whatever the blocks.
        assert np.array_equal(other_floor[32:], floor[32:])


def test_floor_is_kept_only_where_a_tracker_reads_it_and_is_the_same_there() -> None:
    audio = _audio()
    everything = Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=3000.0)
    power_all, floor_all = _stream(everything, audio, 16 * RATE_HZ)
    tracked = Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=3000.0)
    low = ToneTracker(Band("low", 975.0, 1025.0), frontend=tracked, min_snr_db=8.0)
    high = ToneTracker(Band("high", 1365.0, 1435.0), frontend=tracked, min_snr_db=8.0)
    power, floor = _stream(tracked, audio, 16 * RATE_HZ)
    assert np.array_equal(power, power_all)
    kept = ~np.isnan(floor[0])
    columns = np.flatnonzero(kept)
    assert np.array_equal(floor[:, columns], floor_all[:, columns])
    assert np.isnan(floor[:, ~kept]).all()
    # Each tracker's band, and the bins its peak may climb to, keep their floor; far from both bands none is kept.
    for tracker in (low, high):
        assert kept[tracker._k0 - 3 : tracker._k1 + 4].all()
    assert 0 < len(columns) < kept.size // 2
    with pytest.raises(RuntimeError, match="before the first block"):
        tracked.need_floor(0, 5)


def test_power_is_the_squared_magnitude_of_each_windowed_frame() -> None:
    """The frontend's power, bit for bit, as re*re + im*im of each Hann-windowed frame's float32 rfft (one frame
    per transform), over every analysed column."""
    import scipy.fft

    audio = _audio()[: 20 * RATE_HZ]
    frontend = Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=3000.0)
    power, _ = _stream(frontend, audio, 16 * RATE_HZ)
    padded = np.concatenate([audio, np.zeros(512, np.float32)])
    window = np.hanning(1024).astype(np.float32)
    for frame in (0, 1, 200, power.shape[0] - 1):
        spectrum = scipy.fft.rfft(padded[frame * 512 : frame * 512 + 1024] * window)[frontend.bin_lo : frontend.bin_hi]
        expected = spectrum.real * spectrum.real
        expected += spectrum.imag * spectrum.imag
        assert np.array_equal(power[frame], expected)


def test_mean_of_3_columns_is_numpys_mean_bit_for_bit() -> None:
    from monitord.frontend import mean_of_3_columns

    rng = np.random.default_rng(11)
    for frames in (1, 2, 7, 500):
        # Powers over many decades (as spectra are), and the NaN of a column without a floor.
        values = (rng.exponential(size=(frames, 40)) * 10.0 ** rng.uniform(-9, 3, size=(frames, 1))).astype(np.float32)
        values[:, 30] = np.nan
        for lo in (0, 5, 28, 37):
            assert np.array_equal(mean_of_3_columns(values, lo), values[:, lo : lo + 3].mean(axis=1), equal_nan=True)
            assert mean_of_3_columns(values, lo).dtype == np.float32


def test_median_of_is_numpys_median_bit_for_bit() -> None:
    from monitord.frontend import median_of

    rng = np.random.default_rng(13)
    for dtype in (np.float32, np.float64):
        for length in (*range(1, 10), 50, 51, 400):
            for _ in range(20):
                values = (rng.standard_normal(length) * 10.0 ** rng.uniform(-3, 3)).astype(dtype)
                values[rng.random(length) < 0.2] = rng.choice(values)  # ties
                expected = float(np.median(values))
                assert median_of(values) == expected
                assert np.isnan(median_of(np.append(values, dtype(np.nan))))
                values[rng.random(length) < 0.1] = np.inf
                assert median_of(values) == float(np.median(values))


def test_ring_mean_is_numpys_mean_over_the_ring_bit_for_bit() -> None:
    from monitord.frontend import _RING_OFFSETS, _ring_mean

    rng = np.random.default_rng(19)
    for bands, frames in ((1, 1), (3, 7), (4, 500)):
        for among_tones in ([], [0], list(range(1, bands))):
            stacked = (rng.exponential(size=(bands, frames, len(_RING_OFFSETS)))
                       * 10.0 ** rng.uniform(-9, 3, size=(bands, frames, 1))).astype(np.float32)
            expected = stacked.mean(axis=-1)
            if among_tones:
                side = stacked[among_tones]
                expected[among_tones] = np.minimum(side[..., :4].sum(axis=-1), side[..., 4:].sum(axis=-1)) / 4
            rows = np.array(among_tones, dtype=np.intp)
            ring = _ring_mean([np.ascontiguousarray(stacked[..., j]) for j in range(len(_RING_OFFSETS))], rows)
            assert ring.dtype == np.float32
            assert np.array_equal(ring, expected)


def test_sliding_max_is_the_maximum_of_every_window() -> None:
    from numpy.lib.stride_tricks import sliding_window_view

    from monitord.frontend import _sliding_max

    rng = np.random.default_rng(3)
    for window in range(2, 40):
        for length in (window, window + 1, window + 7, 515):
            values = rng.standard_normal((2, length)).astype(np.float32)
            values[values < -0.5] = -np.inf  # frames without a tone
            expected = sliding_window_view(values, window, axis=1).max(axis=2)
            assert np.array_equal(_sliding_max(values, window), expected)


def test_a_whole_file_fed_at_once_is_not_kept_and_gives_the_same_spectra() -> None:
    audio = _audio()
    power, _ = _stream(Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=3000.0), audio, 16 * RATE_HZ)
    frontend = Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=3000.0)
    whole = np.concatenate([audio, audio])  # 80 s in one block: beyond what the frontend keeps between blocks
    block = frontend.feed(whole)
    assert block is not None
    assert len(frontend._samples) < len(whole) // 4
    assert np.array_equal(block.power[: power.shape[0] - 1], power[:-1])
    # And the stream goes on seamlessly after it.
    more = frontend.feed(audio[: RATE_HZ])
    assert more is not None
    assert more.first_frame == block.frames


def _segments_of(trackers: list[ToneTracker], frontend: Frontend, audio: NDArray[np.float32],
                 block: int) -> list[list[tuple[float, ...]]]:
    found: list[list[tuple[float, ...]]] = [[] for _ in trackers]
    spectra = [frontend.feed(audio[start : start + block]) for start in range(0, len(audio), block)]
    spectra.append(frontend.flush())
    for blk in spectra:
        for tracker, segments in zip(trackers, found, strict=True):
            if blk is not None:
                segments += [(s.start_s, s.end_s, s.frequency_hz, s.snr_db, s.spread_pct, s.frames)
                             for s in tracker.process(blk)]
    for tracker, segments in zip(trackers, found, strict=True):
        segments += [(s.start_s, s.end_s, s.frequency_hz, s.snr_db, s.spread_pct, s.frames) for s in tracker.flush()]
    return found


def test_trackers_of_one_band_share_the_peak_search_and_hear_what_each_hears_alone() -> None:
    # The default profile's two detectors both search one broad band, at different thresholds.
    audio = _audio()
    band = Band("broad", 500.0, 2500.0)
    alone = []
    for min_snr_db in (12.0, 15.0):
        frontend = Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=2500.0)
        tracker = ToneTracker(band, frontend=frontend, min_snr_db=min_snr_db)
        alone += _segments_of([tracker], frontend, audio, RATE_HZ // 4)
    frontend = Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=2500.0)
    pair = [ToneTracker(band, frontend=frontend, min_snr_db=12.0), ToneTracker(band, frontend=frontend,
                                                                              min_snr_db=15.0)]
    together = _segments_of(pair, frontend, audio, RATE_HZ // 4)
    assert len(frontend.peak_cache) == 1  # one search per block for both
    assert together == alone
    assert len(alone[0]) > len(alone[1]) > 0  # the thresholds still differ


def test_bands_searched_together_give_what_each_band_searched_alone_gives() -> None:
    # An enrolled profile tracks three bands (two tones of the critical alarm, the beep): one pass finds all peaks.
    audio = _audio()
    bands = [Band("low", 975.0, 1025.0), Band("high", 1365.0, 1435.0), Band("beep", 2000.0, 2100.0)]
    alone = []
    for band in bands:
        frontend = Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=3000.0)
        tracker = ToneTracker(band, frontend=frontend, min_snr_db=8.0)
        alone += _segments_of([tracker], frontend, audio, RATE_HZ // 4)
    frontend = Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=3000.0)
    trackers = [ToneTracker(band, frontend=frontend, min_snr_db=8.0) for band in bands]
    together = _segments_of(trackers, frontend, audio, RATE_HZ // 4)
    assert len(frontend.peak_searches) == 3
    assert together == alone
    assert all(alone[:2])  # the two-tone burst is heard in both of its bands


@pytest.mark.parametrize("offset", [1.025, 0.975, 1.045])
def test_a_search_among_tones_hears_a_tone_beside_a_louder_one(offset: float) -> None:
    """A narrow band about a known pitch (2000 Hz ± 1 %) with a tone 6 dB louder beside it. 2.5 % (3.2 bins) away,
    the band's strongest bin is the louder tone's flank; 4.5 % (5.8 bins) away, the louder tone fills the bins the
    peak must stand out of. The plain search hears nothing either way; searching among the band's local maxima and
    asking the peak to stand out only over the quieter side beside it finds the tone."""
    rng = np.random.default_rng(9)
    quiet = synth.tone(2000.0, 1.0, amplitude=0.1)
    loud = synth.tone(2000.0 * offset, 1.0, amplitude=0.2)
    audio = synth.place(synth.pink_noise(6.0, rng, level=0.002), quiet + loud, 3.0)
    band = Band("pitch", 1980.0, 2020.0)
    heard = []
    for among_tones in (False, True):
        frontend = Frontend(rate_hz=RATE_HZ, min_hz=1900.0, max_hz=2100.0)
        tracker = ToneTracker(band, frontend=frontend, min_snr_db=8.0, among_tones=among_tones)
        (segments,) = _segments_of([tracker], frontend, audio, RATE_HZ // 4)
        heard.append(segments)
    plain, among = heard
    assert sum(frames for *_, frames in plain) <= 3
    assert len(among) == 1
    start, end, frequency, *_ = among[0]
    assert start == pytest.approx(3.0, abs=0.1)
    assert end == pytest.approx(4.0, abs=0.1)
    assert frequency == pytest.approx(2000.0, abs=2.0)


def test_rfft_rows_is_scipys_rfft_bit_for_bit() -> None:
    import scipy.fft

    from monitord.frontend import rfft_rows

    rng = np.random.default_rng(5)
    buffer = np.empty((128, 513), dtype=np.complex64)
    for rows in (1, 3, 128):
        frames = rng.normal(scale=0.1, size=(rows, 1024)).astype(np.float32)
        expected = scipy.fft.rfft(frames, axis=1)
        spectrum = rfft_rows(frames.copy(), buffer[:rows])
        assert spectrum.dtype == np.complex64
        assert np.array_equal(spectrum, expected)
        assert np.shares_memory(spectrum, buffer)  # written into the buffer given, not a fresh array


def test_a_blocks_arrays_are_its_own_after_later_blocks() -> None:
    """The frontend reuses its scratch buffers from block to block, never the arrays it hands out: detectors keep
    views of earlier blocks (SpectrumHistory)."""
    audio = _audio()[: 20 * RATE_HZ]
    frontend = Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=3000.0)
    ToneTracker(Band("low", 975.0, 1025.0), frontend=frontend, min_snr_db=8.0)
    first = frontend.feed(audio[: 4 * RATE_HZ])
    assert first is not None
    power, floor = first.power.copy(), first.floor.copy()
    frontend.feed(audio[4 * RATE_HZ :])
    assert np.array_equal(first.power, power)
    assert np.array_equal(first.floor, floor, equal_nan=True)


def test_floor_percentile_is_the_partitioned_value() -> None:
    """The floor's chunk estimate (found by sorting each column's frames) is the k-th smallest power that
    np.partition finds along the frames' axis, for one chunk and for many, with NaN and ties among the values."""
    rng = np.random.default_rng(9)
    for shape, axis in (((32, 40), 0), ((7, 32, 40), 1), ((1, 32, 3), 1), ((25, 40), 0)):
        power = (rng.exponential(size=shape) * 10.0 ** rng.uniform(-9, 1, size=shape[-1])).astype(np.float32)
        power.reshape(-1)[::7] = np.float32(0.5)  # ties
        power.reshape(-1)[5] = np.nan
        k = round((shape[axis] - 1) * 0.2)
        value = np.partition(power, k, axis=axis)[(slice(None),) * axis + (k,)]
        expected = np.maximum(value * np.float32(1.0 / 0.2231), np.float32(1e-7)).astype(np.float32)
        assert np.array_equal(Frontend._percentile(power, axis=axis), expected, equal_nan=True)


def test_peak_lookback_gives_what_a_run_trackers_rows_hold() -> None:
    """A band searched later, on the frames of a run only (PeakLookback), has the frequency and SNR a RunTracker
    tracking it beside the run's bands holds for those frames, bit for bit; frames no longer kept give None."""
    from monitord.frontend import PeakLookback, RunTracker

    audio = _audio()
    frontend = Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=4500.0)
    tones = [Band("low", 975.0, 1025.0), Band("high", 1365.0, 1435.0)]
    harmonics = [Band("low.h2", 1950.0, 2050.0), Band("high.h3", 4095.0, 4305.0)]
    tracker = RunTracker(tones + harmonics, frontend=frontend, min_snr_db=8.0, max_gap_s=0.3, max_run_s=5.0,
                         active_bands=2)
    lookback = PeakLookback([ToneTracker(band, frontend=frontend, min_snr_db=8.0, every_block=False)
                             for band in harmonics], frontend=frontend, keep_frames=400)
    runs = []
    for start in range(0, len(audio), 3 * RATE_HZ):  # runs across block boundaries too
        block = frontend.feed(audio[start : start + 3 * RATE_HZ])
        assert block is not None
        lookback.remember(block)
        for run in tracker.process(block):
            features = lookback.features(run.first_frame, run.frames)
            assert features is not None
            assert np.array_equal(features[0], run.frequency_hz[2:])
            assert np.array_equal(features[1], run.snr_db[2:])
            runs.append(run)
    assert any(run.frames > 40 for run in runs)  # the two-tone burst, not only blips
    assert lookback.features(0, 10) is None  # long gone
    assert lookback.features(frontend.frames_done - 5, 10) is None  # not yet analysed


def _gated_runs(audio: NDArray[np.float32], block: int, *, keep_gated: bool) -> list[tuple[int, NDArray[np.bool_],
                                                                                           NDArray[np.bool_] | None]]:
    from monitord.frontend import RunTracker

    frontend = Frontend(rate_hz=RATE_HZ, min_hz=500.0, max_hz=4500.0)
    tracker = RunTracker([Band("low", 975.0, 1025.0), Band("high", 1365.0, 1435.0)], frontend=frontend,
                         min_snr_db=8.0, max_gap_s=0.3, max_run_s=5.0, keep_gated=keep_gated)
    runs = []
    for start in range(0, len(audio), block):
        spectral = frontend.feed(audio[start : start + block])
        if spectral is not None:
            runs += tracker.process(spectral)
    runs += tracker.flush()
    return [(run.first_frame, run.on.copy(), None if run.gated is None else run.gated.copy()) for run in runs]


def test_a_run_trackers_gated_frames_are_a_tones_part_under_its_loud_onset_whatever_the_blocks() -> None:
    """keep_gated: the frames the reverberation gate turned off (more than 10 dB under the band's loudest of the last
    0.5 s) ride along with the run, the same whatever the blocks; the run's own frames are unchanged."""
    rng = np.random.default_rng(3)
    loud = synth.tone(1000.0, 0.1, amplitude=0.5)
    steady = synth.tone(1000.0, 0.25, amplitude=0.05)  # 20 dB under its switches: a room's notch under direct sound
    audio = synth.place(synth.white_noise(4.0, rng, level=0.001), synth.sequence([loud, steady, loud]), 1.0)
    whole = [run for run in _gated_runs(audio, len(audio), keep_gated=True) if run[1][0].any()]
    assert len(whole) == 1
    first, on, gated = whole[0]
    assert gated is not None
    assert gated[0].sum() >= 4  # the steady part between the loud ones (8 frames) is cut by the gate, and kept here
    assert not (gated & on).any()
    assert not gated[1].any()
    for block in (1600, 5000):
        runs = [run for run in _gated_runs(audio, block, keep_gated=True) if run[1][0].any()]
        assert [(f, o.tolist(), None if g is None else g.tolist()) for f, o, g in runs] == \
            [(first, on.tolist(), gated.tolist())]
    plain = [run for run in _gated_runs(audio, len(audio), keep_gated=False) if run[1][0].any()]
    assert [(f, o.tolist(), g) for f, o, g in plain] == [(first, on.tolist(), None)]


def test_log_parabolic_offset_finds_a_peak_between_bins() -> None:
    """The scalar interpolation the detectors use on averaged spectra: exact on a Gaussian peak (a parabola in log
    power), within 0.05 bin on a Hann-windowed tone's main lobe, and 0 where the three bins make no peak."""
    bins = np.arange(-1.0, 2.0)
    for true_offset in (-0.4, -0.1, 0.0, 0.25, 0.45):
        gaussian = np.exp(-((bins - true_offset) ** 2) / 1.7)
        assert log_parabolic_offset(gaussian) == pytest.approx(true_offset, abs=1e-9)
    n = 1024
    for true_offset in (-0.3, 0.2):
        tone = np.sin(2 * np.pi * (100 + true_offset) * np.arange(n) / n) * np.hanning(n)
        power = np.abs(np.fft.rfft(tone)) ** 2
        assert log_parabolic_offset(power[99:102]) == pytest.approx(true_offset, abs=0.05)
    assert log_parabolic_offset(np.array([1.0, 0.5, 1.0])) == 0.0  # a dip, not a peak
    assert log_parabolic_offset(np.array([1.0, 1.0, 1.0])) == 0.0  # flat
