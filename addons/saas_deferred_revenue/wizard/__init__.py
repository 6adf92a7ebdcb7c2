from . import saas_revenue_close_line
from . import saas_revenue_recognize_wizard
from . import saas_deferred_balance_wizard
from . import saas_revenue_undo_wizard
from . import saas_revenue_defer_wizard
