"""Problems grid workers find on patrol become tickets of channel 'grid worker', routed like any other [ORG-5]."""

import pytest
from django.core.exceptions import ValidationError

from core.photos import clean_photos
from dispatch.exceptions import NotPermitted
from dispatch.fieldwork.models import Photo
from dispatch.fieldwork.services import PatrolReport, report_from_patrol, validate_patrol
from dispatch.models import Channel, Status, Ticket
from tests.helpers import CHANGQING, events, label

from .images import phone_photo
from .test_delegation import REPLY

pytestmark = pytest.mark.django_db


def report(code=CHANGQING, category="0101", **kw) -> PatrolReport:
    lon, lat = label(code)
    return PatrolReport(
        description=kw.pop("description", "长青路12号门前雨水井堵塞，污水漫到人行道"),
        category=category,
        lon=kw.pop("lon", lon),
        lat=kw.pop("lat", lat),
        **kw,
    )


def test_a_patrol_report_in_changqing_goes_to_changqings_workstation_ORG_5(users):
    worker = users["changqing_grid"]
    result = report_from_patrol(by=worker, report=report(), client_key="k1")
    ticket = result.ticket
    assert result.created and not result.settled
    assert ticket.channel == Channel.GRID_WORKER and ticket.created_by == worker
    assert ticket.community_code == CHANGQING and ticket.status == Status.DISPATCHED
    lead = ticket.assignments.get(role="lead")
    assert lead.office.name == "长青社区工作站"
    assert ticket.caller_name == "王芳" and ticket.extra["patrol"]["office"] == "WS-410402002005"


def test_a_leaking_heating_pipe_found_on_patrol_brings_in_the_heating_company_ORG_5_AS_2(users):
    """社区吹哨，局委报到: the department leads, the street co-handles."""
    result = report_from_patrol(
        by=users["changqing_grid"],
        report=report(category="0701", description="新建路与长青路交叉口东北角暖气管道漏水，热水漫到路面"),
        client_key="heat-1",
    )
    roles = {a.office.name: a.role for a in result.ticket.assignments.all()}
    assert roles == {"市热力公司": "lead", "光明路街道民呼必应服务中心": "co"}


def test_a_resend_with_the_same_key_never_makes_a_second_ticket(users):
    worker = users["changqing_grid"]
    first = report_from_patrol(by=worker, report=report(), photos=clean_photos([phone_photo()]), client_key="same")
    again = report_from_patrol(by=worker, report=report(), photos=clean_photos([phone_photo()]), client_key="same")
    assert first.created and not again.created and again.ticket == first.ticket
    assert Ticket.objects.filter(created_by=worker).count() == 1
    assert first.ticket.attachments.count() == 1  # the resend adds no photo either
    # the key is the reporter's own: another worker's same key is another report
    other = report_from_patrol(by=users["changqing_head"], report=report(), client_key="same")
    assert other.created and other.ticket != first.ticket


def test_photos_keep_their_exif_position_as_data(users):
    result = report_from_patrol(
        by=users["changqing_grid"], report=report(), photos=clean_photos([phone_photo()]), client_key="photo"
    )
    photo = Photo.objects.get(attachment__ticket=result.ticket)
    assert photo.exif_point is not None and photo.context == "report"
    assert photo.attachment.name == "IMG_0001.jpg" and photo.attachment.content_type == "image/jpeg"
    assert "attach_photos" in events(result.ticket)


def test_a_worker_settles_what_the_community_may_settle_at_once(users):
    """接诉即办: signed for and replied in the same step; the center still reviews the reply [HD-2][HD-3]."""
    result = report_from_patrol(by=users["changqing_grid"], report=report(settle=REPLY), client_key="settle")
    assert result.settled and result.ticket.status == Status.REPLIED
    assert events(result.ticket) == ["accept_intake", "sign_for", "reply"]
    assert result.ticket.replies.get().handler_name == "王芳"


def test_settling_at_once_is_refused_for_what_a_community_does_not_settle(users):
    errors = validate_patrol(report(category="0103", settle=REPLY), users["changqing_grid"])
    assert "占道经营" in errors["settle"]


def test_settling_at_once_is_refused_in_another_community(users):
    errors = validate_patrol(report(code="410402002002", settle=REPLY), users["changqing_grid"])
    assert "建设街社区工作站" in errors["settle"]


def test_a_settled_report_needs_a_full_reply_HD_2(users):
    errors = validate_patrol(report(settle={**REPLY, "basis": "", "result": "好了"}), users["changqing_grid"])
    assert {"basis"} <= set(errors)


def test_a_report_needs_a_place_a_category_and_a_description(users):
    bad = PatrolReport(description="堵", category="", lon=None, lat=None)
    errors = validate_patrol(bad, users["changqing_grid"])
    assert set(errors) == {"category", "description", "location"}
    with pytest.raises(ValidationError):
        report_from_patrol(by=users["changqing_grid"], report=bad, client_key="bad")
    assert not Ticket.objects.filter(created_by=users["changqing_grid"]).exists()


def test_a_typed_address_without_a_position_is_geocoded_and_routed(users):
    result = report_from_patrol(
        by=users["changqing_grid"],
        report=report(lon=None, lat=None, address="新华区新建路与长青路交叉口东北角"),
        client_key="addr",
    )
    ticket = result.ticket
    assert ticket.address == "新华区新建路与长青路交叉口东北角"
    # the geocoder places the crossing; the ticket is routed like any other [AS-1]
    assert ticket.location_source == "geocoded" and ticket.status == Status.DISPATCHED
    assert ticket.township_code == "410402002"
    lead = ticket.assignments.get(role="lead").office
    assert lead.kind == "workstation" and lead.area_code == ticket.community_code


def test_an_emergency_is_recorded_as_not_accepted_with_the_referral_IN_4(users):
    result = report_from_patrol(
        by=users["changqing_grid"], report=report(description="长青路一居民楼着火了，浓烟很大"), client_key="fire"
    )
    assert result.refused and "119" in result.ticket.referral


def test_departments_and_the_center_do_not_report_from_patrol(users):
    for username in ("heating_handler", "city_dispatcher", "wall_viewer"):
        with pytest.raises(NotPermitted):
            report_from_patrol(by=users[username], report=report(), client_key=f"x-{username}")
