"""Spreadsheets of every export of the suite: plain tables written in memory with xlsxwriter
(an Odoo requirement), one writer so that every amount is shown the same way — with the
decimals of its own currency (JPY none, USD two, BHD three), never a fixed two."""

import io
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

import xlsxwriter

SHEET_NAME_LENGTH = 31  # a limit of the file format
MIN_WIDTH, MAX_WIDTH = 10, 60
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


class Amount(NamedTuple):
    """A money cell: its value and the number of decimals of its currency."""

    value: float | Decimal | int
    decimal_places: int


class Sheet(NamedTuple):
    """One worksheet: a table under an optional preamble of ``(label, value)`` rows (what the
    table is about: a period, a state), separated from it by an empty row."""

    title: str
    headers: list
    rows: list
    preamble: tuple = ()


def amount_format(decimal_places):
    """The number format of an amount with ``decimal_places`` decimals: thousands separated,
    negatives with a minus, as accounting software exports them."""
    return "#,##0" + ("." + "0" * decimal_places if decimal_places > 0 else "")


def workbook(sheets):
    """The bytes of an .xlsx file with one worksheet per :class:`Sheet` of ``sheets``.

    Cells are written by type: an :class:`Amount` with its currency's decimals, a date or
    datetime with a date format, another number as it is, ``None``, ``False`` (an empty Odoo
    field) or ``""`` as an empty cell, anything else as text. The header row stays in view
    on scrolling and columns are as wide as their content."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    writer = _Writer(book)
    for sheet in sheets:
        writer.sheet(sheet)
    book.close()
    return output.getvalue()


class _Writer:
    """Writes sheets into one workbook, sharing its cell formats."""

    def __init__(self, book):
        self.book = book
        self.formats = {
            "bold": book.add_format({"bold": True}),
            date: book.add_format({"num_format": DATE_FORMAT}),
            datetime: book.add_format({"num_format": DATETIME_FORMAT}),
        }

    def money(self, decimal_places):
        if decimal_places not in self.formats:
            self.formats[decimal_places] = self.book.add_format(
                {"num_format": amount_format(decimal_places)}
            )
        return self.formats[decimal_places]

    def sheet(self, sheet):
        worksheet = self.book.add_worksheet(sheet.title[:SHEET_NAME_LENGTH])
        widths = {}
        cells = []
        for row, (label, value) in enumerate(sheet.preamble):
            cells += [(row, 0, label, True), (row, 1, value, False)]
        header_row = len(sheet.preamble) + 1 if sheet.preamble else 0
        cells += [
            (header_row, column, header, True) for column, header in enumerate(sheet.headers)
        ]
        for row, values in enumerate(sheet.rows, start=header_row + 1):
            cells += [(row, column, value, False) for column, value in enumerate(values)]
        for row, column, value, bold in cells:
            text = self.cell(worksheet, (row, column), value, bold)
            widths[column] = max(widths.get(column, MIN_WIDTH), min(len(text) + 2, MAX_WIDTH))
        worksheet.freeze_panes(header_row + 1, 0)
        for column, width in widths.items():
            worksheet.set_column(column, column, width)

    def cell(self, worksheet, position, value, bold):
        """Write ``value`` at ``position`` (row, column) by its type; return the text it shows,
        for the column's width."""
        if isinstance(value, Amount):
            number = float(value.value or 0)
            worksheet.write_number(*position, number, self.money(value.decimal_places))
            return f"{number:,.{max(value.decimal_places, 0)}f}"
        # datetime first: it is a date too.
        for kind, shown in ((datetime, DATETIME_FORMAT), (date, DATE_FORMAT)):
            if isinstance(value, kind):
                worksheet.write_datetime(*position, value, self.formats[kind])
                return shown
        if value is None or value is False or value == "":
            worksheet.write_blank(*position, None)
            return ""
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            worksheet.write_number(*position, float(value))
            return str(value)
        text = str(value)
        worksheet.write_string(*position, text, self.formats["bold"] if bold else None)
        return text
