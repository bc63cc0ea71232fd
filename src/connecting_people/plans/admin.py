"""Administrators set how long each team leaves between reviews (the next review's date by default); every
change is audited (accounts.admin.AuditedAdmin). No person's record is in the admin."""

from django import forms
from django.contrib import admin

from connecting_people.accounts.admin import AuditedAdmin
from connecting_people.core.forms import ControlCharactersRemoved
from connecting_people.plans.models import TeamReviewInterval


class TeamReviewIntervalForm(ControlCharactersRemoved, forms.ModelForm):
    class Meta:
        model = TeamReviewInterval
        fields = ["team", "weeks"]
        help_texts = {"weeks": "From 1 to 52. The review page offers this many weeks after the review."}


@admin.register(TeamReviewInterval)
class TeamReviewIntervalAdmin(AuditedAdmin):
    form = TeamReviewIntervalForm
    list_display = ["team", "weeks"]
    list_select_related = ["team"]
    search_fields = ["team__name"]
