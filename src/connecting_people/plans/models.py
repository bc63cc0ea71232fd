"""The plan–do–review cycle for one person: what they bring and what gets in the way (assessment), goals with
their attainment scales and steps (plan), what was done (activities), links to community opportunities, and
reviews with each goal's score."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from connecting_people.accounts.models import Team
from connecting_people.community.models import Opportunity
from connecting_people.connections.models import MapSnapshot
from connecting_people.measures.models import Administration
from connecting_people.people.models import Person


class Barrier(models.TextChoices):
    CONFIDENCE = "confidence", "Confidence or anxiety"
    MONEY = "money", "Money"
    TRAVEL = "travel", "Travel or transport"
    HEALTH = "health", "Physical or mental health"
    CARING = "caring", "Caring duties"
    STIGMA = "stigma", "Stigma or discrimination"
    INFORMATION = "information", "Not knowing what is out there"
    LANGUAGE = "language", "Language"
    TIME = "time", "Time or work"
    ACCESS = "access", "Access or disability"
    OTHER = "other", "Something else"


class Assessment(models.Model):
    """What the person brings and wants, in their own words (strengths and interests are tags on the record)."""

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="assessment")
    aspirations = models.TextField(blank=True)
    strengths_in_own_words = models.TextField(blank=True)
    barriers = models.JSONField(default=list, blank=True)  # Barrier codes
    barriers_in_own_words = models.TextField(blank=True)
    assessed_on = models.DateField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Assessment of person {self.person_id}"


class Goal(models.Model):
    """A connection goal in the person's words, with its goal attainment scale written when it is set."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Working on it"
        ACHIEVED = "achieved", "Achieved"
        STOPPED = "stopped", "No longer wanted"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="goals")
    text = models.CharField(max_length=300)  # in the person's words
    set_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # What each level would look like: -2 much less than expected ... 0 the expected outcome ... +2 much more.
    # The expected outcome is written when the goal is set; the other four may follow before the review
    # (empty until then: "to complete"), and are read against the expected outcome while they are empty.
    level_minus_2 = models.CharField(max_length=300, blank=True)
    level_minus_1 = models.CharField(max_length=300, blank=True)
    level_0 = models.CharField(max_length=300)
    level_plus_1 = models.CharField(max_length=300, blank=True)
    level_plus_2 = models.CharField(max_length=300, blank=True)
    # Optional weight = importance × difficulty, each 0–3 (Kiresuk & Sherman); unweighted when either is null.
    importance = models.PositiveSmallIntegerField(null=True, blank=True)
    difficulty = models.PositiveSmallIntegerField(null=True, blank=True)
    # Map entries (their stable keys) and community opportunities the goal concerns.
    map_entry_keys = models.JSONField(default=list, blank=True)
    opportunities = models.ManyToManyField(Opportunity, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["set_on", "id"]
        indexes = [models.Index(fields=["person", "status"], name="goal_person_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(importance__lte=3), name="goal_importance_range"),
            models.CheckConstraint(condition=Q(difficulty__lte=3), name="goal_difficulty_range"),
        ]

    def __str__(self) -> str:
        return f"Goal {self.pk} of person {self.person_id}"

    @property
    def weight(self) -> int | None:
        if self.importance is None or self.difficulty is None:
            return None
        return self.importance * self.difficulty

    def levels(self) -> list[tuple[int, str]]:
        return [
            (2, self.level_plus_2),
            (1, self.level_plus_1),
            (0, self.level_0),
            (-1, self.level_minus_1),
            (-2, self.level_minus_2),
        ]

    @property
    def levels_to_complete(self) -> int:
        """How many of the scale's five descriptions are still to be written."""
        return sum(1 for _, text in self.levels() if not text)


class Step(models.Model):
    """One thing to do towards a goal: what, who does it, by when, and when it was done."""

    class Owner(models.TextChoices):
        PERSON = "person", "The person"
        WORKER = "worker", "The worker"
        OTHER = "other", "Someone else"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="steps")
    what = models.CharField(max_length=300)
    owner = models.CharField(max_length=10, choices=Owner.choices)
    owner_name = models.CharField(max_length=100, blank=True)  # who, when "someone else"
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # moves on with every save; a stale page cannot save

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["goal", "done_on", "due_on"], name="step_due_idx")]

    def __str__(self) -> str:
        return f"Step {self.pk} of goal {self.goal_id}"


class Activity(models.Model):
    """Something done as part of the plan: an introduction, a first visit together, a session attended..."""

    class Kind(models.TextChoices):
        INTRODUCTION = "introduction", "Introduction made"
        ACCOMPANIED = "accompanied", "First visit, went along together"
        ATTENDED = "attended", "Session attended"
        PRACTICAL = "practical", "Practical help given"
        BARRIER = "barrier", "Barrier met and tackled"
        CONTACT_PHONE = "contact_phone", "Contact by phone"
        CONTACT_IN_PERSON = "contact_in_person", "Contact in person"

    class Help(models.TextChoices):
        TRAVEL = "travel", "Travel"
        COST = "cost", "Cost"
        KIT = "kit", "Kit or equipment"
        OTHER = "other", "Other"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="activities")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_on = models.DateField()
    help_given = models.JSONField(default=list, blank=True)  # Help codes, for practical help
    barriers = models.JSONField(default=list, blank=True)  # Barrier codes met
    notes = models.TextField(blank=True)  # what happened, how a barrier was tackled
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    goal = models.ForeignKey(
        Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="activities"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["person", "occurred_on"], name="activity_person_idx")]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.kind} for person {self.person_id} on {self.occurred_on}"


class Link(models.Model):
    """A person's link to a community opportunity, moving through suggested → ... → regular, or stopped."""

    class Status(models.TextChoices):
        SUGGESTED = "suggested", "Suggested"
        DISCUSSED = "discussed", "Talked about"
        INTRODUCED = "introduced", "Introduced"
        ATTENDED = "attended", "Went along"
        REGULAR = "regular", "Goes regularly"
        STOPPED = "stopped", "Stopped"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="community_links")
    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUGGESTED)
    stopped_reason = models.CharField(max_length=300, blank=True)
    # Why it was suggested: the interests that matched, when the suggestion came from them.
    matched_interests = models.JSONField(default=list, blank=True)
    # The connections-map entry made for it when the person first went (its stable key).
    map_entry_key = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["person", "opportunity"], name="link_once_per_person")]

    def __str__(self) -> str:
        return f"Link of person {self.person_id} to opportunity {self.opportunity_id}"


class LinkChange(models.Model):
    """One step in a link's history."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="changes")
    status = models.CharField(max_length=12, choices=Link.Status.choices)
    reason = models.CharField(max_length=300, blank=True)
    changed_on = models.DateField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Link {self.link_id} {self.status}"


class Review(models.Model):
    """A review held together: goals scored, a new map, measures due, the next date and what happens next."""

    class Decision(models.TextChoices):
        CONTINUE = "continue", "Carry on with the current goals"
        NEW_GOALS = "new_goals", "Set new goals"
        MOVE_ON = "move_on", "Ready to move on"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="reviews")
    held_on = models.DateField()
    decision = models.CharField(max_length=12, choices=Decision.choices)
    notes = models.TextField(blank=True)
    next_review_on = models.DateField(null=True, blank=True)
    # The map started at this review (a copy of the previous one, updated together), and the GAS record.
    snapshot = models.ForeignKey(
        MapSnapshot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    gas = models.ForeignKey(Administration, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_on", "id"]
        indexes = [models.Index(fields=["person", "held_on"], name="review_person_idx")]

    def __str__(self) -> str:
        return f"Review of person {self.person_id} on {self.held_on}"


class GoalScore(models.Model):
    """A goal's attainment at a review, -2 to +2 against its scale."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="scores")
    level = models.SmallIntegerField()

    class Meta:
        ordering = ["goal_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "goal"], name="goal_score_once"),
            models.CheckConstraint(condition=Q(level__gte=-2, level__lte=2), name="goal_score_range"),
        ]

    def __str__(self) -> str:
        return f"Goal {self.goal_id}: {self.level}"


class TeamReviewInterval(models.Model):
    """How long a team leaves between reviews with each person: the next review's date by default, still
    changed on the review page for anyone who needs another date. Teams without one use
    `due.REVIEW_EVERY_WEEKS`."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="review_interval")
    weeks = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(52)])

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(weeks__gte=1, weeks__lte=52), name="review_interval_range")
        ]

    def __str__(self) -> str:
        return f"Reviews every {self.weeks} weeks in team {self.team_id}"
