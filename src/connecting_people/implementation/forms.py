"""Forms for rating fidelity (built from the scale's definition, as `measures.forms` builds a measure's form),
and for recording training, the champion, supervision, community links and the checklist."""

from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError

from connecting_people.core.forms import DateField, NHSForm, VersionField
from connecting_people.implementation.fidelity import domains_of
from connecting_people.implementation.models import ChecklistStatus, TrainingSession
from connecting_people.implementation.services import CommunityLinkData, TrainingData
from connecting_people.measures.definitions import Instrument, Item

DEFAULT_PERIOD_DAYS = 91  # about three months, ending on the day of the rating


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def item_field(scale: Instrument, item: Item, number: int) -> forms.ChoiceField:
    """One item as radios: each score with its behavioural description. Required when the scale scores only
    complete ratings."""
    label = _sentence(item.label)
    return forms.ChoiceField(
        label=f"{number}. {label}",
        choices=[(str(code.value), f"{code.value}: {code.wording or code.label}") for code in item.codes],
        widget=forms.RadioSelect,
        required=scale.missing.rule == "complete",
        help_text=item.wording or None,
        error_messages={
            "required": f"Choose a score for “{label}”",
            "invalid_choice": f"Choose a score from {item.allowed_text()} for “{label}”",
        },
    )


class FidelityRatingForm(NHSForm):
    rated_on = DateField(label="Date of the rating", past_only=True)
    period_start = DateField(label="Start of the period it covers", past_only=True)
    period_end = DateField(label="End of the period it covers", past_only=True)

    def __init__(self, *args, scale: Instrument, teams: list | None = None, **kwargs):
        """`teams`: for a self-rating by someone who works in more than one team, the teams to choose from."""
        super().__init__(*args, **kwargs)
        self.scale = scale
        if teams and len(teams) > 1:
            self.fields["team"] = forms.ChoiceField(
                label="Which team is this rating for?",
                choices=[(str(team.pk), team.name) for team in teams],
                widget=forms.RadioSelect,
            )
        numbers = {item.id: index for index, item in enumerate(scale.items, start=1)}
        for item in scale.items:
            self.fields[self.item_field_name(item.id)] = item_field(scale, item, numbers[item.id])

    @staticmethod
    def initial_dates(today: date) -> dict:
        return {
            "rated_on": today,
            "period_start": today - timedelta(days=DEFAULT_PERIOD_DAYS),
            "period_end": today,
        }

    @staticmethod
    def item_field_name(item_id: str) -> str:
        return f"item_{item_id}"

    def domains(self) -> list[tuple[str, list]]:
        """(domain label, bound item fields) in the scale's order, for one fieldset per domain."""
        return [
            (_sentence(label), [self[self.item_field_name(item.id)] for item in items])
            for _domain, label, items in domains_of(self.scale)
        ]

    def answers(self) -> list[int | None]:
        values = []
        for item in self.scale.items:
            value = self.cleaned_data.get(self.item_field_name(item.id))
            values.append(None if value in (None, "") else int(value))
        return values

    def chosen_team_id(self) -> int | None:
        return int(self.cleaned_data["team"]) if "team" in self.cleaned_data else None

    def service_field(self, name: str | None) -> str | None:
        """The form field a service's error concerns (an item id becomes its radios)."""
        if name in self.fields or name is None:
            return name
        return self.item_field_name(name)


class TrainingSessionForm(NHSForm):
    title = forms.CharField(label="Title", max_length=200, help_text="For example: Connecting People day 1")
    held_on = DateField(label="Date held", past_only=True)
    level = forms.ChoiceField(label="Level", choices=TrainingSession.Level.choices, widget=forms.RadioSelect)
    trainer = forms.CharField(label="Who ran it", max_length=200)
    audience = forms.ChoiceField(label="Who was it for?", widget=forms.RadioSelect)
    attendees = forms.MultipleChoiceField(
        label="Who attended? (optional)",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="You can add or change attendance later.",
    )
    notes = forms.CharField(
        label="Notes (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
        help_text="About the session, not about the people who attended.",
    )

    def __init__(self, *args, audiences: list[tuple[str, str]], candidates: list[tuple[str, str]], **kwargs):
        """`audiences`: ("team:<id>" or "trust:<id>", label); `candidates`: (user id, label) who may be marked."""
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = audiences
        self.fields["attendees"].choices = candidates
        if len(audiences) == 1:
            self.fields["audience"].initial = audiences[0][0]

    def training_data(self, trust_of_team: dict[int, int]) -> TrainingData:
        kind, _, raw_id = self.cleaned_data["audience"].partition(":")
        target = int(raw_id)
        data = self.cleaned_data
        return TrainingData(
            title=data["title"],
            held_on=data["held_on"],
            level=data["level"],
            trainer=data["trainer"],
            trust_id=target if kind == "trust" else trust_of_team[target],
            team_id=target if kind == "team" else None,
            notes=data["notes"],
        )

    def attendee_ids(self) -> list[int]:
        return [int(value) for value in self.cleaned_data["attendees"]]


class AttendanceForm(NHSForm):
    attendees = forms.MultipleChoiceField(
        label="Who attended?", widget=forms.CheckboxSelectMultiple, required=False
    )
    version = VersionField()

    def __init__(self, *args, candidates: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].choices = candidates

    def attendee_ids(self) -> list[int]:
        return [int(value) for value in self.cleaned_data["attendees"]]


def _people_choices(people) -> list[tuple[str, str]]:
    return [(str(person.pk), person.display_name) for person in people]


class ChampionForm(NHSForm):
    champion = forms.ChoiceField(label="Who is the team's champion?", widget=forms.RadioSelect)
    since = DateField(label="From", past_only=True)
    current = VersionField()  # the current champion's record when the page was opened (0: none)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["champion"].choices = _people_choices(members)


class SupervisionForm(NHSForm):
    worker = forms.ChoiceField(label="Who was supervised?", widget=forms.RadioSelect)
    held_on = DateField(label="Date of the supervision", past_only=True)
    connection_work_discussed = forms.ChoiceField(
        label="Was connection work discussed?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label="Short notes (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        required=False,
        help_text="About practice, in 500 characters or fewer. Do not name the people the worker supports.",
    )

    def __init__(self, *args, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].choices = _people_choices(workers)

    def discussed(self) -> bool:
        return self.cleaned_data["connection_work_discussed"] == "yes"


class CommunityLinkForm(NHSForm):
    organisation = forms.ChoiceField(
        label="Organisation in the community directory (optional)",
        required=False,
        help_text="Leave this as it is and enter the name below if the organisation is not in the directory.",
    )
    name = forms.CharField(
        label="Organisation's name, if it is not in the directory (optional)", max_length=200, required=False
    )
    contact = forms.CharField(
        label="Contact (optional)",
        max_length=200,
        required=False,
        help_text="A role, name or phone number the team uses, for example: volunteer coordinator",
    )
    since = DateField(label="Working together since", past_only=True)
    ended_on = DateField(label="Link ended on (optional)", past_only=True, required=False)
    notes = forms.CharField(
        label="Notes (optional)", widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, required=False
    )
    version = VersionField()  # when changing a link

    def __init__(self, *args, organisations: list[tuple[str, str]], editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", "Not in the directory"), *organisations]
        if not editing:
            del self.fields["ended_on"]

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("organisation") and not (data.get("name") or "").strip():
            raise ValidationError("Choose an organisation from the directory, or enter its name")
        return data

    def link_data(self) -> CommunityLinkData:
        data = self.cleaned_data
        return CommunityLinkData(
            since=data["since"],
            organisation_id=int(data["organisation"]) if data.get("organisation") else None,
            name=data.get("name") or "",
            contact=data.get("contact") or "",
            notes=data.get("notes") or "",
            ended_on=data.get("ended_on"),
        )


class ChecklistStatusForm(NHSForm):
    status = forms.ChoiceField(
        label="Status", choices=ChecklistStatus.Status.choices, widget=forms.RadioSelect
    )
    status_on = DateField(label="Date", past_only=True, help_text="When it started, or when it was done")
    version = VersionField()
