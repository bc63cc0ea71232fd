"""The day, month and year date field: whatever is typed, a date or a message, never a server error."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from connecting_people.core.forms import DateField


def clean(day: str, month: str, year: str):
    return DateField(label="Date of birth").clean([day, month, year])


def test_a_real_date_is_a_date():
    assert clean("17", "5", "1980") == date(1980, 5, 17)


@pytest.mark.parametrize(
    "day, month, year",
    [
        ("31", "2", "2026"),  # no such day
        ("9223372036854775808", "1", "2026"),  # found by fuzzing: more than a C long, once an OverflowError
        ("1", "99999999999999999999", "2026"),
        ("1", "1", "99999"),
        ("x", "1", "2026"),
    ],
)
def test_an_impossible_date_is_a_message(day, month, year):
    with pytest.raises(ValidationError, match="must be a real date"):
        clean(day, month, year)


def test_a_default_fills_the_boxes_when_the_form_opens_and_the_page_can_still_say_otherwise(monkeypatch):
    from connecting_people.core import forms as core_forms

    monkeypatch.setattr(core_forms.timezone, "localdate", lambda: date(2026, 3, 9))

    class When(core_forms.NHSForm):
        on = DateField(label="When", default=core_forms.today)

    assert When()["on"].value() == date(2026, 3, 9)  # worked out when the form is shown, not at import
    assert When(initial={"on": date(2026, 1, 2)})["on"].value() == date(2026, 1, 2)
    typed = When({"on_day": "1", "on_month": "3", "on_year": "2026"})
    assert typed.is_valid() and typed.cleaned_data["on"] == date(2026, 3, 1)
