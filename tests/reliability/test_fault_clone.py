"""The fault bench's throwaway cluster gets the reference data and no ticket data, whatever hangs off
the tickets: the tables to leave out come from the foreign keys to dispatch_ticket (bench/intake_faults.py).
With the old hand-written list, a database where someone had uploaded a photo failed: dispatch_attachment
was copied and pg_restore broke on its foreign key to the emptied ticket table."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from django.db import connection

from tests.servers import ROOT, database_url

from .fault_world import tickets_with_photos_delegations_drafts_and_flares

sys.path.insert(0, str(ROOT / "bench"))
import intake_faults  # noqa: E402

HANGING_OFF_TICKETS = {
    "public.dispatch_ticket",
    "public.dispatch_ticketevent",
    "public.dispatch_assignment",
    "public.dispatch_attachment",  # photos on the ticket
    "public.fieldwork_delegation",
    "public.fieldwork_communityreply",  # drafts
    "public.fieldwork_photo",  # references dispatch_attachment, not the ticket: found transitively
    "public.dispatch_reply",
    "public.dispatch_outboundmessage",
    "public.dispatch_extensionrequest",
}


def count(url: str, table: str) -> int:
    return intake_faults.sql(url, f"SELECT count(*) FROM {table}")[0][0]


@pytest.mark.django_db
def test_the_clone_leaves_out_every_table_hanging_off_tickets_and_keeps_the_flares(django_db_blocker, tmp_path):
    with django_db_blocker.unblock():
        connection.ensure_connection()
        source = database_url()
    with tickets_with_photos_delegations_drafts_and_flares(django_db_blocker, tmp_path / "media"):
        left_out = set(intake_faults.ticket_tables(source))
        assert HANGING_OFF_TICKETS <= left_out
        assert "public.dispatch_spikealert" not in left_out and "public.grid_user" not in left_out
        for table in ("dispatch_attachment", "fieldwork_photo", "fieldwork_delegation", "fieldwork_communityreply"):
            assert count(source, table) >= 1, table  # the source really holds what broke the old clone
        flares, users, categories = (
            count(source, t) for t in ("dispatch_spikealert", "grid_user", "dispatch_category")
        )

        workdir = Path(tempfile.mkdtemp(prefix="grid-clone-"))
        workdir.chmod(0o755)  # the cluster's owner (postgres, when run as root) must reach its socket
        cluster = intake_faults.Cluster(workdir)
        try:
            cluster.start()
            cluster.clone_reference_data(source)  # raised "pg_restore failed" with the hand-written list
            target = cluster.url
            assert {t: count(target, t) for t in sorted(left_out)} == dict.fromkeys(sorted(left_out), 0)
            assert count(target, "grid_user") == users and count(target, "dispatch_category") == categories
            assert count(target, "dispatch_spikealert") == flares  # flares reference no ticket: kept
        finally:
            cluster.remove()
            shutil.rmtree(workdir, ignore_errors=True)
