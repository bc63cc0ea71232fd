"""Form fields shaped for the NHS.UK design system: a day/month/year date, yes/no radios, tag lists; and the one
rule every form of ours applies to what is typed into it: control characters are taken out."""

import re
from collections.abc import Callable
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme

# C0 controls other than tab, line feed and carriage return; DEL; and the C1 controls. Typed text has no use for
# them (they are invisible, or ring a bell, or start a terminal escape sequence); they arrive by pasting.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_control_characters(text: str) -> str:
    """`text` with its control characters (see CONTROL_CHARACTERS) taken out. Tabs and line breaks stay."""
    return CONTROL_CHARACTERS.sub("", text)


class ControlCharactersRemoved:
    """Mixed into every form of ours (the NHSForm base has it; a form on another Django base names it first):
    before any field sees the submitted data, control characters are taken out of every value, except the
    values of password fields, which are compared as typed. Removed rather than refused: they are invisible, so
    a person told to take them out could not see what to change, and they carry nothing a record needs. A
    test walks every form class in the project and fails for one without this."""

    def full_clean(self):
        if self.is_bound:
            as_typed = {self.add_prefix(name) for name, field in self.fields.items() if _is_password(field)}
            self.data = _data_without_control_characters(self.data, keep=as_typed)
        super().full_clean()


def _is_password(field: forms.Field) -> bool:
    return isinstance(field.widget, forms.PasswordInput)


def _cleaned_value(value):
    if isinstance(value, str):
        return without_control_characters(value)
    if isinstance(value, list | tuple):
        return type(value)(_cleaned_value(item) for item in value)
    return value


def _data_without_control_characters(data, *, keep: set[str]):
    if isinstance(data, MultiValueDict):
        cleaned = data.copy()  # a QueryDict's copy can be changed; the request's own stays as it came
        for key, values in data.lists():
            if key not in keep:
                cleaned.setlist(key, [_cleaned_value(value) for value in values])
        return cleaned
    return {key: value if key in keep else _cleaned_value(value) for key, value in data.items()}


class DateInputWidget(forms.MultiWidget):
    """Three boxes (day, month, year) submitted as <name>_day, <name>_month, <name>_year."""

    template_name = "django/forms/widgets/multiwidget.html"

    def __init__(self, attrs=None):
        super().__init__(
            widgets={"day": forms.TextInput, "month": forms.TextInput, "year": forms.TextInput}, attrs=attrs
        )

    def decompress(self, value):
        if isinstance(value, date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]


def today() -> date:
    """Today's date where the service runs: the default of a date that records what happened today."""
    return timezone.localdate()


class DateField(forms.Field):
    """A date typed as day, month and year, with the design system's error messages.

    `default` (a function, called when the form is opened) fills the three boxes in advance, so a date that
    usually is today, or a fortnight on, costs nothing to enter and is still typed over when it is not. A
    value the page passes in `initial` wins over it."""

    widget = DateInputWidget

    def __init__(
        self,
        *,
        label: str,
        past_only: bool = False,
        future_only: bool = False,
        default: Callable[[], date] | None = None,
        **kwargs,
    ):
        self.past_only = past_only
        self.future_only = future_only
        if default is not None:
            kwargs.setdefault("initial", default)  # Django calls a callable initial when the form is shown
        super().__init__(label=label, **kwargs)

    def to_python(self, value):
        if isinstance(value, date):
            return value
        parts = ["" if part is None else str(part).strip() for part in (value or [])] + ["", "", ""]
        day, month, year = parts[:3]
        name = self.label
        if not any((day, month, year)):
            if self.required:
                raise ValidationError(f"Enter {name.lower()}", code="required")
            return None
        missing = [label for label, part in (("day", day), ("month", month), ("year", year)) if not part]
        if missing:
            raise ValidationError(f"{name} must include a {' and a '.join(missing)}", code="incomplete")
        if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(year) != 4:
            raise ValidationError(f"{name} must be a real date", code="invalid")
        try:
            return date(int(year), int(month), int(day))
        except (ValueError, OverflowError) as error:  # OverflowError: a day or month beyond any integer
            raise ValidationError(f"{name} must be a real date", code="invalid") from error

    def validate(self, value):
        super().validate(value)
        now = today()
        if value and self.past_only and value > now:
            raise ValidationError(f"{self.label} must be today or in the past", code="future")
        if value and self.future_only and value < now:
            raise ValidationError(f"{self.label} must be today or in the future", code="past")
        if value and value.year < 1900:
            raise ValidationError(f"{self.label} must be after 1900", code="too_early")

    def bound_data(self, data, initial):
        return data


YES_NO_UNKNOWN = [("yes", "Yes"), ("no", "No"), ("unknown", "Not asked yet")]


class YesNoField(forms.ChoiceField):
    """Yes / No / Not asked yet, cleaned to True / False / None."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs):
        super().__init__(choices=YES_NO_UNKNOWN, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return {"yes": True, "no": False}.get(value)

    def prepare_value(self, value):
        return {True: "yes", False: "no", None: "unknown"}.get(value, value)


class TagListField(forms.CharField):
    """A comma-separated list of short tags ("walking, cooking"), cleaned to a sorted list without repeats."""

    def __init__(self, *, max_tags: int = 20, max_tag_length: int = 60, **kwargs):
        self.max_tags = max_tags
        self.max_tag_length = max_tag_length
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def clean(self, value):
        text = super().clean(value) or ""
        tags = sorted({part.strip().lower() for part in text.split(",") if part.strip()})
        if len(tags) > self.max_tags:
            raise ValidationError(f"{self.label} can have {self.max_tags} entries at most", code="too_many")
        too_long = [tag for tag in tags if len(tag) > self.max_tag_length]
        if too_long:
            raise ValidationError(
                f"Each entry in {self.label.lower()} must be {self.max_tag_length} characters or fewer",
                code="too_long",
            )
        return tags


class VersionField(forms.IntegerField):
    """The version of the record the page was opened with, sent back hidden so the service can refuse a save
    when someone else saved the record in between (StaleRecordError). Empty (a form without it) reads as 0,
    which no saved record has, so a save that does not say which version it changes is refused too."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)

    def clean(self, value):
        return super().clean(value) or 0


class NHSForm(ControlCharactersRemoved, forms.Form):
    """A form whose "required" messages say what to do, as the design system asks ("Enter your given name"), and
    whose submitted text has its control characters taken out (`ControlCharactersRemoved`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.error_messages.get("required") != "This field is required.":
                continue
            label = str(field.label or "").removesuffix(" (optional)").rstrip("?")
            if isinstance(field.widget, forms.RadioSelect | forms.Select | forms.CheckboxSelectMultiple):
                field.error_messages["required"] = f"Select an answer: {label[:1].lower()}{label[1:]}"
            else:
                field.error_messages["required"] = f"Enter {label[:1].lower()}{label[1:]}"


def show_service_error(form: forms.Form, error, field_names: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the form: against its field when the form has it, else at the top.
    `field_names` maps a service's field name to the form's where they differ."""
    field = (field_names or {}).get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)


def saved_by_someone_else(request, error, to, *args, **kwargs):
    """A save refused because someone else saved the record first (StaleRecordError): back to `to` (anything
    `redirect` takes), the page that shows what they saved, with the refusal in a banner on top."""
    from django.contrib import messages
    from django.shortcuts import redirect

    messages.error(request, error.message)
    return redirect(to, *args, **kwargs)


def posted(request):
    """A form's data: the POST, even an empty one (every box unticked still means "save this"), or None for a
    GET. `request.POST or None` would treat an empty POST as no submission at all."""
    return request.POST if request.method == "POST" else None


NEXT_LENGTH_LIMIT = 500


def next_url(request) -> str | None:
    """Where to go after a save, when the page was opened with `?next=` (or posted it): a path on this site
    only, so a link made elsewhere cannot send the practitioner to another site after they save. None when
    there is none or it is not safe."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if (
        not candidate
        or len(candidate) > NEXT_LENGTH_LIMIT
        or not candidate.startswith("/")
        or candidate.startswith(("//", "/\\"))
        or any(character.isspace() or not character.isprintable() for character in candidate)
        or not url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()})
    ):
        return None
    return candidate


def form_saved(
    request,
    form: forms.Form,
    save: Callable[[], object],
    *,
    then,
    saved: str | Callable[[object], str] | None = None,
    stale_to=None,
    field_names: dict[str, str] | None = None,
):
    """The one way a page saves a valid form through a service. `save` makes the service call and returns what
    it made. On success: `saved` (text, or made from the result) as a success banner, then the response from
    `then`: a response or anything `redirect` takes, or a callable given the result that returns one of those.
    On StaleRecordError: back to `stale_to` (default: this page) with the refusal in a banner. On any other
    ServiceError: the refusal is put on the form (`show_service_error`) and None is returned, so the caller
    renders the form again. Returns None without calling `save` when the form is not a valid submission."""
    from django.contrib import messages
    from django.http import HttpResponseBase
    from django.shortcuts import redirect

    from connecting_people.core.errors import ServiceError, StaleRecordError

    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = save()
    except StaleRecordError as error:
        return saved_by_someone_else(request, error, stale_to or request.get_full_path())
    except ServiceError as error:
        show_service_error(form, error, field_names)
        return None
    if saved:
        messages.success(request, saved(result) if callable(saved) else saved)
    onward = then(result) if callable(then) else then
    return onward if isinstance(onward, HttpResponseBase) else redirect(onward)
