from django.apps import AppConfig


class StudyConfig(AppConfig):
    name = "connecting_people.study"
    label = "study"
    verbose_name = "Evaluation study"
