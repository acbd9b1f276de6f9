"""Input and output shapes of the tickets API, one module per purpose: `intake` (a new request and the
answer to it), `actions` (the workflow's inputs) and `read` (the list's query, a ticket in a list and in
detail). Inputs validate every field and name it in the 400; outputs mask the caller unless the user's
office must call back. This package re-exports them, so callers write `dispatch.serializers.IntakeSerializer`.
"""

from __future__ import annotations

from dispatch.serializers.actions import (  # noqa: F401
    CALLBACK_CHANNELS,
    AddCoHandlerSerializer,
    CallbackSerializer,
    ConfirmRefusalSerializer,
    ContactSerializer,
    DispatchSerializer,
    ExtensionRequestSerializer,
    NoteSerializer,
    ReplyInputSerializer,
    RequiredNoteSerializer,
    ReturnDecisionSerializer,
    ReturnRefusalSerializer,
    ReturnSerializer,
)
from dispatch.serializers.intake import (  # noqa: F401
    MAX_ATTACHMENT_URLS,
    PHONE_RE,
    XML_TEXT_FIELDS,
    FiniteFloatField,
    IntakeResponseSerializer,
    IntakeSerializer,
    validate_phone,
)
from dispatch.serializers.read import (  # noqa: F401
    AssignmentSerializer,
    AttachmentSerializer,
    CallerSerializer,
    ClockSerializer,
    EventSerializer,
    ExtensionSerializer,
    FlexibleDateTimeField,
    PointField,
    ReplySerializer,
    TicketDetailSerializer,
    TicketListQuerySerializer,
    TicketOfficeSerializer,
    TicketSerializer,
)
