from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "connecting_people.people"
    label = "people"
    verbose_name = "People supported"
