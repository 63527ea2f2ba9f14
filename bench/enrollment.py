"""Does `monitord enroll` learn the true tones? Every clinic recording of every corpus, against its manifest.

    PYTHONPATH=. .venv/bin/python bench/enrollment.py [--corpus-root bench/corpus] [--exclude seed71-quick ...]
        [--seeds 5 7 ...] [--alarm critical|non_critical] [--both | --hard [VARIANT ...]]

Runs `monitord enroll` exactly as a family would (one process per recording, both alarms) and compares the learned
frequencies with the synthetic pump's true ones (within 2 %). Prints one line per mismatch, how far off the learned
pitches are (median and largest, per alarm; the pump's nominal pitch, so the few soundings' own ±0.3 % jitter counts
in), and a total; exits 1 if any recording was learned wrong or refused. Build the corpora first with
bench/detection.py.

It also checks the learned timing against the pump's, from the profile enroll wrote, because a wrong length makes a
pump as deaf as a wrong pitch (a reverberant clinic recording once halved a learned critical tone and the detector
refused every burst): the critical tone length (`tone_typical_s` / the pump's `tone_segment_s`, within
±TONE_LENGTH_TOLERANCE) and the beeps in a sequence (`beeps_at_enrollment` = the pump's `beep_count`; for sequences,
`beep_interval_s` / the pump's beep + pause within ±BEEP_INTERVAL_TOLERANCE; for a single beep, none learned). The
pump's own timings jitter per sounding (bench/corpus.py), so these are ratios to the nominal values, printed as median
and worst.

It also checks, for information (printed as LIMIT lines and a total, not counted in the exit code), whether each
learned accept limit the detectors use would take the pump's own true sounding with a margin (limit_checks): beep
sounding length (span_min_s / span_max_s), tone time heard (heard_min_s), pauses bridged (gap_max_s), fill
(fill_min_pct), quiet_after_s; critical tone length (tone_min_s / tone_max_s), burst length (burst_min_s /
burst_max_s / burst_typical_s), changes_min, and gap_max_s against the pause between a sounding's two bursts.
`--seeds N ... [N-full]` checks only those corpora (N: seedN-quick; listed explicitly: nothing else under the corpus
root is opened).

`--both` checks instead one recording of both alarms per pump and order (the clinic demonstrated both and the family
kept filming): the pump's two clinic recordings joined, critical then beep and beep then critical (the second
resampled to the first's rate), each alarm enrolled from the joined recording and checked as above.

`--hard [VARIANT ...]` checks instead clinic recordings harder than the corpus's: each pump's recording of each alarm
re-rendered under one harder condition at a time (HARD_VARIANTS: one sounding; SNR 3–8 dB; a nurse talking loudly; a
TV or music in the waiting room; the programmer's key beeps; a phone ringing; 2–3 minutes with the alarm in the
middle; AGC; clipping; 16 kHz; an 8 kHz phone call; a strongly reverberant room; default all), rendered by
bench/enrollment_stress.py's clinic_stress from bench/corpus.py's building blocks with the pumps of the corpora's
manifests, and tabulates per variant and alarm how many were learned right, refused (exit 2) or learned WRONG (exit 0
with a wrong tone or timing); exits 1 if any was learned wrong. A refusal is acceptable (costly: the family must
record again); a wrong tone leaves the pump deaf. For speed, enroll runs in-process there (monitord.cli.main, the
same command line).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import re
import statistics
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from scipy import signal

from monitord.audio import INTERNAL_RATE_HZ
from monitord.detectors.non_critical import _MIN_TONE_FRAMES_SHORTEST
from monitord.frontend import HOP_LENGTH

HERE = Path(__file__).resolve().parent

# How far a learned timing may sit from the pump's nominal one and still count as learned (fractions). The detector
# accepts critical tones from about half to twice the learned length, so ±30 % leaves it room; a sequence's beep
# interval is matched tighter by the rhythm check, so ±15 %.
TONE_LENGTH_TOLERANCE = 0.30
BEEP_INTERVAL_TOLERANCE = 0.15


def timing_checks(alarm: str, profile: dict[str, Any], pump: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Each checked timing's (learned / true, tolerance); a beep count mismatch is (learned count / true count, 0)."""
    if alarm == "critical":
        section = profile["critical"]
        return {"tone length": (section["tone_typical_s"] / pump["tone_segment_s"], TONE_LENGTH_TOLERANCE)}
    section = profile["non_critical"]
    checks = {"beeps per sounding": (section.get("beeps_at_enrollment", 1) / pump["beep_count"], 0.0)}
    if pump["beep_count"] > 1 and "beep_interval_s" in section:
        checks["beep interval"] = (section["beep_interval_s"] / (pump["beep_s"] + pump["beep_gap_s"]),
                                   BEEP_INTERVAL_TOLERANCE)
    elif pump["beep_count"] == 1 and "beep_interval_s" in section:
        # A single beep has no rhythm: a learned interval asks soundings heard in pieces for one (reported as
        # learned interval / the pump's beep, which no tolerance lets pass).
        checks["beep interval"] = (section["beep_interval_s"] / pump["beep_s"], -1.0)
    return checks


# The learned accept limits against the pump's own soundings (limit_checks): each sounding's timings jitter ±3 %
# (bench/corpus.py), a home room's echo lengthens what is heard, noise shortens it. A limit "nearly refuses" the
# pump when the pump's true sounding, jittered to its worst, lies within these margins of it.
JITTER = 0.03
ECHO_S = 0.1  # a room's tail added to a sounding's or a tone's length at home
HEARD_SHARE = 0.75  # of the true tone time: what a sounding in noise still shows of it
PART_SHARE = 0.6  # of a true length: a beep, a tone or a burst heard in part (its edges lost to noise)
CHANGES_SHARE = 0.7  # of a burst's true changes low↔high: some turns lost to noise
# The beep detector takes no sounding heard in fewer than _MIN_TONE_FRAMES_SHORTEST frames (3 hops of 32 ms): a
# learned length limit under that refuses nothing the detector would take. Read from the detector and the frontend,
# so the check follows them if either changes.
SHORTEST_HEARD_S = _MIN_TONE_FRAMES_SHORTEST * HOP_LENGTH / INTERNAL_RATE_HZ


def limit_checks(alarm: str, profile: dict[str, Any], pump: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    """Would the learned accept limits take the pump's own true sounding, with a margin? Each limit the detectors
    use: (ok, "learned X, the pump needs ≤/≥ Y")."""
    lo, hi = 1 - JITTER, 1 + JITTER
    checks: dict[str, tuple[bool, str]] = {}

    def at_most(what: str, learned: float | None, bound: float) -> None:
        if learned is not None:
            checks[what] = (learned <= bound + 1e-9, f"learned {learned:.3f}, the pump needs ≤ {bound:.3f}")

    def at_least(what: str, learned: float | None, bound: float) -> None:
        if learned is not None:
            checks[what] = (learned >= bound - 1e-9, f"learned {learned:.3f}, the pump needs ≥ {bound:.3f}")

    if alarm == "critical":
        section = profile["critical"]
        tone, burst = pump["tone_segment_s"], pump["burst_s"]
        at_most("tone_min_s", section.get("tone_min_s"), PART_SHARE * lo * tone)
        at_least("tone_max_s", section.get("tone_max_s"), hi * tone + ECHO_S)
        at_most("burst_min_s", section.get("burst_min_s"), PART_SHARE * lo * burst)
        at_least("burst_max_s", section.get("burst_max_s"), hi * burst + ECHO_S)
        if section.get("burst_typical_s") is not None:
            ratio = section["burst_typical_s"] / burst
            checks["burst_typical_s"] = (abs(ratio - 1) <= TONE_LENGTH_TOLERANCE,
                                         f"learned {section['burst_typical_s']:.3f} = {ratio:.2f} × the pump's burst "
                                         f"{burst:.3f} (allowed ±{TONE_LENGTH_TOLERANCE:.0%})")
        at_most("changes_min", section.get("changes_min"), CHANGES_SHARE * (math.ceil(lo * burst / (hi * tone)) - 1))
        if pump.get("burst_count", 1) > 1:
            # Two bursts of one sounding stay apart: the first is reported as soon as it ends.
            at_most("gap_max_s", section.get("gap_max_s"), lo * pump["burst_gap_s"] - ECHO_S)
        return checks
    section = profile["non_critical"]
    count, beep, gap = pump["beep_count"], pump["beep_s"], pump["beep_gap_s"]
    span = count * beep + (count - 1) * gap
    at_most("span_min_s", section.get("span_min_s"), max(SHORTEST_HEARD_S, PART_SHARE * lo * span))
    at_least("span_max_s", section.get("span_max_s"), hi * span + ECHO_S)
    at_most("heard_min_s", section.get("heard_min_s"), max(SHORTEST_HEARD_S, HEARD_SHARE * lo * count * beep))
    if count > 1:
        at_least("gap_max_s", section.get("gap_max_s"), hi * gap)
    fill = 100.0 * count * beep / span
    at_most("fill_min_pct", section.get("fill_min_pct"), PART_SHARE * fill)
    if "quiet_after_s" in section:
        # A sounding is judged once its tone has been silent this long: never inside one of the pump's pauses.
        at_least("quiet_after_s", section["quiet_after_s"], hi * gap + ECHO_S if count > 1 else ECHO_S)
    return checks


def learned_frequencies(stdout: str) -> list[float]:
    """The frequencies on enroll's 'tones:'/'tone:' line (the second line of its report)."""
    lines = stdout.splitlines()
    return [float(x) for x in re.findall(r"([\d.]+) Hz", lines[1])] if len(lines) > 1 else []


def run_enroll(argv: list[str], *, in_process: bool) -> subprocess.CompletedProcess[str]:
    """`monitord ARGV` as a family runs it: its own process, or (in_process, for --hard's hundreds of short runs,
    where starting Python and importing every command took 2 of every 2.5 s) the same command line through
    monitord.cli.main in this process, its output captured the same way."""
    if not in_process:
        return subprocess.run([sys.executable, "-m", "monitord", *argv], capture_output=True, text=True, check=False)
    from monitord import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def join_recordings(first: Path, second: Path, out: Path) -> None:
    """`first` then `second` (mono, at `first`'s rate) in one WAV: a clinic visit recorded in one go. One phone in
    one room keeps one level, so `second` is scaled to put its background (the 10th percentile of its half-second
    levels) at `first`'s: the corpus normalises each recording to a random level, and joined as they are the room
    jumped up to 11 dB at the seam, where every voice in it stood that much over a noise floor still learning."""
    a, rate = soundfile.read(first, dtype="float64", always_2d=True)
    b, rate_b = soundfile.read(second, dtype="float64", always_2d=True)
    a, b = a.mean(axis=1), b.mean(axis=1)
    if rate_b != rate:
        step = math.gcd(rate, rate_b)
        b = signal.resample_poly(b, rate // step, rate_b // step)

    def background(x: np.ndarray) -> float:
        n = rate // 2
        levels = np.sqrt(np.mean(x[: len(x) // n * n].reshape(-1, n) ** 2, axis=1))
        return float(np.percentile(levels, 10)) + 1e-12

    joined = np.concatenate([a, b * background(a) / background(b)])
    soundfile.write(out, np.clip(joined, -1.0, 1.0), rate, subtype="PCM_16")


# `--hard`: each variant changes one habit of bench/corpus.py's clinic_recording (bench/enrollment_stress.py's
# Condition fields; everything else as the corpus makes it), so that a failure names its cause.
HARD_VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "once": ("the alarm sounds only once", {"soundings": (1, 1)}),
    "snr_3_8": ("the alarm 3–8 dB over the room", {"snr_db": (3, 8)}),
    "nurse_loud": ("a nurse talking loudly over the alarm (voices 10 dB up, SNR 6–12 dB)",
                   {"voices": 3.0, "snr_db": (6, 12)}),
    "tv": ("a TV in the waiting room (dialogue, music bed, laughter; SNR 6–12 dB)",
           {"tv": True, "voices": 2.0, "snr_db": (6, 12)}),
    "music": ("music in the waiting room (SNR 6–12 dB)", {"music": True, "voices": 2.0, "snr_db": (6, 12)}),
    "programmer": ("the clinician programmer's own UI beeps and clicks, as loud as the alarm", {"programmer": True}),
    "phone_ring": ("a phone ringing through the demonstration (ringback or a melody, 0–10 dB over the mix)",
                   {"ring": True}),
    "long": ("a 2–3 minute recording, the alarm in the middle (people talking throughout)",
             {"lead_s": (55, 85), "tail_s": 60.0, "voices": 1.0}),
    "agc": ("a phone's automatic gain control (fast attack, slow release, up to +30 dB)", {"agc": True}),
    "clipped": ("hard clipping (input gain 10–15 dB too high)", {"clip": True}),
    "rate_16k": ("recorded at 16 kHz", {"fs": 16_000}),
    "rate_8k": ("a phone call: 8 kHz, 300–3400 Hz (a tone above 0.45 × 8 kHz cannot be learned: refusing is right)",
                {"fs": 8_000}),
    "reverb_heavy": ("a strongly reverberant room (RT60 1.2–2 s, DRR −8…−3 dB)",
                     {"rt60_s": (1.2, 2.0), "drr_db": (-8, -3)}),
}
PHONE_BAND_HZ = (300.0, 3400.0)


def render_hard(variant: str, corpus: Path, pump: dict[str, Any], alarm: str, lib: Any, out: Path) -> bool:
    """Re-render `pump`'s clinic recording of `alarm` under `variant` into `out` (WAV, the clinic recording's own
    rate unless the variant sets one). Deterministic from the corpus's seed, the pump, the alarm and the variant.
    Returns whether the recording can hold the alarm's tones at all (below 0.45 × its rate)."""
    from bench import corpus as gen
    from bench import enrollment_stress as stress

    model = gen.PumpModel(**{k: tuple(v) if k == "harmonics" else v for k, v in pump.items()})
    fields = dict(HARD_VARIANTS[variant][1])
    rate = fields.pop("fs", None) or soundfile.info(str(corpus / pump["name"] / f"clinic-{alarm.replace('_', '-')}.wav")
                                                   ).samplerate
    cond = stress.Condition(variant, HARD_VARIANTS[variant][0], **fields)
    seed = int(json.loads((corpus / "manifest.json").read_text())["spec"]["seed"])
    rng = stress._rng(seed, "hard", corpus.name, pump["name"], alarm, variant)
    render_rate = max(rate, 16_000)  # the room model needs 16 kHz; a phone call is band-limited after it
    audio, _, _ = stress.clinic_stress(model, alarm, cond, lib, rng, render_rate)
    if render_rate != rate:
        step = math.gcd(render_rate, rate)
        audio = signal.resample_poly(audio, rate // step, render_rate // step)
        sos = signal.butter(4, PHONE_BAND_HZ, btype="bandpass", fs=rate, output="sos")
        audio = signal.sosfilt(sos, audio)
        audio *= 0.5 / max(1e-9, float(np.max(np.abs(audio))))
    stress.write_recording(out, np.asarray(audio), rate, "wav")
    tones = (pump["tone_low_hz"], pump["tone_high_hz"]) if alarm == "critical" else (pump["beep_hz"],)
    return max(tones) < 0.45 * rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus-root", type=Path, default=HERE / "corpus")
    parser.add_argument("--exclude", nargs="*", default=[], metavar="CORPUS",
                        help="corpus directory names to leave out (held-out corpora)")
    parser.add_argument("--seeds", nargs="*", metavar="SEED",
                        help="only these corpora, listed explicitly (N for seedN-quick, N-full for seedN-full): "
                        "nothing else under the corpus root is opened")
    parser.add_argument("--alarm", choices=("critical", "non_critical"), action="append",
                        help="check only this alarm's recordings (repeat for both; default both)")
    parser.add_argument("--both", action="store_true",
                        help="check one recording of both alarms per pump and order (the two joined)")
    parser.add_argument("--hard", nargs="*", metavar="VARIANT", choices=sorted(HARD_VARIANTS),
                        help="re-render each pump's clinic recordings under harder conditions, one variant at a time "
                        f"(default all: {', '.join(HARD_VARIANTS)}) and tabulate right / refused / wrong")
    args = parser.parse_args(argv)
    alarms = set(args.alarm or ("critical", "non_critical"))
    if args.seeds is not None:
        corpora = [args.corpus_root / (f"seed{seed}" if "-" in seed else f"seed{seed}-quick") for seed in args.seeds]
        if missing := [p.name for p in corpora if not (p / "manifest.json").is_file()]:
            # Listed on purpose: leaving one out silently would report N/N over fewer corpora than asked for.
            print(f"no such corpus under {args.corpus_root}: {', '.join(missing)} (build it with bench/detection.py "
                  "--quick --seed N, or --full for N-full)", file=sys.stderr)
            return 2
        corpora = [p for p in corpora if p.name not in args.exclude]
    else:
        corpora = sorted(p for p in args.corpus_root.glob("seed*")
                         if (p / "manifest.json").is_file() and p.name not in args.exclude)
    if not corpora:
        print(f"no corpus under {args.corpus_root}: run bench/detection.py --quick first", file=sys.stderr)
        return 2
    total = wrong = 0
    hard = list(HARD_VARIANTS) if args.hard == [] else args.hard
    tally: dict[str, dict[str, list[str]]] = {}
    lib = None
    if hard:
        from bench.corpus import SourceLibrary

        lib = SourceLibrary(args.corpus_root / "sources")
    errors: dict[str, list[tuple[float, str]]] = {"non_critical": [], "critical": []}
    timings: dict[str, list[tuple[float, str]]] = {}
    limits: dict[str, list[bool]] = {}

    def check(recording: Path, alarm: str, pump: dict[str, Any], label: str) -> str:
        """Enroll `alarm` from `recording` as a family would and compare with the pump's truth: "right", "refused"
        (exit 2, a message to record again), "wrong" (exit 0, a wrong tone or timing) or "crashed" (any other
        exit)."""
        truth = (pump["tone_low_hz"], pump["tone_high_hz"]) if alarm == "critical" else (pump["beep_hz"],)
        with tempfile.TemporaryDirectory() as tmp:
            done = run_enroll(["enroll", "--alarm", alarm, "--profile", str(Path(tmp) / "p.toml"), str(recording)],
                              in_process=bool(hard))
            saved = Path(tmp) / "p.toml"
            profile = tomllib.loads(saved.read_text()) if done.returncode == 0 and saved.is_file() else {}
        learned = sorted(learned_frequencies(done.stdout)[: len(truth)]) if done.returncode == 0 else []
        pitch_ok = len(learned) == len(truth) and all(
            abs(got / want - 1) < 0.02 for got, want in zip(learned, sorted(truth), strict=True))
        timing_ok = True
        if pitch_ok and alarm in profile:
            for what, (ratio, tolerance) in timing_checks(alarm, profile, pump).items():
                timings.setdefault(what, []).append((ratio, label))
                if abs(ratio - 1) > tolerance + 1e-9:
                    timing_ok = False
                    print(f"MISMATCH {label} {alarm}: {what} learned {ratio:.3f} × the pump's (allowed "
                          f"±{tolerance:.0%})")
            for what, (ok, text) in limit_checks(alarm, profile, pump).items():
                limits.setdefault(f"{alarm} {what}", []).append(ok)
                if not ok:
                    print(f"LIMIT {label} {alarm}: {what} {text}")
        if pitch_ok:
            errors[alarm] += [(100.0 * (got / want - 1), f"{label} {want} Hz")
                              for got, want in zip(learned, sorted(truth), strict=True)]
        else:
            print(f"MISMATCH {label} {alarm}: true {truth}, learned {learned} (exit {done.returncode}) "
                  f"{done.stderr.strip()[:160]}")
        if pitch_ok and timing_ok:
            return "right"
        return "wrong" if done.returncode == 0 else "refused" if done.returncode == 2 else "crashed"

    for corpus in corpora:
        manifest = json.loads((corpus / "manifest.json").read_text())
        for pump in manifest["pumps"]:
            recordings = {alarm: corpus / pump["name"] / f"clinic-{alarm.replace('_', '-')}.wav"
                          for alarm in ("critical", "non_critical")}
            label = f"{corpus.name}/{pump['name']}"
            if hard:
                with tempfile.TemporaryDirectory() as tmp:
                    for variant in hard:
                        for alarm in sorted(alarms):
                            recording = Path(tmp) / f"{variant}-{alarm}.wav"
                            learnable = render_hard(variant, corpus, pump, alarm, lib, recording)
                            outcome = check(recording, alarm, pump, f"{label} [{variant}]")
                            if not learnable:
                                outcome += " (cannot hold the tone)"
                            tally.setdefault(variant, {}).setdefault(alarm, []).append(outcome)
                            total += 1
                            wrong += outcome.startswith(("wrong", "crashed"))
                continue
            if not args.both:
                for alarm in sorted(alarms):
                    total += 1
                    wrong += check(recordings[alarm], alarm, pump, label) != "right"
                continue
            with tempfile.TemporaryDirectory() as tmp:
                for first, second in (("critical", "non_critical"), ("non_critical", "critical")):
                    joined = Path(tmp) / f"clinic-{first}-then-{second}.wav"
                    join_recordings(recordings[first], recordings[second], joined)
                    for alarm in sorted(alarms):
                        total += 1
                        wrong += check(joined, alarm, pump, f"{label} ({first} first)") != "right"
    for alarm, found in errors.items():
        if found:
            worst = max(found, key=lambda e: abs(e[0]))
            median = statistics.median(abs(e) for e, _ in found)
            print(f"{alarm}: {len(found)} learned pitches off the pump's by median {median:.3f} %, at most "
                  f"{abs(worst[0]):.3f} % ({worst[1]} learned {worst[0]:+.3f} %)")
    for what, found in timings.items():
        worst = max(found, key=lambda e: abs(e[0] - 1))
        middle = statistics.median(r for r, _ in found)
        print(f"{what}: learned / true over {len(found)} recordings median {middle:.3f}, "
              f"range {min(r for r, _ in found):.3f}–{max(r for r, _ in found):.3f} (worst {worst[1]})")
    if limits:
        refused = {what: oks.count(False) for what, oks in sorted(limits.items()) if not all(oks)}
        which = ", ".join(f"{what} {n}" for what, n in refused.items()) or "none"
        print(f"learned limits: {sum(refused.values())} of {sum(len(oks) for oks in limits.values())} would refuse "
              f"or nearly refuse the pump's own sounding ({which}; informational, not counted below)")
    if tally:
        print("variant | alarm | right | refused | WRONG | crashed | (of them: recording cannot hold the tone)")
        for variant, by_alarm in tally.items():
            for alarm, outcomes in sorted(by_alarm.items()):
                kinds = [o.split()[0] for o in outcomes]
                cannot = sum("cannot" in o for o in outcomes)
                print(f"{variant} | {alarm} | {kinds.count('right')} | {kinds.count('refused')} | "
                      f"{kinds.count('wrong')} | {kinds.count('crashed')} | {cannot or ''}")
        print(f"{total - wrong}/{total} hard enrollments learned right or refused (exit 2); {wrong} learned WRONG "
              "or crashed")
        return 0 if wrong == 0 else 1
    what = "enrollments from joined recordings of both alarms" if args.both else "clinic recordings"
    print(f"{total - wrong}/{total} {what}: enrollment learned the true tones and timing")
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
