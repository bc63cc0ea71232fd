"""The `connecting-people` command: demo data, scales, and that the entry point wraps Django's commands."""

import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from connecting_people.accounts.models import Membership, User
from connecting_people.audit.models import AuditEvent
from connecting_people.people.models import Person


def test_demo_is_idempotent_and_prints_the_password_once(db, capsys, settings):
    settings.CONNECTING_PEOPLE_DEMO_PASSWORD = "a-demo-password-for-tests"
    call_command("demo")
    first = capsys.readouterr().out
    counts = (Person.objects.count(), User.objects.count(), Membership.objects.count())
    call_command("demo")
    second = capsys.readouterr().out
    assert counts == (Person.objects.count(), User.objects.count(), Membership.objects.count())
    assert counts[0] == 40
    assert "a-demo-password-for-tests" in first and "a-demo-password-for-tests" not in second
    assert User.objects.get(username="practitioner.a").check_password("a-demo-password-for-tests")


def test_demo_caseloads_are_separate_and_numbers_are_in_the_test_range(db):
    call_command("demo")
    a = set(Person.objects.filter(allocated_worker__username="practitioner.a").values_list("pk", flat=True))
    b = set(Person.objects.filter(allocated_worker__username="practitioner.b").values_list("pk", flat=True))
    assert a and b and not a & b
    numbers = [n for n in Person.objects.values_list("nhs_number", flat=True) if n]
    assert numbers and all(n.startswith("999") and len(n) == 10 for n in numbers)
    call_command("audit", "verify")


def test_scale_s_is_reproducible_from_its_seed(db):
    call_command("demo", scale="S", seed=7)
    first = sorted(Person.objects.values_list("given_name", "family_name", "nhs_number"))
    assert len(first) == 40
    with pytest.raises(CommandError, match="already loaded"):
        call_command("demo", scale="S", seed=7)
    # a lead and 2 workers a team, and the trust's implementation lead
    assert User.objects.filter(username__startswith="s7.").count() == 2 * (1 + 2) + 1
    assert AuditEvent.objects.filter(action="synthetic.generated").exists()


def test_seed_out_of_range_is_refused(db):
    with pytest.raises(CommandError, match="between 0 and 99999"):
        call_command("demo", scale="S", seed=100_000)


def run_python(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=120)


def test_command_line_entry_point_runs_django_commands(tmp_path):
    env = os.environ | {
        "CONNECTING_PEOPLE_ENV": "local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }
    result = run_python(["-m", "connecting_people.cli", "check"], env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_unknown_environment_is_refused(tmp_path):
    env = os.environ | {"CONNECTING_PEOPLE_ENV": "staging"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = run_python(["-m", "connecting_people.cli", "check"], env)
    assert result.returncode != 0 and "CONNECTING_PEOPLE_ENV must be one of" in result.stderr


def test_demo_refuses_to_run_under_production_settings(tmp_path):
    env = os.environ | {
        "CONNECTING_PEOPLE_ENV": "production",
        "DJANGO_SECRET_KEY": "k7#Qp2!vX9@mL4$wR8^tZ1&nB6*cY3(hJ5)dF0_gS-aE+uI=oP",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = run_python(["-m", "connecting_people.cli", "demo"], env)
    assert result.returncode == 2, result.stderr
    assert "never loaded under production settings" in result.stderr


def test_web_server_refuses_to_start_with_an_unknown_value_set(tmp_path):
    env = os.environ | {
        "CONNECTING_PEOPLE_ENV": "local",
        "CONNECTING_PEOPLE_EQ5D_VALUE_SET": "made-up",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite3'}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = run_python(["-c", "import connecting_people.config.wsgi"], env)
    assert result.returncode != 0 and "made-up" in result.stderr


def test_version_is_ours_not_djangos(capsys):
    from connecting_people import __version__, cli

    cli.main(["--version"])
    assert capsys.readouterr().out.strip() == f"connecting-people {__version__}"
