"""Lock-out without collateral (issue 18, item 6).

django-axes counts failed log-ins. It used to count by user name and by address separately, so
five mistypes behind a call center's one shared address locked every agent out for 15 minutes,
and anyone anywhere could lock any named account by typing its name five times.

Now:
- the lock is on the pair (user name, address): AXES_FAILURE_LIMIT failures (5) lock that name
  from that address only. The mistyper is locked; the 19 agents beside them are not; the owner
  at another address is not (an attacker elsewhere cannot lock a named account);
- an address as a whole is locked only at a much higher count, AXES_ADDRESS_FAILURE_LIMIT (100)
  failures under any names within the cool-off (AXES_COOLOFF_TIME, 15 minutes): password
  spraying from one address is still stopped;
- an administrator lifts a lock at once (the "Lift log-in locks" action on users in admin, or
  `manage.py unlock_login NAME [--address IP]`), recorded in the audit log.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Q, Sum


def address_failures(ip_address: str | None, request=None) -> int:
    """Failed log-ins from one address, under any name, within the cool-off."""
    if not ip_address:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def address_locked(ip_address: str | None, request=None) -> bool:
    return address_failures(ip_address, request) >= settings.AXES_ADDRESS_FAILURE_LIMIT


class NameAndAddressHandler(AxesDatabaseHandler):
    """axes' database handler, with AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]] for the
    pair, plus the address's own, higher limit."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return address_locked(getattr(request, "axes_ip_address", None), request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if address_locked(request.axes_ip_address, request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=(credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD),
                ip_address=request.axes_ip_address,
            )


def unlock(*, username: str = "", address: str = "", by=None) -> int:
    """Lift the locks on a user name (from every address) and/or on an address; audited."""
    from .models import Action
    from .services import record

    if not (username or address):
        raise ValueError("name a user or an address to unlock")
    which = Q(pk__in=[])
    if username:
        which |= Q(username=username)
    if address:
        which |= Q(ip_address=address)
    lifted, _ = AccessAttempt.objects.filter(which).delete()
    record(
        action=Action.UNLOCKED,
        user=by,
        username="" if by is not None else "manage.py",
        object_type="user" if username else "",
        object_id=username,
        details={"username": username, "address": address, "attempt_rows": lifted},
    )
    return lifted
