"""The evaluation study: set-up (sites, team allocation, timepoints and their instruments, unit costs, members),
participants (enrolment, consent, withdrawal), research assessments by timepoint, screening counts for the
flow diagram, and the exports and reports made from them.

Research data live here, apart from practice records: a participant may be linked to a person supported (enrolled
from a participating team) or be research-only (no record in practice). Researchers see participants under
their study number only; views read everything through `selectors` and write only through `services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from connecting_people.accounts.models import Team, Trust
from connecting_people.people.models import Person


class Arm(models.TextChoices):
    INTERVENTION = "intervention", "Intervention"
    CONTROL = "control", "Control"


class Study(models.Model):
    class Status(models.TextChoices):
        SETTING_UP = "setting_up", "Setting up"
        RECRUITING = "recruiting", "Recruiting"
        FOLLOW_UP = "follow_up", "Follow-up only"
        CLOSED = "closed", "Closed"

    code = models.SlugField(max_length=20, unique=True, help_text="Short code, the prefix of study numbers")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SETTING_UP)
    starts_on = models.DateField()
    consent_version = models.CharField(max_length=40, help_text="Current version of the consent form")
    allocation_seed = models.BigIntegerField(null=True, blank=True)
    primary_instrument = models.CharField(max_length=64, default="resource_generator_example")
    utility_instrument = models.CharField(max_length=64, default="eq5d5l")
    service_use_instrument = models.CharField(max_length=64, default="csri_example")
    # The unit-cost table services are costed from (rows in UnitCost), and its price year.
    price_year = models.CharField(max_length=10)
    currency = models.CharField(max_length=3, default="GBP")
    unit_cost_source = models.CharField(max_length=300, blank=True)
    unit_costs_illustrative = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves on when a lead changes the status or the unit-cost table: a page opened before cannot save over it.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.code


class StudyMember(models.Model):
    """Who works on a study. A lead sets it up; a researcher enrols and records. `site` limits a member to one
    site's participants (site separation); empty = every site."""

    class Role(models.TextChoices):
        LEAD = "lead", "Study lead"
        RESEARCHER = "researcher", "Researcher"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="study_roles")
    role = models.CharField(max_length=12, choices=Role.choices)
    site = models.ForeignKey("StudySite", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "user__username"]
        constraints = [models.UniqueConstraint(fields=["study", "user"], name="study_member_once")]

    def __str__(self) -> str:
        return f"{self.user} – {self.study} ({self.role})"


class StudySite(models.Model):
    """A trust taking part, under a code (``site01``) that is all an export says about it.

    A trust takes part only by an act of someone entitled in it: a study lead who holds the researcher role
    in the trust adds it directly; any other trust is invited, and joins when someone with the researcher role
    there accepts. Until then (and if they decline) nothing of the trust is in the study: no team is allocated,
    no one is enrolled, and no output reads from it (docs/adr/0010-study-sites-join-by-acceptance.md)."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited, waiting for the trust to accept"
        ACTIVE = "active", "Taking part"
        DECLINED = "declined", "Declined by the trust"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="sites")
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=12)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    invited_at = models.DateTimeField(null=True, blank=True)
    # Who in the trust decided (accepted or declined), and when; for a direct add, the lead who added it.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["study", "code"]
        constraints = [
            models.UniqueConstraint(fields=["study", "trust"], name="study_site_trust_once"),
            models.UniqueConstraint(fields=["study", "code"], name="study_site_code_once"),
        ]

    def __str__(self) -> str:
        return f"{self.study} {self.code}"


class StudyTeam(models.Model):
    """A team allocated to an arm: by whom, when and how. A team is in one arm of a study, once."""

    class Method(models.TextChoices):
        CHOSEN = "chosen", "Chosen"
        RANDOM = "random", "Random within site"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="teams")
    site = models.ForeignKey(StudySite, on_delete=models.PROTECT, related_name="teams")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=12)
    arm = models.CharField(max_length=12, choices=Arm.choices)
    method = models.CharField(max_length=8, choices=Method.choices)
    seed = models.BigIntegerField(null=True, blank=True)
    allocated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    allocated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "code"]
        constraints = [
            models.UniqueConstraint(fields=["study", "team"], name="study_team_in_one_arm"),
            models.UniqueConstraint(fields=["study", "code"], name="study_team_code_once"),
        ]

    def __str__(self) -> str:
        return f"{self.study} {self.code} ({self.arm})"


class Timepoint(models.Model):
    """An assessment point: due `target_day` days after the participant's baseline (baseline: 0, counted from
    enrolment), in window from `target_day - window_before` to `target_day + window_after`."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="timepoints")
    code = models.SlugField(max_length=20)
    label = models.CharField(max_length=60)
    target_day = models.PositiveIntegerField()
    window_before = models.PositiveIntegerField(default=0)
    window_after = models.PositiveIntegerField(default=28)
    # Moves on when the timepoint or its schedule changes: a page opened before cannot save over it.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["study", "target_day", "code"]
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="study_timepoint_code_once"),
            models.UniqueConstraint(fields=["study", "target_day"], name="study_timepoint_day_once"),
        ]

    def __str__(self) -> str:
        return f"{self.study} {self.label}"


class ScheduledInstrument(models.Model):
    """An instrument to be completed at a timepoint (the schedule of assessments)."""

    timepoint = models.ForeignKey(Timepoint, on_delete=models.CASCADE, related_name="schedule")
    instrument_id = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["timepoint", "position", "instrument_id"]
        constraints = [
            models.UniqueConstraint(fields=["timepoint", "instrument_id"], name="study_schedule_once"),
        ]

    def __str__(self) -> str:
        return f"{self.timepoint}: {self.instrument_id}"


class UnitCost(models.Model):
    """One row of the study's unit-cost table: the cost of one unit of a service, at the study's price year."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="unit_costs")
    service = models.CharField(max_length=64)  # the service-use instrument's item id
    unit = models.CharField(max_length=80)
    cost = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["study", "service"]
        constraints = [
            models.UniqueConstraint(fields=["study", "service"], name="study_unit_cost_once"),
            models.CheckConstraint(name="study_unit_cost_not_negative", condition=Q(cost__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.study} {self.service} {self.cost}"


class Participant(models.Model):
    """Someone enrolled: linked to a person supported by a participating team, or research-only (no person).

    `number` is the study number researchers know them by. `baseline_on` is the date of the first baseline
    assessment (days to later timepoints count from it; until then from `enrolled_on`). Withdrawal keeps the
    participant's choice about the data already collected.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Taking part"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class DataChoice(models.TextChoices):
        KEEP = "keep-collected", "Keep the data collected up to withdrawal"
        REMOVE = "remove-data", "Remove all their data from the study"

    class WithdrawalReason(models.TextChoices):
        PARTICIPANT = "participant_choice", "Participant's choice"
        UNWELL = "unwell", "Too unwell to continue"
        MOVED = "moved", "Moved away or left the service"
        RESEARCHER = "researcher_decision", "Researcher's decision"
        DIED = "died", "Died"
        OTHER = "other", "Other"

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="participants")
    number = models.CharField(max_length=30)
    site = models.ForeignKey(StudySite, on_delete=models.PROTECT, related_name="participants")
    study_team = models.ForeignKey(StudyTeam, on_delete=models.PROTECT, related_name="participants")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="study_participations"
    )
    date_of_birth = models.DateField(null=True, blank=True)  # research-only participants; else the person's
    enrolled_on = models.DateField()
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    eligibility_notes = models.TextField(max_length=2000, blank=True)  # free text: never exported
    baseline_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawal_reason = models.CharField(max_length=20, choices=WithdrawalReason.choices, blank=True)
    withdrawal_choice = models.CharField(max_length=16, choices=DataChoice.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "number"]
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="study_participant_number_once"),
            models.UniqueConstraint(
                fields=["study", "person"],
                condition=Q(person__isnull=False),
                name="study_person_enrolled_once",
            ),
            models.CheckConstraint(
                name="study_withdrawal_complete",
                condition=(
                    Q(status="active", withdrawn_on__isnull=True, withdrawal_choice="")
                    | Q(status="withdrawn", withdrawn_on__isnull=False) & ~Q(withdrawal_choice="")
                ),
            ),
        ]
        indexes = [models.Index(fields=["study", "site", "status"], name="study_participant_site_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def research_only(self) -> bool:
        return self.person_id is None

    @property
    def withdrawn(self) -> bool:
        return self.status == self.Status.WITHDRAWN

    @property
    def anchor_on(self):
        """The day timepoints count from: the baseline assessment's date, else enrolment."""
        return self.baseline_on or self.enrolled_on


class Consent(models.Model):
    """Consent given to a version of the consent form; a new version means a new row (re-consent)."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="consents")
    version = models.CharField(max_length=40)
    consented_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant", "consented_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "version"], name="study_consent_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} consent {self.version}"


class Assessment(models.Model):
    """One instrument completed by a participant at a timepoint, scored by the measures engine.

    `day` is days from the participant's baseline; `in_window` is False for an assessment outside the
    timepoint's window (allowed, and flagged everywhere it is shown or exported).
    """

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="assessments")
    timepoint = models.ForeignKey(Timepoint, on_delete=models.PROTECT, related_name="assessments")
    instrument_id = models.CharField(max_length=64)
    instrument_version = models.CharField(max_length=20)
    administered_on = models.DateField()
    day = models.IntegerField()
    in_window = models.BooleanField()
    answers = models.JSONField()
    total = models.FloatField(null=True, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    derived = models.JSONField(default=dict, blank=True)
    band = models.CharField(max_length=80, blank=True)
    missing_items = models.JSONField(default=list, blank=True)
    missing_rule = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant", "timepoint__target_day", "instrument_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "timepoint", "instrument_id"], name="study_assessment_once"
            ),
        ]
        indexes = [models.Index(fields=["timepoint", "instrument_id"], name="study_assessment_tp_idx")]

    def __str__(self) -> str:
        return f"{self.participant} {self.timepoint.code} {self.instrument_id}"


class Screening(models.Model):
    """People assessed for eligibility and not enrolled, as counts by reason (for the flow diagram): no names."""

    class Reason(models.TextChoices):
        NOT_ELIGIBLE = "not_eligible", "Did not meet the eligibility criteria"
        DECLINED = "declined", "Declined to take part"
        NOT_CONTACTABLE = "not_contactable", "Could not be contacted"
        OTHER = "other", "Other reason"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="screenings")
    site = models.ForeignKey(StudySite, on_delete=models.PROTECT, related_name="+")
    screened_on = models.DateField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    count = models.PositiveIntegerField(default=1)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "screened_on", "id"]
        constraints = [
            models.CheckConstraint(name="study_screening_count_positive", condition=Q(count__gte=1))
        ]

    def __str__(self) -> str:
        return f"{self.study} {self.reason} × {self.count}"


class Job(models.Model):
    """An export or report made in the background: who asked, why, and where the result is."""

    class Kind(models.TextChoices):
        EXPORT = "export", "Pseudonymised export"
        REPORT = "report", "Analysis report"

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    class Purpose(models.TextChoices):
        ANALYSIS = "analysis", "Statistical analysis"
        MONITORING = "monitoring", "Data monitoring"
        SHARING = "sharing", "Sharing with the study team"
        ARCHIVE = "archive", "Archiving"

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="jobs")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    reason = models.CharField(
        max_length=300, blank=True
    )  # why, in the requester's words (never in the audit)
    options = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result_path = models.CharField(max_length=500, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="study_job_finished_when_done",
                condition=Q(state__in=["queued", "running"]) | Q(finished_at__isnull=False),
            ),
            models.CheckConstraint(
                name="study_job_finished_after_request",
                condition=Q(finished_at__gte=F("requested_at")) | Q(finished_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.study} {self.kind} {self.pk}"
