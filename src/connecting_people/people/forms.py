"""Forms for a person's record. They validate input only; the services decide and write."""

import re

import nhs_number
from django import forms
from django.core.exceptions import ValidationError

from connecting_people.core.forms import DateField, NHSForm, TagListField, VersionField, YesNoField
from connecting_people.people.models import Person


def clean_nhs_number(value: str) -> str | None:
    """Accepts spaces or dashes between groups; returns ten digits, or None when blank."""
    digits = re.sub(r"[\s-]", "", value or "")
    if not digits:
        return None
    if not digits.isdigit() or len(digits) != 10:
        raise ValidationError("NHS number must be 10 digits", code="length")
    if not nhs_number.is_valid(digits):
        raise ValidationError(
            "Enter a valid NHS number. Check the digits: the last one is a check digit.", code="checksum"
        )
    return digits


def clean_phone(value: str) -> str:
    phone = (value or "").strip()
    if phone and not re.fullmatch(r"\+?[0-9 ()-]{7,30}", phone):
        raise ValidationError("Enter a phone number, like 01632 960 001 or 07700 900 982", code="invalid")
    return phone


def clean_postcode(value: str) -> str:
    postcode = (value or "").strip().upper()
    if postcode and not re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}", postcode):
        raise ValidationError("Enter a real postcode, like LS1 4AP", code="invalid")
    return postcode


class PersonForm(NHSForm):
    given_name = forms.CharField(label="Given name", max_length=100)
    family_name = forms.CharField(label="Family name", max_length=100)
    preferred_name = forms.CharField(
        label="Preferred name (optional)",
        max_length=100,
        required=False,
        help_text="What they like to be called",
    )
    date_of_birth = DateField(label="Date of birth", past_only=True, help_text="For example, 15 3 1984")
    nhs_number = forms.CharField(
        label="NHS number (optional)",
        max_length=12,
        required=False,
        help_text="10 digits, for example 999 123 4567",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": False}),
    )
    phone = forms.CharField(label="Phone number (optional)", max_length=30, required=False)
    email = forms.EmailField(label="Email address (optional)", max_length=254, required=False)
    address = forms.CharField(
        label="Address (optional)", max_length=500, required=False, widget=forms.Textarea
    )
    postcode = forms.CharField(label="Postcode (optional)", max_length=10, required=False)
    opened_on = DateField(label="Date support started", past_only=True)
    practice_consent = YesNoField(
        label="Have they agreed to work in the Connecting People way?",
        initial="unknown",
    )
    practice_consent_on = DateField(label="Date they agreed or declined", required=False, past_only=True)
    research_consent = YesNoField(
        label="Have they agreed to take part in research?",
        initial="unknown",
        help_text="Separate from agreeing to the way of working. Saying no changes nothing about their support.",
    )
    research_consent_on = DateField(label="Date of research decision", required=False, past_only=True)
    next_review_on = DateField(
        label="Next review (optional)", required=False, help_text="When you plan to review together"
    )
    strengths = TagListField(
        label="Strengths (optional)", help_text="Separate each with a comma, for example: listening, cooking"
    )
    interests = TagListField(
        label="Interests (optional)", help_text="Separate each with a comma, for example: football, gardening"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_nhs_number(self):
        return clean_nhs_number(self.cleaned_data.get("nhs_number", ""))

    def clean_phone(self):
        return clean_phone(self.cleaned_data.get("phone", ""))

    def clean_postcode(self):
        return clean_postcode(self.cleaned_data.get("postcode", ""))

    def clean(self):
        data = super().clean()
        for consent, on in (
            ("practice_consent", "practice_consent_on"),
            ("research_consent", "research_consent_on"),
        ):
            if data.get(consent) is not None and not data.get(on) and on not in self.errors:
                self.add_error(on, f"Enter the {self.fields[on].label.lower()}")
            if data.get(consent) is None and data.get(on):
                data[on] = None
        born, opened = data.get("date_of_birth"), data.get("opened_on")
        if born and opened and opened < born:
            self.add_error("opened_on", "Date support started must be after the date of birth")
        return data

    def record_data(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("strengths", "interests", "version"):
            data.pop(name, None)
        return data

    @classmethod
    def initial_for(cls, person: Person, tags: dict[str, list[str]]) -> dict:
        initial = {name: getattr(person, name) for name in cls.base_fields if hasattr(person, name)}
        initial["strengths"] = tags.get("strength", [])
        initial["interests"] = tags.get("interest", [])
        initial["version"] = person.version
        return initial


class NewPersonForm(PersonForm):
    """Adding a person: the user chooses the team when they belong to more than one. When records with the same
    name and date of birth exist, the page asks first; `not_a_duplicate` carries the answer "add anyway" for
    exactly the name and date of birth that were checked (`duplicate_key`)."""

    team = forms.TypedChoiceField(label="Team", coerce=int)
    not_a_duplicate = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)

    field_order = ["team"]

    def duplicate_key(self) -> str:
        """The name and date of birth as checked for duplicates (case and spacing aside)."""
        data = self.cleaned_data
        given, family = (" ".join(data[name].split()).casefold() for name in ("given_name", "family_name"))
        return f"{given}|{family}|{data['date_of_birth'].isoformat()}"

    def duplicates_confirmed(self) -> bool:
        """Whether the user chose to add this person although records with this name and birth date exist."""
        return self.cleaned_data.get("not_a_duplicate") == self.duplicate_key()

    def record_data(self) -> dict:
        data = super().record_data()
        data.pop("not_a_duplicate", None)
        return data

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(team.pk, team.name) for team in teams]
        if len(self.fields["team"].choices) == 1:
            self.fields["team"].widget = forms.HiddenInput()
            self.fields["team"].initial = self.fields["team"].choices[0][0]


class AllocateForm(NHSForm):
    worker = forms.TypedChoiceField(
        label="Allocate to", coerce=int, widget=forms.RadioSelect, empty_value=None
    )
    version = VersionField()

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].choices = [(p.pk, p.display_name) for p in practitioners]


class ReopenForm(NHSForm):
    """The "Reopen case" button: the version of the record the page showed."""

    version = VersionField()


class CloseForm(NHSForm):
    closed_on = DateField(label="Date the case closed", past_only=True)
    reason = forms.ChoiceField(
        label="Why is the case closing?", choices=Person.ClosureReason.choices, widget=forms.RadioSelect
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
