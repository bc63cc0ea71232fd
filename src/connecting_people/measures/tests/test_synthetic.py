"""Synthetic administrations are real: scored by the engine, in item order, never before support started."""

from django.core.management import call_command

from connecting_people.measures import registry
from connecting_people.measures.models import Administration
from connecting_people.measures.scoring import score_one


def test_scale_s_has_scored_administrations(db):
    call_command("demo", scale="S", seed=3)
    administrations = list(Administration.objects.select_related("person"))
    assert len(administrations) >= 40 * 5  # every person has at least a baseline of each instrument
    for administration in administrations[:200]:
        instrument = registry.instrument(administration.instrument_id, administration.instrument_version)
        expected = score_one(instrument, administration.answers, **registry.scoring_options(instrument))
        assert administration.total == expected["total"]
        assert administration.derived.get("metric") == expected.get("metric")
        assert administration.derived.get("index") == expected.get("index")
        assert administration.administered_on >= administration.person.opened_on
    assert {a.timepoint_label for a in administrations} >= {"baseline"}
