"""What is due for a person on a caseload. Pure: plain values in, plain descriptions out.

Two kinds of thing are due. What the record itself asks for (consent to the way of working first, then a
planned review date) is `next_step`, which also ranks a caseload, most urgent first. What the plan–do–review
cycle asks for (a map, a goal, a community link, overdue steps, a review coming up) is `plans.due.prompts`.
`web.due.due_items` puts the two together into the one list every page shows, each item once.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class NextStep:
    code: str  # closed, consent, keep_in_touch, review_date, review
    text: str
    due_on: date | None
    overdue: bool
    # Lower sorts first on a caseload: overdue, then due soonest, then not yet planned.
    sort_key: tuple


def next_step(
    *, status: str, practice_consent: bool | None, next_review_on: date | None, today: date
) -> NextStep:
    if status == "closed":
        return NextStep("closed", "Case closed", None, False, (4, date.max))
    if practice_consent is None:
        return NextStep(
            "consent", "Talk through the way of working and record consent", None, False, (1, date.min)
        )
    if practice_consent is False:
        return NextStep(
            "keep_in_touch", "Agree with the person how to keep in touch", None, False, (3, date.max)
        )
    if next_review_on is None:
        return NextStep("review_date", "Plan a date to review together", None, False, (2, date.max))
    if next_review_on < today:
        return NextStep("review", "Review overdue", next_review_on, True, (0, next_review_on))
    return NextStep("review", "Review together", next_review_on, False, (2, next_review_on))
