"""Admin for tickets and the reference tables the command center edits: categories and
routing rules (the routing table), SLA policies, refusal rules, the knowledge base, Open311
keys. Tickets, their events and the outbound messages are read-only here: they change only
through the workflow (dispatch.services), so that every change is an event."""

from contextvars import ContextVar

from django.contrib import admin, messages
from django.contrib.gis import admin as gis_admin
from django.utils.translation import gettext_lazy as _

from dispatch.models import (
    Assignment,
    CalendarDay,
    Category,
    ExtensionRequest,
    KnowledgeArticle,
    OutboundMessage,
    RefusalRule,
    Reply,
    RoutingRule,
    SlaPolicy,
    Ticket,
    TicketEvent,
)

from .selectors import caller_for, mask_phone

# The user of the admin request being rendered: display functions receive only the object,
# and the caller may be shown only to the office that calls back [IN-2].
_viewer: ContextVar = ContextVar("dispatch_admin_viewer", default=None)


class ViewerMixin:
    def changelist_view(self, request, extra_context=None):
        _viewer.set(request.user)
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        _viewer.set(request.user)
        return super().changeform_view(request, object_id, form_url, extra_context)


class LeafInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    fields = ["code", "name", "default_department", "lead", "community_can_settle", "township_co_handles", "is_active"]
    raw_id_fields = ["default_department"]
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "__str__",
        "default_department",
        "lead",
        "community_can_settle",
        "township_co_handles",
        "major_livelihood",
        "is_active",
    ]
    list_editable = ["lead", "community_can_settle", "township_co_handles", "is_active"]
    list_filter = ["parent", "lead", "community_can_settle", "township_co_handles", "is_active"]
    search_fields = ["code", "name", "keywords"]
    raw_id_fields = ["default_department", "parent"]
    list_select_related = ["parent", "default_department"]

    def get_inlines(self, request, obj):
        return [LeafInline] if obj is not None and obj.parent_id is None else []


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "category",
        "area_code",
        "central",
        "lead",
        "office",
        "place_level",
        "priority",
        "is_active",
    ]
    list_editable = ["priority", "is_active"]
    list_filter = ["lead", "central", "is_active"]
    search_fields = ["name", "area_code", "note"]
    raw_id_fields = ["category", "office"]
    filter_horizontal = ["co_handlers"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The center's working-day calendar [SLA-5]: next year's holidays before the package has them."""

    list_display = ["day", "name", "is_working", "source"]
    list_filter = ["is_working"]
    date_hierarchy = "day"
    search_fields = ["name", "source"]

    def changelist_view(self, request, extra_context=None):
        from .sla import check_calendar

        for warning in check_calendar(databases=["default"]):
            messages.warning(request, f"{warning.msg} {warning.hint}")
        return super().changelist_view(request, extra_context)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "urgency",
        "kind",
        "sign_for",
        "sign_for_unit",
        "reply",
        "reply_unit",
        "resolve",
        "resolve_unit",
        "is_active",
    ]
    list_filter = ["urgency", "is_active"]
    actions = ["make_active"]

    @admin.action(description=_("Put the selected policy in force for its urgency and kind [SLA-1][SLA-2]"))
    def make_active(self, request, queryset):
        from .sla import activate_policy

        chosen = list(queryset)
        if len({(p.urgency, p.kind) for p in chosen}) != len(chosen):
            self.message_user(request, _("Choose one policy per urgency and kind."), level="error")
            return
        for policy in chosen:
            activate_policy(policy=policy)
        self.message_user(request, _("%(n)d policies put in force.") % {"n": len(chosen)})


@admin.register(RefusalRule)
class RefusalRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "reason", "referral", "is_active"]
    list_filter = ["reason", "is_active"]
    search_fields = ["keywords", "referral"]


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ["question", "category", "uses", "is_active", "updated_at"]
    list_filter = ["is_active", "category__parent"]
    search_fields = ["question", "answer", "keywords"]
    raw_id_fields = ["category"]
    readonly_fields = ["uses", "updated_at"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = ["office", "role", "step", "state", "is_active", "why", "assigned_at", "signed_at", "replied_at"]


class ReplyInline(ReadOnlyInline):
    model = Reply
    fields = ["office", "role", "step", "facts", "result", "basis", "signer", "handler_name", "replied_at", "review"]


class ExtensionInline(ReadOnlyInline):
    model = ExtensionRequest
    fields = ["step", "days", "reason", "signed_off_by", "state", "requested_at", "decided_at", "deadline_after"]


class EventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "actor_office", "note"]
    ordering = ["at", "id"]


@admin.register(Ticket)
class TicketAdmin(ViewerMixin, gis_admin.GISModelAdmin):
    """Read-only: a ticket changes through the workflow only, so that every change is an event."""

    list_display = [
        "number",
        "status",
        "category",
        "urgency",
        "channel",
        "place_names",
        "received_at",
        "resolve_by",
        "supervision_level",
    ]
    list_filter = ["status", "urgency", "channel", "kind", "is_central", "supervision_level", "category__parent"]
    search_fields = ["number", "external_id", "description", "address", "place_names"]
    date_hierarchy = "received_at"
    list_select_related = ["category__parent"]
    inlines = [AssignmentInline, ReplyInline, ExtensionInline, EventInline]
    exclude = ["caller_name", "caller_phone", "caller_email", "idempotency_key", "request_fingerprint"]
    readonly_fields = ["caller"]

    @admin.display(description=_("caller"))
    def caller(self, obj) -> str:
        shown = caller_for(_viewer.get(), obj)
        return f"{shown['name']} {shown['phone']}"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ViewerMixin, admin.ModelAdmin):
    """The default gateway's record of SMS, calls and notices: the people who make the calls work from it."""

    list_display = ["created_at", "medium", "purpose", "ticket", "to_office", "masked_number", "status", "gateway"]
    list_filter = ["medium", "purpose", "status", "gateway"]
    search_fields = ["ticket__number", "text"]
    raw_id_fields = ["ticket", "to_office"]
    list_select_related = ["ticket", "to_office"]
    exclude = ["to_number"]
    readonly_fields = ["masked_number"]

    @admin.display(description=_("number"))
    def masked_number(self, obj) -> str:
        if obj.ticket_id and obj.to_number == obj.ticket.caller_phone:  # the caller [IN-2]
            return caller_for(_viewer.get(), obj.ticket)["phone"]
        return obj.to_number if obj.to_office_id else mask_phone(obj.to_number)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
