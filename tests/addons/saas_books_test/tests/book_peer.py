"""The book's Stripe account as its API answers: each object in its final state, invoice lines,
and the listings reconciliation reads (newest first, paginated, filtered by creation time).
Only the HTTP answers stand in for Stripe (the real SDK calls them)."""

from odoo.addons.saas_stripe.models.stripe_reconciliation import SERVICE_OF_OBJECT
from odoo.addons.saas_stripe.tests.stripe_api_peer import start_api_peer


def serve_book(case, backend, book):
    """A peer for ``case``'s class answering for ``book``, with ``backend`` pointed at it."""
    peer = start_api_peer(case, backend)
    by_collection = {name: [] for name in SERVICE_OF_OBJECT.values()}
    for obj in book.objects.values():
        collection = SERVICE_OF_OBJECT.get(obj.get("object"))
        if collection:
            by_collection[collection].append(obj)
            peer.answers[f"/v1/{collection}/{obj['id']}"] = _constant(obj)
            if collection == "invoices":
                peer.answers[f"/v1/invoices/{obj['id']}/lines"] = _listing(
                    obj["lines"]["data"], f"/v1/invoices/{obj['id']}/lines", newest_first=False
                )
            if collection == "credit_notes":
                peer.answers[f"/v1/credit_notes/{obj['id']}/lines"] = _listing(
                    obj["lines"]["data"],
                    f"/v1/credit_notes/{obj['id']}/lines",
                    newest_first=False,
                )
    for collection, objects in by_collection.items():
        peer.answers[f"/v1/{collection}"] = _listing(objects, f"/v1/{collection}")
    peer.answers["/v1/balance_transactions"] = _listing([], "/v1/balance_transactions")
    return peer


def _constant(obj):
    return lambda _query: (200, obj)


def _listing(objects, url, newest_first=True):
    ordered = sorted(objects, key=lambda obj: obj.get("created", 0), reverse=newest_first)

    def answer(query):
        selected = [obj for obj in ordered if _within(obj.get("created"), query)]
        if query.get("starting_after"):
            ids = [obj["id"] for obj in selected]
            position = (
                ids.index(query["starting_after"]) + 1 if query["starting_after"] in ids else 0
            )
            selected = selected[position:]
        limit = int(query.get("limit") or 10)
        return 200, {
            "object": "list",
            "data": selected[:limit],
            "has_more": len(selected) > limit,
            "url": url,
        }

    return answer


def _within(created, query):
    bounds = {
        "gte": lambda a, b: a >= b,
        "gt": lambda a, b: a > b,
        "lte": lambda a, b: a <= b,
        "lt": lambda a, b: a < b,
    }
    for name, compare in bounds.items():
        value = query.get(f"created[{name}]")
        if value is not None and created is not None and not compare(created, int(value)):
            return False
    return True
