from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "connecting_people.privacy"
    label = "privacy"
    verbose_name = "Data protection"

    def ready(self) -> None:
        from connecting_people.privacy import checks, scopes  # noqa: F401 - the system checks, the scope rules
