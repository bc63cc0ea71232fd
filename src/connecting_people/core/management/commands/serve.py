"""`connecting-people serve`: serve the app. Local: Django's server on 127.0.0.1:8000. Production: use gunicorn.

With the database task backend (the default), a background worker (`db_worker`) runs beside the server, so
study exports and reports get made; it stops when the server stops. Production runs workers on its own.
"""

import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve Connecting People on http://127.0.0.1:8000 (development server; use gunicorn in production)."
    )

    def add_arguments(self, parser):
        parser.add_argument("address", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")

    def handle(self, *args, address="127.0.0.1:8000", no_worker=False, **options):
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        worker = None
        if not no_worker and settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
            worker = subprocess.Popen(
                [sys.executable, "-m", "connecting_people.cli", "db_worker", "--interval", "1", "--no-reload"]
            )
            self.stdout.write("Background worker started (exports and reports).")
            # Stopped with SIGTERM (not only Ctrl+C), still stop the worker: SystemExit runs the `finally`.
            signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        self.stdout.write(f"Connecting People at http://{address}/  (Ctrl+C to stop)")
        try:
            call_command("runserver", address, use_reloader=False, insecure_serving=True)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
