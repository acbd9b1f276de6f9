"""The demo history (`manage.py load_demo_tickets`): tickets over the last months, deterministic
from a seed, in every state, with the patterns a Pingdingshan hotline shows.

- Where: urban problems (drain blockages, parking disorder, street trading,
  noise, property management) in the central districts' communities, with a
  few hotspot communities for drains and parking [AN-2]; rural problems in the
  villages of the other counties.
- When: calls by weekday and hour; heating leaks and cold radiators from the
  heating season (15 November) on, heating questions just before it; noise in
  summer evenings; drains in the July–August rains; water and power cuts in the
  heat; school places in summer.
- What then: each ticket is taken through the workflow in memory by the same
  state machine (workflow.fire), with times drawn around its SLA deadlines,
  until the present: old tickets are done, recent ones are open. Some are
  returned, extended, sent back, called back unsatisfied and reworked, or are
  late and supervised.

The same seed and end date give the same tickets. Rows are written with COPY.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone, translation
from tqdm import tqdm

from core.bulk import copy_insert, delete_tickets
from dispatch import sla
from dispatch.audit import record_events
from dispatch.models import (
    Assignment,
    CallerContact,
    ExtensionRequest,
    KnowledgeArticle,
    OutboundMessage,
    Reply,
    Status,
    Ticket,
    TicketEvent,
)
from dispatch.routing import RoutingTable, routing_table
from dispatch.services import (
    IntakeData,
    Location,
    callback_sms_text,
    combined_reply,
    manual_callback_text,
    prepare_ticket,
    start_clock,
    ticket_numbers,
)
from dispatch.sla import NEAR_DEADLINE_FRACTION
from dispatch.supervision import ESCALATIONS, escalation_note, escalation_times, supervise_once, supervision_message
from dispatch.workflow import SAME, fire
from grid.models import Area, Office

DEFAULT_COUNT = 20_000
DEFAULT_SEED = 12345
DEFAULT_DAYS = 183

# Relative weight of each leaf category in an ordinary week (city management ≈ 13% [AN-2]).
BASE_WEIGHT = {
    "0101": 7, "0102": 1.5, "0103": 4, "0104": 1.5, "0105": 2, "0106": 1.5,
    "0201": 4, "0202": 2, "0203": 1, "0204": 0.6, "0301": 1.2, "0302": 0.5,
    "0401": 7, "0402": 1, "0403": 1.2, "0404": 1.5, "0501": 1, "0502": 0.6, "0601": 1.2,
    "0701": 1, "0702": 1, "0703": 0.6, "0801": 2.5, "0802": 1, "0803": 1, "0804": 1,
    "0901": 2, "0902": 0.8, "1001": 0.8, "1002": 0.6,
    "1101": 4, "1102": 0.8, "1103": 1.5, "1104": 0.5, "1201": 1, "1202": 0.8, "1301": 2.5, "1302": 1.5,
    "1401": 1.2, "1402": 0.5, "1501": 5, "1502": 1.5, "1601": 0.8, "1701": 1.5, "1702": 1,
    "1801": 3, "1802": 1, "1901": 2.5, "2001": 1.2, "2101": 0.5, "2102": 0.8, "2201": 1, "2202": 0.8,
    "2301": 1.5, "2302": 0.6, "2401": 2, "2402": 0.8, "2501": 1.5, "2601": 1, "2701": 0.8, "2801": 1.5, "2802": 0.8,
}  # fmt: skip
URBAN = {"01", "02", "03", "04", "07", "11", "15", "17", "24"}
RURAL = {"27", "28"}
HOTSPOT_CATEGORIES = {"0101", "0401"}  # drains and parking cluster in a few central communities [AN-2]
CHANNELS = [
    ("phone", 60), ("wechat", 12), ("web", 8), ("app", 8), ("grid_worker", 5), ("mayor_mailbox", 3),
    ("national_platform", 1.5), ("weibo", 1.5), ("media", 0.5), ("leaders_board", 0.5),
]  # fmt: skip
KINDS = [("complaint", 45), ("help", 24), ("consultation", 15), ("report", 9), ("suggestion", 5), ("praise", 2)]
URGENCIES = [("general", 88), ("urgent", 10), ("extra_urgent", 2)]
HOUR_WEIGHT = [0.3, 0.2, 0.1, 0.1, 0.1, 0.3, 1, 3, 6, 8, 8, 7, 5, 5, 7, 7, 6, 5, 4, 4, 4, 3, 2, 1]
WEEKDAY_WEIGHT = [1.15, 1.05, 1.0, 1.0, 1.0, 0.8, 0.75]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "芳伟娜敏静丽强磊军洋勇艳杰涛明超秀英华玉兰桂红霞平刚辉鹏飞建国志文斌浩宇轩晨欣怡"
DETAILS = {
    "0101": [
        "{b}号楼下水道堵了，污水从地漏返上来",
        "{b}号楼前的下水道堵塞，污水漫到路面上",
        "小区{b}号楼化粪池满溢，臭味很大",
    ],
    "0401": [
        "{b}号楼门口车辆乱停，消防通道被堵",
        "小区门口长期有车辆违停，早晚高峰进出困难",
        "路边车辆双排停放，公交车过不去",
    ],
    "0103": ["路口早晚有流动摊贩占道经营，影响通行", "夜市摊位占用人行道，行人只能走机动车道"],
    "1101": ["晚上广场舞音响声音太大，影响休息", "附近工地夜间施工噪音扰民，凌晨还在作业", "楼下烧烤店深夜噪音很大"],
    "0701": ["{b}号楼暖气管道漏水，楼道积水结冰", "家里暖气片接口漏水，已经泡坏了地板"],
    "0702": ["{b}号楼暖气不热，室温只有十几度", "供暖以后家里暖气一直不热，老人孩子受不了"],
    "0801": ["{b}号楼从早上开始停水，没有任何通知", "小区连续两天停水，什么时候能恢复"],
    "0901": ["小区突然停电，已经三个小时了", "这一片夏天经常停电，空调没法用"],
    "1501": ["物业不作为，{b}号楼楼道灯坏了半个月没人修", "物业乱收停车费，业主意见很大"],
    "0201": ["{b}号楼旁边的垃圾桶满了好几天没人清运", "垃圾清运不及时，夏天臭味很大"],
}
REFUSALS = [
    ("emergency", "楼下有人晕倒了，叫不醒，怎么办"),
    ("legal_process", "这件劳动纠纷我已经申请仲裁了，想请政府督促"),
    ("outside_jurisdiction", "我在郑州市买的房子漏水，开发商不管"),
    ("abuse_or_vague", "有事"),
]
REPLY_TEXT = {
    "facts": "经{office}工作人员现场核实，{problem}情况属实。",
    "result": "已于当日组织人员处理完毕，现场已恢复正常，并已向诉求人电话告知处理结果，诉求人表示认可。",
    "basis": "依据相关管理规定及本单位职责",
}


def _choice(rng: random.Random, pairs: list[tuple[str, float]]) -> str:
    return rng.choices([p for p, _w in pairs], weights=[w for _p, w in pairs])[0]


def season_factor(code: str, day: dt.date) -> float:
    """How much more (or less) often a category comes in on this day than in an ordinary week."""
    m, d = day.month, day.day
    heating_season = (m == 11 and d >= 15) or m in (12, 1, 2) or (m == 3 and d <= 15)
    if code in ("0701", "0702"):
        return 12.0 if heating_season else 0.15
    if code == "0703":
        return 4.0 if m in (10, 11) else 0.5
    if code == "1101":
        return {6: 3.0, 7: 3.2, 8: 3.0, 9: 1.6}.get(m, 0.6)
    if code == "0101":
        return {7: 2.6, 8: 2.4, 6: 1.4}.get(m, 1.0)
    if code in ("0801", "0804", "0901"):
        return {6: 1.6, 7: 2.2, 8: 2.2}.get(m, 0.8)
    if code == "2201":
        return {6: 3.0, 7: 4.0, 8: 3.0}.get(m, 0.3)
    return 1.0


@dataclass
class DemoReport:
    created: int = 0
    skipped: bool = False
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)

    def __str__(self) -> str:
        if self.skipped:
            return "demo tickets already loaded (use --force to rebuild)"
        states = ", ".join(f"{s} {n}" for s, n in sorted(self.statuses.items()))
        return f"{self.created} demo tickets in {self.seconds:.1f} s ({states})"


def demo_prefix(seed: int) -> str:
    return f"demo:{seed}:"


def delete_demo(seed: int) -> int:
    """Remove one seed's demo tickets and everything hanging on them."""
    return delete_tickets(external_prefix=demo_prefix(seed))


class Places:
    """Communities to draw ticket locations from, weighted by the kind of problem."""

    def __init__(self, rng: np.random.Generator, table: RoutingTable):
        self.rng = rng
        rows = list(
            Area.objects.filter(level="community", valid_to__isnull=True)
            .order_by("code")
            .values_list("id", "code", "urban", "is_central", "geom")
        )
        self.ids = [r[0] for r in rows]
        self.codes = [r[1] for r in rows]
        self.geoms = shapely.from_wkb([bytes(r[4].wkb) for r in rows])
        shapely.prepare(self.geoms)
        self.bounds = shapely.bounds(self.geoms)
        urban = np.array([r[2] for r in rows])
        central = np.array([r[3] for r in rows])
        self.weights = {
            "urban": np.where(central & urban, 8.0, np.where(urban, 2.0, 0.15)),
            "rural": np.where(urban, 0.05, np.where(central, 0.5, 3.0)),
            "other": np.where(central & urban, 3.0, np.where(urban, 1.5, 0.6)),
        }
        hot = rng.choice(np.flatnonzero(central & urban), size=12, replace=False)
        boost = np.ones(len(rows))
        boost[hot] = 25.0
        self.weights["hotspot"] = self.weights["urban"] * boost
        self.cumulative = {k: np.cumsum(w) / w.sum() for k, w in self.weights.items()}
        self.table = table

    def draw(self, group: str) -> tuple[int, float, float]:
        """(area id, lon, lat) of a point inside a community drawn for this group."""
        i = int(np.searchsorted(self.cumulative[group], self.rng.random()))
        minx, miny, maxx, maxy = self.bounds[i]
        for _ in range(20):
            xs = self.rng.uniform(minx, maxx, 8)
            ys = self.rng.uniform(miny, maxy, 8)
            inside = np.flatnonzero(shapely.contains_xy(self.geoms[i], xs, ys))
            if len(inside):
                return self.ids[i], float(xs[inside[0]]), float(ys[inside[0]])
        p = shapely.point_on_surface(self.geoms[i])
        return self.ids[i], p.x, p.y


@dataclass
class Built:
    tickets: list[Ticket] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    events: list[TicketEvent] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    extensions: list[ExtensionRequest] = field(default_factory=list)
    messages: list[OutboundMessage] = field(default_factory=list)
    contacts: list[CallerContact] = field(default_factory=list)


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
        self.out.contacts.append(  # [HD-1] the contact a reply needs, with its means and outcome
            CallerContact(
                ticket=t,
                office_id=lead.office_id,
                step=t.step,
                at=contact_at,
                means=CallerContact.Means.PHONE,
                outcome=CallerContact.Outcome.REACHED,
                note="已电话联系诉求人，了解具体情况",
            )
        )
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


class DemoGenerator:
    def __init__(self, *, seed: int, days: int, end: dt.datetime):
        self.seed, self.days, self.now = seed, days, end
        self.until = timezone.localtime(end).date()
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.table = routing_table()
        self.places = Places(self.np_rng, self.table)
        self.leaves = sorted(self.table.categories.values(), key=lambda c: c.code)
        self.codes = [c.code for c in self.leaves]
        self.articles = list(KnowledgeArticle.objects.filter(is_active=True).order_by("id"))
        self.article_by_question = {a.question: a for a in self.articles}
        self._weights: dict[dt.date, list[float]] = {}

    def received_times(self, count: int) -> list[dt.datetime]:
        start = self.until - dt.timedelta(days=self.days - 1)
        days = [start + dt.timedelta(days=i) for i in range(self.days)]
        weights = np.array([WEEKDAY_WEIGHT[d.weekday()] * (1 + 0.15 * i / self.days) for i, d in enumerate(days)])
        per_day = self.np_rng.multinomial(count, weights / weights.sum())
        hours = np.array(HOUR_WEIGHT) / sum(HOUR_WEIGHT)
        times = []
        for day, n in zip(days, per_day):
            base = timezone.make_aware(dt.datetime.combine(day, dt.time()))
            for h, s in zip(self.np_rng.choice(24, size=n, p=hours), self.np_rng.integers(0, 3600, size=n)):
                at = base + dt.timedelta(hours=int(h), seconds=int(s))
                if at >= self.now:  # the last day ends at the end time
                    at = base + (self.now - base) * float(self.np_rng.random())
                times.append(at)
        return sorted(times)

    def category_for(self, day: dt.date) -> str:
        weights = self._weights.get(day)
        if weights is None:
            weights = self._weights[day] = list(
                np.cumsum([BASE_WEIGHT.get(code, 1.0) * season_factor(code, day) for code in self.codes])
            )
        return self.rng.choices(self.codes, cum_weights=weights)[0]

    def intake(self, i: int, received_at: dt.datetime) -> tuple[IntakeData, Location, KnowledgeArticle | None]:
        rng = self.rng
        day = timezone.localtime(received_at).date()
        code = self.category_for(day)
        top = code[:2]
        kind = _choice(rng, KINDS)
        channel = _choice(rng, CHANNELS)
        group = (
            "hotspot"
            if code in HOTSPOT_CATEGORIES
            else "urban"
            if top in URBAN
            else "rural"
            if top in RURAL
            else "other"
        )
        area_id, lon, lat = self.places.draw(group)
        place = self.table.place(area_id)
        building = rng.randint(1, 36)
        leaf = self.table.category(code)
        templates = DETAILS.get(code) or [f"附近{leaf.path.split('/')[-1]}问题，希望有关部门尽快处理"]
        description = rng.choice(templates).format(b=building)
        description = f"{place.community.name if place.community else ''}{description}"
        article = None
        refuse = ""
        if kind == "consultation":
            heating_soon = day.month in (10, 11) and day.day < 20 and rng.random() < 0.6
            if heating_soon or rng.random() < 0.45:
                article = (
                    self.article_by_question.get("城区什么时候开始供暖") if heating_soon else rng.choice(self.articles)
                )
                description = f"咨询：{article.question}？"
            else:
                description = f"咨询：{description}，请问归哪个部门管、怎么办理？"
        if rng.random() < 0.02:
            refuse, description = rng.choice(REFUSALS)
        has_point = rng.random() > 0.01
        address = f"{place.names.replace(' / ', '')}{building}号楼" if has_point else "具体位置记不清了"
        data = IntakeData(
            channel=channel,
            kind=kind,
            description=description,
            urgency=_choice(rng, URGENCIES),
            nature=rng.choice("AABBBBCD"),
            category=code if rng.random() > 0.01 else "",
            address=address,
            lon=round(lon, 6) if has_point else None,
            lat=round(lat, 6) if has_point else None,
            caller_name="" if channel == "grid_worker" else rng.choice(SURNAMES) + rng.choice(GIVEN),
            caller_phone="" if channel == "grid_worker" else f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
            external_id=f"{demo_prefix(self.seed)}{i}",
            received_at=received_at,
            refuse_reason=refuse,
        )
        location = Location(
            point=Point(data.lon, data.lat, srid=4326) if has_point else None,
            place=place if has_point else None,
            source="given" if has_point else "",
        )
        if refuse == "outside_jurisdiction":
            location = Location(outside_city=True)
        return data, location, article

    def build(self, start: int, times: list[dt.datetime]) -> Built:
        with translation.override(settings.LANGUAGE_CODE):  # the reasons on assignments are in the site's language
            return self._build(start, times)

    def _build(self, start: int, times: list[dt.datetime]) -> Built:
        out = Built()
        numbers = ticket_numbers(times)  # before the story: its messages name the ticket
        for offset, received_at in enumerate(times):
            data, location, article = self.intake(start + offset, received_at)
            prepared = prepare_ticket(
                data,
                table=self.table,
                location=location,
                now=received_at,
                answer_with=(lambda _text, a=article: a) if article else None,
            )
            t = prepared.ticket
            t.number = numbers[offset]
            if t.status == Status.REFUSED and data.refuse_reason == "outside_jurisdiction":
                t.point = None
            assignments = list(prepared.assignments)
            out.events += prepared.events
            Simulation(t, assignments, out, self.rng, self.now, self.table).run()
            out.tickets.append(t)
            out.assignments += assignments
        return out


def load_demo(
    *,
    count: int = DEFAULT_COUNT,
    seed: int = DEFAULT_SEED,
    days: int = DEFAULT_DAYS,
    end: dt.datetime | None = None,
    force: bool = False,
    progress: bool = False,
    batch: int = 4000,
) -> DemoReport:
    """Load `count` demo tickets for `seed`, received over `days` days up to `end` (default: the start of
    the current hour). Skipped when that many are there; rebuilt with force. The same seed and end give
    the same tickets."""
    report = DemoReport()
    started = time.monotonic()
    existing = Ticket.objects.filter(external_id__startswith=demo_prefix(seed)).count()
    if existing == count and not force:
        report.skipped = True
        return report
    end = end or timezone.now().replace(minute=0, second=0, microsecond=0)
    gen = DemoGenerator(seed=seed, days=days, end=end)
    times = gen.received_times(count)
    bar = tqdm(total=count, unit="ticket", desc="demo", disable=not progress)
    with transaction.atomic():
        delete_demo(seed)
        for start in range(0, count, batch):
            out = gen.build(start, times[start : start + batch])
            copy_insert(Ticket, out.tickets)
            copy_insert(Assignment, out.assignments)
            copy_insert(Reply, out.replies)
            copy_insert(ExtensionRequest, out.extensions)
            copy_insert(CallerContact, out.contacts)
            copy_insert(TicketEvent, out.events)
            record_events(out.events)
            copy_insert(OutboundMessage, out.messages)
            report.statuses.update(t.status for t in out.tickets)
            report.created += len(out.tickets)
            bar.update(len(out.tickets))
        bar.close()
        with connection.cursor() as cur:
            cur.execute("ANALYZE dispatch_ticket")
    supervise_once(now=max(end, timezone.now()))  # flags what is due now and links repeat complaints
    report.seconds = time.monotonic() - started
    return report
