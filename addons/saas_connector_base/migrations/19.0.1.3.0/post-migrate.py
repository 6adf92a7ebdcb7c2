def migrate(cr, version):
    """Documents imported before they carried the provider's subscription id kept it only as
    their origin: link them once to the subscription of that reference in their company, and
    credit notes to the subscription of the invoice they reverse."""
    cr.execute(
        """
        UPDATE account_move move
           SET saas_subscription_ref = move.invoice_origin
          FROM saas_subscription subscription
         WHERE move.saas_subscription_ref IS NULL
           AND subscription.name = move.invoice_origin
           AND subscription.company_id = move.company_id
        """
    )
    cr.execute(
        """
        UPDATE account_move move
           SET saas_subscription_ref = reversed.saas_subscription_ref
          FROM account_move reversed
         WHERE move.saas_subscription_ref IS NULL
           AND reversed.id = move.reversed_entry_id
           AND reversed.saas_subscription_ref IS NOT NULL
        """
    )
    cr.execute(
        """
        UPDATE account_move move
           SET saas_subscription_id = subscription.id
          FROM saas_subscription subscription
         WHERE move.saas_subscription_id IS NULL
           AND subscription.name = move.saas_subscription_ref
           AND subscription.company_id = move.company_id
        """
    )
