import functools

from odoo import api, models, tools


def handler_table(handler_models):
    """``{(provider, event type): (model name, method name)}`` of handler model classes,
    each declaring ``_provider`` and ``_handles`` (``{event type: method name}``).

    Two models taking the same event type of one provider is refused, naming both: which of
    them would win would otherwise depend on the order modules load in."""
    table = {}
    for model in handler_models:
        for event_type, method in model._handles.items():
            key = (model._provider, event_type)
            if key in table:
                raise ValueError(
                    f"Event type {event_type!r} of provider {model._provider!r} is handled "
                    f"by both {table[key][0]} and {model._name}."
                )
            table[key] = (model._name, method)
    return table


class SaasEventHandler(models.AbstractModel):
    """The handlers of a provider's events, one model per concept of the provider.

    A handler model inherits this one and declares its provider (``_provider = "stripe"``)
    and the event types it takes with the method handling each (``_handles =
    {"invoice.created": "_invoice_updated"}``). A handling method receives the backend and
    the stored event (``def _invoice_updated(self, backend, event)``) and returns the records
    it touched, which the engine links to the event.

    The engine builds the table of all handlers when the registry loads: a second model
    declaring an event type already taken stops the load with an error naming both.
    """

    _name = "saas.event.handler"
    _description = "SaaS Event Handler"

    _provider = None
    _handles = {}

    def _register_hook(self):
        super()._register_hook()
        # Every handler model inherits this hook: the table is checked once, by this model.
        if self._name == "saas.event.handler":
            self._handler_table()

    @api.model
    @tools.ormcache()
    def _handler_table(self):
        names = self.pool.descendants(["saas.event.handler"], "_inherit")
        return handler_table(type(self.env[name]) for name in names if self.env[name]._provider)

    @api.model
    def _handler(self, backend, event_type):
        """The callable handling ``event_type`` events of ``backend`` (it takes the event),
        or ``None`` when no handler model takes that type. The handler runs in the backend's
        environment, with its context."""
        entry = self._handler_table().get((backend.provider, event_type))
        if entry is None:
            return None
        model, method = entry
        return functools.partial(getattr(backend.env[model], method), backend)
