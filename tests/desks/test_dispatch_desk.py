"""The dispatch desk [AS-1][AS-2][CT-5][SV-2][ORG-3]: the queue with its suggested route, dispatch in one step,
change of lead, co-handlers, re-dispatch, split and merge, each with its reason and event, scoped by center."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from dispatch import services
from dispatch.exceptions import NotPermitted
from dispatch.models import AdditionalCaller, Assignment, Status, Ticket
from dispatch.workflow import BY_NAME, TRANSITIONS
from tests.helpers import RUZHOU, events, make_ticket

pytestmark = pytest.mark.django_db


def queued(**extra) -> Ticket:
    """A ticket in 长青社区 (新华区) without a category: it waits for manual dispatch."""
    return make_ticket(category="", description="反映一个问题：光明路和建设路口晚上很吵还有人摆摊", **extra)


def active(ticket) -> list[tuple[str, str]]:
    return sorted(
        Assignment.objects.filter(ticket=ticket, is_active=True).values_list("office__code", "role"),
        key=lambda x: x[1] != "lead",
    )


def test_the_queue_shows_the_suggested_route_and_its_why_AS_1(as_user):
    ticket = queued()
    assert ticket.status == Status.PENDING_DISPATCH
    page = as_user("city_dispatcher").get("/desks/dispatch/").content.decode()
    assert ticket.number in page
    assert "光明路街道民呼必应服务中心" in page  # the place's service center: the category is missing
    assert "no category" in page or "无类别" in page or "分类" in page


def test_one_step_dispatch_from_the_queue_with_a_reason_AS_1(as_user):
    ticket = queued()
    client = as_user("city_dispatcher")
    prefix = f"d{ticket.pk}"
    resp = client.post(
        f"/desks/t/{ticket.number}/dispatch/",
        {
            "prefix": prefix,
            "back": "dispatch",
            f"{prefix}-lead": "TC-410402002 光明路街道民呼必应服务中心",
            f"{prefix}-note": "",
        },
    )
    assert resp.status_code == 400  # every action has a reason
    resp = client.post(
        f"/desks/t/{ticket.number}/dispatch/",
        {"prefix": prefix, "back": "dispatch", f"{prefix}-lead": "TC-410402002 光明路", f"{prefix}-note": "按属地派单"},
    )
    assert resp.status_code == 302 and resp["Location"] == "/desks/dispatch/"
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED and active(ticket) == [("TC-410402002", "lead")]
    assert ticket.events.get(action="dispatch").note == "按属地派单"


def test_a_county_dispatch_center_acts_on_its_townships_and_gets_404_elsewhere_ORG_3(as_user):
    ours, theirs = queued(), make_ticket(code=RUZHOU + "001", category="", description="汝州市区有人占道经营，晚上很吵")
    xinhua = as_user("xinhua_dispatcher")
    assert ours.number in xinhua.get("/desks/dispatch/").content.decode()
    assert xinhua.get(f"/desks/t/{theirs.number}/").status_code == 404
    body = {"dispatch-lead": "DEPT-water", "dispatch-note": "试图跨区派单"}
    assert xinhua.post(f"/desks/t/{theirs.number}/dispatch/", body).status_code == 404
    ok = xinhua.post(f"/desks/t/{ours.number}/dispatch/", {"dispatch-lead": "TC-410402002", "dispatch-note": "属地"})
    assert ok.status_code == 302
    assert as_user("gaoxin_dispatcher").get(f"/desks/t/{ours.number}/").status_code == 404
    # those who are not a center's dispatchers have no desk at all
    assert as_user("wall_viewer").get("/desks/dispatch/").status_code == 403
    assert as_user("guangminglu_handler").get(f"/desks/t/{ours.number}/").status_code == 403


def test_change_the_lead_and_add_co_handlers_with_reasons_AS_2(users):
    center = users["city_dispatcher"]
    ticket = make_ticket(category="0701", description="长青社区19号楼暖气管道漏水，楼道里全是水")
    lead = Assignment.objects.get(ticket=ticket, role="lead", is_active=True).office.code
    with pytest.raises(ValidationError):
        services.change_lead(ticket=ticket, by=center, lead=lead, note="同一单位")
    with pytest.raises(ValidationError):
        services.change_lead(ticket=ticket, by=center, lead="DEPT-housing", note="")
    services.change_lead(ticket=ticket, by=center, lead="DEPT-housing", note="楼内管道属物业维修范围")
    assert ("DEPT-housing", "lead") in active(ticket)
    services.add_co_handlers(ticket=ticket, by=center, co_handlers=["DEPT-water"], note="需供水配合关阀")
    assert ("DEPT-water", "co") in active(ticket)
    with pytest.raises(ValidationError):
        services.add_co_handlers(ticket=ticket, by=center, co_handlers=["DEPT-water"], note="重复")
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED and "multi_unit" in ticket.focus_reasons
    assert events(ticket)[-2:] == ["change_lead", "add_co_handlers"]
    with pytest.raises(NotPermitted):
        services.change_lead(ticket=ticket, by=users["guangminglu_handler"], lead="DEPT-water", note="越权")


def test_redispatch_starts_a_new_step_with_a_new_clock_AS_1(users):
    center = users["city_dispatcher"]
    ticket = make_ticket(category="0101")
    step = ticket.step
    services.redispatch(ticket=ticket, by=center, lead="TC-410402001", co_handlers=["DEPT-housing"], note="地址有误")
    ticket.refresh_from_db()
    assert ticket.step == step + 1 and ticket.status == Status.DISPATCHED
    assert active(ticket) == [("TC-410402001", "lead"), ("DEPT-housing", "co")]


def test_split_into_items_each_routed_with_its_own_unit_and_deadline_CT_5(users, as_user):
    center = users["city_dispatcher"]
    ticket = make_ticket(category="0101", description="长青路下水道堵塞，同时路灯不亮，还有暖气不热")
    with pytest.raises(ValidationError):
        services.split_ticket(
            ticket=ticket, by=center, items=[{"description": "只有一项", "lead": "DEPT-water"}], note="x"
        )
    items = services.split_ticket(
        ticket=ticket,
        by=center,
        note="跨部门诉求，拆分办理",
        items=[
            {"description": "长青路下水道堵塞", "lead": "TC-410402002", "days": 3},
            {"description": "19号楼暖气不热", "lead": "DEPT-heating", "days": 5},
        ],
    )
    assert [i.number for i in items] == [f"{ticket.number}-1", f"{ticket.number}-2"]
    first, second = (Ticket.objects.get(pk=i.pk) for i in items)
    assert active(first) == [("TC-410402002", "lead")] and active(second) == [("DEPT-heating", "lead")]
    assert (second.resolve_by - first.resolve_by).days == 2  # each its own deadline
    assert first.caller_phone == ticket.caller_phone and first.extra["split_from"] == ticket.number
    assert events(first) == ["split_item"]
    ticket.refresh_from_db()
    assert ticket.status == Status.ARCHIVED and ticket.extra["split_into"] == [first.number, second.number]
    assert not Assignment.objects.filter(ticket=ticket, is_active=True).exists()
    page = as_user("city_dispatcher").get(f"/desks/t/{ticket.number}/").content.decode()
    assert first.number in page and second.number in page


def test_a_duplicate_is_merged_and_its_caller_is_called_back_on_the_kept_ticket_SV_2(users, as_user):
    center = users["city_dispatcher"]
    kept = make_ticket(category="0101")
    dup = make_ticket(category="0101", caller_name="李雷", caller_phone="13900001111")
    with pytest.raises(ValidationError):
        services.merge_duplicate(ticket=dup, by=center, into=dup.number, note="自己")
    with pytest.raises(ValidationError):
        services.merge_duplicate(ticket=dup, by=center, into="PDS-nothing", note="不存在")
    services.merge_duplicate(ticket=dup, by=center, into=kept.number, note="同一处下水道堵塞")
    dup.refresh_from_db()
    kept.refresh_from_db()
    assert dup.status == Status.ARCHIVED and dup.extra["merged_into"] == kept.number
    assert kept.extra["merged"] == [dup.number]
    assert list(AdditionalCaller.objects.filter(ticket=kept).values_list("phone", flat=True)) == ["13900001111"]
    assert events(kept)[-1] == "absorb_duplicate" and events(dup)[-1] == "merge_duplicate"
    # [IN-2] the center sees the added caller; a unit sees it masked
    assert "13900001111" in as_user("city_dispatcher").get(f"/desks/t/{kept.number}/").content.decode()


def test_every_desk_transition_is_in_the_table_with_its_rule():
    names = {t.name for t in TRANSITIONS}
    for name in ("change_lead", "add_co_handlers", "redispatch", "split", "split_item", "merge_duplicate"):
        assert name in names and BY_NAME[name].rule
