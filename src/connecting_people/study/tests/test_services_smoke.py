from datetime import date

import pytest

from connecting_people.core.errors import ServiceError
from connecting_people.study import services

from .conftest import START, days


def test_enrol_and_record_baseline_and_follow_up(study_setup, settings):
    s = study_setup
    p = services.participant_enrol(
        user=s.lead, access=s.access, study_team_id=s.teams["T01"].pk, enrolled_on=START + days(3),
        consented_on=START + days(3), today=date(2026, 11, 1),
    )
    assert p.number == "CPIS-0001"
    baseline = s.study.timepoints.get(code="baseline")
    follow_up = s.study.timepoints.get(code="m6")
    a = services.assessment_record(
        user=s.lead, access=s.access, participant=p, timepoint_id=baseline.pk, instrument_id="ucla3",
        answers=[1, 2, 3], administered_on=START + days(5),
    )
    assert a.day == 0 and a.in_window and a.total == 6
    late = services.assessment_record(
        user=s.lead, access=s.access, participant=p, timepoint_id=follow_up.pk, instrument_id="ucla3",
        answers=[1, 1, 1], administered_on=START + days(5 + 300),
    )
    assert late.day == 300 and not late.in_window
    with pytest.raises(ServiceError):
        services.assessment_record(
            user=s.lead, access=s.access, participant=p, timepoint_id=follow_up.pk, instrument_id="ucla3",
            answers=[1, 1, 1], administered_on=START + days(200),
        )
