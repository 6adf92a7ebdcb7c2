from . import saas_backend
from . import res_partner
from . import saas_stripe_price
from . import stripe_customer
from . import stripe_product
from . import stripe_price
from . import stripe_subscription
