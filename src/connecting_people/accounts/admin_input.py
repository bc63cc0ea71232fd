"""What the Django admin takes from a request without checking it can stand for a row, checked before it reaches
the database.

Found by fuzzing every form (`core/tests/matrix/test_fuzz_forms.py`): the admin answers 500, not a message, when
- a list's action is sent for selected ids that are not ids at all ("x", a number past any column);
- an autocomplete field (a membership's team or trust) is sent a non-number: the form refuses it, then the
  widget looks the refused value up again to show it, and fails;
- a many-to-many choice (a group's permissions) is a number past 64 bits: the check query fails on SQLite;
- a list's date drill-down (`?attempt_time__year=...`) is a number past what a date can hold;
- a list's search holds NUL (PostgreSQL refuses it in a query, and in the audit event of the search).

`CheckedInputAdmin` (the base of every admin page of ours, through `AuditedAdmin`) and `CheckedFormFields` (for
inlines) refuse such values the way the admin refuses any other wrong input: a message, nothing changed.
"""

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.options import BaseModelAdmin, IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Field
from django.forms import ModelMultipleChoiceField

from connecting_people.core.forms import without_control_characters


def fits(field: Field, value) -> bool:
    """Whether a submitted value can be looked up in `field`'s column: it converts to the field's type, a whole
    number lies within the column's range on this database, and text holds no NUL (PostgreSQL refuses it)."""
    try:
        converted = field.to_python(value)
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    if isinstance(converted, str):
        return "\x00" not in converted
    if isinstance(converted, int) and not isinstance(converted, bool):
        database = connections[router.db_for_read(field.model)]
        try:
            low, high = database.ops.integer_field_range(field.get_internal_type())
        except KeyError:  # not an integer column
            return True
        return (low is None or converted >= low) and (high is None or converted <= high)
    return True


def _target_field(db_field) -> Field:
    """The column a relation's submitted values name (the related model's primary key, usually)."""
    related = db_field.remote_field
    name = getattr(related, "field_name", None) or related.model._meta.pk.name
    return related.model._meta.get_field(name)


class _ChecksShownValues:
    def optgroups(self, name, value, attr=None):
        # A value the form refused is shown again; one that cannot be an id is left out rather than looked up.
        target = _target_field(self.field)
        return super().optgroups(name, [each for each in value if fits(target, each)], attr)


class CheckedAutocompleteSelect(_ChecksShownValues, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(_ChecksShownValues, AutocompleteSelectMultiple):
    pass


class CheckedModelMultipleChoiceField(ModelMultipleChoiceField):
    def _check_values(self, value):
        key = self.to_field_name or "pk"
        target = self.queryset.model._meta.pk if key == "pk" else self.queryset.model._meta.get_field(key)
        for each in value:
            if not fits(target, each):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": each}
                )
        return super()._check_values(value)


class CheckedChangeList(ChangeList):
    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (
            OverflowError
        ) as error:  # a date drill-down past any date; Django catches only ValueError there
            raise IncorrectLookupParameters(error) from error


class CheckedFormFields(BaseModelAdmin):
    """Relation fields (autocomplete and many-to-many) that refuse values no row can have."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", CheckedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class CheckedInputAdmin(CheckedFormFields):
    """A model's admin pages: checked relation fields, list actions on real ids only, date drill-downs within
    the calendar, searches without control characters."""

    def get_changelist(self, request, **kwargs):
        return CheckedChangeList

    def get_search_results(self, request, queryset, search_term):
        # What every form of ours does to typed text: control characters out (PostgreSQL refuses NUL in a query).
        return super().get_search_results(request, queryset, without_control_characters(search_term))

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(fits(self.model._meta.pk, each) for each in selected):
            self.message_user(
                request,
                "The selection was not of items in this list. No items have been changed.",
                messages.ERROR,
            )
            return None  # the admin goes back to the list
        return super().response_action(request, queryset)
