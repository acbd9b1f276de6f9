"""Console fixtures: the demo seats (8001 city_calltaker, 8002 city_calltaker2, 8009 city_leader,
8101 ruzhou_calltaker), a PBX token, and a classifier version trained once for the module."""

from __future__ import annotations

import pytest

from classify import services as classify_services
from classify.models import ClassifierVersion
from console.demo import ensure_demo_console
from console.models import CtiToken


@pytest.fixture
def seats(db):
    return ensure_demo_console()


@pytest.fixture
def pbx_token(db) -> str:
    return CtiToken.issue("test PBX")[1]


@pytest.fixture(scope="package")
def trained(django_db_setup, django_db_blocker):
    """A classifier version for the package's tests (training takes seconds), removed afterwards."""
    with django_db_blocker.unblock():
        classify_services.forget_model()
        version = classify_services.train_classifier(use_tickets=False)
    yield version
    with django_db_blocker.unblock():
        ClassifierVersion.objects.all().delete()
        classify_services.forget_model()
