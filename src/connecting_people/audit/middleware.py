"""Writes the view events of a request once its response is known to succeed (see `audit_record_view`)."""

from connecting_people.audit.services import audit_views_of_request, audit_views_write


class AuditViewsMiddleware:
    """A page that shows a record audits the view; a request that ends in 404 or an error showed nothing, so its
    view events are dropped. Writing happens before the response leaves: if it fails, the page is not shown."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_views_of_request() as waiting:
            response = self.get_response(request)
        if waiting and response.status_code < 400:
            audit_views_write(waiting)
        return response
