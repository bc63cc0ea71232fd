"""The person supported: their record, consents, allocation to a worker, strengths and interests."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from connecting_people.accounts.models import Team, Trust


class Tag(models.Model):
    """A strength or an interest, shared across people so that teams can later match them to opportunities."""

    class Kind(models.TextChoices):
        STRENGTH = "strength", "Strength"
        INTEREST = "interest", "Interest"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="tag_unique_per_kind")]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class ClosureReason(models.TextChoices):
        MOVED_ON = "moved_on", "Moved on with lasting connections"
        GOALS_MET = "goals_met", "Goals met"
        DECLINED = "declined", "Chose to stop"
        TRANSFERRED = "transferred", "Transferred to another service"
        MOVED_AWAY = "moved_away", "Moved out of the area"
        NO_CONTACT = "no_contact", "Could not be contacted"
        DIED = "died", "Died"
        OTHER = "other", "Other"

    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="people")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="people")
    allocated_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="caseload"
    )
    # When the current worker was allocated (null when nobody is): "what is due" counts from here.
    allocated_on = models.DateField(null=True, blank=True)

    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    # Stored as ten digits, or NULL when not known (NULLs do not collide in the uniqueness rule).
    nhs_number = models.CharField("NHS number", max_length=10, null=True, blank=True)

    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    address = models.TextField(max_length=500, blank=True)
    postcode = models.CharField(max_length=10, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    closure_reason = models.CharField(max_length=20, choices=ClosureReason.choices, blank=True)

    practice_consent = models.BooleanField(
        null=True, help_text="Agreed to the Connecting People way of working"
    )
    practice_consent_on = models.DateField(null=True, blank=True)
    research_consent = models.BooleanField(null=True, help_text="Agreed to take part in research")
    research_consent_on = models.DateField(null=True, blank=True)

    next_review_on = models.DateField(null=True, blank=True)

    # Set and lifted only by the data protection officer (privacy.services): while set, the record is kept and
    # can be read, but nothing new is recorded for the person and they are left out of caseload lists.
    processing_restricted = models.BooleanField(default=False)

    tags = models.ManyToManyField(Tag, blank=True, related_name="people")

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["trust", "nhs_number"], name="person_nhs_number_unique_in_trust"),
            models.CheckConstraint(
                name="person_closed_has_date",
                condition=Q(status="open", closed_on__isnull=True)
                | Q(status="closed", closed_on__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["allocated_worker", "status"], name="person_caseload_idx"),
            models.Index(fields=["team", "status"], name="person_team_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def known_as(self) -> str:
        return self.preferred_name or self.given_name
