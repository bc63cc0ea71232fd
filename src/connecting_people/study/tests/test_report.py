"""The report, rendered without a database from a real analysis of a simulated study: a complete, well-formed
HTML document with the analysis's numbers as it gave them, the methods, tables, the flow diagram and SVG charts;
no scripts, no styles in the body, nothing fetched from anywhere; the same result gives the same document.
Also how numbers are written (`report.format`) and what a chart's SVG is made of (`report.charts`)."""

import re
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser

import pytest

from connecting_people.study.analysis import AnalysisPlan, analyse
from connecting_people.study.completeness.flow import ArmFlow, FlowCounts, flow_svg
from connecting_people.study.report import charts, render_both, render_report, render_report_body
from connecting_people.study.report import format as fmt
from connecting_people.study.simulation import simulate

STUDY = {
    "code": "sim",
    "title": "Simulated study & co",
    "price_year": "2024/25",
    "currency": "GBP",
    "generated": date(2026, 3, 5),
    "seed": 9,
    "replicates": 200,
    "timepoints": {"baseline": "Baseline", "6 months": "6 months"},
    "service_labels": {"gp_appointment": "GP appointments"},
}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@pytest.fixture(scope="module")
def result():
    study = simulate(sites=3, teams_per_site=2, participants_per_team=10, effect=1.0, seed=4)
    return analyse(**study.analysis_rows(), plan=AnalysisPlan(bootstrap_replicates=200, seed=9))


@pytest.fixture(scope="module")
def flow():
    counts = FlowCounts(
        assessed=75,
        not_enrolled={"Declined to take part": 15},
        enrolled=60,
        arms=(
            ArmFlow("intervention", 3, 30, 26, {"Lost to follow-up": 4}, 26, {}),
            ArmFlow("control", 3, 30, 25, {"Withdrew": 5}, 25, {}),
        ),
        follow_up_label="6 months",
    )
    table = [["Stage", "Intervention", "Control", "All"], ["Assessed for eligibility", "", "", 75]]
    return flow_svg(counts), table


@pytest.fixture(scope="module")
def rendered(result, flow):
    return render_both(result, study=STUDY, flow_svg=flow[0], flow_table=flow[1])


class Checker(HTMLParser):
    """Every element closed in order; ids unique; what the document refers to outside itself."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.ids, self.problems, self.tags = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self._attributes(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._attributes(tag, attrs)

    def _attributes(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id":
                self.ids.append(value)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()


def check(html: str) -> Checker:
    checker = Checker()
    checker.feed(html)
    checker.close()
    assert checker.problems == [] and checker.stack == []
    assert len(checker.ids) == len(set(checker.ids)), "ids repeat"
    return checker


def test_a_complete_standalone_document_with_the_analysis_numbers(rendered, result):
    document, _body = rendered
    assert document.startswith('<!DOCTYPE html>\n<html lang="en-GB">')
    checker = check(document)
    assert checker.tags.count("style") == 1 and "script" not in checker.tags
    assert "<script" not in document and "http://" not in document and "https://" not in document
    assert not re.search(r"\b(src|href)=\"(?!#)", document)  # nothing fetched or linked
    assert "<title>Simulated study &amp; co: analysis report</title>" in document

    primary = result["primary"]
    estimate = fmt.number(primary["estimate"])
    interval = fmt.interval(primary["ci_low"], primary["ci_high"])
    assert f"difference between arms {estimate} (95% CI {interval})" in document
    assert f'<td class="nhsuk-table__cell nhsuk-table__cell--numeric">{estimate}</td>' in document
    sensitivity = primary["sensitivity"]
    assert fmt.interval(sensitivity["ci_low"], sensitivity["ci_high"]) in document
    baseline = primary["descriptives"]["baseline"]["intervention"]
    assert fmt.mean_sd(baseline) in document
    for measure, part in result["secondary"].items():
        assert part["label"] in document and fmt.number(part["estimate"]) in document, measure

    economic = result["cost_effectiveness"]
    assert fmt.money(economic["incremental_cost"]) in document
    assert fmt.number(economic["incremental_qaly"], 4) in document
    assert economic["statement"] in document
    for row in economic["net_monetary_benefit"]:
        assert fmt.percent(row["probability_cost_effective"]) in document
    assert "GP appointments" in document  # the service's label from the study
    assert "The unit costs are illustrative" in document  # the shipped table is flagged
    for statement in result["methods"].values():
        assert statement.replace("'", "&#39;").replace("’", "’") in document
    assert primary["method"] in document
    assert "5 March 2026" in document and "Random seed of the bootstrap" in document


def test_charts_for_every_outcome_and_the_cost_effectiveness_plane_and_curve(rendered, result):
    document, _body = rendered
    svgs = re.findall(r"<svg\b[^>]*>", document)
    # flow + primary + 3 secondary + plane + acceptability curve
    assert len(svgs) == 1 + 1 + len(result["secondary"]) + 2
    assert all('role="img"' in svg and "aria-labelledby" in svg for svg in svgs)
    titles = re.findall(r"<title id=\"[^\"]+-title\">([^<]*)</title>", document)
    assert "Cost-effectiveness plane" in titles and "Cost-effectiveness acceptability curve" in titles
    assert f"{result['primary']['label']}: mean by arm over time" in titles
    plane = document[document.index('aria-labelledby="ce-plane-title') :]
    plane = plane[: plane.index("</svg>")]
    assert plane.count("<use ") >= 200  # every replicate is a point
    assert "xmlns" not in document and "xlink" not in document


def test_the_body_is_fit_for_a_page_with_a_strict_content_security_policy(rendered):
    _document, body = rendered
    check(body)
    assert "<style" not in body and " style=" not in body and "<script" not in body
    assert "<h1" not in body and body.count("<h2") >= 8
    assert body in rendered[0]


def test_the_same_result_gives_the_same_document(result, flow, rendered):
    assert render_report(result, study=STUDY, flow_svg=flow[0], flow_table=flow[1]) == rendered[0]
    assert render_report_body(result, study=STUDY, flow_svg=flow[0], flow_table=flow[1]) == rendered[1]


def test_the_flow_diagram_and_its_table(rendered):
    document, _body = rendered
    assert 'aria-labelledby="flow-title flow-desc"' in document
    assert "75 assessed for eligibility." in document  # the diagram's own description
    assert (
        '<caption class="nhsuk-table__caption nhsuk-table__caption--s">Flow of participants</caption>'
        in document
    )


def test_refused_parts_say_why_and_a_missing_flow_is_said(result):
    refused = {
        **result,
        "cost_effectiveness": {"refused": "No unit-cost table were given, so costs are not analysed."},
        "fidelity": {"refused": "No fidelity scores were given."},
        "secondary": {
            **result["secondary"],
            "gas.t_score": {
                "measure": "gas.t_score",
                "label": "Goal attainment",
                "refused": "Too few to analyse it.",
            },
        },
    }
    document = render_report(refused, study=STUDY)
    check(document)
    assert "Not analysed. No unit-cost table were given, so costs are not analysed." in document
    assert "Not analysed. No fidelity scores were given." in document
    assert "Not analysed. Too few to analyse it." in document
    assert "The flow diagram was not available when this report was made." in document
    assert "Cost-effectiveness plane" not in document
    assert len(re.findall(r"<svg\b", document)) == 3  # primary and two secondary outcomes


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (1.3776, 2, "1.38"),
        (-0.0631, 2, "\u22120.06"),
        (-0.0001, 2, "0.00"),
        (12345.678, 1, "12,345.7"),
        (None, 2, "not estimated"),
    ],
)
def test_numbers(value, digits, text):
    assert fmt.number(value, digits) == text


def test_money_intervals_p_and_shares():
    assert fmt.money(1140.02) == "£1,140"
    assert fmt.money(-35.2) == "\u2212£35"
    assert fmt.money(-0.2) == "£0"
    assert fmt.money(12.5, "EUR", 2) == "€12.50"
    assert fmt.money(5, "NOK") == "NOK 5"
    assert fmt.interval(-1.234, 2.5) == "\u22121.23 to 2.50"
    assert fmt.interval(None, 2.5) == "not estimated"
    assert fmt.pair([0.1, 0.25], 1) == "0.1 to 0.2"  # round half to even, as Python writes it
    assert fmt.p_value(0.0009) == "< 0.001" and fmt.p_value(0.04567) == "0.046"
    assert fmt.p_phrase(0.0009) == "p < 0.001" and fmt.p_phrase(0.0591) == "p = 0.059"
    assert fmt.percent(0.765) == "76.5%"
    assert fmt.mean_sd({"n": 3, "mean": 2.5, "sd": 1.25}) == "2.50 (1.25)"
    assert fmt.mean_sd({"n": 0, "mean": None, "sd": None}) == "no values"


def test_an_svg_made_fit_for_a_page():
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/x.dtd">'
        '<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="10pt" height="5pt" viewBox="0 0 10 5" '
        'xmlns="http://www.w3.org/2000/svg"><defs><style type="text/css">*{stroke-linejoin: round}</style></defs>'
        '<g id="figure_1"><clipPath id="p1"><rect x="0" y="0" width="1" height="1"/></clipPath>'
        '<path id="m1" d="M 0 0" style="stroke: #000000; stroke-width: 0.8"/>'
        '<use xlink:href="#m1" x="1" style="fill: #1f77b4"/><g clip-path="url(#p1)"/>'
        "<text style=\"font-size: 10px; font-family: 'DejaVu Sans', sans-serif\">A &amp; B</text></g></svg>"
    )
    found = charts.inline_svg(svg, name="c", title="A <chart>", description="Numbers")
    assert found == (
        '<svg viewBox="0 0 10 5" width="100%" class="app-report-chart" role="img" '
        'aria-labelledby="c-title c-desc" stroke-linejoin="round" stroke-linecap="butt">'
        '<title id="c-title">A &lt;chart&gt;</title><desc id="c-desc">Numbers</desc>'
        '<g><clipPath id="c-p1"><rect x="0" y="0" width="1" height="1"/></clipPath>'
        '<path id="c-m1" d="M 0 0" stroke="#000000" stroke-width="0.8"/>'
        '<use href="#c-m1" x="1" fill="#1f77b4"/><g clip-path="url(#c-p1)"/>'
        '<text font-size="10px" font-family="Arial, Helvetica, sans-serif">A &amp; B</text></g></svg>'
    )


def test_the_intervals_of_the_means_in_the_outcome_charts():
    low, high = charts.mean_interval({"n": 10, "mean": 5.0, "sd": 2.0}, 0.95)
    # t(0.975, 9) = 2.2622: 5 ± 2.2622 × 2 / √10
    assert (round(low, 4), round(high, 4)) == (3.5693, 6.4307)
    assert charts.mean_interval({"n": 1, "mean": 5.0, "sd": None}, 0.95) is None


def test_the_report_package_imports_nothing_from_django():
    code = (
        "import sys; import connecting_people.study.report; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def test_a_delivery_cost_of_nothing_never_makes_the_headline_say_the_intervention_dominates():
    from connecting_people.study.report import document

    economic = {
        "interpretation": "intervention dominates",
        "statement": "The intervention dominates: more QALYs and £35 less cost per participant.",
    }
    said = document._ce_statement(economic)
    assert "dominates" not in said and said.startswith("Service costs only, without the cost of delivering")
    costed = {**economic, "intervention_costing": {"total": 1760.0}}
    assert document._ce_statement(costed) == economic["statement"]  # costed from the records: said as it is
