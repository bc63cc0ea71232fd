from django.urls import path

from connecting_people.audit import views

app_name = "audit"
urlpatterns = [path("audit/", views.audit_lookup, name="lookup")]
