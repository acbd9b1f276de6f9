"""Bulk import of tickets from CSV or Excel (`manage.py import_tickets`).

The same steps as one intake, done for a batch at a time: rows validated by the
intake serializer, addresses geocoded in one call (geocode_many), points
located through the grid's in-process index, routing in memory, ticket
numbers from one sequence call, and every row inserted with bulk inserts.
A row that cannot be read goes to a rejects file with the reason, so nothing
entered is lost; a row already imported (same channel and external id) is
skipped, so running an import again adds nothing. Rows without an external id
get one made of the file's checksum and the row number.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from rest_framework.exceptions import ValidationError
from tqdm import tqdm

from core.bulk import copy_insert
from core.exports import csv_dict_writer
from dispatch.audit import record_events
from dispatch.models import Assignment, Attachment, Status, Ticket, TicketEvent
from dispatch.routing import locate_many, routing_table
from dispatch.serializers import IntakeSerializer
from dispatch.services import IntakeData, geocode_addresses, location_of, prepare_ticket, set_place, ticket_numbers

# Column names accepted in the header row, English or Chinese.
COLUMNS = {
    "channel": ("channel", "渠道", "来源"),
    "kind": ("kind", "类型", "诉求类型"),
    "nature": ("nature", "性质"),
    "urgency": ("urgency", "紧急程度"),
    "category": ("category", "分类", "诉求分类"),
    "description": ("description", "诉求内容", "内容"),
    "address": ("address", "地址", "事发地址"),
    "lon": ("lon", "经度", "longitude"),
    "lat": ("lat", "纬度", "latitude"),
    "caller_name": ("caller_name", "姓名", "来电人"),
    "caller_phone": ("caller_phone", "电话", "联系电话"),
    "caller_email": ("caller_email", "邮箱"),
    "external_id": ("external_id", "外部编号", "原工单号"),
    "received_at": ("received_at", "受理时间", "来电时间"),
}
CHANNELS = {
    "电话": "phone",
    "12345": "phone",
    "网站": "web",
    "微信": "wechat",
    "微博": "weibo",
    "网格员": "grid_worker",
}
KINDS = {
    "咨询": "consultation",
    "求助": "help",
    "投诉": "complaint",
    "举报": "report",
    "建议": "suggestion",
    "表扬": "praise",
}
URGENCIES = {"一般": "general", "紧急": "urgent", "特急": "extra_urgent"}


class ImportFileError(Exception):
    """The file cannot be read as a table of tickets."""


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    rejected: int = 0
    refused: int = 0
    queued: int = 0
    rejects: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.rows} rows: {self.imported} imported ({self.queued} to manual dispatch, {self.refused} refused "
            f"[IN-4]), {self.skipped} already present, {self.rejected} rejected"
        )


def file_checksum(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _normalize_header(header: list) -> list[str | None]:
    lookup = {alias.lower(): name for name, aliases in COLUMNS.items() for alias in aliases}
    return [lookup.get(str(h or "").strip().lower()) for h in header]


def read_table(path: Path) -> Iterator[dict]:
    """Rows of a CSV (UTF-8 or GBK) or Excel (.xlsx) file as dicts keyed by our column names."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a bad file
            raise ImportFileError(f"{path.name}: not a readable Excel file ({exc})") from exc
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = _normalize_header(list(next(rows, []) or []))
        _check_header(header, path)
        for values in rows:
            if values and any(v not in (None, "") for v in values):
                yield {h: v for h, v in zip(header, values) if h}
        wb.close()
        return
    if suffix not in (".csv", ".txt"):
        raise ImportFileError(f"{path.name}: use a .csv or .xlsx file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with open(path, encoding=encoding, newline="") as f:
                f.read(1 << 16)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise ImportFileError(f"{path.name}: the file is neither UTF-8 nor GBK text")
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        header = _normalize_header(next(reader, []))
        _check_header(header, path)
        for values in reader:
            if any(v.strip() for v in values):
                yield {h: v for h, v in zip(header, values) if h}


def _check_header(header: list[str | None], path: Path) -> None:
    missing = {"description"} - set(header)
    if missing:
        raise ImportFileError(f"{path.name}: the header row lacks the column(s) {', '.join(sorted(missing))}")


def _clean(row: dict, *, default_channel: str) -> dict:
    """Spreadsheet cells to intake fields: Chinese labels to codes, numbers and dates to text."""
    out = {}
    for k, v in row.items():
        if v is None:
            continue
        if isinstance(v, dt.datetime):
            v = (v if timezone.is_aware(v) else timezone.make_aware(v)).isoformat()
        elif isinstance(v, float) and k in ("caller_phone", "external_id") and v.is_integer():
            v = str(int(v))
        elif not isinstance(v, (int, float)):
            v = str(v).strip()
            if v == "":
                continue
        out[k] = v
    out["channel"] = CHANNELS.get(out.get("channel"), out.get("channel") or default_channel)
    out["kind"] = KINDS.get(out.get("kind"), out.get("kind") or "complaint")
    if "urgency" in out:
        out["urgency"] = URGENCIES.get(out["urgency"], out["urgency"])
    if isinstance(out.get("received_at"), str) and len(out["received_at"]) == 19 and out["received_at"][10] == " ":
        out["received_at"] = out["received_at"].replace(" ", "T")  # 2026-11-21 08:30:00, local time
    return out


def import_rows(
    rows: Iterable[dict],
    *,
    source_key: str,
    default_channel: str = "phone",
    batch_size: int = 5000,
    progress: bool = False,
    total: int | None = None,
    by=None,
) -> ImportReport:
    """Validate, place, route and insert rows in batches; see the module docstring."""
    report = ImportReport()
    batch: list[tuple[int, dict, IntakeData]] = []
    bar = tqdm(total=total, unit="row", desc="import", disable=not progress, smoothing=0.1)
    validator = IntakeSerializer()  # one instance: building a serializer's fields costs more than validating
    for number, raw in enumerate(rows, start=2):  # row 1 is the header
        report.rows += 1
        cleaned = _clean(raw, default_channel=default_channel)
        cleaned.setdefault("external_id", f"import:{source_key[:16]}:{number}")
        try:
            validated = validator.run_validation(cleaned)
        except ValidationError as exc:
            report.rejected += 1
            report.rejects.append({**{k: raw.get(k, "") for k in COLUMNS}, "row": number, "error": _errors(exc.detail)})
        else:
            batch.append((number, raw, IntakeSerializer.intake_data(validated)))
        if len(batch) >= batch_size:
            _import_batch(batch, report, by=by)
            bar.update(len(batch))
            batch = []
    if batch:
        _import_batch(batch, report, by=by)
        bar.update(len(batch))
    bar.close()
    return report


def _errors(errors: dict) -> str:
    return "; ".join(f"{k}: {' '.join(str(m) for m in v) if isinstance(v, list) else v}" for k, v in errors.items())


def _import_batch(batch: list[tuple[int, dict, IntakeData]], report: ImportReport, *, by) -> None:
    table = routing_table()
    keys = {(d.channel, d.external_id) for _n, _r, d in batch}
    present = set(Ticket.objects.filter(external_id__in={e for _c, e in keys}).values_list("channel", "external_id"))
    fresh, seen = [], set()
    for item in batch:
        key = (item[2].channel, item[2].external_id)
        if key in present or key in seen:
            report.skipped += 1
            continue
        seen.add(key)
        fresh.append(item)
    if not fresh:
        return
    datas = [d for _n, _r, d in fresh]
    to_geocode = [i for i, d in enumerate(datas) if d.lon is None and d.address]
    geocoded = dict(zip(to_geocode, geocode_addresses([datas[i].address for i in to_geocode])))
    locations = [location_of(d, geocoded.get(i)) for i, d in enumerate(datas)]
    placeable = [i for i, loc in enumerate(locations) if loc.point is not None and not loc.rough]
    places = locate_many(table, [(locations[i].point.x, locations[i].point.y) for i in placeable])
    for i, place in zip(placeable, places):
        set_place(locations[i], place)
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):  # the reasons on assignments are in the site's language
        prepared = [
            prepare_ticket(d, table=table, location=loc, now=now, by=by, fingerprint=d.fingerprint(), answer_with=None)
            for d, loc in zip(datas, locations)
        ]
    numbers = ticket_numbers([p.ticket.received_at for p in prepared])
    for p, number in zip(prepared, numbers):
        p.ticket.number = number
    tickets = [p.ticket for p in prepared]
    with transaction.atomic():
        copy_insert(Ticket, tickets)
        copy_insert(Assignment, [a for p in prepared for a in p.assignments])
        events = [e for p in prepared for e in p.events]
        copy_insert(TicketEvent, events)
        record_events(events)
        copy_insert(Attachment, [a for p in prepared for a in p.attachments])
    report.imported += len(tickets)
    report.refused += sum(t.status == Status.REFUSED for t in tickets)
    report.queued += sum(t.status == Status.PENDING_DISPATCH for t in tickets)


def write_rejects(report: ImportReport, path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv_dict_writer(f, fieldnames=["row", "error", *COLUMNS])
        writer.writeheader()
        writer.writerows(report.rejects)
