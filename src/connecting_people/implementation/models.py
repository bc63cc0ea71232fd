"""Implementation of the way of working: fidelity ratings, training, champions, supervision, the team's links
with community organisations, the implementation checklist, and the guidance pages.

Everything here except the guidance is staff data about members of staff and teams, never about a person
supported: views read it only through `selectors`, and write it only through `services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from connecting_people.accounts.models import Team, Trust
from connecting_people.community.models import Organisation


class FidelityRating(models.Model):
    """One rating of practice against a fidelity scale, with the scores the measures engine gave it.

    A worker is rated by themselves (self-rating) or by a lead of their team (supervisor rating); a team is rated
    by its lead (team rating). `team` is always set: the worker's team when the rating was made, or the team
    rated.
    """

    class Kind(models.TextChoices):
        SELF = "self", "Self-rating"
        SUPERVISOR = "supervisor", "Supervisor rating"
        TEAM = "team", "Team rating"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="fidelity_ratings")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="fidelity_ratings",
        null=True,
        blank=True,
    )
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scale_id = models.CharField(max_length=64)
    scale_version = models.CharField(max_length=20)
    rated_on = models.DateField()
    period_start = models.DateField()
    period_end = models.DateField()
    # Item scores in the definition's item order (null for an item left out, when the scale allows it).
    answers = models.JSONField()
    total = models.FloatField(null=True, blank=True)
    subscales = models.JSONField(default=dict, blank=True)  # domain id -> score (null when not scored)
    missing_items = models.JSONField(default=list, blank=True)
    missing_rule = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rated_on", "id"]
        indexes = [
            models.Index(fields=["team", "kind", "rated_on"], name="fidelity_team_idx"),
            models.Index(fields=["worker", "kind", "rated_on"], name="fidelity_worker_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="fidelity_worker_set_unless_team_rating",
                condition=Q(kind="team", worker__isnull=True) | (~Q(kind="team") & Q(worker__isnull=False)),
            ),
            models.CheckConstraint(
                name="fidelity_period_in_order", condition=Q(period_end__gte=F("period_start"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.scale_id} {self.rated_on}"

    @property
    def level(self) -> str:
        return "team" if self.kind == self.Kind.TEAM else "worker"


class TrainingSession(models.Model):
    """A training session held for a team, or for a whole trust when `team` is empty."""

    class Level(models.TextChoices):
        WORKER = "worker", "Worker training"
        SUPERVISOR = "supervisor", "Supervisor training"

    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="training_sessions")
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="training_sessions", null=True, blank=True
    )
    title = models.CharField(max_length=200)
    held_on = models.DateField()
    level = models.CharField(max_length=12, choices=Level.choices)
    trainer = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves on when the attendance changes: an attendance page opened before cannot save over it.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["trust", "held_on"], name="training_trust_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on})"


class TrainingAttendance(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendance")
    attendee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_attended"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "attendee"]
        constraints = [
            models.UniqueConstraint(fields=["session", "attendee"], name="training_attended_once"),
        ]

    def __str__(self) -> str:
        return f"{self.attendee} at {self.session}"


class TeamChampion(models.Model):
    """Who champions the way of working in a team, from when. Naming a new champion ends the current one,
    so the history is kept and each team has at most one current champion."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="champions")
    champion = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    since = models.DateField()
    until = models.DateField(null=True, blank=True)  # empty while current
    named_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-since", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team"], condition=Q(until__isnull=True), name="one_current_champion_per_team"
            ),
            models.CheckConstraint(
                name="champion_until_after_since", condition=Q(until__isnull=True) | Q(until__gte=F("since"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.champion} champions {self.team} from {self.since}"


class SupervisionRecord(models.Model):
    """A supervision session: whether connection work was discussed, and short notes about practice (never
    about a person supported)."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="supervision_records")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervision_received"
    )
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField()
    connection_work_discussed = models.BooleanField()
    notes = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        indexes = [
            models.Index(fields=["team", "held_on"], name="supervision_team_idx"),
            models.Index(fields=["worker", "held_on"], name="supervision_worker_idx"),
        ]

    def __str__(self) -> str:
        return f"Supervision of {self.worker} on {self.held_on}"


class TeamCommunityLink(models.Model):
    """A team's own working link with a community organisation: one in the directory, or one named here.
    `name` always holds the organisation's name (copied from the directory when chosen there), so the link
    still reads correctly if the directory entry is later removed."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="community_links")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, related_name="team_links", null=True, blank=True
    )
    name = models.CharField(max_length=200)
    contact = models.CharField(max_length=200, blank=True)
    since = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)  # moves on with every save; a stale page cannot save

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["team", "ended_on"], name="team_link_team_idx")]
        constraints = [
            models.CheckConstraint(
                name="team_link_ends_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("since")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.name}"

    @property
    def active(self) -> bool:
        return self.ended_on is None


class ChecklistStatus(models.Model):
    """A team's status for one item of the implementation checklist (checklist.yaml). No row: not started."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="checklist_statuses")
    item_id = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices)
    status_on = models.DateField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)  # moves on with every save; a stale page cannot save

    class Meta:
        ordering = ["team", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "item_id"], name="checklist_status_once_per_team"),
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.item_id} {self.status}"


class GuidancePage(models.Model):
    """A short guidance page for a step of the cycle, or the guide for the person supported. The pages are
    seeded by a migration with our text; an administrator edits their wording in the admin (audited), but
    cannot add or remove pages: the step and address are fixed, because other pages link to them."""

    class Step(models.TextChoices):
        ASSESS = "assess", "Assess"
        PLAN = "plan", "Plan"
        DO = "do", "Do"
        REVIEW = "review", "Review"
        MOVING_ON = "moving_on", "Moving on"
        PERSON = "person", "Guide for the person supported"

    step = models.CharField(max_length=12, choices=Step.choices, unique=True)
    slug = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class GuidanceSection(models.Model):
    """One section of a guidance page. `text` is plain text: blank lines between paragraphs, "- " for a list."""

    page = models.ForeignKey(GuidancePage, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField(default=0)
    heading = models.CharField(max_length=200)
    text = models.TextField()

    class Meta:
        ordering = ["page", "order", "id"]

    def __str__(self) -> str:
        return self.heading
