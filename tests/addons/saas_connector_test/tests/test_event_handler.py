"""The table of event handlers: built from the handler models, refusing a type taken twice."""

from odoo.addons.saas_connector_base.models.saas_event_handler import handler_table
from odoo.tests import TransactionCase, tagged

from .common import create_backend


class _Declares:
    """A stand-in for a handler model class: what the table builder reads of one."""

    def __init__(self, name, provider, handles):
        self._name = name
        self._provider = provider
        self._handles = handles


@tagged("post_install", "-at_install")
class TestEventHandlerTable(TransactionCase):
    def test_the_table_maps_provider_and_type_to_the_declaring_model(self):
        table = self.env["saas.event.handler"]._handler_table()
        self.assertEqual(
            table[("test", "contact.updated")], ("saas.test.contact.handler", "_contact_updated")
        )
        self.assertEqual(
            table[("test", "contact.deleted")], ("saas.test.contact.handler", "_contact_deleted")
        )

    def test_a_handler_runs_with_the_backend_and_an_unknown_type_has_none(self):
        backend = create_backend(self.env)
        handlers = self.env["saas.event.handler"]
        self.assertIsNone(handlers._handler(backend, "contact.merged"))
        handler = handlers._handler(backend, "contact.updated")
        self.assertEqual(handler.func.__name__, "_contact_updated")
        self.assertEqual(handler.args, (backend,))

    def test_a_type_handled_by_two_models_is_refused_naming_both(self):
        first = _Declares("saas.x.invoice.handler", "x", {"invoice.paid": "_paid"})
        second = _Declares("saas.x.payment.handler", "x", {"invoice.paid": "_invoice_paid"})
        with self.assertRaisesRegex(
            ValueError,
            r"'invoice\.paid' of provider 'x' is handled by both saas\.x\.invoice\.handler "
            r"and saas\.x\.payment\.handler",
        ):
            handler_table([first, second])

    def test_the_same_type_of_two_providers_is_no_conflict(self):
        table = handler_table(
            [
                _Declares("saas.x.invoice.handler", "x", {"invoice.paid": "_paid"}),
                _Declares("saas.y.invoice.handler", "y", {"invoice.paid": "_paid"}),
            ]
        )
        self.assertEqual(len(table), 2)
