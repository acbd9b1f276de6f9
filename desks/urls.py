from django.urls import include, path

from . import appeals, verify_urls, views, webhooks

app_name = "desks"

urlpatterns = [
    path("", views.index, name="index"),
    path("dispatch/", views.dispatch_desk, name="dispatch"),
    path("rulings/", views.rulings_desk, name="rulings"),
    path("review/", views.review_desk, name="review"),
    path("callbacks/", views.callbacks_desk, name="callbacks"),
    path("callbacks/", include(verify_urls)),
    path("callbacks/samples/", views.draw_sample, name="draw-sample"),
    path("callbacks/samples/<str:code>.csv", views.sample_csv, name="sample-csv"),
    path("callbacks/samples/<str:code>/import", views.sample_import, name="sample-import"),
    path("supervision/", views.supervision_desk, name="supervision"),
    path("supervision/<str:number>.pdf", views.supervision_pdf, name="supervision-pdf"),
    path("t/<str:number>/", views.ticket_detail, name="ticket"),
    path("t/<str:number>/<slug:action>/", views.ticket_action, name="act"),
    path("notices/", views.unit_notices, name="notices"),
    path("sms/inbound", webhooks.sms_inbound, name="sms-inbound"),
    # [AR-5] appeals against deductions, disputed returns (desks/appeals.py)
    path("appeals/", appeals.appeals_desk, name="appeals"),
    path("appeals/<int:pk>/rule/", appeals.appeal_rule, name="appeal-rule"),
    path("disputes/", appeals.disputes_desk, name="disputes"),
    path("disputes/<int:pk>/rule/", appeals.dispute_rule, name="dispute-rule"),
    path("returns/", appeals.unit_returns, name="unit-returns"),
]
