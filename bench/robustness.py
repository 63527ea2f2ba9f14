"""How does detection degrade when the learned profile is slightly wrong? (enrollment error)

    PYTHONPATH=. .venv/bin/python bench/robustness.py --quick --seed 2024 [--detune-pct 0.15 0.3]

An independent evaluation enrolls on clinic recordings we never see, so the learned pitches carry an error we cannot
measure there: on the benchmark's corpora `bench/enrollment.py` finds it at median ~0.08 %, at most ~0.3 % per note
(the pump's own ±0.3 % per sounding included), and the critical alarm's two notes move together (one oscillator) far
more than apart. This benchmark enrolls each synthetic pump exactly as bench/detection.py does, then rewrites the
learned profile with its pitches DETUNED and runs `python -m monitord analyze --json` again on the same recall files
and distractor-rich backgrounds. Variants, for each percentage d given (both signs):

* ``all±d``: every learned frequency × (1 ± d/100): the beep and both critical notes (their ratio kept);
* ``high±d``: the critical alarm's high note only (the ratio off by d): the hardest case for the ratio test. The
  profile then holds only the critical signature, so only critical recall and false criticals are reported;
* ``enrolled``: the profile as learned (the reference, same code, same run).

Everything else in the profile (timings, tolerances, the enrollment's recorded spreads) is kept as learned: a
detuned profile stands for an enrollment that was wrong while believing itself right. Scoring is bench/detection.py's
(a sounding is heard when a detection of its alarm overlaps it ±0.5 s; every detection in a background file is
false). Output: a table per variant (recall per alarm and SNR, false detections by alarm) on stdout,
<out>/robustness-<mode>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus as corpus_mod  # noqa: E402  (bench/ is not a package)
import detection  # noqa: E402


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def detuned(profile_text: str, variant: str, pct: float) -> str:
    """The profile with its learned pitches moved by `pct` percent (see the module docstring for `variant`)."""
    import tomlkit

    document = tomlkit.parse(profile_text)
    factor = 1.0 + pct / 100.0
    if variant == "all":
        beep = document.get("non_critical")
        if beep is not None and "frequency_hz" in beep:
            beep["frequency_hz"] = round(float(beep["frequency_hz"]) * factor, 3)
        critical = document.get("critical")
        if critical is not None and "frequencies_hz" in critical:
            critical["frequencies_hz"] = [round(float(f) * factor, 3) for f in critical["frequencies_hz"]]
    elif variant == "high":
        document.pop("non_critical", None)
        critical = document["critical"]
        low, high = sorted(float(f) for f in critical["frequencies_hz"])
        critical["frequencies_hz"] = [round(low, 3), round(high * factor, 3)]
    elif variant != "enrolled":
        raise ValueError(f"unknown variant {variant!r}")
    return tomlkit.dumps(document)


def variants(percents: list[float]) -> list[tuple[str, str, float]]:
    """(label, variant, percent) in table order."""
    out = [("enrolled", "enrolled", 0.0)]
    for kind in ("all", "high"):
        for d in percents:
            out += [(f"{kind}{sign}{d:g}", kind, s * d) for sign, s in (("+", 1), ("−", -1))]
    return out


def summarize(recall: dict[str, Any], false: dict[str, Any], alarms: list[str]) -> dict[str, Any]:
    cells = recall["cells"]
    out: dict[str, Any] = {"recall": {}, "false": {}}
    for alarm in alarms:
        out["recall"][alarm] = {s: [cells.get(f"{alarm}@{s}", {}).get("hits", 0),
                                    cells.get(f"{alarm}@{s}", {}).get("soundings", 0)] for s in corpus_mod.SNRS_DB}
        out["false"][alarm] = sum(n for k, n in false["per_kind_and_alarm"].items() if k.endswith(f" as {alarm}"))
    out["false_hours"] = false["hours"]
    out["false_by_kind"] = false["per_kind_and_alarm"]
    return out


def table(results: dict[str, Any]) -> str:
    snrs = corpus_mod.SNRS_DB
    lines = ["| variant | alarm | " + " | ".join(f"{s:+d} dB" for s in snrs) + " | false detections |",
             "|---|---|" + "---|" * (len(snrs) + 1)]
    for label, row in results["variants"].items():
        for alarm, per_snr in row["recall"].items():
            cells = [f"{h}/{n}" if n else "—" for h, n in (per_snr[s] for s in snrs)]
            lines.append(f"| {label} | {alarm.replace('_', '-')} | " + " | ".join(cells)
                         + f" | {row['false'][alarm]} in {row['false_hours']:.1f} h |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="monitord: detection under a detuned (wrongly enrolled) profile")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", dest="mode", action="store_const", const="quick", help="(default)")
    g.add_argument("--full", dest="mode", action="store_const", const="full")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--detune-pct", type=float, nargs="+", default=[0.15, 0.3],
                   help="how far to move the learned pitches (percent; each one both ways)")
    p.add_argument("--only", nargs="*", default=None, metavar="VARIANT",
                   help="run only these variants (labels as in the table, e.g. enrolled high+0.15)")
    p.add_argument("--jobs", type=int, default=1, help="concurrent analyze runs (shared machine: keep it small)")
    p.add_argument("--python", default=sys.executable, help="interpreter that runs `-m monitord`")
    p.add_argument("--out", type=Path, default=HERE / "out")
    p.add_argument("--corpus-root", type=Path, default=corpus_mod.DEFAULT_ROOT)
    args = p.parse_args(argv)
    mode = args.mode or "quick"
    t_start = time.monotonic()
    spec = corpus_mod.CorpusSpec.for_mode(mode, args.seed)
    manifest = corpus_mod.build(spec, args.corpus_root, args.jobs, log=log)
    files = manifest["files"]
    work = args.out / f"work-robustness-{mode}"
    work.mkdir(parents=True, exist_ok=True)

    enrolled: dict[int, str | None] = {}
    errors: list[str] = []
    for i in range(spec.pumps):
        profile = work / f"pump{i}.toml"
        profile.unlink(missing_ok=True)
        log(f"pump{i}: enroll")
        outcome = detection.enroll(args.python, profile, [f for f in files if f["pump"] == i])
        enrolled[i] = outcome["profile"]
        errors += [f"pump{i}: enroll {alarm} exit {e['exit_code']}" for alarm, e in outcome.items()
                   if isinstance(e, dict) and e["exit_code"] != 0]

    chosen = [v for v in variants(args.detune_pct) if args.only is None or v[0] in args.only]
    results: dict[str, Any] = {"mode": mode, "seed": args.seed, "code": detection.code_version(),
                               "detune_pct": args.detune_pct, "variants": {}, "errors": errors,
                               "profiles": {str(i): t for i, t in enrolled.items()}}
    for label, variant, pct in chosen:
        def one_pump(i: int, label: str = label, variant: str = variant, pct: float = pct) -> list[dict[str, Any]]:
            text = enrolled[i]
            if text is None or (variant == "high" and "frequencies_hz" not in tomllib.loads(text).get("critical", {})):
                return []
            path = work / f"pump{i}-{label}.toml"
            path.write_text(detuned(text, variant, pct))
            targets = [f["path"] for f in files if f["pump"] == i and f["kind"] in ("recall", "background")]
            run = detection.analyze(args.python, path, targets)
            if run["exit_code"] != 0:
                errors.append(f"pump{i} {label}: analyze exit {run['exit_code']}")
            dets: list[dict[str, Any]] = run["detections"]
            return dets

        log(f"{label}: analyze")
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            detections = [d for dets in pool.map(one_pump, range(spec.pumps)) for d in dets]
        alarms = ["critical"] if variant == "high" else list(corpus_mod.ALARMS)
        recall_files = [f for f in files if f["kind"] == "recall" and f["alarm"] in alarms]
        results["variants"][label] = summarize(detection.score_recall(recall_files, detections),
                                               detection.score_false([f for f in files if f["kind"] == "background"],
                                                                     detections), alarms)
    results["seconds"] = round(time.monotonic() - t_start, 1)
    header = (f"monitord robustness to enrollment error — `bench/robustness.py --{mode} --seed {args.seed} "
              f"--detune-pct {' '.join(f'{d:g}' for d in args.detune_pct)}`, code {results['code']}, "
              f"{spec.pumps} pumps, run took {results['seconds']:.0f} s")
    text = header + "\n\n" + table(results) + "\n"
    if errors:
        text += "\nerrors (figures not valid):\n" + "\n".join(f"- {e}" for e in errors) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"robustness-{mode}.json").write_text(json.dumps(results, indent=1))
    (args.out / f"robustness-{mode}.md").write_text(text)
    print(text)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
