"""Domain errors of ticket handling; core.api maps them to HTTP answers once."""

from core.api import DomainError, Forbidden, NotFound, Unprocessable


class TransitionNotAllowed(DomainError):
    """The ticket's state forbids this action (409)."""

    code = "state_forbids"


class RuleViolation(DomainError):
    """A workflow rule refuses the action: window passed, one extension per step … (409)."""

    code = "rule_violation"


class NotPermitted(Forbidden):
    """The user may see the ticket but not do this (403)."""


class TicketNotFound(NotFound):
    """No such ticket, or not one the user may see (404): a denial looks like absence."""


class IntakeRefused(Unprocessable):
    """[IN-4]: not accepted, with the reason and the referral (422)."""

    code = "refused"


class IdempotencyConflict(DomainError):
    """The same idempotency key came with a different request (409)."""

    code = "idempotency_key_reused"
