"""`field()` renders each kind of Django field as the matching NHS.UK component."""

from django import forms
from django.template import engines

from connecting_people.core.forms import NHSForm


class Choices(NHSForm):
    one = forms.ChoiceField(label="One", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    many = forms.MultipleChoiceField(
        label="Many", choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple, required=False
    )


def render(name: str, data=None) -> str:
    template = engines["jinja2"].env.from_string("{{ field(form[name]) }}")
    return template.render(form=Choices(data), name=name)


def test_radios_are_radios():
    html = render("one")
    assert 'type="radio"' in html and 'id="id_one_0"' in html and "nhsuk-radios" in html


def test_checkboxes_are_checkboxes_not_radios():
    # Django's CheckboxSelectMultiple subclasses RadioSelect; it must still render as checkboxes.
    html = render("many", {"many": ["a", "b"]})
    assert 'type="checkbox"' in html and 'type="radio"' not in html
    assert "nhsuk-checkboxes" in html and html.count("checked") == 2
