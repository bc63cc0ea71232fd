from connecting_people.study.views import completeness, exports, participants, reports, setup

app_name = "study"
urlpatterns = [*setup.urls, *participants.urls, *completeness.urls, *exports.urls, *reports.urls]
