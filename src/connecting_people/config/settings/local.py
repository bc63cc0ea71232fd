"""Local development and the demo: DEBUG on, MFA off (documented in the README), a fixed local key."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = SECRET_KEY or "local-only-insecure-key-never-used-in-production-0123456789"  # noqa: F405

CONNECTING_PEOPLE_ENVIRONMENT = "local"
