"""Plain-Python HubSpot and Salesforce helpers (no ``odoo`` import): webhook signatures, the
outbound-message envelope and the reading of CRM payloads into canonical deals. Unit-tested on
their own."""
