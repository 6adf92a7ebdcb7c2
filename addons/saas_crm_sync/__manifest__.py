{
    "name": "SaaS CRM Sync",
    "summary": "HubSpot and Salesforce: a won deal becomes a Stripe subscription once, and its "
    "billing status flows back to the CRM",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "SaaS Finance Suite",
    "website": "https://github.com/saas-finance-suite/saas-finance-suite",
    "depends": ["saas_connector_base", "saas_stripe"],
    "installable": True,
    "application": False,
}
