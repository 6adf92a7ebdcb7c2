from . import saas_event_ignore_wizard
from . import saas_document_override_wizard
from . import account_payment_register
from . import base_partner_merge_automatic_wizard
