from django.urls import path

from connecting_people.accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/sign-in/", views.sign_in, name="login"),
    path("accounts/sign-out/", views.sign_out, name="logout"),
    path("accounts/security-code/", views.mfa_page, name="mfa"),
    path("accounts/set-up-codes/", views.enrolment_codes, name="enrolment_codes"),
    path("accounts/access-review/", views.access_review, name="access_review"),
    path("team/cover/", views.cover_list, name="cover"),
    path("team/cover/<int:cover_id>/end/", views.cover_end, name="cover_end"),
]
