"""The callback desk's verifying callbacks [AR-5] and monthly monitoring [CB-3], under /desks/callbacks/."""

from django.urls import path

from . import verify_views

urlpatterns = [
    path("verify/", verify_views.verify_desk, name="verify"),
    path("verify/cases/", verify_views.open_case, name="verify-flag"),
    path("verify/<int:pk>/", verify_views.record_outcome, name="verify-record"),
    path("monitoring/", verify_views.monthly_monitoring, name="monitoring"),
]
