"""Invitations for a trust to take part in a study, answered by someone with the researcher role in that trust.

A study lead adds a trust where they hold the researcher role themselves; any other trust is invited, and takes
part only once one of its own researchers accepts here (ADR 0010). The pages are the trust's, not the study's:
they need no study membership, and answer 404 to anyone without the researcher role in the invited trust.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path

from connecting_people.core.forms import form_saved, posted
from connecting_people.study import selectors, services
from connecting_people.study.forms.setup import SiteDecisionForm
from connecting_people.study.models import StudySite


@login_required
def invitation_list(request):
    if not selectors.researcher_trust_ids(actor=request.actor):
        raise Http404("Not a researcher")
    sites = list(selectors.site_invitations_for(actor=request.actor))
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
    site = selectors.site_invitation_get(actor=request.actor, site_id=site_id)
    form = SiteDecisionForm(posted(request))
    saved = form_saved(
        request,
        form,
        lambda: services.site_decide(actor=request.actor, site_id=site.pk, accept=form.accepted()),
        then="study:invitations",
        saved=lambda decided: (
            f"{decided.trust.name} takes part in {decided.study.code.upper()} as {decided.code}."
            if decided.status == StudySite.Status.ACTIVE
            else f"Invitation to {decided.study.code.upper()} declined."
        ),
    )
    if saved:
        return saved
    return render(
        request,
        "study/invitations/decide.jinja",
        {"site": site, "form": form, "page_title": f"Invitation to take part in {site.study.code.upper()}"},
    )


urls = [
    path("study/invitations/", invitation_list, name="invitations"),
    path("study/invitations/<int:site_id>/", invitation, name="invitation"),
]
