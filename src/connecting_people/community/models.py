"""The community opportunities directory: organisations and what they offer (groups, classes, volunteering...).

Public information about organisations, not personal data: every member of staff can search it. It is kept by
hand and by import from Open Referral UK / HSDS, where `source` and `source_id` say where a record came from so
a second import updates it rather than adding it again.
"""

from django.db import models
from django.db.models import Q


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    website = models.URLField(max_length=500, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # "" for a record kept by hand; otherwise where it was imported from (an API base URL or a file's name).
    source = models.CharField(max_length=300, blank=True)
    source_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source_id=""),
                name="organisation_source_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Opportunity(models.Model):
    """Something a person could join or do: a group, class, volunteering role, faith community, club..."""

    class Category(models.TextChoices):
        SOCIAL = "social", "Social and friendship groups"
        ARTS = "arts", "Arts, crafts and music"
        SPORT = "sport", "Sport and exercise"
        NATURE = "nature", "Nature, gardening and outdoors"
        LEARNING = "learning", "Learning and courses"
        VOLUNTEERING = "volunteering", "Volunteering"
        FAITH = "faith", "Faith and belief"
        PEER_SUPPORT = "peer_support", "Peer support"
        WORK = "work", "Work and skills"
        COMMUNITY = "community", "Community centres and events"
        OTHER = "other", "Other"

    class Cost(models.TextChoices):
        FREE = "free", "Free"
        LOW = "low", "Low cost (under £5 a time)"
        PAID = "paid", "Paid"
        UNKNOWN = "unknown", "Not known"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="opportunities"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    # Place: an address, and coordinates when known (for "near a place" searches).
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    schedule = models.CharField(
        max_length=300, blank=True
    )  # in words, as it would be said: "Tuesdays 10am to 12"
    cost = models.CharField(max_length=10, choices=Cost.choices, default=Cost.UNKNOWN)
    cost_details = models.CharField(max_length=300, blank=True)
    accessibility = models.TextField(blank=True)
    contact_name = models.CharField(max_length=100, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)
    website = models.URLField(max_length=500, blank=True)
    source = models.CharField(max_length=300, blank=True)
    source_id = models.CharField(max_length=200, blank=True)
    last_verified_on = models.DateField(null=True, blank=True)
    # The name, the organisation's name and the description in lower case, kept by the services, so that a
    # text search reads one column with a plain LIKE (no join, no UPPER() on every row).
    search_text = models.TextField(blank=True, editable=False)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "opportunities"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source_id=""),
                name="opportunity_source_id_unique",
            )
        ]
        indexes = [
            models.Index(fields=["active", "category"], name="opportunity_category_idx"),
            models.Index(fields=["latitude", "longitude"], name="opportunity_place_idx"),
            # The directory lists by name: a page of 20 reads 20 index entries instead of sorting every row.
            models.Index(fields=["name", "id"], name="opportunity_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Interest(models.Model):
    """An interest an opportunity suits, lower case ("gardening"), matched against people's interests."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="interests")
    name = models.CharField(max_length=60)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opportunity", "name"], name="interest_once")]
        indexes = [models.Index(fields=["name", "opportunity"], name="interest_name_idx")]

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """When an opportunity meets, for searching by day and time. Times are local."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="sessions")
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday ... 6 = Sunday
    starts_at = models.TimeField(null=True, blank=True)
    ends_at = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["weekday", "starts_at"]
        indexes = [models.Index(fields=["weekday", "starts_at"], name="session_when_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="session_weekday_range")
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id} on day {self.weekday}"
