"""Study analysis benchmark: `python -m bench.analysis` prints the time of each part and writes
var/bench/analysis.json; `run()` returns the same numbers.

What it measures (issue 7, "Performance"; target in DESIGN.md: under 30 s):

1. `simulate` a study of 10,000 participants (10 sites × 10 teams × 100 participants, 15% drop-out) as plain
   rows, the way the study app will hand rows loaded from its database to the analysis.
2. `analyse` on those rows with the default plan: rows checked into tables, the primary outcome (mixed model and
   cluster-robust sensitivity), three secondary outcomes, fidelity–outcome (two mixed models), and
   cost-effectiveness with 2,000 bootstrap replicates resampling teams within arm, plane and acceptability
   curve. The part times come from `analyse(timings=...)`; "analysis total" is the wall time of the call.
3. `json.dumps` of the result.

Best of `--repeats` (default 3) for the analysis; the machine is shared, so treat the numbers as indicative.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from connecting_people.study.analysis import AnalysisPlan, analyse
from connecting_people.study.simulation import simulate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench" / "analysis.json"
TARGET_S = 30.0
SITES, TEAMS_PER_SITE, PER_TEAM = 10, 10, 100
EFFECT = 0.5
SEED = 2026


def run(*, repeats: int = 3, seed: int = SEED) -> dict:
    """Simulate, analyse (best of `repeats`) and serialise; returns the timings and a few result checks."""
    start = time.perf_counter()
    study = simulate(
        sites=SITES, teams_per_site=TEAMS_PER_SITE, participants_per_team=PER_TEAM, effect=EFFECT, seed=seed
    )
    simulate_s = time.perf_counter() - start
    rows = study.analysis_rows()
    plan = AnalysisPlan()
    best: dict | None = None
    for _ in range(repeats):
        parts: dict[str, float] = {}
        start = time.perf_counter()
        result = analyse(**rows, plan=plan, timings=parts)
        total = time.perf_counter() - start
        if best is None or total < best["analysis_total_s"]:
            best = {"analysis_total_s": total, "parts_s": parts}
    start = time.perf_counter()
    text = json.dumps(result, allow_nan=False)
    json_s = time.perf_counter() - start
    primary, economic = result["primary"], result["cost_effectiveness"]
    return {
        "participants": len(study.participants),
        "teams": len(study.teams),
        "rows": {"scores": len(study.scores), "service_use": len(study.service_use)},
        "bootstrap_replicates": economic["bootstrap_replicates"],
        "simulate_s": simulate_s,
        **best,
        "json_s": json_s,
        "json_bytes": len(text),
        "target_s": TARGET_S,
        "within_target": best["analysis_total_s"] + json_s < TARGET_S,
        "check": {
            "true_effect": EFFECT,
            "estimate": primary["estimate"],
            "ci": [primary["ci_low"], primary["ci_high"]],
            "covers_true_effect": primary["ci_low"] <= EFFECT <= primary["ci_high"],
            "incremental_cost": economic["incremental_cost"],
            "incremental_qaly": economic["incremental_qaly"],
        },
        "repeats": repeats,
        "machine": {
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.analysis", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    numbers = run(repeats=args.repeats, seed=args.seed)
    print(
        f"Study analysis, {numbers['participants']:,} participants in {numbers['teams']} teams, "
        f"{numbers['bootstrap_replicates']:,} bootstrap replicates (best of {numbers['repeats']}):"
    )
    print(f"  {'simulate (rows)':<28}{numbers['simulate_s']:8.2f} s")
    for part, seconds in numbers["parts_s"].items():
        print(f"  {part.replace('_', ' '):<28}{seconds:8.2f} s")
    print(f"  {'analysis total':<28}{numbers['analysis_total_s']:8.2f} s   (target under {TARGET_S:.0f} s)")
    print(f"  {'JSON':<28}{numbers['json_s']:8.2f} s   ({numbers['json_bytes']:,} bytes)")
    check = numbers["check"]
    print(
        f"  primary estimate {check['estimate']:.3f} (95% CI {check['ci'][0]:.3f} to {check['ci'][1]:.3f}), "
        f"true effect {check['true_effect']}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(numbers, indent=2) + "\n")
    print(f"Written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0 if numbers["within_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
