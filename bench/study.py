"""Study benchmarks from the database: `python -m bench.study` (writes var/bench/study.json, prints a table).

Unlike `bench.analysis` and `bench.export`, which time the pure modules on rows made in memory, this times the
study app's own paths, from a database (issue 7, "Performance"):

1. **Load.** A fresh database (SQLite `var/bench/study.sqlite3` unless `--database-url`) is migrated, then
   `connecting-people study simulate` makes a study of `--participants` (default 10,000: 10 sites × 10 teams ×
   100 participants, effect 0.5): the simulation, then the loading (participants, consent, about ten assessments
   each scored by the measures engine, fidelity ratings, one audit event). Timed: the whole command, and the
   simulation alone (the rest is loading).
2. **Analysis.** In a process of its own: `analysis.db.analysis_inputs(study)` reads the rows from the
   database (timed: "rows from the database"), then `analysis.analyse` with the study's plan and
   `--replicates` (default 2,000) bootstrap replicates (timed: "analysis"). Target (DESIGN.md): under 30 s.
3. **Export.** Each mode in a process of its own, so its peak memory is its own: `write_export` fed by
   `exporting.participant_rows` and `exporting.administration_rows` (database cursors, streamed) with the
   study's instruments, writing `long_csv` alone, then all four formats (long and wide CSV and Parquet) in one
   pass; rows/s = long measure rows / seconds. Then `full_job`: what the background job does,
   `exporting.export_write` (everything the job writes, fidelity ratings and maps too, then the identifier
   scan of every file) and the zip, each step timed ("write", "scan", "zip"). Each mode also reports its CPU
   seconds (user + system of the child), less disturbed than wall time by other work on a shared machine.
   Peak RSS is `resource.getrusage(RUSAGE_SELF).ru_maxrss` of that child at the end (the whole process:
   interpreter, Django, numpy, pyarrow and the export). Targets: at least 100,000 long rows/s and peak RSS
   under 300 MB for at least `--export-rows` (default 1,000,000) long rows. When the analysis study has fewer
   long rows than that, a second, larger study is simulated for the export (its load time is reported too).

    python -m bench.study [--participants 10000] [--replicates 2000] [--export-rows 1000000]
                          [--database-url URL] [--skip-export]
    python -m bench.study --database-url URL --export-study ID [--repeat N]

The second form only exports study ID of a database loaded before (by an earlier run, or by `connecting-people
study simulate`), `--repeat` times each mode (default 1), prints the export rows of the table and the JSON,
and writes no file. The database is left in place for a look afterwards. The machine is shared: treat the
numbers as indicative.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
OUT = BENCH_DIR / "study.json"
PARTICIPANTS = 10_000
SITES, TEAMS_PER_SITE = 10, 10
REPLICATES = 2_000
EXPORT_ROWS = 1_000_000
EFFECT, SEED = 0.5, 2026
ANALYSIS_CODE, EXPORT_CODE = "bench", "bench-export"
EXPORT_MODES = ("long_csv", "all_formats", "full_job")
ANALYSIS_TARGET_S = 30.0
TARGET_ROWS_PER_S = 100_000
TARGET_PEAK_MB = 300
# Only for the benchmark's throw-away database: a real deployment keeps its key outside the checkout.
BENCH_KEY = "benchmark-study-key-not-secret-0123456789abcdefghij"
MISSING = (
    "study/{name}.py is not there yet (another part of issue 7 writes it): this step cannot run until it is."
)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _configure_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connecting_people.config.settings.local")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- children


def _simulate(code: str, participants: int) -> dict:
    """`connecting-people study simulate` for about `participants` participants; its JSON line and wall time."""
    from django.core.management import call_command

    per_team = max(1, math.ceil(participants / (SITES * TEAMS_PER_SITE)))
    out = StringIO()
    started = time.perf_counter()
    call_command(
        "study",
        "simulate",
        "--sites",
        str(SITES),
        "--teams-per-site",
        str(TEAMS_PER_SITE),
        "--participants-per-team",
        str(per_team),
        "--effect",
        str(EFFECT),
        "--seed",
        str(SEED),
        "--code",
        code,
        stdout=out,
    )
    seconds = time.perf_counter() - started
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    return {
        "study": summary["study"],
        "code": summary["code"],
        "participants": summary["participants"],
        "teams": summary["teams"],
        "assessments": summary["assessments"],
        "truth": summary["truth"],
        "simulate_s": summary["seconds"]["simulate"],
        "command_s": round(seconds, 2),
        "load_s": round(seconds - summary["seconds"]["simulate"], 2),
        "participants_per_s": round(summary["participants"] / seconds),
    }


def long_rows_expected(study_id: int) -> int:
    """Long measure rows the export will write: for each instrument, its assessments × its variables."""
    from django.db.models import Count

    from connecting_people.measures import registry
    from connecting_people.study.export.measures import InstrumentLayout
    from connecting_people.study.models import Assessment

    total = 0
    for row in (
        Assessment.objects.filter(participant__study_id=study_id)
        .values("instrument_id", "instrument_version")
        .annotate(n=Count("id"))
    ):
        instrument = registry.instrument(row["instrument_id"], row["instrument_version"])
        total += row["n"] * len(InstrumentLayout.of(instrument).variables)
    return total


def child_load(participants: int, export_rows: int, skip_export: bool) -> dict:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started
    analysis = _simulate(ANALYSIS_CODE, participants)
    analysis["long_rows_expected"] = long_rows_expected(analysis["study"])
    result = {"migrate_s": round(migrate_s, 1), "analysis_study": analysis, "export_study": analysis}
    if not skip_export and analysis["long_rows_expected"] < export_rows:
        per_participant = analysis["long_rows_expected"] / analysis["participants"]
        wanted = math.ceil(export_rows / per_participant * 1.02)
        log(f"  {analysis['long_rows_expected']:,} long rows: loading a study of {wanted:,} for the export")
        export = _simulate(EXPORT_CODE, wanted)
        export["long_rows_expected"] = long_rows_expected(export["study"])
        result["export_study"] = export
    return result


def child_analyse(study_id: int, replicates: int) -> dict:
    from dataclasses import replace

    try:
        from connecting_people.study.analysis import db as analysis_rows
    except ImportError:
        raise SystemExit(MISSING.format(name="analysis_rows")) from None
    from connecting_people.study.analysis import analyse
    from connecting_people.study.models import Study

    study = Study.objects.get(pk=study_id)
    started = time.perf_counter()
    inputs = analysis_rows.analysis_inputs(study)
    rows_s = time.perf_counter() - started
    inputs["plan"] = replace(inputs["plan"], bootstrap_replicates=replicates)
    parts: dict[str, float] = {}
    started = time.perf_counter()
    result = analyse(**inputs, timings=parts)
    analyse_s = time.perf_counter() - started
    primary, economic = result["primary"], result["cost_effectiveness"]
    return {
        "participants": len(inputs["participants"]),
        "score_rows": len(inputs["scores"]),
        "service_use_rows": len(inputs["service_use"]),
        "fidelity_rows": len(inputs["fidelity"]),
        "bootstrap_replicates": economic.get("bootstrap_replicates", replicates),
        "rows_from_database_s": round(rows_s, 2),
        "analysis_s": round(analyse_s, 2),
        "parts_s": {name: round(seconds, 3) for name, seconds in parts.items()},
        "total_s": round(rows_s + analyse_s, 2),
        "estimate": primary["estimate"],
        "ci": [primary["ci_low"], primary["ci_high"]],
        "peak_rss_mb": round(_rss_mb(), 1),
    }


def child_export(study_id: int, mode: str, out: Path) -> dict:
    try:
        from connecting_people.study.export import db as exporting
    except ImportError:
        raise SystemExit(MISSING.format(name="exporting")) from None
    from django.utils import timezone

    from connecting_people.study.export import write_export
    from connecting_people.study.keys import study_key
    from connecting_people.study.models import Study

    study = Study.objects.get(pk=study_id)
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    before_mb = _rss_mb()
    phases: dict[str, float] = {}
    cpu = _cpu_s()
    started = time.perf_counter()
    if mode == "full_job":
        report, _summary = exporting.export_write(study, out, options={"dates": "days"}, timings=phases)
        zipping = time.perf_counter()
        zipped = exporting._zip(out, "bench-export")  # as `make_export` does; removes the directory
        phases["zip"] = time.perf_counter() - zipping
        zipped.unlink()
    else:
        formats = ["long_csv"] if mode == "long_csv" else None
        settings = exporting.export_settings(study, {"dates": "days", "formats": formats})
        cutoff = timezone.now()
        report = write_export(
            out,
            key=study_key(),
            settings=settings,
            participants=exporting.participant_rows(study, cutoff=cutoff),
            administrations=exporting.administration_rows(study, cutoff=cutoff),
            instruments=exporting.study_instruments(study),
        )
    seconds = time.perf_counter() - started
    cpu = _cpu_s() - cpu
    peak_mb = _rss_mb()
    files = dict(report.files)
    long_rows = next((n for name, n in files.items() if name.startswith("measures_long")), 0)
    shutil.rmtree(out, ignore_errors=True)
    return {
        "mode": mode,
        "participants": report.participants,
        "long_rows": long_rows,
        "files": files,
        "seconds": round(seconds, 2),
        "cpu_s": round(cpu, 2),
        **({"phases_s": {name: round(value, 2) for name, value in phases.items()}} if phases else {}),
        "rows_per_s": round(long_rows / seconds) if seconds else None,
        "rss_before_mb": round(before_mb, 1),
        "peak_rss_mb": round(peak_mb, 1),
    }


# --------------------------------------------------------------------------------------------- parent


def _child(step: str, env: dict, *args: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.study", "--child", step, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"bench.study: the {step} step failed (exit {completed.returncode})")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def fresh_sqlite() -> str:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / "study.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _environment(database_url: str) -> dict[str, str]:
    """The children's environment: this one, with the benchmark's database, settings and study key."""
    return {key: value for key, value in os.environ.items() if key != "CONNECTING_PEOPLE_USER"} | {
        "DATABASE_URL": database_url,
        "CONNECTING_PEOPLE_ENV": "local",
        "DJANGO_SETTINGS_MODULE": "connecting_people.config.settings.local",
        "DJANGO_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "CONNECTING_PEOPLE_STUDY_KEY": BENCH_KEY,
        "CONNECTING_PEOPLE_STUDY_KEY_FILE": "",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
    }


def run(
    *,
    participants: int = PARTICIPANTS,
    replicates: int = REPLICATES,
    export_rows: int = EXPORT_ROWS,
    database_url: str | None = None,
    skip_export: bool = False,
) -> dict:
    database_url = database_url or fresh_sqlite()
    env = _environment(database_url)
    log(f"Loading {participants:,} participants into {database_url.split('://')[0]} ...")
    loaded = _child(
        "load",
        env,
        "--participants",
        str(participants),
        "--export-rows",
        str(export_rows),
        *(["--skip-export"] if skip_export else []),
    )
    study = loaded["analysis_study"]
    log(f"  loaded in {study['command_s']:.1f} s; analysing with {replicates:,} replicates ...")
    analysis = _child("analyse", env, "--study", str(study["study"]), "--replicates", str(replicates))
    exports = []
    if not skip_export:
        export_study = loaded["export_study"]
        for mode in EXPORT_MODES:
            log(f"  exporting ({mode}) ...")
            exports.append(
                _child(
                    "export",
                    env,
                    "--study",
                    str(export_study["study"]),
                    "--mode",
                    mode,
                    "--out",
                    str(BENCH_DIR / f"study-export-{mode}"),
                )
            )
    effect = study["truth"]["effect"]
    summary = {
        "what": "study app from the database: simulate and load, analysis rows and analysis, export",
        "database": database_url.split("://")[0],
        "memory": "peak RSS = getrusage(RUSAGE_SELF).ru_maxrss of a child process per step (whole process)",
        "targets": {
            "analysis_s": ANALYSIS_TARGET_S,
            "export_rows_per_s": TARGET_ROWS_PER_S,
            "export_peak_rss_mb": TARGET_PEAK_MB,
            "export_rows": export_rows,
        },
        "machine": {
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "load_average": os.getloadavg()[0],
        },
        "load": loaded,
        "analysis": analysis
        | {
            "true_effect": effect,
            "covers_true_effect": analysis["ci"][0] <= effect <= analysis["ci"][1],
            "within_target": analysis["total_s"] < ANALYSIS_TARGET_S,
        },
        "export": exports,
        "export_passes": bool(exports) and all(_export_passes(r, export_rows) for r in exports),
    }
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _export_passes(result: dict, export_rows: int) -> bool:
    if result["peak_rss_mb"] >= TARGET_PEAK_MB:
        return False
    return result["mode"] == "full_job" or (
        result["rows_per_s"] >= TARGET_ROWS_PER_S and result["long_rows"] >= export_rows
    )


def section(summary: dict) -> str:
    """The results as Markdown tables."""
    lines = [
        "| step | participants | rows | seconds | rate | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    studies = [summary["load"]["analysis_study"]]
    if summary["load"]["export_study"]["study"] != studies[0]["study"]:
        studies.append(summary["load"]["export_study"])
    for study in studies:
        lines.append(
            f"| `study simulate` {study['code']}: simulate | {study['participants']:,} | "
            f"{study['assessments']:,} assessments | {study['simulate_s']:.1f} | | |"
        )
        lines.append(
            f"| `study simulate` {study['code']}: load into the database | {study['participants']:,} | "
            f"{study['assessments']:,} assessments | {study['load_s']:.1f} | "
            f"{study['assessments'] / max(study['load_s'], 1e-9):,.0f} assessments/s | |"
        )
    a = summary["analysis"]
    lines.append(
        f"| analysis rows from the database | {a['participants']:,} | {a['score_rows'] + a['service_use_rows']:,} "
        f"rows | {a['rows_from_database_s']:.1f} | | |"
    )
    lines.append(
        f"| analysis, {a['bootstrap_replicates']:,} replicates | {a['participants']:,} | | {a['analysis_s']:.1f} | "
        f"| {a['peak_rss_mb']:.0f} |"
    )
    lines += export_lines(summary["export"])
    verdict = "meets" if a["within_target"] else "MISSES"
    lines += [
        "",
        f"Analysis from the database (rows + analysis): {a['total_s']:.1f} s, target under "
        f"{ANALYSIS_TARGET_S:.0f} s: {verdict} it. Primary estimate {a['estimate']:.3f} "
        f"(95% CI {a['ci'][0]:.3f} to {a['ci'][1]:.3f}), true effect {a['true_effect']}.",
    ]
    if summary["export"]:
        verdicts = ", ".join(
            f"{r['mode']} {'meets' if _export_passes(r, summary['targets']['export_rows']) else 'MISSES'}"
            for r in summary["export"]
        )
        lines.append(
            f"Export: at least {TARGET_ROWS_PER_S:,} long rows/s and peak RSS under {TARGET_PEAK_MB} MB for "
            f"{summary['targets']['export_rows']:,}+ long rows: {verdicts} (full_job includes the identifier "
            "scan and is held to the memory target only)."
        )
    return "\n".join(lines)


def export_lines(exports: list[dict]) -> list[str]:
    """Table rows of the export modes: seconds (CPU seconds), rate, peak RSS; the full job's steps."""
    lines = []
    for r in exports:
        rate = f"{r['rows_per_s']:,} long rows/s" if r["mode"] != "full_job" else ""
        steps = ", ".join(f"{name} {value:.1f} s" for name, value in r.get("phases_s", {}).items())
        cpu = f" ({r['cpu_s']:.1f} CPU)" if "cpu_s" in r else ""
        lines.append(
            f"| export {r['mode']}{f': {steps}' if steps else ''} | {r['participants']:,} | "
            f"{r['long_rows']:,} long rows | {r['seconds']:.1f}{cpu} | {rate} | {r['peak_rss_mb']:.0f} |"
        )
    return lines


def export_only(study_id: int, database_url: str, repeat: int = 1) -> list[dict]:
    """Each export mode `repeat` times on study `study_id` of a database loaded before; nothing written."""
    env = _environment(database_url)
    exports = []
    for _ in range(repeat):
        for mode in EXPORT_MODES:
            log(f"  exporting ({mode}) ...")
            out = BENCH_DIR / f"study-export-{mode}"
            exports.append(_child("export", env, "--study", str(study_id), "--mode", mode, "--out", str(out)))
    return exports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.study",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--participants", type=int, default=PARTICIPANTS, help="participants (default 10,000)"
    )
    parser.add_argument(
        "--replicates", type=int, default=REPLICATES, help="bootstrap replicates (default 2,000)"
    )
    parser.add_argument(
        "--export-rows",
        type=int,
        default=EXPORT_ROWS,
        help="long measure rows to export, at least (default 1M)",
    )
    parser.add_argument("--database-url", help="an empty database to use (default: a fresh SQLite file)")
    parser.add_argument("--skip-export", action="store_true", help="leave out the export step")
    parser.add_argument(
        "--export-study",
        type=int,
        help="only export this study of --database-url (loaded before); writes no file",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="with --export-study: times to run each mode (default 1)"
    )
    parser.add_argument("--child", choices=("load", "analyse", "export"), help=argparse.SUPPRESS)
    parser.add_argument("--study", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=EXPORT_MODES, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.participants < SITES * TEAMS_PER_SITE:
        parser.error(f"--participants must be at least {SITES * TEAMS_PER_SITE} (one per team)")
    if args.child:
        _configure_django()
        if args.child == "load":
            result = child_load(args.participants, args.export_rows, args.skip_export)
        elif args.child == "analyse":
            result = child_analyse(args.study, args.replicates)
        else:
            result = child_export(args.study, args.mode, args.out)
        print(json.dumps(result))
        return 0
    if args.export_study is not None:
        if not args.database_url:
            parser.error("--export-study needs --database-url")
        exports = export_only(args.export_study, args.database_url, max(1, args.repeat))
        print(
            "\n".join(
                [
                    "| step | participants | rows | seconds | rate | peak RSS (MB) |",
                    "|---|---:|---:|---:|---:|---:|",
                ]
            )
        )
        print("\n".join(export_lines(exports)))
        print(json.dumps(exports))
        return 0 if all(_export_passes(r, args.export_rows) for r in exports) else 1
    summary = run(
        participants=args.participants,
        replicates=args.replicates,
        export_rows=args.export_rows,
        database_url=args.database_url,
        skip_export=args.skip_export,
    )
    print(section(summary))
    print(f"\nWritten to {OUT.relative_to(ROOT)}")
    return 0 if summary["analysis"]["within_target"] and (args.skip_export or summary["export_passes"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
