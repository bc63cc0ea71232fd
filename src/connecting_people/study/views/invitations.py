"""Invitations for a trust to take part in a study, answered by someone with the researcher role in that trust.

A study lead adds a trust where they hold the researcher role themselves; any other trust is invited, and takes
part only once one of its own researchers accepts here (ADR 0010). The pages are the trust's, not the study's:
they need no study membership, and answer 404 to anyone without the researcher role in the invited trust.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path

from connecting_people.core.errors import ServiceError
from connecting_people.core.forms import posted, show_service_error
from connecting_people.study import selectors, services
from connecting_people.study.forms.setup import SiteDecisionForm
from connecting_people.study.models import StudySite


@login_required
def invitation_list(request):
    if not selectors.researcher_trust_ids(user=request.user):
        raise Http404("Not a researcher")
    sites = list(selectors.site_invitations_for(user=request.user))
    return render(
        request,
        "study/invitations/list.jinja",
        {
            "waiting": [site for site in sites if site.status == StudySite.Status.INVITED],
            "answered": [site for site in sites if site.status != StudySite.Status.INVITED],
            "page_title": "Invitations to take part in studies",
        },
    )


@login_required
def invitation(request, site_id: int):
    site = selectors.site_invitation_get(user=request.user, site_id=site_id)
    form = SiteDecisionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            decided = services.site_decide(user=request.user, site_id=site.pk, accept=form.accepted())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            if decided.status == StudySite.Status.ACTIVE:
                messages.success(
                    request,
                    f"{decided.trust.name} takes part in {decided.study.code.upper()} as {decided.code}.",
                )
            else:
                messages.success(request, f"Invitation to {decided.study.code.upper()} declined.")
            return redirect("study:invitations")
    return render(
        request,
        "study/invitations/decide.jinja",
        {"site": site, "form": form, "page_title": f"Invitation to take part in {site.study.code.upper()}"},
    )


urls = [
    path("study/invitations/", invitation_list, name="invitations"),
    path("study/invitations/<int:site_id>/", invitation, name="invitation"),
]
