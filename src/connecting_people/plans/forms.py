"""Forms for assess, plan, do and review: short, in plain words, one page each. Dates come filled in with
what they usually are (today, a fortnight on, the team's next review), to be typed over when not."""

from datetime import timedelta

from django import forms

from connecting_people.connections import models as map_models
from connecting_people.connections.interchange import LABEL_MAX_LENGTH
from connecting_people.connections.services import EntryData
from connecting_people.core.forms import DateField, NHSForm, TagListField, VersionField, today
from connecting_people.plans.due import REVIEW_EVERY_WEEKS
from connecting_people.plans.models import Activity, Barrier, Goal, Link, Review, Step
from connecting_people.plans.services import (
    LEVEL_FIELDS,
    ActivityData,
    AssessmentData,
    GoalData,
    ReviewData,
    StepData,
)

STEP_WITHIN = timedelta(weeks=2)  # a step is due a fortnight on unless the practitioner says otherwise


def in_two_weeks():
    return today() + STEP_WITHIN


WEIGHT_CHOICES = [("", "Not rated"), ("0", "0"), ("1", "1"), ("2", "2"), ("3", "3")]
LEVEL_LABELS = {
    2: "+2: much more than expected",
    1: "+1: somewhat more than expected",
    0: "0: the expected outcome",
    -1: "−1: somewhat less than expected",
    -2: "−2: much less than expected",
}


class AssessmentForm(NHSForm):
    assessed_on = DateField(label="Date talked about", past_only=True, default=today)
    strengths = TagListField(
        label="Strengths (optional)", help_text="Separate each with a comma, for example: cooking, listening"
    )
    interests = TagListField(
        label="Interests (optional)", help_text="Separate each with a comma, for example: gardening, football"
    )
    strengths_in_own_words = forms.CharField(
        label="What they are good at, in their own words (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    aspirations = forms.CharField(
        label="What they would like, in their own words (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    barriers = forms.MultipleChoiceField(
        label="What gets in the way? (optional)",
        choices=Barrier.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    barriers_in_own_words = forms.CharField(
        label="What gets in the way, in their own words (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def assessment_data(self) -> AssessmentData:
        data = self.cleaned_data
        return AssessmentData(
            assessed_on=data["assessed_on"],
            aspirations=data["aspirations"],
            strengths_in_own_words=data["strengths_in_own_words"],
            barriers=tuple(data["barriers"]),
            barriers_in_own_words=data["barriers_in_own_words"],
            strengths=tuple(data["strengths"]),
            interests=tuple(data["interests"]),
        )


class GoalForm(NHSForm):
    """A goal with its goal attainment scale and, when it is new, its first step: one page, one save."""

    text = forms.CharField(
        label="The goal, in the person's words",
        max_length=300,
        error_messages={"required": "Enter the goal, in the person's words"},
    )
    level_0 = forms.CharField(
        label="What do you both expect by the next review?",
        max_length=300,
        required=False,
        help_text="The expected outcome: 0 on the goal's attainment scale",
    )
    level_plus_2 = forms.CharField(label=LEVEL_LABELS[2], max_length=300, required=False)
    level_plus_1 = forms.CharField(label=LEVEL_LABELS[1], max_length=300, required=False)
    level_minus_1 = forms.CharField(label=LEVEL_LABELS[-1], max_length=300, required=False)
    level_minus_2 = forms.CharField(label=LEVEL_LABELS[-2], max_length=300, required=False)
    step_what = forms.CharField(
        label="What is the first step? (optional)",
        max_length=300,
        required=False,
        help_text="Leave it blank to add steps later",
    )
    step_owner = forms.ChoiceField(  # needed for a step only: the service says so when it is missing
        label="Who will do it?",
        choices=Step.Owner.choices,
        widget=forms.RadioSelect,
        initial="person",
        required=False,
    )
    step_owner_name = forms.CharField(
        label="If someone else, who?", max_length=100, required=False, help_text="A first name or a role"
    )
    step_due_on = DateField(label="By when?", required=False, default=in_two_weeks)
    importance = forms.TypedChoiceField(
        label="How important is it to them? (optional)",
        choices=WEIGHT_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text="0 not at all to 3 very. With difficulty, this weights the goal in the review score.",
    )
    difficulty = forms.TypedChoiceField(
        label="How hard will it be? (optional)",
        choices=WEIGHT_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text="0 not at all to 3 very",
    )
    map_entry_keys = forms.MultipleChoiceField(
        label="Who or what on their map is it about? (optional)",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    opportunities = forms.TypedMultipleChoiceField(
        label="Which community opportunities is it about? (optional)",
        widget=forms.CheckboxSelectMultiple,
        coerce=int,
        required=False,
    )
    status = forms.ChoiceField(
        label="How is it going?", choices=Goal.Status.choices, widget=forms.RadioSelect
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    # The service's names for the first step's fields, and the form's.
    STEP_FIELDS = {
        "what": "step_what",
        "owner": "step_owner",
        "owner_name": "step_owner_name",
        "due_on": "step_due_on",
    }

    def __init__(self, *args, entries=(), opportunities=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["map_entry_keys"].choices = [(str(entry.key), entry.label) for entry in entries]
        self.fields["opportunities"].choices = [(o.pk, o.name) for o in opportunities]
        if not entries:
            del self.fields["map_entry_keys"]
        if not opportunities:
            del self.fields["opportunities"]
        if editing:
            for name in self.STEP_FIELDS.values():
                del self.fields[name]
        else:
            del self.fields["status"]

    @classmethod
    def initial_for(cls, goal: Goal) -> dict:
        initial = {
            name: getattr(goal, name) for name in (*LEVEL_FIELDS.values(), "text", "status", "version")
        }
        initial["importance"] = "" if goal.importance is None else str(goal.importance)
        initial["difficulty"] = "" if goal.difficulty is None else str(goal.difficulty)
        initial["map_entry_keys"] = list(goal.map_entry_keys)
        initial["opportunities"] = [o.pk for o in goal.opportunities.all()]
        return initial

    def level_fields(self):
        """The four levels around the expected outcome, highest first."""
        return [self[name] for name in ("level_plus_2", "level_plus_1", "level_minus_1", "level_minus_2")]

    def levels_to_complete(self) -> int:
        return sum(1 for bound in self.level_fields() if not (bound.value() or "").strip())

    def shows_open(self, names) -> bool:
        """Whether a folded part of the page holding these fields opens: when changing a goal, or when one of
        them has an error or something typed in, so nothing entered or wrong is hidden."""
        bound = [self[name] for name in names if name in self.fields]
        return "status" in self.fields or any(
            field.errors or (self.is_bound and field.value() not in (None, "", [])) for field in bound
        )

    def levels_open(self) -> bool:
        return self.shows_open(["level_plus_2", "level_plus_1", "level_minus_1", "level_minus_2"])

    def more_open(self) -> bool:
        return self.shows_open(["importance", "difficulty", "map_entry_keys", "opportunities"])

    def first_step(self) -> StepData | None:
        """The first step typed with a new goal, or None when its "what" was left blank."""
        data = self.cleaned_data
        if "step_what" not in data or not data["step_what"].strip():
            return None
        return StepData(
            what=data["step_what"],
            owner=data["step_owner"],
            owner_name=data["step_owner_name"],
            due_on=data["step_due_on"],
        )

    def goal_data(self) -> GoalData:
        data = self.cleaned_data
        return GoalData(
            text=data["text"],
            levels={level: data[name] for level, name in LEVEL_FIELDS.items()},
            importance=data["importance"],
            difficulty=data["difficulty"],
            map_entry_keys=tuple(data.get("map_entry_keys") or ()),
            opportunity_ids=tuple(data.get("opportunities") or ()),
            status=data.get("status") or Goal.Status.ACTIVE,
        )


class StepForm(NHSForm):
    what = forms.CharField(
        label="What is the step?", max_length=300, error_messages={"required": "Enter what the step is"}
    )
    owner = forms.ChoiceField(
        label="Who will do it?",
        choices=Step.Owner.choices,
        widget=forms.RadioSelect,
        initial="person",
        error_messages={"required": "Select who will do it"},
    )
    owner_name = forms.CharField(
        label="If someone else, who? (optional)",
        max_length=100,
        required=False,
        help_text="A first name or a role",
    )
    due_on = DateField(label="By when?", default=in_two_weeks)
    version = VersionField()  # when changing a step

    def step_data(self) -> StepData:
        data = self.cleaned_data
        return StepData(
            what=data["what"], owner=data["owner"], owner_name=data["owner_name"], due_on=data["due_on"]
        )


class StepDoneForm(NHSForm):
    """The "Mark done" and "Not done" buttons of the plan page."""

    done = forms.TypedChoiceField(
        choices=[("yes", "Done"), ("no", "Not done")], coerce=lambda value: value == "yes"
    )
    version = VersionField()


class ActivityForm(NHSForm):
    kind = forms.ChoiceField(
        label="What happened?",
        choices=Activity.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what happened"},
    )
    occurred_on = DateField(label="When?", past_only=True, default=today)
    opportunity = forms.TypedChoiceField(
        label="Where? (for a visit or a session)", coerce=int, empty_value=None, required=False
    )
    help_given = forms.MultipleChoiceField(
        label="Practical help given (optional)",
        choices=Activity.Help.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    barriers = forms.MultipleChoiceField(
        label="Barriers met (optional)",
        choices=Barrier.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    notes = forms.CharField(
        label="Notes (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text="What happened, and how any barrier was tackled",
    )
    goal = forms.TypedChoiceField(
        label="Which goal is it for? (optional)", coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args, opportunities=(), goals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opportunity"].choices = [("", "Not at an opportunity")] + [
            (o.pk, o.name) for o in opportunities
        ]
        self.fields["goal"].choices = [("", "Not for a particular goal")] + [(g.pk, g.text) for g in goals]

    def activity_data(self) -> ActivityData:
        data = self.cleaned_data
        return ActivityData(
            kind=data["kind"],
            occurred_on=data["occurred_on"],
            help_given=tuple(data["help_given"]),
            barriers=tuple(data["barriers"]),
            notes=data["notes"],
            opportunity_id=data["opportunity"],
            goal_id=data["goal"],
        )


class LinkForm(NHSForm):
    status = forms.ChoiceField(
        label="Where are things now?",
        choices=Link.Status.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select where things are"},
    )
    reason = forms.CharField(
        label="If it stopped, why? (optional otherwise)",
        max_length=300,
        required=False,
    )
    changed_on = DateField(label="Since when?", past_only=True, default=today)
    version = forms.IntegerField(widget=forms.HiddenInput)


class LinkMoveForm(NHSForm):
    """The buttons on a community link's row that move it on (stopping needs a reason: the link's own page)."""

    status = forms.ChoiceField(
        choices=[(code, label) for code, label in Link.Status.choices if code != Link.Status.STOPPED],
        error_messages={"required": "Select where things are", "invalid_choice": "Select where things are"},
    )
    version = VersionField()


class ReviewForm(NHSForm):
    held_on = DateField(label="Date of the review", past_only=True, default=today)
    decision = forms.ChoiceField(
        label="What happens next?",
        choices=Review.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what happens next"},
    )
    next_review_on = DateField(label="Next review (not needed when moving on)", required=False)
    start_new_map = forms.ChoiceField(
        label="Connections map",
        choices=[("yes", "Start a new map from the last one, to update together"), ("no", "Not this time")],
        widget=forms.RadioSelect,
        initial="yes",
    )
    notes = forms.CharField(
        label="Notes (optional)", widget=forms.Textarea(attrs={"rows": 4}), max_length=4000, required=False
    )

    def __init__(
        self, *args, goals=(), map_started: bool = False, review_every_weeks: int | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.goals = list(goals)
        self.fields["next_review_on"].help_text = (
            f"Filled in {review_every_weeks} weeks on, as your team plans reviews"
            if review_every_weeks
            else f"Filled in {REVIEW_EVERY_WEEKS} weeks on"
        )
        if map_started:  # the new map was started on the review page: the review uses it
            del self.fields["start_new_map"]
        for goal in self.goals:
            self.fields[self.goal_field(goal.pk)] = forms.TypedChoiceField(
                label=goal.text,
                choices=[(str(level), level_choice(level, text)) for level, text in goal.levels()]
                + [("none", "Not scored this time")],
                coerce=lambda value: None if value == "none" else int(value),
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Score the goal “{goal.text}”, or choose “Not scored this time”"
                },
            )

    @staticmethod
    def goal_field(goal_id: int) -> str:
        return f"goal_{goal_id}"

    def goal_fields(self):
        return [self[self.goal_field(goal.pk)] for goal in self.goals]

    def goal_rows(self):
        """(goal, its score's bound field) for each goal being scored."""
        return [(goal, self[self.goal_field(goal.pk)]) for goal in self.goals]

    def review_data(self) -> ReviewData:
        data = self.cleaned_data
        return ReviewData(
            held_on=data["held_on"],
            decision=data["decision"],
            next_review_on=data["next_review_on"],
            scores={goal.pk: data[self.goal_field(goal.pk)] for goal in self.goals},
            notes=data["notes"],
            start_new_map=data.get("start_new_map", "yes") == "yes",
        )


def level_choice(level: int, text: str) -> str:
    """A score's radio label: the level with what it would look like, or, for a level still to describe, its
    meaning on every goal attainment scale (read against the goal's expected outcome)."""
    return f"{LEVEL_LABELS[level]}: {text}" if text else f"{LEVEL_LABELS[level]} (not described)"


class ReviewMapEntryForm(NHSForm):
    """Someone or something new on the map, added from the review page. The three choices come set to the
    usual answer and are changed in place, or later on the map itself."""

    label = forms.CharField(
        label="Name",
        max_length=LABEL_MAX_LENGTH,
        help_text="A first name or initials for a person",
        error_messages={"required": "Enter a name for this entry"},
        widget=forms.TextInput(attrs={"spellcheck": False}),
    )
    kind = forms.ChoiceField(label="Who or what", choices=map_models.KIND_CHOICES, initial="person")
    category = forms.ChoiceField(label="Relationship", choices=map_models.CATEGORY_CHOICES, initial="friend")
    ring = forms.ChoiceField(label="How close", choices=map_models.RING_CHOICES, initial="middle")

    def entry_data(self) -> EntryData:
        data = self.cleaned_data
        return EntryData(label=data["label"], kind=data["kind"], category=data["category"], ring=data["ring"])
