"""The citizen's side of the demo: the demo tickets that came by web, WeChat or app as if filed on /m/,
about 60 % of them public and 1 in 20 filed by a business, so that the public record, its feeds and the
center's list of businesses' requests have something to show. Safe to run again (existing rows stay)."""

from __future__ import annotations

import hashlib

from django.core.management.base import BaseCommand
from django.db import transaction

from citizen.credit_code import check_char
from citizen.models import CitizenReport
from citizen.services import phone_key
from dispatch.models import Channel, Ticket

DEMO_CHANNELS = (Channel.WEB, Channel.WECHAT, Channel.APP, Channel.H5)
BUSINESSES = ["平顶山市鹰城商贸有限公司", "平顶山市湛河区百味餐饮店", "河南平煤物流有限公司", "平顶山市新华区便民超市"]
BATCH = 5000


def _share(number: str) -> int:
    return int(hashlib.sha1(number.encode()).hexdigest()[:8], 16) % 100


class Command(BaseCommand):
    help = "Mark the demo's web/WeChat/app tickets as filed on the citizen's page (public ~60 %, business 5 %)."

    def add_arguments(self, parser):
        parser.add_argument("--if-missing", action="store_true", help="do nothing when citizen reports exist")

    def handle(self, *args, if_missing, **opts):
        if if_missing and CitizenReport.objects.exists():
            self.stdout.write("load_citizen_demo: citizen reports exist, skipped")
            return
        tickets = (
            Ticket.objects.filter(channel__in=DEMO_CHANNELS, citizen_report__isnull=True)
            .exclude(caller_phone="")
            .values_list("id", "number", "caller_phone", "received_at", "county_code", "township_code")
            .order_by("id")
        )
        made = 0
        rows, public = [], []
        for tid, number, phone, received, county, township in tickets.iterator(chunk_size=BATCH):
            share = _share(number)
            business = share % 20 == 0
            code = ""
            if business:
                first17 = f"914104{share:02d}{tid % 10**9:09d}"
                code = first17 + check_char(first17)
            rows.append(
                CitizenReport(
                    ticket_id=tid,
                    is_business=business,
                    business_name=BUSINESSES[tid % len(BUSINESSES)] if business else "",
                    credit_code=code,
                    phone_key=phone_key(phone),
                    received_at=received,
                    county_code=county,
                    township_code=township,
                )
            )
            if share < 60:
                public.append(tid)
            if len(rows) >= BATCH:
                made += self._save(rows, public)
                rows, public = [], []
        made += self._save(rows, public)
        self.stdout.write(self.style.SUCCESS(f"load_citizen_demo: {made} citizen reports"))

    @staticmethod
    def _save(rows: list[CitizenReport], public: list[int]) -> int:
        with transaction.atomic():
            made = len(CitizenReport.objects.bulk_create(rows, ignore_conflicts=True))
            Ticket.objects.filter(pk__in=public).update(is_public=True)  # the caller's choice, kept on the ticket
            return made
