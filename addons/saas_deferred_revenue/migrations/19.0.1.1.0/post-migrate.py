def migrate(cr, version):
    """Schedules show the subscription of their invoice (``move_id.saas_subscription_id``):
    fill it once for invoices linked to their subscription by SQL when the engine migrated,
    which no stored related field follows."""
    cr.execute(
        """
        UPDATE saas_revenue_schedule schedule
           SET subscription_id = move.saas_subscription_id
          FROM account_move move
         WHERE move.id = schedule.move_id
           AND schedule.subscription_id IS DISTINCT FROM move.saas_subscription_id
        """
    )
    cr.execute(
        """
        UPDATE saas_revenue_schedule_line line
           SET subscription_id = schedule.subscription_id
          FROM saas_revenue_schedule schedule
         WHERE schedule.id = line.schedule_id
           AND line.subscription_id IS DISTINCT FROM schedule.subscription_id
        """
    )
