"""The audit key (kept outside the database, required in production) and the `audit checkpoint` command."""

import json
import os
import stat

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command

from connecting_people.audit.chain import AuditKeyError
from connecting_people.audit.keys import audit_key, audit_keyring
from connecting_people.audit.models import AuditEvent
from connecting_people.audit.services import audit_record
from connecting_people.audit.tests.test_tamper import checkpoint, execute, run, verify
from connecting_people.core.tests.test_settings import connecting_people, production_env, strong_key

OLD_KEY = "retired-audit-key-0123456789-abcdefghijkl"
NEW_KEY = "current-audit-key-9876543210-mnopqrstuvwx"


@pytest.fixture
def checkpoints(settings, tmp_path):
    settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS = tmp_path / "checkpoints"
    return settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS


@pytest.fixture
def no_key(settings, monkeypatch):
    settings.CONNECTING_PEOPLE_AUDIT_KEY_FILE = None
    settings.CONNECTING_PEOPLE_AUDIT_KEY_MAKE = False
    monkeypatch.delenv("CONNECTING_PEOPLE_AUDIT_KEY", raising=False)


@pytest.fixture
def no_key_after_writing(org, settings, monkeypatch):
    view(org.practitioner)
    settings.CONNECTING_PEOPLE_AUDIT_KEY_FILE = None
    monkeypatch.delenv("CONNECTING_PEOPLE_AUDIT_KEY", raising=False)


def view(user, index: int = 1) -> AuditEvent:
    return audit_record(
        actor=user, action="person.viewed", object_type="person", object_id=index, person_id=index
    )


def use_key(settings, tmp_path, secret: str, retired: list[str] | None = None) -> None:
    path = tmp_path / f"key-{secret[:7]}"
    path.write_text(secret + "\n")
    settings.CONNECTING_PEOPLE_AUDIT_KEY_FILE = str(path)
    settings.CONNECTING_PEOPLE_AUDIT_KEY_MAKE = False
    if retired is not None:
        retired_path = tmp_path / "retired.keys"
        retired_path.write_text("".join(f"{key}\n" for key in retired))
        settings.CONNECTING_PEOPLE_AUDIT_RETIRED_KEYS_FILE = str(retired_path)


# --- the key -------------------------------------------------------------------------------------------------


def test_no_event_is_written_without_the_audit_key(org, no_key):
    with pytest.raises(AuditKeyError, match="no audit key"):
        view(org.practitioner)
    assert not AuditEvent.objects.exists()


def test_every_event_is_keyed_and_names_its_key(org):
    event = view(org.practitioner)
    assert (event.chain_version, event.key_id) == (2, audit_key().key_id)


def test_test_and_local_settings_make_the_key_file_once_readable_by_its_owner_only(settings, tmp_path):
    path = tmp_path / "var" / "audit.key"
    settings.CONNECTING_PEOPLE_AUDIT_KEY_FILE = str(path)
    settings.CONNECTING_PEOPLE_AUDIT_KEY_MAKE = True
    first = audit_key()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert audit_key().key_id == first.key_id  # made once, then read


def test_a_weak_key_is_refused_without_echoing_it(settings, tmp_path, monkeypatch):
    settings.CONNECTING_PEOPLE_AUDIT_KEY_FILE = None
    monkeypatch.setenv("CONNECTING_PEOPLE_AUDIT_KEY", "short-secret")
    with pytest.raises(AuditKeyError) as refused:
        audit_key()
    assert "short-secret" not in str(refused.value) and "CONNECTING_PEOPLE_AUDIT_KEY" in str(refused.value)


def test_the_deployment_check_fails_without_the_audit_key(no_key):
    found = [error.id for error in run_checks(include_deployment_checks=True, tags=["security"])]
    assert "audit.E001" in found


def test_the_deployment_check_passes_with_the_audit_key():
    found = [error.id for error in run_checks(include_deployment_checks=True, tags=["security"])]
    assert "audit.E001" not in found and "audit.E002" not in found


def test_the_deployment_check_refuses_the_study_key_as_the_audit_key(settings):
    settings.CONNECTING_PEOPLE_STUDY_KEY_FILE = settings.CONNECTING_PEOPLE_AUDIT_KEY_FILE
    found = [error.id for error in run_checks(include_deployment_checks=True, tags=["security"])]
    assert "audit.E002" in found


def test_check_deploy_under_production_settings_fails_without_the_audit_key(tmp_path):
    result = connecting_people(
        "check", "--deploy", env=production_env(tmp_path, CONNECTING_PEOPLE_AUDIT_KEY=None)
    )
    assert result.returncode != 0 and "audit.E001" in result.stderr + result.stdout


def test_check_deploy_under_production_settings_refuses_the_secret_key_as_the_audit_key(tmp_path):
    secret = strong_key()
    env = production_env(tmp_path, DJANGO_SECRET_KEY=secret, CONNECTING_PEOPLE_AUDIT_KEY=secret)
    result = connecting_people("check", "--deploy", env=env)
    assert result.returncode != 0 and "audit.E002" in result.stderr + result.stdout


def test_verify_without_a_key_cannot_check_keyed_events(org, no_key_after_writing):
    with pytest.raises(CommandError, match="no audit key is configured") as refused:
        call_command("audit", "verify")
    assert refused.value.returncode == 2


def test_rotation_verifies_old_events_with_the_retired_key(org, settings, tmp_path, checkpoints):
    use_key(settings, tmp_path, OLD_KEY)
    view(org.practitioner, 1)
    checkpoint()
    use_key(settings, tmp_path, NEW_KEY, retired=[OLD_KEY])
    view(org.practitioner, 2)
    checkpoint()
    assert len(audit_keyring()) == 2
    code, out, err = verify()
    assert code == 0, err
    assert "Checkpoints: 2 verified" in out
    # Without the retired key the old events and their checkpoint cannot be checked: that is a failure.
    settings.CONNECTING_PEOPLE_AUDIT_RETIRED_KEYS_FILE = None
    code, _out, err = verify()
    assert code == 1 and "neither the audit key nor a retired audit key" in err


# --- the checkpoint command ----------------------------------------------------------------------------------


def lines(location) -> list[dict]:
    return [json.loads(line) for line in (location / "checkpoints.jsonl").read_text().splitlines()]


def test_checkpoint_appends_a_signed_line_for_the_last_event(org, checkpoints):
    events = [view(org.practitioner, index) for index in range(3)]
    code, out, _ = run("checkpoint")
    assert code == 0 and f"event {events[-1].pk}, number 3" in out
    written = lines(checkpoints)
    assert len(written) == 1
    assert (written[0]["event_id"], written[0]["event_hash"], written[0]["count"]) == (
        events[-1].pk,
        events[-1].hash,
        3,
    )
    assert written[0]["key_id"] == audit_key().key_id and len(written[0]["signature"]) == 64


def test_checkpoint_writes_nothing_when_nothing_is_new_and_only_appends(org, checkpoints):
    view(org.practitioner)
    checkpoint()
    code, out, _ = run("checkpoint")
    assert code == 0 and "nothing written" in out
    view(org.practitioner)
    checkpoint()
    assert [line["count"] for line in lines(checkpoints)] == [1, 2]
    code, out, _ = verify()
    assert code == 0 and "Checkpoints: 2 verified" in out


def test_checkpoint_refuses_to_vouch_for_a_broken_chain(org, checkpoints):
    first = view(org.practitioner, 1)
    checkpoint()
    view(org.practitioner, 2)
    view(org.practitioner, 3)
    execute("DELETE FROM audit_auditevent WHERE id = %s", [first.pk + 1], lift_triggers=True)
    code, _out, err = run("checkpoint")
    assert code == 1 and "does not verify" in err and "its link" in err
    assert len(lines(checkpoints)) == 1


def test_checkpoint_refuses_when_the_latest_checkpoints_event_changed(org, checkpoints):
    event = view(org.practitioner, 1)
    checkpoint()
    view(org.practitioner, 2)
    execute("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["f" * 64, event.pk], lift_triggers=True)
    code, _out, err = run("checkpoint")
    assert code == 1 and "no longer matches the chain" in err


def test_checkpoint_without_a_key_is_a_usage_error(org, checkpoints, no_key_after_writing):
    with pytest.raises(CommandError, match="no audit key") as refused:
        call_command("audit", "checkpoint")
    assert refused.value.returncode == 2


def test_checkpoint_directory_can_be_a_file_name(org, settings, tmp_path):
    settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS = tmp_path / "elsewhere" / "trust-audit.jsonl"
    view(org.practitioner)
    checkpoint()
    assert (tmp_path / "elsewhere" / "trust-audit.jsonl").exists()
    assert verify()[0] == 0
