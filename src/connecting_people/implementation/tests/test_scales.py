"""Fidelity scales are measures definitions with `rated`: ours loads and scores through the measures engine, a
deployment adds scales from its own directory, and fidelity scales and outcome measures never mix."""

from pathlib import Path

import pytest
import yaml

from connecting_people.implementation import registry
from connecting_people.implementation.checklist import STAGES, checklist, read_checklist
from connecting_people.implementation.fidelity import (
    OUR_SCALE_ID,
    SHIPPED_DIR,
    domains_of,
    load_fidelity_scales,
    load_shipped_scales,
    scales_rating,
)
from connecting_people.implementation.tests.conftest import ANSWERS, EXPECTED_DOMAINS, EXPECTED_TOTAL
from connecting_people.measures import scoring
from connecting_people.measures.definitions import load_definitions
from connecting_people.measures.errors import AnswerError, DefinitionError


@pytest.fixture(scope="module")
def ours():
    return load_shipped_scales().get(OUR_SCALE_ID)


def test_our_checklist_loads_as_a_measures_definition_titled_as_ours(ours):
    assert ours.version == "1"
    assert ours.rated == ("worker", "team")
    assert "Connecting People project's own, not the published research scale" in ours.title
    assert ours.wording_ships and all(item.wording for item in ours.items)
    assert [s.id for s in ours.subscales] == ["individual", "worker", "practice", "agency"]
    assert [len(s.items) for s in ours.subscales] == [3, 4, 6, 3]
    assert sorted(i for s in ours.subscales for i in s.items) == sorted(ours.item_ids)


def test_every_item_has_five_behavioural_anchors_from_0_to_4(ours):
    for item in ours.items:
        assert item.code_values == (0, 1, 2, 3, 4), item.id
        labels = [code.label for code in item.codes]
        assert len(set(labels)) == 5 and all(len(label) > 20 for label in labels), item.id


def test_scores_equal_hand_computed_totals_and_domains(ours):
    result = scoring.score_one(ours, ANSWERS)
    assert result["total"] == EXPECTED_TOTAL
    assert result["subscales"] == EXPECTED_DOMAINS
    all_fours = scoring.score_one(ours, [4] * 16)
    assert all_fours["total"] == 64
    assert all_fours["subscales"] == {"individual": 12, "worker": 16, "practice": 24, "agency": 12}
    assert scoring.score_ranges(ours) == {
        "total": (0, 64),
        "individual": (0, 12),
        "worker": (0, 16),
        "practice": (0, 24),
        "agency": (0, 12),
    }


def test_a_rating_with_an_item_left_out_is_not_scored(ours):
    result = scoring.score_one(ours, [None, *ANSWERS[1:]])
    assert result["total"] is None
    assert result["subscales"]["individual"] is None
    assert result["subscales"]["agency"] == 11  # a domain with all its items is still scored
    assert result["missing_rule"]["outcome"] == "not-scored"


@pytest.mark.parametrize("bad", [5, -1, 2.5, "three"])
def test_an_answer_out_of_range_is_refused(ours, bad):
    with pytest.raises(AnswerError) as error:
        scoring.check_answers(ours, [bad, *ANSWERS[1:]])
    assert error.value.item_id == "strengths_interests"
    assert "0, 1, 2, 3 or 4" in str(error.value)


def test_items_group_under_their_domains_in_order(ours):
    grouped = domains_of(ours)
    assert [(domain, len(items)) for domain, _label, items in grouped] == [
        ("individual", 3),
        ("worker", 4),
        ("practice", 6),
        ("agency", 3),
    ]


def _write(folder: Path, name: str, **changes) -> Path:
    raw = yaml.safe_load((SHIPPED_DIR / "cp_practice_fidelity.yaml").read_text())
    raw.update(changes)
    for key, value in list(raw.items()):
        if value is None:
            del raw[key]
    path = folder / name
    path.write_text(yaml.safe_dump(raw))
    return path


def test_a_deployment_adds_a_scale_from_its_own_directory(tmp_path):
    _write(
        tmp_path,
        "official.yaml",
        id="official_fidelity",
        title="The research team's practitioner fidelity questionnaire",
        rated=["worker"],
    )
    catalogue = load_fidelity_scales([SHIPPED_DIR, tmp_path])
    assert catalogue.ids() == ("cp_practice_fidelity", "official_fidelity")
    assert [s.id for s in scales_rating(catalogue, "worker")] == ["cp_practice_fidelity", "official_fidelity"]
    assert [s.id for s in scales_rating(catalogue, "team")] == ["cp_practice_fidelity"]


def test_a_definition_without_rated_is_not_a_fidelity_scale(tmp_path):
    _write(tmp_path, "plain.yaml", id="plain_measure", rated=None)
    with pytest.raises(DefinitionError) as error:
        load_fidelity_scales([tmp_path])
    assert str(error.value) == (
        "plain.yaml: rated: a fidelity scale must say who it rates: rated: [worker], [team] or both"
    )


@pytest.mark.parametrize("rated", [[], ["everyone"], "worker", ["team", "team"]])
def test_the_parser_refuses_a_bad_rated_field(tmp_path, rated):
    _write(tmp_path, "bad.yaml", id="bad_scale", rated=rated)
    with pytest.raises(DefinitionError) as error:
        load_definitions([tmp_path])
    assert error.value.field == "rated"


def test_a_deployment_cannot_replace_our_scale_silently(tmp_path):
    _write(tmp_path, "copy.yaml")
    with pytest.raises(DefinitionError) as error:
        load_fidelity_scales([SHIPPED_DIR, tmp_path])
    assert "already defined" in str(error.value)


def test_fidelity_scales_are_not_outcome_measures():
    from connecting_people.measures import registry as measures_registry

    assert OUR_SCALE_ID not in measures_registry.catalogue()
    assert all(not instrument.rated for instrument in measures_registry.catalogue())


def test_the_system_check_refuses_a_broken_fidelity_directory(settings, tmp_path):
    from connecting_people.implementation.checks import fidelity_scales_load

    _write(tmp_path, "broken.yaml", id="broken_scale", rated=["nobody"])
    settings.CONNECTING_PEOPLE_FIDELITY_DIR = str(tmp_path)
    try:
        errors = fidelity_scales_load()
        assert [error.id for error in errors] == ["implementation.E001"]
        assert "broken.yaml: rated" in errors[0].msg
    finally:
        settings.CONNECTING_PEOPLE_FIDELITY_DIR = ""
        registry.catalogue.cache_clear()
    assert fidelity_scales_load() == []


def test_the_system_check_finds_a_fidelity_scale_among_the_outcome_measures(settings, tmp_path):
    from connecting_people.implementation.checks import fidelity_scales_load
    from connecting_people.measures import registry as measures_registry

    _write(tmp_path, "misplaced.yaml", id="misplaced_scale")
    settings.CONNECTING_PEOPLE_INSTRUMENTS_DIR = str(tmp_path)
    measures_registry.catalogue.cache_clear()
    try:
        assert [error.id for error in fidelity_scales_load()] == ["implementation.E002"]
    finally:
        settings.CONNECTING_PEOPLE_INSTRUMENTS_DIR = ""
        measures_registry.catalogue.cache_clear()


def test_the_setting_adds_the_deployments_scales_to_the_registry(settings, tmp_path):
    _write(tmp_path, "official.yaml", id="official_fidelity", rated=["worker"])
    settings.CONNECTING_PEOPLE_FIDELITY_DIR = str(tmp_path)
    registry.catalogue.cache_clear()
    try:
        assert [s.id for s in registry.scales_for("worker")] == ["cp_practice_fidelity", "official_fidelity"]
        assert [s.id for s in registry.scales_for("team")] == ["cp_practice_fidelity"]
    finally:
        settings.CONNECTING_PEOPLE_FIDELITY_DIR = ""
        registry.catalogue.cache_clear()


def test_the_implementation_checklist_is_data():
    items = checklist()
    assert len({item.id for item in items}) == len(items) >= 10
    assert {item.stage for item in items} == set(STAGES)
    assert [item.stage for item in items] == sorted((item.stage for item in items), key=list(STAGES).index)
    texts = " ".join(item.text for item in items)
    for expected in ("protected time", "Every worker", "champion", "at least five", "first reviews"):
        assert expected in texts


def test_a_broken_checklist_is_refused_with_the_entry_named(tmp_path):
    path = tmp_path / "checklist.yaml"
    path.write_text("- {id: a, stage: readiness, text: One}\n- {id: a, stage: milestone, text: Two}\n")
    with pytest.raises(ValueError, match="item 2: id 'a' is used twice"):
        read_checklist(path)
