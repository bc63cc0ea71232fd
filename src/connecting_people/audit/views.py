"""Finding a record's audit trail by its number (administrators, who cannot open records themselves)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from connecting_people.audit.forms import RecordNumberForm


@login_required
def audit_lookup(request):
    # The actor's reach (accounts.actor): this app sits below accounts and asks the actor, not accounts.
    if not request.actor.scope.is_administrator:
        raise Http404
    form = RecordNumberForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("people:audit", person_id=form.cleaned_data["record"])
    return render(request, "audit/lookup.jinja", {"form": form, "page_title": "Audit trail"})
