{
    "name": "SaaS Stripe Connector",
    "summary": "Stripe Billing in Odoo: customers, plans, subscriptions, invoices and payments "
    "as posted, reconciled documents",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "SaaS Finance Suite",
    "website": "https://github.com/saas-finance-suite/saas-finance-suite",
    "depends": ["saas_connector_base"],
    "external_dependencies": {"python": ["stripe", "cryptography"]},
    "data": [
        "security/ir.model.access.csv",
        "security/saas_stripe_security.xml",
        "views/saas_backend_views.xml",
        "views/saas_stripe_price_views.xml",
        "views/saas_stripe_tax_map_views.xml",
        "views/account_move_views.xml",
        "views/res_partner_views.xml",
        "views/saas_stripe_menus.xml",
    ],
    "installable": True,
    "application": False,
}
