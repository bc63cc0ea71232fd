"""`python -m bench` (`make bench`): synthetic data at scale, page query counts and latency, map measures in bulk.

For each database engine (SQLite always; PostgreSQL when it answers at 127.0.0.1:5432 with trust auth) and
each scale, this makes a fresh database, runs `bench.run_one` in a child process against it (migrate,
generate, time the pages), then `bench.maps` on a fresh database of its own (100,000 stored maps: load, compute
and store their measures), and finally writes docs/performance.md. Each scale gets a database of its own,
so that scale S is measured on S's data alone. `make bench` runs S and M; add L on PostgreSQL with
`--postgres-scales S,M,L` (a few more minutes).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench import report

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_DATABASE = "connecting_people_bench"


def postgres_answers(server_url: str) -> str | None:
    """The reason PostgreSQL cannot be used, or None when it answers."""
    try:
        import psycopg

        psycopg.connect(f"{server_url}/postgres", connect_timeout=3).close()
    except Exception as error:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        first_line = (str(error).strip().splitlines() or [""])[0]
        return f"{error.__class__.__name__}: {first_line}"
    return None


def fresh_postgres(server_url: str) -> str:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return f"{server_url}/{PG_DATABASE}"


def fresh_sqlite(scale: str) -> str:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"bench-{scale}.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def run_one(*, database_url: str, scale: str, args) -> dict:
    out = BENCH_DIR / f"result-{'pg' if database_url.startswith('postgres') else 'sqlite'}-{scale}.json"
    env = os.environ | {
        "DATABASE_URL": database_url,
        "CONNECTING_PEOPLE_ENV": "local",
        "DJANGO_SETTINGS_MODULE": "connecting_people.config.settings.local",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "bench.run_one",
        "--scale",
        scale,
        "--seed",
        str(args.seed),
        "--requests",
        str(args.requests),
        "--warmup",
        str(args.warmup),
        "--out",
        str(out),
    ]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return json.loads(out.read_text())


def run_map_batch(*, database_url: str, args) -> dict:
    """`bench.maps generate` then `bench.maps measure`, each a process of its own; their results merged."""
    engine = "pg" if database_url.startswith("postgres") else "sqlite"
    env = os.environ | {
        "DATABASE_URL": database_url,
        "CONNECTING_PEOPLE_ENV": "local",
        "DJANGO_SETTINGS_MODULE": "connecting_people.config.settings.local",
        "DJANGO_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    result: dict = {}
    for step in ("generate", "measure"):
        out = BENCH_DIR / f"maps-{engine}-{step}.json"
        command = [sys.executable, "-m", "bench.maps", step, "--seed", str(args.seed), "--out", str(out)]
        if step == "generate":
            command += ["--people", str(args.map_people)]
        subprocess.run(command, cwd=ROOT, env=env, check=True)
        step_result = json.loads(out.read_text())
        result |= (
            step_result if step == "generate" else {k: v for k, v in step_result.items() if k != "people"}
        )
    return result


def _scales(parser, text: str) -> list[str]:
    scales = [s.strip().upper() for s in text.split(",") if s.strip()]
    if unknown := set(scales) - {"S", "M", "L"}:
        parser.error(f"unknown scales: {', '.join(sorted(unknown))}")
    return sorted(set(scales), key="SML".index)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scales", default="S,M", help="comma-separated scales, from S, M and L (default S,M)"
    )
    parser.add_argument(
        "--postgres-scales",
        help="scales for PostgreSQL when they differ from --scales "
        "(for example S,M,L: the L targets are on PostgreSQL)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page first (default 20)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--skip-scoring", action="store_true", help="leave out the outcome-measure scoring benchmark"
    )
    parser.add_argument(
        "--skip-map-batch", action="store_true", help="leave out the map measures benchmark (100,000 maps)"
    )
    parser.add_argument(
        "--skip-burden",
        action="store_true",
        help="leave out the practitioner burden journey (a whole cycle in the browser)",
    )
    parser.add_argument(
        "--map-people",
        type=int,
        default=50_000,
        help="people with two maps each for the map measures benchmark",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name (trust auth)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)
    scales = _scales(parser, args.scales)
    pg_scales = _scales(parser, args.postgres_scales) if args.postgres_scales else scales

    started = time.perf_counter()
    load_before = os.getloadavg()
    results: list[dict] = []
    skipped: dict[str, str] = {}
    map_batches: list[dict] = []
    if not args.skip_sqlite:
        for scale in scales:
            results.append(run_one(database_url=fresh_sqlite(scale), scale=scale, args=args))
        if not args.skip_map_batch:
            map_batches.append(run_map_batch(database_url=fresh_sqlite("maps"), args=args))
    else:
        skipped["SQLite"] = "skipped (--skip-sqlite)"
    reason = "skipped (--skip-postgres)" if args.skip_postgres else postgres_answers(args.postgres)
    if reason is None:
        for scale in pg_scales:
            results.append(run_one(database_url=fresh_postgres(args.postgres), scale=scale, args=args))
        if not args.skip_map_batch:
            map_batches.append(run_map_batch(database_url=fresh_postgres(args.postgres), args=args))
    else:
        skipped["PostgreSQL"] = reason
        print(f"PostgreSQL not measured: {reason}", file=sys.stderr)

    sections = []
    if map_batches:
        from bench import maps

        sections.append(maps.section(map_batches))
    if not args.skip_scoring:
        from bench import scoring

        sections.append(scoring.run())
    if not args.skip_burden:
        from bench import burden

        sections.append(burden.section(burden.measure()))
    elapsed = time.perf_counter() - started
    (BENCH_DIR / "results.json").write_text(json.dumps(results, indent=2))
    args.output.write_text(
        report.render(
            results,
            machine=report.machine_facts(load_before=load_before),
            skipped=skipped,
            requests=args.requests,
            warmup=args.warmup,
            seed=args.seed,
            elapsed_s=elapsed,
            notes=report.kept_notes(args.output),
            sections=tuple(sections),
        )
    )
    print(
        f"Wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output} "
        f"in {elapsed:.0f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
