"""The OpenAPI schema is generated from the code, validates, and has no warnings
(a warning means a field an integrator would see typed as a bare string)."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_generates_cleanly_and_validates():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    assert '"/api/grid/locate"' in out.getvalue()
