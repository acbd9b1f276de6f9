"""Texts that are recorded or sent, not shown: always written in the site's language.

A reason on an assignment, a note on an event or an SMS to a caller is read
later, by people of the city, whatever language the request that wrote it
asked for; so it is translated into settings.LANGUAGE_CODE when it is made.
Mark the English source with gettext_noop so that makemessages finds it.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext


def site_text(message: str, **params) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(message)
    return text % params if params else text
