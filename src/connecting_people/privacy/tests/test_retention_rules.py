"""The retention rules as configuration (pure: no database): the shipped defaults with their sources, a
deployment's file over them, refusals that name the problem, and the cut-off dates."""

from datetime import date

import pytest

from connecting_people.privacy import retention
from connecting_people.privacy.retention import (
    CLASSES,
    RetentionConfigError,
    cutoff,
    load_rules,
    years_before,
)

SHIPPED = retention.SHIPPED_FILE.read_text(encoding="utf-8")


def test_the_shipped_defaults_and_their_sources():
    rules = load_rules(SHIPPED)
    assert list(rules) == list(CLASSES)
    practice = rules["practice_record"]
    assert (practice.keep_years, practice.keep_years_after_death) == (20, 10)
    assert "Records Management Code of Practice" in practice.source and "Mental health" in practice.source
    assert "not read" in practice.source  # says plainly what was not confirmed
    assert rules["study_data"].keep_years is None and "No default" in rules["study_data"].source
    audit = rules["audit_trail"]
    assert audit.keep_years == 20 and "not a figure from the Code" in audit.source
    assert "audit archive" in audit.source


def test_a_deployment_file_replaces_only_what_it_gives():
    rules = load_rules(
        SHIPPED,
        "classes:\n  practice_record:\n    keep_years: 25\n    source: Our trust's schedule, 2027\n"
        "  study_data:\n    keep_years: 20\n",
    )
    assert rules["practice_record"].keep_years == 25
    assert rules["practice_record"].keep_years_after_death == 10  # not given: the default stays
    assert rules["practice_record"].source == "Our trust's schedule, 2027"
    assert rules["study_data"].keep_years == 20 and rules["audit_trail"].keep_years == 20


@pytest.mark.parametrize(
    "text, message",
    [
        ("classes: [", "not valid YAML"),
        ("- a list", "expected a mapping"),
        ("classes:\n  letters:\n    keep_years: 3\n", "unknown record class 'letters'"),
        ("classes:\n  practice_record:\n    keep_for: 3\n", "unknown key(s) keep_for"),
        ("classes:\n  practice_record:\n    keep_years: -1\n", "from 0 to 200"),
        ("classes:\n  practice_record:\n    keep_years: '20'\n", "from 0 to 200"),
        ("classes:\n  practice_record:\n    keep_years: true\n", "from 0 to 200"),
        (
            "classes:\n  audit_trail:\n    keep_years_after_death: 5\n",
            "unknown key(s) keep_years_after_death",
        ),
        ("classes:\n  study_data:\n    source: ''\n", "must be some text"),
        ("classes: {}\nextra: 1\n", "unknown key(s) extra"),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_with_the_reason(text, message):
    with pytest.raises(
        RetentionConfigError, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as refused:
        load_rules(SHIPPED, text, deployment_name="/etc/cp/retention.yaml")
    assert "/etc/cp/retention.yaml" in str(refused.value)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(RetentionConfigError, match="cannot be read"):
        retention.load_rule_files(tmp_path / "nowhere.yaml")


def test_cutoffs():
    rules = load_rules(SHIPPED)
    today = date(2046, 3, 1)
    assert cutoff(rules["practice_record"], today) == date(2026, 3, 1)
    assert cutoff(rules["practice_record"], today, after_death=True) == date(2036, 3, 1)
    assert cutoff(rules["study_data"], today) is None
    assert years_before(date(2044, 2, 29), 20) == date(2024, 2, 29)
    assert years_before(date(2044, 2, 29), 1) == date(2043, 2, 28)
