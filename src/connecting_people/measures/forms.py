"""The form for recording one administration, built from the instrument's definition."""

from django import forms
from django.core.exceptions import ValidationError

from connecting_people.core.forms import DateField, NHSForm
from connecting_people.measures.definitions import Instrument, Item
from connecting_people.measures.models import Administration

NOT_ANSWERED_HINT = "Leave it blank if the person chose not to answer."


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def question_text(item: Item) -> str:
    """Licensed wording when this deployment supplied it (or it ships); otherwise our short label."""
    return item.wording or _sentence(item.label)


def item_field(item: Item) -> forms.Field:
    if item.codes:
        choices = [(str(code.value), _sentence(code.wording or code.label)) for code in item.codes]
        return forms.ChoiceField(
            label=question_text(item),
            choices=choices,
            required=False,
            widget=forms.RadioSelect,
            help_text=NOT_ANSWERED_HINT,
        )
    low, high = item.range.minimum, item.range.maximum
    unit = f" ({item.range.unit})" if item.range.unit else ""
    if item.range.whole_numbers:
        low, high = int(low), int(high)
        message = f"Enter a whole number from {low} to {high}"
        field_class, extra = forms.IntegerField, {}
    else:
        message = f"Enter a number from {low:g} to {high:g}"
        field_class, extra = forms.DecimalField, {"decimal_places": 6}
    return field_class(
        label=f"{question_text(item)}{unit}",
        required=False,
        min_value=low,
        max_value=high,
        help_text=f"{message[6:].capitalize()}. {NOT_ANSWERED_HINT}",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric" if item.range.whole_numbers else "decimal", "spellcheck": False}
        ),
        error_messages={
            "invalid": message,
            "min_value": message,
            "max_value": message,
            "max_decimal_places": message,
        },
        **extra,
    )


class AdministrationForm(NHSForm):
    administered_on = DateField(label="Date completed", past_only=True)
    timepoint_label = forms.CharField(
        label="Timepoint (optional)",
        max_length=60,
        required=False,
        help_text="For example: first meeting, 6-month review",
    )
    mode = forms.ChoiceField(
        label="How was it completed?", choices=Administration.Mode.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, instrument: Instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            self.fields[self.item_field_name(item.id)] = item_field(item)

    @staticmethod
    def item_field_name(item_id: str) -> str:
        return f"item_{item_id}"

    def item_fields(self):
        return [self[self.item_field_name(item.id)] for item in self.instrument.items]

    def answers(self) -> list[float | None]:
        values = []
        for item in self.instrument.items:
            value = self.cleaned_data.get(self.item_field_name(item.id))
            values.append(None if value in (None, "") else float(value))
        return values

    def clean(self):
        data = super().clean()
        if self.is_bound and not self.errors and all(value is None for value in self.answers()):
            raise ValidationError("Enter at least one answer")
        return data
