"""The one access policy: who may see what and do what, for the API, the pages, the sockets and the exports.

Everything that decides a permission lives here and nowhere else: the role sets and the office kinds with
the grid level each answers for; the scope of tickets an office sees (`tickets_visible_to`) and who sees the
caller [IN-2]; who may fire a workflow transition (`authorize`) and whether the ticket is ready for an action
(`require_ready`), which the services call before they act and `available_actions` asks before it offers a
button, so the two never disagree; who reads the assessment, briefings and flares, who appeals and rules.

Denials follow one convention: a ticket outside the scope is a 404 (its existence is not told),
an action the user may not take on a visible ticket is a 403 with a message saying who may.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.exceptions import NotPermitted, RuleViolation
from dispatch.models import Assignment, Channel, ExtensionRequest, Ticket
from dispatch.workflow import BY_NAME, NEW, Actor
from grid.models import Level, Office, Role

if TYPE_CHECKING:
    from grid.models import User

Kind = Office.Kind

# -- roles ------------------------------------------------------------------------------------

# Dispatchers act for their center: dispatch, rule on returns and extensions, review, call back.
CENTER_ROLES = frozenset({Role.CITY_DISPATCHER, Role.COUNTY_DISPATCHER, Role.ADMIN})
# Those who read what a center reads (the assessment, briefings): the dispatchers and the wall's viewers.
CENTER_VIEW_ROLES = CENTER_ROLES | {Role.CENTER_VIEWER}
# Those who may act on an assignment their office holds; everyone else only looks.
HANDLER_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.WORKSTATION_HEAD,
        Role.TOWNSHIP_HANDLER,
        Role.DEPARTMENT_HANDLER,
        Role.COUNTY_DISPATCHER,
        Role.CITY_DISPATCHER,
        Role.ADMIN,
    }
)
# The call-takers (话务员/受理员) of a center take calls at a seat [CT-1]; the dispatchers and
# administrators of a center may sit at a console too.
CONSOLE_ROLES = frozenset({Role.CALL_TAKER, Role.CITY_DISPATCHER, Role.COUNTY_DISPATCHER, Role.ADMIN})
# Field work: who delegates to a community, who works in a community, who files patrol reports.
DELEGATOR_ROLES = frozenset({Role.TOWNSHIP_HANDLER, Role.WORKSTATION_HEAD, Role.ADMIN})
COMMUNITY_ROLES = frozenset({Role.GRID_WORKER, Role.WORKSTATION_HEAD})
PATROL_ROLES = frozenset({Role.GRID_WORKER, Role.WORKSTATION_HEAD, Role.TOWNSHIP_HANDLER})
# The heads of units, who read their own area's briefings.
UNIT_HEAD_ROLES = frozenset({Role.TOWNSHIP_HANDLER, Role.WORKSTATION_HEAD})

# -- office kinds and the level each answers for ------------------------------------------------

COUNTY_KINDS = (Kind.SUB_CENTER, Kind.COUNTY_DISPATCH)
CENTER_KINDS = (Kind.CITY_CENTER, Kind.SUB_CENTER)  # the centers that own tickets [ORG-2]
FLARE_AUDIENCE = (Kind.CITY_CENTER, *COUNTY_KINDS, Kind.TOWNSHIP_CENTER)
KIND_LEVEL: dict[str, str] = {
    Kind.CITY_CENTER: Level.CITY,
    Kind.SUB_CENTER: Level.COUNTY,
    Kind.COUNTY_DISPATCH: Level.COUNTY,
    Kind.TOWNSHIP_CENTER: Level.TOWNSHIP,
    Kind.WORKSTATION: Level.COMMUNITY,
}
# The ticket field that holds the code of the area at each level.
LEVEL_FIELD = {Level.COUNTY: "county_code", Level.TOWNSHIP: "township_code", Level.COMMUNITY: "community_code"}


def level_of(office: Office | None) -> str | None:
    """The level of the grid an office answers for (None for departments, which answer for a remit)."""
    return KIND_LEVEL.get(office.kind) if office is not None else None


def _office(user) -> Office | None:
    office = getattr(user, "office", None) if user is not None else None
    return office if office is not None and office.is_active else None


def _role(user) -> str | None:
    return getattr(user, "role", None)


# -- what an office sees --------------------------------------------------------------------------


def _assigned_to(office_id: int) -> Exists:
    return Exists(Assignment.objects.filter(ticket=OuterRef("pk"), office_id=office_id))


def tickets_visible_to(user: User | None) -> QuerySet[Ticket]:
    """Every ticket this user's office may see: its area's tickets and those assigned to it
    (the city center sees all, a department only its assignments; nothing without an office)."""
    office = _office(user)
    qs = Ticket.objects.all()
    if office is None:
        return qs.none()
    level = level_of(office)
    if level == Level.CITY:
        return qs
    if level is None:
        return qs.filter(_assigned_to(office.id)) if office.kind == Kind.DEPARTMENT else qs.none()
    return qs.filter(Q(**{LEVEL_FIELD[level]: office.area_code}) | _assigned_to(office.id))


def area_filter(user: User | None) -> Q | None:
    """The same scope as a filter on a table keyed by area codes (county_code, township_code):
    None for the whole city, Q(pk__in=[]) for nothing; departments see no area as a whole."""
    office = _office(user)
    level = level_of(office)
    if level == Level.CITY:
        return None
    if level in (Level.COUNTY, Level.TOWNSHIP):
        return Q(**{LEVEL_FIELD[level]: office.area_code})
    return Q(pk__in=[])


def can_see_caller(user: User | None, ticket: Ticket) -> bool:
    """[IN-2] Who sees the caller's name and phone: the center that calls back [CB-1] (and the dispatchers of
    the county dispatch center acting for it on its townships [ORG-3]), and the lead
    unit while it handles the ticket — signed for and not yet replied or returned — for it must
    contact the caller [HD-1]. Co-handling units, other offices and a unit whose turn is over see
    them masked; every unmasked showing is audited (selectors.caller_for).

    Reads `ticket.assignments.all()`, so a list that prefetched the assignments asks nothing more.
    """
    office_id = getattr(user, "office_id", None) if user is not None else None
    if not office_id:
        return False
    if office_id == ticket.center_id or is_center_user(user, ticket):  # [ORG-3] a county dispatch center calls back too
        return True
    return any(
        a.office_id == office_id and a.role == Assignment.Role.LEAD and a.state == Assignment.State.SIGNED
        for a in ticket.assignments.all()
    )


# -- who may fire a transition --------------------------------------------------------------------


def is_center_user(user: User | None, ticket: Ticket) -> bool:
    """A dispatcher (or administrator) of the ticket's own center, or [ORG-3] of the county dispatch
    center whose county holds the ticket (it acts for its townships as the center does)."""
    if user is None or not getattr(user, "office_id", None) or _role(user) not in CENTER_ROLES:
        return False
    if user.office_id == ticket.center_id:
        return True
    office = _office(user)
    return bool(
        office is not None
        and office.kind == Kind.COUNTY_DISPATCH
        and ticket.county_code
        and ticket.county_code == office.area_code
    )


# -- the center's desks (desks/) [ORG-1][ORG-2][ORG-3] -------------------------------------------

# The offices that run a back office: the city center (the central five and the city), a sub-center
# (its county), a county dispatch center (its townships).
DESK_KINDS = (Kind.CITY_CENTER, Kind.SUB_CENTER, Kind.COUNTY_DISPATCH)


def may_use_desks(user: User | None) -> bool:
    """The center's desks (dispatch, rulings, review, callback, supervision): a dispatcher of a center."""
    office = _office(user)
    return office is not None and office.kind in DESK_KINDS and _role(user) in CENTER_ROLES


def desk_filter(user: User | None) -> Q:
    """The tickets this user acts on as the center (the same rule as is_center_user, as a filter):
    its center's tickets, and for a county dispatch center its county's [ORG-3]; nothing otherwise."""
    office = _office(user)
    if office is None or not may_use_desks(user):
        return Q(pk__in=[])
    scope = Q(center_id=office.id)
    if office.kind == Kind.COUNTY_DISPATCH:
        scope |= Q(county_code=office.area_code)
    return scope


def desk_tickets(user: User | None) -> QuerySet[Ticket]:
    """desk_filter as a queryset of tickets."""
    return Ticket.objects.filter(desk_filter(user))


def may_rule_on_appeals(user: User | None) -> bool:
    """[AR-5] Appeals against a deduction: the city center's dispatchers (a sub-center is itself ranked)."""
    return getattr(_office(user), "kind", None) == Kind.CITY_CENTER and _role(user) in CENTER_ROLES


def may_appeal(user: User | None, unit_id: int) -> bool:
    """[AR-5] A unit's own handling staff (not grid workers, viewers, call-takers) appeal its deductions."""
    office = _office(user)
    return office is not None and office.id == unit_id and _role(user) in HANDLER_ROLES - {Role.GRID_WORKER}


def may_dispute_return(user: User | None, assignment: Assignment) -> bool:
    """[AR-5] The handlers of the unit whose return was refused dispute the refusal."""
    return getattr(_office(user), "id", None) == assignment.office_id and _role(user) in HANDLER_ROLES


def may_rule_return_dispute(user: User | None, ticket: Ticket) -> bool:
    """[AR-5] A disputed return's second ruling: the administrator (no supervisor role) of the ticket's center."""
    return _role(user) == Role.ADMIN and is_center_user(user, ticket)


def may_answer_supervision(user: User | None, ticket: Ticket) -> bool:
    """[SV-1] A written supervision notice is answered by the unit holding the lead assignment."""
    return _role(user) in HANDLER_ROLES and any(
        a.is_active and a.role == Assignment.Role.LEAD and a.office_id == getattr(user, "office_id", None)
        for a in ticket.assignments.all()
    )


def authorize(ticket: Ticket, name: str, user: User | None, *, assignments=None) -> Assignment | None:
    """Check that this user may fire this transition; the user's assignment for assignee actions.

    `assignments` may pass the ticket's assignments already loaded. Raises
    NotPermitted with a message saying who may.
    """
    tr = BY_NAME[name]
    if tr.actor == Actor.SYSTEM:
        if user is not None:
            raise NotPermitted(_("Only the system does this."), code="system_only")
        return None
    if user is None or not getattr(user, "office_id", None):
        raise NotPermitted(_("Your account belongs to no office."), code="no_office")
    if tr.actor == Actor.CENTER:
        if not is_center_user(user, ticket):
            center = ticket.center.name if ticket.center_id else _("the city command center")
            raise NotPermitted(
                _("Only a dispatcher of %(center)s may do this.") % {"center": center}, code="center_only"
            )
        return None
    if _role(user) not in HANDLER_ROLES:
        raise NotPermitted(_("Your role may only view tickets."), code="view_only")
    if assignments is None:
        assignments = ticket.assignments.filter(office_id=user.office_id, is_active=True).select_related("office")
    assignment = next((a for a in assignments if a.is_active and a.office_id == user.office_id), None)
    if assignment is None:
        raise NotPermitted(_("Your office holds no active assignment on this ticket."), code="not_assigned")
    if tr.actor == Actor.LEAD and assignment.role != Assignment.Role.LEAD:
        raise NotPermitted(_("Only the lead unit may do this."), code="lead_only")
    if tr.actor == Actor.CO and assignment.role != Assignment.Role.CO:
        raise NotPermitted(_("Only a co-handling unit may do this."), code="co_only")
    return assignment


def may_attach(user: User | None) -> bool:
    """Who may add files to a ticket they see: anyone who handles (viewers only look)."""
    return _role(user) in HANDLER_ROLES


# -- whether the ticket is ready for an action --------------------------------------------------


@dataclass(frozen=True)
class Situation:
    """What the readiness checks look at: the ticket, the acting office's assignment (None for the
    center), all the ticket's assignments and its extension requests, loaded once."""

    ticket: Ticket
    assignment: Assignment | None
    assignments: list[Assignment]
    extensions: list[ExtensionRequest]

    @classmethod
    def load(cls, ticket: Ticket, assignment: Assignment | None = None) -> Situation:
        return cls(ticket, assignment, list(ticket.assignments.all()), list(ticket.extensions.all()))


def _not_signed_yet(s: Situation) -> None:
    if s.assignment.state != Assignment.State.ASSIGNED:
        raise RuleViolation(_("Your office has already signed for this ticket."), code="already_signed")


def _signed(s: Situation) -> None:
    state = s.assignment.state
    if state == Assignment.State.ASSIGNED:
        raise RuleViolation(_("Sign for the ticket first."), code="not_signed")
    if state == Assignment.State.REPLIED:
        raise RuleViolation(_("Your office has already replied on this ticket."), code="already_replied")
    if state != Assignment.State.SIGNED:
        raise RuleViolation(_("Your office is not handling this ticket now."), code="not_handling")


def _returnable(s: Situation) -> None:
    if s.assignment.state not in (Assignment.State.ASSIGNED, Assignment.State.SIGNED):
        raise RuleViolation(_("This assignment cannot be returned now."), code="not_returnable")


def co_handlers_waiting(assignments: Iterable[Assignment]) -> list[Assignment]:
    """[AS-2] The active co-handlers that have not replied yet."""
    return [
        a for a in assignments if a.is_active and a.role == Assignment.Role.CO and a.state != Assignment.State.REPLIED
    ]


def co_handler_deadline(ticket: Ticket, assignment: Assignment):
    """[AS-2] When a co-handler's part is due: once the ticket is near its deadline (80% of the lead's time
    from the co-handler's assignment [SV-1]), the lead must be free to write the reply. None without a
    resolve deadline."""
    from dispatch.sla import NEAR_DEADLINE_FRACTION

    if ticket.resolve_by is None:
        return None
    return assignment.assigned_at + (ticket.resolve_by - assignment.assigned_at) * NEAR_DEADLINE_FRACTION


def late_co_handlers(ticket: Ticket, assignments: Iterable[Assignment], now=None) -> list[Assignment]:
    """[AS-2] The co-handlers still waiting whose part is past due: they no longer hold the lead back."""
    now = now or timezone.now()
    return [
        a
        for a in co_handlers_waiting(assignments)
        if (due := co_handler_deadline(ticket, a)) is not None and now >= due
    ]


def _may_reply(s: Situation) -> None:
    _signed(s)
    if s.assignment.role == Assignment.Role.LEAD:
        late = {a.pk for a in late_co_handlers(s.ticket, s.assignments)}
        waiting = [a for a in co_handlers_waiting(s.assignments) if a.pk not in late]
        if waiting:
            raise RuleViolation(
                _("Co-handlers have not replied yet: %(offices)s.")
                % {"offices": "、".join(a.office.name for a in waiting)},
                code="co_handlers_pending",
            )


def _return_pending(s: Situation) -> None:
    if not any(a.is_active and a.state == Assignment.State.RETURN_REQUESTED for a in s.assignments):
        raise RuleViolation(_("No return request is pending on this ticket."), code="no_return_pending")


def _extension_pending(s: Situation) -> None:
    if not any(e.step == s.ticket.step and e.state == ExtensionRequest.State.PENDING for e in s.extensions):
        raise RuleViolation(_("No extension request is pending on this ticket."), code="no_extension_pending")


# The API's actions: the transitions each may fire, and the readiness checks beyond state and actor.
READINESS: dict[str, Callable[[Situation], None]] = {
    "sign-for": _not_signed_yet,
    "contact": _signed,
    "add-co-handler": _signed,
    "request-extension": _signed,
    "reply": _may_reply,
    "return": _returnable,
    "approve-return": _return_pending,
    "refuse-return": _return_pending,
    "approve-extension": _extension_pending,
    "refuse-extension": _extension_pending,
}
ACTION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "dispatch": ("dispatch",),
    "add-co-handler": ("add_co_handler",),
    "confirm-refusal": ("confirm_refusal",),
    "sign-for": ("sign_for",),
    "contact": ("contact_caller",),
    "return": ("request_return",),
    "approve-return": ("approve_return",),
    "refuse-return": ("refuse_return",),
    "request-extension": ("request_extension",),
    "approve-extension": ("approve_extension",),
    "refuse-extension": ("refuse_extension",),
    "reply": ("reply", "co_reply"),
    "accept-reply": ("accept_reply",),
    "send-back": ("send_back",),
    "callback": ("sms_callback", "manual_callback"),
}


def require_ready(action: str, situation: Situation) -> None:
    """RuleViolation naming what is missing when the ticket is not ready for this action."""
    check = READINESS.get(action)
    if check is not None:
        check(situation)


def available_actions(ticket: Ticket, user: User | None) -> list[str]:
    """The API actions this user may take on this ticket now: the state allows one of the action's
    transitions, the user is its actor, and the same readiness checks the services make pass."""
    situation = Situation.load(ticket)
    allowed = []
    for action, names in ACTION_TRANSITIONS.items():
        for name in names:
            if (ticket.status or NEW) not in BY_NAME[name].sources:
                continue
            try:
                assignment = authorize(ticket, name, user, assignments=situation.assignments)
                require_ready(action, Situation(ticket, assignment, situation.assignments, situation.extensions))
            except (NotPermitted, RuleViolation):
                continue
            allowed.append(action)
            break
    return allowed


# -- the center's reading: assessment, briefings, flares, hotspot cases ---------------------------


def may_read_assessment(user: User | None) -> bool:
    """The month's ranking of every unit [AR-1]: the center's roles."""
    return _role(user) in CENTER_VIEW_ROLES


def may_rule_exemption(user: User | None, ticket: Ticket) -> bool:
    """[AR-5] Ruling a repeated demand unreasonable (not counted against its unit): the ticket's center."""
    return is_center_user(user, ticket)


def may_see_unit(user: User | None, office_id: int) -> bool:
    """A unit's drill-down: center roles for every unit, a unit's own staff (not grid workers) for their own."""
    role = _role(user)
    return role in CENTER_VIEW_ROLES or (role != Role.GRID_WORKER and getattr(user, "office_id", None) == office_id)


def may_read_briefings(user: User | None) -> bool:
    """Briefings [AN-1][AN-2]: the center's roles and the heads of units, for an office with an area."""
    office = _office(user)
    roles = CENTER_VIEW_ROLES | UNIT_HEAD_ROLES
    return office is not None and office.kind != Kind.DEPARTMENT and _role(user) in roles


def in_flare_audience(user: User | None) -> bool:
    """Flare alerts [AN-1] reach the city center, the counties and the townships."""
    office = _office(user)
    return office is not None and office.kind in FLARE_AUDIENCE


def may_answer_flares(user: User | None) -> bool:
    """The dispatchers file a flare's report (for the alerts they see)."""
    return _role(user) in CENTER_ROLES


def may_open_case(user: User | None) -> bool:
    """[SV-1][SV-3] A supervision case on a hotspot: a dispatcher of the city center or a sub-center."""
    office = _office(user)
    return office is not None and office.kind in CENTER_KINDS and _role(user) in CENTER_ROLES


# -- the call-taker's console [CT-1] --------------------------------------------------------------


def may_use_console(user: User | None) -> bool:
    """[CT-1] The console and its APIs: a call-taker, dispatcher or administrator of a center (the
    city center or a sub-center [ORG-2]); what they then see of tickets is tickets_visible_to's scope."""
    office = _office(user)
    return office is not None and office.kind in CENTER_KINDS and _role(user) in CONSOLE_ROLES


def may_see_call_board(user: User | None) -> bool:
    """The wall's call figures (waiting, answered, answer rate, agents on seat): the console's users
    and the wall's viewers of a center."""
    office = _office(user)
    return office is not None and office.kind in CENTER_KINDS and _role(user) in (CONSOLE_ROLES | {Role.CENTER_VIEWER})


def may_hand_over(user: User | None, ticket: Ticket) -> bool:
    """[CT-2] Hand a visible ticket to a linked system: the console's users of its center, of the city center
    [ORG-1], or of any center when no center holds it (an emergency refused at intake)."""
    office = _office(user) if may_use_console(user) else None
    return office is not None and (ticket.center_id in (None, office.id) or office.kind == Kind.CITY_CENTER)


# -- who files a ticket, through which channel, with which time [IN-1][IN-2] ----------------------

# The center takes requests from every public channel; a grid-level office files what it finds on
# patrol [ORG-5], in its own area only; everyone else (departments, viewers) files nothing.
CENTER_CHANNELS = frozenset(c for c in Channel.values if c != Channel.GRID_WORKER)
PATROL_CHANNELS = frozenset({Channel.GRID_WORKER})
# Channels whose requests carry the time they were first received elsewhere: a hand-over from the
# national or provincial platform, the leaders' board, the mayor's mailbox, a media column. Only for
# these may a center set `received_at`; every other ticket is received when the server takes it.
SOURCE_TIMED_CHANNELS = frozenset(
    {Channel.NATIONAL_PLATFORM, Channel.LEADERS_BOARD, Channel.MAYOR_MAILBOX, Channel.MEDIA}
)
# The center's dispatchers and its call-takers, who take the phone calls [CT-1].
INTAKE_CENTER_ROLES = CENTER_ROLES | {Role.CALL_TAKER}


def intake_channels(user: User | None) -> frozenset[str]:
    """The channels this user may file through (none without an active office)."""
    if _office(user) is None:
        return frozenset()
    role = _role(user)
    if role in INTAKE_CENTER_ROLES:
        return CENTER_CHANNELS
    if role in PATROL_ROLES:
        return PATROL_CHANNELS
    return frozenset()


def check_intake(user: User, *, channel: str, received_at, place) -> None:
    """Whether this user may file this request: through one of their channels, at the server's time
    unless the channel carries its own, and — for a grid-level office — at a place inside its own area
    (a ticket filed elsewhere would land on another unit and its deadlines). NotPermitted (403) or
    ValidationError (400) saying what is wrong."""
    from django.core.exceptions import ValidationError

    allowed = intake_channels(user)
    if not allowed:
        raise NotPermitted(_("Your role does not take requests in."), code="may_not_file")
    if channel not in allowed:
        names = "、".join(str(Channel(c).label) for c in sorted(allowed))
        raise ValidationError({"channel": [_("You may file through: %(channels)s.") % {"channels": names}]})
    if received_at is not None and channel not in SOURCE_TIMED_CHANNELS:
        raise ValidationError(
            {
                "received_at": [
                    _(
                        "Only a hand-over from another platform carries its own time of receipt; "
                        "leave it out and the server's time is used."
                    )
                ]
            }
        )
    if channel in PATROL_CHANNELS:
        office = _office(user)
        level = level_of(office)
        field = LEVEL_FIELD.get(level)
        if field is None:
            raise NotPermitted(_("Your office answers for no area to report from."), code="may_not_file")
        code = (place.codes if place is not None else {}).get(field, "")
        if code != office.area_code:
            raise ValidationError(
                {
                    "location": [
                        _("A patrol report is filed inside your own area (%(area)s): place it there.")
                        % {"area": office.name}
                    ]
                }
            )


# The center desks' actions (desks/): the transitions each may fire, offered by desk_actions.
DESK_ACTION_TRANSITIONS: dict[str, tuple[str, ...]] = {  # the order the page offers them: what waits first
    "dispatch": ("dispatch",),
    "approve-return": ("approve_return",),
    "refuse-return": ("refuse_return",),
    "approve-extension": ("approve_extension",),
    "refuse-extension": ("refuse_extension",),
    "accept-reply": ("accept_reply",),
    "send-back": ("send_back",),
    "callback": ("manual_callback",),
    "supervise": ("supervise",),
    "change-lead": ("change_lead",),
    "add-co-handlers": ("add_co_handlers",),
    "redispatch": ("redispatch",),
    "split": ("split",),
    "merge": ("merge_duplicate",),
}


def desk_actions(ticket: Ticket, user: User | None) -> list[str]:
    """The desk actions this user may take on this ticket now (same checks as available_actions)."""
    situation = Situation.load(ticket)
    allowed = []
    for action, names in DESK_ACTION_TRANSITIONS.items():
        for name in names:
            if (ticket.status or NEW) not in BY_NAME[name].sources:
                continue
            try:
                authorize(ticket, name, user, assignments=situation.assignments)
                require_ready(action, Situation(ticket, None, situation.assignments, situation.extensions))
            except (NotPermitted, RuleViolation):
                continue
            allowed.append(action)
            break
    return allowed


# -- the citizen's side (issue 16): no login; the caller proves the phone ------------------------

# What a caller may read of their own request [PUB-2]: anything but the handlers' personal data.
CALLER_RATES_FROM = ("closed", "callback_manual")  # after the center accepted the reply [CB-1]


def caller_owns(ticket: Ticket, phone: str | None) -> bool:
    """[PUB-2][IN-2] The caller whose phone (verified by a code) is the ticket's: only they follow it by phone."""
    return bool(phone) and bool(ticket.caller_phone) and ticket.caller_phone == phone


def caller_may_follow_by_number(ticket: Ticket, last4: str) -> bool:
    """[PUB-2] One request by its number and the last four digits of the caller's phone."""
    return len(last4) == 4 and last4.isdigit() and len(ticket.caller_phone) >= 4 and ticket.caller_phone[-4:] == last4


def caller_may_rate(ticket: Ticket, phone: str | None) -> bool:
    """[CB-1] The caller (phone verified by a code, not only its last four digits) rates the accepted reply."""
    return caller_owns(ticket, phone) and ticket.status in CALLER_RATES_FROM


def may_see_business_requests(user: User | None) -> bool:
    """[PUB-4] The center's dispatchers and viewers (the business-environment office reads through them)
    see the requests businesses filed, apart from the rest."""
    return _role(user) in CENTER_VIEW_ROLES


def may_verify_replies(user: User | None) -> bool:
    """[AR-5] Verifying callbacks, the monthly monitoring [CB-3]: a desk's dispatcher, on desk_tickets only."""
    return may_use_desks(user)


# -- surveys [CT-1][PUB-4] ---------------------------------------------------------------------------
# The city center runs the city's surveys: its dispatchers and administrators set them up and read the
# results; its call-takers, dispatchers and administrators (the seats that call out, 外呼) work the call
# list. Sub-centers, county dispatch centers, units and the wall's viewers have no part in them.
SURVEY_RUNNER_ROLES = frozenset({Role.CITY_DISPATCHER, Role.ADMIN})


def _at_city_center(user: User | None) -> bool:
    office = _office(user)
    return office is not None and office.kind == Kind.CITY_CENTER


def may_run_surveys(user: User | None) -> bool:
    """[CT-1] Create and edit surveys, draw their call lists, read every survey's results."""
    return _at_city_center(user) and _role(user) in SURVEY_RUNNER_ROLES


def may_work_call_lists(user: User | None) -> bool:
    """[CT-1] Ring the callers of a survey's call list and record their answers: the city center's seats."""
    return _at_city_center(user) and _role(user) in CONSOLE_ROLES


def may_open_surveys(user: User | None) -> bool:
    """[CT-1] See the surveys at all: whoever runs them or works their call lists."""
    return may_run_surveys(user) or may_work_call_lists(user)


def may_read_survey_results(user: User | None) -> bool:
    """[CT-1] A survey's results and their CSV: the city center's dispatchers and administrators."""
    return may_run_surveys(user)
