from django.urls import path

from assessment import appeal_views, views

urlpatterns = [
    *views.urlpatterns,
    path("<str:period>/unit/<str:office>/appeal/", appeal_views.appeal_deduction, name="assessment-appeal"),
]
