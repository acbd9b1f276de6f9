"""Tickets' events and the audit log partitioned by month (PostgreSQL declarative partitioning),
so that old months can be detached and archived (manage.py archive_history).

The Django models do not change: `id` stays their primary key (ids come from one sequence, so
they stay unique); in the database the primary key is (id, at), as a partitioned table needs the
partition key in it — and on Citus it becomes (city_code, id, at) (docs/DEPLOYMENT.md). Nothing
references these tables by foreign key. Indexes, foreign keys and triggers (the audit log's
append-only trigger) are recreated on the partitioned parent, from which PostgreSQL clones them
to every partition, present and future.
"""

from django.conf import settings
from django.db import migrations

TABLES = ("dispatch_ticketevent", "audit_auditentry")

FUNCTIONS = r"""
-- Partitions of the months in `months`, and from last month to `ahead` months ahead; rows waiting
-- in the default partition are moved into theirs (the default is detached, split, emptied and
-- attached again in one transaction, under the parent's lock). Returns how many were made.
CREATE FUNCTION history_ensure_partitions(tbl text, ahead int, tz text, months date[] DEFAULT '{}')
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    def text := tbl || '_default';
    waiting boolean;
    m date;
    made int := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('history:' || tbl));
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', def) INTO waiting;
    IF waiting THEN
        EXECUTE format('SELECT array_agg(DISTINCT date_trunc(''month'', at AT TIME ZONE %L)::date) FROM %I', tz, def)
            INTO months;
        EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', tbl, def);
    END IF;
    months := months || ARRAY(
        SELECT (date_trunc('month', now() AT TIME ZONE tz) + make_interval(months => i))::date
        FROM generate_series(-1, ahead) i);
    FOREACH m IN ARRAY months LOOP
        IF to_regclass(format('%I', tbl || '_p' || to_char(m, 'YYYYMM'))) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                           tbl || '_p' || to_char(m, 'YYYYMM'), tbl,
                           m::timestamp AT TIME ZONE tz, (m + interval '1 month')::timestamp AT TIME ZONE tz);
            made := made + 1;
        END IF;
    END LOOP;
    IF waiting THEN
        EXECUTE format('INSERT INTO %I SELECT * FROM %I', tbl, def);
        EXECUTE format('DELETE FROM %I', def);  -- detached: no cloned append-only trigger on it now
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I DEFAULT', tbl, def);
    END IF;
    RETURN made;
END $$;

-- Turn a plain table with a timestamptz column `at` into one partitioned by month: same columns,
-- defaults, identity, indexes, foreign keys and triggers; primary key (id, at); rows copied.
CREATE FUNCTION history_partition_by_month(tbl text, tz text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old text := tbl || '_unpartitioned';
    r record;
    defs text[] := '{}';
    d text;
    months date[];
BEGIN
    EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, old);
    FOR r IN SELECT c.relname, pg_get_indexdef(i.indexrelid) AS def, i.indisprimary
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = old::regclass LOOP
        IF NOT r.indisprimary THEN
            defs := defs || replace(r.def, format(' ON public.%s ', old), format(' ON public.%s ', tbl));
        END IF;
        EXECUTE format('ALTER INDEX %I RENAME TO %I', r.relname, left(r.relname, 55) || '_unp');
    END LOOP;
    FOR r IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
             WHERE conrelid = old::regclass AND contype = 'f' LOOP
        defs := defs || format('ALTER TABLE %I ADD CONSTRAINT %I %s', tbl, r.conname, r.def);
    END LOOP;
    FOR r IN SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgrelid = old::regclass AND NOT tgisinternal LOOP
        defs := defs || replace(r.def, format(' ON public.%s ', old), format(' ON public.%s ', tbl));
    END LOOP;
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY '
                   'INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (at)', tbl, old);
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (id, at)', tbl, tbl || '_pkey');
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', tbl || '_default', tbl);
    EXECUTE format('SELECT coalesce(array_agg(DISTINCT date_trunc(''month'', at AT TIME ZONE %L)::date), ''{}'') FROM %I',
                   tz, old) INTO months;
    PERFORM history_ensure_partitions(tbl, 2, tz, months);
    EXECUTE format('INSERT INTO %I SELECT * FROM %I', tbl, old);
    EXECUTE format('SELECT setval(%L, greatest((SELECT max(id) FROM %I), 1), (SELECT count(*) > 0 FROM %I))',
                   pg_get_serial_sequence(tbl, 'id'), old, old);
    EXECUTE format('DROP TABLE %I', old);
    EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', pg_get_serial_sequence(tbl, 'id'), tbl || '_id_seq');
    FOREACH d IN ARRAY defs LOOP
        EXECUTE d;
    END LOOP;
END $$;
"""


def forwards(apps, schema_editor):
    for table in TABLES:
        schema_editor.execute("SELECT history_partition_by_month(%s, %s)", [table, settings.TIME_ZONE])


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("dispatch", "0012_channel_h5"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(FUNCTIONS, "DROP FUNCTION history_ensure_partitions; DROP FUNCTION history_partition_by_month;"),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
