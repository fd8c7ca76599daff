"""The one way the platform writes a spreadsheet (openpyxl). Every export goes through ``append``:

- text is text: a string is always stored as a string cell, never as a formula or an error value, so a party named
  ``=HYPERLINK(...)`` or a question starting with ``+``, ``-`` or ``@`` stays what was typed (formula injection);
  such a cell is also marked with a quote prefix, so editing it in Excel or WPS keeps it text;
- characters XML cannot hold are left out (``text.xml_safe``), so one bad row in the database cannot break an export.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .text import xml_safe

BOLD = Font(bold=True)
# What a spreadsheet program reads as the start of a formula when the cell is typed in (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def workbook(*, write_only: bool = False) -> Workbook:
    """An empty workbook (no default sheet): add sheets with ``wb.create_sheet(title)``."""
    wb = Workbook(write_only=write_only)
    if not write_only:
        wb.remove(wb.active)
    return wb


def cell(ws: Any, value: Any, *, font: Font | None = None) -> Cell:
    """One cell for ``ws`` (a normal or a write-only sheet); a string is stored as a string, whatever it starts with."""
    if isinstance(value, str):
        value = xml_safe(value)
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            c.quotePrefix = True
    if font is not None:
        c.font = font
    return c


def append(ws: Any, values: Iterable[Any], *, font: Font | None = None) -> None:
    """Append one row of ``values`` to ``ws`` through ``cell``."""
    ws.append([cell(ws, v, font=font) for v in values])


def widths(ws: Any, columns: list[int]) -> None:
    for i, w in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def to_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

