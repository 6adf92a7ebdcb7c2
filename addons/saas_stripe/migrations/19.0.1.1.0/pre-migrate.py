def migrate(cr, version):
    """Refunds without a Stripe credit note are settled by a credit note or a contra-revenue
    entry: *Credit the Invoice* became *Credit Note*, and *Payment Only*, which left every
    refund open on the customer, gives way to it too."""
    cr.execute(
        """
        UPDATE saas_backend
           SET stripe_refund_without_credit_note = 'credit_note'
         WHERE stripe_refund_without_credit_note IN ('reverse_invoice', 'payment_only')
        """
    )
