"""What reaches a caregiver's phone: false incidents per day, and a real alarm's confirmation delay amid strays.

    PYTHONPATH=. .venv/bin/python bench/incidents.py --full      # 8 enrolled profiles + the default, 6 h each
    PYTHONPATH=. .venv/bin/python bench/incidents.py --quick --seed 99 --corpus-root /path/to/corpora

bench/detection.py counts false DETECTIONS. A caregiver's phone buzzes for INCIDENTS, which the episode layer
opens from detections: the first sounding STARTS an episode, a repeat on the pump's cadence CONFIRMS it
(monitord.episodes.tracker), and the default escalation policies open an incident on a critical episode's start
and on a non-critical episode's confirmation (monitord.escalation.config). This benchmark measures both layers on
the corpus' background files, which hold no pump alarm (every detection in them is false):

1. enroll each pump's profile from its clinic recordings (as detection.py does; or take `--profiles DIR`), then
   run ``python -m monitord analyze --profile P.toml --json`` with EACH profile over ALL background files of the
   corpus (full: 8 × 3 × 15 min = 6 h per profile, 48 profile-hours in all), and once more with the bundled,
   unverified default profile;
2. lay the background files end to end as one continuous stream of household time, in a fixed order (by pump,
   then by file index: pump0/background-0, pump0/background-1, ..., pump7/background-2), starting at
   STREAM_START; each detection becomes an AlarmHeard at (start of its file in the stream + its offset);
3. feed them in time order into a real EpisodeTracker (default CadenceSettings; `advance()` before each sounding
   and at the stream's end), and count per profile and alarm kind: false detections, false episodes STARTED,
   CONFIRMED, and false INCIDENTS the default EscalationConfig's policies would open. An incident opens the way
   EscalationService._on_episode opens one when none is open: on any episode event whose phase is not STARTED,
   or on STARTED too when the policy says ``open_on = "started"``. One incident per episode at most: this assumes
   a caregiver acknowledges each false incident, so it resolves when its episode ends (an unacknowledged critical
   incident would stay open and absorb later critical episodes, while the phones keep ringing every 3 minutes);
4. delayed confirmation of a real alarm amid the strays: for each profile and alarm kind, a simulated pump starts
   at each of TRIAL_STARTS_S and sounds on its nominal cadence (critical every 10 min, non-critical every 60 min)
   for TRIAL_HORIZON_S. Each simulated sounding is kept always (default) or, with ``--recall-from
   detection-*.json``, with probability = that run's recall at −10 dB for the alarm (seeded per trial, the same
   draws with and without strays). The stray stream is looped (copies LOOP_GAP_S apart, so no stray meets its
   own copy on cadence) so strays surround every trial. The delay is from the start of the first simulated
   sounding to the episode event that first puts an episode holding a simulated sounding in the CONFIRMED phase
   ("never" if none within the horizon); measured with the profile's strays present and with no strays at all.
   When the pump's first sounding joins an episode the strays had ALREADY confirmed (a false incident is then
   already open for that alarm), the trial is counted on its own, not in the delays. Simulated soundings carry
   the pump's true tones from the corpus manifest (what a detection of it reports; a tracker that compares
   pitches needs them); the default profile's trials cycle through the corpus' pumps.

This measures the tracker of the checkout it lives in (bench/ and its repository go first on sys.path, and the
`analyze` it runs gets the same PYTHONPATH): to measure another checkout, run that checkout's bench/incidents.py.
Outputs: a Markdown table on stdout, <out>/incidents-<mode>.json (everything, per trial) and .md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if str(REPO) not in sys.path[:2]:  # import THIS checkout's tracker, not whatever monitord is on PYTHONPATH
    sys.path.insert(1, str(REPO))
import corpus as corpus_mod  # noqa: E402  (bench/ is not a package)
import detection  # noqa: E402

from monitord.alarms import AlarmKind  # noqa: E402
from monitord.episodes.tracker import CadenceSettings, EpisodeEvent, EpisodeTracker  # noqa: E402
from monitord.escalation.config import EscalationConfig, EscalationPolicy  # noqa: E402
from monitord.events import AlarmHeard, EpisodeEnded, EpisodePhase  # noqa: E402

STREAM_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
"""Second 0 of the household stream (only differences matter: counting ignores quiet hours)."""
KINDS = (AlarmKind.CRITICAL, AlarmKind.NON_CRITICAL)
TRIAL_STARTS_S = tuple(450.0 + 1800.0 * j for j in range(12))
"""Where a simulated real alarm begins in the stream: 0:07:30 and every 30 minutes after, 12 starts in 6 h."""
TRIAL_HORIZON_S = 6 * 3600.0
"""How long a simulated real alarm keeps sounding (and how long we wait for its confirmation)."""
TRUE_SOUNDING_S = {AlarmKind.CRITICAL: 3.0, AlarmKind.NON_CRITICAL: 0.5}
"""Length of a simulated true sounding (a 3-second two-tone burst; a short beep)."""
LOOP_GAP_S = 1037.0
"""Quiet time between two copies of the looped stray stream: without it a 2-hour stream would repeat each stray
exactly two non-critical periods later, which the tracker takes for the pump's cadence."""
NODE = "bench"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------------------
# the stream: background files end to end, detections as AlarmHeard
# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    path: str
    pump: int
    index: int
    offset_s: float
    seconds: float


def stream_layout(background_files: Iterable[dict[str, Any]]) -> list[Segment]:
    """The background files end to end, ordered by pump and then by file index (a fixed, documented order)."""
    ordered = sorted(background_files, key=lambda f: (int(f["pump"]), int(f["index"])))
    segments = []
    offset_s = 0.0
    for f in ordered:
        segments.append(Segment(path=f["path"], pump=int(f["pump"]), index=int(f["index"]), offset_s=offset_s,
                                seconds=float(f["seconds"])))
        offset_s += float(f["seconds"])
    return segments


def stream_seconds(layout: Sequence[Segment]) -> float:
    return layout[-1].offset_s + layout[-1].seconds if layout else 0.0


def heard(alarm: AlarmKind, start_s: float, end_s: float, *, confidence: float = 0.9, snr_db: float = 10.0,
          frequencies_hz: Sequence[float] = (), profile: str = "bench", verified: bool = False) -> AlarmHeard:
    """One sounding at stream seconds [start_s, end_s]."""
    started = STREAM_START + dt.timedelta(seconds=start_s)
    ended = STREAM_START + dt.timedelta(seconds=max(start_s, end_s))
    return AlarmHeard(node_id=NODE, time=ended, alarm=alarm, confidence=min(1.0, max(0.0, confidence)),
                      snr_db=snr_db, frequencies_hz=tuple(frequencies_hz), started_at=started, ended_at=ended,
                      microphone="household", profile=profile, profile_verified=verified)


def detections_to_heard(detections: Iterable[dict[str, Any]], layout: Sequence[Segment]) -> list[AlarmHeard]:
    """`analyze --json` detection lines → AlarmHeard in stream time, sorted by start."""
    offsets = {s.path: s.offset_s for s in layout}
    out = []
    for d in detections:
        base = offsets[d["file"]]
        out.append(heard(AlarmKind(d["alarm"]), base + float(d["start"]), base + float(d["end"]),
                         confidence=float(d.get("confidence", 0.9)), snr_db=float(d.get("snr_db", 0.0)),
                         frequencies_hz=d.get("frequencies_hz") or (), profile=str(d.get("profile", "bench")),
                         verified=bool(d.get("profile_verified", False))))
    return sorted(out, key=lambda h: (h.started_at, h.ended_at))


# --------------------------------------------------------------------------------------------------------------
# episodes and incidents
# --------------------------------------------------------------------------------------------------------------

def opens_incident(event: EpisodeEvent, policy: EscalationPolicy) -> bool:
    """Whether this episode event opens an incident when none is open (EscalationService._on_episode's rule)."""
    if isinstance(event, EpisodeEnded):
        return False
    return not (event.phase is EpisodePhase.STARTED and policy.open_on == "confirmed")


def default_policies(critical_open_on: str | None = None) -> dict[AlarmKind, EscalationPolicy]:
    """The default EscalationConfig's policies; `critical_open_on` overrides the critical policy's `open_on` (a
    what-if: how many false incidents a policy that waits for a repeat would save, see the delay columns)."""
    config = EscalationConfig()
    policies = {kind: config.policy(kind) for kind in KINDS}
    if critical_open_on is not None:
        policies[AlarmKind.CRITICAL] = policies[AlarmKind.CRITICAL].model_copy(update={"open_on": critical_open_on})
    return policies


PUMP_LIKE_KINDS = ("near_critical", "near_non_critical")
"""Distractors that are the benchmark pump's own patterns 3-10 % off its tones (bench/corpus.py, near_pump): to an
enrolled profile a stranger, to the unverified default profile (which knows no tones) a pump like any other."""


def detection_source(file: dict[str, Any], det: dict[str, Any]) -> str:
    """What a detection in a background file heard (bench/detection.py's score_false attribution): the distractor
    sounding then (±0.5 s), else the background playing."""
    hit = [ev for ev in file["events"] if detection.overlaps(det, ev["start"], ev["end"])]
    if hit:
        return str(hit[0]["kind"])
    return "background:" + next((k for k, a, b in file["backgrounds"] if a <= float(det["start"]) < b), "unknown")


def incident_sources(counts: StreamCounts, detections: Sequence[dict[str, Any]], layout: Sequence[Segment],
                     files: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per false incident, the detection that STARTED its episode (the episode's first sounding) and what it heard."""
    offsets = {seg.path: seg.offset_s for seg in layout}
    by_path = {f["path"]: f for f in files}
    out = []
    for alarm, first_s in counts.incident_first_heard_s:
        candidates = [d for d in detections if d["alarm"] == alarm]
        det = min(candidates, key=lambda d: abs(offsets[d["file"]] + float(d["start"]) - first_s))
        out.append({"alarm": alarm, "stream_s": round(first_s, 1), "file": det["file"], "start": det["start"],
                    "frequencies_hz": det.get("frequencies_hz"), "snr_db": det.get("snr_db"),
                    "source": detection_source(by_path[det["file"]], det)})
    return out


def new_tracker() -> EpisodeTracker:
    return EpisodeTracker(node_id=NODE, microphone="household", settings=CadenceSettings())


@dataclass
class StreamCounts:
    """False detections, episodes and incidents per alarm kind over one stream."""

    detections: Counter[str] = field(default_factory=Counter)
    started: Counter[str] = field(default_factory=Counter)
    confirmed: Counter[str] = field(default_factory=Counter)
    incidents: Counter[str] = field(default_factory=Counter)
    open_at_end: Counter[str] = field(default_factory=Counter)
    incident_times_s: list[tuple[str, float]] = field(default_factory=list)
    # per incident: (alarm, stream second of its episode's FIRST sounding: what started it, whatever opened it)
    incident_first_heard_s: list[tuple[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {name: {k.value: getattr(self, name)[k.value] for k in KINDS}
                for name in ("detections", "started", "confirmed", "incidents", "open_at_end")} | {
            "incident_times_s": [[k, round(t, 1)] for k, t in self.incident_times_s],
            "incident_first_heard_s": [[k, round(t, 3)] for k, t in self.incident_first_heard_s]}


def count_stream(soundings: Sequence[AlarmHeard], end_s: float,
                 policies: dict[AlarmKind, EscalationPolicy] | None = None) -> StreamCounts:
    """Feed the soundings in time order into a fresh EpisodeTracker and count what it and the policies make."""
    policies = policies or default_policies()
    tracker = new_tracker()
    counts = StreamCounts()
    opened: set[str] = set()

    def account(events: Iterable[EpisodeEvent]) -> None:
        for event in events:
            kind = event.alarm.value
            if isinstance(event, EpisodeEnded):
                continue
            if event.phase is EpisodePhase.STARTED and event.type == "episode_started":
                counts.started[kind] += 1
            if event.type == "episode_confirmed":
                counts.confirmed[kind] += 1
            if event.episode_id not in opened and opens_incident(event, policies[event.alarm]):
                opened.add(event.episode_id)
                counts.incidents[kind] += 1
                counts.incident_times_s.append((kind, (event.time - STREAM_START).total_seconds()))
                counts.incident_first_heard_s.append((kind, (event.first_heard - STREAM_START).total_seconds()))

    for sounding in sorted(soundings, key=lambda h: (h.started_at, h.ended_at)):
        counts.detections[sounding.alarm.value] += 1
        account(tracker.advance(sounding.started_at))  # time passes up to this sounding: overdue episodes end
        account(tracker.observe(sounding))
    account(tracker.advance(STREAM_START + dt.timedelta(seconds=end_s)))
    for episode in tracker.active:
        counts.open_at_end[episode.alarm.value] += 1
    return counts


# --------------------------------------------------------------------------------------------------------------
# a real alarm amid the strays
# --------------------------------------------------------------------------------------------------------------

def looped(strays: Sequence[AlarmHeard], stream_s: float, until_s: float) -> list[AlarmHeard]:
    """The stray stream repeated up to `until_s`, each copy LOOP_GAP_S after the previous one ends."""
    out = []
    loop = 0
    period_s = stream_s + LOOP_GAP_S
    while loop * period_s < until_s:
        shift = dt.timedelta(seconds=loop * period_s)
        for h in strays:
            if (h.started_at + shift - STREAM_START).total_seconds() >= until_s:
                continue
            out.append(h.model_copy(update={"started_at": h.started_at + shift, "ended_at": h.ended_at + shift,
                                            "time": h.time + shift}))
        loop += 1
    return out


def pump_pitches(pump: dict[str, Any]) -> dict[AlarmKind, tuple[float, ...]]:
    """A corpus pump's true tones (from the manifest), as a detection of its alarm would report them."""
    return {AlarmKind.CRITICAL: tuple(sorted((float(pump["tone_low_hz"]), float(pump["tone_high_hz"])))),
            AlarmKind.NON_CRITICAL: (float(pump["beep_hz"]),)}


def true_soundings(alarm: AlarmKind, start_s: float, horizon_s: float, keep_probability: float,
                   rng: np.random.Generator, frequencies_hz: Sequence[float] = ()) -> list[AlarmHeard]:
    """The simulated pump: a sounding every nominal period from start_s, each kept with keep_probability."""
    period_s = alarm.expected_repeat_s
    out = []
    n = int(horizon_s // period_s) + 1
    for i in range(n):
        at = start_s + i * period_s
        if keep_probability >= 1.0 or rng.random() < keep_probability:
            out.append(heard(alarm, at, at + TRUE_SOUNDING_S[alarm], confidence=0.95, profile="true-pump",
                             verified=True, frequencies_hz=frequencies_hz))
    return out


@dataclass(frozen=True)
class Trial:
    delay_s: float | None  # None: not confirmed within the horizon
    already_confirmed: bool  # the strays had confirmed the episode the pump's first sounding joined
    # from the trial's start to the end of the pump's first sounding that was kept (heard): when a policy that opens
    # on STARTED alerts; None: none kept within the horizon
    first_heard_s: float | None = None


def confirmation_delay(strays: Sequence[AlarmHeard], truth: Sequence[AlarmHeard], start_s: float) -> Trial:
    """Run strays + true soundings through a fresh tracker; delay from start_s to the first event that puts an
    episode holding a true sounding in the CONFIRMED phase."""
    tracker = new_tracker()
    true_ids: set[str] = set()
    truth_set = {id(h) for h in truth}
    merged = sorted([*strays, *truth], key=lambda h: (h.started_at, h.ended_at))
    kind = truth[0].alarm if truth else None
    first_true = True
    for sounding in merged:
        tracker.advance(sounding.started_at)
        events = tracker.observe(sounding)
        is_true = id(sounding) in truth_set
        if is_true:
            live = [e for e in events if not isinstance(e, EpisodeEnded) and e.alarm is kind]
            ids = {e.episode_id for e in live} or {e.episode_id for e in tracker.active
                                                   if e.alarm is kind and not e.is_test}
            true_ids |= ids
            if first_true:
                first_true = False
                already = any(e.phase is EpisodePhase.CONFIRMED and e.type == "episode_ongoing" for e in live)
                if already:
                    return Trial(delay_s=(live[-1].time - STREAM_START).total_seconds() - start_s,
                                 already_confirmed=True)
        for event in events:
            if (not isinstance(event, EpisodeEnded) and event.episode_id in true_ids
                    and event.phase is EpisodePhase.CONFIRMED):
                return Trial(delay_s=(event.time - STREAM_START).total_seconds() - start_s, already_confirmed=False)
    return Trial(delay_s=None, already_confirmed=False)


def delay_trials(strays: Sequence[AlarmHeard], stream_s: float, alarm: AlarmKind, keep_probability: float,
                 seed: int, pitches: Sequence[dict[AlarmKind, tuple[float, ...]]]) -> dict[str, list[Trial]]:
    """Every trial start, with the (looped) strays of this alarm kind present and absent. Trial j's pump sounds
    at pitches[j % len(pitches)]."""
    same_kind = [h for h in strays if h.alarm is alarm]
    out: dict[str, list[Trial]] = {"present": [], "absent": []}
    for j, start_s in enumerate(TRIAL_STARTS_S):
        truth = true_soundings(alarm, start_s, TRIAL_HORIZON_S, keep_probability,
                               np.random.default_rng([seed, j, KINDS.index(alarm)]),
                               frequencies_hz=pitches[j % len(pitches)][alarm])
        until_s = start_s + TRIAL_HORIZON_S + 1.0
        first_heard_s = (truth[0].ended_at - STREAM_START).total_seconds() - start_s if truth else None
        for presence, strays_here in (("present", looped(same_kind, stream_s, until_s)), ("absent", [])):
            trial = confirmation_delay(strays_here, truth, start_s)
            out[presence].append(dataclasses.replace(trial, first_heard_s=first_heard_s))
    return out


def summarize_trials(trials: Sequence[Trial]) -> dict[str, Any]:
    """Delays of the trials the strays had not already confirmed (those are counted on their own)."""
    fresh = [t for t in trials if not t.already_confirmed]
    delays = [t.delay_s for t in fresh if t.delay_s is not None]
    heard_s = [t.first_heard_s for t in trials if t.first_heard_s is not None]
    return {
        "first_heard_median_min": statistics.median(heard_s) / 60 if heard_s else None,
        "first_heard_max_min": max(heard_s) / 60 if heard_s else None,
        "trials": len(trials),
        "already_confirmed_by_strays": len(trials) - len(fresh),
        "confirmed": len(delays),
        "never": len(fresh) - len(delays),
        "median_min": statistics.median(delays) / 60 if delays else None,
        "max_min": max(delays) / 60 if delays else None,
        "delays_min": [round(d / 60, 2) for d in delays],
    }


# --------------------------------------------------------------------------------------------------------------
# profiles and analyze
# --------------------------------------------------------------------------------------------------------------

def recall_probabilities(path: Path | None) -> dict[AlarmKind, float]:
    if path is None:
        return {kind: 1.0 for kind in KINDS}
    checks = json.loads(path.read_text())["checks"]
    return {kind: float(checks[f"recall_{kind.value}_-10"]["value"]) for kind in KINDS}


def prepare_profile(args: argparse.Namespace, work: Path, manifest: dict[str, Any], pump: int
                    ) -> tuple[Path, dict[str, Any]]:
    if args.profiles is not None:
        src = args.profiles / f"pump{pump}.toml"
        if not src.exists():
            raise SystemExit(f"incidents: {src} does not exist (--profiles needs pump0.toml ... pump{pump}.toml)")
        return src, {"from": str(src)}
    profile = work / f"pump{pump}.toml"
    profile.unlink(missing_ok=True)
    log(f"pump{pump}: enroll")
    return profile, detection.enroll(args.python, profile, [f for f in manifest["files"] if f["pump"] == pump])


def row_summary(name: str, counts: StreamCounts, hours: float, trials: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "hours": hours, "counts": counts.as_dict(), "delays": trials}


def add_counts(total: StreamCounts, part: StreamCounts) -> None:
    for name in ("detections", "started", "confirmed", "incidents", "open_at_end"):
        getattr(total, name).update(getattr(part, name))
    total.incident_times_s = sorted([*total.incident_times_s, *part.incident_times_s], key=lambda x: x[1])
    total.incident_first_heard_s = sorted([*total.incident_first_heard_s, *part.incident_first_heard_s],
                                          key=lambda x: x[1])


# --------------------------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------------------------

MEASURES = (("detections", "false detections"), ("started", "false episodes started"),
            ("confirmed", "false episodes confirmed"), ("incidents", "false incidents (default policies)"))


def rate(n: int, hours: float, per: float) -> str:
    return f"{n * per / hours:.2f}" if hours else "n/a"


def pair(by_kind: dict[str, int]) -> str:
    return f"{by_kind['critical']} / {by_kind['non_critical']}"


def build_tables(results: dict[str, Any]) -> str:
    lines = []
    groups = [g for g in ("enrolled", "default") if g in results["groups"]]
    head = "| measure | alarm | " + " | ".join(
        f"{results['groups'][g]['label']}: count | per hour | per day" for g in groups) + " |"
    lines += [head, "|---|---|" + "---|---|---|" * len(groups)]
    for key, label in MEASURES:
        for kind in ("all", *(k.value for k in KINDS)):
            cells = []
            for g in groups:
                grp = results["groups"][g]
                c = grp["counts"][key]
                n = sum(c.values()) if kind == "all" else c[kind]
                cells.append(f"{n} | {rate(n, grp['hours'], 1)} | {rate(n, grp['hours'], 24)}")
            shown = label if kind == "all" else ""
            lines.append(f"| {shown} | {kind.replace('_', '-')} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| profile | hours | detections critical / non-critical | started | confirmed | incidents "
                 "| incidents per day |")
    lines.append("|---|---|---|---|---|---|---|")
    for row in results["rows"]:
        c = row["counts"]
        n = sum(c["incidents"].values())
        lines.append(f"| {row['name']} | {row['hours']:.1f} | {pair(c['detections'])} | {pair(c['started'])} | "
                     f"{pair(c['confirmed'])} | {pair(c['incidents'])} | {rate(n, row['hours'], 24)} |")
    lines.append("")
    lines.append("| real alarm amid strays | alarm | strays | trials | first heard after: median | max | "
                 "already confirmed by strays | others confirmed after: median | max | "
                 f"never (within {TRIAL_HORIZON_S / 3600:.0f} h) |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")

    def minutes(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f} min"

    for g in groups:
        grp = results["groups"][g]
        keep = grp.get("keep_probability", results["keep_probability"])
        for kind in KINDS:
            for presence in ("absent", "present"):
                s = grp["delays"][kind.value][presence]
                lines.append(f"| {grp['label']} | {kind.value.replace('_', '-')} (kept p={keep[kind.value]:.2f}) | "
                             f"{presence} | {s['trials']} | {minutes(s.get('first_heard_median_min'))} | "
                             f"{minutes(s.get('first_heard_max_min'))} | {s['already_confirmed_by_strays']} | "
                             f"{minutes(s['median_min'])} | {minutes(s['max_min'])} | {s['never']} |")
    lines.append("")
    lines.append("| false incidents started by | alarm | " + " | ".join(results["groups"][g]["label"] for g in groups)
                 + " |")
    lines.append("|---|---|" + "---|" * len(groups))
    for kind in KINDS:
        cells = []
        for g in groups:
            started_by = Counter(x["source"] for x in results["groups"][g].get("incident_sources", [])
                                 if x["alarm"] == kind.value)
            pump_like = sum(n for source, n in started_by.items() if source in PUMP_LIKE_KINDS)
            text = ", ".join(f"{source} {n}" for source, n in started_by.most_common()) or "none"
            cells.append(f"{text} (pump-like: {pump_like} of {sum(started_by.values())})")
        lines.append(f"| | {kind.value.replace('_', '-')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def group_delays(rows: Sequence[dict[str, Any]], raw: dict[str, dict[str, dict[str, list[Trial]]]]
                 ) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        out[kind.value] = {}
        for presence in ("absent", "present"):
            trials = [t for row in rows for t in raw[row["name"]][kind.value][presence]]
            out[kind.value][presence] = summarize_trials(trials)
    return out


# --------------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="monitord incidents benchmark: what reaches a caregiver's phone")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", dest="mode", action="store_const", const="quick", help="a quick corpus (2 h)")
    g.add_argument("--full", dest="mode", action="store_const", const="full", help="(default) the full corpus (6 h)")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--corpus-root", type=Path, default=corpus_mod.DEFAULT_ROOT,
                   help="where built corpora live (read only: this script never builds one)")
    p.add_argument("--profiles", type=Path, default=None, metavar="DIR",
                   help="take pump<i>.toml from DIR (e.g. a finished detection run's work-full-enroll) instead of "
                   "enrolling from the clinic recordings")
    p.add_argument("--profile-source", choices=["enroll", "default"], action="append", default=None,
                   help="rows to measure (repeatable; default both): the enrolled profiles, the bundled default")
    p.add_argument("--recall-from", type=Path, default=None, metavar="DETECTION.json",
                   help="keep each simulated true sounding with that run's recall at -10 dB (default: always)")
    p.add_argument("--default-recall-from", type=Path, default=None, metavar="DETECTION.json",
                   help="the same for the default profile's row (e.g. a `detection.py --profile-source default` run; "
                   "default: --recall-from)")
    p.add_argument("--critical-open-on", choices=["started", "confirmed"], default=None,
                   help="what-if: open critical incidents on this phase instead of the default policy's (compare "
                   "the false incidents it saves with the delay columns: 'first heard' is when 'started' alerts, "
                   "'confirmed after' when 'confirmed' does)")
    p.add_argument("--jobs", type=int, default=1, help="concurrent analyze runs (shared machine: keep it small)")
    p.add_argument("--python", default=sys.executable, help="interpreter that runs `-m monitord`")
    p.add_argument("--out", type=Path, default=None, help="output directory (default bench/out/incidents-<mode>)")
    args = p.parse_args(argv)
    mode = args.mode or "full"
    sources = args.profile_source or ["enroll", "default"]
    out_dir: Path = args.out or HERE / "out" / f"incidents-{mode}"
    t_start = time.monotonic()

    spec = corpus_mod.CorpusSpec.for_mode(mode, args.seed)
    manifest_path = args.corpus_root / f"seed{args.seed}-{mode}" / "manifest.json"
    if not manifest_path.exists():
        raise SystemExit(f"incidents: no corpus at {manifest_path.parent} (build it with bench/corpus.py)")
    manifest = json.loads(manifest_path.read_text())
    background = [f for f in manifest["files"] if f["kind"] == "background"]
    layout = stream_layout(background)
    stream_s = stream_seconds(layout)
    hours = stream_s / 3600
    paths = [s.path for s in layout]
    work = out_dir / f"work-{mode}"
    work.mkdir(parents=True, exist_ok=True)
    keep = recall_probabilities(args.recall_from)
    default_keep = recall_probabilities(args.default_recall_from) if args.default_recall_from else keep
    policies = default_policies(args.critical_open_on)

    jobs: list[tuple[str, int | None]] = []
    if "enroll" in sources:
        jobs += [(f"pump{i}", i) for i in range(spec.pumps)]
    if "default" in sources:
        jobs.append(("default (unverified)", None))

    def one(job: tuple[str, int | None]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        name, pump = job
        profile: Path | None = None
        enrolled: dict[str, Any] = {}
        if pump is not None:
            profile, enrolled = prepare_profile(args, work, manifest, pump)
        log(f"{name}: analyze {len(paths)} background files ({hours:.1f} h)")
        return name, enrolled, detection.analyze(args.python, profile, paths)

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(one, jobs))

    errors: list[str] = []
    rows: list[dict[str, Any]] = []
    raw: dict[str, dict[str, dict[str, list[Trial]]]] = {}
    totals = {"enrolled": StreamCounts(), "default": StreamCounts()}
    attribution: dict[str, Any] = {}
    for (name, pump), (_, enrolled, run) in zip(jobs, outcomes, strict=True):
        for alarm, e in enrolled.items():
            if isinstance(e, dict) and e.get("exit_code", 0) != 0:
                errors.append(f"{name}: enroll {alarm} exit {e['exit_code']}: {detection.last_line(e['stderr'])}")
        if run["exit_code"] != 0:
            errors.append(f"{name}: analyze exit {run['exit_code']}: {detection.last_line(run['stderr_tail'])}")
        strays = detections_to_heard(run["detections"], layout)
        counts = count_stream(strays, stream_s, policies)
        add_counts(totals["enrolled" if pump is not None else "default"], counts)
        # An enrolled profile's trials simulate its own pump; the default profile's cycle through every pump.
        pitches = [pump_pitches(manifest["pumps"][i]) for i in ([pump] if pump is not None else range(spec.pumps))]
        seed = pump if pump is not None else 1000
        row_keep = keep if pump is not None else default_keep
        raw[name] = {kind.value: delay_trials(strays, stream_s, kind, row_keep[kind], seed, pitches)
                     for kind in KINDS}
        trials = {k: {presence: summarize_trials(v) for presence, v in by.items()} for k, by in raw[name].items()}
        rows.append(row_summary(name, counts, hours, trials) | {
            "analyze_seconds": run["seconds"], "contract_problems": run["contract_problems"],
            "enrollment": enrolled, "incident_sources": incident_sources(counts, run["detections"], layout,
                                                                         background)})
        attribution[name] = detection.score_false(background, run["detections"])["per_kind_and_alarm"]

    groups: dict[str, Any] = {}
    enrolled_rows = [r for r in rows if r["name"].startswith("pump")]
    default_rows = [r for r in rows if not r["name"].startswith("pump")]
    if enrolled_rows:
        groups["enrolled"] = {"label": f"{len(enrolled_rows)} enrolled profiles",
                              "hours": hours * len(enrolled_rows), "counts": totals["enrolled"].as_dict(),
                              "delays": group_delays(enrolled_rows, raw),
                              "keep_probability": {k.value: v for k, v in keep.items()},
                              "incident_sources": [x for r in enrolled_rows for x in r["incident_sources"]]}
    if default_rows:
        groups["default"] = {"label": "default profile (unverified)", "hours": hours,
                             "counts": totals["default"].as_dict(), "delays": group_delays(default_rows, raw),
                             "keep_probability": {k.value: v for k, v in default_keep.items()},
                             "incident_sources": [x for r in default_rows for x in r["incident_sources"]]}

    results: dict[str, Any] = {
        "mode": mode,
        "seed": args.seed,
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code": detection.code_version(),
        "machine": detection.machine_note(),
        "corpus": {"key": manifest["key"], "spec": manifest["spec"]},
        "stream": {"start": STREAM_START.isoformat(), "seconds": stream_s,
                   "order": [{"path": s.path, "offset_s": s.offset_s, "seconds": s.seconds} for s in layout]},
        "cadence": CadenceSettings().model_dump(),
        "policies_open_on": {k.value: v.open_on for k, v in policies.items()},
        "trial_starts_s": list(TRIAL_STARTS_S),
        "trial_horizon_s": TRIAL_HORIZON_S,
        "keep_probability": {k.value: v for k, v in keep.items()},
        "recall_from": str(args.recall_from) if args.recall_from else None,
        "default_recall_from": str(args.default_recall_from) if args.default_recall_from else None,
        "groups": groups,
        "rows": rows,
        "false_detections_by_source": attribution,
        "errors": errors,
    }
    results["seconds"] = round(time.monotonic() - t_start, 1)
    table = build_tables(results)
    if errors:
        table += "\n\nerrors (figures are not valid):\n" + "\n".join(f"- {e}" for e in errors)
    profiles_note = f" --profiles {args.profiles}" if args.profiles else ""
    if args.critical_open_on:
        profiles_note += f" --critical-open-on {args.critical_open_on}"
    header = (f"monitord incidents benchmark — `bench/incidents.py --{mode}{profiles_note}` (seed {args.seed}), "
              f"code {results['code']}, {results['date_utc']}; {len(layout)} background files end to end = "
              f"{hours:.2f} h of household audio per profile; run took {results['seconds']:.0f} s")
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"incidents-{mode}"
    (out_dir / f"{stem}.json").write_text(json.dumps(results, indent=1, default=str))
    (out_dir / f"{stem}.md").write_text(header + "\n\n" + table + "\n")
    print(header)
    print()
    print(table)
    print()
    print(f"written: {out_dir / (stem + '.json')}, {out_dir / (stem + '.md')}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
