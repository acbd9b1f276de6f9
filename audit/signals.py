"""Log-ins, failed log-ins, log-outs and lock-outs go into the audit log.

A failed attempt records the user name that was typed (never the password);
django-axes counts the failures and signals the lock-out.
"""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from core.security import client_ip

from .models import Action
from .services import record


def _addr(request) -> str | None:
    return client_ip(request) if request is not None else None


def _known_user(username: str):
    if not username:
        return None
    User = get_user_model()
    return User.objects.filter(**{User.USERNAME_FIELD: username}).select_related("office").first()


@receiver(user_logged_in, dispatch_uid="audit.login")
def logged_in(sender, request, user, **kwargs) -> None:
    record(action=Action.LOGIN, user=user, object_type="user", object_id=user.pk, remote_addr=_addr(request))


@receiver(user_logged_out, dispatch_uid="audit.logout")
def logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(action=Action.LOGOUT, user=user, object_type="user", object_id=user.pk, remote_addr=_addr(request))


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", "") or "")[:150]
    user = _known_user(username)
    record(
        action=Action.LOGIN_FAILED,
        user=user,
        username=username,
        object_type="user" if user else "",
        object_id=user.pk if user else "",
        remote_addr=_addr(request),
        details={"known_user": user is not None},
    )


@receiver(user_locked_out, dispatch_uid="audit.locked_out")
def locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    user = _known_user(username or "")
    record(
        action=Action.LOCKED_OUT,
        user=user,
        username=username or "",
        object_type="user" if user else "",
        object_id=user.pk if user else "",
        remote_addr=ip_address or _addr(request),
    )
