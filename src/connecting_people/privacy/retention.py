"""Retention rules as data: read the shipped defaults and a deployment's file, check them, and work out the
date before which a class of record falls due. Pure: no Django, tested without a database.

A rule says how many years a class of record is kept (`keep_years`, None for no rule) counted from the class's
own starting point, which the code fixes (`counted_from` describes it in words). The practice record has a
second, shorter period after the person's death.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

SHIPPED_FILE = Path(__file__).with_name("retention.yaml")

# The record classes this version knows, in the order reports show them.
CLASSES = ("practice_record", "study_data", "audit_trail")
_TEXT_KEYS = {"title", "covers", "counted_from", "source"}
_YEAR_KEYS = {"keep_years", "keep_years_after_death"}
_ALLOWED = {
    "practice_record": _TEXT_KEYS | _YEAR_KEYS,
    "study_data": _TEXT_KEYS | {"keep_years"},
    "audit_trail": _TEXT_KEYS | {"keep_years"},
}
_MAX_YEARS = 200


class RetentionConfigError(ValueError):
    """A retention file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Rule:
    record_class: str
    title: str
    covers: str
    counted_from: str
    keep_years: int | None
    source: str
    keep_years_after_death: int | None = None


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def cutoff(rule: Rule, today: date, *, after_death: bool = False) -> date | None:
    """Records of this class whose starting date is on or before the returned date are due; None: no rule."""
    years = rule.keep_years_after_death if after_death else rule.keep_years
    return None if years is None else years_before(today, years)


def _classes_of(text: str, name: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RetentionConfigError(f"{name}: not valid YAML ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("classes"), dict):
        raise RetentionConfigError(f"{name}: expected a mapping with a 'classes' mapping inside")
    unknown_top = set(data) - {"classes"}
    if unknown_top:
        raise RetentionConfigError(f"{name}: unknown key(s) {', '.join(sorted(unknown_top))}")
    for record_class, values in data["classes"].items():
        if record_class not in CLASSES:
            raise RetentionConfigError(
                f"{name}: unknown record class {record_class!r} (known: {', '.join(CLASSES)})"
            )
        if not isinstance(values, dict):
            raise RetentionConfigError(f"{name}: {record_class} must be a mapping of keys to values")
        unknown = set(values) - _ALLOWED[record_class]
        if unknown:
            raise RetentionConfigError(
                f"{name}: {record_class} has unknown key(s) {', '.join(sorted(unknown))}"
            )
        for key, value in values.items():
            where = f"{name}: {record_class}.{key}"
            if key in _YEAR_KEYS:
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_YEARS
                ):
                    raise RetentionConfigError(
                        f"{where} must be a whole number of years from 0 to 200, or null"
                    )
            elif not isinstance(value, str) or not value.strip():
                raise RetentionConfigError(f"{where} must be some text")
    return data["classes"]


def load_rules(
    shipped: str, deployment: str | None = None, *, deployment_name: str = "deployment file"
) -> dict[str, Rule]:
    """The rules of every class: the shipped text, with each key a deployment's text gives put in its place."""
    merged = {name: dict(values) for name, values in _classes_of(shipped, "shipped retention.yaml").items()}
    if deployment is not None:
        for name, values in _classes_of(deployment, deployment_name).items():
            merged.setdefault(name, {}).update(values)
    rules = {}
    for record_class in CLASSES:
        values = merged.get(record_class)
        if values is None:
            raise RetentionConfigError(f"No rule for the record class {record_class}")
        missing = (_TEXT_KEYS | {"keep_years"}) - set(values)
        if missing:
            raise RetentionConfigError(f"{record_class} is missing {', '.join(sorted(missing))}")
        rules[record_class] = Rule(
            record_class=record_class,
            title=values["title"].strip(),
            covers=values["covers"].strip(),
            counted_from=values["counted_from"].strip(),
            keep_years=values["keep_years"],
            keep_years_after_death=values.get("keep_years_after_death"),
            source=values["source"].strip(),
        )
    return rules


def load_rule_files(deployment_file: str | Path | None) -> dict[str, Rule]:
    """The shipped rules, overridden by the deployment's file when one is named."""
    deployment = None
    name = "deployment file"
    if deployment_file:
        path = Path(deployment_file)
        name = str(path)
        try:
            deployment = path.read_text(encoding="utf-8")
        except OSError as error:
            raise RetentionConfigError(f"{path}: cannot be read ({error.strerror})") from None
    return load_rules(SHIPPED_FILE.read_text(encoding="utf-8"), deployment, deployment_name=name)
