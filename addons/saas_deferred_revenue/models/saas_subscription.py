from odoo import api, fields, models


class SaasSubscription(models.Model):
    _inherit = "saas.subscription"

    saas_revenue_schedule_ids = fields.One2many(
        "saas.revenue.schedule", "subscription_id", string="Revenue Schedules", readonly=True
    )
    saas_revenue_schedule_count = fields.Integer(
        string="Revenue Schedule Count",
        compute="_compute_saas_revenue_schedule_count",
        groups="account.group_account_readonly,account.group_account_invoice",
    )

    @api.depends("saas_revenue_schedule_ids")
    def _compute_saas_revenue_schedule_count(self):
        for subscription in self:
            subscription.saas_revenue_schedule_count = len(subscription.saas_revenue_schedule_ids)

    def action_view_saas_revenue_schedules(self):
        self.ensure_one()
        return self.env["saas.revenue.schedule"]._action_open_schedules(
            [("subscription_id", "=", self.id)]
        )

    def _apply_snapshot(self, values, items, at, event=None):
        # Providers describe every change through a snapshot: the one that cancels the
        # subscription ends the service its invoices deferred.
        was_canceled = self.state == "canceled"
        history = super()._apply_snapshot(values, items, at, event=event)
        if self.state == "canceled" and not was_canceled:
            self._end_revenue_service()
        return history

    def _end_revenue_service(self, schedules=None):
        """The subscription ended without a refund (a refund comes as a credit note): its
        schedules end their service when it ended, and the company's cancellation policy says
        whether their remaining revenue is recognized then. ``schedules``, when given, are
        new schedules, of which those of this subscription end (see
        ``saas.revenue.schedule._create_for_invoice_lines``)."""
        self.ensure_one()
        end = self._service_end_date()
        if not end:
            return
        if schedules is not None:
            schedules = schedules.filtered(lambda schedule: schedule.subscription_id == self)
        else:
            schedules = self.env["saas.revenue.schedule"].search(
                [("subscription_id", "=", self.id)]
            )
        # Recognition is bookkeeping: whoever processes the provider's event may not own it.
        schedules.sudo().end_service(end)

    def _service_end_date(self):
        """Last day of service: when the cancellation took effect, which is never after the end
        of the period the customer paid for."""
        self.ensure_one()
        moments = [
            moment
            for moment in (self.ended_at or self.canceled_at, self.current_period_end)
            if moment
        ]
        return moments and min(moments).date()
