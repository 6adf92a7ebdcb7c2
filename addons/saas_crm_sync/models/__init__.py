from . import saas_backend
from . import saas_crm_product_map
from . import saas_crm_activation
from . import hubspot_deal_handler
from . import salesforce_opportunity_handler
