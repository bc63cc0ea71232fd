"""The report's charts, drawn with matplotlib (Agg, no display) as SVG text to put inside an HTML page.

* ``outcome_chart``: one outcome's mean with its confidence interval at baseline and follow-up, per arm.
* ``plane_chart``: the cost-effectiveness plane: bootstrap replicates and the point estimate.
* ``acceptability_chart``: the cost-effectiveness acceptability curve.

Each chart is plotted from numbers in the analysis result, and returned by ``inline_svg``: no XML prologue,
no namespaces or links to anywhere, no ``style`` attributes or ``<style>`` elements (a page with a strict
content security policy shows it as drawn), ids prefixed with the chart's name (several charts share one page),
text kept as text (``svg.fonttype = "none"``), and ``role="img"`` with a ``<title>`` and ``<desc>``. Same
numbers, same SVG, byte for byte (no dates; ids from a fixed salt).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from html import escape

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend
from matplotlib.lines import Line2D  # noqa: E402
from scipy import stats  # noqa: E402

from . import format as fmt  # noqa: E402

ARMS = ("intervention", "control")
ARM_LABELS = {"intervention": "Intervention", "control": "Control"}
# NHS blue and a dark orange, told apart by marker and line style as well as by colour.
ARM_STYLE = {
    "intervention": {"color": "#005eb8", "marker": "o", "linestyle": "-"},
    "control": {"color": "#b35900", "marker": "s", "linestyle": "--"},
}
TEXT = "#212b32"
GRID = "#d8dde0"
FONT = "Arial, Helvetica, sans-serif"
THRESHOLDS = (20_000.0, 30_000.0)

RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # metrics for laying out; the page's own sans-serif draws the text
    "font.size": 10,
    "axes.edgecolor": TEXT,
    "axes.labelcolor": TEXT,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "text.color": TEXT,
    "legend.frameon": False,
}

_ATTRIBUTE = re.compile(r'\s(id|style|xlink:href|href|clip-path|mask|filter)="([^"]*)"')


def inline_svg(svg: str, *, name: str, title: str, description: str) -> str:
    """An SVG document (matplotlib's or any other) made fit to sit inside an HTML page, as described above.

    name: a short prefix for the chart's ids (letters, digits and hyphens).
    """
    text = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", "", svg, flags=re.S)
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    # matplotlib's only stylesheet: default joins and caps, given instead as attributes of the root.
    text = re.sub(r"<defs>\s*<style[^>]*>.*?</style>\s*</defs>", "", text, flags=re.S)
    text = re.sub(r"<style[^>]*>.*?</style>", "", text, flags=re.S)
    text = re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", text)
    text = text.replace("xlink:href=", "href=")

    referenced = set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', text))
    referenced = {a or b for a, b in referenced}

    def rename(match: re.Match) -> str:
        key, value = match.group(1), match.group(2)
        if key == "id":
            return f' id="{name}-{value}"' if value in referenced else ""
        if key == "style":
            return _presentation_attributes(value)
        value = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{name}-{m.group(1)})", value)
        if key == "href" and value.startswith("#"):
            value = f"#{name}-{value[1:]}"
        return f' {key}="{value}"'

    text = _ATTRIBUTE.sub(rename, text).strip()
    opening = re.match(r"<svg\b([^>]*)>", text)
    if opening is None:
        raise ValueError("not an SVG document")
    attributes = re.sub(r'\s(width|height|role|aria-labelledby|class)="[^"]*"', "", opening.group(1))
    # Whatever <title>/<desc> came with it gives way to ours.
    body = re.sub(r"^\s*(<title>.*?</title>)?\s*(<desc>.*?</desc>)?", "", text[opening.end() :], flags=re.S)
    return (
        f'<svg{attributes} width="100%" class="app-report-chart" role="img" '
        f'aria-labelledby="{name}-title {name}-desc" stroke-linejoin="round" stroke-linecap="butt">'
        f'<title id="{name}-title">{escape(title)}</title><desc id="{name}-desc">{escape(description)}</desc>'
        f"{body}"
    )


def _presentation_attributes(style: str) -> str:
    """ "fill: #fff; stroke-width: 0.8" -> ' fill="#fff" stroke-width="0.8"' (SVG presentation attributes,
    which a content security policy does not block). Font families become the page's sans-serif."""
    out = []
    for declaration in style.split(";"):
        if ":" not in declaration:
            continue
        key, value = (part.strip() for part in declaration.split(":", 1))
        if not re.fullmatch(r"[a-z-]+", key):
            continue
        if key == "font-family":
            value = FONT
        out.append(f' {key}="{escape(value, quote=True)}"')
    return "".join(out)


def _svg(figure: Figure, *, name: str, title: str, description: str) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context({**RC, "svg.hashsalt": f"connecting-people-{name}"}):
        figure.savefig(
            buffer,
            format="svg",
            bbox_inches="tight",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    return inline_svg(buffer.getvalue(), name=name, title=title, description=description)


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(RC):
        figure = Figure(figsize=(width, height), layout="constrained")
    return figure


def mean_interval(summary: Mapping | None, confidence: float) -> tuple[float, float] | None:
    """The confidence interval of a mean from its n, mean and SD (t distribution with n − 1 degrees of
    freedom); None with fewer than 2 values."""
    if not summary or not summary.get("n") or summary["n"] < 2 or summary.get("sd") is None:
        return None
    half = stats.t.ppf(0.5 + confidence / 2, summary["n"] - 1) * summary["sd"] / math.sqrt(summary["n"])
    return summary["mean"] - half, summary["mean"] + half


def outcome_chart(
    outcome: Mapping,
    *,
    name: str,
    timepoint_labels: Sequence[str] = ("Baseline", "Follow-up"),
    confidence: float = 0.95,
) -> str | None:
    """One outcome's mean and confidence interval by arm at baseline and follow-up (the result's
    ``descriptives``). None when the outcome has no descriptives (a refused part)."""
    descriptives = outcome.get("descriptives")
    if not descriptives:
        return None
    level = f"{confidence:.0%}"
    figure = _figure(5.6, 3.4)
    with matplotlib.rc_context(RC):
        axes = figure.subplots()
        words = []
        for offset, arm in zip((-0.06, 0.06), ARMS, strict=True):
            xs, means, lows, highs = [], [], [], []
            for position, key in enumerate(("baseline", "follow_up")):
                summary = (descriptives.get(key) or {}).get(arm) or {}
                if not summary.get("n") or summary.get("mean") is None:
                    continue
                ci = mean_interval(summary, confidence)
                xs.append(position + offset)
                means.append(summary["mean"])
                lows.append(summary["mean"] - ci[0] if ci else 0.0)
                highs.append(ci[1] - summary["mean"] if ci else 0.0)
                words.append(
                    f"{ARM_LABELS[arm]} at {timepoint_labels[position].lower()}: mean {fmt.number(summary['mean'])}"
                    + (f" ({level} CI {fmt.interval(*ci)})" if ci else "")
                    + f", {fmt.count(summary['n'])} participants."
                )
            if xs:
                style = ARM_STYLE[arm]
                axes.errorbar(
                    xs,
                    means,
                    yerr=[lows, highs],
                    color=style["color"],
                    marker=style["marker"],
                    linestyle=style["linestyle"],
                    linewidth=2,
                    markersize=7,
                    capsize=5,
                    label=ARM_LABELS[arm],
                )
        axes.set_xticks([0, 1], list(timepoint_labels))
        axes.set_xlim(-0.4, 1.4)
        axes.set_ylabel("Mean score")
        axes.grid(axis="y", color=GRID, linewidth=0.8)
        axes.set_axisbelow(True)
        axes.legend(loc="best")
    title = f"{outcome.get('label', outcome.get('measure', 'Outcome'))}: mean by arm over time"
    description = (
        f"Means with {level} confidence intervals, by arm, at {timepoint_labels[0].lower()} and "
        f"{timepoint_labels[1].lower()}. " + " ".join(words)
    )
    return _svg(figure, name=name, title=title, description=description)


def plane_chart(economic: Mapping, *, name: str = "ce-plane") -> str | None:
    """The cost-effectiveness plane: every bootstrap replicate (incremental QALYs, incremental cost), the
    point estimate, and lines through the origin at 20,000 and 30,000 per QALY."""
    plane = economic.get("plane") or {}
    points = plane.get("points") or []
    if not points:
        return None
    currency = economic.get("currency", "GBP")
    order = plane.get("point_order") or ["incremental_qaly", "incremental_cost"]
    q_index, c_index = order.index("incremental_qaly"), order.index("incremental_cost")
    qalys = [point[q_index] for point in points]
    costs = [point[c_index] for point in points]
    figure = _figure(5.6, 4.2)
    with matplotlib.rc_context(RC):
        axes = figure.subplots()
        axes.scatter(
            qalys, costs, s=6, color="#768692", alpha=0.5, linewidths=0, label="Bootstrap replicates"
        )
        axes.axhline(0, color=TEXT, linewidth=0.8)
        axes.axvline(0, color=TEXT, linewidth=0.8)
        span = max(max(abs(q) for q in qalys), abs(economic.get("incremental_qaly") or 0.0)) * 1.1 or 0.01
        axes.set_xlim(-span, span)
        lines = []
        for threshold, style in zip(THRESHOLDS, (":", "-."), strict=True):
            (line,) = axes.plot(
                [-span, span],
                [-span * threshold, span * threshold],
                color="#330072",
                linestyle=style,
                linewidth=1.2,
                label=f"{fmt.money(threshold, currency)} per QALY",
            )
            lines.append(line)
        top = max(max(abs(c) for c in costs), abs(economic.get("incremental_cost") or 0.0)) * 1.1 or 1.0
        axes.set_ylim(-top, top)
        if economic.get("incremental_qaly") is not None and economic.get("incremental_cost") is not None:
            axes.plot(
                [economic["incremental_qaly"]],
                [economic["incremental_cost"]],
                marker="D",
                markersize=9,
                color="#005eb8",
                markeredgecolor="#ffffff",
                linestyle="none",
                label="Point estimate",
            )
        axes.yaxis.set_major_formatter(lambda value, _position: fmt.money(value, currency))
        axes.set_xlabel("Incremental QALYs (intervention minus control)")
        axes.set_ylabel("Incremental cost")
        axes.legend(loc="upper left", fontsize=8)
    quadrants = plane.get("quadrants") or {}
    meaning = plane.get("quadrant_meaning") or {}
    shares = "; ".join(
        f"{quadrant} ({meaning.get(quadrant, '')}): {fmt.percent(share)}"
        for quadrant, share in quadrants.items()
    )
    description = (
        f"{fmt.count(len(points))} bootstrap replicates of the incremental cost and QALYs, and the point "
        f"estimate: {fmt.money(economic.get('incremental_cost'), currency)} and "
        f"{fmt.number(economic.get('incremental_qaly'), 4)} QALYs per participant. Share of replicates in each "
        f"quadrant: {shares}."
    )
    return _svg(figure, name=name, title="Cost-effectiveness plane", description=description)


def acceptability_chart(economic: Mapping, *, name: str = "ceac") -> str | None:
    """The cost-effectiveness acceptability curve: the probability that the intervention is cost-effective
    at each willingness to pay per QALY, with the 20,000 and 30,000 thresholds marked."""
    curve = economic.get("ceac") or []
    if not curve:
        return None
    currency = economic.get("currency", "GBP")
    xs = [row["willingness_to_pay"] for row in curve]
    ys = [row["probability"] for row in curve]
    figure = _figure(5.6, 3.4)
    with matplotlib.rc_context(RC):
        axes = figure.subplots()
        axes.plot(xs, ys, color="#005eb8", linewidth=2)
        for threshold, style in zip(THRESHOLDS, (":", "-."), strict=True):
            axes.axvline(threshold, color="#330072", linestyle=style, linewidth=1.2)
        axes.set_ylim(-0.02, 1.02)
        axes.set_xlim(min(xs), max(xs))
        axes.xaxis.set_major_formatter(lambda value, _position: fmt.money(value, currency))
        axes.yaxis.set_major_formatter(lambda value, _position: f"{value:.0%}")
        axes.set_xlabel("Willingness to pay per QALY")
        axes.set_ylabel("Probability cost-effective")
        axes.grid(color=GRID, linewidth=0.8)
        axes.set_axisbelow(True)
        axes.legend(
            handles=[
                Line2D([], [], color="#005eb8", linewidth=2, label="Probability cost-effective"),
                *(
                    Line2D(
                        [], [], color="#330072", linestyle=style, label=f"{fmt.money(t, currency)} per QALY"
                    )
                    for t, style in zip(THRESHOLDS, (":", "-."), strict=True)
                ),
            ],
            loc="best",
            fontsize=8,
        )
    marks = [row for row in curve if row["willingness_to_pay"] in (0.0, *THRESHOLDS, max(xs))]
    description = (
        "Probability that the intervention is cost-effective against willingness to pay per QALY, from "
        f"{fmt.money(min(xs), currency)} to {fmt.money(max(xs), currency)}: "
        + "; ".join(
            f"{fmt.percent(row['probability'])} at {fmt.money(row['willingness_to_pay'], currency)}"
            for row in marks
        )
        + "."
    )
    return _svg(figure, name=name, title="Cost-effectiveness acceptability curve", description=description)
