"""`monitord analyze`: run the detectors over recordings and say what was heard, when, and how sure.

With --json, stdout carries one JSON object per line (the contract in README "Analyzing recordings"):
every detection is `{"type": "detection", "file", "alarm", "start", "end", "confidence", "snr_db", ...}`;
`file`, `error` and `summary` lines say how each file went. A file that cannot be read is reported on stderr,
the others are still analysed, and the exit code is 66.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from monitord.detectors import Detection
    from monitord.profiles import Profile

NAME = "analyze"
HELP = "detect pump alarms in recordings (table, or JSON lines with --json)"

_BLOCK_S = 16.0  # long blocks: numpy works on many frames per call (the pipeline streams either way)
_CLIP_PRE_S = 1.5
_CLIP_POST_S = 1.5
_HISTORY_S = 90.0  # audio kept for clips: the longest burst/sequence plus its reporting delay and margins


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", type=Path, default=None, metavar="PROFILE.toml",
                        help="signature profile (default: the bundled, UNVERIFIED guess)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line on stdout")
    parser.add_argument("--clips", type=Path, default=None, metavar="DIR",
                        help="write a WAV clip and a spectrogram PNG of every detection into DIR")
    parser.add_argument("--rate", type=int, default=None, metavar="HZ", help="sample rate of raw audio on stdin")
    parser.add_argument("--format", dest="sample_format", default=None, metavar="FMT",
                        help="sample format of raw audio on stdin (s16le, s32le, f32le, u8, ...)")
    parser.add_argument("--channels", type=int, default=1, help="channels of raw audio on stdin (default 1)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar on stderr (default: when stderr is a terminal)")
    parser.add_argument("files", nargs="+", metavar="FILE", help="audio files (WAV, FLAC, OGG, MP3), or - for stdin")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60.0)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:06.3f}" if hours else f"{minutes:02d}:{secs:06.3f}"


class _Progress:
    def __init__(self, stream: TextIO, name: str, total_s: float | None, enabled: bool) -> None:
        self.stream, self.name, self.total_s = stream, name, total_s
        self.enabled = enabled and total_s is not None and total_s >= 60.0
        self._shown = -1

    def update(self, done_s: float) -> None:
        if not self.enabled or not self.total_s:
            return
        percent = min(100, int(100 * done_s / self.total_s))
        if percent != self._shown:
            self._shown = percent
            filled = percent * 30 // 100
            self.stream.write(f"\r{self.name[-40:]:>40} [{'#' * filled}{'.' * (30 - filled)}] {percent:3d}%")
            self.stream.flush()

    def done(self) -> None:
        if self.enabled and self._shown >= 0:
            self.stream.write("\r" + " " * 80 + "\r")
            self.stream.flush()


class _ClipWriter:
    """Keeps the last _HISTORY_S of audio and writes clips once their post-roll has arrived."""

    def __init__(self, directory: Path, file_label: str, rate_hz: int) -> None:
        import numpy as np

        self.directory = directory
        self.stem = Path(file_label).stem if file_label != "-" else "stdin"
        self.rate_hz = rate_hz
        self.capacity = int(_HISTORY_S * rate_hz)
        self.history = np.zeros(0, dtype=np.float32)
        self.history_start = 0  # stream sample index of history[0]
        self.pending: list[tuple[Detection, dict[str, Any]]] = []
        self.failures = 0

    def add_audio(self, block: Any) -> None:
        import numpy as np

        self.history = np.concatenate([self.history, block])
        excess = len(self.history) - self.capacity
        if excess > 0:
            self.history = self.history[excess:]
            self.history_start += excess

    def want(self, detection: Detection, record: dict[str, Any]) -> None:
        index = len(self.pending) + 1
        name = f"{self.stem}-{detection.alarm.value}-{detection.start_s:09.3f}s-{index}".replace(".", "_")
        record["clip"] = str(self.directory / f"{name}.wav")
        record["spectrogram"] = str(self.directory / f"{name}.png")
        self.pending.append((detection, record))

    def write_ready(self, *, final: bool) -> None:
        from monitord.clips import write_clip

        now = self.history_start + len(self.history)
        still: list[tuple[Detection, dict[str, Any]]] = []
        for detection, record in self.pending:
            first = max(0, int((detection.start_s - _CLIP_PRE_S) * self.rate_hz))
            last = int((detection.end_s + _CLIP_POST_S) * self.rate_hz)
            if last > now and not final:
                still.append((detection, record))
                continue
            begin = max(first, self.history_start) - self.history_start
            audio = self.history[begin : max(begin, min(last, now) - self.history_start)]
            offset = (self.history_start + begin) / self.rate_hz
            title = (f"{detection.alarm.display_name}  {detection.start_s:.2f}–{detection.end_s:.2f} s  "
                     f"confidence {detection.confidence:.2f}  SNR {detection.snr_db:.1f} dB  "
                     f"tones {'/'.join(f'{f:.0f}' for f in detection.frequencies_hz)} Hz")
            try:
                write_clip(Path(record["clip"]), Path(record["spectrogram"]), audio, rate_hz=self.rate_hz,
                           title=title, marks_s=(detection.start_s - offset, detection.end_s - offset))
            except Exception as exc:
                self.failures += 1
                print(f"monitord analyze: warning: could not write clip {record['clip']}: {exc}", file=sys.stderr)
                record.pop("clip", None)
                record.pop("spectrogram", None)
        self.pending = still


_STREAM_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # stream second 0 for the episode tracker (it wants datetimes)


def _stream_s(moment: datetime | None) -> float | None:
    return None if moment is None else round((moment - _STREAM_EPOCH).total_seconds(), 3)


class _Episodes:
    """Runs the episode tracker (monitord.episodes) in stream time over one file's detections."""

    def __init__(self, file_label: str, profile: Profile) -> None:
        from monitord.episodes import EpisodeTracker

        self.file_label = file_label
        self.profile = profile
        self.tracker = EpisodeTracker(node_id="analyze", microphone=file_label)
        self.records: list[dict[str, Any]] = []

    def observe(self, detection: Detection) -> list[dict[str, Any]]:
        from monitord.events import AlarmHeard

        heard = AlarmHeard(
            node_id="analyze",
            time=_STREAM_EPOCH + timedelta(seconds=detection.end_s),
            alarm=detection.alarm,
            confidence=detection.confidence,
            snr_db=detection.snr_db,
            frequencies_hz=detection.frequencies_hz,
            started_at=_STREAM_EPOCH + timedelta(seconds=detection.start_s),
            ended_at=_STREAM_EPOCH + timedelta(seconds=detection.end_s),
            microphone=self.file_label,
            profile=self.profile.name,
            profile_verified=self.profile.is_verified(detection.alarm),
        )
        return [self._record(event) for event in self.tracker.observe(heard)]

    def finish(self, duration_s: float) -> list[dict[str, Any]]:
        """Episodes whose repeats stopped within the file end; the others are still open when it ends."""
        records = [self._record(event) for event in self.tracker.advance(_STREAM_EPOCH + timedelta(seconds=duration_s))]
        for episode in self.tracker.active:
            records.append({
                "type": "episode", "file": self.file_label, "alarm": episode.alarm.value, "phase": "open_at_end",
                "episode_id": episode.episode_id, "confirmed": episode.confirmed,
                "first_heard": _stream_s(episode.first_heard), "last_heard": _stream_s(episode.last_heard),
                "soundings": episode.soundings, "max_confidence": episode.max_confidence,
                "next_expected": _stream_s(episode.next_expected_at),
            })
        return records

    def _record(self, event: Any) -> dict[str, Any]:
        record = {
            "type": "episode", "file": self.file_label, "alarm": event.alarm.value,
            "phase": event.type.removeprefix("episode_"), "episode_id": event.episode_id,
            "at": _stream_s(event.time), "first_heard": _stream_s(event.first_heard),
            "last_heard": _stream_s(event.last_heard), "soundings": event.soundings,
            "max_confidence": event.max_confidence,
        }
        if getattr(event, "next_expected_at", None) is not None:
            record["next_expected"] = _stream_s(event.next_expected_at)
        if getattr(event, "reason", None) is not None:
            record["reason"] = str(event.reason.value)
        self.records.append(record)
        return record


def _detection_record(file_label: str, detection: Detection, profile: Profile) -> dict[str, Any]:
    return {
        "type": "detection",
        "file": file_label,
        "alarm": detection.alarm.value,
        "start": round(detection.start_s, 3),
        "end": round(detection.end_s, 3),
        "confidence": detection.confidence,
        "snr_db": detection.snr_db,
        "frequencies_hz": list(detection.frequencies_hz),
        "detector": detection.detector,
        "profile": profile.name,
        "profile_verified": profile.is_verified(detection.alarm),
    }


def _analyze_file(file_label: str, args: argparse.Namespace, profile: Profile, emit: Any,
                  progress_enabled: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from monitord.audio import INTERNAL_RATE_HZ, open_audio
    from monitord.pipeline import Pipeline

    records: list[dict[str, Any]] = []
    with open_audio(file_label, rate_hz=args.rate, sample_format=args.sample_format,
                    channels=args.channels) as source:
        pipeline = Pipeline(profile)
        episodes = _Episodes(file_label, profile)
        clips = _ClipWriter(args.clips, file_label, INTERNAL_RATE_HZ) if args.clips else None
        progress = _Progress(sys.stderr, file_label, source.duration_s, progress_enabled)

        def handle(detections: list[Detection]) -> None:
            for detection in detections:
                record = _detection_record(file_label, detection, profile)
                if clips is not None:
                    clips.want(detection, record)
                records.append(record)
                records.extend(episodes.observe(detection))
            if clips is not None:
                clips.write_ready(final=False)

        try:
            for block in source.blocks(_BLOCK_S):
                if clips is not None:
                    clips.add_audio(block)
                handle(pipeline.feed(block))
                progress.update(pipeline.now_s)
            handle(pipeline.flush())
            if clips is not None:
                clips.write_ready(final=True)
        finally:
            progress.done()
        records += episodes.finish(pipeline.now_s)
        info: dict[str, Any] = {
            "type": "file",
            "file": file_label,
            "duration_s": round(pipeline.now_s, 3),
            "source_rate_hz": source.source_rate_hz,
            "channels": source.channels,
            "detections": sum(1 for record in records if record["type"] == "detection"),
            "non_finite_samples": source.non_finite_samples,
            "clipped_samples": source.clipped_samples,
            "rejected": pipeline.counters(),
        }
    return records, info


def run(args: argparse.Namespace) -> int:
    from monitord.errors import ExitCode, UserError
    from monitord.heap import keep_freed_memory
    from monitord.profiles import load_profile

    keep_freed_memory()  # an hour of blocks reuses its pages, not faulting them in again (monitord/heap.py)
    profile = load_profile(args.profile)
    if args.files.count("-") > 1:
        raise UserError("stdin (-) can be analysed only once per run", exit_code=ExitCode.USAGE)
    out = sys.stdout
    progress_enabled = sys.stderr.isatty() if args.progress is None else bool(args.progress)

    def emit(record: dict[str, Any]) -> None:
        out.write(json.dumps(record) + "\n")
        out.flush()

    if not args.json:
        _print_profile_banner(profile, out)
    failed: list[str] = []
    totals = {"critical": 0, "non_critical": 0}
    worst_exit = ExitCode.OK
    for file_label in args.files:
        try:
            records, info = _analyze_file(file_label, args, profile, emit, progress_enabled)
        except UserError as exc:
            failed.append(file_label)
            worst_exit = max(worst_exit, exc.exit_code) if worst_exit else exc.exit_code
            print(f"monitord analyze: error: {exc.message}", file=sys.stderr)
            if exc.hint:
                print(f"  hint: {exc.hint}", file=sys.stderr)
            if args.json:
                emit({"type": "error", "file": file_label, "error": exc.message})
            continue
        for record in records:
            if record["type"] == "detection":
                totals[record["alarm"]] += 1
        _warn_input_problems(file_label, info)
        if args.json:
            for record in records:
                emit(record)
            emit(info)
        else:
            _print_table(file_label, records, info, out)
    summary = {
        "type": "summary",
        "files": len(args.files),
        "failed": failed,
        "detections": totals,
        "profile": profile.name,
        "profile_verified": profile.verified,
    }
    if args.json:
        emit(summary)
    elif len(args.files) > 1:
        out.write(f"\n{len(args.files) - len(failed)} of {len(args.files)} file(s) analysed: "
                  f"{totals['critical']} critical, {totals['non_critical']} non-critical detection(s)\n")
    return int(worst_exit) if failed else 0


def _print_profile_banner(profile: Profile, out: TextIO) -> None:
    if profile.verified:
        out.write(f"profile: {profile.name} (learned from the patient's pump)\n")
    else:
        out.write(f"profile: {profile.name} — UNVERIFIED GUESS: no public data gives the pump's tones; enroll your "
                  "pump (`monitord enroll`) for reliable detection\n")


def _warn_input_problems(file_label: str, info: dict[str, Any]) -> None:
    if info["non_finite_samples"]:
        print(f"monitord analyze: warning: {file_label}: {info['non_finite_samples']} NaN/inf samples were "
              "replaced by silence", file=sys.stderr)
    samples = max(1.0, info["duration_s"] * info["source_rate_hz"] * info["channels"])
    if info["clipped_samples"] / samples > 0.001:
        print(f"monitord analyze: warning: {file_label}: the recording clips ({info['clipped_samples']} samples at "
              "full scale); lower the input gain — detection may suffer", file=sys.stderr)
    if info["duration_s"] == 0:
        print(f"monitord analyze: warning: {file_label}: holds no audio samples", file=sys.stderr)


def _print_table(file_label: str, all_records: list[dict[str, Any]], info: dict[str, Any], out: TextIO) -> None:
    records = [record for record in all_records if record["type"] == "detection"]
    episodes = [record for record in all_records if record["type"] == "episode"]
    _print_detections(file_label, records, info, out)
    final = {record["episode_id"]: record for record in episodes}
    for episode in final.values():
        state = {"ended": "ended (repeats stopped)", "open_at_end": "still going when the recording ends"}.get(
            episode["phase"], episode["phase"])
        cadence = "confirmed on the pump's cadence" if episode["phase"] == "confirmed" or episode.get("confirmed") \
            else "not (yet) confirmed by a repeat on cadence"
        out.write(f"  episode: {episode['alarm'].replace('_', '-')}, {episode['soundings']} sounding(s) from "
                  f"{_clock(episode['first_heard'])} to {_clock(episode['last_heard'])}, {cadence}; {state}\n")


def _print_detections(file_label: str, records: list[dict[str, Any]], info: dict[str, Any], out: TextIO) -> None:
    out.write(f"\n{file_label} ({_clock(info['duration_s'])}, {info['source_rate_hz']} Hz): ")
    if not records:
        out.write("no pump alarm heard\n")
        return
    out.write(f"{len(records)} detection(s)\n")
    out.write(f"  {'alarm':<14} {'start':>12} {'end':>12} {'confidence':>10} {'SNR dB':>7}  tones\n")
    for record in records:
        tones = "/".join(f"{f:.0f}" for f in record["frequencies_hz"]) + " Hz"
        guess = "" if record["profile_verified"] else "  (unverified profile)"
        out.write(f"  {record['alarm'].replace('_', '-'):<14} {_clock(record['start']):>12} "
                  f"{_clock(record['end']):>12} {record['confidence']:>10.2f} {record['snr_db']:>7.1f}  "
                  f"{tones}{guess}\n")
        if "clip" in record:
            out.write(f"  {'':<14} clip: {record['clip']}  spectrogram: {record['spectrogram']}\n")
