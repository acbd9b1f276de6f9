"""Writes to tickets: intake and every step of the handling workflow, one module per sub-domain.

Each workflow function locks the ticket row (SELECT … FOR UPDATE, services.common.locked), checks who
may act (dispatch.policy) and whether the state allows it (workflow.fire), changes what it must, and
writes the transition's event, all in one transaction: two people acting on one ticket at once end in
one valid state. This package re-exports the public functions, so callers write `services.sign_for`.
"""

from __future__ import annotations

from dispatch.services.attachments import (  # noqa: F401
    add_attachment,
    add_caller_photo,
    add_photo,
)
from dispatch.services.callback import (  # noqa: F401
    manual_callback_text,
    record_callback,
    record_citizen_rating,
    record_sms_answer,
)
from dispatch.services.cohandling import (  # noqa: F401
    add_co_handler,
)
from dispatch.services.coordination import (  # noqa: F401, E402
    add_co_handlers,
    change_lead,
    merge_duplicate,
    redispatch,
    split_ticket,
)
from dispatch.services.handling import (  # noqa: F401
    contact_caller,
    dispatch_manually,
    sign_for,
)
from dispatch.services.intake import (  # noqa: F401
    DEFAULT_REFERRALS,
    MIN_GEOCODE_CONFIDENCE,
    MIN_MEANINGFUL_CHARS,
    PLACEABLE_PRECISIONS,
    IntakeData,
    IntakeResult,
    Location,
    Prepared,
    apply_plan,
    emergency_line,
    geocode_address,
    geocode_addresses,
    intake_ticket,
    locate_request,
    location_of,
    prepare_ticket,
    refusal_for,
    set_place,
    start_clock,
    suggested_refusal,
    ticket_numbers,
)
from dispatch.services.referrals import (  # noqa: F401
    confirm_refusal,
)
from dispatch.services.replies import (  # noqa: F401
    MIN_FACTS_AND_RESULT,
    REPLY_FIELDS,
    accept_reply,
    callback_sms_text,
    combined_reply,
    reply,
    send_back,
    validate_reply,
)
from dispatch.services.returns import (  # noqa: F401
    approve_extension,
    approve_return,
    refuse_extension,
    refuse_return,
    request_extension,
    request_return,
)
