"""Plain-Python helpers of deferred revenue (no ``odoo`` import): the schedule arithmetic is
unit-tested on its own and the models only store and post what it computes."""
