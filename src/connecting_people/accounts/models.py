"""Users, organisations (trust → team), memberships with roles, and time-limited cover."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner"
    TEAM_LEAD = "team_lead", "Team lead"
    IMPLEMENTATION_LEAD = "implementation_lead", "Implementation lead"
    RESEARCHER = "researcher", "Researcher"
    # Answers subject access requests, restricts and erases records, applies retention, for one trust.
    DATA_PROTECTION = "data_protection", "Data protection officer"
    ADMINISTRATOR = "administrator", "Administrator"


TEAM_ROLES = {Role.PRACTITIONER, Role.TEAM_LEAD}


class User(AbstractUser):
    """A member of staff, or a service account (a system that reaches the API with tokens an administrator made for
    it, and never signs in to the pages). What either may see follows from their memberships, not from this row."""

    is_service_account = models.BooleanField(
        default=False,
        help_text="A system, not a person: it reaches the API with tokens and cannot sign in to the pages.",
    )

    class Meta:
        ordering = ["username"]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Trust(models.Model):
    name = models.CharField(max_length=200, unique=True)
    ods_code = models.CharField("ODS code", max_length=10, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["trust__name", "name"]
        constraints = [models.UniqueConstraint(fields=["trust", "name"], name="team_name_unique_in_trust")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in a team (practitioner, team lead) or trust (implementation lead, researcher, data
    protection officer)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    trust = models.ForeignKey(
        Trust, on_delete=models.PROTECT, related_name="memberships", null=True, blank=True
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="memberships", null=True, blank=True
    )
    # When this role was given (or last changed) and by whom; empty for memberships from before this was kept.
    granted_at = models.DateTimeField(null=True, blank=True, editable=False)
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )

    class Meta:
        ordering = ["user__username", "role"]
        constraints = [
            # Three partial constraints rather than one with nulls_distinct, which SQLite cannot enforce.
            models.UniqueConstraint(
                fields=["user", "role", "team"],
                condition=Q(team__isnull=False),
                name="membership_unique_team",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "trust"],
                condition=Q(team__isnull=True, trust__isnull=False),
                name="membership_unique_trust",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(team__isnull=True, trust__isnull=True),
                name="membership_unique_global",
            ),
            models.CheckConstraint(
                name="membership_team_roles_have_team",
                condition=~Q(role__in=[Role.PRACTITIONER, Role.TEAM_LEAD]) | Q(team__isnull=False),
            ),
            models.CheckConstraint(
                name="membership_trust_roles_have_trust",
                condition=~Q(role__in=[Role.IMPLEMENTATION_LEAD, Role.RESEARCHER, Role.DATA_PROTECTION])
                | Q(trust__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        where = self.team or self.trust or "all organisations"
        return f"{self.user} – {self.get_role_display()} – {where}"

    def clean(self) -> None:
        """A team role's trust is its team's trust (filled in when left blank, refused when it differs)."""
        from django.core.exceptions import ValidationError

        if self.team_id is not None:
            if self.trust_id is not None and self.trust_id != self.team.trust_id:
                raise ValidationError(
                    {"trust": "The trust must be the team's own trust. Leave it blank to fill it in."}
                )
            self.trust_id = self.team.trust_id


class CoverAssignment(models.Model):
    """A team lead lets a practitioner read and write the whole team's caseload for a limited time."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="cover_assignments")
    practitioner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="cover_assignments")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="cover_granted")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_early_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                name="cover_ends_after_start", condition=Q(ends_on__gte=models.F("starts_on"))
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} covers {self.team} {self.starts_on}–{self.ends_on}"


class SignInFailure(models.Model):
    """One failed sign-in from one address, kept only while it counts towards the per-address limit
    (CONNECTING_PEOPLE_ADDRESS_FAILURE_MINUTES). No username: the audit trail says who was tried."""

    address = models.GenericIPAddressField()
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["address", "occurred_at"], name="sign_in_failure_address_idx"),
            models.Index(fields=["occurred_at"], name="sign_in_failure_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.address} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class EnrolmentCode(models.Model):
    """A one-time set-up code an administrator gives a member of staff, needed before they can set up their
    security code (MFA): the password alone does not let anyone choose the second factor. Only a hash is kept;
    the code is shown once, when it is made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="enrolment_codes_issued"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Ended by a newer code for the same person, or by too many wrong tries.
    revoked_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["user", "issued_at"], name="enrolment_code_user_idx")]

    def __str__(self) -> str:
        return f"Set-up code for {self.user} issued {self.issued_at:%Y-%m-%d %H:%M}"

    def status(self, now=None) -> str:
        now = now or timezone.now()
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "cancelled"
        if self.expires_at <= now:
            return "expired"
        return "waiting"


class AccessReview(models.Model):
    """A second person's check of the privileged-access list: who reviewed it, when, and what they saw (the
    list's fingerprint, so a later reader knows whether it has changed since)."""

    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="access_reviews")
    reviewed_at = models.DateTimeField(default=timezone.now)
    entries = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self) -> str:
        return f"Access review by {self.reviewed_by} on {self.reviewed_at:%Y-%m-%d}"
