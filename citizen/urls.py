from django.urls import path

from citizen import views

app_name = "citizen"

urlpatterns = [
    path("", views.report, name="report"),
    path("code", views.send_code, name="code"),
    path("track/", views.track, name="track"),
    path("mine/", views.mine, name="mine"),
    path("r/<str:number>/", views.request_page, name="request"),
    path("r/<str:number>/rate", views.rate, name="rate"),
    path("public/", views.public_list, name="public"),
    path("public/map/", views.public_map, name="public-map"),
    path("public/<str:area>/rss/", views.public_feed, name="public-rss"),
    path("center/business/", views.business_requests, name="business"),
]
