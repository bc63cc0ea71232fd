"""Restrictions of processing (UK GDPR Article 18), with their history, and the codes the data-protection
services record. Erasure leaves no row here: its tombstone is a `person.erased` audit event."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from connecting_people.people.models import Person


class RestrictionGround(models.TextChoices):
    ACCURACY = "accuracy_contested", "The person contests the accuracy of the record (Article 18(1)(a))"
    UNLAWFUL = (
        "unlawful_processing",
        "The processing is unlawful and the person asked for restriction instead of erasure (Article 18(1)(b))",
    )
    LEGAL_CLAIMS = (
        "legal_claims",
        "The trust no longer needs the record but the person needs it kept for a legal claim (Article 18(1)(c))",
    )
    OBJECTION = (
        "objection_pending",
        "The person has objected and the objection is being considered (Article 18(1)(d))",
    )
    ERASURE_PENDING = "erasure_pending", "A request to erase the record is being considered"


class LiftReason(models.TextChoices):
    ACCURACY_CHECKED = (
        "accuracy_checked",
        "The record's accuracy has been checked, and corrected where needed",
    )
    OBJECTION_DECIDED = "objection_decided", "The objection has been decided"
    CLAIM_ENDED = "legal_claim_ended", "The legal claim no longer needs the record kept as it is"
    ERASURE_REFUSED = "erasure_refused", "The request to erase the record was refused"
    PERSON_AGREED = "person_agreed", "The person agreed to processing starting again"
    MADE_IN_ERROR = "made_in_error", "The restriction was made in error"


class ErasureBasis(models.TextChoices):
    """Why an erasure is lawful. The code goes into the erasure's tombstone in the audit trail."""

    NO_LONGER_NEEDED = (
        "no_longer_needed",
        "No longer needed for the purpose it was collected for (Article 17(1)(a))",
    )
    OBJECTION_UPHELD = (
        "objection_upheld",
        "The person objected and there are no overriding legitimate grounds to keep it (Article 17(1)(c))",
    )
    UNLAWFUL = "unlawfully_processed", "It was processed unlawfully (Article 17(1)(d))"
    LEGAL_OBLIGATION = "legal_obligation", "The law requires the trust to erase it (Article 17(1)(e))"
    MADE_IN_ERROR = "made_in_error", "It was made in error: a duplicate, the wrong person, or a test record"
    RETENTION_ENDED = (
        "retention_period_ended",
        "Its retention period has ended (the trust's retention schedule)",
    )


class Restriction(models.Model):
    """One restriction of a person's processing, from when the data protection officer set it until they
    lifted it. While one is current (not lifted), `Person.processing_restricted` is true."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="restrictions")
    ground = models.CharField(max_length=24, choices=RestrictionGround.choices)
    # The request's reference in the trust's own log of data-protection requests (for example DPR-2026-014).
    reference = models.CharField(max_length=40, blank=True)
    restricted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    restricted_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.CharField(max_length=24, choices=LiftReason.choices, blank=True)

    class Meta:
        ordering = ["restricted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(lifted_at__isnull=True), name="restriction_one_current"
            ),
            models.CheckConstraint(
                name="restriction_lifted_complete",
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True, lift_reason="")
                | Q(lifted_at__isnull=False, lifted_by__isnull=False) & ~Q(lift_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Restriction {self.pk} of person {self.person_id}"

    @property
    def current(self) -> bool:
        return self.lifted_at is None
