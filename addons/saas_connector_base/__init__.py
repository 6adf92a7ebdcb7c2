from . import controllers, models, wizard
from .lib import log_redaction

log_redaction.install()
