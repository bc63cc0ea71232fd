from django.urls import path

from connecting_people.implementation import dashboards, views

app_name = "implementation"
team = "implementation/teams/<int:team_id>/"
urlpatterns = [
    path("implementation/", views.index, name="index"),
    path("implementation/me/", views.mine, name="mine"),
    path("implementation/me/rate/<slug:scale_id>/", views.self_rate, name="self_rate"),
    path("implementation/ratings/<int:rating_id>/", views.rating, name="rating"),
    path(team, views.team, name="team"),
    path(f"{team}fidelity/", views.team_fidelity, name="team_fidelity"),
    path(f"{team}dashboard/", dashboards.team_dashboard, name="team_dashboard"),
    path(
        "implementation/trusts/<int:trust_id>/dashboard/", dashboards.trust_dashboard, name="trust_dashboard"
    ),
    path(f"{team}fidelity/rate/<slug:scale_id>/", views.team_rate, name="team_rate"),
    path(f"{team}workers/<int:worker_id>/", views.worker, name="worker"),
    path(f"{team}workers/<int:worker_id>/rate/<slug:scale_id>/", views.worker_rate, name="worker_rate"),
    path(f"{team}champion/", views.champion, name="champion"),
    path(f"{team}supervision/new/", views.supervision_new, name="supervision_new"),
    path(f"{team}community-links/new/", views.community_link_new, name="community_link_new"),
    path(f"{team}community-links/<int:link_id>/", views.community_link_edit, name="community_link_edit"),
    path(f"{team}checklist/", views.checklist, name="checklist"),
    path(f"{team}checklist/<slug:item_id>/", views.checklist_item, name="checklist_item"),
    path("implementation/training/", views.training, name="training"),
    path("implementation/training/new/", views.training_new, name="training_new"),
    path("implementation/training/<int:session_id>/", views.training_session, name="training_session"),
    path(
        "implementation/training/<int:session_id>/attendance/",
        views.training_attendance,
        name="training_attendance",
    ),
    path("guidance/", views.guidance_index, name="guidance_index"),
    path("guidance/<slug:slug>/", views.guidance_page, name="guidance_page"),
    path("guidance/<slug:slug>/print/", views.guidance_print, name="guidance_print"),
]
