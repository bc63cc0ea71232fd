"""Forms of the participant pages: the list's filters, enrolment (by a study member, or from a person's page),
consent, withdrawal, an instrument at a timepoint, and the screening log."""

from django import forms

from connecting_people.core.forms import ControlCharactersRemoved, DateField, NHSForm
from connecting_people.measures.forms import AdministrationForm
from connecting_people.study.models import Arm, Participant, Screening

CHOOSE_TEAM = "Choose one of the study's teams"
NOTES_HINT = (
    "For the study team only: how the person met the eligibility criteria, or anything to check later. "
    "Never exported. Do not write their name or contact details."
)
DATA_CHOICE_HINTS = {
    Participant.DataChoice.KEEP: "Answers recorded up to the date of withdrawal stay in the study's exports and "
    "analysis. Nothing dated after withdrawal can be recorded.",
    Participant.DataChoice.REMOVE: "Everything recorded for them is left out of every export and analysis, and "
    "nothing more can be recorded. Their study number stays, so the study's numbers still add up.",
}


def team_label(team) -> str:
    """A study team as members know it: "T01 – site01 – intervention"."""
    return f"{team.code} – {team.site.code} – {team.get_arm_display().lower()}"


class ParticipantFilterForm(ControlCharactersRemoved, forms.Form):
    """The list's filters, read from the query string. A value that is not one of the choices is reported and
    that filter left out (the rest still apply)."""

    site = forms.ChoiceField(label="Site", required=False)
    arm = forms.ChoiceField(label="Arm", required=False, choices=[("", "Both arms"), *Arm.choices])
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Everyone"), *Participant.Status.choices]
    )

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", "Every site"), *((site.code, site.code) for site in sites)]
        for name, bound in self.fields.items():
            bound.error_messages["invalid_choice"] = f"There is no {name} “%(value)s”: showing every {name}"

    def filters(self) -> dict[str, str]:
        """The valid filters: {"site_code": ..., "arm": ..., "status": ...}, empty strings for none."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "site_code": data.get("site", ""),
            "arm": data.get("arm", ""),
            "status": data.get("status", ""),
        }

    def query_string(self) -> str:
        """The valid filters as a query string (for the pages' links), starting with "&" when there are any."""
        return "".join(
            f"&{name}={value}"
            for name, value in zip(("site", "arm", "status"), self.filters().values(), strict=True)
            if value
        )


class EnrolmentForm(NHSForm):
    """What every enrolment needs: the team (so the site and arm), the dates and eligibility notes."""

    study_team = forms.ChoiceField(
        label="Team", widget=forms.RadioSelect, error_messages={"invalid_choice": CHOOSE_TEAM}
    )
    enrolled_on = DateField(label="Date of enrolment", past_only=True)
    consented_on = DateField(label="Date of consent", past_only=True)
    eligibility_notes = forms.CharField(
        label="Eligibility notes (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=NOTES_HINT,
    )

    def __init__(self, *args, teams, consent_version: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["study_team"].choices = [(str(team.pk), team_label(team)) for team in teams]
        self.fields["consented_on"].help_text = (
            f"The day they consented to version {consent_version} of the consent form (the current one). "
            "For example, 15 3 2026"
        )
        self.fields["enrolled_on"].help_text = "For example, 15 3 2026"

    def study_team_id(self) -> int:
        return int(self.cleaned_data["study_team"])


class ResearchOnlyEnrolmentForm(EnrolmentForm):
    """A research-only participant (no record in practice): the date of birth may be kept for the study team."""

    date_of_birth = DateField(
        label="Date of birth (optional)",
        required=False,
        past_only=True,
        help_text="Used for their age at baseline in exports. The date itself is not shown or exported.",
    )
    field_order = ["study_team", "enrolled_on", "consented_on", "date_of_birth", "eligibility_notes"]


class PersonEnrolmentForm(EnrolmentForm):
    """A person supported, enrolled by their staff: the choice is a study (through its team of theirs)."""

    def __init__(self, *args, open_teams, **kwargs):
        super().__init__(*args, teams=open_teams, consent_version="", **kwargs)
        self.fields["study_team"].label = "Study"
        self.fields["study_team"].error_messages["invalid_choice"] = "Choose one of the studies open to them"
        self.fields["study_team"].error_messages["required"] = "Select an answer: study"
        self.fields["study_team"].choices = [
            (
                str(team.pk),
                f"{team.study.code.upper()}: {team.study.title} (consent form {team.study.consent_version})",
            )
            for team in open_teams
        ]
        self.fields[
            "consented_on"
        ].help_text = (
            "The day they consented to take part, on the study's current consent form. For example, 15 3 2026"
        )


class ConsentForm(NHSForm):
    version = forms.CharField(label="Version of the consent form", max_length=40)
    consented_on = DateField(label="Date of consent", past_only=True)


class WithdrawalForm(NHSForm):
    withdrawn_on = DateField(label="Date of withdrawal", past_only=True)
    reason = forms.ChoiceField(
        label="Why are they leaving the study?",
        choices=Participant.WithdrawalReason.choices,
        widget=forms.RadioSelect,
    )
    choice = forms.ChoiceField(
        label="What should happen to the data already collected?",
        choices=Participant.DataChoice.choices,
        widget=forms.RadioSelect,
        help_text="Ask the participant. Their choice cannot be changed later.",
    )

    def choice_items(self) -> list[dict]:
        """The data choice as radios, each with a hint saying what it means (for the radios macro)."""
        chosen = str(self["choice"].value() or "")
        return [
            {
                "id": f"{self['choice'].auto_id}_{index}",
                "value": value,
                "text": label,
                "hint": {"text": DATA_CHOICE_HINTS[value]},
                "checked": value == chosen,
            }
            for index, (value, label) in enumerate(Participant.DataChoice.choices)
        ]


class AssessmentForm(AdministrationForm):
    """One instrument at one timepoint: the practice side's form (items from the instrument's definition, the
    date completed, at least one answer) without what the timepoint already says (its label, how it was done)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["timepoint_label"]
        del self.fields["mode"]


class ScreeningForm(NHSForm):
    site = forms.ChoiceField(label="Site", widget=forms.RadioSelect)
    screened_on = DateField(label="Date assessed", past_only=True)
    reason = forms.ChoiceField(
        label="Why were they not enrolled?", choices=Screening.Reason.choices, widget=forms.RadioSelect
    )
    count = forms.IntegerField(
        label="How many people",
        min_value=1,
        max_value=10000,
        initial=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": False}),
        error_messages={
            "invalid": "Enter how many people as a whole number, for example 3",
            "min_value": "Enter how many people, 1 or more",
            "max_value": "Enter how many people, 10,000 or fewer",
        },
    )

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        sites = list(sites)
        self.fields["site"].choices = [(str(site.pk), site.code) for site in sites]
        if len(sites) == 1:
            self.fields["site"].initial = str(sites[0].pk)
