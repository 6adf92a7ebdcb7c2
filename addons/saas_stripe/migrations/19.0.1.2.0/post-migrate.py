def migrate(cr, version):
    """Invoices imported before the Stripe invoice number had a field of its own keep it in
    their reference: copy it there."""
    cr.execute(
        """
        UPDATE account_move move
           SET stripe_invoice_number = move.ref
          FROM saas_binding binding
          JOIN saas_backend backend ON backend.id = binding.backend_id
         WHERE binding.res_model = 'account.move'
           AND binding.res_id = move.id
           AND backend.provider = 'stripe'
           AND binding.external_id LIKE 'in\\_%'
           AND move.stripe_invoice_number IS NULL
           AND move.ref IS NOT NULL
        """
    )
