"""An invoice of more lines than its events carry, end to end: localstripe, like Stripe, embeds
the first ten lines of an invoice in its events (``lines.has_more``); Odoo lists the others
from localstripe's API and imports the invoice whole."""

from stripe_peer import create_customer, create_plan, subscribe

# ``account`` is the scenarios' fixture: a localstripe account whose webhooks reach Odoo.
from test_stripe_billing_scenarios import account, bound, money, settle  # noqa: F401

SEAT_PACKS = 12


def test_invoice_of_twelve_lines_is_imported_whole_and_paid(env, account):  # noqa: F811
    client = account.client
    customer = create_customer(client, "Contoso Seats")
    # localstripe invoices a customer's pending items only with a subscription's next period.
    plan = create_plan(client, "Contoso plan", 1000, "month")
    subscription = subscribe(client, customer.id, plan.id, 1)
    for pack in range(1, SEAT_PACKS + 1):
        client.v1.invoice_items.create(
            params={
                "customer": customer.id,
                "amount": 100 * pack,
                "currency": "usd",
                "description": f"Seat pack {pack}",
            }
        )
    invoice = client.v1.invoices.create(
        params={"customer": customer.id, "subscription": subscription.id}
    )
    invoice = client.v1.invoices.pay(invoice.id)
    events = settle(env, account.backend, account.new_events())

    paid = events.filtered(
        lambda event: (
            event.object_external_id == invoice.id
            and event.payload_json()["data"]["object"]["status"] == "paid"
        )
    )
    assert paid, "localstripe sent no event of the paid invoice"
    for event in paid:
        lines = event.payload_json()["data"]["object"]["lines"]
        assert (len(lines["data"]), lines["has_more"]) == (10, True)

    move = bound(env, account.backend, "account.move", invoice.id)
    assert move, f"invoice {invoice.id} was not imported"
    assert (move.move_type, move.state) == ("out_invoice", "posted")
    # The plan's period, then the twelve packs: thirteen lines, the last three from the API.
    assert len(invoice.lines.data) == 10
    assert len(move.invoice_line_ids) == 1 + SEAT_PACKS
    packs = move.invoice_line_ids.filtered(lambda line: line.name.startswith("Seat pack"))
    assert sorted(packs.mapped("price_subtotal")) == [
        float(pack) for pack in range(1, SEAT_PACKS + 1)
    ]
    assert move.amount_total == money(invoice.total) == 10.0 + 78.0
    assert move.payment_state in ("paid", "in_payment")
