"""The form asking for an analysis report: what it is for, why (optional), the bootstrap's seed and replicates."""

from __future__ import annotations

from django import forms

from connecting_people.core.forms import NHSForm
from connecting_people.study.models import Job
from connecting_people.study.report.db import (
    DEFAULT_REPLICATES,
    DEFAULT_SEED,
    MAX_REPLICATES,
    MAX_SEED,
    MIN_REPLICATES,
)


class WholeNumberField(forms.CharField):
    """A whole number typed in a text box (digits only) within a range, with messages that say the range."""

    def __init__(self, *, minimum: int, maximum: int, name: str, **kwargs):
        self.minimum, self.maximum, self.name = minimum, maximum, name
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}))
        super().__init__(**kwargs)

    def clean(self, value):
        text = (super().clean(value) or "").strip().replace(",", "")
        if not (text.isascii() and text.isdigit()):
            raise forms.ValidationError(
                f"{self.name} must be a whole number, like {self.initial}", code="invalid"
            )
        number = int(text)
        if not self.minimum <= number <= self.maximum:
            raise forms.ValidationError(
                f"{self.name} must be between {self.minimum:,} and {self.maximum:,}", code="range"
            )
        return number


class ReportForm(NHSForm):
    purpose = forms.ChoiceField(
        label="What is the report for?",
        choices=Job.Purpose.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what the report is for",
            "invalid_choice": "Select one of the purposes",
        },
    )
    reason = forms.CharField(
        label="Why do you need this report? (optional)",
        max_length=300,
        required=False,
        help_text="A sentence for the study's records, for example the meeting it is for.",
        error_messages={"max_length": "Why you need this report must be 300 characters or fewer"},
    )
    seed = WholeNumberField(
        label="Random seed",
        name="Random seed",
        minimum=0,
        maximum=MAX_SEED,
        initial=DEFAULT_SEED,
        help_text="The starting point of the cost-effectiveness bootstrap. The same data and seed give the same "
        "numbers.",
        error_messages={"required": "Enter the random seed"},
    )
    replicates = WholeNumberField(
        label="Bootstrap replicates",
        name="Bootstrap replicates",
        minimum=MIN_REPLICATES,
        maximum=MAX_REPLICATES,
        initial=DEFAULT_REPLICATES,
        help_text=f"How many times the teams are resampled, from {MIN_REPLICATES:,} to {MAX_REPLICATES:,}. "
        f"{DEFAULT_REPLICATES:,} is usual.",
        error_messages={"required": "Enter the number of bootstrap replicates"},
    )

    def options(self) -> dict:
        """The job's options."""
        return {"seed": self.cleaned_data["seed"], "replicates": self.cleaned_data["replicates"]}
