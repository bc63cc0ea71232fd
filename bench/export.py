"""Pseudonymised study export benchmark: `python -m bench.export` (writes var/bench/export.json).

Streams about 1,000,000 measure rows (long rows: one per participant × timepoint × instrument × item or score)
from a generator through the whole export pipeline of `connecting_people.study.export` (roster lookup,
withdrawal rules, allow-list, study IDs, dates to days from baseline, value checks) into files:

* ``long_csv``: measures_long.csv alone;
* ``long_parquet``: measures_long.parquet alone (row groups of 131,072 rows, zstd);
* ``all_formats``: long and wide CSV and long and wide Parquet from one pass over the rows.

The rows come from a generator over ~9,400 synthetic participants at two timepoints, each with SWEMWBS,
UCLA-3, De Jong Gierveld, LSNS-6, EQ-5D-5L and the CSRI-style service use (53 long rows per participant and
timepoint), built from a pool of pre-scored responses so that the generator costs about what a database cursor
would. The participant roster (one small entry per participant) is built before timing starts.

Each run is a child process of its own, so its peak memory is its own: peak RSS is
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of that child at the end (the whole process: interpreter,
numpy, pyarrow, roster and streaming buffers), with the RSS before streaming (after imports and the roster)
beside it (the peak is read before the scan below). Targets (DESIGN.md, issue 7): at least 100,000 rows/s
and peak RSS under 300 MB.

For the two single-file runs, the identifier scanner (`study.export.scanner`, given 10,000 known names) then
reads the file back as the export's final check would, and its time is reported too (not part of rows/s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
ROWS = 1_000_000
MODES = ("long_csv", "long_parquet", "all_formats")
INSTRUMENTS = ("swemwbs", "ucla3", "djg6", "lsns6", "eq5d5l", "csri_example")
TIMEPOINTS = (("baseline", 0), ("m6", 182))
POOL = 256
SEED = 2026
TARGET_ROWS_PER_S = 100_000
TARGET_PEAK_MB = 300


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pool(instrument, rng: random.Random) -> list[dict]:
    """POOL scored responses of `instrument`: answers, total, subscales, derived."""
    from connecting_people.measures.scoring import score_one

    out = []
    for _ in range(POOL):
        answers = [
            rng.choice(item.code_values) if item.codes else rng.randint(int(item.range.minimum), 10)
            for item in instrument.items
        ]
        result = score_one(instrument, answers)
        derived = {d.id: result.get(d.id) for d in instrument.derived}
        out.append(
            {
                "answers": answers,
                "total": result["total"],
                "subscales": result["subscales"],
                "derived": derived,
            }
        )
    return out


def _names(count: int) -> list[str]:
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(SEED)
    return [f"{fake.first_name()} {fake.last_name()}" for _ in range(count)]


def child(mode: str, rows: int, out: Path) -> dict:
    """One timed export in this process; returns its numbers."""
    from connecting_people.measures.definitions import load_shipped
    from connecting_people.study.export.dates import DatePolicy
    from connecting_people.study.export.identifiers import Pseudonyms
    from connecting_people.study.export.keys import StudyKey
    from connecting_people.study.export.measures import MeasureCounts, layouts, participant_measures
    from connecting_people.study.export.participants import SUBJECT_COLUMNS, Roster
    from connecting_people.study.export.scanner import IdentifierScanner
    from connecting_people.study.export.writers import (
        LongCsv,
        LongParquet,
        WideCsv,
        WideParquet,
        write_records,
    )

    rng = random.Random(SEED)
    catalogue = load_shipped()
    instruments = [catalogue.get(name) for name in INSTRUMENTS]
    found = layouts(instruments)
    per_visit = sum(len(layout.variables) for layout in found.values())
    people = -(-rows // (per_visit * len(TIMEPOINTS)))
    pools = {instrument.id: _pool(instrument, rng) for instrument in instruments}
    start_day = date(2024, 1, 1)
    participants = [
        {
            "person_id": 100_000 + i,
            "site": f"site{i % 5 + 1:02d}",
            "team": f"T{i % 10 + 1:02d}",
            "arm": "intervention" if i % 2 else "control",
            "baseline_on": start_day + timedelta(days=i % 365),
            "date_of_birth": date(1960, 1, 1) + timedelta(days=(i * 37) % 15_000),
            "consent_version": "v1",
            "withdrawn_on": None,
            "withdrawal_choice": None,
        }
        for i in range(people)
    ]
    key = StudyKey("benchmark-key-not-secret-0123456789abcdef")
    dates = DatePolicy()
    roster = Roster(participants, pseudonyms=Pseudonyms(key, study="bench", prefix="BENCH"), dates=dates)

    def administrations():
        n = 0
        for i, participant in enumerate(participants):
            for timepoint, offset in TIMEPOINTS:
                on = participant["baseline_on"] + timedelta(days=offset)
                for instrument in instruments:
                    response = pools[instrument.id][(i * 7 + offset + n) % POOL]
                    n += 1
                    yield {
                        "person_id": participant["person_id"],
                        "timepoint": timepoint,
                        "instrument": instrument.id,
                        "version": instrument.version,
                        "administered_on": on,
                        "notes": "never exported",
                        **response,
                    }

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    ordered = list(found.values())
    common = {"subject_columns": SUBJECT_COLUMNS, "date_column": dates.column()}
    writers = []
    if mode in ("long_csv", "all_formats"):
        writers.append(LongCsv(out / "measures_long.csv", **common))
    if mode in ("long_parquet", "all_formats"):
        writers.append(LongParquet(out / "measures_long.parquet", shifted_dates=False, **common))
    if mode == "all_formats":
        writers.append(WideCsv(out / "measures_wide.csv", layouts=ordered, **common))
        writers.append(
            WideParquet(out / "measures_wide.parquet", layouts=ordered, shifted_dates=False, **common)
        )
    before_mb = _rss_mb()
    counts = MeasureCounts(instruments_not_exported=Counter(), ignored_keys=set())
    started = time.perf_counter()
    written = write_records(
        participant_measures(administrations(), roster=roster, instruments=found, counts=counts), writers
    )
    seconds = time.perf_counter() - started
    peak_mb = _rss_mb()  # before the scan below, which is not part of the streaming
    long_rows = next(n for path, n in written.items() if path.name.startswith("measures_long"))
    sizes = {path.name: round(path.stat().st_size / 1e6, 1) for path in written}
    scan_seconds = None
    if mode != "all_formats":  # the final check the export runs on its files, for the long file alone
        scanner = IdentifierScanner(names=_names(10_000), vocabulary=[t for t, _ in TIMEPOINTS])
        started = time.perf_counter()
        findings = scanner.scan_file(next(iter(written)))
        scan_seconds = round(time.perf_counter() - started, 3)
        assert not findings, findings[:5]
    shutil.rmtree(out, ignore_errors=True)
    return {
        "mode": mode,
        "participants": people,
        "long_rows": long_rows,
        "files": {path.name: n for path, n in written.items()},
        "file_mb": sizes,
        "seconds": round(seconds, 3),
        "rows_per_s": round(long_rows / seconds),
        "rss_before_streaming_mb": round(before_mb, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "scan_seconds": scan_seconds,
    }


def run(rows: int = ROWS) -> dict:
    results = []
    for mode in MODES:
        out = BENCH_DIR / f"export-{mode}"
        completed = subprocess.run(
            [sys.executable, "-m", "bench.export", "--child", mode, "--rows", str(rows), "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env=os.environ | {"PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
        )
        results.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    summary = {
        "what": "pseudonymised study export, measure rows streamed from a generator to files",
        "memory": "peak RSS = getrusage(RUSAGE_SELF).ru_maxrss of a child process per run (whole process)",
        "targets": {"rows_per_s": TARGET_ROWS_PER_S, "peak_rss_mb": TARGET_PEAK_MB},
        "machine": {
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
        },
        "results": results,
        "passes": all(
            r["rows_per_s"] >= TARGET_ROWS_PER_S and r["peak_rss_mb"] < TARGET_PEAK_MB for r in results
        ),
    }
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / "export.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def section(summary: dict) -> str:
    """The results as a Markdown table."""
    lines = [
        "| run | long rows | seconds | rows/s | RSS before streaming (MB) | peak RSS (MB) | scan of the file (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary["results"]:
        lines.append(
            f"| {r['mode']} | {r['long_rows']:,} | {r['seconds']:.2f} | {r['rows_per_s']:,} |"
            f" {r['rss_before_streaming_mb']:.0f} | {r['peak_rss_mb']:.0f} |"
            f" {'' if r['scan_seconds'] is None else format(r['scan_seconds'], '.1f')} |"
        )
    verdict = "meets" if summary["passes"] else "MISSES"
    lines.append("")
    lines.append(
        f"Targets: at least {TARGET_ROWS_PER_S:,} rows/s and peak RSS under {TARGET_PEAK_MB} MB: {verdict} them."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=ROWS, help="long rows to stream (default 1,000,000)")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.out)))
        return
    summary = run(args.rows)
    print(section(summary))
    print(f"\nWritten to {BENCH_DIR / 'export.json'}")


if __name__ == "__main__":
    main()
