"""What is due next for a person on a caseload. Pure: plain values in, a plain description out.

Until goals, reviews and measures exist as records of their own, the next step is worked out from the
record itself: consent to the way of working first, then the planned review date.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class NextStep:
    text: str
    due_on: date | None
    overdue: bool
    # Lower sorts first on a caseload: overdue, then due soonest, then not yet planned.
    sort_key: tuple


def next_step(
    *, status: str, practice_consent: bool | None, next_review_on: date | None, today: date
) -> NextStep:
    if status == "closed":
        return NextStep("Case closed", None, False, (4, date.max))
    if practice_consent is None:
        return NextStep("Talk through the way of working and record consent", None, False, (1, date.min))
    if practice_consent is False:
        return NextStep("Agree with the person how to keep in touch", None, False, (3, date.max))
    if next_review_on is None:
        return NextStep("Plan a date to review together", None, False, (2, date.max))
    if next_review_on < today:
        return NextStep("Review overdue", next_review_on, True, (0, next_review_on))
    return NextStep("Review together", next_review_on, False, (2, next_review_on))
