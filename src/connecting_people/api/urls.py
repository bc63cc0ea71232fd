from django.urls import path

from connecting_people.api import views

app_name = "api"

urlpatterns = [
    # The API's root shows its documents (ninja's own root answers "not found").
    path("api/v1/", views.api_home, name="home"),
    # FHIR's base shows what the server does (ninja's own root answers "not found").
    path("fhir/R4/", views.fhir_home, name="fhir_home"),
    path("accounts/tokens/", views.tokens_page, name="tokens"),
    path("accounts/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
