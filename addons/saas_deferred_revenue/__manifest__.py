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
    "data": [
        "security/saas_deferred_revenue_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/res_config_settings_views.xml",
        "views/product_template_views.xml",
        "views/account_move_views.xml",
        "views/saas_revenue_schedule_views.xml",
        "wizard/saas_revenue_recognize_wizard_views.xml",
        "views/saas_deferred_revenue_menus.xml",
    ],
    "installable": True,
    "application": False,
}
