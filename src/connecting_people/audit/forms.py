"""Finding an audit trail by record number."""

from django import forms

from connecting_people.core.forms import ControlCharactersRemoved


class RecordNumberForm(ControlCharactersRemoved, forms.Form):
    record = forms.IntegerField(
        label="Record number",
        min_value=1,
        help_text="The number in the record's web address, for example 123 in /people/123/",
        error_messages={"invalid": "Enter a record number, like 123", "required": "Enter a record number"},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": False}),
    )
