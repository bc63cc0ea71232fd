"""What the exports and reports pages share: who reaches them, and how a job's state is shown."""

from django.http import Http404

from connecting_people.study import selectors
from connecting_people.study.models import Job

STATE_TAG = {
    Job.State.QUEUED: "nhsuk-tag--grey",
    Job.State.RUNNING: "nhsuk-tag--blue",
    Job.State.DONE: "nhsuk-tag--green",
    Job.State.FAILED: "nhsuk-tag--red",
}


def lead_access(request, study_id) -> selectors.StudyAccess:
    """The study for a lead of the whole study; 404 for everyone else (as for a study they are not in)."""
    access = selectors.study_access(user=request.user, study_id=study_id)
    if not access.is_lead:
        raise Http404("Not a study lead")
    return access


def state_tag(job: Job) -> str:
    return STATE_TAG.get(job.state, "nhsuk-tag--grey")
