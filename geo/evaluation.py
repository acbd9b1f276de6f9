"""Scoring the geocoder against a labelled set (tests/data/geocode_eval.csv):
shared by the accuracy test and bench/geocode.py."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .geocoder import GeocodeResult

# Texts that name a township, community, crossing, house number or place.
PLACED = ("intersection", "address", "place", "community", "township")


@dataclass
class EvalRow:
    text: str
    township: str
    county: str
    precision: str
    form: str


@dataclass
class EvalReport:
    placed: int = 0
    placed_hits: int = 0
    empty: int = 0
    false_positives: int = 0
    county_rows: int = 0
    county_hits: int = 0
    by_precision: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_form: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    misses: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def township_accuracy(self) -> float:
        return self.placed_hits / self.placed if self.placed else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.empty if self.empty else 0.0


def load_eval(path: Path) -> list[EvalRow]:
    with Path(path).open(encoding="utf-8", newline="") as f:
        return [EvalRow(**row) for row in csv.DictReader(f)]


def _code(result: GeocodeResult, level: str) -> str | None:
    entry = (result.area or {}).get(level) if result.point is not None else None
    return entry["code"] if entry else None


def score(rows: list[EvalRow], results: list[GeocodeResult]) -> EvalReport:
    """Township accuracy over the placed texts, false positives over the texts
    without a place, county accuracy over texts naming only a county or road."""
    report = EvalReport()
    for row, result in zip(rows, results):
        if row.precision in PLACED:
            hit = _code(result, "township") == row.township
            report.placed += 1
            report.placed_hits += hit
            for bucket in (report.by_precision[row.precision], report.by_form[row.form]):
                bucket[0] += 1
                bucket[1] += hit
            if not hit:
                report.misses.append((row.text, row.township, _code(result, "township")))
        elif row.precision == "none":
            report.empty += 1
            wrong = result.point is not None
            report.false_positives += wrong
            report.by_form["none"][0] += 1
            report.by_form["none"][1] += not wrong
            if wrong:
                report.misses.append((row.text, "", _code(result, "township")))
        elif row.county:
            # a county named alone, or a road in a county: the county must be right
            hit = _code(result, "county") == row.county
            report.county_rows += 1
            report.county_hits += hit
            report.by_precision[row.precision][0] += 1
            report.by_precision[row.precision][1] += hit
    return report
