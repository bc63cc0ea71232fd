"""`connecting-people demo`: load the demo organisation, or with --scale S|M|L the benchmark data."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from connecting_people.synthetic.demo import DEMO_STAFF, load_demo
from connecting_people.synthetic.generate import SCALES, generate_scale, scale_exists


class Command(BaseCommand):
    help = (
        "Load demo data (idempotent). With --scale S, M or L, generate synthetic data at that scale instead."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", choices=sorted(SCALES), help="Synthetic scale from DESIGN.md (S, M or L)"
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed (0 to 99999); same seed, same data"
        )

    def handle(self, *args, scale=None, seed=2026, **options):
        if settings.CONNECTING_PEOPLE_ENVIRONMENT == "production":
            # Demo accounts have a published password; in production that would be a way in.
            raise CommandError("Demo data is never loaded under production settings.", returncode=2)
        password = settings.CONNECTING_PEOPLE_DEMO_PASSWORD
        if not 0 <= seed <= 99_999:
            raise CommandError("--seed must be between 0 and 99999", returncode=2)
        if scale is None:
            created = load_demo(password=password, log=self.stdout.write)
            if created:
                names = ", ".join(username for username, *_ in DEMO_STAFF)
                self.stdout.write(f"Demo accounts: {names}")
                self.stdout.write(f"Demo password (all accounts): {password}")
            return
        if scale_exists(scale=scale, seed=seed):
            raise CommandError(
                f"Scale {scale} with seed {seed} is already loaded; use another --seed.", returncode=2
            )
        started = time.perf_counter()
        self.stdout.write(f"Generating scale {scale} (seed {seed}) ...")
        counts = generate_scale(scale=scale, seed=seed, password=password, log=self.stdout.write)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Scale {scale}: {counts['trusts']} trusts, {counts['teams']} teams, {counts['staff']} staff, "
            f"{counts['people']:,} people, {counts['administrations']:,} outcome measures, "
            f"{counts['map_snapshots']:,} connections maps ({counts['map_entries']:,} entries) in {elapsed:.1f} s. "
            f"Staff usernames start '{scale.lower()}{seed}.'"
        )
