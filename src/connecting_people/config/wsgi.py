"""WSGI entry point for gunicorn: `gunicorn connecting_people.config.wsgi`."""

from django.core.wsgi import get_wsgi_application

from connecting_people.config.environment import configure_settings

configure_settings()
application = get_wsgi_application()
