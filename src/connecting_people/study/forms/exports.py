"""The form asking for a pseudonymised export: what it is for and why, how dates are written, which files."""

from __future__ import annotations

from django import forms

from connecting_people.core.forms import NHSForm
from connecting_people.study.export import FORMATS
from connecting_people.study.models import Job

DATE_OPTIONS = [
    ("days", "Days from each participant's baseline (baseline is day 0)"),
    ("shifted", "Dates moved by a different number of days for each participant"),
]
FORMAT_OPTIONS = [
    ("long_csv", "Long CSV: one row for each answer or score"),
    ("wide_csv", "Wide CSV: one row for each participant at each timepoint"),
    ("long_parquet", "Long Parquet: the long file for statistics software"),
    ("wide_parquet", "Wide Parquet: the wide file for statistics software"),
]


class ExportForm(NHSForm):
    purpose = forms.ChoiceField(
        label="What is the export for?",
        choices=Job.Purpose.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what the export is for",
            "invalid_choice": "Select one of the purposes",
        },
    )
    reason = forms.CharField(
        label="Why do you need this export?",
        max_length=300,
        help_text="A sentence for the study's records, for example the analysis it is for. It is kept with the "
        "export and shown to the study's leads.",
        error_messages={
            "required": "Enter why you need this export",
            "max_length": "Why you need this export must be 300 characters or fewer",
        },
    )
    dates = forms.ChoiceField(
        label="How should dates be written?",
        choices=DATE_OPTIONS,
        initial="days",
        widget=forms.RadioSelect,
        help_text="No real date leaves either way. Dates of birth become age at baseline.",
        error_messages={
            "required": "Select how dates should be written",
            "invalid_choice": "Select one of the ways to write dates",
        },
    )
    formats = forms.MultipleChoiceField(
        label="Which files of answers and scores?",
        choices=FORMAT_OPTIONS,
        initial=list(FORMATS),
        widget=forms.CheckboxSelectMultiple,
        help_text="Every export also has the participants, the connections maps, fidelity ratings in the "
        "same forms, and a data dictionary.",
        error_messages={
            "required": "Select at least one kind of file",
            "invalid_choice": "Select from the kinds of file listed",
        },
    )

    def options(self) -> dict:
        """The job's options: how dates are written and the formats, in the export's order."""
        chosen = set(self.cleaned_data["formats"])
        return {"dates": self.cleaned_data["dates"], "formats": [name for name in FORMATS if name in chosen]}
