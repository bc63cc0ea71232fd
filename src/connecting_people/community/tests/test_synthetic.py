"""Synthetic opportunities: reproducible, plausible, read by the real importer as they were meant."""

import re

import pytest

from connecting_people.community import geo, hsds
from connecting_people.community.models import Opportunity
from connecting_people.synthetic import community as synthetic
from connecting_people.synthetic.generate import INTERESTS


def test_the_same_seed_gives_the_same_services():
    assert synthetic.hsds_services(count=50, seed=4) == synthetic.hsds_services(count=50, seed=4)
    assert synthetic.hsds_services(count=50, seed=4) != synthetic.hsds_services(count=50, seed=5)


def test_services_read_as_they_were_meant():
    services = synthetic.hsds_services(count=400, seed=9)
    directory = hsds.read_json(synthetic.service_list(services), where="synthetic")
    assert directory.rejections == ()
    assert len(directory.opportunities) == 400
    by_name = {activity.name: activity for activity in synthetic.ACTIVITIES}
    for record in directory.opportunities:
        activity = next(a for name, a in by_name.items() if record.name.endswith(name))
        assert record.interests == tuple(sorted(activity.interests)), record.name
        assert set(record.interests) <= set(INTERESTS)
        assert (
            geo.haversine_miles(synthetic.TOWN_CENTRE, geo.Point(record.latitude, record.longitude)) <= 8.01
        )
        assert re.fullmatch(r"CP(1[0-6]|[1-9]) [1-9][A-Z]{2}", record.postcode)
        assert record.contact_phone.startswith("01632 960")  # Ofcom's numbers for drama
        assert record.website.startswith("https://") and ".example.org/" in record.website
    categories = {record.category for record in directory.opportunities}
    assert {"sport", "arts", "nature", "peer_support", "social", "work"} <= categories
    costs = [record.cost for record in directory.opportunities]
    assert costs.count("free") > costs.count("paid") > 0
    assert any(not record.active for record in directory.opportunities)
    assert any(len(record.sessions) == 2 for record in directory.opportunities)


@pytest.mark.django_db
def test_generating_into_the_directory_twice_adds_them_once():
    report = synthetic.generate_opportunities(count=60, seed=2, log=lambda *args: None)
    assert (report.created, report.rejections) == (60, ())
    again = synthetic.generate_opportunities(count=60, seed=2, log=lambda *args: None)
    assert (again.created, again.unchanged) == (0, 60)
    assert Opportunity.objects.filter(source="synthetic:2").count() == 60
