"""The suite's one spreadsheet writer, read back with openpyxl: every amount keeps the decimals
of its own currency, whatever the other amounts of the sheet."""

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl

from odoo.addons.saas_connector_base.lib.money import currency_exponent, from_minor_units
from odoo.addons.saas_connector_base.lib.xlsx import Amount, Sheet, amount_format, workbook


def read(content):
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {sheet.title: sheet for sheet in book.worksheets}


def money(minor, code):
    return Amount(from_minor_units(minor, code), currency_exponent(code))


def test_each_amount_has_the_decimals_of_its_currency():
    rows = [
        ["JPY", money(1234567, "jpy")],
        ["USD", money(123456789, "usd")],
        ["BHD", money(1234567, "bhd")],
        ["KWD", money(-1, "kwd")],
    ]
    sheet = read(workbook([Sheet("Amounts", ["Currency", "Amount"], rows)]))["Amounts"]
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert {code: cell.value for code, cell in cells.items()} == {
        "JPY": 1234567,
        "USD": 1234567.89,
        "BHD": 1234.567,
        "KWD": -0.001,
    }
    assert {code: cell.number_format for code, cell in cells.items()} == {
        "JPY": "#,##0",
        "USD": "#,##0.00",
        "BHD": "#,##0.000",
        "KWD": "#,##0.000",
    }


def test_amounts_read_back_to_the_minor_unit():
    amounts = [money(minor, "bhd") for minor in (1, 999, 1000001, -250)]
    sheet = read(workbook([Sheet("BHD", ["Amount"], [[amount] for amount in amounts])]))["BHD"]
    read_back = [Decimal(str(row[0])) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert read_back == [Decimal("0.001"), Decimal("0.999"), Decimal("1000.001"), Decimal("-0.25")]


def test_cells_by_type_under_a_preamble():
    content = workbook(
        [
            Sheet(
                "A sheet name longer than the format allows",
                ["Date", "When", "Count", "Label", "Empty"],
                [[date(2026, 10, 1), datetime(2026, 10, 1, 8, 30), 3, "Annual plan", False]],
                preamble=(("Period", "2026-10"),),
            )
        ]
    )
    [sheet] = read(content).values()
    assert sheet.title == "A sheet name longer than the format allows"[:31]
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Period", "2026-10", None, None, None],
        [None, None, None, None, None],
        ["Date", "When", "Count", "Label", "Empty"],
        [datetime(2026, 10, 1), datetime(2026, 10, 1, 8, 30), 3, "Annual plan", None],
    ]
    assert sheet["A4"].number_format == "yyyy-mm-dd"
    assert sheet["A3"].font.bold
    assert sheet.freeze_panes == "A4"


def test_amount_format_by_decimals():
    assert [amount_format(places) for places in (0, 2, 3)] == ["#,##0", "#,##0.00", "#,##0.000"]
