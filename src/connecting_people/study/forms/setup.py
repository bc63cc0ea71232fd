"""Forms for setting up a study: the study itself, its status, members, sites, allocation of teams to arms,
timepoints and their schedule, and the unit-cost table. They check the shape of what was typed; the services
decide what is allowed (and their refusals are shown on these forms with `show_service_error`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms

from connecting_people.core.forms import DateField, NHSForm, VersionField
from connecting_people.measures.definitions import Instrument
from connecting_people.study.analysis.delivery import COMPONENTS
from connecting_people.study.analysis.delivery import KEYS as DELIVERY_KEYS
from connecting_people.study.models import Arm, Study, StudyMember

# The largest seed the database keeps (a signed 64-bit whole number).
MAX_SEED = 2**63 - 1
MAX_DAY = 3650  # ten years: any later timepoint is a typing mistake
MAX_POSITION = 99


def _whole_number(label: str, *, minimum: int, maximum: int, what: str, **kwargs) -> forms.IntegerField:
    """A whole number typed in a text box (numeric keyboard), with messages in the design system's words."""
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=maximum,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "required": f"Enter {what}",
            "invalid": f"{label} must be a whole number, like 28",
            "min_value": f"{label} must be {minimum} or more",
            "max_value": f"{label} must be {maximum} or less",
        },
        **kwargs,
    )


class StudyForm(NHSForm):
    code = forms.SlugField(
        label="Study code",
        max_length=20,
        help_text="Up to 20 lower-case letters, numbers and hyphens, for example cpis. Study numbers start "
        "with it (CPIS-0001). It cannot be changed later.",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
        error_messages={
            "required": "Enter a study code",
            "invalid": "The study code can only have letters, numbers and hyphens",
            "max_length": "The study code must be 20 characters or fewer",
        },
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={
            "required": "Enter the study's title",
            "max_length": "The title must be 200 characters or fewer",
        },
    )
    starts_on = DateField(label="Start date", help_text="No one can be enrolled before this date.")
    consent_version = forms.CharField(
        label="Consent form version",
        max_length=40,
        help_text="The version participants consent to, for example v1.0. You can change it later.",
        error_messages={
            "required": "Enter the consent form version",
            "max_length": "The consent form version must be 40 characters or fewer",
        },
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().lower()


class StatusForm(NHSForm):
    status = forms.ChoiceField(
        label="Status of the study",
        choices=Study.Status.choices,
        widget=forms.RadioSelect,
        help_text="Participants can be enrolled only while the study is recruiting.",
        error_messages={"required": "Choose a status", "invalid_choice": "Choose one of the statuses"},
    )
    version = VersionField()


class MemberForm(NHSForm):
    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="They must have the researcher role.",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
        error_messages={"required": "Enter the username of the person to add"},
    )
    role = forms.ChoiceField(
        label="Role in the study",
        choices=StudyMember.Role.choices,
        widget=forms.RadioSelect,
        help_text="A study lead changes the set-up. A researcher enrols participants and records assessments.",
        error_messages={"required": "Choose a role", "invalid_choice": "Choose one of the roles"},
    )
    site = forms.ChoiceField(
        label="Sites they work with (optional)",
        required=False,
        help_text="Limit them to one site's participants, or leave it as every site.",
        error_messages={"invalid_choice": "Choose one of the study's sites"},
    )

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", "Every site")] + [
            (str(site.pk), f"{site.code}: {site.trust.name}") for site in sites
        ]

    def site_id(self) -> int | None:
        chosen = self.cleaned_data.get("site")
        return int(chosen) if chosen else None


class SiteForm(NHSForm):
    trust = forms.ChoiceField(
        label="Trust",
        help_text="Each trust taking part is one site. It gets a code (site01, site02 and so on) that is all "
        "an export says about it. A trust where you have the researcher role joins at once; any other trust "
        "is invited, and joins when someone with the researcher role there accepts.",
        error_messages={
            "required": "Choose the trust to add",
            "invalid_choice": "Choose one of the trusts listed",
        },
    )

    def __init__(self, *args, trusts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trust"].choices = [("", "Choose a trust")] + [
            (str(trust.pk), trust.name) for trust in trusts
        ]


class SiteDecisionForm(NHSForm):
    """A researcher of an invited trust answers the invitation."""

    decision = forms.ChoiceField(
        label="Will your trust take part?",
        choices=[("accept", "Yes, accept: the trust takes part"), ("decline", "No, decline the invitation")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether your trust takes part"},
    )

    def accepted(self) -> bool:
        return self.cleaned_data["decision"] == "accept"


class TeamChoiceField(forms.ChoiceField):
    """A team from the list shown, or any team's id: the list is the teams free when the page was drawn, and
    whether a team may be allocated (not already in an arm, its trust a site) is the service's to say, so a
    stale page gets the service's reason rather than "choose from the list"."""

    def valid_value(self, value) -> bool:
        return str(value).isdigit() or super().valid_value(value)


class TeamsChoiceField(forms.MultipleChoiceField):
    """Teams ticked on the list shown, or any teams' ids (see `TeamChoiceField`)."""

    def valid_value(self, value) -> bool:
        return str(value).isdigit() or super().valid_value(value)


class AllocationForm(NHSForm):
    team = TeamChoiceField(
        label="Team",
        help_text="Teams of the study's sites that are not in either arm yet.",
        error_messages={
            "required": "Choose the team to allocate",
            "invalid_choice": "Choose one of the teams listed",
        },
    )
    arm = forms.ChoiceField(
        label="Arm",
        choices=Arm.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose an arm", "invalid_choice": "Choose one of the arms"},
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Choose a team")] + team_choices(teams)

    def team_id(self) -> int:
        return int(self.cleaned_data["team"])


def team_choices(teams) -> list[tuple[str, str]]:
    """A team named with its trust, as teams of different trusts can share a name."""
    return [(str(team.pk), f"{team.name} ({team.trust.name})") for team in teams]


class RandomiseForm(NHSForm):
    teams = TeamsChoiceField(
        label="Teams to allocate",
        widget=forms.CheckboxSelectMultiple,
        help_text="Within each site, half the teams chosen go to each arm (an odd one out alternates between "
        "arms from site to site).",
        error_messages={
            "required": "Choose the teams to allocate",
            "invalid_choice": "Choose teams from the list",
        },
    )
    seed = forms.IntegerField(
        label="Seed (optional)",
        required=False,
        min_value=0,
        max_value=MAX_SEED,
        help_text="A whole number that fixes the allocation, so anyone can repeat it. Leave it blank for a "
        "new random seed: it is recorded and shown with the allocation.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "invalid": "The seed must be a whole number, like 20260105",
            "min_value": "The seed must be 0 or more",
            "max_value": "The seed must have 18 digits or fewer",
        },
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].choices = team_choices(teams)

    def team_ids(self) -> list[int]:
        return [int(value) for value in self.cleaned_data["teams"]]


class TimepointForm(NHSForm):
    code = forms.SlugField(
        label="Code",
        max_length=20,
        help_text="Lower-case letters, numbers and hyphens, for example m12. Exports use it.",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
        error_messages={
            "required": "Enter a code for the timepoint",
            "invalid": "The code can only have letters, numbers and hyphens",
            "max_length": "The code must be 20 characters or fewer",
        },
    )
    label = forms.CharField(
        label="Name",
        max_length=60,
        help_text="As researchers will see it, for example 12 months.",
        error_messages={
            "required": "Enter a name for the timepoint",
            "max_length": "The name must be 60 characters or fewer",
        },
    )
    target_day = _whole_number(
        "Target day",
        minimum=0,
        maximum=MAX_DAY,
        what="the target day",
        help_text="Days after the participant's baseline. Baseline itself is day 0; 6 months is day 182.",
    )
    window_before = _whole_number(
        "Days before",
        minimum=0,
        maximum=MAX_DAY,
        what="how many days before the target day the window opens",
        help_text="How many days before the target day the assessment may be done.",
    )
    window_after = _whole_number(
        "Days after",
        minimum=0,
        maximum=MAX_DAY,
        what="how many days after the target day the window closes",
        help_text="How many days after the target day the assessment may still be done.",
    )
    version = VersionField()  # when changing a timepoint

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        target, before = cleaned.get("target_day"), cleaned.get("window_before")
        if target is not None and before is not None and before > target:
            self.add_error(
                "window_before",
                f"The window cannot open before baseline: days before must be {target} or fewer",
            )
        return cleaned


class ScheduleForm(NHSForm):
    """Which instruments are completed at a timepoint (checkboxes) and in what order (an optional number for
    each). Numbered instruments come first, in number order; the rest follow in the order listed."""

    instruments = forms.MultipleChoiceField(
        label="Instruments completed at this timepoint",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one instrument",
            "invalid_choice": "Choose instruments from the list",
        },
    )
    version = VersionField()  # the timepoint's

    def __init__(self, *args, instruments: list[Instrument], **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument_list = instruments
        self.fields["instruments"].choices = [(item.id, item.title) for item in instruments]
        for item in instruments:
            self.fields[self.order_field_name(item.id)] = forms.IntegerField(
                label=f"Order of {item.title}",
                required=False,
                min_value=1,
                max_value=MAX_POSITION,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
                error_messages={
                    "invalid": f"The order of {item.title} must be a whole number, like 1",
                    "min_value": f"The order of {item.title} must be 1 or more",
                    "max_value": f"The order of {item.title} must be {MAX_POSITION} or less",
                },
            )

    @staticmethod
    def order_field_name(instrument_id: str) -> str:
        return f"order_{instrument_id}"

    def position_fields(self) -> list:
        return [self[self.order_field_name(item.id)] for item in self.instrument_list]

    @staticmethod
    def initial_for(scheduled_ids: list[str]) -> dict:
        initial: dict = {"instruments": list(scheduled_ids)}  # the caller adds the timepoint's version
        for position, instrument_id in enumerate(scheduled_ids, start=1):
            initial[ScheduleForm.order_field_name(instrument_id)] = position
        return initial

    def instrument_ids(self) -> list[str]:
        """The chosen instruments in the chosen order."""
        listed = [item.id for item in self.instrument_list]
        chosen = self.cleaned_data["instruments"]

        def key(instrument_id: str) -> tuple[int, int]:
            number = self.cleaned_data.get(self.order_field_name(instrument_id))
            return (number if number is not None else MAX_POSITION + 1, listed.index(instrument_id))

        return sorted(chosen, key=key)


class UnitCostsForm(NHSForm):
    """One cost (and its unit) for each service of the study's service-use instrument, and the price year,
    currency and source the costs come from."""

    price_year = forms.CharField(
        label="Price year",
        max_length=10,
        help_text="The year the costs are priced at, for example 2024/25.",
        error_messages={
            "required": "Enter the price year, for example 2024/25",
            "max_length": "The price year must be 10 characters or fewer",
        },
    )
    currency = forms.RegexField(
        label="Currency",
        regex=r"^[A-Za-z]{3}$",
        max_length=3,
        help_text="A three-letter code, for example GBP.",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
        error_messages={
            "required": "Enter the currency, for example GBP",
            "invalid": "The currency must be a three-letter code, like GBP",
            "max_length": "The currency must be a three-letter code, like GBP",
        },
    )
    source = forms.CharField(
        label="Source of the costs (optional)",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Where the figures come from, for example the published national unit costs and their year.",
        error_messages={"max_length": "The source must be 300 characters or fewer"},
    )
    version = VersionField()  # the study's

    def __init__(self, *args, instrument: Instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.items = [*instrument.items, *delivery_items()]
        for item in self.items:
            optional = item.id in DELIVERY_KEYS  # the intervention's delivery: costed when a cost is given
            self.fields[self.cost_field_name(item.id)] = forms.DecimalField(
                label="Cost of one unit",
                required=not optional,
                min_value=Decimal("0"),
                max_digits=10,
                decimal_places=2,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
                error_messages={
                    "required": f"Enter the cost of {item.label}",
                    "invalid": f"The cost of {item.label} must be a number, like 40 or 12.50",
                    "min_value": f"The cost of {item.label} cannot be negative",
                    "max_digits": f"The cost of {item.label} must be less than 100,000,000",
                    "max_whole_digits": f"The cost of {item.label} must be less than 100,000,000",
                    "max_decimal_places": f"The cost of {item.label} must have 2 decimal places or fewer",
                },
            )
            self.fields[self.unit_field_name(item.id)] = forms.CharField(
                label="Unit",
                max_length=80,
                required=not optional,
                help_text="What is counted, for example appointment, contact or night on a ward.",
                error_messages={
                    "required": f"Enter the unit {item.label} are costed by",
                    "max_length": f"The unit of {item.label} must be 80 characters or fewer",
                },
            )

    @staticmethod
    def cost_field_name(service: str) -> str:
        return f"cost_{service}"

    @staticmethod
    def unit_field_name(service: str) -> str:
        return f"unit_{service}"

    def services(self) -> list[dict]:
        """Each service with its bound cost and unit fields, for one fieldset per service."""
        return [
            {
                "item": item,
                "name": _sentence(item.label),
                "cost": self[self.cost_field_name(item.id)],
                "unit": self[self.unit_field_name(item.id)],
            }
            for item in self.items
        ]

    @staticmethod
    def initial_for(study: Study, rows) -> dict:
        """The current table, to change. An illustrative table gives its units only: its invented costs,
        price year and source are not offered, so saving the form unchanged cannot pass them off as real."""
        initial = {"currency": study.currency, "version": study.version}
        if not study.unit_costs_illustrative:
            initial |= {"price_year": study.price_year, "source": study.unit_cost_source}
        for row in rows:
            initial[UnitCostsForm.unit_field_name(row.service)] = row.unit
            if not study.unit_costs_illustrative:
                initial[UnitCostsForm.cost_field_name(row.service)] = row.cost
        return initial

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()

    def costs(self) -> dict[str, tuple[str, Decimal]]:
        """{service: (unit, cost)}: every service, and each delivery unit given a cost."""
        return {
            item.id: (
                self.cleaned_data[self.unit_field_name(item.id)].strip() or getattr(item, "unit", ""),
                self.cleaned_data[self.cost_field_name(item.id)],
            )
            for item in self.items
            if self.cleaned_data.get(self.cost_field_name(item.id)) is not None
        }


@dataclass(frozen=True)
class DeliveryItem:
    """A unit the intervention's delivery is costed in, listed with the services on the unit-cost page."""

    id: str
    label: str
    unit: str


def delivery_items() -> list[DeliveryItem]:
    return [DeliveryItem(c.key, f"{c.label} (the intervention's delivery)", c.unit) for c in COMPONENTS]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
