"""Pages' forms and the services behind them."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from core.api import DomainError


def apply_service_error(form, error: Exception) -> int:
    """Put a service's refusal next to the form's fields (a field the form lacks goes to its general
    errors); the HTTP status that goes with it: 400 for invalid input, the refusal's own otherwise."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for field, msgs in error.message_dict.items():
                form.add_error(field if field in form.fields else None, msgs)
        else:
            form.add_error(None, error.messages)
        return 400
    if isinstance(error, DomainError):
        form.add_error(None, error.message)
        return error.status_code
    raise error
