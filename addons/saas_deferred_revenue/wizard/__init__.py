from . import saas_revenue_recognize_wizard
