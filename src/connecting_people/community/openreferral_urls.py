"""The Open Referral UK 3.0 API under /openreferral/ (community/openreferral.py): paths as the specification
names them, without trailing slashes."""

from django.urls import path

from connecting_people.community import openreferral as views

app_name = "openreferral"
urlpatterns = [
    path("openreferral/", views.index, name="index"),
    path("openreferral/services", views.services, name="services"),
    path("openreferral/services/<str:service_id>", views.service, name="service"),
    path("openreferral/service_at_locations", views.service_at_locations, name="service_at_locations"),
    path(
        "openreferral/service_at_locations/<str:service_at_location_id>",
        views.service_at_location,
        name="service_at_location",
    ),
    path("openreferral/organizations", views.organizations, name="organizations"),
    path("openreferral/organizations/<str:organization_id>", views.organization, name="organization"),
    path("openreferral/taxonomies", views.taxonomies, name="taxonomies"),
    path("openreferral/taxonomies/<str:taxonomy_id>", views.taxonomy, name="taxonomy"),
    path("openreferral/taxonomy_terms", views.taxonomy_terms, name="taxonomy_terms"),
    path("openreferral/taxonomy_terms/<str:taxonomy_term_id>", views.taxonomy_term, name="taxonomy_term"),
]
