"""Inside a township: the service center hands a ticket to the community, reviews its draft, sends it up."""

import pytest
from django.core.exceptions import ValidationError

from dispatch import services
from dispatch.exceptions import NotPermitted, RuleViolation, TransitionNotAllowed
from dispatch.fieldwork import selectors
from dispatch.fieldwork import services as field
from dispatch.fieldwork.models import CommunityReply, Delegation
from dispatch.models import Assignment, Reply, Status
from tests.helpers import CHANGQING, events, make_ticket

pytestmark = pytest.mark.django_db

REPLY = {
    "facts": "经现场核实，长青路12号门前占道经营摊点3处，影响行人通行。",
    "result": "已劝离摊贩并清理路面，社区安排网格员每日巡查，防止反弹。",
    "basis": "《平顶山市市容和环境卫生管理条例》",
    "signer": "陈静",
    "handler_name": "王芳",
}


@pytest.fixture
def street_ticket(db):
    """占道经营 in 长青社区: the category is the place's, so it goes to 光明路街道's service center [ORG-7]."""
    return make_ticket(code=CHANGQING, category="0103", description="长青路12号门前有人占道经营卖水果")


def refresh(ticket):
    ticket.refresh_from_db()
    return ticket


def test_a_township_delegates_to_the_workstation_of_the_tickets_community_ORG_5(street_ticket, users):
    handler = users["guangminglu_handler"]
    delegation = field.delegate(ticket=street_ticket, by=handler, office="WS-410402002005", note="请社区先行处置")
    assert delegation.office.name == "长青社区工作站" and delegation.worker is None and delegation.is_active
    # delegating what it had not signed for yet signs for it first [HD-1]
    assert refresh(street_ticket).status == Status.IN_PROGRESS
    assert events(street_ticket)[-2:] == ["sign_for", "delegate"]
    event = street_ticket.events.get(action="delegate")
    assert event.actor == handler and event.from_status == event.to_status == Status.IN_PROGRESS
    assert event.data["office"] == "WS-410402002005"
    # the township keeps answering for it
    assert street_ticket.assignments.get(is_active=True).office.code == "TC-410402002"


def test_a_township_may_name_one_grid_worker(street_ticket, users):
    field.delegate(ticket=street_ticket, by=users["guangminglu_handler"], worker=users["changqing_grid"].pk)
    queue = selectors.worker_queue(users["changqing_grid"], mine=True)
    assert list(queue) == [street_ticket]
    assert street_ticket not in selectors.worker_queue(users["changqing_head"], mine=True)


def test_a_township_cannot_delegate_to_another_communitys_workstation(street_ticket, users):
    """The workstation must be the one that sees the ticket through the scope selector."""
    with pytest.raises(ValidationError) as refused:
        field.delegate(ticket=street_ticket, by=users["guangminglu_handler"], office="WS-410402002002")
    assert "长青社区" in refused.value.message_dict["office"][0]
    with pytest.raises(ValidationError) as refused:
        field.delegate(ticket=street_ticket, by=users["guangminglu_handler"], worker=users["guangminglu_grid2"])
    assert "office" in refused.value.message_dict
    assert not Delegation.objects.filter(ticket=street_ticket).exists()


def test_only_the_office_holding_the_ticket_delegates(street_ticket, users):
    with pytest.raises(NotPermitted):
        field.delegate(ticket=street_ticket, by=users["xiatang_handler"], office="WS-410402002005")
    with pytest.raises(NotPermitted):  # a grid worker does not hand work around
        field.delegate(ticket=street_ticket, by=users["changqing_grid"], office="WS-410402002005")


def test_a_workstation_head_hands_a_ticket_to_one_of_its_grid_workers(users):
    drain = make_ticket(code=CHANGQING, category="0101")  # settled by the community itself [ORG-5]
    head, worker = users["changqing_head"], users["changqing_grid"]
    delegation = field.delegate(ticket=drain, by=head, worker=worker)
    assert delegation.office == head.office and delegation.worker == worker
    assert not delegation.reviewed_by_township
    with pytest.raises(ValidationError):
        field.delegate(ticket=drain, by=head, worker=users["guangminglu_grid2"])
    # the head signed for it on handing it over; the worker replies on the workstation's own assignment
    assert refresh(drain).status == Status.IN_PROGRESS
    result = field.reply_from_field(ticket=drain, by=worker, fields=REPLY)
    assert result.reply is not None and not result.is_draft
    assert refresh(drain).status == Status.REPLIED


def test_the_community_accepts_contacts_and_submits_a_draft_HD_2(street_ticket, users):
    worker = users["changqing_grid"]
    field.delegate(ticket=street_ticket, by=users["guangminglu_handler"], office="WS-410402002005")
    field.accept_delegation(ticket=street_ticket, by=worker)
    field.record_contact(ticket=street_ticket, by=worker, note="电话联系来电人，约定今天下午到场")
    assert refresh(street_ticket).contacted_at is not None
    with pytest.raises(ValidationError) as refused:  # [HD-2] a one-line reply is refused
        field.reply_from_field(ticket=street_ticket, by=worker, fields={**REPLY, "facts": "已处理", "result": "好了"})
    assert "result" in refused.value.message_dict
    result = field.reply_from_field(ticket=street_ticket, by=worker, fields=REPLY)
    assert result.is_draft and result.draft.review == CommunityReply.Review.PENDING
    # a draft does not change the ticket: the township has not replied yet
    assert refresh(street_ticket).status == Status.IN_PROGRESS
    assert not Reply.objects.filter(ticket=street_ticket).exists()
    assert events(street_ticket)[-3:] == ["accept_delegation", "delegated_contact", "submit_community_reply"]
    with pytest.raises(RuleViolation):
        field.reply_from_field(ticket=street_ticket, by=worker, fields=REPLY)


def test_the_township_reviews_the_draft_before_it_goes_up_HD_3(street_ticket, users):
    handler, worker = users["guangminglu_handler"], users["changqing_grid"]
    field.delegate(ticket=street_ticket, by=handler, office="WS-410402002005")
    field.reply_from_field(ticket=street_ticket, by=worker, fields=REPLY)  # acting accepts it in passing
    with pytest.raises(ValidationError):  # a send-back says what is missing
        field.send_back_community_reply(ticket=street_ticket, by=handler, note="")
    # sent back: the community sees it again in its queue
    field.send_back_community_reply(ticket=street_ticket, by=handler, note="请补充现场照片和整改后的情况")
    assert street_ticket in selectors.worker_queue(worker)
    better = {**REPLY, "result": REPLY["result"] + "已于当日下午复查，路面畅通。"}
    field.reply_from_field(ticket=street_ticket, by=worker, fields=better)
    # approved with one edit: it becomes the township's formal reply and the ticket awaits the center's review
    reply = field.approve_community_reply(ticket=street_ticket, by=handler, signer="刘洋")
    assert reply.office.code == "TC-410402002" and reply.signer == "刘洋" and reply.handler_name == "王芳"
    assert reply.result == better["result"] and reply.review == Reply.Review.PENDING
    assert refresh(street_ticket).status == Status.REPLIED
    assert events(street_ticket)[-2:] == ["approve_community_reply", "reply"]
    assert street_ticket.events.get(action="approve_community_reply").data["edited"] == ["signer"]
    delegation = Delegation.objects.get(ticket=street_ticket, state=Delegation.State.APPROVED)
    assert not delegation.is_active and delegation.drafts.get(review="approved").reply == reply


def test_only_the_delegating_township_approves(street_ticket, users):
    field.delegate(ticket=street_ticket, by=users["guangminglu_handler"], office="WS-410402002005")
    field.reply_from_field(ticket=street_ticket, by=users["changqing_grid"], fields=REPLY)
    with pytest.raises(RuleViolation):
        field.approve_community_reply(ticket=street_ticket, by=users["changqing_head"])
    with pytest.raises(NotPermitted):  # another community's worker has nothing delegated
        field.reply_from_field(ticket=street_ticket, by=users["guangminglu_grid2"], fields=REPLY)


def test_the_community_hands_work_back_with_its_reason_AS_3(street_ticket, users):
    field.delegate(ticket=street_ticket, by=users["guangminglu_handler"], office="WS-410402002005")
    worker = users["changqing_grid"]
    with pytest.raises(ValidationError):
        field.hand_back(ticket=street_ticket, by=worker, reason="")
    delegation = field.hand_back(
        ticket=street_ticket, by=worker, reason="摊贩持有市场监管部门许可，需执法处理", suggested_office="DEPT-market"
    )
    assert delegation.state == Delegation.State.HANDED_BACK and not delegation.is_active
    assert delegation.suggested_office.code == "DEPT-market"
    assert street_ticket not in selectors.worker_queue(worker)
    assert events(street_ticket)[-1] == "hand_back"


def test_delegating_again_replaces_the_delegation_and_withdrawing_ends_it(street_ticket, users):
    handler = users["guangminglu_handler"]
    first = field.delegate(ticket=street_ticket, by=handler, office="WS-410402002005")
    second = field.delegate(ticket=street_ticket, by=handler, worker=users["changqing_head"])
    first.refresh_from_db()
    assert first.state == Delegation.State.WITHDRAWN and not first.is_active and second.is_active
    field.withdraw_delegation(ticket=street_ticket, by=handler, note="街道直接处理")
    assert not Delegation.objects.filter(ticket=street_ticket, is_active=True).exists()


def test_nothing_is_delegated_once_the_ticket_is_answered(street_ticket, users):
    handler = users["guangminglu_handler"]
    services.sign_for(ticket=street_ticket, by=handler)
    services.reply(ticket=street_ticket, by=handler, **REPLY)
    with pytest.raises(TransitionNotAllowed):
        field.delegate(ticket=street_ticket, by=handler, office="WS-410402002005")


def test_a_township_co_handling_a_department_lead_delegates_its_part_AS_2(users):
    """A leaking heating pipe: the heating company leads, 光明路街道 co-handles and hands its part to 长青社区."""
    heating = make_ticket(code=CHANGQING, category="0701", description="长青社区3号楼暖气管道漏水严重")
    handler = users["guangminglu_handler"]
    assert heating.assignments.get(office=handler.office).role == Assignment.Role.CO
    field.delegate(ticket=heating, by=handler, office="WS-410402002005")
    field.reply_from_field(ticket=heating, by=users["changqing_grid"], fields=REPLY)
    reply = field.approve_community_reply(ticket=heating, by=handler)
    assert reply.role == Assignment.Role.CO  # the township's co-handling part is done
    assert events(heating)[-1] == "co_reply"


def test_the_desk_lists_overdue_first_and_counts_by_community(street_ticket, users):
    import datetime as dt

    from django.utils import timezone

    late = make_ticket(
        code=CHANGQING,
        category="0103",
        description="长青路北段有人占道经营卖菜",
        received_at=timezone.now() - dt.timedelta(days=8),
    )
    other = make_ticket(code="410402002002", category="0103", description="兴业路有人占道经营卖衣服")
    handler = users["guangminglu_handler"]
    desk = list(selectors.desk_tickets(handler))
    assert desk[0] == late and {street_ticket, other} <= set(desk)
    assert list(selectors.desk_tickets(handler, state="overdue")) == [late]
    assert set(selectors.desk_tickets(handler, community="410402002002")) == {other}
    field.delegate(ticket=street_ticket, by=handler, office="WS-410402002005")
    field.reply_from_field(ticket=street_ticket, by=users["changqing_grid"], fields=REPLY)
    assert list(selectors.desk_tickets(handler, state="review")) == [street_ticket]
    assert list(selectors.desk_tickets(handler))[0] == street_ticket  # a draft to review comes first
    summary = {row["name"]: row for row in selectors.desk_summary(handler)}
    assert summary["长青社区居民委员会"]["open"] == 2 and summary["长青社区居民委员会"]["overdue"] == 1
    assert summary["长青社区居民委员会"]["review"] == 1 and summary["建设街社区居民委员会"]["open"] == 1
    assert not selectors.may_use_desk(users["changqing_grid"]) and selectors.may_use_desk(handler)
