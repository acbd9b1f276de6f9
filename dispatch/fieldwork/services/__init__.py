"""Writes of fieldwork: delegation inside a township, community draft replies, photos, patrol reports.

Like dispatch.services, every function takes keyword-only arguments, locks the
ticket row (SELECT … FOR UPDATE), checks who may act, and writes its event in
the same transaction. Status changes are always dispatch.services' (sign_for,
contact_caller, reply …): fieldwork calls them, it never sets a status itself.

The package holds one module per sub-domain (delegation, replies, photos, patrol) and re-exports their
public functions, so callers write `field_services.delegate`.
"""

from __future__ import annotations

from dispatch.fieldwork.services.delegation import (  # noqa: F401
    accept_delegation,
    delegate,
    hand_back,
    withdraw_delegation,
)
from dispatch.fieldwork.services.patrol import (  # noqa: F401
    PatrolReport,
    PatrolResult,
    device_time,
    patrol_key,
    report_from_patrol,
    route_preview,
    validate_patrol,
)
from dispatch.fieldwork.services.photos import add_photos, may_add_photos  # noqa: F401
from dispatch.fieldwork.services.replies import (  # noqa: F401
    FieldReply,
    approve_community_reply,
    record_contact,
    reply_from_field,
    send_back_community_reply,
)
