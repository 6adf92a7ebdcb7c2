"""Plain-Python Stripe helpers (no ``odoo`` import): webhook signature checks and the reading of
Stripe payloads of any API version into canonical objects. Unit-tested on their own."""
