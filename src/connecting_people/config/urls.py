from django.contrib import admin
from django.urls import include, path

from connecting_people.api.fhir.api import fhir_api
from connecting_people.api.v1.api import api as api_v1
from connecting_people.web import urls as web_urls

urlpatterns = [
    path("", include(web_urls.core)),
    path("", include("connecting_people.accounts.urls")),
    path("", include(web_urls.people)),
    path("", include("connecting_people.audit.urls")),
    path("", include("connecting_people.measures.urls")),
    path("", include("connecting_people.connections.urls")),
    path("", include("connecting_people.plans.urls")),
    path("", include("connecting_people.community.urls")),
    path("", include("connecting_people.community.openreferral_urls")),
    path("", include("connecting_people.implementation.urls")),
    path("", include("connecting_people.study.urls")),
    path("", include("connecting_people.privacy.urls")),
    path("", include("connecting_people.api.urls")),
    path("api/v1/", api_v1.urls),
    path("fhir/R4/", fhir_api.urls),
    path("", include("connecting_people.api.fallback_urls")),
    path("admin/", admin.site.urls),
]

handler400 = "connecting_people.core.views.bad_request"
handler403 = "connecting_people.core.views.forbidden"
handler404 = "connecting_people.core.views.not_found"
handler500 = "connecting_people.core.views.server_error"
