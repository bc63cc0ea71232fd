"""Measures scoring benchmark: `python -m bench.scoring` prints a Markdown section; `run()` returns it.

What it measures (issue 3, "Performance"):

1. `score_batch` on 1,000,000 SWEMWBS and 1,000,000 EQ-5D-5L responses (random valid answers, float64 array
   already in memory, validation on), best of 3, against three per-row Python loops over the same answers:
   a *tight* loop (lists of ints, set look-ups, sum or state arithmetic, table look-up: the fastest plain
   Python we could write), a *definition-driven* loop (each answer checked with the definition's own
   `Item.allows`, then summed / the state text looked up in the crosswalk: the obvious way to write it), and
   `score_one` called once per row (the engine's one-response path). The first two are timed on the first
   100,000 rows and multiplied by 10, `score_one` on the first 10,000 rows multiplied by 100 (best of 3).
2. `connecting-people score swemwbs --csv FILE` on generated files of 200,000 and 1,000,000 rows (an id
   column plus the seven items), run as a child process: wall time (process start to exit, Django start-up
   included) and the child's peak resident memory, read with getrusage(RUSAGE_CHILDREN) in a wrapper
   process of its own for each run so that one run's peak cannot hide another's.

Generated files go under var/bench/ (ignored by git) and are kept between runs.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
ROWS = 1_000_000
LOOP_ROWS = 100_000
ONE_ROWS = 10_000
CSV_ROWS = (200_000, 1_000_000)
REPEATS = 3
CSV_REPEATS = 2
SEED = 2026
BATCH_TARGET_S = 2.0
RATIO_TARGET = 50
CSV_TARGET_S = 20.0

# Runs the CLI as its own child and prints "<wall seconds> <peak RSS in KiB>" of that child.
_WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
with open(sys.argv[1], "wb") as out:
    code = subprocess.run(sys.argv[2:], stdout=out).returncode
wall = time.perf_counter() - start
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def _best(function, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


# ------------------------------------------------------------------------------------------ per-row loops


def swemwbs_loop(instrument, rows: list[list[int]]) -> tuple[list, list]:
    """The plain way: for each response, check each answer, add it up, look up the metric score."""
    allowed = [set(item.code_values) for item in instrument.items]
    prepared = instrument.scoring.prepared
    metric_of = {prepared.minimum + i: value for i, value in enumerate(prepared.conversion.tolist())}
    totals, metrics = [], []
    for row in rows:
        total = 0
        for answer, codes in zip(row, allowed, strict=True):
            if answer is None:
                total = None
                break
            if answer not in codes:
                raise ValueError(f"{answer} is not an allowed answer")
            total += answer
        totals.append(total)
        metrics.append(None if total is None else metric_of[total])
    return totals, metrics


def eq5d_loop(instrument, rows: list[list[int]], value_set: str) -> tuple[list, list]:
    """The plain way: check the five levels and the VAS, work out the state, look up its index."""
    prepared = instrument.scoring.prepared
    index_of = prepared.value_sets[value_set].index.tolist()  # by state number, 11111 first
    levels = {1, 2, 3, 4, 5}
    indices, vas_scores = [], []
    for mobility, self_care, activities, pain, anxiety, vas in rows:
        state = 0
        for level in (mobility, self_care, activities, pain, anxiety):
            if level not in levels:
                raise ValueError(f"{level} is not a level")
            state = state * 5 + (level - 1)
        if not (0 <= vas <= 100):
            raise ValueError(f"{vas} is not a VAS score")
        indices.append(index_of[state])
        vas_scores.append(vas)
    return indices, vas_scores


def swemwbs_definition_loop(instrument, rows: list[list[int]]) -> tuple[list, list]:
    """The obvious way: check each answer with the definition, sum, look the total up in the table."""
    prepared = instrument.scoring.prepared
    metric_of = {prepared.minimum + i: value for i, value in enumerate(prepared.conversion.tolist())}
    totals, metrics = [], []
    for row in rows:
        for item, answer in zip(instrument.items, row, strict=True):
            if answer is not None and not item.allows(answer):
                raise ValueError(f"{item.id}: {answer} is not an allowed answer ({item.allowed_text()})")
        if None in row:
            totals.append(None)
            metrics.append(None)
            continue
        total = sum(row)
        totals.append(total)
        metrics.append(metric_of[total])
    return totals, metrics


def eq5d_definition_loop(instrument, rows: list[list[int]], value_set: str) -> tuple[list, list]:
    """The obvious way: check each answer with the definition, write the state, look it up by its text."""
    from connecting_people.measures.scoring.eq5d import all_states

    index_of = dict(
        zip(all_states(), instrument.scoring.prepared.value_sets[value_set].index.tolist(), strict=True)
    )
    indices, vas_scores = [], []
    for row in rows:
        for item, answer in zip(instrument.items, row, strict=True):
            if answer is not None and not item.allows(answer):
                raise ValueError(f"{item.id}: {answer} is not an allowed answer ({item.allowed_text()})")
        indices.append(index_of["".join(map(str, row[:5]))])
        vas_scores.append(row[5])
    return indices, vas_scores


# ------------------------------------------------------------------------------------------ measurements


def _batch_and_loop(catalogue) -> list[dict]:
    from connecting_people.measures.scoring import score_batch, score_one

    rng = np.random.default_rng(SEED)
    swemwbs, eq5d = catalogue.get("swemwbs"), catalogue.get("eq5d5l")
    swemwbs_answers = rng.integers(1, 6, size=(ROWS, 7)).astype(np.float64)
    eq5d_answers = np.column_stack(
        [rng.integers(1, 6, size=(ROWS, 5)), rng.integers(0, 101, size=ROWS)]
    ).astype(np.float64)
    value_set = "vanhout2012-uk"

    results = []
    cases = (
        (
            "SWEMWBS (total, metric)",
            swemwbs,
            swemwbs_answers,
            {},
            lambda r: swemwbs_loop(swemwbs, r),
            lambda r: swemwbs_definition_loop(swemwbs, r),
        ),
        (
            f"EQ-5D-5L (index under {value_set}, state, VAS)",
            eq5d,
            eq5d_answers,
            {"value_set": value_set},
            lambda r: eq5d_loop(eq5d, r, value_set),
            lambda r: eq5d_definition_loop(eq5d, r, value_set),
        ),
    )
    for name, instrument, answers, options, tight, obvious in cases:
        batch_s = _best(lambda a=answers, i=instrument, o=options: score_batch(i, a, **o))
        loop_rows = answers[:LOOP_ROWS].astype(np.int64).tolist()
        tight_s = _best(lambda r=loop_rows, f=tight: f(r)) * (ROWS / LOOP_ROWS)
        obvious_s = _best(lambda r=loop_rows, f=obvious: f(r)) * (ROWS / LOOP_ROWS)
        one_rows = loop_rows[:ONE_ROWS]
        one_s = _best(lambda r=one_rows, i=instrument, o=options: [score_one(i, row, **o) for row in r])
        one_s *= ROWS / ONE_ROWS
        # Every way gives the same scores (checked on the loops' rows).
        check = score_batch(instrument, answers[:LOOP_ROWS], **options)
        expected = check.total if instrument.id == "swemwbs" else check.derived["index"]
        for loop in (tight, obvious):
            assert np.allclose(np.array(loop(loop_rows)[0], dtype=float), expected), "a loop disagrees"
        key = "total" if instrument.id == "swemwbs" else "index"
        assert np.allclose(
            [score_one(instrument, row, **options)[key] for row in one_rows[:1000]], expected[:1000]
        )
        results.append(
            {
                "name": name,
                "batch_s": batch_s,
                "loops": {"tight": tight_s, "definition-driven": obvious_s, "score_one per row": one_s},
            }
        )
    return results


def _csv_file(rows: int) -> Path:
    """A SWEMWBS CSV of `rows` responses (id column + seven items), made once and kept in var/bench/."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"swemwbs-{rows}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(SEED + rows)
    answers = rng.integers(1, 6, size=(rows, 7)).tolist()
    header = "id,optimistic,useful,relaxed,problems,thinking,close,decisions\n"
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        for start in range(0, rows, 100_000):
            block = answers[start : start + 100_000]
            handle.write(
                "".join(f"r{start + i + 1},{','.join(map(str, row))}\n" for i, row in enumerate(block))
            )
    tmp.replace(path)
    return path


def _csv_run(rows: int) -> dict:
    path = _csv_file(rows)
    out = BENCH_DIR / f"swemwbs-{rows}-scored.csv"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env |= {"CONNECTING_PEOPLE_ENV": "local", "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "connecting_people.cli", "score", "swemwbs", "--csv", str(path)]
    walls, peaks = [], []
    for _ in range(CSV_REPEATS):
        report = subprocess.run(
            [sys.executable, "-c", _WRAPPER, str(out), *command],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        wall, peak_kib, code = report.stdout.split()
        if code != "0":
            raise RuntimeError(f"score --csv exited {code}: {report.stderr[-2000:]}")
        walls.append(float(wall))
        peaks.append(int(peak_kib))
    with out.open("rb") as handle:
        written = sum(1 for _ in handle) - 1
    out.unlink()
    if written != rows:
        raise RuntimeError(f"score --csv wrote {written} rows for {rows}")
    return {
        "rows": rows,
        "size_mb": path.stat().st_size / 1e6,
        "wall_s": min(walls),
        "peak_mib": max(peaks) / 1024,
    }


def _startup_run() -> float:
    """Wall time of `score swemwbs --answers ...` (one response): the process and Django start-up cost."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env |= {"CONNECTING_PEOPLE_ENV": "local", "DJANGO_DEBUG": "0"}
    command = [
        sys.executable,
        "-m",
        "connecting_people.cli",
        "score",
        "swemwbs",
        "--answers",
        "1,2,3,4,5,1,2",
    ]

    def once():
        subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)

    return _best(once, CSV_REPEATS)


# ------------------------------------------------------------------------------------------ report


def run() -> str:
    """Run every measurement and return the Markdown section."""
    from connecting_people.measures.definitions import load_shipped
    from connecting_people.measures.management.csv_scoring import CHUNK_ROWS

    catalogue = load_shipped()
    batch = _batch_and_loop(catalogue)
    csv_runs = [_csv_run(rows) for rows in CSV_ROWS]
    startup_s = _startup_run()

    lines = [
        "## Measures scoring",
        "",
        f"`python -m bench.scoring` ({platform.python_implementation()} {platform.python_version()}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs, {platform.machine()}; seed {SEED}).",
        "",
        f"**Scoring step.** `score_batch` on {ROWS:,} random valid responses held in a float64 array, answers "
        f"validated, best of {REPEATS}, against per-row Python loops over the same answers: *tight* (lists of "
        "ints, set look-ups, sum or state arithmetic, table look-up: the fastest plain Python we could write), "
        "*definition-driven* (each answer checked with the definition's `Item.allows`, then summed, or the "
        "state written as text and looked up in the crosswalk: the obvious way to write it) and `score_one` "
        f"once per row. The two loops are timed on the first {LOOP_ROWS:,} rows and multiplied by "
        f"{ROWS // LOOP_ROWS}, `score_one` on {ONE_ROWS:,} rows multiplied by {ROWS // ONE_ROWS} (best of "
        f"{REPEATS}); all give the same scores (checked). Targets: under {BATCH_TARGET_S:g} s, and at least "
        f"{RATIO_TARGET}× faster than a plain per-row loop.",
        "",
        f"| Instrument | `score_batch`, {ROWS:,} rows | tight loop (ratio) | definition-driven loop (ratio) "
        "| `score_one` per row (ratio) |",
        "|---|---:|---:|---:|---:|",
    ]
    for result in batch:
        cells = [
            f"{seconds:.2f} s ({seconds / result['batch_s']:.0f}×)" for seconds in result["loops"].values()
        ]
        lines.append(f"| {result['name']} | {result['batch_s']:.3f} s | {' | '.join(cells)} |")
    lines.append("")
    for result in batch:
        under = result["batch_s"] < BATCH_TARGET_S
        met = [
            name for name, seconds in result["loops"].items() if seconds / result["batch_s"] >= RATIO_TARGET
        ]
        missed = [name for name in result["loops"] if name not in met]
        lines.append(
            f"- {result['name']}: {'under' if under else '**not** under'} {BATCH_TARGET_S:g} s; "
            f"{RATIO_TARGET}× or more against: {', '.join(met) or 'none'}"
            + (f"; **less than {RATIO_TARGET}×** against: {', '.join(missed)}." if missed else ".")
        )
    lines += [
        "",
        "**`connecting-people score swemwbs --csv FILE`** on generated files (an id column and the seven "
        "items; the output is the input columns plus `total`, `metric`, `missing`, `missing_outcome`), "
        f"written to a file. Read and scored in chunks of {CHUNK_ROWS:,} rows. Wall time is the whole "
        f"process (start-up included), best of {CSV_REPEATS}; peak RSS is the child process's maximum "
        "resident set (getrusage). The same command scoring one response (`--answers`) takes "
        f"{startup_s:.2f} s: Python and Django start-up. Target: under {CSV_TARGET_S:g} s for "
        "1,000,000 rows, memory not growing with the file.",
        "",
        "| Rows | File size | Wall time | Peak RSS |",
        "|---:|---:|---:|---:|",
    ]
    for result in csv_runs:
        lines.append(
            f"| {result['rows']:,} | {result['size_mb']:.1f} MB | {result['wall_s']:.2f} s | "
            f"{result['peak_mib']:.0f} MiB |"
        )
    small, large = csv_runs[0], csv_runs[-1]
    lines += [
        "",
        f"Peak memory for {large['rows']:,} rows is {large['peak_mib'] - small['peak_mib']:+.0f} MiB "
        f"against {small['rows']:,} rows ({large['rows'] // small['rows']}× the rows): the file is "
        "streamed, not held.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
