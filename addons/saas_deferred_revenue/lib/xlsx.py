"""Spreadsheets of the deferred revenue reports: plain tables, one sheet each, written with
xlsxwriter (an Odoo requirement) in memory."""

import io
from datetime import date

import xlsxwriter


def workbook(sheets):
    """The bytes of an .xlsx file with one sheet per ``(title, headers, rows)`` of ``sheets``.

    Rows are sequences of cells: dates get a date format, numbers (amounts) a two-decimal
    format, anything else is written as it is. The header row stays frozen on scrolling.
    """
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    bold = book.add_format({"bold": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    amount_format = book.add_format({"num_format": "#,##0.00"})
    for title, headers, rows in sheets:
        # Sheet names are limited to 31 characters by the format.
        sheet = book.add_worksheet(title[:31])
        sheet.write_row(0, 0, headers, bold)
        sheet.freeze_panes(1, 0)
        for row_index, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if isinstance(value, date):
                    sheet.write_datetime(row_index, column, value, date_format)
                elif isinstance(value, bool) or value is None:
                    sheet.write_blank(row_index, column, None)
                elif isinstance(value, int | float):
                    sheet.write_number(row_index, column, value, amount_format)
                else:
                    sheet.write(row_index, column, value)
        sheet.set_column(0, max(len(headers) - 1, 0), 16)
    book.close()
    return output.getvalue()
