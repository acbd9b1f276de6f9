"""Writing the audit log: one function for one row, one for many, and a request
scope that supplies the client's address and batches the rows a page writes.

A request sets the scope (audit.middleware); rows recorded with `later=True`
inside it (a list showing 50 unmasked callers) are inserted together when the
response is ready, in one statement, before it leaves. Outside a request
(management commands, the supervisor) rows are written at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.utils import timezone

from .models import AuditEntry


@dataclass
class RequestScope:
    remote_addr: str | None = None
    path: str = ""
    method: str = ""
    pending: list[AuditEntry] = field(default_factory=list)


_scope: ContextVar[RequestScope | None] = ContextVar("audit_request_scope", default=None)


@contextmanager
def request_scope(*, remote_addr: str | None, path: str = "", method: str = ""):
    """Audit rows written inside carry this address; deferred rows are flushed at the end."""
    scope = RequestScope(remote_addr=remote_addr, path=path[:300], method=method)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        try:
            flush(scope)
        finally:
            _scope.reset(token)


def entry(
    *,
    action: str,
    user=None,
    username: str = "",
    office=None,
    object_type: str = "",
    object_id: str | int = "",
    ticket_number: str = "",
    details: dict | None = None,
    remote_addr: str | None = None,
    at=None,
) -> AuditEntry:
    """An unsaved row; the user's office is taken when no office is given."""
    scope = _scope.get()
    if user is not None and not getattr(user, "pk", None):
        user = None  # AnonymousUser
    if office is None and user is not None:
        office = getattr(user, "office", None)
    details = dict(details or {})
    if scope is not None and scope.path and "path" not in details:
        details["path"] = scope.path
    return AuditEntry(
        at=at or timezone.now(),
        user_id=user.pk if user is not None else None,
        username=(user.get_username() if user is not None else username)[:150],
        office_id=getattr(office, "pk", None),
        office_code=(getattr(office, "code", "") or "")[:40],
        action=action[:48],
        object_type=object_type[:32],
        object_id=str(object_id)[:64],
        ticket_number=ticket_number[:32],
        details=details,
        remote_addr=remote_addr if remote_addr is not None else (scope.remote_addr if scope else None),
    )


def record(*, later: bool = False, **fields) -> AuditEntry:
    """Write one audit row now, or with later=True at the end of the current request."""
    row = entry(**fields)
    scope = _scope.get()
    if later and scope is not None:
        scope.pending.append(row)
        return row
    row.save()
    return row


def record_many(rows: Iterable[AuditEntry]) -> list[AuditEntry]:
    rows = list(rows)
    if rows:
        AuditEntry.objects.bulk_create(rows)
    return rows


def flush(scope: RequestScope | None = None) -> int:
    scope = scope or _scope.get()
    if scope is None or not scope.pending:
        return 0
    rows, scope.pending = scope.pending, []
    record_many(rows)
    return len(rows)
