"""The accuracy floor on the hand-written evaluation set (tests/data/geocode_eval.csv)."""

from pathlib import Path

import pytest

from geo.evaluation import load_eval, score
from geo.geocoder import geocode_many

pytestmark = pytest.mark.django_db

EVAL = Path(__file__).resolve().parents[1] / "data" / "geocode_eval.csv"


def test_evaluation_set_covers_every_county_and_every_form():
    rows = load_eval(EVAL)
    assert len(rows) >= 400
    assert len({r.county for r in rows if r.county}) == 12
    assert {"plain", "complaint", "noisy", "traditional", "partial", "none"} <= {r.form for r in rows}
    assert {"intersection", "address", "place", "community", "township", "none"} <= {r.precision for r in rows}


def test_township_accuracy_is_at_least_97_percent_and_no_place_is_invented():
    rows = load_eval(EVAL)
    report = score(rows, geocode_many([r.text for r in rows]))
    misses = "\n".join(f"{text} expected {want or '-'} got {got}" for text, want, got in report.misses)
    assert report.township_accuracy >= 0.97, misses
    assert report.false_positive_rate <= 0.02, misses
    assert report.county_hits == report.county_rows, misses
