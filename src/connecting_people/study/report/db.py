"""The analysis report: made in the background for a study lead (`make_report`, the report job's maker), read
in a page, downloaded (`report_download_record` audits each download).

The report is the analysis (`analysis.db.study_analysis`, which calls the pure `analysis.analyse`) rendered
by the pure `report` package, with the flow diagram of `completeness.db.flow_counts`. A job writes into its
directory (`jobs.job_directory`):

* ``report.html``: the standalone report, the file that is downloaded;
* ``report-body.html``: the same content without the document around it, shown inside the service's page;
* ``analysis.json``: the analysis result the report was made from, every number in full.

The job's options: ``seed`` (the bootstrap's, default 1) and ``replicates`` (default 2,000). Its summary
(kept on the job and in the audit event) holds codes and numbers only.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.utils import timezone

from connecting_people.accounts.actor import Actor, as_actor
from connecting_people.audit.services import audit_record
from connecting_people.measures import registry
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.study import jobs
from connecting_people.study.completeness.db import flow_counts
from connecting_people.study.completeness.flow import FlowCounts, flow_svg
from connecting_people.study.models import Job, Study

DEFAULT_SEED = 1
DEFAULT_REPLICATES = 2000
MIN_REPLICATES, MAX_REPLICATES = 200, 10_000
MAX_SEED = 999_999_999
REPORT_FILE, BODY_FILE, RESULT_FILE = "report.html", "report-body.html", "analysis.json"


def make_report(job: Job) -> tuple[Path, dict[str, Any]]:
    """The report job's maker: analyses the study with the job's seed and replicates, renders the report and
    writes its files. A study that cannot be analysed (too few participants, a missing unit cost, data the
    analysis refuses) fails the job with the analysis's message (JobFailed), and nothing is written."""
    # The numerical libraries (statsmodels, matplotlib) load here, in the worker, not with every page.
    from connecting_people.study.analysis import StudyDataError
    from connecting_people.study.analysis.db import study_analysis
    from connecting_people.study.report import render_both

    study = job.study
    options = job.options or {}
    seed = int(options.get("seed", DEFAULT_SEED))
    replicates = int(options.get("replicates", DEFAULT_REPLICATES))
    today = timezone.localdate()
    try:
        result = study_analysis(study, seed=seed, replicates=replicates, today=today)
    except StudyDataError as error:  # TooFewToAnalyse and MissingUnitCost are StudyDataErrors
        raise jobs.JobFailed(str(error)) from error
    flow_svg, flow_table = report_flow(study, result=result)
    document, body = render_both(
        result,
        study=report_details(study, seed=seed, replicates=replicates, generated=today),
        flow_svg=flow_svg,
        flow_table=flow_table,
    )
    directory = jobs.job_directory(job)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / RESULT_FILE).write_text(json.dumps(result, allow_nan=False, indent=1), encoding="utf-8")
    (directory / BODY_FILE).write_text(body, encoding="utf-8")
    path = directory / REPORT_FILE
    path.write_text(document, encoding="utf-8")
    return path, report_summary(result, seed=seed, replicates=replicates)


def report_details(study: Study, *, seed: int, replicates: int, generated) -> dict[str, Any]:
    """What the report says about the study and how it was made (`report.render_report`'s ``study``)."""
    return {
        "code": study.code,
        "title": study.title,
        "price_year": study.price_year,
        "currency": study.currency,
        "unit_cost_source": study.unit_cost_source,
        "generated": generated,
        "seed": seed,
        "replicates": replicates,
        "timepoints": dict(study.timepoints.values_list("code", "label")),
        "service_labels": _service_labels(study),
    }


def _service_labels(study: Study) -> dict[str, str]:
    try:
        instrument = registry.instrument(study.service_use_instrument)
    except UnknownInstrumentError:
        return {}
    return {item.id: item.label for item in instrument.items if item.label}


def report_flow(study: Study, result: dict | None = None) -> tuple[str | None, list[list[Any]] | None]:
    """The participant flow diagram (SVG) and its numbers as table rows, for the whole study. With the
    analysis `result`, "Analysed" is the primary analysis's own count per arm (see `with_analysed`)."""
    counts = flow_counts(study=study)
    if result is not None:
        counts = with_analysed(counts, result)
    arms = list(counts.arms)
    blank = [""] * len(arms)
    rows: list[list[Any]] = [["Stage", *(arm.label for arm in arms), "All"]]
    rows.append(["Assessed for eligibility", *blank, counts.assessed])
    rows.append(["Not enrolled", *blank, sum(counts.not_enrolled.values())])
    rows += [[f"Not enrolled: {reason}", *blank, number] for reason, number in counts.not_enrolled.items()]
    rows.append(["Enrolled", *blank, counts.enrolled])
    rows.append(["Teams allocated", *(arm.teams for arm in arms), sum(arm.teams for arm in arms)])
    rows.append(
        ["Participants allocated", *(arm.allocated for arm in arms), sum(arm.allocated for arm in arms)]
    )
    rows.append(
        [
            f"Followed up at {counts.follow_up_label}",
            *(arm.followed_up for arm in arms),
            sum(a.followed_up for a in arms),
        ]
    )
    for reason in _reasons(arm.lost for arm in arms):
        values = [arm.lost.get(reason, 0) for arm in arms]
        rows.append([f"Not followed up: {reason}", *values, sum(values)])
    rows.append(["Analysed", *(arm.analysed for arm in arms), sum(arm.analysed for arm in arms)])
    for reason in _reasons(arm.excluded for arm in arms):
        values = [arm.excluded.get(reason, 0) for arm in arms]
        rows.append([f"Excluded from analysis: {reason}", *values, sum(values)])
    return flow_svg(counts), rows


NOT_IN_MODEL = "no baseline value of the primary outcome"


def with_analysed(counts: FlowCounts, result: dict) -> FlowCounts:
    """The flow with each arm's "Analysed" taken from the primary analysis (`result["primary"]["missing"]`),
    so the diagram and the tables of the report give one number. Participants followed up but left out of the
    model (it adjusts for baseline, so someone without a baseline value is not in it) are added as an exclusion."""
    analysed = ((result.get("primary") or {}).get("missing") or {}).get("analysed") or {}
    arms = []
    for arm in counts.arms:
        if arm.arm not in analysed:
            arms.append(arm)
            continue
        n = int(analysed[arm.arm])
        excluded = dict(arm.excluded)
        extra = arm.analysed - n
        if extra > 0:
            excluded[NOT_IN_MODEL] = excluded.get(NOT_IN_MODEL, 0) + extra
        arms.append(replace(arm, analysed=n, excluded=excluded))
    return replace(counts, arms=tuple(arms))


def _reasons(found) -> list[str]:
    reasons: list[str] = []
    for mapping in found:
        reasons += [reason for reason in mapping if reason not in reasons]
    return reasons


def report_summary(result: dict, *, seed: int, replicates: int) -> dict[str, Any]:
    """A few headline numbers and codes of the result, for the job (and its audit event): no text anyone
    typed, nothing about a participant."""
    primary = result["primary"]
    economic = result.get("cost_effectiveness") or {}
    benefit = {
        str(int(row["willingness_to_pay"])): row.get("probability_cost_effective")
        for row in economic.get("net_monetary_benefit") or []
    }
    return {
        "seed": seed,
        "replicates": replicates,
        "participants": result["study"]["participants"],
        "primary": {
            "measure": primary["measure"],
            "estimate": primary.get("estimate"),
            "ci_low": primary.get("ci_low"),
            "ci_high": primary.get("ci_high"),
            "p": primary.get("p"),
            "analysed": primary.get("n"),
        },
        "cost_effectiveness": (
            {"refused": True}
            if "refused" in economic
            else {
                "incremental_cost": economic.get("incremental_cost"),
                "incremental_qaly": economic.get("incremental_qaly"),
                "icer": economic.get("icer"),
                "interpretation": economic.get("interpretation"),
                "probability_cost_effective": benefit,
                "currency": economic.get("currency"),
                "price_year": economic.get("price_year"),
            }
        ),
        "refusals": len(result.get("refusals") or []),
    }


def report_body(job: Job) -> str | None:
    """The finished report's content for a page (``report-body.html`` beside the report), or None."""
    found = jobs.job_result_file(job)
    if found is None:
        return None
    body = found.parent / BODY_FILE
    return body.read_text(encoding="utf-8") if body.is_file() else None


def download_name(job: Job) -> str:
    """The downloaded file's name: ``cpis-report-12.html``."""
    return f"{job.study.code}-report-{job.pk}.html"


def report_download_record(*, actor: Actor, job: Job) -> None:
    """Audits that `user` downloaded the report `job` (who, which job, the purpose it was made for)."""
    actor = as_actor(actor)
    user = actor.user
    audit_record(
        actor=user,
        action="study.report_downloaded",
        object_type="study_job",
        object_id=job.pk,
        summary={"study": job.study.code, "job": job.pk, "purpose": job.purpose},
    )
