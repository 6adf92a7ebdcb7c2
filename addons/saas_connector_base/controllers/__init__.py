from . import webhook
from . import reconciliation_export
