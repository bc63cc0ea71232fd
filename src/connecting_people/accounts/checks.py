"""Deployment checks for signing in (run by `connecting-people check --deploy`)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def trusted_proxies_set(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Production runs behind a proxy (it trusts X-Forwarded-Proto). Without the proxy's address in
    CONNECTING_PEOPLE_TRUSTED_PROXIES every client seems to come from the proxy, so one person's failed sign-ins
    count against everyone's, and the per-address limit can pause sign-in for the whole organisation."""
    if getattr(settings, "CONNECTING_PEOPLE_ENVIRONMENT", "") != "production":
        return []
    if settings.CONNECTING_PEOPLE_TRUSTED_PROXIES:
        return []
    return [
        checks.Warning(
            "CONNECTING_PEOPLE_TRUSTED_PROXIES is empty, so every client seems to come from your proxy's address.",
            hint="Set it to the address of the proxy in front of the service (for example 127.0.0.1), and make "
            "the proxy overwrite X-Forwarded-For: see docs/security.md.",
            id="accounts.W001",
        )
    ]
