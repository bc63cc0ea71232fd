"""Connections map benchmarks.

1. **Map page** (called by `bench.run_one` for each scale): the first practitioners' first person gets a latest
   map of 150 entries and 500 ties, their second person one of 10 entries and 10 ties; both pages are timed
   like the other pages, and their query counts must be equal.
2. **Measures of 100,000 stored maps** (`python -m bench.maps generate|measure`, run by `python -m bench` for
   each engine on a fresh database): `generate` stores 50,000 synthetic people with two maps each (about 20
   entries and a few ties a map, through `synthetic.maps`); `measure`, in a process of its own so that its
   peak memory is its own, reads every snapshot through `connections.batch.stored_map_chunks` (timed: load),
   works out their measures with `measures_of` (timed: compute, of which `metrics.measures_for_many` alone),
   checks a sample against `snapshot_measures`, and writes them all back with `measures_store` (timed: store).

`section(results)` turns the second into the Markdown section of docs/performance.md.
"""

import argparse
import json
import random
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BIG_ENTRIES, BIG_TIES = 150, 500
SMALL_ENTRIES, SMALL_TIES = 10, 10
MAP_REQUESTS, MAP_WARMUP = 50, 5
BATCH_PEOPLE, BATCH_SNAPSHOTS_EACH = 50_000, 2
BATCH_TARGET_S = 60
SAMPLE = 300  # snapshots checked one at a time against snapshot_measures


# ------------------------------------------------------------------------------------------ map page


def _give_map(person_id: int, worker_id: int, drawer, *, entries: int, ties: int) -> None:
    """A new latest map for the person, after whatever maps they have."""
    from connecting_people.connections.models import MapSnapshot
    from connecting_people.synthetic.maps import store_maps

    latest = MapSnapshot.objects.filter(person_id=person_id).order_by("-taken_on", "-id").first()
    taken_on = date.today() if latest is None else max(date.today(), latest.taken_on + timedelta(days=1))
    drawn = drawer.sized_map(taken_on, entries=entries, ties=ties)
    store_maps([(person_id, worker_id, [drawn])], after={person_id: latest} if latest else None)


def map_pages(workers: list[tuple[str, object]], *, seed: int) -> list[tuple[str, str, list]]:
    """(name, label, targets) of the two map pages: for each (username, signed-in client) in `workers`, their
    first person (by id) gets the large map and their second the small one."""
    from faker import Faker

    from connecting_people.accounts.models import User
    from connecting_people.people.models import Person
    from connecting_people.synthetic.maps import MapDrawer

    fake = Faker("en_GB")
    fake.seed_instance(seed)
    drawer = MapDrawer(random.Random(seed), fake)
    big, small = [], []
    for username, client in workers:
        worker = User.objects.get(username=username)
        first, second = Person.objects.filter(allocated_worker=worker).order_by("pk")[:2]
        _give_map(first.pk, worker.pk, drawer, entries=BIG_ENTRIES, ties=BIG_TIES)
        _give_map(second.pk, worker.pk, drawer, entries=SMALL_ENTRIES, ties=SMALL_TIES)
        big.append((client, f"/people/{first.pk}/map/"))
        small.append((client, f"/people/{second.pk}/map/"))
    return [
        (
            "map",
            f"Connections map `/people/<id>/map/`, {BIG_ENTRIES} entries and {BIG_TIES} ties "
            "(writes an audit event)",
            big,
        ),
        (
            "map_small",
            f"Connections map `/people/<id>/map/`, {SMALL_ENTRIES} entries and {SMALL_TIES} ties "
            "(writes an audit event)",
            small,
        ),
    ]


# ------------------------------------------------------------------------------------------ batch measures


def generate(*, people: int, snapshots_each: int, seed: int) -> dict:
    """A trust with one team, `people` people and `snapshots_each` maps each; returns counts and seconds."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from faker import Faker

    from connecting_people.accounts.models import Team, Trust, User
    from connecting_people.people.models import Person
    from connecting_people.synthetic.generate import BATCH, person_rows
    from connecting_people.synthetic.maps import MapCounts, generate_maps

    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    today = date.today()
    started = time.perf_counter()
    with transaction.atomic():
        trust = Trust.objects.create(name="Map benchmark trust", ods_code="MAPBENCH")
        team = Team.objects.create(trust=trust, name="Map benchmark team")
        worker = User.objects.create(username="map.bench", password=make_password(None))
        workers = {team.pk: [worker.pk]}
        rows = person_rows(rng, fake, count=people, teams=[team], workers_by_team=workers, today=today)
        Person.objects.bulk_create(rows, batch_size=BATCH)
    people_s = time.perf_counter() - started
    started = time.perf_counter()
    counts = MapCounts()
    every = list(
        Person.objects.only("pk", "team_id", "allocated_worker_id", "opened_on", "status", "closed_on")
    )
    for start in range(0, len(every), 10_000):
        with transaction.atomic():
            counts += generate_maps(
                people=every[start : start + 10_000],
                workers_by_team=workers,
                seed=seed + start,
                today=today,
                snapshots_each=snapshots_each,
            )
    return {
        "people": people,
        "snapshots": counts.snapshots,
        "entries": counts.entries,
        "ties": counts.ties,
        "people_s": round(people_s, 2),
        "maps_s": round(time.perf_counter() - started, 2),
    }


def measure() -> dict:
    """Load, compute and store the measures of every stored snapshot; check a sample; time each step."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from connecting_people.connections import batch, metrics, selectors
    from connecting_people.connections.models import MapSnapshot

    chunks = batch.stored_map_chunks()
    load_s = compute_s = vector_s = 0.0
    snapshots = entries = ties = chunk_count = 0
    sample: dict[int, dict] = {}
    wanted = set(random.Random(1).sample(list(MapSnapshot.objects.values_list("pk", flat=True)), SAMPLE))
    with CaptureQueriesContext(connection) as captured:
        while True:
            started = time.perf_counter()
            maps = next(chunks, None)
            load_s += time.perf_counter() - started
            if maps is None:
                break
            started = time.perf_counter()
            rows = batch.measures_of(maps)
            compute_s += time.perf_counter() - started
            started = time.perf_counter()
            metrics.measures_for_many(maps.arrays)
            vector_s += time.perf_counter() - started
            chunk_count += 1
            snapshots += len(maps)
            entries += int((maps.arrays.entry_snapshot < len(maps)).sum())
            ties += len(maps.arrays.tie_a)
            for snapshot_id, row in zip(maps.snapshot_ids.tolist(), rows, strict=True):
                if snapshot_id in wanted:
                    sample[snapshot_id] = row
    load_queries = len(captured.captured_queries)
    peak_after_compute = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    for snapshot in MapSnapshot.objects.filter(pk__in=sample):
        previous = MapSnapshot.objects.get(pk=snapshot.previous_id) if snapshot.previous_id else None
        expected = metrics.snapshot_measures(
            selectors.snapshot_domain(snapshot), selectors.snapshot_domain(previous) if previous else None
        )
        if sample[snapshot.pk] != expected:
            raise SystemExit(f"batch measures of snapshot {snapshot.pk} differ from snapshot_measures")

    started = time.perf_counter()
    written = batch.measures_store()
    store_s = time.perf_counter() - started
    return {
        "snapshots": snapshots,
        "entries": entries,
        "ties": ties,
        "chunk_size": batch.CHUNK_SIZE,
        "chunks": chunk_count,
        "load_queries": load_queries,
        "load_s": round(load_s, 2),
        "compute_s": round(compute_s, 2),
        "vector_s": round(vector_s, 2),
        "store_s": round(store_s, 2),
        "written": written,
        "checked": len(sample),
        "peak_rss_mib": round(peak_after_compute),
        "peak_rss_with_store_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def section(results: list[dict]) -> str:
    """The Markdown section on batch measures, one row per engine."""
    from bench.report import ENGINES

    if not results:
        return ""
    first = results[0]
    lines = [
        "## Connections map measures in bulk",
        "",
        f"`python -m bench.maps` on a fresh database per engine: {first['people']:,} synthetic people with "
        f"{first['snapshots'] // max(first['people'], 1)} maps each (`synthetic.maps`, seed {first['seed']}), "
        "then, in a process of its own, every snapshot read through `connections.batch.stored_map_chunks` "
        f"({first['chunk_size']:,} snapshots a chunk, four queries a chunk: snapshots, entries, the keys of "
        "previous maps outside the chunk, ties), measured with `batch.measures_of` (the vectorised "
        "`metrics.measures_for_many` plus the support providers and one JSON-ready dict a snapshot) and "
        "written back with `batch.measures_store` (`bulk_update`, a transaction a chunk). "
        f"{first['checked']} snapshots picked at random are checked against `snapshot_measures` one at a time "
        f"(all equal). Target: all measures of 100,000 stored maps in under {BATCH_TARGET_S} s.",
        "",
        "| Engine | Snapshots | Entries | Ties | Generate maps (s) | Load (s) | Compute (s) | of which "
        "`measures_for_many` (s) | Load + compute (s) | Store (s) | Queries | Peak RSS (MiB) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for result in results:
        total = result["load_s"] + result["compute_s"]
        lines.append(
            f"| {ENGINES.get(result['vendor'], result['vendor'])} {result['version'].split()[0]} "
            f"| {result['snapshots']:,} | {result['entries']:,} | {result['ties']:,} | {result['maps_s']:.1f} "
            f"| {result['load_s']:.1f} | {result['compute_s']:.1f} | {result['vector_s']:.2f} | {total:.1f} "
            f"| {result['store_s']:.1f} | {result['load_queries']} | {result['peak_rss_mib']} |"
        )
    lines.append("")
    for result in results:
        total = result["load_s"] + result["compute_s"]
        lines.append(
            f"- {ENGINES.get(result['vendor'], result['vendor'])}: load and compute under {BATCH_TARGET_S} s: "
            f"{'yes' if total < BATCH_TARGET_S else 'NO'} ({total:.1f} s; with the write-back "
            f"{total + result['store_s']:.1f} s)."
        )
    lines += [
        "",
        "Peak RSS is the measuring process's maximum resident set after loading and computing (Django and "
        "numpy included); it follows the chunk size, not the number of snapshots.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("step", choices=["generate", "measure"])
    parser.add_argument("--people", type=int, default=BATCH_PEOPLE)
    parser.add_argument("--snapshots-each", type=int, default=BATCH_SNAPSHOTS_EACH)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    from bench.run_one import _configure_django, analyze, database_facts, log

    _configure_django()
    facts = database_facts()
    if args.step == "generate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        log(
            f"[{facts['vendor']} maps] generating {args.people:,} people with {args.snapshots_each} maps each"
        )
        result = generate(people=args.people, snapshots_each=args.snapshots_each, seed=args.seed)
        analyze()
        log(f"[{facts['vendor']} maps] {result['snapshots']:,} maps in {result['maps_s']:.1f} s")
    else:
        result = measure()
        log(
            f"[{facts['vendor']} maps] {result['snapshots']:,} maps: load {result['load_s']} s, compute "
            f"{result['compute_s']} s, store {result['store_s']} s"
        )
    args.out.write_text(json.dumps(result | {"seed": args.seed, **facts}, indent=2))


if __name__ == "__main__":
    sys.exit(main())
