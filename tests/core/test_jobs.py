"""One scheduler (issue 12): every periodic job is registered with core.jobs by its app and run by
`manage.py supervise`; a web process's pusher only delivers what the jobs recorded."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.jobs import jobs, run_jobs
from dispatch.models import Ticket
from maps import services
from maps.models import Hotspot, LiveNotice, LiveWatermark
from tests.helpers import XIATANG, make_ticket

pytestmark = pytest.mark.django_db


def test_a_supervisor_pass_runs_every_periodic_job_of_the_apps_in_order():
    # the month's partitions exist and the rollups are folded before anything that writes or reads them
    assert [j.name for j in jobs()] == [
        "partitions",
        "rollups",
        "supervision",
        "spike_alerts",
        "hotspots",
        "overdue_notices",
        "assessment",
    ]
    out = StringIO()
    call_command("supervise", "--list", stdout=out)
    assert out.getvalue().splitlines()[0].startswith("partitions: ")


def test_an_unknown_job_to_skip_is_an_error_not_a_silent_pass():
    with pytest.raises(ValueError, match="no such job: nightly"):
        run_jobs(skip={"nightly"})


def test_the_supervisor_records_what_became_overdue_and_the_pusher_only_delivers_it_SV_1():
    """[SV-1] the overdue sweep is the supervisor's; the web process's pusher finds nothing to compute."""
    ticket = make_ticket(code=XIATANG)
    t0 = timezone.now()
    run_jobs(now=t0, skip={"assessment", "hotspots"})  # the first sweep sets the watermark
    Ticket.objects.filter(id=ticket.id).update(resolve_by=t0 + dt.timedelta(seconds=30))
    # The pusher alone, however often it runs, neither sweeps nor clusters.
    watermark = LiveWatermark.objects.get(name="overdue").until
    assert services.push_notices(now=t0 + dt.timedelta(minutes=1), push=False) == []
    assert LiveWatermark.objects.get(name="overdue").until == watermark and not Hotspot.objects.exists()
    reports = run_jobs(now=t0 + dt.timedelta(seconds=40), skip={"assessment", "hotspots"})
    assert reports["overdue_notices"] == "1 became overdue"
    [notice] = LiveNotice.objects.filter(pushed_at__isnull=True)
    assert (notice.kind, notice.object_id) == ("ticket.overdue", ticket.id)
    assert services.push_notices(now=t0 + dt.timedelta(seconds=45), push=False) == [notice.id]
    assert services.push_notices(now=t0 + dt.timedelta(seconds=50), push=False) == []  # once
