{
    "name": "SaaS Deferred Revenue",
    "summary": "ASC 606 / IFRS 15 ratable revenue schedules from invoice lines with a service "
    "period, month-end recognition, waterfall and roll-forward reports",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "SaaS Finance Suite",
    "website": "https://github.com/saas-finance-suite/saas-finance-suite",
    "depends": ["account", "saas_connector_base"],
    "data": [],
    "installable": True,
    "application": False,
}
