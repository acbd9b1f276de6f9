"""The survey pages [CT-1][PUB-4], under /surveys/."""

from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/save/", views.update, name="update"),
    path("<int:pk>/questions/", views.add_question, name="add-question"),
    path("<int:pk>/questions/<int:question>/remove/", views.remove_question, name="remove-question"),
    path("<int:pk>/draw/", views.draw, name="draw"),
    path("<int:pk>/calls/", views.calls, name="calls"),
    path("<int:pk>/calls/<int:entry>/", views.record, name="record"),
    path("<int:pk>/results/", views.results, name="results"),
]
