from . import saas_revenue_report_xlsx
from . import saas_revenue_waterfall
from . import saas_revenue_rollforward
