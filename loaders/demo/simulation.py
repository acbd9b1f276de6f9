"""One demo ticket taken through the workflow in memory (the same state machine, workflow.fire)
until the present, with times drawn around its SLA deadlines."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from dispatch import sla
from dispatch.models import (
    Assignment,
    ExtensionRequest,
    OutboundMessage,
    Reply,
    Status,
    Ticket,
    TicketEvent,
)
from dispatch.services import (
    callback_sms_text,
    combined_reply,
    manual_callback_text,
    start_clock,
)
from dispatch.sla import NEAR_DEADLINE_FRACTION
from dispatch.supervision import ESCALATIONS, escalation_note, escalation_times, supervision_message
from dispatch.workflow import SAME, fire
from grid.models import Office

from .patterns import GIVEN, REPLY_TEXT, SURNAMES


@dataclass
class Built:
    tickets: list[Ticket] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    events: list[TicketEvent] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    extensions: list[ExtensionRequest] = field(default_factory=list)
    messages: list[OutboundMessage] = field(default_factory=list)


class Simulation:
    """Takes one ticket through the workflow until `now`, appending what happens to `out`."""

    def __init__(self, ticket: Ticket, assignments: list[Assignment], out: Built, rng: random.Random, now, table):
        self.t, self.out, self.rng, self.now, self.table = ticket, out, rng, now, table
        self.assignments = assignments
        self.offices = table.offices
        self.replies: list[Reply] = []
        self.last_at = ticket.received_at

    # -- helpers --------------------------------------------------------------------------

    def hours(self, lo: float, hi: float) -> dt.timedelta:
        return dt.timedelta(hours=self.rng.uniform(lo, hi))

    def fire(self, name: str, at: dt.datetime, *, to=None, office_id=None, note="", data=None) -> dt.datetime | None:
        """Fire a transition at a time in the past, never before the previous one (the time it got);
        None, and nothing done, once that time is in the future."""
        at = max(at, self.last_at + dt.timedelta(seconds=30))
        if at > self.now:
            return None
        office = Office(id=office_id) if office_id else None
        self.out.events.append(fire(self.t, name, to=to, office=office, note=note, data=data, at=at, commit=False))
        self.last_at = at
        return at

    def active(self, role: str | None = None) -> list[Assignment]:
        return [a for a in self.assignments if a.is_active and (role is None or a.role == role)]

    def message(self, medium: str, purpose: str, at: dt.datetime, text: str, office_id=None, number="") -> None:
        self.out.messages.append(
            OutboundMessage(
                ticket=self.t,
                medium=medium,
                purpose=purpose,
                to_office_id=office_id,
                to_number=number,
                text=text,
                gateway="database",
                status="recorded",
                created_at=at,
            )
        )

    def assign(self, office_id: int, role: str, at: dt.datetime, why: str) -> Assignment:
        a = Assignment(
            ticket=self.t,
            office_id=office_id,
            role=role,
            step=self.t.step,
            why=why,
            dispatched_by_id=self.t.center_id,
            assigned_at=at,
        )
        self.assignments.append(a)
        return a

    # -- the story ------------------------------------------------------------------------

    def run(self) -> None:
        t = self.t
        if t.status == Status.PENDING_DISPATCH and not self.dispatch_by_hand():
            return
        if t.status != Status.DISPATCHED:
            return
        late = self.rng.random() < 0.07
        stuck = self.rng.random() < 0.012
        if not self.handle_round(late=late, stuck=stuck):
            return
        self.review_and_callback()

    def dispatch_by_hand(self) -> bool:
        t = self.t
        category = self.table.categories.get(t.category_id)
        at = t.received_at + self.hours(0.5, 48)  # the queue is worked by hand: recent ones still wait
        township = self.table.office_by_area_kind.get((t.township_code, "township_center")) if t.township_code else None
        lead = township or (self.offices.get(category.default_department_id) if category else None)
        if lead is None or at > self.now:
            return False
        self.assign(lead.id, "lead", at, f"人工派单：{lead.name}")
        start_clock(t, policy=sla.policy_for(t.urgency, t.kind, self.table.sla_policies), start=at)
        return self.fire("dispatch", at, office_id=t.center_id, data={"lead": lead.code}) is not None

    def handle_round(self, *, late: bool, stuck: bool) -> bool:
        """Sign, maybe return or extend, co-reply and reply; False once the story reaches the present."""
        t = self.t
        lead = self.active("lead")[0]
        clock, window = t.clock_started_at, t.resolve_by - t.clock_started_at
        roll = self.rng.random()
        sign_at = lead.assigned_at + (
            self.hours(2, 30) if roll < 0.03 else self.hours(1.2, 4) if roll < 0.1 else self.hours(0.05, 0.9)
        )
        sign_at = min(sign_at, lead.assigned_at + window * 0.5)
        self.supervise_until(min(sign_at, self.now))
        sign_at = self.fire("sign_for", sign_at, to=Status.IN_PROGRESS, office_id=lead.office_id, data={"role": "lead"})
        if sign_at is None:
            return False
        lead.state, lead.signed_at, t.signed_at = "signed", sign_at, sign_at
        for co in self.active("co"):
            at = co.assigned_at + self.hours(0.1, 2)
            at = self.fire("sign_for", at, to=SAME, office_id=co.office_id, data={"role": "co"})
            if at is None:
                return False
            co.state, co.signed_at = "signed", at
        contact_at = sign_at + min(self.hours(0.2, 3), (t.reply_by - sign_at) * 0.8)
        contact_at = self.fire(
            "contact_caller", contact_at, office_id=lead.office_id, note="已电话联系诉求人，了解具体情况"
        )
        if contact_at is None:
            return False
        t.contacted_at = contact_at
        if self.rng.random() < 0.04 and t.step == 1:
            suggested = self.return_target(lead)
            if suggested is not None:
                return self.return_story(lead, sign_at, suggested)
        if not late and self.rng.random() < 0.05:
            if not self.extension_story(lead, clock + window * 0.6):
                return False
            window = t.resolve_by - clock
        for co in self.active("co"):
            at = clock + window * self.rng.uniform(0.2, 0.6)
            at = self.fire("co_reply", at, office_id=co.office_id, note="已配合完成处置")
            if at is None:
                return False
            self.reply(co, at)
        if stuck:
            self.supervise_until(self.now)
            return False
        fraction = self.rng.uniform(1.03, 1.8) if late else self.rng.betavariate(2.2, 3.0) * 0.9 + 0.05
        reply_at = max(clock + window * fraction, contact_at + dt.timedelta(minutes=10))
        self.supervise_until(min(reply_at, self.now))
        reply_at = self.fire("reply", reply_at, to=Status.REPLIED, office_id=lead.office_id)
        if reply_at is None:
            return False
        self.reply(lead, reply_at)
        t.replied_at = reply_at
        return True

    def supervise_until(self, until: dt.datetime) -> None:
        """The supervisor's reminders, phone calls and written notices that fell due before `until`."""
        t = self.t
        due = escalation_times(t)
        lead = self.active("lead")[0]
        for level, (action, medium, purpose) in ESCALATIONS.items():
            at = due[level]
            if t.supervision_level >= level or at > until:
                continue
            used = (at - t.clock_started_at) / (t.resolve_by - t.clock_started_at)
            note = escalation_note(t, level, used, at)
            at = self.fire(action, at, data={"level": level}, note=note)
            if at is None:
                return
            self.message(medium, purpose, at, supervision_message(t, note), office_id=lead.office_id)
            t.supervision_level = level
            if level == 1 and at >= t.clock_started_at + (t.resolve_by - t.clock_started_at) * NEAR_DEADLINE_FRACTION:
                t.near_deadline_at = at
            if level == 2:
                t.overdue_at = at

    def return_target(self, lead: Assignment):
        """The office a unit returning this ticket would suggest: the category's department, else the township."""
        category = self.table.categories.get(self.t.category_id)
        for office in (
            self.offices.get(category.default_department_id) if category else None,
            self.table.office_by_area_kind.get((self.t.township_code, "township_center")),
        ):
            if (
                office is not None
                and office.id != lead.office_id
                and all(a.office_id != office.id for a in self.active())
            ):
                return office
        return None

    def return_story(self, lead: Assignment, sign_at: dt.datetime, suggested) -> bool:
        t = self.t
        at = sign_at + self.hours(0.5, 6)
        at = self.fire(
            "request_return", at, to=Status.RETURN_REQUESTED, office_id=lead.office_id, note="不属于本单位职责"
        )
        if at is None:
            return False
        lead.state, lead.return_reason, lead.suggested_office_id, lead.return_requested_at = (
            "return_requested",
            "经核实不属于本单位职责范围",
            suggested.id,
            at,
        )
        decided = at + self.hours(1, 30)
        if self.rng.random() < 0.7:
            decided = self.fire("approve_return", decided, to=Status.DISPATCHED, office_id=t.center_id)
            if decided is None:
                return False
            lead.state, lead.is_active = "returned", False
            t.step += 1
            t.signed_at = None
            start_clock(t, policy=t.sla_policy, start=decided)
            self.assign(suggested.id, "lead", decided, f"{lead.return_reason}，中心审核同意后改派 [AS-3]")
        else:
            decided = self.fire(
                "refuse_return", decided, to=Status.IN_PROGRESS, office_id=t.center_id, note="属本单位职责，请继续办理"
            )
            if decided is None:
                return False
            lead.state = "signed"
        if not self.handle_round(late=False, stuck=False):
            return False
        self.review_and_callback()
        return False  # the rest of the story has been told

    def extension_story(self, lead: Assignment, at: dt.datetime) -> bool:
        t = self.t
        days = self.rng.randint(1, 6)
        at = self.fire("request_extension", at, office_id=lead.office_id, data={"days": days})
        if at is None:
            return False
        request = ExtensionRequest(
            ticket=t,
            assignment=lead,
            step=t.step,
            days=days,
            reason="需协调相关单位，材料采购周期较长",
            signed_off_by="单位负责人",
            requested_at=at,
            deadline_before=t.resolve_by,
        )
        self.out.extensions.append(request)
        decided = at + self.hours(0.5, 4)
        if self.rng.random() < 0.85:
            decided = self.fire("approve_extension", decided, office_id=t.center_id, data={"days": days})
            if decided is None:
                return False
            t.resolve_by += dt.timedelta(days=days)
            request.state, request.deadline_after = "approved", t.resolve_by
        else:
            decided = self.fire("refuse_extension", decided, office_id=t.center_id, note="可在时限内办结")
            if decided is None:
                return False
            request.state = "refused"
        request.decided_at = decided
        return True

    def reply(self, assignment: Assignment, at: dt.datetime) -> None:
        office = self.offices[assignment.office_id]
        category = self.table.categories.get(self.t.category_id)
        problem = category.path.split("/")[-1] if category else "反映的问题"
        reply = Reply(
            ticket=self.t,
            assignment=assignment,
            office_id=assignment.office_id,
            role=assignment.role,
            step=self.t.step,
            facts=REPLY_TEXT["facts"].format(office=office.name, problem=problem),
            result=REPLY_TEXT["result"],
            basis=REPLY_TEXT["basis"],
            signer=f"{office.name}负责人",
            handler_name=self.name(),
            replied_at=at,
            review="pending" if assignment.role == "lead" else "",
        )
        reply.office = Office(id=office.id, name=office.name)
        self.out.replies.append(reply)
        self.replies.append(reply)
        assignment.state, assignment.replied_at = "replied", at
        if assignment.role == "lead":
            self.lead_reply = reply

    def combined_reply(self) -> str:
        own = [r for r in self.replies if r.step == self.t.step and r.role == "co"]
        return combined_reply([self.lead_reply, *own])

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.randint(1, 2)))

    def callback(self, name: str, at: dt.datetime, satisfaction: str, channel: str) -> dt.datetime | None:
        """The caller's answer to a callback [CB-1][CB-2]: the time it got, or None if still to come."""
        t = self.t
        to = Status.CALLBACK_MANUAL if satisfaction == "unsatisfied" else Status.ARCHIVED
        at = self.fire(name, at, to=to, office_id=t.center_id, data={"satisfaction": satisfaction})
        if at is not None:
            t.satisfaction, t.callback_channel, t.callback_at = satisfaction, channel, at
            if to == Status.ARCHIVED:
                t.archived_at = at
        return at

    def review_and_callback(self) -> None:
        t = self.t
        at = t.replied_at + self.hours(0.5, 20)
        if self.rng.random() < 0.06 and t.step == 1:
            at = self.fire(
                "send_back", at, to=Status.IN_PROGRESS, office_id=t.center_id, note="答复不完整，请补充处理依据"
            )
            if at is None:
                return
            self.lead_reply.review = "sent_back"
            t.focus_reasons = [*t.focus_reasons, "perfunctory"]
            lead = self.active("lead")[0]
            again = at + self.hours(2, 30)
            again = self.fire("reply", again, to=Status.REPLIED, office_id=lead.office_id)
            if again is None:
                return
            self.reply(lead, again)
            t.replied_at = again
            at = again + self.hours(0.5, 10)
        at = self.fire("accept_reply", at, office_id=t.center_id)
        if at is None:
            return
        self.lead_reply.review, self.lead_reply.reviewed_at = "accepted", at
        t.reply_text = self.combined_reply()
        for a in self.active():
            a.state = "closed"
        t.closed_at = at
        t.callback_due = sla.add_working_days(at, 2)
        if not t.caller_phone:  # a grid worker's own report: the center confirms with the worker
            self.callback("manual_callback", at + self.hours(1, 20), "satisfied", "phone")
            return
        self.message("sms", "callback", at, callback_sms_text(t), number=t.caller_phone)
        t.callback_sms_at = at
        roll = self.rng.random()
        if roll < 0.9:  # an answer still to come: the supervisor flags the callback once it is late [CB-1]
            self.callback("sms_callback", at + self.hours(0.3, 30), "satisfied" if roll < 0.78 else "basic", "sms")
            return
        answered = self.callback("sms_callback", at + self.hours(0.3, 30), "unsatisfied", "sms")
        if answered is None:
            return
        self.message("call", "manual_callback", answered, manual_callback_text(t), number=t.caller_phone)
        manual_at = answered + self.hours(3, 48)
        if self.rng.random() < 0.6 or t.step > 1:
            self.callback("manual_callback", manual_at, "basic", "phone")
            return
        manual_at = self.callback("manual_callback", manual_at, "unsatisfied", "phone")
        if manual_at is None:
            return
        previous = self.active()
        for a in previous:
            a.is_active = False
        t.step += 1
        start_clock(t, policy=t.sla_policy, start=manual_at, resolve_by=sla.add_working_days(manual_at, 5))
        t.signed_at = t.replied_at = t.closed_at = t.callback_due = None
        t.focus_reasons = [*t.focus_reasons, "dissatisfied"]
        for a in previous:
            self.assign(a.office_id, a.role, manual_at, "回访不满意，5个工作日内重办 [SLA-4]")
        self.fire("rework", manual_at, to=Status.DISPATCHED, office_id=t.center_id)
        if self.handle_round(late=False, stuck=False):
            self.review_and_callback()
