"""Co-handling [AS-2]: the lead convenes units; a co-handler past its part's deadline no longer blocks the
lead, whose reply says so, and the late co-handler is flagged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dispatch.models import Assignment, OutboundMessage, Ticket
from tests.helpers import events, make_ticket

pytestmark = pytest.mark.django_db

LEAD_REPLY = {
    "facts": "经现场核实，19号楼东侧暖气主管道接口老化破裂，造成楼道积水约5平方米。",
    "result": "已于当日更换破损管段并恢复供热，楼道积水已清理，经回访居民室温恢复正常。",
    "basis": "《平顶山市城市供热管理办法》关于供热设施维修责任的规定",
    "signer": "热力公司客服部 李明",
    "handler_name": "吴刚",
}


def act(client, ticket, action, **body):
    return client.post(f"/api/tickets/{ticket.number}/{action}/", body, content_type="application/json")


def heating(**extra) -> Ticket:
    """市热力公司 leads, 光明路街道 co-handles."""
    return make_ticket(category="0701", description="长青社区19号楼暖气管道漏水，楼道里全是水", **extra)


def test_the_lead_brings_in_another_unit_as_a_co_handler_AS_2(as_user):
    """[AS-2] 首接负责制: the lead convenes the others; a co-handler may not."""
    t = heating()
    lead, co = as_user("heating_handler"), as_user("guangminglu_handler")
    assert act(lead, t, "add-co-handler", office="DEPT-water").status_code == 409  # sign for first
    act(lead, t, "sign-for")
    assert act(co, t, "add-co-handler", office="DEPT-water").status_code == 403
    resp = act(lead, t, "add-co-handler", office="DEPT-water", note="涉及供水管道，请自来水公司协办")
    assert resp.status_code == 200, resp.json()
    added = Assignment.objects.get(ticket=t, office__code="DEPT-water", is_active=True)
    assert added.role == "co" and added.step == 1 and "[AS-2]" in added.why
    assert act(lead, t, "add-co-handler", office="DEPT-water").status_code == 400  # already there
    assert "add_co_handler" in events(t)
    assert "add-co-handler" not in act(co, t, "sign-for").json()["actions"]


def test_a_late_co_handler_no_longer_blocks_the_lead_whose_reply_says_so_AS_2(as_user):
    """[AS-2] before its part is due the co-handler holds the lead's reply; once past due (80% of the time)
    it does not: the lead replies, the reply names the late co-handler and the co-handler is flagged."""
    fresh = heating()
    lead = as_user("heating_handler")
    act(lead, fresh, "sign-for")
    act(lead, fresh, "contact", note="电话联系王女士")
    blocked = act(lead, fresh, "reply", **LEAD_REPLY)
    assert blocked.status_code == 409 and "光明路街道" in str(blocked.json())

    old = heating(received_at=timezone.now() - dt.timedelta(days=4, hours=12))  # 90% of 5 days used
    act(lead, old, "sign-for")
    act(lead, old, "contact", note="电话联系王女士")
    resp = act(lead, old, "reply", **LEAD_REPLY)
    assert resp.status_code == 200, resp.json()
    t = Ticket.objects.get(pk=old.pk)
    assert t.status == "replied"
    flag = t.events.get(action="flag_co_handler_late")
    assert flag.data["office"] == "TC-410402002"
    assert "光明路街道民呼必应服务中心" in flag.note and flag.note in t.reply_text  # the reply says so
    notice = OutboundMessage.objects.get(ticket=t, purpose="co_handler_late")
    assert notice.to_office.code == "TC-410402002"
