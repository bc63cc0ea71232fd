"""`connecting-people refresh_spans`: work out every person's first and latest headline scores again.

Run it after the instrument catalogue changes (a deployment adds or removes definitions in
CONNECTING_PEOPLE_INSTRUMENTS_DIR): spans are kept up to date as measures are recorded, but administrations of a
version that was not loaded when they were recorded have none until this runs. Safe to run at any time.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from connecting_people.measures.services import refresh_all_spans


class Command(BaseCommand):
    help = "Work out every person's first and latest headline score per instrument version again (for dashboards)."

    def handle(self, *args, **options):
        with transaction.atomic():
            count = refresh_all_spans()
        self.stdout.write(f"{count:,} spans written.")
