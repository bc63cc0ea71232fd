"""Definition files: the shipped set, the checks that refuse broken files, and the merge rule."""

import json
import shutil

import pytest
import yaml

from connecting_people.measures.definitions import (
    DATA_DIR,
    SHIPPED_DIR,
    load_definition,
    load_definitions,
)
from connecting_people.measures.errors import DefinitionError, UnknownInstrumentError
from connecting_people.measures.scoring import score_one
from connecting_people.measures.scoring.csri_cost import load_unit_costs

SHIPPED = {
    "swemwbs": "sum",
    "wemwbs": "sum",
    "ucla3": "sum",
    "ons_loneliness": "category",
    "djg6": "djg",
    "lsns6": "sum",
    "qpr15": "sum",
    "eq5d5l": "eq5d",
    "gas": "gas",
    "resource_generator_example": "resource_generator",
    "csri_example": "csri_cost",
}


def test_every_instrument_ships_with_its_scoring_type(catalogue):
    assert {i.id: i.scoring.type for i in catalogue} == SHIPPED
    assert all(i.version == "1" for i in catalogue)


def test_licensed_wording_is_not_in_the_repository(catalogue):
    for instrument_id in ("swemwbs", "wemwbs", "lsns6", "eq5d5l", "qpr15"):
        instrument = catalogue.get(instrument_id)
        assert instrument.wording_ships is False
        assert all(item.wording is None for item in instrument.items), instrument_id
        assert instrument.licence and instrument.citation


def test_examples_are_marked_illustrative(catalogue):
    generator = catalogue.get("resource_generator_example")
    assert generator.illustrative and "not validated" in generator.title
    assert "NOT the Resource Generator-UK" in (SHIPPED_DIR / "resource_generator_example.yaml").read_text()
    assert catalogue.get("csri_example").illustrative
    costs = load_unit_costs(DATA_DIR / "unit_costs_illustrative.yaml")
    assert costs.illustrative and costs.price_year == "2024/25"
    assert "not PSSRU" in costs.source


def test_no_official_bands_where_none_are_published(catalogue):
    for instrument_id in ("swemwbs", "wemwbs", "qpr15", "eq5d5l"):
        assert catalogue.get(instrument_id).bands == ()
    for instrument in catalogue:
        assert all(band_set.status in ("official", "conventional") for band_set in instrument.bands)


def test_definition_as_json_lists_items_in_order_with_codes(catalogue):
    described = json.loads(json.dumps(catalogue.get("eq5d5l").as_json()))
    assert [item["id"] for item in described["items"]] == [
        "mobility",
        "self_care",
        "usual_activities",
        "pain_discomfort",
        "anxiety_depression",
        "vas",
    ]
    assert [c["code"] for c in described["items"][0]["codes"]] == [1, 2, 3, 4, 5]
    assert described["items"][5]["range"] == {"min": 0, "max": 100, "whole_numbers": True, "unit": "points"}


def test_every_definition_describes_itself_as_json(catalogue):
    for instrument in catalogue:
        described = json.loads(json.dumps(instrument.as_json()))
        assert (described["id"], described["version"]) == instrument.key
        assert [item["id"] for item in described["items"]] == list(instrument.item_ids)


def test_catalogue_lookup(catalogue):
    assert catalogue.get("swemwbs", "1").id == "swemwbs"
    with pytest.raises(UnknownInstrumentError, match="unknown instrument 'phq9'"):
        catalogue.get("phq9")
    with pytest.raises(UnknownInstrumentError, match="no version '7'"):
        catalogue.get("swemwbs", "7")


# ------------------------------------------------------------------------------------------- broken files


def shipped(name):
    return yaml.safe_load((SHIPPED_DIR / f"{name}.yaml").read_text())


def write(path, data):
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def drop(key):
    def change(d):
        del d[key]

    return change


def setter(fn):
    def change(d):
        fn(d)

    return change


BROKEN = [
    (
        "swemwbs",
        setter(lambda d: d["items"][3].update(codes=[{"code": "a", "label": "x"}])),
        "items[3].codes[0].code: codes must be whole numbers",
    ),
    (
        "swemwbs",
        setter(lambda d: d["items"][3].update(codes=[{"code": 1, "label": "x"}, {"code": 1, "label": "y"}])),
        "items[3].codes: codes must not repeat",
    ),
    ("swemwbs", drop("version"), "version: is required"),
    ("swemwbs", setter(lambda d: d.update(version=1.1)), "version: write it as a quoted string"),
    ("swemwbs", drop("citation"), "citation: must be non-empty text"),
    ("swemwbs", setter(lambda d: d.update(iterms=[])), "iterms: unknown field"),
    ("swemwbs", setter(lambda d: d["items"][1].update(id="optimistic")), "items[1].id: duplicate item id"),
    (
        "swemwbs",
        setter(lambda d: d["items"][0].update(wording="licensed text")),
        "items[0].wording: this instrument's wording does not ship",
    ),
    ("swemwbs", setter(lambda d: d["scoring"].update(type="mean")), "scoring.type: must be one of"),
    (
        "swemwbs",
        setter(lambda d: d["scoring"]["parameters"]["conversion"].update(table="nowhere.csv")),
        "scoring.parameters.conversion.table: table 'nowhere.csv' not found",
    ),
    (
        "swemwbs",
        setter(lambda d: d["scoring"]["parameters"]["conversion"].update(table="../data/x.csv")),
        "scoring.parameters.conversion.table: '../data/x.csv': give a file name",
    ),
    (
        "swemwbs",
        setter(lambda d: d.update(derived=[], headline="total")),
        "derived: the sum scoring type with these parameters produces metric",
    ),
    ("swemwbs", drop("derived"), "headline: must be one of band or total"),
    ("swemwbs", setter(lambda d: d.update(headline="median")), "headline: must be one of"),
    ("swemwbs", setter(lambda d: d["missing"].update(rule="sometimes")), "missing.rule: must be one of"),
    (
        "swemwbs",
        setter(lambda d: d["missing"].update(rule="max-missing", total=1)),
        "scoring.parameters.conversion: a conversion table converts totals of complete forms",
    ),
    (
        "lsns6",
        setter(lambda d: d["subscales"][0]["items"].append("pets")),
        "subscales[0].items[3]: unknown item 'pets'",
    ),
    (
        "lsns6",
        setter(lambda d: d["bands"][0]["ranges"][1].update(min=11)),
        "bands[0].ranges[1].min: ranges must be in order and must not overlap",
    ),
    ("lsns6", setter(lambda d: d["bands"][0].pop("status")), "bands[0].status: must be official"),
    (
        "lsns6",
        setter(lambda d: d["bands"][0].update(applies_to="neighbours")),
        "bands[0].applies_to: must be one of",
    ),
    (
        "eq5d5l",
        setter(lambda d: d["missing"].update(rule="max-missing", total=1)),
        "missing.rule: the eq5d scoring type supports complete",
    ),
    (
        "eq5d5l",
        setter(lambda d: d["scoring"]["parameters"].update(default_value_set="usa")),
        "scoring.parameters.default_value_set: must be one of",
    ),
    (
        "eq5d5l",
        setter(lambda d: d["items"][0].update(codes=[{"code": 1, "label": "a"}, {"code": 2, "label": "b"}])),
        "items[0].codes: an EQ-5D-5L dimension has codes 1 to 5",
    ),
    (
        "djg6",
        setter(lambda d: d["scoring"]["parameters"]["lonely_codes"].update(social=[4])),
        "scoring.parameters.lonely_codes.social: must list codes of its items",
    ),
    (
        "gas",
        setter(lambda d: d["scoring"]["parameters"].update(rho=1.5)),
        "scoring.parameters.rho: must be a number",
    ),
    ("gas", drop("repeat"), "repeat: goal attainment scaling needs repeat"),
    (
        "resource_generator_example",
        setter(lambda d: d["scoring"]["parameters"]["sources"].update(nobody=[0])),
        "scoring.parameters.sources: one code must mean no access",
    ),
    (
        "csri_example",
        setter(lambda d: d["items"][0].update(codes=[{"code": 1, "label": "one"}])),
        "items[0].codes: units of service used are a range from 0",
    ),
]


@pytest.mark.parametrize(("name", "change", "message"), BROKEN)
def test_broken_definitions_are_refused_naming_file_and_field(tmp_path, name, change, message):
    data = shipped(name)
    change(data)
    path = write(tmp_path / f"{name}.yaml", data)
    with pytest.raises(DefinitionError) as error:
        load_definition(path)
    assert str(error.value).startswith(f"{name}.yaml: {message}"), str(error.value)
    assert error.value.path == path


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "swemwbs.yaml"
    path.write_text("id: swemwbs\nitems: [\n")
    with pytest.raises(DefinitionError, match=r"^swemwbs.yaml: not valid YAML at line 3"):
        load_definition(path)


def test_tables_are_checked_when_the_definition_loads(tmp_path):
    crosswalk = (DATA_DIR / "eq5d5l_crosswalk_vanhout2012_uk.csv").read_text().splitlines()
    (tmp_path / "eq5d5l_crosswalk_vanhout2012_uk.csv").write_text("\n".join(crosswalk[:-1]) + "\n")
    shutil.copy(SHIPPED_DIR / "eq5d5l.yaml", tmp_path / "eq5d5l.yaml")
    with pytest.raises(
        DefinitionError, match=r"eq5d5l.yaml: scoring.parameters.value_sets\[0\].table: .*55555"
    ):
        load_definition(tmp_path / "eq5d5l.yaml")

    conversion = (DATA_DIR / "swemwbs_conversion.csv").read_text().replace("20,18.59\n", "")
    (tmp_path / "swemwbs_conversion.csv").write_text(conversion)
    shutil.copy(SHIPPED_DIR / "swemwbs.yaml", tmp_path / "swemwbs.yaml")
    with pytest.raises(DefinitionError, match="no row for raw total.s. 20"):
        load_definition(tmp_path / "swemwbs.yaml")


def test_unit_cost_table_missing_a_service_is_refused(tmp_path):
    costs = yaml.safe_load((DATA_DIR / "unit_costs_illustrative.yaml").read_text())
    del costs["costs"]["day_centre"]
    write(tmp_path / "unit_costs_illustrative.yaml", costs)
    shutil.copy(SHIPPED_DIR / "csri_example.yaml", tmp_path / "csri_example.yaml")
    with pytest.raises(
        DefinitionError, match="csri_example.yaml: scoring.parameters.unit_costs: .*day_centre"
    ):
        load_definition(tmp_path / "csri_example.yaml")
    costs["costs"]["day_centre"] = {"unit": "day", "cost": -5}
    write(tmp_path / "unit_costs_illustrative.yaml", costs)
    with pytest.raises(DefinitionError, match=r"unit_costs_illustrative.yaml: costs.day_centre.cost"):
        load_definition(tmp_path / "csri_example.yaml")


# ------------------------------------------------------------------------------------------- merge rule


def test_a_wording_file_supplies_licensed_text(tmp_path):
    write(
        tmp_path / "swemwbs-wording.yaml",
        {
            "id": "swemwbs",
            "version": "1",
            "source": "Warwick registration 42",
            "wording": {"optimistic": "Licensed text one", "useful": "Licensed text two"},
        },
    )
    merged = load_definitions([SHIPPED_DIR, tmp_path])
    swemwbs = merged.get("swemwbs")
    assert swemwbs.item("optimistic").wording == "Licensed text one"
    assert swemwbs.item("relaxed").wording is None
    assert swemwbs.wording_source.startswith("Warwick registration 42")
    assert score_one(swemwbs, [3] * 7)["metric"] == 19.25  # scoring unchanged: raw 21


def test_wording_file_may_word_answer_codes(tmp_path):
    write(
        tmp_path / "eq.yaml",
        {
            "id": "eq5d5l",
            "version": "1",
            "wording": {"mobility": "Licensed mobility"},
            "code_wording": {"mobility": {1: "Licensed level one"}},
        },
    )
    mobility = load_definitions([SHIPPED_DIR, tmp_path]).get("eq5d5l").item("mobility")
    assert mobility.codes[0].wording == "Licensed level one" and mobility.codes[0].label == "no problems"
    assert mobility.codes[1].wording is None


@pytest.mark.parametrize(
    ("wording_file", "message"),
    [
        (
            {"id": "phq9", "version": "1", "wording": {"a": "b"}},
            "wording.yaml: id: wording for phq9 version 1",
        ),
        (
            {"id": "swemwbs", "version": "2", "wording": {"a": "b"}},
            "wording for swemwbs version 2, which is not",
        ),
        (
            {"id": "swemwbs", "version": "1", "wording": {"hopeful": "b"}},
            "wording.hopeful: swemwbs has no item",
        ),
        ({"id": "swemwbs", "version": "1", "wording": {"useful": ""}}, "wording.useful: must be non-empty"),
        ({"id": "swemwbs", "version": "1", "title": "x", "wording": {"useful": "b"}}, "title: unknown field"),
        (
            {"id": "eq5d5l", "version": "1", "code_wording": {"vas": {1: "x"}}},
            "code_wording.vas: this item takes",
        ),
        ({"id": "eq5d5l", "version": "1", "code_wording": {"mobility": {9: "x"}}}, "code_wording.mobility.9"),
    ],
)
def test_broken_wording_files_are_refused(tmp_path, wording_file, message):
    write(tmp_path / "wording.yaml", wording_file)
    with pytest.raises(DefinitionError, match=message):
        load_definitions([SHIPPED_DIR, tmp_path])


def test_the_same_item_cannot_be_worded_twice(tmp_path):
    write(tmp_path / "a.yaml", {"id": "swemwbs", "version": "1", "wording": {"useful": "one"}})
    write(tmp_path / "b.yaml", {"id": "swemwbs", "version": "1", "wording": {"useful": "two"}})
    with pytest.raises(DefinitionError, match="b.yaml: wording.useful: already supplied by .*a.yaml"):
        load_definitions([SHIPPED_DIR, tmp_path])


def test_a_deployment_cannot_silently_replace_a_shipped_definition(tmp_path):
    data = shipped("swemwbs")
    data["title"] = "Replacement"
    write(tmp_path / "mine.yaml", data)
    with pytest.raises(DefinitionError, match="mine.yaml: version: swemwbs version 1 is already defined"):
        load_definitions([SHIPPED_DIR, tmp_path])


def test_a_deployment_adds_new_versions_and_instruments(tmp_path):
    newer = shipped("ucla3")
    newer["version"] = "1.10"
    write(tmp_path / "ucla3-v1.10.yaml", newer)
    another = shipped("qpr15")
    another["id"] = "qpr22"
    another["title"] = "Another recovery questionnaire"
    write(tmp_path / "qpr22.yaml", another)
    merged = load_definitions([SHIPPED_DIR, tmp_path])
    assert merged.versions("ucla3") == ("1", "1.10")
    assert merged.get("ucla3").version == "1.10"  # the latest by default
    assert merged.get("ucla3", "1").version == "1"
    assert "qpr22" in merged and len(merged) == len(SHIPPED) + 2


def test_a_wording_file_is_not_a_definition_on_its_own(tmp_path):
    path = write(tmp_path / "w.yaml", {"id": "swemwbs", "version": "1", "wording": {"useful": "x"}})
    with pytest.raises(DefinitionError, match="w.yaml: this is a wording file"):
        load_definition(path)


def test_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(DefinitionError, match="nowhere: no such file or directory"):
        load_definitions([SHIPPED_DIR, tmp_path / "nowhere"])
