"""Audit trail benchmark: `python -m bench.audit [--postgres URL] [--events 100000]` prints a Markdown section.

What it measures, on a fresh database of its own per engine (SQLite always; PostgreSQL when a server URL is given):

1. Writing one audit event the way a page does (`audit_record` in a transaction of its own, as `person_open`
   does for a page view): mean, p50, p95 and fastest wall time in milliseconds over 2,000 events after 200
   warm-up events, this process's CPU time per event (on SQLite that includes the database's own work; on
   PostgreSQL the server's is not counted), and the queries one event costs. On a shared machine wall times
   move with the load: compare runs made side by side.
2. `connecting-people audit verify` on a chain of `--events` events (default 100,000), written through
   `audit_record` inside one outer transaction so that generating them stays quick: wall time, best of 2.

Only public entry points are used (`audit_record`, the `audit` command), so the same script measures the code
before and after a change to the chain. The SQLite database lives in var/bench/; PostgreSQL gets
`connecting_people_bench_audit`, dropped and made again.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_DATABASE = "connecting_people_bench_audit"
WRITES = 2_000
WARMUP = 200


def _fresh_database(postgres_server: str | None) -> str:
    if postgres_server:
        import psycopg

        with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')
        return f"{postgres_server}/{PG_DATABASE}"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / "audit.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _configure(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connecting_people.config.settings.local")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The checkpoints of this throw-away database must not mix with the local demo's.
    os.environ["CONNECTING_PEOPLE_AUDIT_CHECKPOINTS"] = str(BENCH_DIR / "audit-checkpoints")
    import django

    django.setup()


def _percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def measure(events: int) -> dict:
    from django.core.management import call_command
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext

    from connecting_people.accounts.models import User
    from connecting_people.audit.services import audit_record

    call_command("migrate", verbosity=0)
    actor = User.objects.create(username="bench.practitioner")

    def write(index: int) -> None:
        audit_record(
            actor=actor,
            action="person.viewed",
            object_type="person",
            object_id=index,
            person_id=index,
            summary={"page": "overview"},
        )

    for index in range(WARMUP):
        write(index)
    with CaptureQueriesContext(connection) as captured:
        write(0)
    queries = len(captured.captured_queries)
    reset_queries()
    times = []
    cpu_start = time.process_time()
    for index in range(WRITES):
        start = time.perf_counter()
        write(index)
        times.append((time.perf_counter() - start) * 1000)
    cpu = (time.process_time() - cpu_start) * 1000

    total = WARMUP + 1 + WRITES
    with transaction.atomic():
        for index in range(events - total):
            write(index)
    verify_times = []
    for _ in range(2):
        start = time.perf_counter()
        call_command("audit", "verify", stdout=io.StringIO())
        verify_times.append(time.perf_counter() - start)
    return {
        "vendor": connection.vendor,
        "write_mean": statistics.fmean(times),
        "write_p50": _percentile(times, 50),
        "write_p95": _percentile(times, 95),
        "write_min": min(times),
        "write_cpu": cpu / WRITES,
        "queries": queries,
        "events": max(events, total),
        "verify": min(verify_times),
    }


def markdown(results: list[dict]) -> str:
    lines = [
        "| engine | write mean (ms) | p50 | p95 | fastest | this process's CPU per write | queries per event "
        "| events | `audit verify` (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results:
        lines.append(
            f"| {row['vendor']} | {row['write_mean']:.2f} | {row['write_p50']:.2f} | {row['write_p95']:.2f} "
            f"| {row['write_min']:.2f} | {row['write_cpu']:.2f} | {row['queries']} | {row['events']:,} "
            f"| {row['verify']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL server URL, e.g. postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        # One engine per process: Django is set up once per process.
        _configure(os.environ["BENCH_AUDIT_DATABASE_URL"])
        import json

        print(json.dumps(measure(args.events)))
        return
    import json
    import subprocess

    results = []
    for server in [None, args.postgres] if args.postgres else [None]:
        url = _fresh_database(server)
        output = subprocess.run(
            [sys.executable, "-m", "bench.audit", "--child", "--events", str(args.events)],
            cwd=ROOT,
            env=os.environ | {"BENCH_AUDIT_DATABASE_URL": url},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
    print(markdown(results))


if __name__ == "__main__":
    main()
