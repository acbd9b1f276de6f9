"""Reading the audit log: one filter for the admin's export, the CSV view and
`manage.py export_audit`, and the CSV rows themselves."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.exports import csv_writer

from .models import AuditEntry

COLUMNS = [
    "id",
    "at",
    "user_id",
    "username",
    "office_code",
    "action",
    "object_type",
    "object_id",
    "ticket_number",
    "remote_addr",
    "details",
]


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of a day in the site's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def entries(
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    action: str = "",
    username: str = "",
    office: str = "",
    ticket: str = "",
) -> QuerySet[AuditEntry]:
    """Rows from the start of `start` to the end of `end` (both days included, site time), oldest first.

    `action` matches a whole action (`auth.login`) or a family by its prefix (`ticket.`, `auth`).
    """
    qs = AuditEntry.objects.all()
    if start:
        qs = qs.filter(at__gte=day_start(start))
    if end:
        qs = qs.filter(at__lt=day_start(end + dt.timedelta(days=1)))
    if action:
        family = action if action.endswith(".") else f"{action}."
        qs = qs.filter(Q(action=action) | Q(action__startswith=family))
    if username:
        qs = qs.filter(username=username)
    if office:
        qs = qs.filter(office_code=office)
    if ticket:
        qs = qs.filter(ticket_number=ticket)
    return qs.order_by("at", "id")


class _Echo:
    """A file-like object whose write() hands back the line (for streaming CSV)."""

    def write(self, value: str) -> str:
        return value


_writer = csv_writer(_Echo())
HEADER = "\ufeff" + _writer.writerow(COLUMNS)  # BOM: Excel opens the Chinese text as UTF-8


def csv_batch(qs: QuerySet[AuditEntry], *, after: tuple | None, size: int) -> tuple[str, tuple | None]:
    """The CSV lines of the next `size` rows after the key (at, id), and the key to go on from (None at the end).

    Keyset pagination instead of one long cursor: each batch is a short query of its own,
    so a stream can fetch it from any thread (an ASGI response fetches each in a worker thread).
    """
    if after is not None:
        qs = qs.filter(Q(at__gt=after[0]) | Q(at=after[0], id__gt=after[1]))
    rows = list(qs.order_by("at", "id").values_list(*COLUMNS)[:size])
    lines = []
    for row in rows:
        values = list(row)
        values[1] = timezone.localtime(values[1]).isoformat(timespec="seconds")
        values[-1] = json.dumps(values[-1], ensure_ascii=False, sort_keys=True, default=str)
        lines.append(_writer.writerow(["" if v is None else v for v in values]))
    key = (rows[-1][1], rows[-1][0]) if len(rows) == size else None
    return "".join(lines), key


def csv_lines(qs: QuerySet[AuditEntry], *, batch: int = 2000) -> Iterator[str]:
    """The header, then the rows in batches (constant memory, however long the period)."""
    yield HEADER
    key: tuple | None = ()
    while key is not None:
        text, key = csv_batch(qs, after=key or None, size=batch)
        if text:
            yield text


async def acsv_lines(qs: QuerySet[AuditEntry], *, batch: int = 2000) -> AsyncIterator[str]:
    """csv_lines for an ASGI response: each batch is read in a worker thread."""
    from asgiref.sync import sync_to_async

    yield HEADER
    key: tuple | None = ()
    while key is not None:
        text, key = await sync_to_async(csv_batch)(qs, after=key or None, size=batch)
        if text:
            yield text
