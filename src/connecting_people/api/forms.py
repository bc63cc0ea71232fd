from django import forms

from connecting_people.api.tokens import SCOPES
from connecting_people.core.forms import NHSForm

LIFETIMES = [("30", "30 days"), ("90", "90 days"), ("365", "A year")]


class TokenForm(NHSForm):
    name = forms.CharField(
        label="What is the token for?", max_length=100, help_text="For example: weekly caseload report"
    )
    scopes = forms.MultipleChoiceField(
        label="What may it do?",
        choices=list(SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text="It can never reach more than you can. Choose only what the program needs.",
    )
    days = forms.ChoiceField(
        label="How long should it work?", choices=LIFETIMES, initial="90", widget=forms.RadioSelect
    )
