"""`connecting-people fidelity indicators`: the documented keys, the hand-counted values, exit 2 on bad input."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.connections import services as map_services
from connecting_people.implementation.indicators import KEYS
from connecting_people.people.tests.factories import PersonFactory

TODAY = timezone.localdate()


def run(*args) -> dict:
    out = io.StringIO()
    call_command("fidelity", "indicators", *args, stdout=out)
    return json.loads(out.getvalue())


def fails(*args) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("fidelity", "indicators", *args, stdout=io.StringIO(), stderr=err)
    assert caught.value.returncode == 2
    return str(caught.value)


def test_indicators_as_json(org):
    for mapped in (True, False):
        person = PersonFactory(
            team=org.team,
            allocated_worker=org.practitioner,
            opened_on=TODAY - timedelta(days=60),
            allocated_on=TODAY - timedelta(days=60),
        )
        if mapped:
            map_services.snapshot_start(
                actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY - timedelta(days=50)
            )
    result = run(
        "--team",
        str(org.team.pk),
        "--from",
        (TODAY - timedelta(days=30)).isoformat(),
        "--to",
        TODAY.isoformat(),
    )
    assert list(result["indicators"]) == list(KEYS)
    assert result["caseload"] == 2
    assert result["indicators"]["map_within_28_days"] == {
        "value": 0.5,
        "numerator": 1,
        "denominator": 2,
        "suppressed": False,
    }
    assert result["indicators"]["median_days_to_first_map"]["value"] == 10.0
    assert result["indicators"]["reviewed_on_time"] == {
        "value": None,
        "numerator": 0,
        "denominator": 0,
        "suppressed": False,
    }


@pytest.mark.parametrize(
    "args, message",
    [
        (["--team", "abc"], "whole number"),
        (["--team", "²"], "whole number"),
        (["--team", "999999"], "No team 999999"),
        (["--team", "1", "--from", "2026-13-01"], "YYYY-MM-DD"),
        (["--team", "1", "--from", "2026-03-01", "--to", "2026-02-01"], "on or after"),
    ],
)
def test_bad_input_exits_2(org, args, message):
    if args[1] == "1":
        args = ["--team", str(org.team.pk), *args[2:]]
    assert message in fails(*args)


def test_a_future_to_is_refused_with_exit_2(org):
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert "in the future" in fails("--team", str(org.team.pk), "--to", tomorrow)
