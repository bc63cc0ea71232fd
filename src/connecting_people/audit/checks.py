"""Deployment checks (`check --deploy`): an audit key that is set, strong, and no other secret of the service."""

import os
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, register

from connecting_people.audit.chain import AuditKeyError


@register(Tags.security, deploy=True)
def audit_key_set(app_configs=None, **kwargs):
    from connecting_people.audit.keys import audit_key

    try:
        key = audit_key()
    except AuditKeyError as error:
        return [
            Error(
                f"No usable audit key: {error}",
                hint="Set CONNECTING_PEOPLE_AUDIT_KEY_FILE (or CONNECTING_PEOPLE_AUDIT_KEY) to a random secret "
                "kept apart from the database, its backups and the study key. Without it no audit event is "
                "written, so no audited page works.",
                id="audit.E001",
            )
        ]
    others = [("DJANGO_SECRET_KEY", settings.SECRET_KEY), ("the study key", _study_key_text())]
    for name, secret in others:
        if secret and key.same_secret_as(secret):
            return [
                Error(
                    f"The audit key is the same as {name}.",
                    hint="Use a separate random secret for each, so one leaking does not expose the other.",
                    id="audit.E002",
                )
            ]
    return []


def _study_key_text() -> str | None:
    """The study key as configured (file or environment), read only to compare; None when it is not set."""
    path = getattr(settings, "CONNECTING_PEOPLE_STUDY_KEY_FILE", None)
    if path:
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    return os.environ.get("CONNECTING_PEOPLE_STUDY_KEY")
