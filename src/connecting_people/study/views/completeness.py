"""Completeness: recruitment, assessments and missing data by site, arm and timepoint, and the flow diagram."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from markupsafe import Markup

from connecting_people.measures import registry
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.study import selectors
from connecting_people.study.completeness import COUNT_FIELDS, Completeness
from connecting_people.study.completeness import db as completeness_data
from connecting_people.study.completeness.flow import FlowCounts, flow_svg

ARM_NAMES = {"intervention": "Intervention", "control": "Control"}


def _instrument_title(instrument_id: str) -> str:
    try:
        return registry.instrument(instrument_id).title
    except UnknownInstrumentError:
        return instrument_id


def _chosen_site(request, sites):
    """The site of `?site=` (404 when it is not one the member reaches), or None for every site."""
    chosen = request.GET.get("site", "")
    if not chosen:
        return None
    found = next((site for site in sites if str(site.pk) == chosen), None)
    if found is None:
        raise Http404("No such site")
    return found


@login_required
def completeness_page(request, study_id):
    access = selectors.study_access(actor=request.actor, study_id=study_id)
    sites = list(access.sites())
    chosen = _chosen_site(request, sites)
    site_id = chosen.pk if chosen is not None else access.site_id
    today = timezone.localdate()
    numbers, flow = completeness_data.dashboard(study=access.study, site_id=site_id, today=today)
    if request.GET.get("format") == "csv":
        return _csv(numbers, f"{access.study.code}-completeness-{today:%Y-%m-%d}.csv")
    site_names = {site.code: f"{site.code}: {site.trust.name}" for site in sites}
    shown = chosen or (sites[0] if access.site_id is not None and sites else None)
    return render(
        request,
        "study/completeness.jinja",
        {
            "study": access.study,
            "section": "completeness",
            "page_title": f"Completeness: {access.study.code.upper()}",
            "numbers": numbers,
            "lines": _lines(numbers, site_names),
            "flow": flow,
            "flow_rows": _flow_rows(flow),
            "flow_svg": Markup(flow_svg(flow, title=f"Flow of participants, {access.study.code.upper()}")),
            "site_names": site_names,
            "instruments": {
                instrument: _instrument_title(instrument)
                for point in numbers.timepoints
                for instrument in point.instruments
            },
            "primary_title": _instrument_title(access.study.primary_instrument),
            "sites": sites,
            "chosen": chosen,
            "site_limited": access.site_id is not None,
            "scope": site_names[shown.code] if shown is not None else "",
            "today": today,
        },
    )


def _lines(
    numbers: Completeness, site_names: dict[str, str]
) -> list[tuple[str, str, str | None, str | None]]:
    """The rows of the tables by site and arm: (site in words, arm in words, site code, arm code), each site's
    arms then its total, and the totals over sites when there is more than one."""
    groups = [(site_names.get(site, site), site) for site in numbers.sites]
    if len(groups) != 1:
        groups.append(("All sites", None))
    return [
        (site_name, ARM_NAMES.get(arm, arm) if arm else "Both arms", site, arm)
        for site_name, site in groups
        for arm in (*numbers.arms, None)
    ]


def _flow_rows(flow: FlowCounts) -> list[tuple[str, bool, list[int]]]:
    """The flow diagram by arm as table rows: (what, is a reason, one number per arm)."""

    def reasons(attribute: str) -> list[tuple[str, bool, list[int]]]:
        found = dict.fromkeys(reason for arm in flow.arms for reason in getattr(arm, attribute))
        return [
            (reason, True, [getattr(arm, attribute).get(reason, 0) for arm in flow.arms]) for reason in found
        ]

    return [
        ("Teams allocated", False, [arm.teams for arm in flow.arms]),
        ("Participants allocated", False, [arm.allocated for arm in flow.arms]),
        (f"Followed up at {flow.follow_up_label}", False, [arm.followed_up for arm in flow.arms]),
        ("Not followed up", False, [sum(arm.lost.values()) for arm in flow.arms]),
        *reasons("lost"),
        ("Analysed", False, [arm.analysed for arm in flow.arms]),
        ("Excluded from analysis", False, [sum(arm.excluded.values()) for arm in flow.arms]),
        *reasons("excluded"),
    ]


def _csv(numbers: Completeness, filename: str) -> HttpResponse:
    """Every count of the page, one row per timepoint × site × arm (totals: "all")."""
    instruments = list(dict.fromkeys(i for point in numbers.timepoints for i in point.instruments))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["timepoint", "site", "arm", *COUNT_FIELDS, *(f"missing_{instrument}" for instrument in instruments)]
    )
    for point in numbers.timepoints:
        for site in (*numbers.sites, None):
            for arm in (*numbers.arms, None):
                counts = numbers.counts(point.code, site=site, arm=arm)
                writer.writerow(
                    [
                        point.code,
                        site or "all",
                        arm or "all",
                        *(getattr(counts, name) for name in COUNT_FIELDS),
                        *(counts.missing.get(instrument, "") for instrument in instruments),
                    ]
                )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urls = [
    path("study/<int:study_id>/completeness/", completeness_page, name="completeness"),
]
