"""One place where domain errors become HTTP answers a person can act on."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(Exception):
    """Base for business-rule refusals; subclasses set the HTTP status.

    `code` is a stable machine-readable name (the message is translated).
    """

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"

    def __init__(self, message: str, *, code: str | None = None, **extra):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"


class Unprocessable(DomainError):
    """Well-formed input that the rules do not accept."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "unprocessable"


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message, "code": exc.code, **exc.extra}, status=exc.status_code)
    refused = _request_refused(exc)
    if refused is not None:
        return refused
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    return drf_exception_handler(exc, context)


# Request bodies Django refuses before DRF reads them (settings.DATA_UPLOAD_MAX_*): a 4xx with a message.
def _request_refused(exc) -> Response | None:
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent

    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": _("The request body is too large."), "code": "too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response(
            {"detail": _("The request has too many fields or files."), "code": "too_many_fields"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return None


# URLs under these prefixes are API: their 400 and 404 answers are JSON even when Django, not a
# view, gives them (a path no route matches, a request Django refuses before any view runs).
API_PREFIXES = ("/api/", "/media/")


def _json_or(default, request, exception, *, status_code: int, detail: str, code: str):
    from core.errors import formatted_error  # an app's own error format (Open311) where it registered one

    formatted = formatted_error(request, status_code, detail, code)
    if formatted is not None:
        return formatted
    if request.path.startswith(API_PREFIXES):
        return JsonResponse({"detail": detail, "code": code}, status=status_code)
    return default(request, exception)


def not_found(request, exception=None):
    """handler404: JSON for the API, Django's page elsewhere."""
    return _json_or(
        defaults.page_not_found, request, exception, status_code=404, detail=_("No such address."), code="not_found"
    )


def bad_request(request, exception=None):
    """handler400: JSON for the API, Django's page elsewhere."""
    refused = _request_refused(exception)
    if refused is not None:
        from core.errors import formatted_error

        formatted = formatted_error(request, refused.status_code, refused.data["detail"], refused.data["code"])
        if formatted is not None:
            return formatted
    if refused is not None and request.path.startswith(API_PREFIXES):
        return JsonResponse(refused.data, status=refused.status_code)
    return _json_or(
        defaults.bad_request,
        request,
        exception,
        status_code=400,
        detail=_("The request is malformed."),
        code="bad_request",
    )
