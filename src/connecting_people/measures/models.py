"""A recorded administration of an outcome measure for a person, with the scores worked out when it was saved."""

from django.conf import settings
from django.db import models

from connecting_people.people.models import Person


class Administration(models.Model):
    class Mode(models.TextChoices):
        WITH_PERSON = "with_person", "Together, in person"
        PHONE = "phone", "By phone"
        SELF_COMPLETED = "self_completed", "Completed by the person on their own"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="administrations")
    instrument_id = models.CharField(max_length=64)
    instrument_version = models.CharField(max_length=20)
    administered_on = models.DateField()
    timepoint_label = models.CharField(max_length=60, blank=True)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    administered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Codes in the definition's item order; null for an item left unanswered.
    answers = models.JSONField()
    total = models.FloatField(null=True, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    band = models.CharField(max_length=80, blank=True)
    # Scores beyond the total: metric (SWEMWBS), index and value_set (EQ-5D-5L), vas, t_score (GAS).
    derived = models.JSONField(default=dict, blank=True)
    missing_items = models.JSONField(default=list, blank=True)
    missing_rule = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["administered_on", "id"]
        indexes = [
            models.Index(
                fields=["person", "instrument_id", "administered_on"], name="administration_person_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.administered_on} for person {self.person_id}"


class HeadlineSpan(models.Model):
    """A person's first and latest headline score on one instrument version, kept up to date by every recording
    (`measures.services.refresh_spans`), so that dashboards average a row per person instead of reading every
    administration. Only scored administrations count; band-only instruments have no span."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    instrument_id = models.CharField(max_length=64)
    instrument_version = models.CharField(max_length=20)
    first_on = models.DateField()
    first_score = models.FloatField()
    latest_on = models.DateField()
    latest_score = models.FloatField()
    scored = models.PositiveIntegerField()  # scored administrations of this version

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "instrument_id", "instrument_version"], name="headline_span_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.instrument_version} span of person {self.person_id}"
