"""Fast inserts for imports and the demo history: PostgreSQL COPY instead of INSERT.

A 10,000-row INSERT … VALUES with 40 columns spends most of its time building
and sending 400,000 parameters; COPY streams the rows. Ids are taken from the
table's sequence first, so that children can point at their parents.
"""

from __future__ import annotations

import json
from operator import attrgetter

from django.contrib.gis.db.models import GeometryField
from django.db import connection
from django.db.models import Model


def allocate_ids(model: type[Model], n: int) -> list[int]:
    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, n],
        )
        return [r[0] for r in cur.fetchall()]


def _is_plain(field) -> bool:
    """A field whose Python value psycopg writes as it is."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return False
    return field.is_relation or field.get_internal_type() in _PLAIN


def _converter(field):
    """A function from an object to the value COPY writes for a field that needs converting."""
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: field.pre_save(obj, add=True)
    if field.get_internal_type() == "JSONField":
        return lambda obj: json.dumps(getattr(obj, attname), ensure_ascii=False, default=str)
    if isinstance(field, GeometryField):

        def geometry(obj):
            value = getattr(obj, attname)
            if value is None:
                return None
            if value.geom_typeid == 0:  # a point: EWKT without a round trip through GEOS's writer
                return f"SRID={value.srid};POINT({value.x!r} {value.y!r})"
            hexewkb = value.hexewkb
            return hexewkb.decode() if isinstance(hexewkb, bytes) else hexewkb

        return geometry
    return lambda obj: field.get_db_prep_save(getattr(obj, attname), connection)


# Types whose Python value psycopg writes as it is.
_PLAIN = {
    "CharField",
    "TextField",
    "BooleanField",
    "IntegerField",
    "BigIntegerField",
    "BigAutoField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "FloatField",
    "DateTimeField",
    "UUIDField",
}


def copy_insert(model: type[Model], objs: list[Model]) -> None:
    """Insert objects with COPY; objects without an id get one from the sequence."""
    if not objs:
        return
    missing = [o for o in objs if o.pk is None]
    for obj, pk in zip(missing, allocate_ids(model, len(missing))):
        obj.pk = pk
    fields = list(model._meta.concrete_fields)
    plain = [f for f in fields if _is_plain(f)]
    special = [f for f in fields if not _is_plain(f)]
    # the plain columns in one C-level call per row, then the few that need converting
    read_plain = attrgetter(*(f.attname for f in plain))
    converters = [_converter(f) for f in special]
    relations = [f for f in fields if f.is_relation]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in (*plain, *special))
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
        for obj in objs:
            for f in relations:  # a parent given an id after the child was built
                if getattr(obj, f.attname) is None and f.is_cached(obj):
                    related = f.get_cached_value(obj)
                    if related is not None:
                        setattr(obj, f.attname, related.pk)
            row = read_plain(obj)
            copy.write_row((*row, *(convert(obj) for convert in converters)) if converters else row)


def delete_tickets(*, external_prefix: str) -> int:
    """Delete the tickets whose external id starts with a prefix (demo and bench data) and every row
    hanging on them, set-based (the ORM's cascade would read them all first)."""
    if not external_prefix:
        raise ValueError("an empty prefix would delete every imported ticket")
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM dispatch_ticket WHERE starts_with(external_id, %s)", [external_prefix])
        ids = [r[0] for r in cur.fetchall()]
        if not ids:
            return 0
        cur.execute("UPDATE dispatch_ticket SET repeat_of_id = NULL WHERE repeat_of_id = ANY(%s)", [ids])
        cur.execute("UPDATE dispatch_inboundmessage SET ticket_id = NULL WHERE ticket_id = ANY(%s)", [ids])
        cur.execute("UPDATE dispatch_additionalcaller SET from_ticket_id = NULL WHERE from_ticket_id = ANY(%s)", [ids])
        # the center desks' rows on these tickets (desks app: supervision notices, evaluation samples)
        cur.execute("DELETE FROM desks_supervision WHERE ticket_id = ANY(%s)", [ids])
        cur.execute("DELETE FROM desks_evaluationitem WHERE ticket_id = ANY(%s)", [ids])
        for table in (
            "dispatch_ticketevent",
            "dispatch_reply",
            "dispatch_extensionrequest",
            "dispatch_outboundmessage",
            "dispatch_attachment",
            "dispatch_handlinground",
            "dispatch_emergencytransfer",
            "assessment_exemption",
            "dispatch_callercontact",
            "dispatch_additionalcaller",
            "dispatch_assignment",
        ):
            cur.execute(f"DELETE FROM {table} WHERE ticket_id = ANY(%s)", [ids])
        cur.execute("DELETE FROM dispatch_ticket WHERE id = ANY(%s)", [ids])
    return len(ids)
