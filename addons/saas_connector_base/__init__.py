from . import controllers, models, service, wizard
from .lib import log_redaction

log_redaction.install()
service.prefork_outage.install()
