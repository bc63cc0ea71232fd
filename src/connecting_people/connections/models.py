"""Connections maps in the database: dated snapshots per person, their entries, and ties between entries.

The plain-data twin of these models is `domain.py`; `selectors.snapshot_domain` turns one into the other so the
pure modules (measures, SVG, file formats) never see Django.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from connecting_people.connections import labels
from connecting_people.connections.interchange import LABEL_MAX_LENGTH
from connecting_people.people.models import Person

KIND_CHOICES = labels.choices(labels.KIND)
CATEGORY_CHOICES = labels.choices(labels.CATEGORY)
RING_CHOICES = labels.choices(labels.RING)
SUPPORT_CHOICES = labels.choices(labels.SUPPORT)
FREQUENCY_CHOICES = labels.choices(labels.FREQUENCY)
WISH_CHOICES = labels.choices(labels.WISH)


class MapSnapshot(models.Model):
    """One person's connections map as it stood on one date. Only the latest snapshot can be changed."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="map_snapshots")
    taken_on = models.DateField()
    # The snapshot this one started as a copy of (null for the first, or for one imported as a fresh start).
    previous = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # How it began: "new" (empty), "copy" (of the previous one), or "import:<format>".
    source = models.CharField(max_length=20, default="new")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # metrics.snapshot_measures of this snapshot against `previous`, kept up to date by every write, for
    # dashboards that must not recompute a map per row.
    measures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["taken_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "taken_on"], name="map_snapshot_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"Map of person {self.person_id} on {self.taken_on}"


class MapEntry(models.Model):
    """Someone or something in the person's life. `key` stays the same in every snapshot the entry is in."""

    snapshot = models.ForeignKey(MapSnapshot, on_delete=models.CASCADE, related_name="entries")
    key = models.UUIDField(default=uuid.uuid4)
    label = models.CharField(
        max_length=LABEL_MAX_LENGTH
    )  # first name or initials: third parties get minimal data
    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    category = models.CharField(max_length=20, choices=CATEGORY_CHOICES)
    ring = models.CharField(max_length=10, choices=RING_CHOICES)
    supports = models.JSONField(default=list, blank=True)  # Support codes, in Support order
    frequency = models.CharField(max_length=20, choices=FREQUENCY_CHOICES, blank=True)
    wish = models.CharField(max_length=10, choices=WISH_CHOICES, blank=True)
    # Moves on with every save of the entry or of its ties: a page opened on an older version cannot save.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "key"], name="map_entry_key_unique_in_snapshot"),
        ]

    def __str__(self) -> str:
        return f"Entry {self.key} of snapshot {self.snapshot_id}"


class MapTie(models.Model):
    """Two entries of one snapshot who know each other (undirected: stored once, lower id first)."""

    snapshot = models.ForeignKey(MapSnapshot, on_delete=models.CASCADE, related_name="ties")
    a = models.ForeignKey(MapEntry, on_delete=models.CASCADE, related_name="+")
    b = models.ForeignKey(MapEntry, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["a_id", "b_id"]
        constraints = [
            models.UniqueConstraint(fields=["a", "b"], name="map_tie_once"),
            models.CheckConstraint(condition=Q(a__lt=F("b")), name="map_tie_lower_id_first"),
        ]

    def __str__(self) -> str:
        return f"Tie {self.a_id}–{self.b_id}"
