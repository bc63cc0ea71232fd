from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core import validators

from connecting_people.core.forms import ControlCharactersRemoved, DateField, NHSForm


class SignInForm(ControlCharactersRemoved, AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "This account is not active. Ask your administrator.",
        "service_account": "This is a service account: it reaches the API with a token and cannot sign in here.",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_service_account:
            raise forms.ValidationError(self.error_messages["service_account"], code="service_account")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username"
        self.fields["password"].label = "Password"
        # Django's form gives the username field its length after the field has made its validators, so a longer
        # one went on to be tried (and recorded by django-axes, whose column is 255: a server error on
        # PostgreSQL). No account has a longer username: refuse it before anything is tried or recorded.
        longest = self.fields["username"].max_length
        self.fields["username"].validators.append(
            validators.MaxLengthValidator(
                longest, message=f"Enter a username of {longest} characters or fewer"
            )
        )


class MfaTokenForm(NHSForm):
    token = forms.RegexField(
        label="Security code",
        regex=r"^\s*\d{6}\s*$",
        max_length=8,
        error_messages={
            "invalid": "Enter the 6-digit code from your authenticator app",
            "required": "Enter the 6-digit code from your authenticator app",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": False}),
    )

    def clean_token(self):
        return self.cleaned_data["token"].strip()


class EnrolmentCodeForm(NHSForm):
    code = forms.CharField(
        label="Set-up code",
        max_length=32,
        help_text="12 letters and numbers, for example ABCD-EFGH-JKMN. Capitals, spaces and dashes do not matter.",
        error_messages={"required": "Enter the set-up code your administrator gave you"},
        widget=forms.TextInput(attrs={"spellcheck": False, "autocapitalize": "characters"}),
    )


class IssueEnrolmentCodeForm(NHSForm):
    username = forms.CharField(
        label="Username of the member of staff",
        max_length=150,
        error_messages={"required": "Enter the username of the person who needs a set-up code"},
        widget=forms.TextInput(attrs={"spellcheck": False, "autocapitalize": "none"}),
    )


class AccessReviewForm(NHSForm):
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=500,
        help_text="For example, what you checked, or what you asked someone to change. Do not write about people supported.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CoverForm(NHSForm):
    team = forms.TypedChoiceField(label="Team", coerce=int)
    practitioner = forms.TypedChoiceField(label="Who is covering?", coerce=int, widget=forms.RadioSelect)
    starts_on = DateField(label="Cover starts")
    ends_on = DateField(label="Cover ends", help_text="90 days at most")
    reason = forms.CharField(
        label="Reason", max_length=200, help_text="For example: covering Sam's caseload during leave"
    )

    def __init__(self, *args, teams, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(team.pk, team.name) for team in teams]
        if len(teams) == 1:
            self.fields["team"].widget = forms.HiddenInput()
            self.fields["team"].initial = teams[0].pk
        self.fields["practitioner"].choices = [
            (p.pk, f"{p.display_name} ({team_name})") for p, team_name in practitioners
        ]
