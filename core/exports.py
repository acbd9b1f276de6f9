"""What every file or feed we hand out must be safe to open: spreadsheet cells and XML text.

Spreadsheet cells (CSV and XLSX) [issue 18]: a text cell that starts with ``= + - @``, a tab or a
carriage return is a formula to Excel, WPS and LibreOffice (``=HYPERLINK("http://evil.example","x")``
becomes a live link, ``=cmd|...`` can run a program). Such a cell is written with a leading single
quote (OWASP "CSV injection"), so it shows as text. The full-width forms ``＝ ＋ － ＠`` are treated the
same, since some East Asian spreadsheet setups turn them into formulas. Only text is touched:
numbers, dates and None are written as they are, so a negative score stays a number.
Every CSV writer goes through ``csv_writer``/``csv_dict_writer`` and every XLSX row through
``safe_row``; do not call ``csv.writer`` or ``Worksheet.append`` directly in an export.

XML text: XML 1.0 forbids control characters other than tab, newline and carriage return, the
non-characters U+FFFE/U+FFFF and lone surrogates; one of them in a ticket makes a whole Open311
``requests.xml`` unreadable. ``xml_safe`` strips them: at intake (dispatch's IntakeSerializer) so they
are never stored, and again on output (Open311's XML renderer) for text that came in another way.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet may show it: text that a spreadsheet would run as a formula gets a leading '."""
    if isinstance(value, str) and value and value[0] in FORMULA_STARTS:
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row of cells for csv.writer.writerow or openpyxl's Worksheet.append, each through safe_cell."""
    return [safe_cell(v) for v in values]


class _SafeWriter:
    """csv.writer with every cell through safe_cell (same writerow/writerows, returns what the file's write returns)."""

    def __init__(self, f, **kwargs):
        self._writer = csv.writer(f, **kwargs)

    @property
    def dialect(self):
        return self._writer.dialect

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(f, **kwargs) -> _SafeWriter:
    """Like csv.writer(f, **kwargs), with formula-like text cells neutralised."""
    return _SafeWriter(f, **kwargs)


class SafeDictWriter(csv.DictWriter):
    """csv.DictWriter with formula-like text cells neutralised (the header row too)."""

    def writerow(self, rowdict):
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts):
        for row in rowdicts:
            self.writerow(row)


def csv_dict_writer(f, fieldnames, **kwargs) -> SafeDictWriter:
    """Like csv.DictWriter(f, fieldnames, **kwargs), with formula-like text cells neutralised."""
    return SafeDictWriter(f, fieldnames, **kwargs)


def xml_safe(text: str) -> str:
    """The text without the characters XML 1.0 cannot carry (controls other than \\t \\n \\r, U+FFFE/FFFF, surrogates)."""
    return _XML_INVALID.sub("", text)
