"""Helpers for the workstation pages: demo users, tickets made through intake, photos kept in a temporary folder."""

import re

import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def numbers(response) -> list[str]:
    """Ticket numbers of a queue page, in the order shown."""
    return re.findall(r'class="qnum">([^<]+)<', response.content.decode())


def text(response) -> str:
    return response.content.decode()
