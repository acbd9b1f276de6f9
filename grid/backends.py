"""The project's model backend: a session's user comes with their office.

Every request by a signed-in user asks the access policy (dispatch.policy), which reads
request.user.office; with Django's ModelBackend that was a second query on every request.
Here the user and the office are one query (issue 17, item 8: intake's CPU per ticket).
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from .models import User


class ModelBackendWithOffice(ModelBackend):
    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("office").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
