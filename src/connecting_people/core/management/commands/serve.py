"""`connecting-people serve`: serve the app. Local: Django's server on 127.0.0.1:8000. Production: use gunicorn."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve Connecting People on http://127.0.0.1:8000 (development server; use gunicorn in production)."
    )

    def add_arguments(self, parser):
        parser.add_argument("address", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, address="127.0.0.1:8000", **options):
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Connecting People at http://{address}/  (Ctrl+C to stop)")
        call_command("runserver", address, use_reloader=False, insecure_serving=True)
