"""Forms for building a connections map with the person: one short form per entry, a date for a new map."""

from django import forms
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from connecting_people.connections import models
from connecting_people.connections.interchange import LABEL_MAX_LENGTH, MAP_FILES_LIMIT_BYTES, MAX_FILES
from connecting_people.connections.services import EntryData
from connecting_people.core.forms import DateField, NHSForm, VersionField
from connecting_people.core.input_limits import megabytes


class EntryForm(NHSForm):
    label = forms.CharField(
        label="Name",
        max_length=LABEL_MAX_LENGTH,
        help_text="A first name or initials for a person. The name of a group, place or service.",
        error_messages={
            "required": "Enter a name for this entry",
            "max_length": f"Name must be {LABEL_MAX_LENGTH} characters or fewer",
        },
        widget=forms.TextInput(attrs={"spellcheck": False}),
    )
    kind = forms.ChoiceField(
        label="Who or what is it?",
        choices=models.KIND_CHOICES,
        widget=forms.RadioSelect,
        initial="person",
        error_messages={"required": "Select whether it is a person, group, place or service"},
    )
    category = forms.ChoiceField(
        label="Relationship",
        choices=[("", "Choose a relationship"), *models.CATEGORY_CHOICES],
        error_messages={"required": "Select the relationship"},
    )
    ring = forms.ChoiceField(
        label="How close do they feel?",
        choices=models.RING_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how close they feel"},
    )
    supports = forms.MultipleChoiceField(
        label="What support do they give? (optional)",
        choices=models.SUPPORT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    frequency = forms.ChoiceField(
        label="How often are you in touch? (optional)",
        choices=[("", "Not asked"), *models.FREQUENCY_CHOICES],
        required=False,
    )
    wish = forms.ChoiceField(
        label="What would the person like? (optional)",
        choices=models.WISH_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )
    version = VersionField()  # when changing an entry

    @classmethod
    def initial_for(cls, entry: models.MapEntry) -> dict:
        return {
            "version": entry.version,
            "label": entry.label,
            "kind": entry.kind,
            "category": entry.category,
            "ring": entry.ring,
            "supports": list(entry.supports),
            "frequency": entry.frequency,
            "wish": entry.wish,
        }

    def entry_data(self) -> EntryData:
        data = self.cleaned_data
        return EntryData(
            label=data["label"],
            kind=data["kind"],
            category=data["category"],
            ring=data["ring"],
            supports=tuple(data["supports"]),
            frequency=data["frequency"],
            wish=data["wish"],
        )


GUESS = "Guess from the name"


class QuickEntryForm(NHSForm):
    """Adding to the map in one go: a name, then Enter. Kind, relationship and ring may be chosen; left empty,
    they are guessed from the name (`lexicon`), and changed in place afterwards."""

    label = EntryForm.base_fields["label"]
    kind = forms.ChoiceField(
        label="Who or what is it? (optional)", choices=[("", GUESS), *models.KIND_CHOICES], required=False
    )
    category = forms.ChoiceField(
        label="Relationship (optional)", choices=[("", GUESS), *models.CATEGORY_CHOICES], required=False
    )
    ring = forms.ChoiceField(
        label="How close do they feel? (optional)",
        choices=[("", GUESS), *models.RING_CHOICES],
        required=False,
    )

    def entry_data(self) -> EntryData:
        data = self.cleaned_data
        return EntryData(label=data["label"], kind=data["kind"], category=data["category"], ring=data["ring"])


class EntryDetailsForm(EntryForm):
    """The same fields as EntryForm, drawn compactly for the details panel beside the map (selects instead of
    long radio lists), with ids of their own so that the quick-add form can sit on the same page."""

    kind = forms.ChoiceField(
        label="Who or what is it?",
        choices=models.KIND_CHOICES,
        error_messages=EntryForm.base_fields["kind"].error_messages,
    )
    wish = forms.ChoiceField(
        label="What would the person like? (optional)",
        choices=[("", "Not asked"), *models.WISH_CHOICES],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "entry_%s")
        super().__init__(*args, **kwargs)
        self.fields["label"].help_text = ""


class MoveForm(NHSForm):
    """Where an entry was dragged (or moved with the arrow keys) to: a ring and a relationship (sector)."""

    ring = forms.ChoiceField(choices=models.RING_CHOICES, error_messages={"required": "Choose a ring"})
    category = forms.ChoiceField(
        choices=models.CATEGORY_CHOICES, error_messages={"required": "Choose a relationship"}
    )
    version = VersionField()


class RestoreForm(NHSForm):
    """Undo: which of the entries taken off the map in this session to put back."""

    undo = forms.CharField(max_length=64)


class TiesForm(NHSForm):
    ties = forms.TypedMultipleChoiceField(
        label="Who or what on the map is this entry connected to? (optional)",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick the entries who know each other or are part of the same group.",
    )
    version = VersionField()

    def __init__(self, *args, others: list[models.MapEntry], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ties"].choices = [(other.pk, other.label) for other in others]


class RemoveForm(NHSForm):
    """Taking an entry off the map: only the version of the entry the page showed."""

    version = VersionField()


class SnapshotForm(NHSForm):
    taken_on = DateField(label="Date of this map", past_only=True)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input: cleaned to a list of uploads."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        if not uploads:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(upload, initial) for upload in uploads]


IMPORT_TOO_LARGE = f"The files must be {megabytes(MAP_FILES_LIMIT_BYTES)} or smaller in all"


class UploadLimit(FileUploadHandler):
    """Stops taking an upload once its files pass `limit` bytes in all, so that a huge upload is neither held
    in memory nor written to a temporary file. It marks the request (`upload_over_limit`) for the page to say
    why, and reads the rest of the request without keeping it, so the browser gets the page and not a reset
    connection. The form fields sent before the files (the CSRF token among them) are kept.

    Install it before the request's POST is read: `request.upload_handlers.insert(0, UploadLimit(...))`."""

    def __init__(self, request, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.upload_over_limit = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None  # the handlers after this one keep the file


class ImportForm(NHSForm):
    """One JSON or GraphML file, a zip of a Network Canvas export, or its CSV files: at most MAX_FILES files and
    MAP_FILES_LIMIT_BYTES in all, the limits the importer has (and the upload handler the page installs)."""

    files = MultipleFileField(
        label="Files",
        error_messages={"required": "Select the files to import"},
    )
    taken_on = DateField(label="Date of this map (optional)", past_only=True, required=False)

    def __init__(self, *args, over_limit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.over_limit = over_limit

    def clean_files(self):
        uploads = self.cleaned_data["files"]
        if len(uploads) > MAX_FILES:
            raise forms.ValidationError(f"Select at most {MAX_FILES} files")
        if sum(upload.size for upload in uploads) > MAP_FILES_LIMIT_BYTES:
            raise forms.ValidationError(IMPORT_TOO_LARGE)
        return uploads

    def full_clean(self):
        super().full_clean()
        if self.over_limit and self.is_bound:
            # The upload was cut short: whatever files arrived are not the whole of what was sent.
            self.errors.pop("files", None)
            self.add_error("files", IMPORT_TOO_LARGE)
