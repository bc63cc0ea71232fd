"""WSGI entry point for gunicorn: `gunicorn connecting_people.config.wsgi`."""

from django.core.wsgi import get_wsgi_application

from connecting_people.config.environment import configure_settings

configure_settings()
application = get_wsgi_application()

# Refuse to start with a broken instrument definition or value-set setting, rather than failing on a page later.
from connecting_people.measures.checks import instruments_load  # noqa: E402

if problems := instruments_load():
    raise RuntimeError("; ".join(problem.msg for problem in problems))
