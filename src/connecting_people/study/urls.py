from connecting_people.study.views import completeness, exports, invitations, participants, reports, setup

app_name = "study"
urlpatterns = [
    *invitations.urls,
    *setup.urls,
    *participants.urls,
    *completeness.urls,
    *exports.urls,
    *reports.urls,
]
