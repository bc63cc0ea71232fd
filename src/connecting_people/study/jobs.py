"""Background jobs of a study (exports, reports): asked for by a study lead, made by a django-tasks worker.

`job_request` records who asked, for what purpose and why (the reason stays on the Job row; the audit event
holds the purpose code), then queues `run_job`. The worker calls the maker registered for the job's kind
(`MAKERS`: a function ``make(job) -> (result path, summary)``), and records the outcome: done, with the
result's path and a summary of counts and codes, or failed, with a message fit to show. Each outcome is
audited as the requester's act (``study.<kind>_made`` or ``study.<kind>_failed``).

`job_run` does the same work in the calling process (the command line, and tests that drive it directly).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from connecting_people.accounts.actor import Actor, as_actor
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import NotAllowedError, ServiceError
from connecting_people.study.models import Job
from connecting_people.study.selectors import StudyAccess

log = logging.getLogger(__name__)

MAKERS = {
    Job.Kind.EXPORT: "connecting_people.study.export.db.make_export",
    Job.Kind.REPORT: "connecting_people.study.report.db.make_report",
}


class JobFailed(Exception):
    """Raised by a maker for a failure the requester can understand (a missing unit cost, too few people)."""


def job_directory(job: Job) -> Path:
    """Where a job writes: <study files>/<study code>/<kind>s/<job id>/ (made by the maker, not here)."""
    return Path(settings.CONNECTING_PEOPLE_STUDY_FILES) / job.study.code / f"{job.kind}s" / str(job.pk)


def job_request(
    *,
    actor: Actor,
    access: StudyAccess,
    kind: str,
    purpose: str,
    reason: str = "",
    options: dict[str, Any] | None = None,
) -> Job:
    """Records the request and queues it. Only a study lead (for the whole study) may ask."""
    actor = as_actor(actor)
    user = actor.user
    if not access.is_lead or access.site_id is not None:
        raise NotAllowedError("Only a study lead can make exports and reports.")
    if kind not in Job.Kind.values:
        raise ServiceError("Unknown kind of job.", code="job_kind_unknown", params={"kind": kind})
    if purpose not in Job.Purpose.values:
        raise ServiceError("Choose what it is for.", field="purpose", code="purpose_required")
    with transaction.atomic():
        job = Job.objects.create(
            study=access.study,
            kind=kind,
            purpose=purpose,
            reason=reason.strip()[:300],
            options=options or {},
            requested_by=user,
        )
        audit_record(
            actor=user,
            action=f"study.{kind}_requested",
            object_type="study_job",
            object_id=job.pk,
            summary={"study": access.study.code, "purpose": purpose, "options": job.options},
        )
    run_job.enqueue(job.pk)
    return job


@task()
def run_job(job_id: int) -> None:
    job_run(job_id)


def job_run(job_id: int) -> Job:
    """Makes the job now, in this process, and records how it went. Never raises for a failed job."""
    with transaction.atomic():
        job = Job.objects.select_for_update().select_related("study", "requested_by").get(pk=job_id)
        if job.state != Job.State.QUEUED:
            return job
        job.state = Job.State.RUNNING
        job.save(update_fields=["state"])
    maker = import_string(MAKERS[job.kind])
    try:
        result_path, summary = maker(job)
    except (JobFailed, ServiceError) as error:
        return _finish(job, failed=str(error))
    except Exception as error:  # noqa: BLE001 - recorded on the job, logged with its traceback
        log.exception("study job %s failed", job.pk)
        shutil.rmtree(job_directory(job), ignore_errors=True)
        return _finish(job, failed=f"Something went wrong ({error.__class__.__name__}); nothing was kept.")
    return _finish(job, result_path=str(result_path), summary=summary)


def _finish(job: Job, *, failed: str = "", result_path: str = "", summary: dict | None = None) -> Job:
    with transaction.atomic():
        job.state = Job.State.FAILED if failed else Job.State.DONE
        job.error = failed[:500]
        job.result_path = result_path
        job.summary = summary or {}
        job.finished_at = timezone.now()
        job.save(update_fields=["state", "error", "result_path", "summary", "finished_at"])
        audit_record(
            actor=job.requested_by,
            action=f"study.{job.kind}_{'failed' if failed else 'made'}",
            object_type="study_job",
            object_id=job.pk,
            summary={"study": job.study.code, "purpose": job.purpose, **({} if failed else job.summary)},
        )
    return job


def job_result_file(job: Job) -> Path | None:
    """The finished job's file, checked to be inside the study files directory; None when there is none."""
    if job.state != Job.State.DONE or not job.result_path:
        return None
    root = Path(settings.CONNECTING_PEOPLE_STUDY_FILES).resolve()
    path = Path(job.result_path).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path
