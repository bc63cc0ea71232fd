"""One call renders a complete NHS.UK field group (label, hint, error, input) for a bound Django form field.

Used from templates as `{{ field(form["given_name"]) }}` and `{{ error_summary(form) }}`.
"""

from typing import Any

from django import forms
from jinja2 import Environment, pass_environment
from markupsafe import Markup

from connecting_people.core.forms import DateInputWidget

_MACROS = {
    "input": ("nhsuk/components/input/macro.jinja", "input"),
    "textarea": ("nhsuk/components/textarea/macro.jinja", "textarea"),
    "select": ("nhsuk/components/select/macro.jinja", "select"),
    "radios": ("nhsuk/components/radios/macro.jinja", "radios"),
    "checkboxes": ("nhsuk/components/checkboxes/macro.jinja", "checkboxes"),
    "date": ("nhsuk/components/date-input/macro.jinja", "dateInput"),
    "error_summary": ("nhsuk/components/error-summary/macro.jinja", "errorSummary"),
}


def _macro(env: Environment, key: str):
    path, name = _MACROS[key]
    return getattr(env.get_template(path).module, name)


def field_anchor(bound_field) -> str:
    """The id the error summary links to: the first box of a date, the first radio, or the input."""
    widget = bound_field.field.widget
    if isinstance(widget, DateInputWidget):
        return f"{bound_field.auto_id}_day"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id


def _error(bound_field) -> dict[str, str] | None:
    return {"text": bound_field.errors[0]} if bound_field.errors else None


@pass_environment
def field(
    env: Environment,
    bound_field,
    *,
    hint: str | None = None,
    classes: str | None = None,
    label_size: str | None = None,
    autocomplete: str | None = None,
    input_type: str | None = None,
) -> Markup:
    widget = bound_field.field.widget
    label_text = str(bound_field.label)
    hint_text = hint if hint is not None else (str(bound_field.help_text) if bound_field.help_text else None)
    common: dict[str, Any] = {
        "id": bound_field.auto_id,
        "name": bound_field.html_name,
        "hint": {"text": hint_text} if hint_text else None,
        "errorMessage": _error(bound_field),
    }
    legend = {"text": label_text, "classes": f"nhsuk-fieldset__legend--{label_size}" if label_size else None}
    if isinstance(widget, forms.HiddenInput):
        return Markup(str(bound_field))
    if isinstance(widget, DateInputWidget):
        values = bound_field.value()
        if not isinstance(values, list | tuple):
            values = widget.decompress(values)
        day, month, year = (list(values) + [None, None, None])[:3]
        items = [
            {
                "id": f"{bound_field.auto_id}_{part}",
                "name": f"{bound_field.html_name}_{part}",
                "label": part.capitalize(),
                "value": value or "",
                "width": 4 if part == "year" else 2,
                "classes": "nhsuk-input--error" if bound_field.errors else None,
            }
            for part, value in (("day", day), ("month", month), ("year", year))
        ]
        return _macro(env, "date")(common | {"items": items, "fieldset": {"legend": legend}})
    label = {"text": label_text, "classes": f"nhsuk-label--{label_size}" if label_size else None}
    value = bound_field.value()
    if hasattr(bound_field.field, "prepare_value"):
        value = bound_field.field.prepare_value(value)
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        chosen = {str(v) for v in (value if isinstance(value, list | tuple) else [value])}
        items = [
            {"value": str(choice_value), "text": str(choice_label), "checked": str(choice_value) in chosen}
            for choice_value, choice_label in bound_field.field.choices
            if choice_value != ""
        ]
        # The first item's id is <id>_0 so the error summary can link to it.
        for index, item in enumerate(items):
            item["id"] = f"{bound_field.auto_id}_{index}"
        # CheckboxSelectMultiple is a subclass of RadioSelect in Django, so ask about it first.
        key = "checkboxes" if isinstance(widget, forms.CheckboxSelectMultiple) else "radios"
        params = common | {"idPrefix": bound_field.auto_id, "items": items, "fieldset": {"legend": legend}}
        if classes:
            params["classes"] = classes
        return _macro(env, key)(params)
    if isinstance(widget, forms.Select):
        items = [
            {
                "value": str(choice_value),
                "text": str(choice_label),
                "selected": str(choice_value) == str(value or ""),
            }
            for choice_value, choice_label in bound_field.field.choices
        ]
        return _macro(env, "select")(common | {"label": label, "items": items, "classes": classes})
    if isinstance(widget, forms.Textarea):
        return _macro(env, "textarea")(common | {"label": label, "value": value or "", "classes": classes})
    html_type = input_type or getattr(widget, "input_type", "text")
    if html_type == "password" and not getattr(widget, "render_value", False):
        value = None  # never send a typed password back in the page (Django's PasswordInput does the same)
    params = common | {
        "label": label,
        "value": value if value is not None else "",
        "classes": classes,
        "type": html_type,
    }
    if autocomplete:
        params["autocomplete"] = autocomplete
    if widget.attrs.get("inputmode"):
        params["inputmode"] = widget.attrs["inputmode"]
    if widget.attrs.get("spellcheck") is not None:
        params["spellcheck"] = widget.attrs["spellcheck"]
    return _macro(env, "input")(params)


@pass_environment
def error_summary(env: Environment, form) -> Markup:
    """The error summary at the top of a page, linking each message to its field."""
    if not form.errors:
        return Markup("")
    # An error about the whole form links to its first field, so following the link still lands somewhere useful.
    visible = [bound for bound in form if not bound.is_hidden]
    first = f"#{field_anchor(visible[0])}" if visible else "#maincontent"
    items = [{"text": str(error), "href": first} for error in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == forms.forms.NON_FIELD_ERRORS:
            continue
        items.append({"text": str(errors[0]), "href": f"#{field_anchor(form[name])}"})
    return _macro(env, "error_summary")({"titleText": "There is a problem", "errorList": items})
