"""Models that hold personal data. Views must never reach these through `.objects`; they call a selector.

The suite checks every view module against this list (core/tests/test_layering.py), and checks that every model
of the apps named in PERSONAL_DATA_APPS is listed, so a new model cannot slip past.
"""

PERSONAL_DATA_MODELS = {
    "people.Person",
    "people.Tag",
    "audit.AuditEvent",
    "measures.Administration",
    "measures.HeadlineSpan",
    "connections.MapSnapshot",
    "connections.MapEntry",
    "connections.MapTie",
    "plans.Assessment",
    "plans.Goal",
    "plans.Step",
    "plans.Activity",
    "plans.Link",
    "plans.LinkChange",
    "plans.Review",
    "plans.GoalScore",
    # Not about a person (a team's review interval), but in a personal-data app: read through its selector too.
    "plans.TeamReviewInterval",
    # The study: participants, their consents and assessments, and (not about a person, but in a personal-data
    # app, so read through its selectors too) its set-up, screening counts and jobs.
    "study.Participant",
    "study.Consent",
    "study.Assessment",
    "study.Study",
    "study.StudyMember",
    "study.StudySite",
    "study.StudyTeam",
    "study.Timepoint",
    "study.ScheduledInstrument",
    "study.UnitCost",
    "study.Screening",
    "study.Job",
    "privacy.Restriction",
    # Personal data about staff: a worker's fidelity ratings, supervision and training (implementation/scopes.py).
    "implementation.FidelityRating",
    "implementation.SupervisionRecord",
    "implementation.TrainingSession",
}

PERSONAL_DATA_APPS = {"people", "audit", "measures", "connections", "plans", "privacy", "study"}
