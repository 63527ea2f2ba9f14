"""Does `monitord enroll` learn the true tones? Every clinic recording of every corpus, against its manifest.

    PYTHONPATH=. .venv/bin/python bench/enrollment.py [--corpus-root bench/corpus] [--exclude seed71-quick ...]

Runs `monitord enroll` exactly as a family would (one process per recording, both alarms) and compares the learned
frequencies with the synthetic pump's true ones (within 2 %). Prints one line per mismatch, how far off the learned
pitches are (median and largest, per alarm; the pump's nominal pitch, so the few soundings' own ±0.3 % jitter counts
in), and a total; exits 1 if any recording was learned wrong or refused. Build the corpora first with
bench/detection.py.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def learned_frequencies(stdout: str) -> list[float]:
    """The frequencies on enroll's 'tones:'/'tone:' line (the second line of its report)."""
    lines = stdout.splitlines()
    return [float(x) for x in re.findall(r"([\d.]+) Hz", lines[1])] if len(lines) > 1 else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus-root", type=Path, default=HERE / "corpus")
    parser.add_argument("--exclude", nargs="*", default=[], metavar="CORPUS",
                        help="corpus directory names to leave out (held-out corpora)")
    args = parser.parse_args()
    corpora = sorted(p for p in args.corpus_root.glob("seed*")
                     if (p / "manifest.json").is_file() and p.name not in args.exclude)
    if not corpora:
        print(f"no corpus under {args.corpus_root}: run bench/detection.py --quick first", file=sys.stderr)
        return 2
    total = wrong = 0
    errors: dict[str, list[tuple[float, str]]] = {"non_critical": [], "critical": []}
    for corpus in corpora:
        manifest = json.loads((corpus / "manifest.json").read_text())
        for pump in manifest["pumps"]:
            for alarm, truth in (("critical", (pump["tone_low_hz"], pump["tone_high_hz"])),
                                 ("non_critical", (pump["beep_hz"],))):
                recording = corpus / pump["name"] / f"clinic-{alarm.replace('_', '-')}.wav"
                with tempfile.TemporaryDirectory() as tmp:
                    done = subprocess.run(
                        [sys.executable, "-m", "monitord", "enroll", "--alarm", alarm, "--profile",
                         str(Path(tmp) / "p.toml"), str(recording)],
                        capture_output=True, text=True, check=False,
                    )
                learned = sorted(learned_frequencies(done.stdout)[: len(truth)]) if done.returncode == 0 else []
                ok = len(learned) == len(truth) and all(
                    abs(got / want - 1) < 0.02 for got, want in zip(learned, sorted(truth), strict=True))
                total += 1
                if ok:
                    errors[alarm] += [(100.0 * (got / want - 1), f"{corpus.name}/{pump['name']} {want} Hz")
                                      for got, want in zip(learned, sorted(truth), strict=True)]
                if not ok:
                    wrong += 1
                    print(f"MISMATCH {corpus.name} {pump['name']} {alarm}: true {truth}, learned {learned} "
                          f"(exit {done.returncode}) {done.stderr.strip()[:160]}")
    for alarm, found in errors.items():
        if found:
            worst = max(found, key=lambda e: abs(e[0]))
            median = statistics.median(abs(e) for e, _ in found)
            print(f"{alarm}: {len(found)} learned pitches off the pump's by median {median:.3f} %, at most "
                  f"{abs(worst[0]):.3f} % ({worst[1]} learned {worst[0]:+.3f} %)")
    print(f"{total - wrong}/{total} clinic recordings: enrollment learned the true tones")
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
