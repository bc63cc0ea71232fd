"""Shapes implementation data for pages: rating histories as charts and tables, item scores, guidance text, and
the `guidance_link(step)` Jinja global."""

from django.urls import reverse
from markupsafe import Markup, escape

from connecting_people.implementation.guidance import STEP_NAMES, STEPS, text_blocks
from connecting_people.implementation.models import FidelityRating
from connecting_people.implementation.selectors import RatingHistory
from connecting_people.measures import scoring
from connecting_people.measures.presenters import format_change, format_score
from connecting_people.measures.render import score_chart_svg

__all__ = ["format_change", "format_score"]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def history_title(history: RatingHistory) -> str:
    kind = FidelityRating.Kind(history.kind).label
    if history.scale is None:
        return f"{kind}s: {history.scale_id} version {history.scale_version}"
    return f"{kind}s: {history.scale.title}"


def _series(history: RatingHistory) -> list[tuple[str, str, list]]:
    """(score name, label, value per rating): the total, then each domain."""
    series = [("total", "Total", [rating.total for rating in history.ratings])]
    if history.scale is not None:
        for subscale in history.scale.subscales:
            series.append(
                (
                    subscale.id,
                    f"Domain: {subscale.label}",
                    [rating.subscales.get(subscale.id) for rating in history.ratings],
                )
            )
    return series


def history_charts(history: RatingHistory, index: int) -> list[str]:
    """An SVG chart of the total and of each domain over time, on the scale's full range; the table beside
    them lists every value."""
    if history.scale is None:
        return []
    ranges = scoring.score_ranges(history.scale)
    charts = []
    for position, (name, label, values) in enumerate(_series(history)):
        points = [
            (rating.rated_on, value)
            for rating, value in zip(history.ratings, values, strict=True)
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
                chart_id=f"fidelity-{index}-{position}",
                title=f"{FidelityRating.Kind(history.kind).label}s: {label.lower()} over time",
                description=f"{len(points)} ratings from {points[0][0]:%d %B %Y} to {points[-1][0]:%d %B %Y}, "
                f"on a scale from {low:g} to {high:g}; the table lists every value.",
            )
        )
    return charts


def history_table(history: RatingHistory) -> dict:
    """Columns (total, then each domain with its range) and rows newest first, for the table beside the chart."""
    columns = [("total", "Total")]
    ranges = scoring.score_ranges(history.scale) if history.scale is not None else {}
    if history.scale is not None:
        columns += [(s.id, _sentence(s.label)) for s in history.scale.subscales]
    headers = [
        f"{label} ({ranges[name][0]:g}–{ranges[name][1]:g})" if name in ranges else label
        for name, label in columns
    ]
    rows = []
    for rating in reversed(history.ratings):
        values = [rating.total if name == "total" else rating.subscales.get(name) for name, _label in columns]
        rows.append({"rating": rating, "values": [format_score(value) for value in values]})
    return {"headers": headers, "rows": rows}


def history_sections(histories: list[RatingHistory]) -> list[dict]:
    return [
        {
            "history": history,
            "title": history_title(history),
            "charts": history_charts(history, index),
            "table": history_table(history),
            "anchor": f"ratings-{index}",
        }
        for index, history in enumerate(histories)
    ]


def rating_items(rating: FidelityRating, scale) -> list[dict]:
    """Each item of a rating with its score and the description of that score, grouped under its domain."""
    if scale is None:
        return [
            {"domain": None, "label": f"Item {n + 1}", "score": format_score(v), "anchor": ""}
            for n, v in enumerate(rating.answers)
        ]
    domain_of = {item_id: subscale.label for subscale in scale.subscales for item_id in subscale.items}
    out = []
    for item, value in zip(scale.items, rating.answers, strict=False):
        out.append(
            {
                "domain": _sentence(domain_of.get(item.id, "other items")),
                "label": _sentence(item.label),
                "score": "Not scored" if value is None else format_score(value),
                "anchor": "" if value is None else (item.code_label(value) or ""),
            }
        )
    return out


def rating_domains(rating: FidelityRating, scale) -> list[dict]:
    """Each domain's score and possible range, for a rating made with a scale this deployment loads."""
    if scale is None:
        return []
    ranges = scoring.score_ranges(scale)
    return [
        {
            "label": _sentence(subscale.label),
            "score": format_score(rating.subscales.get(subscale.id)),
            "range": f"{ranges[subscale.id][0]:g}–{ranges[subscale.id][1]:g}",
        }
        for subscale in scale.subscales
    ]


def rating_total(rating: FidelityRating, scale) -> str:
    """ "34 out of 64" (or the total alone when the scale is no longer loaded)."""
    if rating.total is None:
        return "Not scored"
    if scale is None:
        return format_score(rating.total)
    return f"{format_score(rating.total)} out of {scoring.score_ranges(scale)['total'][1]:g}"


def section_blocks(text: str) -> list:
    return text_blocks(text)


def guidance_link(step: str) -> Markup:
    """A small "Guidance: what good looks like" link to the guidance page of a step ("assess", "plan", "do",
    "review", "moving_on", or "person" for the guide for the person supported). No database query."""
    slug = STEPS.get(step)
    if slug is None:
        raise ValueError(f"unknown step {step!r} (known: {', '.join(STEPS)})")
    href = reverse("implementation:guidance_page", args=[slug])
    hidden = f" for {STEP_NAMES[step]}"
    return Markup(
        '<p class="nhsuk-body-s app-guidance-link"><a href="{href}">Guidance: what good looks like'
        '<span class="nhsuk-u-visually-hidden">{hidden}</span></a></p>'
    ).format(href=escape(href), hidden=hidden)
