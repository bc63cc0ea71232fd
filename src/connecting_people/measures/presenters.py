"""Shapes measure histories for pages: table rows, charts, and which instruments can be recorded here."""

import re

from connecting_people.measures import registry, scoring
from connecting_people.measures.definitions import Instrument
from connecting_people.measures.render import score_chart_svg
from connecting_people.measures.selectors import MeasureHistory


def recordable_instruments() -> list[Instrument]:
    """Instruments recorded on their own page. Goal Attainment Scaling is scored from goals at review instead."""
    return [instrument for instrument in _latest_versions() if instrument.repeat is None]


_ABBREVIATION = re.compile(r"\(([^(),]+)\)\s*$")


def short_title(instrument: Instrument) -> str:
    """The name a prompt or a link can use: the abbreviation the title ends with when it has one ("SWEMWBS",
    "UCLA 3-item"), else the whole title. A phrase in brackets ("ONS direct question") is not an
    abbreviation: every word of one has a capital letter or a digit."""
    found = _ABBREVIATION.search(instrument.title)
    if found and all(re.search(r"[A-Z0-9]", word) for word in found.group(1).split()):
        return found.group(1).strip()
    return instrument.title


def _latest_versions() -> list[Instrument]:
    catalogue = registry.catalogue()
    return [catalogue.get(instrument_id) for instrument_id in catalogue.ids()]


def format_score(value) -> str:
    if value is None:
        return "Not scored"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{value:g}" if isinstance(value, float) else str(value)


def format_change(value) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "No change"
    return ("+" if value > 0 else "−") + format_score(abs(value))


def history_rows(history: MeasureHistory) -> list[dict]:
    """Newest first, with the headline score, total, band and what the missing-data rule did."""
    rows = []
    for administration, headline in zip(history.administrations, history.headlines, strict=True):
        rows.append(
            {
                "administration": administration,
                "headline": format_score(headline)
                if history.instrument.headline != "band"
                else administration.band,
                "total": format_score(administration.total),
                "band": administration.band or "–",
                "missing": len(administration.missing_items),
                "missing_rule": administration.missing_rule,
            }
        )
    return list(reversed(rows))


def headline_label(instrument: Instrument) -> str:
    return {
        "total": "Total",
        "band": "Answer",
        "metric": "Metric score",
        "index": "Index",
        "t_score": "T-score",
    }.get(instrument.headline, instrument.headline.replace("_", " ").capitalize())


def _series(history: MeasureHistory) -> list[tuple[str, str, list]]:
    """Every score worth a chart: (score name, label, value per administration). The headline first, then
    each subscale, then the EQ VAS."""
    instrument = history.instrument
    series = []
    if instrument.headline != "band":
        series.append((instrument.headline, headline_label(instrument), history.headlines))
    for subscale in instrument.subscales:
        series.append(
            (
                subscale.id,
                _sentence(subscale.label),
                [a.subscales.get(subscale.id) for a in history.administrations],
            )
        )
    if any("vas" in a.derived for a in history.administrations):
        series.append(
            ("vas", "Visual analogue scale", [a.derived.get("vas") for a in history.administrations])
        )
    return series


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def score_charts(history: MeasureHistory, index: int) -> list[str]:
    """An SVG chart for each numeric score of this history that has at least one value."""
    instrument = history.instrument
    value_set = history.latest.derived.get("value_set")
    ranges = scoring.score_ranges(instrument, value_set=value_set)
    charts = []
    for position, (name, label, values) in enumerate(_series(history)):
        points = [
            (a.administered_on, value)
            for a, value in zip(history.administrations, values, strict=True)
            if value is not None
        ]
        if not points or name not in ranges:
            continue
        low, high = ranges[name]
        charts.append(
            score_chart_svg(
                points,
                low=low,
                high=high,
                chart_id=f"chart-{index}-{position}",
                title=f"{instrument.title}: {label.lower()} over time",
                description=f"{len(points)} scored administrations from {points[0][0]:%d %B %Y} to "
                f"{points[-1][0]:%d %B %Y}; the table below lists every value.",
            )
        )
    return charts
