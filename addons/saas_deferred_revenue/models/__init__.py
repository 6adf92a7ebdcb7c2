from . import res_company
from . import res_config_settings
from . import product_template
from . import saas_revenue_schedule
from . import saas_revenue_schedule_line
from . import account_move_line
from . import account_move
