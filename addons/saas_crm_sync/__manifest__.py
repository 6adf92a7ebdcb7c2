{
    "name": "SaaS CRM Sync",
    "summary": "HubSpot and Salesforce: a won deal becomes a Stripe subscription once, and its "
    "billing status flows back to the CRM",
    "version": "19.0.1.2.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "SaaS Finance Suite",
    "website": "https://github.com/saas-finance-suite/saas-finance-suite",
    "depends": ["saas_connector_base", "saas_stripe"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/saas_crm_sync_security.xml",
        "data/mail_message_subtype_data.xml",
        "views/saas_backend_views.xml",
        "views/saas_crm_activation_views.xml",
        "views/saas_crm_product_map_views.xml",
        "views/mail_message_views.xml",
        "views/saas_crm_sync_menus.xml",
    ],
    "installable": True,
    "application": False,
}
