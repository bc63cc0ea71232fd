from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "connecting_people.accounts"
    label = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self) -> None:
        from connecting_people.accounts import checks  # noqa: F401 - registers the deployment checks
