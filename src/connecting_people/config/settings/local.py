"""Local development and the demo: DEBUG on, MFA off (documented in the README), a fixed local key."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = SECRET_KEY or "local-only-insecure-key-never-used-in-production-0123456789"  # noqa: F405

CONNECTING_PEOPLE_ENVIRONMENT = "local"

# The demo's study key: a file in var/ (outside the database), made on first use. A real deployment sets
# CONNECTING_PEOPLE_STUDY_KEY or CONNECTING_PEOPLE_STUDY_KEY_FILE and keeps the key away from the data.
if not CONNECTING_PEOPLE_STUDY_KEY_FILE and not os.environ.get("CONNECTING_PEOPLE_STUDY_KEY"):  # noqa: F405
    CONNECTING_PEOPLE_STUDY_KEY_FILE = str(VAR_DIR / "study.key")  # noqa: F405
    CONNECTING_PEOPLE_STUDY_KEY_MAKE = True
# The same for the audit key (var/audit.key), kept in a file of its own.
if not CONNECTING_PEOPLE_AUDIT_KEY_FILE and not os.environ.get("CONNECTING_PEOPLE_AUDIT_KEY"):  # noqa: F405
    CONNECTING_PEOPLE_AUDIT_KEY_FILE = str(VAR_DIR / "audit.key")  # noqa: F405
    CONNECTING_PEOPLE_AUDIT_KEY_MAKE = True
