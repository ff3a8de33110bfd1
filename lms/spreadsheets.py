"""Cells of the CSV and XLSX files Tremplin writes, made safe for spreadsheet software.

Names in exports come from people (a service, a job profile, a course title, a person's name): a name such as
« =HYPERLINK(…) » must stay text, never become a formula (CSV injection), and a control character that XML
refuses must not break the XLSX file.
"""

import re

#: A text cell starting with one of these is read as a formula by spreadsheet software.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A number as the exports write it (« -2 », « +1,5 », « 1 234 »): left as it is.
_NUMBER = re.compile(r"[+-]?\d[\d\s\u202f\u00a0.,]*%?")
#: Characters a sheet title may not hold (Excel, openpyxl).
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")


def neutralised(value):
    """A CSV cell read as text, never as a formula: « =HYPERLINK(…) » is written « '=HYPERLINK(…) »."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def xlsx_value(value):
    """A value openpyxl can write: without the control characters XML refuses (openpyxl raises on them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def sheet_title(title: str) -> str:
    """A valid sheet title: at most 31 characters, none of ``\\ / * ? : [ ]``."""
    return _SHEET_TITLE_FORBIDDEN.sub("-", xlsx_value(str(title)))[:31]


def append_row(sheet, values) -> None:
    """Append a row to an openpyxl sheet; its text cells stay text (openpyxl makes « =… » a formula)."""
    sheet.append([xlsx_value(value) for value in values])
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


class NeutralisingWriter:
    """A ``csv.writer`` whose text cells are never read as formulas (:func:`neutralised`)."""

    def __init__(self, writer):
        self.writer = writer

    def writerow(self, row):
        self.writer.writerow([neutralised(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)
