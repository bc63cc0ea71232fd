"""One benchmark run in a process of its own: migrate a fresh database, generate a scale, time the pages
(the map pages with the large and small maps `bench.maps` adds).

    python -m bench.run_one --scale M --seed 2026 --requests 200 --out result.json

The database comes from DATABASE_URL (the parent sets it); settings are the local ones with DEBUG off.
Prints progress to stderr and writes a JSON result.
"""

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from itertools import zip_longest
from pathlib import Path


def _configure_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connecting_people.config.settings.local")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["CONNECTING_PEOPLE_REQUIRE_MFA"] = "0"
    # WhiteNoise warns when staticfiles/ is not collected; the pages measured here serve no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], pct: int) -> float:
    """Inclusive percentile (the same method as numpy's default 'linear')."""
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def database_facts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        else:
            cursor.execute("SELECT sqlite_version()")
            version = cursor.fetchone()[0]
    return {"vendor": connection.vendor, "version": version}


def analyze() -> None:
    """Refresh planner statistics, as autovacuum would soon after a bulk load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def row_counts() -> dict[str, int]:
    from connecting_people.accounts.models import Membership, Team, Trust, User
    from connecting_people.audit.models import AuditEvent
    from connecting_people.connections.models import MapEntry, MapSnapshot, MapTie
    from connecting_people.measures.models import Administration
    from connecting_people.people.models import Person

    return {
        "trusts": Trust.objects.count(),
        "teams": Team.objects.count(),
        "staff": User.objects.count(),
        "memberships": Membership.objects.count(),
        "people": Person.objects.count(),
        "person_tags": Person.tags.through.objects.count(),
        "administrations": Administration.objects.count(),
        "map_snapshots": MapSnapshot.objects.count(),
        "map_entries": MapEntry.objects.count(),
        "map_ties": MapTie.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


class Page:
    """One page to measure: a rotation of (signed-in client, url) pairs, so that successive requests are
    different users and different records rather than one row the database has just cached."""

    def __init__(
        self,
        name: str,
        label: str,
        targets: list[tuple[object, str]],
        *,
        requests: int | None = None,
        warmup: int | None = None,
    ):
        self.name, self.label, self.targets = name, label, targets
        # Pages that cost more a request (the large map) are timed over fewer requests than the run's default.
        self.requests, self.warmup = requests, warmup

    def measure(self, *, requests: int, warmup: int, count_samples: int) -> dict:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def get(i: int):
            client, url = self.targets[i % len(self.targets)]
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{self.name}: GET {url} answered {response.status_code}")
            return response

        for i in range(warmup):
            get(i)
        # Query counts first, on their own: capturing SQL slows each query a little; keep it out of the timings.
        counts, sizes = [], []
        for i in range(count_samples):
            with CaptureQueriesContext(connection) as captured:
                response = get(i)
            counts.append(len(captured.captured_queries))
            sizes.append(len(response.content))
        timings, cpu = [], []
        for i in range(requests):
            started, cpu_started = time.perf_counter(), time.process_time()
            get(i)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        return {
            "page": self.name,
            "label": self.label,
            "rotation": len(self.targets),
            "queries_min": min(counts),
            "queries_max": max(counts),
            "html_kb": round(statistics.mean(sizes) / 1024, 1),
            "requests": requests,
            "p50_ms": round(percentile(timings, 50), 2),
            "p95_ms": round(percentile(timings, 95), 2),
            "mean_ms": round(statistics.mean(timings), 2),
            "max_ms": round(max(timings), 2),
            "cpu_p50_ms": round(percentile(cpu, 50), 2),
        }


def signed_in(username: str, password: str):
    from django.test import Client, RequestFactory

    client = Client()
    # django-axes needs the request to authenticate; this checks the generated password really works.
    if not client.login(request=RequestFactory().get("/"), username=username, password=password):
        raise SystemExit(f"Could not sign in as {username}")
    return client


def pages_for(*, scale: str, seed: int, rotation: int) -> list[Page]:
    from django.conf import settings
    from django.urls import reverse

    from bench import maps
    from connecting_people.accounts.models import Membership, Role, Trust
    from connecting_people.people.models import Person
    from connecting_people.synthetic.generate import SCALES

    spec = SCALES[scale]
    prefix = f"{scale.lower()}{seed}"
    password = settings.CONNECTING_PEOPLE_DEMO_PASSWORD
    teams = spec.trusts * spec.teams_per_trust
    # Spread the signed-in users over teams: worker 1 of teams 1..n, lead of teams 1..n.
    team_numbers = list(range(1, min(rotation, teams) + 1))
    workers = [signed_in(f"{prefix}.worker{t}.1", password) for t in team_numbers]
    leads = [signed_in(f"{prefix}.lead{t}", password) for t in team_numbers]
    # Dashboards: each lead's own team; each of the first trusts' implementation lead, their trust.
    lead_teams = dict(
        Membership.objects.filter(
            user__username__in=[f"{prefix}.lead{t}" for t in team_numbers], role=Role.TEAM_LEAD
        ).values_list("user__username", "team_id")
    )
    team_dashboards = [
        (client, reverse("implementation:team_dashboard", args=[lead_teams[f"{prefix}.lead{t}"]]))
        for t, client in zip(team_numbers, leads, strict=True)
    ]
    trust_numbers = range(1, min(rotation, spec.trusts) + 1)
    trust_ids = [Trust.objects.get(ods_code=f"{prefix}t{n}"[:10]).pk for n in trust_numbers]
    trust_dashboards = [
        (signed_in(f"{prefix}.impl{n}", password), reverse("implementation:trust_dashboard", args=[trust_id]))
        for n, trust_id in zip(trust_numbers, trust_ids, strict=True)
    ]
    # Person pages: up to 20 of each practitioner's people, taken in turn (user 1's, user 2's, ...).
    per_worker = []
    for t, client in zip(team_numbers, workers, strict=True):
        ids = Person.objects.filter(allocated_worker__username=f"{prefix}.worker{t}.1").order_by("pk")
        per_worker.append([(client, f"/people/{pk}/") for pk in ids.values_list("pk", flat=True)[:20]])
    person_targets = [target for group in zip_longest(*per_worker) for target in group if target]
    # Map pages: each practitioner's first person gets a large latest map, their second a small one.
    worker_names = [f"{prefix}.worker{t}.1" for t in team_numbers]
    map_pages = [
        Page(name, label, targets, requests=maps.MAP_REQUESTS, warmup=maps.MAP_WARMUP)
        for name, label, targets in maps.map_pages(list(zip(worker_names, workers, strict=True)), seed=seed)
    ]
    from bench import api

    return [
        Page("caseload", "Practitioner's caseload `/people/`", [(c, "/people/") for c in workers]),
        Page("team", "Team caseload `/people/team/` (lead)", [(c, "/people/team/") for c in leads]),
        Page("person", "Person overview `/people/<id>/` (writes an audit event)", person_targets),
        Page(
            "measures",
            "Outcome measures `/people/<id>/measures/` (history, charts; writes an audit event)",
            [(client, f"{url}measures/") for client, url in person_targets],
        ),
        *map_pages,
        Page(
            "team_dashboard", "Team dashboard `/implementation/teams/<id>/dashboard/` (lead)", team_dashboards
        ),
        Page(
            "trust_dashboard",
            "Trust dashboard `/implementation/trusts/<id>/dashboard/` (implementation lead)",
            trust_dashboards,
        ),
        *api.api_pages(scale=scale, seed=seed, rotation=rotation),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", required=True, choices=["S", "M", "L"])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rotation", type=int, default=5, help="practitioners and leads to rotate through")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="the scale is already loaded: skip migrating and generating, time the pages",
    )
    args = parser.parse_args(argv)

    _configure_django()
    from django.core.management import call_command

    facts = database_facts()
    migrate_s = generate_s = analyze_s = None
    if not args.measure_only:
        log(f"[{facts['vendor']} {args.scale}] migrating")
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        migrate_s = round(time.perf_counter() - started, 2)

        log(f"[{facts['vendor']} {args.scale}] generating scale {args.scale}")
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            call_command("demo", scale=args.scale, seed=args.seed, stdout=quiet)
        generate_s = round(time.perf_counter() - started, 2)
        log(f"[{facts['vendor']} {args.scale}] generated scale {args.scale} in {generate_s:.1f} s")
        started = time.perf_counter()
        analyze()
        analyze_s = round(time.perf_counter() - started, 2)
    counts = row_counts()

    results = []
    for page in pages_for(scale=args.scale, seed=args.seed, rotation=args.rotation):
        result = page.measure(
            requests=page.requests or args.requests, warmup=page.warmup or args.warmup, count_samples=20
        )
        log(
            f"[{facts['vendor']} {args.scale}] {page.name}: {result['queries_min']}-{result['queries_max']} "
            f"queries, p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms"
        )
        results.append(result)

    args.out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "seed": args.seed,
                "database": facts,
                "migrate_s": migrate_s,
                "generate_s": generate_s,
                "analyze_s": analyze_s,
                "rows": counts,
                "pages": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
