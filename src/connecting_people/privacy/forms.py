"""Forms of the data-protection pages. They check what was typed; the services decide what is allowed."""

from django import forms
from django.core.exceptions import ValidationError

from connecting_people.core.forms import NHSForm
from connecting_people.privacy.models import ErasureBasis, LiftReason, RestrictionGround

CONFIRM = [("yes", "I have checked that this is the right record and that erasing it is lawful")]
TOLD = [("yes", "The person has been told that the restriction will be lifted")]


def _digits(text: str) -> str:
    return "".join(part for part in text.replace("-", " ").split())


class FindForm(NHSForm):
    number = forms.CharField(
        label="Record number or NHS number",
        help_text="For example 1234, or 999 123 4567",
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": False}),
    )

    def clean_number(self) -> str:
        number = _digits(self.cleaned_data["number"])
        if not number.isascii() or not number.isdigit() or len(number) > 18 or not int(number):
            raise ValidationError("Enter a record number or an NHS number, using numbers only")
        return number


class RestrictForm(NHSForm):
    ground = forms.ChoiceField(
        label="Why is processing being restricted?",
        choices=RestrictionGround.choices,
        widget=forms.RadioSelect,
    )
    reference = forms.CharField(
        label="Reference (optional)",
        help_text="The request's reference in your trust's log of data protection requests, for example DPR-2026-014",
        max_length=40,
        required=False,
    )


class LiftForm(NHSForm):
    reason = forms.ChoiceField(
        label="Why is the restriction being lifted?", choices=LiftReason.choices, widget=forms.RadioSelect
    )
    person_told = forms.MultipleChoiceField(
        label="Telling the person",
        help_text="The person must be told before a restriction they asked for is lifted (UK GDPR Article 18(3))",
        choices=TOLD,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    @property
    def told(self) -> bool:
        return "yes" in self.cleaned_data.get("person_told", [])


class EraseForm(NHSForm):
    lawful_basis = forms.ChoiceField(
        label="What is the lawful basis for erasing this record?",
        choices=ErasureBasis.choices,
        widget=forms.RadioSelect,
    )


class EraseConfirmForm(NHSForm):
    lawful_basis = forms.ChoiceField(choices=ErasureBasis.choices, widget=forms.HiddenInput)
    confirm = forms.MultipleChoiceField(
        label="Confirm the erasure",
        choices=CONFIRM,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    @property
    def confirmed(self) -> bool:
        return "yes" in self.cleaned_data.get("confirm", [])
