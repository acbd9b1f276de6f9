"""The access matrix (OWASP ASVS 4.1.1, 4.2.1): every API operation and every page, for every role
(grid.models.Role, one demo user each) and an anonymous visitor, against an object of ANOTHER office —
a ticket, its file and its hotspot in 下汤镇 (鲁山县, a sub-center county none of these users belongs to).

The table is the policy, written out: 404 where even the object's existence must not leak (a ticket
outside the user's scope), 403 where the user may see it but not do this, 302 to the log-in page for a
page and 403 for the API without a session, 405 for a method the operation does not have. The routes
are enumerated from the URL resolver and the OpenAPI schema, so a new endpoint without a row here fails
`test_every_route_and_schema_operation_has_a_row`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.views import APIView

from alerts.models import SpikeAlert
from dispatch.models import Category
from grid.models import Office, Role, User
from maps.models import Hotspot
from open311.views import Open311View
from surveys.models import CallEntry, Question, Survey
from tests.dispatch.fieldwork.images import image_bytes
from tests.helpers import CHANGQING, XIATANG, label, make_ticket

pytestmark = pytest.mark.django_db

# One demo user per role (fixtures/pingdingshan/users.json); None is a visitor without a session.
ROLES: dict[str, str | None] = {
    "anonymous": None,
    Role.GRID_WORKER: "changqing_grid",
    Role.WORKSTATION_HEAD: "changqing_head",
    Role.TOWNSHIP_HANDLER: "guangminglu_handler",
    Role.COUNTY_DISPATCHER: "xinhua_dispatcher",
    Role.CITY_DISPATCHER: "city_dispatcher",
    Role.DEPARTMENT_HANDLER: "water_handler",
    Role.CENTER_VIEWER: "wall_viewer",
    Role.ADMIN: "admin",
    Role.CALL_TAKER: "city_calltaker",
}
USERS = [r for r in ROLES if r != "anonymous"]
# The city command center sees every ticket of the city [ORG-1]; the others see nothing in 下汤镇.
CITY_CENTER = {Role.CITY_DISPATCHER, Role.CENTER_VIEWER, Role.ADMIN, Role.CALL_TAKER}
# Of those, the ones who only look (the wall's viewers) and who only take calls: they see, but do not act.
LOOK_ONLY = {Role.CENTER_VIEWER: 403, Role.CALL_TAKER: 403}
# Briefings: not for grid workers or departments [AN-2]; flare lists only for the center, counties and townships.
BRIEFING_DENIED = {Role.GRID_WORKER, Role.DEPARTMENT_HANDLER, Role.CALL_TAKER}
FLARE_DENIED = {Role.GRID_WORKER, Role.WORKSTATION_HEAD, Role.DEPARTMENT_HANDLER}
CENTER_PAGES = {Role.CITY_DISPATCHER, Role.COUNTY_DISPATCHER, Role.CENTER_VIEWER, Role.ADMIN}
# The call-taker's console [CT-1]: call-takers, dispatchers and administrators of a center (the city
# center or a sub-center; 新华区's dispatcher works at a county dispatch center, not a center).
CONSOLE_USERS = {Role.CALL_TAKER, Role.CITY_DISPATCHER, Role.ADMIN}


def each(status_for_users: int, *, anonymous: int, **overrides: int) -> dict[str, int]:
    return {"anonymous": anonymous, **{r: overrides.get(r, status_for_users) for r in USERS}}


PUBLIC = each(200, anonymous=200)
PAGE = each(200, anonymous=302)  # a page for any logged-in member of an office
API = each(200, anonymous=403)  # an API for any logged-in user (its data scoped to the office)
# The other office's ticket: a 404 for everyone outside its scope, as if it did not exist.
FOREIGN_TICKET_API_READ = each(404, anonymous=403, **dict.fromkeys(CITY_CENTER, 200))
FOREIGN_TICKET_PAGE = each(404, anonymous=302, **dict.fromkeys(CITY_CENTER, 200))
# Acting on it: outside the scope a 404; inside (the city center) a 403, for the ticket's own center
# is the 鲁山 sub-center and it holds no assignment of the city center [ORG-2].
FOREIGN_TICKET_ACT = each(404, anonymous=403, **dict.fromkeys(CITY_CENTER, 403))
# The center's desks [ORG-1..3]: the dispatchers of a center (city, sub-center, county dispatch center).
DESKS = {Role.CITY_DISPATCHER, Role.COUNTY_DISPATCHER, Role.ADMIN}
DESK_PAGE = each(403, anonymous=302, **dict.fromkeys(DESKS, 200))
# The 下汤镇 ticket is the 鲁山 sub-center's: at every other center's desk it does not exist (a 404), even at the
# city center's, which sees it on the wall but does not act for 鲁山 [ORG-2].
DESK_FOREIGN = each(403, anonymous=302, **dict.fromkeys(DESKS, 404))
# [AR-5] appeals: ruled by the city center's dispatchers (a missing appeal: 404); appealed by a unit's own staff.
AR5_ROUTE, NOT_THEIRS = "assessment/<str:period>/unit/<str:office>/appeal/", each(403, anonymous=302)
APPEAL_DESK, APPEAL_404 = dict.fromkeys(CITY_CENTER & DESKS, 200), dict.fromkeys(CITY_CENTER & DESKS, 404)
# [CT-2] Hand-overs: the console's users (the city center hands any ticket of the city to 110 [ORG-1]);
# a linked system's endpoints take its token, never a session: a 401 for every user.
CONSOLE_201, CONSOLE_404 = (each(403, anonymous=403, **dict.fromkeys(CONSOLE_USERS, n)) for n in (201, 404))
CONSOLE_PAGE, TOKEN = each(403, anonymous=302, **dict.fromkeys(CONSOLE_USERS, 200)), each(401, anonymous=401)

# [CT-1] Surveys: the city center's dispatchers and administrators run them and read the results; its seats
# (call-takers too) work the call list. Sub-centers, county dispatch centers, units and the wall: 403. The
# posts carry bad input, so a user the policy lets through gets the 400 that keeps what was typed.
SURVEY_RUNNERS = {Role.CITY_DISPATCHER, Role.ADMIN}
SURVEY_AGENTS = SURVEY_RUNNERS | {Role.CALL_TAKER}
SURVEY_RUN = {n: each(403, anonymous=302, **dict.fromkeys(SURVEY_RUNNERS, n)) for n in (200, 400, 404)}
SURVEY_AGENT = {n: each(403, anonymous=302, **dict.fromkeys(SURVEY_AGENTS, n)) for n in (200, 400)}


@dataclass
class Row:
    path: str  # with {ticket}, {file}, {hotspot}, {month}, {year}, {today} filled in from the world
    expect: dict[str, int]
    body: dict = field(default_factory=dict)
    multipart: bool = False
    redirect_to_login: bool = True  # a 302 here goes to the log-in page


REPLY = {
    "facts": "经现场核实情况属实。",
    "result": "已处理完毕并回复群众。",
    "basis": "相关规定",
    "signer": "王五",
    "handler_name": "赵六",
}
ACTION_BODIES = {
    "dispatch": {"lead": "TC-410423101"},
    "confirm-refusal": {"reason": "legal_process"},
    "sign-for": {},
    "contact": {"note": "已电话联系来电人"},
    "add-co-handler": {"office": "DEPT-water"},
    "return": {"reason": "不属于本单位职责", "suggested_office": "DEPT-water"},
    "approve-return": {"note": "同意"},
    "refuse-return": {"note": "属于你单位职责"},
    "request-extension": {"days": 2, "reason": "需要协调施工队", "signed_off_by": "单位负责人"},
    "approve-extension": {"note": "同意"},
    "refuse-extension": {"note": "可在时限内办结"},
    "reply": REPLY,
    "accept-reply": {"note": "答复完整"},
    "send-back": {"note": "答复不完整"},
    "callback": {"channel": "phone", "satisfaction": "satisfied"},
}

# (route as the resolver spells it, method) → the row. Admin routes are one row (Django's admin: staff only).
MATRIX: dict[tuple[str, str], Row] = {
    ("", "GET"): Row("/", PUBLIC),
    ("admin/", "GET"): Row("/admin/dispatch/ticket/{ticket_id}/change/", each(302, anonymous=302, **{Role.ADMIN: 200})),
    ("accounts/login/", "GET"): Row("/accounts/login/", PUBLIC),
    ("accounts/logout/", "GET"): Row("/accounts/logout/", each(405, anonymous=405)),  # log-out is a POST
    ("accounts/password_change/", "GET"): Row("/accounts/password_change/", PAGE),
    ("accounts/password_change/done/", "GET"): Row("/accounts/password_change/done/", PAGE),
    ("accounts/password_reset/", "GET"): Row("/accounts/password_reset/", PUBLIC),
    ("accounts/password_reset/done/", "GET"): Row("/accounts/password_reset/done/", PUBLIC),
    ("accounts/reset/<uidb64>/<token>/", "GET"): Row("/accounts/reset/MQ/bad-token/", PUBLIC),
    ("accounts/reset/done/", "GET"): Row("/accounts/reset/done/", PUBLIC),
    ("i18n/setlang/", "POST"): Row(
        "/i18n/setlang/", each(302, anonymous=302), body={"language": "en"}, redirect_to_login=False
    ),
    ("api/schema/", "GET"): Row("/api/schema/", PUBLIC),
    ("api/docs/", "GET"): Row("/api/docs/", PUBLIC),
    ("api/grid/locate", "GET"): Row("/api/grid/locate?lon={lon}&lat={lat}", PUBLIC),
    ("api/grid/locate", "POST"): Row("/api/grid/locate", PUBLIC, body={"points": [[113.3, 33.7]]}),
    ("api/grid/areas/", "GET"): Row("/api/grid/areas/?level=county", PUBLIC),
    ("api/grid/areas/<str:code>/", "GET"): Row(f"/api/grid/areas/{XIATANG}/", PUBLIC),
    ("api/geo/geocode", "GET"): Row("/api/geo/geocode?q=平顶山市新华区光明路街道长青路12号", PUBLIC),
    ("api/geo/geocode", "POST"): Row("/api/geo/geocode", PUBLIC, body={"queries": ["平顶山市新华区长青路12号"]}),
    ("api/geo/reverse", "GET"): Row("/api/geo/reverse?lon={lon}&lat={lat}", PUBLIC),
    ("api/geo/roads/", "GET"): Row("/api/geo/roads/", PUBLIC),
    ("api/geo/places/", "GET"): Row("/api/geo/places/", PUBLIC),
    ("api/maps/summary", "GET"): Row(f"/api/maps/summary?area={XIATANG}", API),
    ("api/maps/areas", "GET"): Row(f"/api/maps/areas?parent={XIATANG[:6]}", API),
    ("api/maps/clusters", "GET"): Row("/api/maps/clusters?bbox=113.0,33.6,113.4,33.9&zoom=12", API),
    ("api/maps/hotspots", "GET"): Row(f"/api/maps/hotspots?area={XIATANG}", API),
    ("api/maps/hotspots/register", "GET"): Row("/api/maps/hotspots/register", API),
    # The other county's hotspot: the city center (its dispatchers; not a viewer) opens the case.
    ("api/maps/hotspots/register/<int:hotspot_id>/case", "POST"): Row(
        "/api/maps/hotspots/register/{hotspot}/case",
        each(404, anonymous=403, **{Role.CITY_DISPATCHER: 200, Role.ADMIN: 200, **LOOK_ONLY}),
        body={"note": "请鲁山县分中心督办"},
    ),
    ("api/tickets/", "GET"): Row("/api/tickets/", API),
    # Filing [IN-1]: the center from public channels; a grid-level office only its patrol reports in its
    # own area (so a phone ticket in 下汤镇 is a 400 naming the channel); departments and viewers file nothing.
    ("api/tickets/", "POST"): Row(
        "/api/tickets/",
        each(
            201,
            anonymous=403,
            **dict.fromkeys([Role.GRID_WORKER, Role.WORKSTATION_HEAD, Role.TOWNSHIP_HANDLER], 400),
            **dict.fromkeys([Role.DEPARTMENT_HANDLER, Role.CENTER_VIEWER], 403),
        ),
        body={
            "channel": "phone",
            "kind": "complaint",
            "category": "0101",
            "description": "下汤镇集市旁下水道堵塞",
            "lon": "{xlon}",
            "lat": "{xlat}",
            "caller_name": "张三",
            "caller_phone": "13700001111",
        },
    ),
    ("api/dispatch-queue/", "GET"): Row("/api/dispatch-queue/", API),
    ("api/tickets/<str:number>/", "GET"): Row("/api/tickets/{ticket}/", FOREIGN_TICKET_API_READ),
    # Adding a file: only a unit that works on tickets (not a viewer); the city center sees the ticket.
    ("api/tickets/<str:number>/attachments/", "POST"): Row(
        "/api/tickets/{ticket}/attachments/",
        each(404, anonymous=403, **{Role.CITY_DISPATCHER: 201, Role.ADMIN: 201, **LOOK_ONLY}),
        multipart=True,
    ),
    **{
        (f"api/tickets/<str:number>/{name}/", "POST"): Row(f"/api/tickets/{{ticket}}/{name}/", FOREIGN_TICKET_ACT, body)
        for name, body in ACTION_BODIES.items()
    },
    ("api/categories/", "GET"): Row("/api/categories/", PUBLIC),
    ("api/knowledge/", "GET"): Row("/api/knowledge/?q=停水", API),
    ("open311/v2/^discovery\\.(?P<fmt>[A-Za-z0-9]+)$", "GET"): Row("/open311/v2/discovery.json", PUBLIC),
    ("open311/v2/^services\\.(?P<fmt>[A-Za-z0-9]+)$", "GET"): Row("/open311/v2/services.json", PUBLIC),
    ("open311/v2/^services/(?P<code>[^/.]+)\\.(?P<fmt>[A-Za-z0-9]+)$", "GET"): Row(
        "/open311/v2/services/0101.json", PUBLIC
    ),
    # Open311 requests are public by design (no caller in them [IN-2]); a POST needs an API key.
    ("open311/v2/^requests\\.(?P<fmt>[A-Za-z0-9]+)$", "GET"): Row("/open311/v2/requests.json", PUBLIC),
    ("open311/v2/^requests\\.(?P<fmt>[A-Za-z0-9]+)$", "POST"): Row(
        "/open311/v2/requests.json", each(403, anonymous=403), body={"service_code": "0101"}
    ),
    ("open311/v2/^requests/(?P<request_id>[^/.]+)\\.(?P<fmt>[A-Za-z0-9]+)$", "GET"): Row(
        "/open311/v2/requests/{ticket}.json", PUBLIC
    ),
    ("open311/v2/^tokens/(?P<token>[^/.]+)\\.(?P<fmt>[A-Za-z0-9]+)$", "GET"): Row(
        "/open311/v2/tokens/{token}.json", PUBLIC
    ),
    # any other path under /open311/v2/: the spec's 404 error list, for everyone (issue 18)
    ("open311/v2/^(?P<rest>.*)$", "GET"): Row("/open311/v2/no/such/resource.json", each(404, anonymous=404)),
    ("maps/grid/", "GET"): Row("/maps/grid/", PUBLIC),
    ("maps/wall/", "GET"): Row("/maps/wall/", PAGE),
    ("maps/live/", "GET"): Row("/maps/live/", PAGE),
    ("maps/hotspots/", "GET"): Row("/maps/hotspots/", PAGE),
    # Any area's briefing map may be asked for; it shows only the tickets the user may see (tested in maps).
    ("maps/report/<str:code>/", "GET"): Row(f"/maps/report/{XIATANG}/?download=0", PAGE),
    ("assessment/public/<str:period>/", "GET"): Row("/assessment/public/{month}/", PUBLIC),
    ("assessment/<str:period>/", "GET"): Row(
        "/assessment/{month}/", each(403, anonymous=302, **dict.fromkeys(CENTER_PAGES, 200))
    ),
    ("assessment/year/<int:year>/", "GET"): Row(
        "/assessment/year/{year}/", each(403, anonymous=302, **dict.fromkeys(CENTER_PAGES, 200))
    ),
    ("assessment/<str:period>/accountability/", "GET"): Row(
        "/assessment/{month}/accountability/", each(403, anonymous=302, **dict.fromkeys(CENTER_PAGES, 200))
    ),
    # Another county's ranked unit (the 鲁山 sub-center): the center sees every unit, a unit's own staff
    # only their own, so everyone else here is refused [AR-2].
    ("assessment/<str:period>/unit/<str:office>/", "GET"): Row(
        "/assessment/{month}/unit/{unit}/", each(403, anonymous=302, **dict.fromkeys(CENTER_PAGES, 200))
    ),
    # [AR-5] Appealing that unit's deduction: only its own staff (none of these users).
    (AR5_ROUTE, "GET"): Row("/assessment/{month}/unit/{unit}/appeal/?assignment=1&metric=contact_rate", NOT_THEIRS),
    (AR5_ROUTE, "POST"): Row("/assessment/{month}/unit/{unit}/appeal/", NOT_THEIRS, body={"assignment": 1}),
    # Briefings [AN-1][AN-2]: the center and the heads of units, each for their own area; 下汤镇's
    # briefing only for the city center (the area is outside every other user's).
    ("briefings/", "GET"): Row("/briefings/", each(200, anonymous=302, **dict.fromkeys(BRIEFING_DENIED, 403))),
    ("briefings/<str:period>/", "GET"): Row(
        f"/briefings/{{month}}/?area={XIATANG}",
        each(403, anonymous=302, **dict.fromkeys(CITY_CENTER - BRIEFING_DENIED, 200)),
    ),
    ("briefings/<str:period>/chart/<str:name>.png", "GET"): Row(
        f"/briefings/{{month}}/chart/channels.png?area={XIATANG}",
        each(403, anonymous=302, **dict.fromkeys(CITY_CENTER - BRIEFING_DENIED, 200)),
    ),
    # Flare alerts [AN-1]: the 下汤镇 alert is the city center's and 鲁山's; elsewhere it does not exist.
    ("briefings/spikes/", "GET"): Row(
        "/briefings/spikes/", each(200, anonymous=302, **dict.fromkeys(FLARE_DENIED, 403))
    ),
    ("briefings/spikes/<int:alert_id>/", "POST"): Row(
        "/briefings/spikes/{spike}/",
        each(
            404,
            anonymous=302,
            **dict.fromkeys(FLARE_DENIED, 403),
            **{**dict.fromkeys(CITY_CENTER, 302), **LOOK_ONLY},
        ),
        body={"action": "acknowledge"},
        redirect_to_login=False,
    ),
    ("api/spikes/", "GET"): Row("/api/spikes/", API),
    ("api/spikes/<int:alert_id>/", "GET"): Row("/api/spikes/{spike}/", FOREIGN_TICKET_API_READ),
    # The rows run in this order on one alert: acknowledged, then reported, so a dismiss comes too late
    # (409) for those who may answer.
    **{
        (f"api/spikes/<int:alert_id>/{name}/", "POST"): Row(
            f"/api/spikes/{{spike}}/{name}/",
            each(404, anonymous=403, **{**dict.fromkeys(CITY_CENTER, answered), **LOOK_ONLY}),
            body,
        )
        for name, body, answered in (
            ("acknowledge", {}, 200),
            ("report", {"text": "下汤镇集市下水道堵塞集中反映，已派鲁山县住建局现场疏通，今日内完成。"}, 200),
            ("dismiss", {"reason": "同一处下水道的重复反映，已并案处理。"}, 409),
        )
    },
    ("desks/", "GET"): Row("/desks/", each(403, anonymous=302, **dict.fromkeys(DESKS, 302)), redirect_to_login=False),
    ("desks/dispatch/", "GET"): Row("/desks/dispatch/", DESK_PAGE),
    ("desks/rulings/", "GET"): Row("/desks/rulings/", DESK_PAGE),
    ("desks/review/", "GET"): Row("/desks/review/", DESK_PAGE),
    ("desks/callbacks/", "GET"): Row("/desks/callbacks/", DESK_PAGE),
    ("desks/supervision/", "GET"): Row("/desks/supervision/?view=written", DESK_PAGE),
    # [CB-3] drawing a sample redirects back to the desk (with a message when nothing was called back)
    ("desks/callbacks/samples/", "POST"): Row(
        "/desks/callbacks/samples/",
        each(403, anonymous=302, **dict.fromkeys(DESKS, 302)),
        body={"size": 5, "days": 30},
        redirect_to_login=False,
    ),
    ("desks/callbacks/samples/<str:code>.csv", "GET"): Row("/desks/callbacks/samples/EV-other.csv", DESK_FOREIGN),
    ("desks/callbacks/samples/<str:code>/import", "POST"): Row(
        "/desks/callbacks/samples/EV-other/import", DESK_FOREIGN
    ),
    # [AR-5] verifying callbacks: the desk's page; flagging the other center's ticket, or recording a verifying
    # callback that is not the desk's, is a 404 [CB-3] and the monthly monitoring is a desk page
    ("desks/callbacks/verify/", "GET"): Row("/desks/callbacks/verify/", DESK_PAGE),
    ("desks/callbacks/verify/cases/", "POST"): Row(
        "/desks/callbacks/verify/cases/",
        DESK_FOREIGN,
        body={"tickets": "{ticket}", "reason": "来电人称从未被联系", "sample_size": 0, "source": "person"},
    ),
    ("desks/callbacks/verify/<int:pk>/", "POST"): Row(
        "/desks/callbacks/verify/999999/", DESK_FOREIGN, body={"v999999-outcome": "confirmed"}
    ),
    ("desks/callbacks/monitoring/", "GET"): Row("/desks/callbacks/monitoring/?month={month}", DESK_PAGE),
    # [CT-1] surveys: the list, set-up (bad input: 400), the call list (a call with no outcome: 400), results
    ("surveys/", "GET"): Row("/surveys/", SURVEY_AGENT[200]),
    ("surveys/new/", "POST"): Row("/surveys/new/", SURVEY_RUN[400], body={"title": "", "kind": "public_opinion"}),
    ("surveys/<int:pk>/", "GET"): Row("/surveys/{survey}/", SURVEY_RUN[200]),
    ("surveys/<int:pk>/save/", "POST"): Row("/surveys/{survey}/save/", SURVEY_RUN[400], body={"title": ""}),
    ("surveys/<int:pk>/questions/", "POST"): Row(
        "/surveys/{survey}/questions/", SURVEY_RUN[400], body={"text": "单选题", "kind": "choice", "options": "是"}
    ),
    ("surveys/<int:pk>/questions/<int:question>/remove/", "POST"): Row(
        "/surveys/{survey}/questions/999999/remove/", SURVEY_RUN[404]
    ),
    ("surveys/<int:pk>/draw/", "POST"): Row("/surveys/{survey}/draw/", SURVEY_RUN[400], body={"size": 0}),
    ("surveys/<int:pk>/calls/", "GET"): Row("/surveys/{survey}/calls/", SURVEY_AGENT[200]),
    ("surveys/<int:pk>/calls/<int:entry>/", "POST"): Row(
        "/surveys/{survey}/calls/{entry}/", SURVEY_AGENT[400], body={}
    ),
    ("surveys/<int:pk>/results/", "GET"): Row("/surveys/{survey}/results/", SURVEY_RUN[200]),
    ("desks/supervision/<str:number>.pdf", "GET"): Row("/desks/supervision/DB2026-9999.pdf", DESK_FOREIGN),
    ("desks/t/<str:number>/", "GET"): Row("/desks/t/{ticket}/", DESK_FOREIGN),
    ("desks/t/<str:number>/<slug:action>/", "POST"): Row(
        "/desks/t/{ticket}/approve-return/", DESK_FOREIGN, body={"approve-return-note": "同意"}
    ),
    # [AR-5] appeals (city center; a missing one: 404), disputes (desk scope), the unit's own refused returns
    ("desks/appeals/", "GET"): Row("/desks/appeals/", each(403, anonymous=302, **APPEAL_DESK)),
    ("desks/appeals/<int:pk>/rule/", "POST"): Row("/desks/appeals/9/rule/", each(403, anonymous=302, **APPEAL_404)),
    ("desks/disputes/", "GET"): Row("/desks/disputes/", DESK_PAGE),
    ("desks/disputes/<int:pk>/rule/", "POST"): Row("/desks/disputes/9/rule/", DESK_FOREIGN, body={"ruling": "同意"}),
    ("desks/returns/", "GET"): Row("/desks/returns/", PAGE),
    ("desks/returns/", "POST"): Row("/desks/returns/", each(404, anonymous=302), body={"assignment": 999999999}),
    # [SV-1] the written notices sent to the user's own office (none here): any office member reads them
    ("desks/notices/", "GET"): Row("/desks/notices/", PAGE),
    # [CB-2] the SMS gateway's webhook answers only its token (none is configured here): 401 for everyone
    ("desks/sms/inbound", "POST"): Row(
        "/desks/sms/inbound", each(401, anonymous=401), body={"id": "m1", "from": "13800000000", "text": "1"}
    ),
    ("w/", "GET"): Row("/w/", PAGE),
    ("w/t/<str:number>/", "GET"): Row("/w/t/{ticket}/", FOREIGN_TICKET_PAGE),
    ("w/t/<str:number>/<slug:action>/", "POST"): Row(
        "/w/t/{ticket}/sign-for/", each(404, anonymous=302, **dict.fromkeys(CITY_CENTER, 403))
    ),
    ("w/report/", "GET"): Row("/w/report/", PAGE),
    ("w/report/where", "GET"): Row("/w/report/where?lon={lon}&lat={lat}", PAGE),
    ("w/desk/", "GET"): Row("/w/desk/", each(403, anonymous=302, **{Role.TOWNSHIP_HANDLER: 200})),
    ("w/sw.js", "GET"): Row("/w/sw.js", PUBLIC),
    ("w/manifest.webmanifest", "GET"): Row("/w/manifest.webmanifest", PUBLIC),
    ("w/offline/", "GET"): Row("/w/offline/", PUBLIC),
    ("audit/export.csv", "GET"): Row(
        "/audit/export.csv?from={today}&to={today}", each(403, anonymous=302, **{Role.ADMIN: 200})
    ),
    # The citizen's side (issue 16): no login. A request opens only to the browser that proved its phone
    # (or gave the number and the last four digits); everyone else, staff too, is sent to the follow page.
    ("m/", "GET"): Row("/m/", PUBLIC),
    ("m/code", "POST"): Row("/m/code", PUBLIC, body={"phone": "13912345678"}),
    ("m/track/", "GET"): Row("/m/track/?number={ticket}", PUBLIC),
    ("m/mine/", "GET"): Row("/m/mine/", each(302, anonymous=302), redirect_to_login=False),
    ("m/r/<str:number>/", "GET"): Row("/m/r/{ticket}/", each(302, anonymous=302), redirect_to_login=False),
    ("m/r/<str:number>/rate", "POST"): Row(
        "/m/r/{ticket}/rate", each(302, anonymous=302), body={"satisfaction": "unsatisfied"}, redirect_to_login=False
    ),
    ("m/public/", "GET"): Row("/m/public/?area=410423&month={month}", PUBLIC),
    ("m/public/map/", "GET"): Row("/m/public/map/?area=410423", PUBLIC),
    ("m/public/<str:area>/rss/", "GET"): Row("/m/public/410423/rss/", PUBLIC),
    ("api/public/cases", "GET"): Row("/api/public/cases?area=410423&month={month}", PUBLIC),
    ("m/center/business/", "GET"): Row(
        "/m/center/business/", each(403, anonymous=302, **dict.fromkeys(CENTER_PAGES, 200))
    ),
    # The other office's ticket's photo: a 404 unless the ticket is the user's to see.
    ("center/", "GET"): Row("/center/", each(403, anonymous=302, **dict.fromkeys(CONSOLE_USERS, 200))),
    ("api/intake/suggest", "POST"): Row(
        "/api/intake/suggest",
        each(403, anonymous=403, **dict.fromkeys(CONSOLE_USERS, 200)),
        body={"text": "下汤镇集市旁下水道堵塞"},
    ),
    ("api/console/caller", "GET"): Row(
        "/api/console/caller?phone=13700001111", each(403, anonymous=403, **dict.fromkeys(CONSOLE_USERS, 200))
    ),
    ("api/console/calls/", "GET"): Row(
        "/api/console/calls/", each(403, anonymous=403, **dict.fromkeys(CONSOLE_USERS, 200))
    ),
    # Another seat's call (here one that never rang anywhere) is no call of the user's: a 404.
    ("api/console/calls/<str:call_id>/draft", "GET"): Row(
        "/api/console/calls/c-elsewhere/draft", each(403, anonymous=403, **dict.fromkeys(CONSOLE_USERS, 404))
    ),
    ("api/console/calls/<str:call_id>/draft", "PUT"): Row(
        "/api/console/calls/c-elsewhere/draft",
        each(403, anonymous=403, **dict.fromkeys(CONSOLE_USERS, 404)),
        body={"draft": {"description": "下水道"}},
    ),
    **{
        (f"api/console/calls/<str:call_id>/{name}", "POST"): Row(
            f"/api/console/calls/c-elsewhere/{name}",
            each(403, anonymous=403, **dict.fromkeys(CONSOLE_USERS, 404)),
            body,
        )
        for name, body in (
            ("link", {"ticket": "{ticket}"}),
            ("transfer", {"line": "119"}),
            ("three-way", {"office": "DEPT-water"}),
        )
    },
    ("api/console/tickets", "POST"): Row(
        "/api/console/tickets",
        each(403, anonymous=403, **dict.fromkeys(CONSOLE_USERS, 201)),
        body={
            "kind": "complaint",
            "category": "0101",
            "description": "下汤镇集市旁下水道堵塞，电话反映",
            "lon": "{xlon}",
            "lat": "{xlat}",
            "caller_name": "张三",
            "caller_phone": "13700001111",
        },
    ),
    # Click-to-call needs a seat (none in this world): refused for everyone.
    ("api/console/outbound", "POST"): Row(
        "/api/console/outbound", each(403, anonymous=403), body={"ticket": "{ticket}", "target": "unit"}
    ),
    ("api/console/wall", "GET"): Row(
        "/api/console/wall", each(403, anonymous=403, **dict.fromkeys(CONSOLE_USERS | {Role.CENTER_VIEWER}, 200))
    ),
    ("api/console/leader-days/", "GET"): Row(
        "/api/console/leader-days/", each(403, anonymous=403, **dict.fromkeys(CONSOLE_USERS, 200))
    ),
    # A leader's day that does not exist (none in this world): a 404 for those who may book.
    ("api/console/leader-days/<int:leader_day_id>/bookings", "POST"): Row(
        "/api/console/leader-days/999999/bookings",
        each(403, anonymous=403, **dict.fromkeys(CONSOLE_USERS, 404)),
        body={"caller_phone": "13700001111", "topic": "小区供暖不热"},
    ),
    # The PBX's endpoint takes a telephony token, never a session: a 401 for every user [CT-1].
    ("api/cti/events", "POST"): Row(
        "/api/cti/events", each(401, anonymous=401), body={"event": "ringing", "call_id": "c-1", "extension": "8001"}
    ),
    # [CT-2] Hand-overs: the console's users (the city center hands any ticket of the city to 110 [ORG-1]);
    # a linked system's endpoints take its token, never a session (a 401 for every user).
    ("api/linkage/handovers", "POST"): Row(
        "/api/linkage/handovers", CONSOLE_201, {"ticket": "{ticket}", "line": "110"}
    ),
    ("api/linkage/handovers/<int:handover_id>/retry", "POST"): Row("/api/linkage/handovers/9/retry", CONSOLE_404),
    ("api/linkage/handovers/<str:handover_key>/reference", "POST"): Row("/api/linkage/handovers/HO-x/reference", TOKEN),
    ("api/linkage/tickets", "POST"): Row("/api/linkage/tickets", TOKEN, {"reference": "110-1"}),
    ("linkage/t/<str:number>/hand-over", "GET"): Row("/linkage/t/{ticket}/hand-over", CONSOLE_PAGE),
    ("media/<path:path>", "GET"): Row("/media/{file}", each(404, anonymous=403, **dict.fromkeys(CITY_CENTER, 200))),
}


def _routes(patterns, prefix: str = ""):
    """(route, callback) of every URL the site answers, includes flattened."""
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def site_routes() -> dict[str, object]:
    routes = {}
    for route, callback in _routes(get_resolver().url_patterns):
        routes["admin/" if route.startswith("admin/") else route] = callback
    return routes


def api_methods(callback) -> set[str]:
    """The methods of an API operation (DRF and Open311 views); empty for pages."""
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if cls is None or not issubclass(cls, (APIView, Open311View)):
        return set()
    return {m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)}


def test_every_route_and_schema_operation_has_a_row():
    routes = site_routes()
    in_matrix = {route for route, _ in MATRIX}
    assert set(routes) - in_matrix == set(), "routes without a row in the access matrix"
    assert in_matrix - set(routes) == set(), "rows for routes that no longer exist"
    for route, callback in routes.items():
        missing = {m for m in api_methods(callback) if (route, m) not in MATRIX}
        assert not missing, (route, missing)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        match = resolve(re.sub(r"\{[^}]+\}", "1", path))
        route = "admin/" if match.route.startswith("admin/") else match.route
        for method in operations:
            assert (route, method.upper()) in MATRIX, (path, method)


def test_every_role_has_a_user_in_the_matrix():
    assert set(ROLES) - {"anonymous"} == set(Role.values)
    for role, username in ROLES.items():
        if username:
            assert User.objects.get(username=username).role == role


@pytest.fixture
def world(settings, tmp_path):
    """A ticket in 下汤镇 (鲁山县) with a photo, and a hotspot of it; the month and today."""
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dispatch.services import add_attachment

    ticket = make_ticket(code=XIATANG, category="0101", description="下汤镇集市旁下水道堵塞，污水横流")
    city_dispatcher = User.objects.get(username="city_dispatcher")
    photo = add_attachment(
        ticket=ticket,
        by=city_dispatcher,
        upload=SimpleUploadedFile("drain.jpg", image_bytes("JPEG"), content_type="image/jpeg"),
    )
    lon, lat = label(XIATANG)
    now = timezone.now()
    hotspot = Hotspot.objects.create(
        category=Category.objects.get(code="0101"),
        label="下汤镇 · 下水道堵塞",
        county_code=XIATANG[:6],
        township_code=XIATANG,
        hull=Polygon.from_bbox((lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001)),
        centroid=Point(lon, lat),
        ticket_count=5,
        peak_count=5,
        ticket_ids=[ticket.id],
        first_at=now,
        last_at=now,
        window_days=7,
        detected_at=now,
        updated_at=now,
    )
    clon, clat = label(CHANGQING)
    survey = Survey.objects.create(
        title="社情民意调查",
        kind=Survey.Kind.PUBLIC_OPINION,
        opens_on=now.date(),
        closes_on=now.date(),
        office=city_dispatcher.office,
        created_by=city_dispatcher,
    )
    Question.objects.create(survey=survey, position=1, text="满意吗", kind="scale")
    entry = CallEntry.objects.create(survey=survey, ticket=ticket, position=1, county_code=XIATANG[:6])
    return {
        "survey": survey.id,
        "entry": entry.id,
        "ticket": ticket.number,
        "ticket_id": ticket.id,
        "token": str(ticket.token),
        "file": photo.file.name,
        "hotspot": hotspot.id,
        "spike": SpikeAlert.objects.create(
            category=Category.objects.get(code="0101"),
            township_code=XIATANG,
            county_code=XIATANG[:6],
            day=timezone.localdate(),
            count=9,
            first_count=9,
            baseline_mean=0.5,
            baseline_sd=0.5,
            detected_at=now,
            report_due=now + dt.timedelta(hours=2),
        ).id,
        "unit": Office.objects.get(kind=Office.Kind.SUB_CENTER, area_code=XIATANG[:6]).id,
        "month": f"{timezone.localdate():%Y-%m}",
        "year": f"{timezone.localdate():%Y}",
        "today": str(timezone.localdate()),
        "lon": f"{clon:.6f}",
        "lat": f"{clat:.6f}",
        "xlon": f"{lon:.6f}",
        "xlat": f"{lat:.6f}",
    }


def fill(value, world):
    if isinstance(value, str):
        return value.format(**world) if "{" in value else value
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, world) for v in value]
    return value


def client_for(role: str) -> Client:
    client = Client()
    if ROLES[role]:
        client.force_login(User.objects.get(username=ROLES[role]))
    return client


def ask(client: Client, method: str, row: Row, world: dict):
    path = fill(row.path, world)
    if method == "GET":
        return client.get(path)
    if method == "PUT":
        return client.put(path, fill(row.body, world), content_type="application/json")
    if row.multipart:
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post(path, {"file": SimpleUploadedFile("p.jpg", image_bytes("JPEG"), content_type="image/jpeg")})
    if path.startswith("/api/"):
        return client.post(path, fill(row.body, world), content_type="application/json")
    return client.post(path, fill(row.body, world))


@pytest.mark.parametrize("role", list(ROLES))
def test_access_matrix(role, world):
    """Every operation as this role, against the other office's objects: exactly the status the table says."""
    client = client_for(role)
    wrong = []
    for (_route, method), row in MATRIX.items():
        resp = ask(client, method, row, world)
        expected = row.expect[role]
        if resp.status_code != expected:
            wrong.append(f"{method} {fill(row.path, world)}: {resp.status_code}, expected {expected}")
        elif expected == 302 and row.redirect_to_login and "/login/" not in resp["Location"]:
            wrong.append(f"{method} {fill(row.path, world)}: redirected to {resp['Location']}, not the log-in page")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", [Role.CITY_DISPATCHER, Role.GRID_WORKER])
def test_a_method_an_operation_does_not_have_is_405(role, world):
    client = client_for(role)
    checked = 0
    for route, callback in site_routes().items():
        has = api_methods(callback)
        if not has or route == "admin/":
            continue
        row = MATRIX[(route, sorted(has)[0])]
        for method in {"PUT", "PATCH", "DELETE"} - has:
            resp = getattr(client, method.lower())(fill(row.path, world))
            assert resp.status_code == 405, (method, route, resp.status_code)
            checked += 1
    assert checked > 40


def test_the_foreign_ticket_is_a_404_with_the_same_body_as_a_number_that_does_not_exist(world):
    """A denial must not tell "exists but not yours" from "does not exist" (ASVS 4.2.1)."""
    client = client_for(Role.GRID_WORKER)
    foreign = client.get(f"/api/tickets/{world['ticket']}/")
    missing = client.get("/api/tickets/PDS-20000101-999999/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["code"] == missing.json()["code"]
    assert foreign.json()["detail"].replace(world["ticket"], "N") == missing.json()["detail"].replace(
        "PDS-20000101-999999", "N"
    )
    assert (
        client.get(f"/w/t/{world['ticket']}/").status_code == client.get("/w/t/PDS-20000101-999999/").status_code == 404
    )
