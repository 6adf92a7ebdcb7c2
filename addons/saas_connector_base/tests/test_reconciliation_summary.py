"""The engine's summary of a reconciliation: each side counted under its own status and
currency, whatever the provider."""

from decimal import Decimal

from odoo.addons.saas_connector_base.lib.reconciliation import (
    Comparison,
    ProviderRecord,
    summarize,
)


def compared(external_id, amount, status, odoo=None, listed=True):
    comparison = Comparison("invoice", external_id, "USD", Decimal(amount), status, listed=listed)
    if odoo:
        comparison.record = object()
        comparison.odoo_currency, comparison.odoo_amount, comparison.odoo_status = odoo
    return comparison


def test_each_side_counts_under_its_own_status_when_split_by_status():
    comparisons = [
        compared("in_1", "10.00", "paid", ("USD", Decimal("10.00"), "paid")),
        compared("in_2", "5.00", "paid", ("USD", Decimal("5.00"), "open")),
        compared("in_3", "7.00", "open"),  # missing in Odoo
        compared("in_4", "0", None, ("EUR", Decimal("3.00"), "open"), listed=False),
    ]
    assert summarize(comparisons, {"invoice"}) == {
        ("invoice", "paid", "USD"): [2, Decimal("15.00"), 1, Decimal("10.00")],
        ("invoice", "open", "USD"): [1, Decimal("7.00"), 1, Decimal("5.00")],
        ("invoice", "open", "EUR"): [0, Decimal(0), 1, Decimal("3.00")],
    }
    assert summarize(comparisons) == {
        ("invoice", None, "USD"): [3, Decimal("22.00"), 2, Decimal("15.00")],
        ("invoice", None, "EUR"): [0, Decimal(0), 1, Decimal("3.00")],
    }


def test_objects_without_money_are_counted():
    comparison = Comparison("contact", "c_1", None, status="active")
    comparison.record = object()
    comparison.odoo_status = "active"
    assert summarize([comparison]) == {("contact", None, None): [1, 0, 1, 0]}


def test_a_record_is_looked_up_under_its_keys_or_its_own_id():
    assert ProviderRecord("ch_1", "USD").lookup_keys() == ("ch_1",)
    assert ProviderRecord("ch_1", "USD", keys=("pi_1", "ch_1")).lookup_keys() == ("pi_1", "ch_1")
