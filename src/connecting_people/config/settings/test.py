"""Settings for the test suite: fast password hashing, no throttling surprises between tests."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405

CONNECTING_PEOPLE_ENVIRONMENT = "test"

# Background tasks run as soon as they are queued (one test drives the database worker itself).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# A study key for the suite only, made on first use outside the database and the checkout.
CONNECTING_PEOPLE_STUDY_KEY_FILE = str(Path(tempfile.gettempdir()) / "connecting-people-test-study.key")
CONNECTING_PEOPLE_STUDY_KEY_MAKE = True
CONNECTING_PEOPLE_STUDY_FILES = Path(tempfile.gettempdir()) / "connecting-people-test-study-files"
# An audit key for the suite only, likewise. Tests that write checkpoints point the checkpoint file at a temporary
# directory of their own; this default (one per process, so parallel runs never share one) is only read.
CONNECTING_PEOPLE_AUDIT_KEY_FILE = str(Path(tempfile.gettempdir()) / "connecting-people-test-audit.key")
CONNECTING_PEOPLE_AUDIT_KEY_MAKE = True
CONNECTING_PEOPLE_AUDIT_RETIRED_KEYS_FILE = None
CONNECTING_PEOPLE_AUDIT_CHECKPOINTS = (
    Path(tempfile.gettempdir()) / f"connecting-people-test-audit-checkpoints-{os.getpid()}"
)
