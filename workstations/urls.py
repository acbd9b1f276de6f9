from django.urls import path

from . import offline, views

app_name = "ws"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("t/<str:number>/", views.ticket_detail, name="ticket"),
    path("t/<str:number>/<slug:action>/", views.ticket_action, name="act"),
    path("report/", views.report, name="report"),
    path("report/where", views.report_where, name="report-where"),
    path("desk/", views.desk, name="desk"),
    path("sw.js", offline.service_worker, name="sw"),
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("offline/", offline.offline, name="offline"),
]
