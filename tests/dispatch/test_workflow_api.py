"""The handling workflow through the API: each action a POST, 409 when the state forbids it, 403 when
the user may not, every transition an event [HD-1..3][AS-2][AS-3][SLA-3][SLA-4][CB-1][CB-2]."""

import datetime as dt

import pytest
from django.utils import timezone

from dispatch import sla
from dispatch.models import Assignment, ExtensionRequest, OutboundMessage, Reply, Status, Ticket
from tests.helpers import events, make_ticket

pytestmark = pytest.mark.django_db

GOOD_REPLY = {
    "facts": "经现场核实，19号楼东侧暖气主管道接口老化破裂，造成楼道积水约5平方米。",
    "result": "已于当日更换破损管段并恢复供热，楼道积水已清理，经回访居民室温恢复正常。",
    "basis": "《平顶山市城市供热管理办法》关于供热设施维修责任的规定",
    "signer": "热力公司客服部 李明",
    "handler_name": "吴刚",
}
CO_REPLY = {
    "facts": "街道工作人员到场疏导居民，协助热力公司维修人员进入楼道作业。",
    "result": "配合完成抢修，积水清理后楼道地面已做防滑处理，现场秩序良好。",
    "basis": "属地管理职责",
    "signer": "光明路街道 张伟",
    "handler_name": "刘洋",
}


def act(client, ticket, action, **body):
    return client.post(f"/api/tickets/{ticket.number}/{action}/", body, content_type="application/json")


@pytest.fixture
def heating(db):
    """A leaking heating pipe in 长青社区: 市热力公司 leads, 光明路街道 co-handles."""
    return make_ticket(category="0701", description="长青社区19号楼暖气管道漏水，楼道里全是水")


def test_a_ticket_goes_round_the_whole_loop_with_an_event_for_each_step(as_user, heating):
    """[HD-1][AS-2][HD-2][HD-3][CB-1] sign for, co-reply, contact, reply, accept, SMS callback."""
    lead, co, center = as_user("heating_handler"), as_user("guangminglu_handler"), as_user("city_dispatcher")
    assert act(lead, heating, "sign-for").json()["status"] == "in_progress"
    assert act(co, heating, "sign-for").json()["status"] == "in_progress"
    assert act(co, heating, "reply", **CO_REPLY).status_code == 200
    assert act(lead, heating, "contact", note="电话联系王女士，约定上午十点上门").status_code == 200
    body = act(lead, heating, "reply", **GOOD_REPLY).json()
    assert body["status"] == "replied"
    body = act(center, heating, "accept-reply", note="答复完整").json()
    assert body["status"] == "closed"
    body = act(center, heating, "callback", channel="sms", satisfaction="satisfied").json()
    assert body["status"] == "archived" and body["satisfaction"] == "satisfied"
    assert events(heating) == [
        "accept_intake",
        "sign_for",
        "sign_for",
        "co_reply",
        "contact_caller",
        "reply",
        "accept_reply",
        "sms_callback",
    ]
    history = body["history"]
    assert [h["to_status"] for h in history] == [
        "dispatched",
        "in_progress",
        "in_progress",
        "in_progress",
        "in_progress",
        "replied",
        "closed",
        "archived",
    ]
    assert history[1]["actor"] == "吴刚" and history[1]["office"] == "市热力公司"
    assert all(h["at"] for h in history)


def test_sign_for_by_an_office_without_the_ticket_is_403_and_twice_is_409_HD_1(as_user, heating):
    """[HD-1] only an assigned office signs, once."""
    assert act(as_user("water_handler"), heating, "sign-for").status_code == 404  # not theirs to see at all
    assert (
        act(as_user("changqing_head"), heating, "sign-for").status_code == 403
    )  # sees it (its community), not assigned
    lead = as_user("heating_handler")
    assert act(lead, heating, "sign-for").status_code == 200
    again = act(lead, heating, "sign-for")
    assert again.status_code == 409 and again.json()["code"] == "already_signed"


def test_a_viewer_of_the_center_may_see_but_not_act(as_user, heating):
    viewer = as_user("wall_viewer")
    assert viewer.get(f"/api/tickets/{heating.number}/").status_code == 200
    resp = act(viewer, heating, "accept-reply")
    assert resp.status_code == 403 and resp.json()["code"] == "center_only"


def test_an_action_the_state_forbids_is_a_409_with_the_reason(as_user, heating):
    center = as_user("city_dispatcher")
    resp = act(center, heating, "accept-reply")
    assert resp.status_code == 409
    assert resp.json()["code"] == "state_forbids" and resp.json()["status"] == "dispatched"
    assert resp.json()["detail"]
    resp = act(as_user("heating_handler"), heating, "reply", **GOOD_REPLY)  # not signed yet
    assert resp.status_code == 409


def test_contact_needs_signing_first_HD_1(as_user, heating):
    resp = act(as_user("heating_handler"), heating, "contact", note="已电话联系")
    assert resp.status_code == 409 and resp.json()["code"] == "not_signed"


def test_a_one_line_reply_is_refused_HD_2(as_user, heating):
    """[HD-2] a reply states facts, result, basis, signer, unit, handler and time; one-liners are refused."""
    lead = as_user("heating_handler")
    act(lead, heating, "sign-for")
    act(as_user("guangminglu_handler"), heating, "sign-for")
    act(as_user("guangminglu_handler"), heating, "reply", **CO_REPLY)
    resp = act(lead, heating, "reply", **{**GOOD_REPLY, "facts": "已处理", "result": "已修好"})
    assert resp.status_code == 400 and "result" in resp.json()
    resp = act(lead, heating, "reply", **{**GOOD_REPLY, "signer": ""})
    assert resp.status_code == 400 and "signer" in resp.json()
    assert Ticket.objects.get(pk=heating.pk).status == Status.IN_PROGRESS
    ok = act(lead, heating, "reply", **GOOD_REPLY).json()
    lead_reply = ok["replies"][-1]
    assert lead_reply["office"]["name"] == "市热力公司" and lead_reply["handler_name"] == "吴刚"
    assert lead_reply["replied_at"] and lead_reply["signer"] == GOOD_REPLY["signer"]


def test_the_lead_reply_waits_for_co_handlers_and_combines_their_replies_AS_2(as_user, heating):
    """[AS-2] the lead convenes the co-handlers; its reply combines theirs."""
    lead, co = as_user("heating_handler"), as_user("guangminglu_handler")
    act(lead, heating, "sign-for")
    resp = act(lead, heating, "reply", **GOOD_REPLY)
    assert resp.status_code == 409 and resp.json()["code"] == "co_handlers_pending"
    assert "光明路街道民呼必应服务中心" in resp.json()["detail"]
    act(co, heating, "sign-for")
    act(co, heating, "reply", **CO_REPLY)
    body = act(lead, heating, "reply", **GOOD_REPLY).json()
    assert "【市热力公司】" in body["reply_text"] and "【光明路街道民呼必应服务中心】" in body["reply_text"]
    assert GOOD_REPLY["result"] in body["reply_text"] and CO_REPLY["result"] in body["reply_text"]
    assert act(co, heating, "reply", **CO_REPLY).status_code == 409


def _replied(as_user, ticket):
    act(as_user("heating_handler"), ticket, "sign-for")
    act(as_user("guangminglu_handler"), ticket, "sign-for")
    act(as_user("guangminglu_handler"), ticket, "reply", **CO_REPLY)
    assert act(as_user("heating_handler"), ticket, "reply", **GOOD_REPLY).status_code == 200


def test_the_center_sends_an_incomplete_reply_back_to_be_completed_HD_3(as_user, heating):
    """[HD-3] an incomplete reply goes back; the deadline does not move."""
    _replied(as_user, heating)
    deadline = Ticket.objects.get(pk=heating.pk).resolve_by
    center = as_user("city_dispatcher")
    assert act(center, heating, "send-back").status_code == 400  # say what is missing
    body = act(center, heating, "send-back", note="未说明居民家中受损物品的处理情况").json()
    assert body["status"] == "in_progress" and "perfunctory" in body["focus_reasons"]
    assert Reply.objects.get(ticket=heating, role="lead").review == "sent_back"
    t = Ticket.objects.get(pk=heating.pk)
    assert t.resolve_by == deadline
    body = act(as_user("heating_handler"), heating, "reply", **GOOD_REPLY).json()
    assert body["status"] == "replied"
    assert act(center, heating, "accept-reply").json()["status"] == "closed"


def test_closing_sends_the_callback_sms_and_sets_the_2_working_day_deadline_CB_1(as_user, heating):
    """[CB-1] the center calls back within 2 working days; [CB-2] SMS first, through the gateway."""
    _replied(as_user, heating)
    act(as_user("city_dispatcher"), heating, "accept-reply")
    t = Ticket.objects.get(pk=heating.pk)
    assert t.callback_due == sla.add_working_days(t.closed_at, 2)
    sms = OutboundMessage.objects.get(ticket=t, purpose="callback")
    assert sms.medium == "sms" and sms.to_number == "13812341234" and t.number in sms.text
    assert sms.gateway == "database"
    assert t.assignments.filter(is_active=True).exclude(state="closed").count() == 0


def test_sms_unsatisfied_goes_to_a_manual_callback_then_unsatisfied_means_rework_CB_2_SLA_4(as_user, heating):
    """[CB-2] SMS unsatisfied → manual callback; unsatisfied again → [SLA-4] rework within 5 working days."""
    _replied(as_user, heating)
    center = as_user("city_dispatcher")
    act(center, heating, "accept-reply")
    body = act(center, heating, "callback", channel="sms", satisfaction="unsatisfied").json()
    assert body["status"] == "callback_manual"
    call = OutboundMessage.objects.get(ticket=heating, purpose="manual_callback")
    assert call.medium == "call"
    before = timezone.now()
    body = act(center, heating, "callback", channel="phone", satisfaction="unsatisfied", note="居民称家中仍不热").json()
    assert body["status"] == "dispatched" and body["step"] == 2
    t = Ticket.objects.get(pk=heating.pk)
    assert before <= t.clock_started_at <= timezone.now()
    assert t.resolve_by == sla.add_working_days(t.clock_started_at, 5)
    assert "dissatisfied" in t.focus_reasons
    active = t.assignments.filter(is_active=True)
    assert {(a.office.code, a.role, a.step) for a in active} == {("DEPT-heating", "lead", 2), ("TC-410402002", "co", 2)}
    assert "[SLA-4]" in active.get(role="lead").why
    assert events(t)[-3:] == ["sms_callback", "manual_callback", "rework"]
    # the rework runs the loop again
    assert act(as_user("heating_handler"), heating, "sign-for").json()["status"] == "in_progress"


def test_a_manual_callback_can_settle_it_and_sms_is_only_once(as_user, heating):
    _replied(as_user, heating)
    center = as_user("city_dispatcher")
    act(center, heating, "accept-reply")
    assert act(center, heating, "callback", channel="phone", satisfaction="basic").json()["status"] == "archived"
    assert act(center, heating, "callback", channel="sms", satisfaction="satisfied").status_code == 409


# -- returns [AS-3] -------------------------------------------------------------------------------------


@pytest.fixture
def drain(db):
    """A drain blockage in 长青社区, assigned to 长青社区工作站."""
    return make_ticket(category="0101")


def test_a_unit_returns_a_ticket_within_the_window_and_the_center_re_dispatches_AS_3(as_user, drain):
    """[AS-3] return with reason and suggested office; the center approves and re-assigns."""
    station = as_user("changqing_head")
    act(station, drain, "sign-for")
    resp = act(
        station,
        drain,
        "return",
        reason="下水道为市政主管网，不属于社区管理范围",
        suggested_office="DEPT-urban-management",
    )
    assert resp.status_code == 200 and resp.json()["status"] == "return_requested"
    body = act(as_user("city_dispatcher"), drain, "approve-return", note="同意，转城管局").json()
    assert body["status"] == "dispatched" and body["step"] == 2
    assert body["lead"]["code"] == "DEPT-urban-management"
    old = Assignment.objects.get(ticket=drain, office__code="WS-410402002005")
    assert old.state == "returned" and not old.is_active and old.return_reason.startswith("下水道")
    new = Assignment.objects.get(ticket=drain, is_active=True)
    assert "长青社区工作站" in new.why and "[AS-3]" in new.why
    assert events(drain) == ["accept_intake", "sign_for", "request_return", "approve_return"]


def test_the_center_may_choose_another_office_than_the_one_suggested_AS_3(as_user, drain):
    act(as_user("changqing_head"), drain, "return", reason="不属于社区职责", suggested_office="DEPT-water")
    body = act(as_user("city_dispatcher"), drain, "approve-return", office="TC-410402002").json()
    assert body["lead"]["code"] == "TC-410402002"


def test_a_return_after_the_window_is_refused_AS_3(as_user, drain):
    """[AS-3] 12 hours (Suqian) after receiving the ticket the unit can no longer return it."""
    Assignment.objects.filter(ticket=drain).update(assigned_at=timezone.now() - dt.timedelta(hours=13))
    resp = act(
        as_user("changqing_head"), drain, "return", reason="不属于社区职责", suggested_office="DEPT-urban-management"
    )
    assert resp.status_code == 409 and resp.json()["code"] == "return_window_passed"
    assert Ticket.objects.get(pk=drain.pk).status == Status.DISPATCHED


def test_a_return_needs_a_reason_and_a_real_suggested_office_AS_3(as_user, drain):
    station = as_user("changqing_head")
    assert "suggested_office" in act(station, drain, "return", reason="不归我们管").json()
    resp = act(station, drain, "return", reason="不归我们管", suggested_office="DEPT-nowhere")
    assert resp.status_code == 400 and "suggested_office" in resp.json()
    resp = act(station, drain, "return", reason="", suggested_office="DEPT-water")
    assert resp.status_code == 400 and "reason" in resp.json()


def test_the_center_refuses_a_return_and_the_unit_keeps_it_AS_3(as_user, drain):
    station = as_user("changqing_head")
    act(station, drain, "sign-for")
    act(station, drain, "return", reason="不属于社区职责", suggested_office="DEPT-urban-management")
    assert act(as_user("city_dispatcher"), drain, "refuse-return").status_code == 400  # needs the reason
    body = act(as_user("city_dispatcher"), drain, "refuse-return", note="楼内支管属社区协调物业处理").json()
    assert body["status"] == "in_progress"
    assert Assignment.objects.get(ticket=drain, is_active=True).state == "signed"
    assert act(as_user("city_dispatcher"), drain, "approve-return").status_code == 409  # nothing pending now


def test_only_the_tickets_center_decides_a_return(as_user, drain):
    act(as_user("changqing_head"), drain, "return", reason="不属于社区职责", suggested_office="DEPT-water")
    assert act(as_user("xinhua_dispatcher"), drain, "approve-return").status_code == 403


def test_returned_twice_is_flagged_as_buck_passing_SV_3(as_user, drain):
    """[SV-3] buck-passing: a ticket returned again and again is a focus case."""
    center = as_user("city_dispatcher")
    act(as_user("changqing_head"), drain, "return", reason="不属于社区职责", suggested_office="TC-410402002")
    act(center, drain, "approve-return")
    act(
        as_user("guangminglu_handler"), drain, "return", reason="属于市政管网", suggested_office="DEPT-urban-management"
    )
    body = act(center, drain, "approve-return").json()
    assert "buck_passing" in body["focus_reasons"]


# -- extensions [SLA-3] ----------------------------------------------------------------------------------


def test_an_extension_before_the_deadline_moves_it_once_approved_SLA_3(as_user, heating):
    """[SLA-3] one request per step, before the deadline, at most 6 days, signed off by the unit head."""
    lead = as_user("heating_handler")
    act(lead, heating, "sign-for")
    deadline = Ticket.objects.get(pk=heating.pk).resolve_by
    resp = act(
        lead,
        heating,
        "request-extension",
        days=3,
        reason="需更换整段主管道，材料需外购",
        signed_off_by="热力公司经理 赵强",
    )
    assert resp.status_code == 200
    assert ExtensionRequest.objects.get(ticket=heating).state == "pending"
    body = act(as_user("city_dispatcher"), heating, "approve-extension", note="同意").json()
    t = Ticket.objects.get(pk=heating.pk)
    assert t.resolve_by == deadline + dt.timedelta(days=3)
    assert body["extensions"][0]["state"] == "approved"
    assert events(t)[-2:] == ["request_extension", "approve_extension"]
    again = act(lead, heating, "request-extension", days=1, reason="再延一天", signed_off_by="赵强")
    assert again.status_code == 409 and again.json()["code"] == "extension_used"


def test_an_extension_is_at_most_6_days_and_needs_reason_and_signature_SLA_3(as_user, heating):
    lead = as_user("heating_handler")
    act(lead, heating, "sign-for")
    resp = act(lead, heating, "request-extension", days=7, reason="工程量大", signed_off_by="赵强")
    assert resp.status_code == 400 and "days" in resp.json()
    resp = act(lead, heating, "request-extension", days=2, reason="工程量大", signed_off_by="")
    assert resp.status_code == 400 and "signed_off_by" in resp.json()


def test_an_extension_after_the_deadline_is_refused_SLA_3(as_user, heating):
    lead = as_user("heating_handler")
    act(lead, heating, "sign-for")
    Ticket.objects.filter(pk=heating.pk).update(resolve_by=timezone.now() - dt.timedelta(minutes=1))
    resp = act(lead, heating, "request-extension", days=2, reason="工程量大", signed_off_by="赵强")
    assert resp.status_code == 409 and resp.json()["code"] == "deadline_passed"


def test_only_the_lead_asks_for_an_extension_and_a_refusal_keeps_the_deadline_SLA_3(as_user, heating):
    co = as_user("guangminglu_handler")
    act(co, heating, "sign-for")
    resp = act(co, heating, "request-extension", days=2, reason="需要协调", signed_off_by="张伟")
    assert resp.status_code == 403 and resp.json()["code"] == "lead_only"
    lead = as_user("heating_handler")
    act(lead, heating, "sign-for")
    deadline = Ticket.objects.get(pk=heating.pk).resolve_by
    act(lead, heating, "request-extension", days=2, reason="需要协调", signed_off_by="赵强")
    assert act(as_user("city_dispatcher"), heating, "refuse-extension", note="可在时限内完成").status_code == 200
    assert Ticket.objects.get(pk=heating.pk).resolve_by == deadline
    assert (
        act(lead, heating, "request-extension", days=1, reason="再申请一天时间", signed_off_by="赵强").status_code
        == 409
    )


# -- manual dispatch -------------------------------------------------------------------------------------


def test_the_center_dispatches_a_queued_ticket_by_hand_AS_1(as_user):
    queued = make_ticket(category="", description="反映一个问题：光明路和建设路口晚上很吵还有人摆摊")
    center = as_user("city_dispatcher")
    resp = act(center, queued, "dispatch", lead="DEPT-nowhere")
    assert resp.status_code == 400 and "lead" in resp.json()
    body = act(
        center,
        queued,
        "dispatch",
        lead="TC-410402002",
        co_handlers=["DEPT-ecology"],
        category="1101",
        note="噪音兼占道",
    ).json()
    assert body["status"] == "dispatched"
    assert body["category"]["code"] == "1101"
    assert {(a["office"]["code"], a["role"]) for a in body["assignments"]} == {
        ("TC-410402002", "lead"),
        ("DEPT-ecology", "co"),
    }
    assert body["resolve_by"]
    assert act(center, queued, "dispatch", lead="TC-410402002").status_code == 409


def test_unknown_action_or_ticket_is_404(as_user, heating):
    center = as_user("city_dispatcher")
    assert center.post(f"/api/tickets/{heating.number}/teleport/").status_code == 404
    assert act(center, Ticket(number="PDS-20000101-999999"), "sign-for").status_code == 404


def test_the_detail_lists_what_the_user_may_do_now(as_user, heating):
    assert as_user("heating_handler").get(f"/api/tickets/{heating.number}/").json()["actions"] == [
        "sign-for",
        "return",
    ]
    center = as_user("city_dispatcher")
    assert center.get(f"/api/tickets/{heating.number}/").json()["actions"] == []
    lead = as_user("heating_handler")
    act(lead, heating, "sign-for")
    assert lead.get(f"/api/tickets/{heating.number}/").json()["actions"] == [
        "contact",
        "return",
        "request-extension",
    ]
    act(lead, heating, "request-extension", days=2, reason="需要更换主管道", signed_off_by="赵强")
    actions = center.get(f"/api/tickets/{heating.number}/").json()["actions"]
    assert actions == ["approve-extension", "refuse-extension"]
