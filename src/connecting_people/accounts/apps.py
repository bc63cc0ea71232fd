from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "connecting_people.accounts"
    label = "accounts"
    verbose_name = "Accounts and organisations"
