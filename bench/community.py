"""`python -m bench.community`: the community directory's import and search, on SQLite and on PostgreSQL.

For each engine (SQLite always; PostgreSQL when it answers at 127.0.0.1:5432 with trust authentication) this
makes a fresh database and runs, in a process of its own:

1. migrate;
2. import 10,000 synthetic HSDS services from a JSON file through the real importer (what
   `connecting-people community import FILE` does: read the file, then `directory_import`), timed; then the
   same file again, which must change nothing (target for the first: under 60 s);
3. import 10,000 more (another source), for 20,000 opportunities in all;
4. time directory searches through Django's test Client, signed in as a practitioner, rotating through a mix
   of filters (text, interest, day, time of day, category, cost, distance from coordinates or a postcode
   district, and several at once): p50 and p95 (target p95 under 100 ms);
5. count each search's queries, and check the count is the same whether a page holds 1 result or 20.

Prints the numbers and writes them to var/bench/community-<engine>.json.

    python -m bench.community [--services 10000] [--requests 300] [--skip-postgres]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "connecting_people_bench_community"
SEED = 2026
IMPORT_TARGET_S = 60.0
SEARCH_P95_TARGET_MS = 100.0

# The searches timed, in turn: (kind, query). Values vary so the database cannot answer one cached row.
SEARCHES = [
    ("everything", {}),
    ("text", {"q": "walking"}),
    ("text", {"q": "choir"}),
    ("interest", {"interest": "gardening"}),
    ("interest", {"interest": "music"}),
    ("interest and day", {"interest": "walking", "day": "tuesday"}),
    ("interest and day", {"interest": "crafts", "day": "thursday"}),
    ("day and time", {"day": "wednesday", "time": "evening"}),
    ("day and time", {"day": "saturday", "time": "morning"}),
    ("category and cost", {"category": "arts", "cost": "free"}),
    ("category and cost", {"category": "peer_support", "cost": "low"}),
    ("near coordinates", {"near": "53.9590, -1.0815", "within": "2"}),
    ("near coordinates", {"near": "53.9800, -1.1000", "within": "5"}),
    ("near a district", {"near": "CP3", "within": "2"}),
    ("near a district", {"near": "CP12", "within": "5"}),
    (
        "everything at once",
        {"interest": "walking", "day": "monday", "cost": "low", "near": "CP1", "within": "5"},
    ),
    ("page 5", {"cost": "free", "page": "5"}),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


# --- the parent: one child process per engine -------------------------------------------------------------


def postgres_problem(server: str) -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        import psycopg

        psycopg.connect(f"{server}/postgres", connect_timeout=3).close()
    except Exception as error:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        return f"{error.__class__.__name__}: {(str(error).strip().splitlines() or [''])[0]}"
    return None


def fresh_postgres(server: str) -> str:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return f"{server}/{PG_DATABASE}"


def fresh_sqlite() -> str:
    path = BENCH_DIR / "community.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def run_engine(engine: str, database_url: str, args) -> dict:
    out = BENCH_DIR / f"community-{engine}.json"
    env = os.environ | {
        "DATABASE_URL": database_url,
        "CONNECTING_PEOPLE_ENV": "local",
        "DJANGO_SETTINGS_MODULE": "connecting_people.config.settings.local",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
        "CONNECTING_PEOPLE_REQUIRE_MFA": "0",
    }
    command = [
        sys.executable,
        "-m",
        "bench.community",
        "--child",
        engine,
        "--services",
        str(args.services),
        "--requests",
        str(args.requests),
        "--warmup",
        str(args.warmup),
    ]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return json.loads(out.read_text())


def show(result: dict) -> None:
    imported = result["import"]
    print(f"\n{result['engine']} ({result['database']['vendor']} {result['database']['version']})")
    print(
        f"  import {imported['services']:,} services: {imported['seconds']:.1f} s "
        f"(target < {IMPORT_TARGET_S:.0f} s; reading the file {imported['read_seconds']:.1f} s), "
        f"again unchanged: {imported['again_seconds']:.1f} s"
    )
    search = result["search"]
    print(
        f"  search over {search['opportunities']:,} opportunities, {search['requests']} requests: "
        f"p50 {search['p50_ms']:.1f} ms, p95 {search['p95_ms']:.1f} ms (target p95 < {SEARCH_P95_TARGET_MS:.0f} ms)"
    )
    for kind in search["by_kind"]:
        print(
            f"    {kind['kind']:<20} p50 {kind['p50_ms']:6.1f} ms  p95 {kind['p95_ms']:6.1f} ms  "
            f"queries {kind['queries']}  results {kind['results']}"
        )
    counts = search["query_counts"]
    print(
        f"  queries a page: {counts['one_result']} with 1 result, {counts['full_page']} with a full page of 20, "
        f"{counts['no_result']} with none: {'the same' if counts['constant'] else 'DIFFERENT'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.community",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--services", type=int, default=10_000, help="services per import (default 10,000)")
    parser.add_argument("--requests", type=int, default=340, help="timed searches (default 340: 20 of each)")
    parser.add_argument("--warmup", type=int, default=34, help="untimed searches first (default 34)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES", PG_SERVER), help="server URL, no database"
    )
    parser.add_argument("--child", choices=["sqlite", "pg"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    results = []
    if not args.skip_sqlite:
        results.append(run_engine("sqlite", fresh_sqlite(), args))
    problem = "skipped (--skip-postgres)" if args.skip_postgres else postgres_problem(args.postgres)
    if problem is None:
        results.append(run_engine("pg", fresh_postgres(args.postgres), args))
    else:
        log(f"PostgreSQL not measured: {problem}")
    for result in results:
        show(result)
    failed = [
        result["engine"]
        for result in results
        if result["import"]["seconds"] >= IMPORT_TARGET_S
        or result["search"]["p95_ms"] >= SEARCH_P95_TARGET_MS
        or not result["search"]["query_counts"]["constant"]
    ]
    if failed:
        print(f"\nTargets missed on: {', '.join(failed)}")
    return 1 if failed else 0


# --- the child: one engine, with Django set up on its database --------------------------------------------


def _configure_django() -> None:
    warnings.filterwarnings(
        "ignore", message="No directory at"
    )  # no collected static files: none served here
    import django

    django.setup()


def _database_facts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()"
        )
        return {"vendor": connection.vendor, "version": cursor.fetchone()[0]}


def _timed_import(path: Path, source_name: str) -> tuple[float, float, dict]:
    from connecting_people.community.services import directory_import
    from connecting_people.community.sources import read_source

    started = time.perf_counter()
    source = read_source(str(path))
    read = time.perf_counter() - started
    report = directory_import(records=source.directory, source=source_name)
    return time.perf_counter() - started, read, report.as_dict()


def _practitioner_client():
    from django.test import Client

    from connecting_people.accounts.models import Membership, Role, Team, Trust, User

    trust = Trust.objects.create(name="Bench trust", ods_code="BENCH")
    team = Team.objects.create(trust=trust, name="Bench team")
    user = User.objects.create_user(username="bench.practitioner", password="bench-password-2026")
    Membership.objects.create(user=user, role=Role.PRACTITIONER, team=team, trust=trust)
    client = Client()
    client.force_login(user)
    client.get("/community/")  # the first request of a session stamps its start time
    return client


def _search(client, query: dict):
    response = client.get("/community/", query)
    if response.status_code != 200:
        raise SystemExit(f"GET /community/ {query} answered {response.status_code}")
    return response


def _results_on(response) -> int:
    return response.content.decode().count(
        '<h3 class="nhsuk-heading-s nhsuk-u-margin-bottom-1"><a href="/community/'
    )


def child(args) -> int:
    _configure_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from connecting_people.community.models import Opportunity
    from connecting_people.synthetic.community import hsds_services, service_list

    engine = args.child
    log(f"[{engine}] migrating")
    call_command("migrate", verbosity=0)
    facts = _database_facts()

    log(f"[{engine}] writing {args.services:,} synthetic HSDS services to a file")
    path = BENCH_DIR / f"community-services-{engine}.json"
    path.write_text(json.dumps(service_list(hsds_services(count=args.services, seed=SEED))), encoding="utf-8")
    log(f"[{engine}] importing them")
    seconds, read_seconds, report = _timed_import(path, "bench-services.json")
    assert report["created"] == args.services and report["rejected"] == 0, report
    again_seconds, _, again = _timed_import(path, "bench-services.json")
    assert again["unchanged"] == args.services and again["created"] == again["updated"] == 0, again
    log(f"[{engine}] importing {args.services:,} more from another source")
    path.write_text(
        json.dumps(service_list(hsds_services(count=args.services, seed=SEED + 1))), encoding="utf-8"
    )
    _timed_import(path, "bench-more-services.json")
    path.unlink()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would soon after a bulk load

    client = _practitioner_client()
    log(f"[{engine}] searching")
    for i in range(args.warmup):
        _search(client, SEARCHES[i % len(SEARCHES)][1])
    by_kind: dict[str, dict] = {}
    for kind, query in SEARCHES:
        with CaptureQueriesContext(connection) as captured:
            response = _search(client, query)
        entry = by_kind.setdefault(kind, {"kind": kind, "queries": set(), "results": set(), "timings": []})
        entry["queries"].add(len(captured.captured_queries))
        entry["results"].add(_results_on(response))
    timings = []
    for i in range(args.requests):
        kind, query = SEARCHES[i % len(SEARCHES)]
        started = time.perf_counter()
        _search(client, query)
        elapsed = (time.perf_counter() - started) * 1000
        timings.append(elapsed)
        by_kind[kind]["timings"].append(elapsed)

    # The same filters, one result or a full page: the count must not move.
    one = Opportunity.objects.filter(active=True).order_by("id").first()
    counts = {}
    for label, query in (
        (
            "one_result",
            {"q": one.name, "interest": "", "near": f"{one.latitude}, {one.longitude}", "within": "1"},
        ),
        ("full_page", {"q": "", "near": f"{one.latitude}, {one.longitude}", "within": "25"}),
        (
            "no_result",
            {"q": "no such group anywhere", "near": f"{one.latitude}, {one.longitude}", "within": "1"},
        ),
    ):
        with CaptureQueriesContext(connection) as captured:
            response = _search(client, query)
        counts[label] = len(captured.captured_queries)
        counts[f"{label}_results"] = _results_on(response)
    counts["constant"] = (
        counts["one_result"] == counts["full_page"] and counts["no_result"] <= counts["full_page"]
    )

    result = {
        "engine": engine,
        "database": facts,
        "import": {
            "services": args.services,
            "seconds": round(seconds, 2),
            "read_seconds": round(read_seconds, 2),
            "again_seconds": round(again_seconds, 2),
            "rejected": report["rejected"],
        },
        "search": {
            "opportunities": Opportunity.objects.count(),
            "requests": args.requests,
            "p50_ms": round(percentile(timings, 50), 2),
            "p95_ms": round(percentile(timings, 95), 2),
            "max_ms": round(max(timings), 2),
            "by_kind": [
                {
                    "kind": entry["kind"],
                    "p50_ms": round(percentile(entry["timings"], 50), 2),
                    "p95_ms": round(percentile(entry["timings"], 95), 2),
                    "queries": sorted(entry["queries"]),
                    "results": sorted(entry["results"]),
                }
                for entry in by_kind.values()
            ],
            "query_counts": counts,
        },
    }
    (BENCH_DIR / f"community-{engine}.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
