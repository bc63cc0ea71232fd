"""Forms of the community directory. They check what was typed; the selectors and services do the rest."""

import re
from datetime import time

from django import forms
from django.core.exceptions import ValidationError

from connecting_people.community import geo, hsds
from connecting_people.community.hsds.schedules import DAY_NAMES
from connecting_people.community.models import Opportunity
from connecting_people.community.selectors import COST_FILTERS, TIMES_OF_DAY, DirectorySearch
from connecting_people.community.services import OpportunityData
from connecting_people.core.forms import ControlCharactersRemoved, DateField, NHSForm, TagListField

DAYS = [(name.lower(), name) for name in DAY_NAMES]
MILES = [("1", "1 mile"), ("2", "2 miles"), ("5", "5 miles"), ("10", "10 miles"), ("25", "25 miles")]
PLACE_HINT = (
    "A postcode or postcode district (like LS1) of a place in the directory, or latitude and longitude "
    "like 53.958, -1.080"
)
PLACE_NOT_FOUND = (
    "We could not find where {text} is. We have no postcode look-up, so distance needs coordinates: enter a "
    "postcode or postcode district that a place in the directory has, or latitude and longitude like "
    "53.958, -1.080"
)


class SearchForm(ControlCharactersRemoved, forms.Form):
    """The directory search (a GET form: every field optional)."""

    q = forms.CharField(label="Name or description", max_length=200, required=False)
    interest = forms.ChoiceField(label="Interest", required=False)
    category = forms.ChoiceField(
        label="Category", required=False, choices=[("", "Any category"), *Opportunity.Category.choices]
    )
    day = forms.ChoiceField(label="Day", required=False, choices=[("", "Any day"), *DAYS])
    time = forms.ChoiceField(
        label="Time of day",
        required=False,
        choices=[("", "Any time"), *((key, label) for key, (label, _, _) in TIMES_OF_DAY.items())],
    )
    cost = forms.ChoiceField(
        label="Cost",
        required=False,
        choices=[("", "Any cost"), *((key, label) for key, (label, _) in COST_FILTERS.items())],
    )
    near = forms.CharField(label="Near", max_length=100, required=False, help_text=PLACE_HINT)
    within = forms.ChoiceField(label="Within", required=False, choices=MILES, initial="5")

    def __init__(self, *args, interests: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        names = list(interests)
        asked = (self.data.get("interest") or "").strip().lower() if self.is_bound else ""
        if self.is_bound:
            self.data = self.data.copy()
            self.data["interest"] = asked  # interests are kept in lower case: "Walking" finds "walking"
        if asked and asked not in names:
            names.append(asked)  # an interest no opportunity has yet: search for it all the same (none found)
        self.fields["interest"].choices = [("", "Any interest"), *((name, name) for name in sorted(names))]

    def clean_near(self) -> str:
        return " ".join((self.cleaned_data.get("near") or "").split())

    def search(self, near: geo.Point | None) -> DirectorySearch:
        data = self.cleaned_data
        return DirectorySearch(
            text=data["q"],
            interest=data["interest"],
            category=data["category"],
            weekday=[code for code, _ in DAYS].index(data["day"]) if data["day"] else None,
            time_of_day=data["time"],
            cost=data["cost"],
            near=near,
            within_miles=float(data["within"] or 5) if near else None,
        )


_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")


def parse_clock(text: str) -> time | None:
    """ "10:00", "9.30", "18:30", "10am", "6:30pm" → a time; None for nothing; ValueError otherwise."""
    text = (text or "").strip().lower().replace(" ", "")
    if not text:
        return None
    if text in ("midday", "noon", "12noon"):
        return time(12, 0)
    match = _TIME.match(text)
    if not match:
        raise ValueError(text)
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if half == "pm" else 0)
    return time(hour, minute)


class ClockField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        try:
            return parse_clock(text)
        except ValueError:
            raise ValidationError(
                f"{self.label.removesuffix(' (optional)')} must be a time, like 10:00 or 6:30pm",
                code="invalid",
            ) from None

    def prepare_value(self, value):
        if isinstance(value, time):
            return value.strftime("%H:%M")
        return value


class CoordinateField(forms.CharField):
    def __init__(self, *, limit: int, **kwargs):
        self.limit = limit
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": False}))
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        name = self.label.removesuffix(" (optional)")
        try:
            number = float(text)
        except ValueError:
            raise ValidationError(f"{name} must be a number, like {self.help_text.split()[-1]}") from None
        if not -self.limit <= number <= self.limit:
            raise ValidationError(f"{name} must be between -{self.limit} and {self.limit}")
        return number

    def prepare_value(self, value):
        return f"{value:g}" if isinstance(value, float) else value


STILL_RUNNING = [("yes", "Yes"), ("no", "No, it has stopped")]


class OpportunityForm(NHSForm):
    """Adding or changing an opportunity by hand. Days with one start and finish time make its sessions."""

    name = forms.CharField(label="Name", max_length=hsds.LIMITS["name"])
    organisation_name = forms.CharField(
        label="Organisation (optional)",
        max_length=hsds.LIMITS["organisation_name"],
        required=False,
        help_text="Who runs it. It is linked to the organisation of that name in the directory, or one is added.",
    )
    description = forms.CharField(
        label="Description (optional)",
        required=False,
        widget=forms.Textarea,
        help_text="What happens there and who it suits",
    )
    category = forms.ChoiceField(
        label="Category", choices=[("", "Choose a category"), *Opportunity.Category.choices]
    )
    interests = TagListField(
        label="Interests it suits (optional)",
        max_tag_length=hsds.LIMITS["interest"],
        help_text="Separate each with a comma, for example: gardening, walking",
    )
    days = forms.MultipleChoiceField(
        label="Days it meets (optional)", choices=DAYS, required=False, widget=forms.CheckboxSelectMultiple
    )
    starts_at = ClockField(label="Starts at (optional)", help_text="For example, 10:00 or 6:30pm")
    ends_at = ClockField(label="Finishes at (optional)", help_text="For example, 12:00 or 8pm")
    schedule = forms.CharField(
        label="When it meets, in words (optional)",
        max_length=hsds.LIMITS["schedule"],
        required=False,
        help_text="For example, the first Monday of the month. Left blank, it is written from the days and times.",
    )
    address = forms.CharField(label="Address (optional)", max_length=hsds.LIMITS["address"], required=False)
    postcode = forms.CharField(label="Postcode (optional)", max_length=10, required=False)
    latitude = CoordinateField(
        label="Latitude (optional)", limit=90, help_text="In decimal degrees, for example 53.958"
    )
    longitude = CoordinateField(
        label="Longitude (optional)", limit=180, help_text="In decimal degrees, for example -1.080"
    )
    cost = forms.ChoiceField(
        label="What does it cost?", choices=Opportunity.Cost.choices, widget=forms.RadioSelect
    )
    cost_details = forms.CharField(
        label="Cost details (optional)",
        max_length=hsds.LIMITS["cost_details"],
        required=False,
        help_text="For example, £2 a session, tea included",
    )
    accessibility = forms.CharField(
        label="Access (optional)",
        required=False,
        widget=forms.Textarea,
        help_text="Step-free access, hearing loops, quiet spaces, help with getting there",
    )
    contact_name = forms.CharField(
        label="Contact name (optional)", max_length=hsds.LIMITS["contact_name"], required=False
    )
    contact_phone = forms.CharField(
        label="Contact phone number (optional)", max_length=hsds.LIMITS["contact_phone"], required=False
    )
    contact_email = forms.EmailField(label="Contact email address (optional)", max_length=254, required=False)
    website = forms.URLField(
        label="Website (optional)", max_length=hsds.LIMITS["website"], required=False, assume_scheme="https"
    )
    last_verified_on = DateField(
        label="Date the details were last checked (optional)",
        required=False,
        past_only=True,
        help_text="For example, 15 3 2026",
    )
    active = forms.ChoiceField(label="Is it still running?", choices=STILL_RUNNING, widget=forms.RadioSelect)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["active"]
        self.fields["category"].error_messages["required"] = "Select a category"
        self.fields["name"].error_messages["required"] = "Enter the opportunity's name"

    def clean_postcode(self) -> str:
        text = " ".join((self.cleaned_data.get("postcode") or "").split()).upper()
        if text and not geo.normalised_postcode(text):
            raise ValidationError("Enter a real postcode, like LS1 4AP", code="invalid")
        return geo.normalised_postcode(text) or ""

    def clean_contact_phone(self) -> str:
        phone = (self.cleaned_data.get("contact_phone") or "").strip()
        if phone and not re.fullmatch(r"\+?[0-9 ()-]{7,30}(?: ext\.? ?[0-9]{1,6})?", phone):
            raise ValidationError("Enter a phone number, like 01632 960 001 or 07700 900 982", code="invalid")
        return phone

    def clean(self):
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if (starts_at or ends_at) and not data.get("days") and "days" not in self.errors:
            self.add_error("days", "Select the days it meets, or leave the times blank")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "The finishing time must be after the starting time")
        has_latitude, has_longitude = data.get("latitude") is not None, data.get("longitude") is not None
        if (
            has_latitude != has_longitude
            and not self.errors.get("latitude")
            and not self.errors.get("longitude")
        ):
            missing = "longitude" if has_latitude else "latitude"
            self.add_error(missing, f"Enter the {missing} as well, or leave both blank")
        return data

    def sessions(self) -> tuple[hsds.SessionRecord, ...]:
        data = self.cleaned_data
        codes = [code for code, _ in DAYS]
        return hsds.sorted_sessions(
            hsds.SessionRecord(codes.index(day), data["starts_at"], data["ends_at"]) for day in data["days"]
        )

    def opportunity_data(self, *, keep_sessions: bool = False) -> OpportunityData:
        """What to save. `keep_sessions` leaves the sessions alone (None), for an edit that did not touch the
        days and times."""
        data = self.cleaned_data
        return OpportunityData(
            name=data["name"],
            organisation_name=data["organisation_name"],
            description=data["description"],
            category=data["category"],
            address=data["address"],
            postcode=data["postcode"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            schedule=data["schedule"],
            cost=data["cost"],
            cost_details=data["cost_details"],
            accessibility=data["accessibility"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
            website=data["website"],
            last_verified_on=data["last_verified_on"],
            active=data.get("active", "yes") == "yes",
            interests=tuple(data["interests"]),
            sessions=None if keep_sessions else self.sessions(),
        )

    def sessions_untouched(self) -> bool:
        """Whether the days and times are as the form showed them (an edit then keeps the sessions as they
        are, which may have had different times on different days)."""
        return all(
            self.cleaned_data.get(name) == self.initial.get(name) for name in ("days", "starts_at", "ends_at")
        )

    @classmethod
    def initial_for(cls, opportunity: Opportunity) -> dict:
        """The form's starting values for an opportunity (interests and sessions prefetched)."""
        initial = {name: getattr(opportunity, name) for name in hsds.OpportunityRecord.COLUMNS}
        initial["organisation_name"] = opportunity.organisation.name if opportunity.organisation else ""
        initial["interests"] = [interest.name for interest in opportunity.interests.all()]
        initial["active"] = "yes" if opportunity.active else "no"
        initial["version"] = opportunity.version
        sessions = list(opportunity.sessions.all())
        initial["days"] = [DAYS[day][0] for day in sorted({session.weekday for session in sessions})]
        times = {(session.starts_at, session.ends_at) for session in sessions}
        # One start and finish for every day, or none shown when the days differ (they are kept unless changed).
        initial["starts_at"], initial["ends_at"] = times.pop() if len(times) == 1 else (None, None)
        return initial
