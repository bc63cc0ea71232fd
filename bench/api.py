"""`python -m bench.api`: the REST API's main list and detail endpoints at a scale, with a token.

`api_pages()` gives the endpoints as `run_one.Page`s, so `make bench` times them with the pages (the same
rotation of practitioners, the same query counts and percentiles); run alone, this makes a fresh SQLite
database, generates the scale, and times only the API:

    python -m bench.api [--scale M] [--requests 200] [--warmup 20] [--out var/bench/api-sqlite-M.json]

Endpoints: `/api/v1/people` (a page of 50, the default), `/api/v1/people/<id>` (writes an audit event, as the
person page does), `/api/v1/community/opportunities` (a page of 50) and `/api/v1/community/opportunities/<id>`.
Each practitioner of the rotation has a token with every scope (made as on their tokens page); requests go
through Django's test client with `Authorization: Bearer …`, so token look-up, rate counting and the
`last_used_at` write are in every timing.
"""

import argparse
import json
import os
import time
from itertools import zip_longest
from pathlib import Path

from bench import run_one

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"


class TokenClient:
    """Django's test client sending one token with every request (and no session)."""

    def __init__(self, token: str):
        from django.test import Client

        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str):
        return self.client.get(url, headers=self.headers)


def token_for(username: str) -> TokenClient:
    from connecting_people.accounts.actor import actor_for
    from connecting_people.accounts.models import User
    from connecting_people.api import services
    from connecting_people.api.models import ApiToken
    from connecting_people.api.tokens import SCOPES

    user = User.objects.get(username=username)
    token, secret = services.token_create(
        actor=actor_for(user), name="bench", scopes=list(SCOPES), days=1, mfa_verified=True
    )
    ApiToken.objects.filter(pk=token.pk).update(rate_limit=1_000_000)  # the bench is not what limits are for
    return TokenClient(secret)


def api_pages(*, scale: str, seed: int, rotation: int) -> list:
    """The API endpoints to time, as `run_one.Page`s (see the module docstring)."""
    from connecting_people.api.v1.api import api  # noqa: F401 (the routes are registered)
    from connecting_people.community.models import Opportunity
    from connecting_people.people.models import Person
    from connecting_people.synthetic.generate import SCALES

    spec = SCALES[scale]
    prefix = f"{scale.lower()}{seed}"
    team_numbers = list(range(1, min(rotation, spec.trusts * spec.teams_per_trust) + 1))
    names = [f"{prefix}.worker{t}.1" for t in team_numbers]
    clients = [token_for(name) for name in names]
    per_worker = []
    for name, client in zip(names, clients, strict=True):
        ids = Person.objects.filter(allocated_worker__username=name, status="open").order_by("pk")
        per_worker.append([(client, f"/api/v1/people/{pk}") for pk in ids.values_list("pk", flat=True)[:20]])
    people = [target for group in zip_longest(*per_worker) for target in group if target]
    pages = [
        run_one.Page("api_people", "API `/api/v1/people` (a page of 50, token)", [(c, "/api/v1/people") for c in clients]),
        run_one.Page("api_person", "API `/api/v1/people/<id>` (writes an audit event)", people),
    ]
    opportunity_ids = list(Opportunity.objects.filter(active=True).order_by("pk").values_list("pk", flat=True)[:50])
    if opportunity_ids:
        pages += [
            run_one.Page(
                "api_opportunities",
                "API `/api/v1/community/opportunities` (a page of 50)",
                [(client, "/api/v1/community/opportunities") for client in clients]
                + [(client, "/api/v1/community/opportunities?category=social") for client in clients],
            ),
            run_one.Page(
                "api_opportunity",
                "API `/api/v1/community/opportunities/<id>`",
                [(clients[i % len(clients)], f"/api/v1/community/opportunities/{pk}") for i, pk in enumerate(opportunity_ids)],
            ),
        ]
    return pages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="M", choices=["S", "M", "L"])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rotation", type=int, default=5)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--measure-only", action="store_true", help="the database already holds the scale")
    args = parser.parse_args(argv)
    if "DATABASE_URL" not in os.environ:
        from bench.__main__ import fresh_sqlite

        os.environ["DATABASE_URL"] = fresh_sqlite(f"api-{args.scale}")
        args.measure_only = False
    os.environ.setdefault("CONNECTING_PEOPLE_ENV", "local")
    run_one._configure_django()
    from django.core.management import call_command

    facts = run_one.database_facts()
    label = f"[{facts['vendor']} {args.scale}]"
    generate_s = None
    if not args.measure_only:
        run_one.log(f"{label} migrating and generating")
        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            call_command("demo", scale=args.scale, seed=args.seed, stdout=quiet)
        generate_s = round(time.perf_counter() - started, 2)
        run_one.analyze()
    results = []
    for page in api_pages(scale=args.scale, seed=args.seed, rotation=args.rotation):
        result = page.measure(requests=args.requests, warmup=args.warmup, count_samples=20)
        run_one.log(
            f"{label} {page.name}: {result['queries_min']}-{result['queries_max']} queries, "
            f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, {result['html_kb']} kB"
        )
        results.append(result)
    out = args.out or BENCH_DIR / f"api-{'pg' if facts['vendor'] == 'postgresql' else 'sqlite'}-{args.scale}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"scale": args.scale, "seed": args.seed, "database": facts, "generate_s": generate_s,
             "rows": run_one.row_counts(), "pages": results},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
