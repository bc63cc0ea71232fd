from django.urls import path

from connecting_people.plans import views

app_name = "plans"
base = "people/<int:person_id>/plan/"
urlpatterns = [
    path(base, views.plan, name="plan"),
    path(f"{base}next/", views.whats_next, name="next"),
    path(f"{base}print/", views.printout, name="print"),
    path(f"{base}assessment/", views.assessment, name="assessment"),
    path(f"{base}goals/new/", views.goal_new, name="goal_new"),
    path(f"{base}goals/<int:goal_id>/", views.goal_edit, name="goal_edit"),
    path(f"{base}goals/<int:goal_id>/steps/new/", views.step_new, name="step_new"),
    path(f"{base}steps/<int:step_id>/", views.step_edit, name="step_edit"),
    path(f"{base}steps/<int:step_id>/done/", views.step_done, name="step_done"),
    path(f"{base}activities/new/", views.activity_new, name="activity_new"),
    path(f"{base}links/new/", views.link_new, name="link_new"),
    path(f"{base}links/<int:link_id>/", views.link_detail, name="link"),
    path(f"{base}links/<int:link_id>/move/", views.link_move, name="link_move"),
    path(f"{base}links/choose/<int:opportunity_id>/", views.opportunity_link_choice, name="link_choose"),
    path(f"{base}reviews/new/", views.review_new, name="review_new"),
    path(f"{base}reviews/new/map/", views.review_map_start, name="review_map_start"),
    path(f"{base}reviews/new/map/add/", views.review_map_add, name="review_map_add"),
    path(f"{base}reviews/<int:review_id>/", views.review_detail, name="review"),
]
