{
    "name": "SaaS Connector Test Provider",
    "summary": "A provider with HMAC-signed webhooks used to test the connector engine "
    "without any real external system",
    "version": "19.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "author": "SaaS Finance Suite",
    "website": "https://github.com/saas-finance-suite/saas-finance-suite",
    "depends": ["saas_connector_base"],
    "installable": True,
}
