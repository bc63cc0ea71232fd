"""Shapes measure histories for pages: table rows, charts, and which instruments can be recorded here."""

from connecting_people.measures import registry, scoring
from connecting_people.measures.definitions import Instrument
from connecting_people.measures.render import score_chart_svg
from connecting_people.measures.selectors import MeasureHistory


def recordable_instruments() -> list[Instrument]:
    """Instruments recorded on their own page. Goal Attainment Scaling is scored from goals at review instead."""
    return [instrument for instrument in _latest_versions() if instrument.repeat is None]


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


def score_chart(history: MeasureHistory, index: int) -> str | None:
    """An SVG chart of the headline score, or None when there is nothing numeric to draw."""
    instrument = history.instrument
    if instrument.headline == "band":
        return None
    points = [
        (a.administered_on, value)
        for a, value in zip(history.administrations, history.headlines, strict=True)
        if value is not None
    ]
    if not points:
        return None
    options = registry.scoring_options(instrument)
    low, high = scoring.score_ranges(instrument, value_set=options.get("value_set"))[instrument.headline]
    label = headline_label(instrument)
    return score_chart_svg(
        points,
        low=low,
        high=high,
        chart_id=f"chart-{index}",
        title=f"{instrument.title}: {label.lower()} over time",
        description=f"{len(points)} scored administrations from {points[0][0]:%d %B %Y} to {points[-1][0]:%d %B %Y}; "
        f"the table below lists every value.",
    )
