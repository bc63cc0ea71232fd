"""Pick the settings module from CONNECTING_PEOPLE_ENV (local, production or test)."""

import os

ENVIRONMENTS = {"local", "production", "test"}


def configure_settings() -> str:
    """Set DJANGO_SETTINGS_MODULE unless the caller already chose one; return the module name."""
    env = os.environ.get("CONNECTING_PEOPLE_ENV", "local").strip().lower()
    if env not in ENVIRONMENTS:
        raise SystemExit(f"CONNECTING_PEOPLE_ENV must be one of {sorted(ENVIRONMENTS)}, not {env!r}")
    return os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"connecting_people.config.settings.{env}")
