{
    "name": "SaaS Finance Suite Ledger Properties",
    "summary": "Tests only: a generated Stripe book delivered in any order, with duplicates and "
    "drops, ends in the same ledger",
    "version": "19.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "author": "SaaS Finance Suite",
    "website": "https://github.com/saas-finance-suite/saas-finance-suite",
    "depends": ["saas_stripe", "saas_deferred_revenue", "saas_connector_test"],
    "installable": True,
}
