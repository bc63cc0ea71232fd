"""The cost of delivering the intervention, from what the system records. Pure: counts in, costs out.

Each component is a count of something recorded for the intervention arm's teams, costed at one row of the
study's unit-cost table (the key in brackets), at the table's price year and currency:

* training sessions held for an intervention team, up to the analysis date (``intervention_training_session``:
  the trainer's time and the room, per session); a trust-wide session counts for the share of its attendees
  who were members of an intervention team;
* attendances at those sessions by members of intervention teams (``intervention_training_attendance``: a
  practitioner's time away from practice, per person per session);
* supervision sessions of intervention teams' workers in which connection work was discussed, from the study's
  start (``intervention_supervision_session``);
* months of a team champion's role in an intervention team, from the study's start (``intervention_champion_month``,
  a month being 30.44 days);
* practitioners' contacts recorded as activities with linked intervention participants, from enrolment
  (in person: introductions, going along together, practical help, contacts in person,
  ``intervention_contact_in_person``; by phone, ``intervention_contact_phone``). The system records no
  duration, so each contact is costed as one unit.

The total is divided by the number of intervention participants analysed: the cost per participant that the
cost-effectiveness analysis adds to each of them. A component with nothing recorded, or whose key is not in the
table, costs nothing and says so (``status``): the report lists which components were costed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

COSTED, NO_DATA, NO_UNIT_COST = "costed", "no data recorded", "no unit cost in the table"


@dataclass(frozen=True)
class Component:
    key: str  # the unit-cost table's key
    label: str
    unit: str  # the unit the table's row is for (suggested when adding it)


COMPONENTS = (
    Component("intervention_training_session", "Training sessions delivered", "training session delivered"),
    Component(
        "intervention_training_attendance", "Practitioners' time in training", "attendance at a session"
    ),
    Component(
        "intervention_supervision_session", "Supervision discussing connection work", "supervision session"
    ),
    Component("intervention_champion_month", "Team champions' time", "month of a champion's role"),
    Component("intervention_contact_in_person", "Practitioners' contacts in person", "contact in person"),
    Component("intervention_contact_phone", "Practitioners' contacts by phone", "contact by phone"),
)
KEYS = tuple(component.key for component in COMPONENTS)

METHOD = (
    "The intervention is costed from what the system records for the intervention teams: training sessions "
    "and attendance, supervision sessions that discussed connection work, team champions' months in the role "
    "and practitioners' contacts with participants recorded as activities, each count multiplied by the study's "
    "unit cost for it and the sum divided by the intervention participants analysed. Components with nothing "
    "recorded or no unit cost add nothing and are listed."
)


def delivery_cost(
    quantities: Mapping[str, float], unit_costs: Mapping[str, float], participants: int
) -> dict[str, Any]:
    """The intervention's cost per participant. `quantities`: {component key: count recorded} (a key left out
    or 0: nothing recorded); `unit_costs`: {key: cost of one unit}; `participants`: intervention participants
    the cost is shared between. Returns {"components": [{key, label, unit, quantity, unit_cost, cost,
    status}], "total", "participants", "per_participant", "costed", "not_costed", "method"}."""
    rows = []
    total = 0.0
    for component in COMPONENTS:
        quantity = float(quantities.get(component.key) or 0)
        unit_cost = unit_costs.get(component.key)
        if not quantity:
            status, cost = NO_DATA, 0.0
        elif unit_cost is None:
            status, cost = NO_UNIT_COST, 0.0
        else:
            status, cost = COSTED, quantity * float(unit_cost)
        total += cost
        rows.append(
            {
                "key": component.key,
                "label": component.label,
                "unit": component.unit,
                "quantity": round(quantity, 2),
                "unit_cost": None if unit_cost is None else float(unit_cost),
                "cost": round(cost, 2),
                "status": status,
            }
        )
    per_participant = total / participants if participants else 0.0
    return {
        "components": rows,
        "total": round(total, 2),
        "participants": participants,
        "per_participant": round(per_participant, 2),
        "costed": [row["label"] for row in rows if row["status"] == COSTED],
        "not_costed": [f"{row['label']} ({row['status']})" for row in rows if row["status"] != COSTED],
        "method": METHOD,
    }
