"""The fixtures pass the topology thresholds of `manage.py check_grid`."""

import pytest
from django.core.management import call_command

from grid.topology import check_grid

pytestmark = pytest.mark.django_db


def test_every_level_of_the_fixtures_is_clean():
    reports = {r.level: r for r in check_grid()}
    assert set(reports) == {"city", "county", "township", "community"}
    for level, r in reports.items():
        assert not r.invalid, (level, r.invalid)
        assert not r.orphans, (level, r.orphans)
        assert r.inside_ratio >= 0.999, (level, r.inside_ratio, r.worst_inside)
        assert r.overlap_ratio <= 0.001, (level, r.overlap_ratio)
        assert r.cover_ratio >= 0.999, (level, r.cover_ratio, r.worst_cover)


def test_check_grid_command_prints_a_line_per_level(capsys):
    call_command("check_grid")
    out = capsys.readouterr().out
    for level in ("city", "county", "township", "community"):
        assert level in out
    assert "FAIL" not in out
