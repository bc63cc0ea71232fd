"""`connecting-people community import|export`: one JSON line on success; exit code 2 with the reason (on stderr
from the real script) and nothing saved otherwise; a second import of the same file changes nothing."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connecting_people.audit.models import AuditEvent
from connecting_people.community.models import Interest, Opportunity, Organisation, Session
from connecting_people.community.tests.openreferral import (
    DASHBOARD,
    HSDS,
    ORUK,
    SERVICE_ID,
    needs_fixtures,
)
from connecting_people.synthetic.community import hsds_services, service_list

pytestmark = pytest.mark.django_db
IMPORT_KEYS = [
    "source",
    "created",
    "updated",
    "unchanged",
    "rejected",
    "organisations",
    "rejected_services",
    "rejections",
    "ignored",
    "encodings",
]


def run(*args, **options):
    """call_command with captured output: (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def fails(*args, **options):
    """call_command that must fail with exit code 2: (stdout, message)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=out, stderr=err, **options)
    assert caught.value.returncode == 2
    return out.getvalue(), str(caught.value)


def imported(*args, **options) -> dict:
    out, _ = run("community", "import", *args, **options)
    assert out.count("\n") == 1  # one JSON line
    return json.loads(out)


def state():
    return (
        list(Organisation.objects.order_by("id").values()),
        list(Opportunity.objects.order_by("id").values()),
        sorted(Interest.objects.values_list("opportunity_id", "name")),
        sorted(Session.objects.values_list("opportunity_id", "weekday", "starts_at", "ends_at"), key=str),
    )


@needs_fixtures
@pytest.mark.parametrize(
    "path, source",
    [
        (HSDS / "service_full.json", "organisation:GB-COH-1234567"),  # its organisation's company number
        (HSDS / "csv", "organisation:GB-COH-1234567"),
        (ORUK / "organization_full.json", "organisation:GB-COH-1234567"),
    ],
    ids=["hsds json", "hsds csv", "oruk organization"],
)
def test_importing_the_same_file_twice_changes_nothing_the_second_time(path, source):
    first = imported(str(path))
    assert list(first) == IMPORT_KEYS
    assert (first["source"], first["created"], first["updated"], first["unchanged"]) == (source, 1, 0, 0)
    assert first["organisations"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert first["rejected"] == len(first["rejected_services"]) == 0  # services rejected whole: none
    assert len(first["rejections"]) >= 1  # the examples' latitude of 100 (the coordinates left out)
    assert "languages: 1 service" in first["ignored"] or "languages.csv: 1 row" in first["ignored"]
    assert set(first["encodings"].values()) == {"UTF-8"}
    assert {"where", "record", "reason", "left_out"} == set(first["rejections"][0])
    before, events = state(), AuditEvent.objects.count()

    second = imported(str(path))

    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 1)
    assert second["organisations"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert state() == before  # updated_at and version included
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.latest("id").action == "community.imported"


@needs_fixtures
def test_the_acting_user_is_recorded(org):
    imported(str(HSDS / "service_full.json"), user="practitioner")
    event = AuditEvent.objects.latest("id")
    assert (event.actor_id, event.summary["created"]) == (org.practitioner.pk, 1)
    assert Opportunity.objects.get().source_id == SERVICE_ID


@pytest.mark.parametrize(
    "user, message",
    [
        ("nobody", "No user named nobody"),
        ("researcher", "User researcher cannot change the community directory"),
    ],
)
def test_an_unknown_or_unsuitable_user_is_refused(org, tmp_path, user, message):
    path = tmp_path / "services.json"
    path.write_text(json.dumps(service_list(hsds_services(count=3, seed=1))))
    out, error = fails("community", "import", str(path), user=user)
    assert (out, error) == ("", message)
    assert not Opportunity.objects.exists() and not AuditEvent.objects.exists()


@needs_fixtures
@pytest.mark.parametrize(
    "path, message",
    [
        (DASHBOARD, "Nothing imported: V1_DashboardResponse.json is a JSON list, but not of HSDS services"),
        (HSDS / "taxonomy_term_list.json", "is a page of taxonomy terms, not of services"),
        (HSDS / "nowhere.json", "no such file or folder"),
    ],
)
def test_a_source_that_is_not_hsds_saves_nothing(path, message):
    out, error = fails("community", "import", str(path))
    assert out == "" and message in error
    assert (
        not Opportunity.objects.exists()
        and not Organisation.objects.exists()
        and not AuditEvent.objects.exists()
    )


def test_an_address_that_does_not_answer_saves_nothing(settings):
    settings.CONNECTING_PEOPLE_FETCH_ALLOW_LOOPBACK = True  # this test only: the address is on this machine
    out, error = fails("community", "import", "http://127.0.0.1:9/hsds", timeout=2)
    assert out == "" and "did not answer" in error
    assert not Opportunity.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "url, refusal",
    [
        ("http://127.0.0.1:9/hsds", "127.0.0.1 is not a public address (loopback)"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is not a public address (link-local)"),
        (
            "http://[::ffff:10.0.0.1]/hsds",
            "::ffff:10.0.0.1 is not a public address (private, as an IPv4-mapped",
        ),
        ("http://0/hsds", "0 resolves to 0.0.0.0, not a public address (unspecified)"),
        ("http://2130706433/hsds", "2130706433 resolves to 127.0.0.1, not a public address (loopback)"),
    ],
)
def test_an_internal_address_is_refused_without_a_connection(url, refusal):
    out, error = fails("community", "import", url, timeout=2)
    assert out == "" and error.startswith("Nothing imported: GET ") and f"refused: {refusal}" in error
    assert not Opportunity.objects.exists() and not AuditEvent.objects.exists()


def test_export_writes_hsds_that_imports_back_unchanged(tmp_path):
    source = tmp_path / "feed.json"
    source.write_text(json.dumps(service_list(hsds_services(count=12, seed=3))))
    imported(str(source), source_name="synthetic")
    out_file = tmp_path / "directory.json"

    out, _ = run("community", "export", out=str(out_file))

    summary = json.loads(out)
    assert summary == {"file": str(out_file.resolve()), "services": 12, "organisations": 2}
    document = json.loads(out_file.read_text(encoding="utf-8"))
    assert document["total_items"] == 12 and len(document["contents"]) == 12
    assert AuditEvent.objects.latest("id").action == "community.exported"
    copy = tmp_path / "again.json"
    run("community", "export", out=str(copy))
    assert copy.read_bytes() == out_file.read_bytes()  # the same directory gives the same file
    first = imported(str(out_file), source_name="our export")
    assert (first["created"], first["rejected"]) == (12, 0)
    assert imported(str(out_file), source_name="our export")["unchanged"] == 12


def test_export_refuses_a_folder_and_a_file_already_there(tmp_path):
    assert fails("community", "export", out=str(tmp_path))[1] == f"{tmp_path} is a folder: give a file name"
    existing = tmp_path / "x.json"
    existing.write_text("keep me")
    assert "already there: use --force" in fails("community", "export", out=str(existing))[1]
    assert existing.read_text() == "keep me"
    assert not AuditEvent.objects.exists()


def test_the_connecting_people_script_exits_2_with_the_reason_on_stderr(tmp_path):
    script = Path(sys.executable).with_name("connecting-people")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "connecting_people.cli"]
    # The test database is in this process's memory: the script gets a database file of its own.
    env = os.environ | {
        "CONNECTING_PEOPLE_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }

    def cli(*args):
        return subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=120)

    assert cli("migrate", "--verbosity", "0").returncode == 0
    bad = tmp_path / "broken.json"
    bad.write_text('{"contents": [')
    refused = cli("community", "import", str(bad))
    assert (refused.returncode, refused.stdout) == (2, "")
    assert "Nothing imported: broken.json (UTF-8) is not JSON: Expecting value at line 1" in refused.stderr
    good = tmp_path / "feed.json"
    good.write_text(json.dumps(service_list(hsds_services(count=3, seed=2))))
    done = cli("community", "import", str(good))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] == 3
