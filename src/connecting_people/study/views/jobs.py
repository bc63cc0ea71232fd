"""What the lead-only study pages share (who reaches them), and the exports and reports pages (how a job's state
is shown, and the page that asks for one)."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from connecting_people.core.forms import form_saved, posted
from connecting_people.study import jobs, selectors
from connecting_people.study.models import Job

STATE_TAG = {
    Job.State.QUEUED: "nhsuk-tag--grey",
    Job.State.RUNNING: "nhsuk-tag--blue",
    Job.State.DONE: "nhsuk-tag--green",
    Job.State.FAILED: "nhsuk-tag--red",
}

LISTED = 50  # earlier jobs listed on a page


def lead_access(request, study_id) -> selectors.StudyAccess:
    """The study for a lead of the whole study; 404 for everyone else (as for a study they are not in)."""
    access = selectors.study_access(actor=request.actor, study_id=study_id)
    if not access.is_lead:
        raise Http404("Not a study lead")
    return access


def state_tag(job: Job) -> str:
    return STATE_TAG.get(job.state, "nhsuk-tag--grey")


def job_index(request, study_id, *, kind: str, form_class, job_view, section: str, title: str):
    """A lead's page of one kind of job: the form that asks for a new one (then its page), and the earlier ones
    (`job_view` turns each into what the template shows). Template: study/<section>/index.jinja."""
    access = lead_access(request, study_id)
    study = access.study
    form = form_class(posted(request))
    made = form_saved(
        request,
        form,
        lambda: jobs.job_request(
            actor=request.actor,
            access=access,
            kind=kind,
            purpose=form.cleaned_data["purpose"],
            reason=form.cleaned_data["reason"],
            options=form.options(),
        ),
        then=lambda job: reverse(f"study:{kind}", args=[study.pk, job.pk]),
    )
    if made:
        return made
    earlier = [job_view(job) for job in selectors.jobs_for(access=access, kind=kind)[:LISTED]]
    return render(
        request,
        f"study/{section}/index.jinja",
        {
            "study": study,
            "access": access,
            "section": section,
            "form": form,
            "earlier": earlier,
            "page_title": f"{title}: {study.code.upper()}",
        },
    )
