"""The analysis report as HTML: the analysis result's numbers, formatted, in tables and charts, with the methods
stated. Pure (no Django): a Jinja2 environment of its own, autoescaping everything it is given.

* ``render_report`` gives a complete, standalone, printable HTML document (its styles in a ``<style>``
  element; no scripts, no links, nothing fetched from anywhere).
* ``render_report_body`` gives the part inside it, headed from ``<h2>`` down, with NHS.UK design system
  classes and no styles of its own, for a page of the service to show inside its own layout.

Nothing here computes a result: every number shown is the analysis module's, formatted (``format.py``). The
charts (``charts.py``) plot the same numbers; the outcome charts' intervals of the means come from the n, mean
and SD in the tables beside them, and the page says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from html import unescape
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from . import charts
from . import format as fmt

ARMS = ("intervention", "control")
ARM_LABELS = {"intervention": "Intervention", "control": "Control"}
METHOD_TITLES = {
    "population": "Population",
    "primary": "Primary outcome",
    "sensitivity": "Sensitivity analysis",
    "secondary": "Secondary outcomes",
    "fidelity": "Fidelity and outcome",
    "costs": "Costs",
    "qalys": "Quality-adjusted life years (QALYs)",
    "incremental": "Incremental cost and QALYs",
    "icer": "Incremental cost-effectiveness ratio (ICER)",
    "bootstrap": "Uncertainty",
    "ceac": "Acceptability curve",
    "missing": "Missing data",
    "refusal": "When an estimate is not made",
}
CEAC_MARKS = (0.0, 10_000.0, 20_000.0, 30_000.0, 40_000.0, 50_000.0)
OUTCOME_DIGITS = 2
QALY_DIGITS = 4
UTILITY_DIGITS = 3

_environment = Environment(
    loader=PackageLoader("connecting_people.study.report", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_report(
    result: Mapping[str, Any],
    *,
    study: Mapping[str, Any],
    flow_svg: str | None = None,
    flow_table: Sequence[Sequence[Any]] | None = None,
) -> str:
    """The whole report as one standalone HTML document (text).

    result: what ``analysis.analyse`` returned (the JSON-ready dict).
    study: ``code``, ``title``, ``price_year``, ``currency``, ``generated`` (a date or text), ``seed``,
    ``replicates``; optional ``timepoints`` ({timepoint code: label}), ``service_labels`` ({service id:
    label}), ``unit_cost_source``.
    flow_svg: the participant flow diagram (``study.flow.flow_svg``), or None when there is none.
    flow_table: the flow's numbers as rows of cells, the first row holding the column headings.
    """
    context = report_context(result, study=study, flow_svg=flow_svg, flow_table=flow_table)
    body = _environment.get_template("body.html").render(context)
    return _environment.get_template("document.html").render({**context, "body": Markup(body)})


def render_report_body(
    result: Mapping[str, Any],
    *,
    study: Mapping[str, Any],
    flow_svg: str | None = None,
    flow_table: Sequence[Sequence[Any]] | None = None,
) -> str:
    """The report's content without the document around it (see ``render_report`` for the arguments)."""
    context = report_context(result, study=study, flow_svg=flow_svg, flow_table=flow_table)
    return _environment.get_template("body.html").render(context)


def render_both(
    result: Mapping[str, Any],
    *,
    study: Mapping[str, Any],
    flow_svg: str | None = None,
    flow_table: Sequence[Sequence[Any]] | None = None,
) -> tuple[str, str]:
    """(document, body), drawing the charts once."""
    context = report_context(result, study=study, flow_svg=flow_svg, flow_table=flow_table)
    body = _environment.get_template("body.html").render(context)
    return _environment.get_template("document.html").render({**context, "body": Markup(body)}), body


# --- what the templates show ---------------------------------------------------------------------------------


def report_context(
    result: Mapping[str, Any],
    *,
    study: Mapping[str, Any],
    flow_svg: str | None,
    flow_table: Sequence[Sequence[Any]] | None,
) -> dict[str, Any]:
    """Everything the templates show, as text, tables (lists of rows of text) and SVG markup."""
    economic = result.get("cost_effectiveness") or {}
    currency = str(economic.get("currency") or study.get("currency") or "GBP")
    timepoints = result.get("study", {}).get("timepoints", {})
    names = study.get("timepoints") or {}
    baseline = str(names.get(timepoints.get("baseline"), timepoints.get("baseline", "baseline")))
    follow_up = str(names.get(timepoints.get("follow_up"), timepoints.get("follow_up", "follow-up")))
    labels = (fmt.sentence_case(baseline), fmt.sentence_case(follow_up))
    confidence = float(result.get("plan", {}).get("confidence", 0.95))
    level = f"{confidence:.0%}"
    primary = _outcome(result["primary"], name="primary", labels=labels, level=level, confidence=confidence)
    secondary = [
        _outcome(part, name=f"secondary-{index}", labels=labels, level=level, confidence=confidence)
        for index, part in enumerate((result.get("secondary") or {}).values(), start=1)
    ]
    if flow_svg:
        flow_svg = charts.inline_svg(
            flow_svg,
            name="flow",
            title="Flow of participants through the study",
            description=_svg_description(flow_svg)
            or "The flow of participants; the numbers are in the table below.",
        )
    generated = study.get("generated")
    return {
        "title": str(study.get("title") or "Study analysis report"),
        "code": str(study.get("code") or ""),
        "details": _details(result, study, currency, labels),
        "illustrative": bool(economic.get("illustrative_costs")),
        "headline": _headline(result, currency, level),
        "methods": _methods(result.get("methods") or {}),
        "flow_svg": Markup(flow_svg) if flow_svg else None,
        "flow_table": _flow_table(flow_table),
        "participants": _participants(result),
        "primary": primary,
        "secondary": secondary,
        "fidelity": _fidelity(result.get("fidelity") or {}, level),
        "economic": _economic(economic, currency, level, labels, study.get("service_labels") or {}),
        "missing": _missing(result.get("missing") or {}, _analysis_names(result)),
        "refusals": list(result.get("refusals") or []),
        "notes": list(result.get("notes") or []),
        "level": level,
        "generated": _date(generated),
    }


def _date(value) -> str:
    return f"{value.day} {value:%B %Y}" if isinstance(value, date) else str(value or "")


def _svg_description(svg: str) -> str:
    found = re.search(r"<desc[^>]*>(.*?)</desc>", svg, flags=re.S)
    return unescape(found.group(1)).strip() if found else ""


def _arms(values: Mapping[str, Any] | None, render=fmt.count) -> list[str]:
    values = values or {}
    return [render(values.get(arm)) for arm in ARMS]


def _details(result, study, currency: str, labels) -> list[tuple[str, str]]:
    economic = result.get("cost_effectiveness") or {}
    plan = result.get("plan") or {}
    found = [
        ("Study", f"{study.get('title', '')} ({study.get('code', '')})".strip()),
        ("Report made", _date(study.get("generated"))),
        ("Timepoints compared", f"{labels[0]} and {labels[1]}"),
        ("Sites", fmt.count(result.get("study", {}).get("sites"))),
        ("Random seed of the bootstrap", str(study.get("seed", plan.get("seed", "")))),
        ("Bootstrap replicates", fmt.count(study.get("replicates", plan.get("bootstrap_replicates")))),
        (
            "Price year and currency",
            f"{economic.get('price_year') or study.get('price_year', '')}, {currency}",
        ),
    ]
    if economic.get("unit_costs"):
        found.append(("Unit-cost table", str(economic["unit_costs"])))
    if study.get("unit_cost_source"):
        found.append(("Source of unit costs", str(study["unit_cost_source"])))
    found.append(("Analysis results format", str(result.get("schema", ""))))
    return found


def _ce_statement(economic) -> str:
    """The cost-effectiveness statement; when nothing was recorded to cost the intervention's delivery, said as
    service costs only (never "the intervention dominates" on a delivery cost of nothing)."""
    statement = str(economic.get("statement", ""))
    if (economic.get("intervention_costing") or {}).get("total") or not statement:
        return statement
    statement = statement.replace(
        "The intervention dominates: more QALYs", "More QALYs in the intervention arm"
    )
    return (
        "Service costs only, without the cost of delivering the intervention (nothing recorded to cost it, so it "
        f"counts as nothing): {statement}"
    )


def _headline(result, currency: str, level: str) -> list[str]:
    primary = result["primary"]
    lines = [
        f"Primary outcome, {primary.get('label', primary.get('measure'))}: difference between arms "
        f"{fmt.number(primary.get('estimate'), OUTCOME_DIGITS)} ({level} CI "
        f"{fmt.interval(primary.get('ci_low'), primary.get('ci_high'), OUTCOME_DIGITS)}), "
        f"{fmt.p_phrase(primary.get('p'))} ({primary.get('contrast', 'intervention minus control')})."
    ]
    economic = result.get("cost_effectiveness") or {}
    if "refused" in economic:
        lines.append(f"Cost-effectiveness was not analysed: {economic['refused']}")
    elif economic:
        costing = economic.get("intervention_costing") or {}
        if economic.get("statement"):
            lines.append(_ce_statement(economic))
        if costing.get("total"):
            lines.append(
                f"The cost of delivering the intervention, {fmt.money(costing.get('per_participant'), currency)} "
                f"per intervention participant, is included (costed: {', '.join(costing.get('costed') or [])})."
            )
        for row in economic.get("net_monetary_benefit") or []:
            lines.append(
                f"Probability that the intervention is cost-effective at "
                f"{fmt.money(row.get('willingness_to_pay'), currency)} per QALY: "
                f"{fmt.percent(row.get('probability_cost_effective'))}."
            )
    return lines


def _methods(methods: Mapping[str, str]) -> list[tuple[str, str]]:
    keys = [key for key in METHOD_TITLES if key in methods] + [
        key for key in methods if key not in METHOD_TITLES
    ]
    return [
        (METHOD_TITLES.get(key, fmt.sentence_case(key.replace("_", " "))), str(methods[key])) for key in keys
    ]


def _flow_table(rows: Sequence[Sequence[Any]] | None) -> dict | None:
    if not rows:
        return None
    head, *body = [[str(cell) for cell in row] for row in rows]
    return {"head": head, "rows": body}


def _participants(result) -> dict:
    study = result.get("study") or {}
    missing = result.get("missing") or {}
    return {
        "head": ["", "Intervention", "Control"],
        "rows": [
            ["Teams", *_arms(study.get("teams"))],
            ["Participants (randomised by their team)", *_arms(study.get("participants"))],
            ["Followed up", *_arms(missing.get("followed_up"))],
            ["Not followed up", *_arms(missing.get("not_followed_up"))],
        ],
    }


def _estimate_row(name: str, part: Mapping, *, n=None, teams=None, digits: int = OUTCOME_DIGITS) -> list[str]:
    if "refused" in part:
        return [name, str(part["refused"]), "", "", "", "", ""]
    return [
        name,
        fmt.number(part.get("estimate"), digits),
        fmt.interval(part.get("ci_low"), part.get("ci_high"), digits),
        fmt.p_value(part.get("p")),
        fmt.count(part.get("df")),
        n if n is not None else "",
        teams if teams is not None else "",
    ]


def _per_arm(values: Mapping | None) -> str:
    values = values or {}
    return " / ".join(fmt.count(values.get(arm)) for arm in ARMS)


def _outcome(part: Mapping, *, name: str, labels, level: str, confidence: float) -> dict:
    found = {
        "name": name,
        "label": str(part.get("label") or part.get("measure")),
        "measure": str(part.get("measure", "")),
        "refused": part.get("refused"),
    }
    if part.get("refused"):
        return found
    descriptives = part.get("descriptives") or {}
    sensitivity = part.get("sensitivity") or {}
    found.update(
        {
            "contrast": str(part.get("contrast", "")),
            "adjustment": str(part.get("adjustment", "")),
            "higher_is_better": part.get("higher_is_better", True),
            "descriptives": {
                "head": [
                    "Timepoint",
                    "Intervention: n",
                    "Intervention: mean (SD)",
                    "Control: n",
                    "Control: mean (SD)",
                ],
                "rows": [
                    [
                        label,
                        *[
                            cell
                            for arm in ARMS
                            for cell in (
                                fmt.count((descriptives.get(key) or {}).get(arm, {}).get("n")),
                                fmt.mean_sd((descriptives.get(key) or {}).get(arm), OUTCOME_DIGITS),
                            )
                        ],
                    ]
                    for key, label in zip(("baseline", "follow_up"), labels, strict=True)
                ],
            },
            "effects": {
                "head": [
                    "Analysis",
                    "Difference",
                    f"{level} CI",
                    "p",
                    "Degrees of freedom",
                    "Participants (intervention / control)",
                    "Teams (intervention / control)",
                ],
                "rows": [
                    _estimate_row(
                        "Mixed model (main analysis)",
                        part,
                        n=_per_arm(part.get("n")),
                        teams=_per_arm(part.get("teams")),
                    ),
                    _estimate_row(
                        "Cluster-robust regression (sensitivity analysis)",
                        sensitivity,
                        n=_per_arm(part.get("n")),
                        teams=_per_arm(part.get("teams")),
                    ),
                ],
            },
            "method": str(part.get("method", "")),
            "sensitivity_method": str(sensitivity.get("method", "")),
            "variance": (
                f"Intra-cluster correlation {fmt.number(part.get('icc'), 3)}; between-team variance "
                f"{fmt.number(part.get('team_variance'), 3)}; residual variance "
                f"{fmt.number(part.get('residual_variance'), 3)}."
            ),
            "converged": part.get("converged"),
            "notes": [*map(str, part.get("notes") or []), *map(str, sensitivity.get("notes") or [])],
            "chart": _markup(
                charts.outcome_chart(
                    part, name=f"{name}-chart", timepoint_labels=labels, confidence=confidence
                )
            ),
            "chart_note": (
                f"Means with {level} confidence intervals of the mean (t distribution, from the n, mean and SD "
                "in the table), by arm. The difference between arms is estimated by the models in the table "
                "below, not read from this chart."
            ),
        }
    )
    return found


def _markup(svg: str | None) -> Markup | None:
    return Markup(svg) if svg else None


def _fidelity(part: Mapping, level: str) -> dict:
    if not part or ("refused" in part and "teams" not in part):
        return {"refused": part.get("refused", "Fidelity and outcome were not analysed.")}
    teams = part.get("teams") or []
    high_low = part.get("high_low") or {}
    continuous = part.get("continuous") or {}
    return {
        "refused": None,
        "label": str(part.get("label", "")),
        "population": str(part.get("population", "")),
        "threshold": (
            f"High fidelity: a score of {fmt.number(part.get('threshold'), 1)} or more "
            f"({part.get('threshold_rule', '')})."
            if part.get("threshold") is not None
            else ""
        ),
        "teams": {
            "head": ["Team", "Fidelity score", "Ratings", "Group", "Participants"],
            "rows": [
                [
                    str(team.get("team")),
                    fmt.number(team.get("score"), 1, missing="no rating"),
                    fmt.count(team.get("ratings")),
                    str(team.get("group") or "none"),
                    fmt.count(team.get("participants")),
                ]
                for team in teams
            ],
        },
        "effects": {
            "head": ["Model", "Estimate", f"{level} CI", "p", "Degrees of freedom", "Participants", "Teams"],
            "rows": [
                _estimate_row(
                    f"Fidelity score (per {continuous.get('per', 'point')})",
                    continuous,
                    n=fmt.count(continuous.get("n")) if "n" in continuous else None,
                    teams=fmt.count(continuous.get("teams")) if "teams" in continuous else None,
                ),
                _estimate_row(
                    f"High against low fidelity ({high_low.get('contrast', 'high minus low')})",
                    high_low,
                    n=_groups(high_low.get("n")) if "n" in high_low else None,
                    teams=_groups(high_low.get("teams")) if "teams" in high_low else None,
                ),
            ],
        },
        "methods": [str(p["method"]) for p in (continuous, high_low) if p.get("method")],
        "notes": [str(note) for p in (continuous, high_low) for note in p.get("notes") or []],
    }


def _groups(values: Mapping | None) -> str:
    values = values or {}
    return f"high {fmt.count(values.get('high'))}, low {fmt.count(values.get('low'))}"


def _economic(part: Mapping, currency: str, level: str, labels, service_labels: Mapping[str, str]) -> dict:
    if not part or "refused" in part:
        return {"refused": part.get("refused", "Costs and cost-effectiveness were not analysed.")}

    def money(value, digits: int = 0) -> str:
        return fmt.money(value, currency, digits)

    services = part.get("services") or {}
    means = part.get("means") or {}
    plane = part.get("plane") or {}
    meaning = plane.get("quadrant_meaning") or {}
    ceac = [row for row in part.get("ceac") or [] if row.get("willingness_to_pay") in CEAC_MARKS]
    qaly_days = part.get("qaly_days") or {}
    icer = part.get("icer")
    return {
        "refused": None,
        "illustrative": bool(part.get("illustrative_costs")),
        "table": str(part.get("unit_costs", "")),
        "price_year": str(part.get("price_year", "")),
        "currency": currency,
        "statement": _ce_statement(part),
        "intervention_cost": money(part.get("intervention_cost"), 2),
        "delivery_method": str((part.get("intervention_costing") or {}).get("method", "")),
        "delivery": {
            "head": ["Component", "Units recorded", "Unit cost", "Cost", "Status"],
            "rows": [
                [
                    str(row.get("label")),
                    fmt.number(row.get("quantity"), 2),
                    money(row.get("unit_cost"), 2),
                    money(row.get("cost"), 2),
                    str(row.get("status")),
                ]
                for row in (part.get("intervention_costing") or {}).get("components") or []
            ],
        },
        "services": {
            "head": [
                "Service",
                "Unit cost",
                "Intervention: mean units",
                "Intervention: mean cost",
                "Control: mean units",
                "Control: mean cost",
            ],
            "rows": [
                [
                    str(service_labels.get(service) or service.replace("_", " ")),
                    money(entry.get("unit_cost"), 2),
                    *[
                        cell
                        for arm in ARMS
                        for cell in (
                            fmt.number((entry.get(arm) or {}).get("mean_units"), 2),
                            money((entry.get(arm) or {}).get("mean_cost")),
                        )
                    ],
                ]
                for service, entry in services.items()
            ],
        },
        "means": {
            "head": [
                "Arm",
                f"Cost at {labels[0].lower()}",
                f"Cost at {labels[1].lower()}",
                f"EQ-5D-5L index at {labels[0].lower()}",
                f"EQ-5D-5L index at {labels[1].lower()}",
                "QALYs",
                "Participants",
            ],
            "rows": [
                [
                    ARM_LABELS[arm],
                    money((means.get(arm) or {}).get("baseline_cost")),
                    money((means.get(arm) or {}).get("follow_up_cost")),
                    fmt.number((means.get(arm) or {}).get("baseline_utility"), UTILITY_DIGITS),
                    fmt.number((means.get(arm) or {}).get("follow_up_utility"), UTILITY_DIGITS),
                    fmt.number((means.get(arm) or {}).get("qalys"), QALY_DIGITS),
                    fmt.count((part.get("n") or {}).get(arm)),
                ]
                for arm in ARMS
            ],
        },
        "incremental": {
            "head": ["", "Estimate", f"{level} CI"],
            "rows": [
                [
                    "Incremental cost",
                    money(part.get("incremental_cost")),
                    _money_pair(part.get("incremental_cost_ci"), currency),
                ],
                [
                    "Incremental QALYs",
                    fmt.number(part.get("incremental_qaly"), QALY_DIGITS),
                    fmt.pair(part.get("incremental_qaly_ci"), QALY_DIGITS),
                ],
                [
                    "ICER (incremental cost per QALY)",
                    money(icer) if icer is not None else f"no ratio: {part.get('interpretation', '')}",
                    "",
                ],
            ],
        },
        "interpretation": str(part.get("interpretation", "")),
        "net_benefit": {
            "head": [
                "Willingness to pay per QALY",
                "Net monetary benefit",
                f"{level} CI",
                "Probability cost-effective",
            ],
            "rows": [
                [
                    money(row.get("willingness_to_pay")),
                    money(row.get("estimate")),
                    _money_pair([row.get("ci_low"), row.get("ci_high")], currency),
                    fmt.percent(row.get("probability_cost_effective")),
                ]
                for row in part.get("net_monetary_benefit") or []
            ],
        },
        "plane": _markup(charts.plane_chart(part)),
        "quadrants": {
            "head": ["Quadrant", "Meaning", "Share of replicates"],
            "rows": [
                [quadrant, str(meaning.get(quadrant, "")), fmt.percent(share)]
                for quadrant, share in (plane.get("quadrants") or {}).items()
            ],
        },
        "replicates": fmt.count(part.get("bootstrap_replicates")),
        "seed": str(part.get("bootstrap_seed", "")),
        "ceac": _markup(charts.acceptability_chart(part)),
        "ceac_table": {
            "head": ["Willingness to pay per QALY", "Probability cost-effective"],
            "rows": [[money(row["willingness_to_pay"]), fmt.percent(row.get("probability"))] for row in ceac],
        },
        "qaly_days": (
            f"QALY days measured for {fmt.count(qaly_days.get('measured'))} participants; the nominal "
            f"{fmt.count(qaly_days.get('nominal_days'))} days used for {fmt.count(qaly_days.get('nominal'))}."
            if qaly_days
            else ""
        ),
        "n": _per_arm(part.get("n")),
        "teams": _per_arm(part.get("teams")),
    }


def _money_pair(values, currency: str) -> str:
    if not values or len(values) != 2 or values[0] is None or values[1] is None:
        return fmt.NOT_ESTIMATED
    return f"{fmt.money(values[0], currency)} to {fmt.money(values[1], currency)}"


def _analysis_names(result: Mapping) -> dict[str, str]:
    """The names of the missing-data section's analyses ("secondary: ucla3.total") in words."""
    names = {
        "primary": f"Primary: {result['primary'].get('label', 'primary outcome')}",
        "fidelity": "Fidelity and outcome",
        "cost_effectiveness": "Cost-effectiveness",
    }
    for measure, part in (result.get("secondary") or {}).items():
        names[f"secondary: {measure}"] = f"Secondary: {part.get('label', measure)}"
    return names


def _missing(part: Mapping, names: Mapping[str, str]) -> dict:
    reasons = part.get("not_followed_up_reasons") or {}
    analyses = []
    for name, counts in (part.get("analyses") or {}).items():
        excluded = counts.get("excluded") or {}
        analyses.append(
            [
                names.get(name, fmt.sentence_case(name.replace("_", " "))),
                _per_arm(counts.get("randomised")),
                _per_arm(counts.get("analysed")),
                "; ".join(
                    f"{reason}: {_per_arm(arms)}"
                    for reason, arms in excluded.items()
                    if sum((arms or {}).values())
                )
                or "none",
            ]
        )
    return {
        "method": str(part.get("method", "")),
        "reasons": {
            "head": ["Reason", "Participants"],
            "rows": [
                [fmt.sentence_case(str(reason)), fmt.count(number)] for reason, number in reasons.items()
            ],
        },
        "analyses": {
            "head": [
                "Analysis",
                "Randomised (intervention / control)",
                "Analysed (intervention / control)",
                "Left out, by first reason (intervention / control)",
            ],
            "rows": analyses,
        },
    }
