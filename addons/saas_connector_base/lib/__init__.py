"""Plain-Python helpers of the connector engine (no ``odoo`` import): they are unit-tested on
their own and reused by every provider."""
