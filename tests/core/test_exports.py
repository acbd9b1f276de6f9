"""core.exports: spreadsheet cells that would run as formulas and characters XML cannot carry [issue 18]."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from core.exports import csv_dict_writer, csv_writer, safe_cell, safe_row, xml_safe

EVIL = '=HYPERLINK("http://evil.example","x")'


@pytest.mark.parametrize("text", [EVIL, "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", "－1"])
def test_a_text_cell_a_spreadsheet_would_run_starts_with_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["长青社区", "a=b", " =1", "", "13812341234", -2.5, 0, None, 3])
def test_other_cells_and_numbers_are_left_as_they_are(value):
    assert safe_cell(value) == value


def test_the_csv_writers_neutralise_every_cell_and_keep_numbers():
    out = io.StringIO()
    w = csv_writer(out)
    w.writerow(["name", "points"])
    w.writerows([[EVIL, -2.5], ["@x", 1]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["name", "points"], ["'" + EVIL, "-2.5"], ["'@x", "1"]]
    out = io.StringIO()
    d = csv_dict_writer(out, fieldnames=["a", "b"])
    d.writeheader()
    d.writerows([{"a": EVIL, "b": "-1"}])
    assert list(csv.DictReader(io.StringIO(out.getvalue()))) == [{"a": "'" + EVIL, "b": "'-1"}]
    assert safe_row([EVIL, 1]) == ["'" + EVIL, 1]


def test_xml_safe_strips_what_xml_1_0_cannot_carry_and_keeps_the_rest():
    bad = "a\x00\x01\x08\x0b\x0c\x0e\x1fb\ufffe\uffff\ud800c"
    assert xml_safe(bad) == "abc"
    kept = "tab\tnew\nreturn\r 中文 😀 \ue000\ufffd"
    assert xml_safe(kept) == kept
    el = ET.Element("d")
    el.text = xml_safe(bad + kept)
    assert ET.fromstring(ET.tostring(el, encoding="unicode")).text.startswith("abctab")
